"""Test environments that change what is signed, not only where it goes
(GRVT's testnet signs chain 326; Paradex's derives its STARK key on Sepolia
and signs for PRIVATE_SN_POTC_SEPOLIA), proven against ccxt 4.5.90 in sandbox mode
(``set_sandbox_mode(True)``; ccxt_scenarios.TESTNETS): clock frozen, network
fake, two clocks x two credential sets, as the differential test runs
production. Our module runs with ``config_with(environment=...)`` (through
``wsauth.plan``), and what it sends must equal what ccxt sends byte for byte:
the REST call (host, headers, the signed body), the handshake, the frames.

Each testnet must also sign something other than production does: were the
environment to change only the host, a production signature would reach the
testnet (and its fake, tests/fakes/, refuses that).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance import assert_matches_capture
from tests.reference import ccxt_capture, ccxt_scenarios

RUNS = [
    pytest.param(environment, run["kwargs"], id=f"{run['name']}-{environment}")
    for (_, _, environment), record in sorted(ccxt_scenarios.TESTNETS.items(), key=str)
    for run in ccxt_capture._runs(record)
]


def test_every_testnet_record_is_a_sandbox_of_a_production_record() -> None:
    assert len(RUNS) >= 8  # grvt's and paradex's testnets, four runs each: an empty walk would pass vacuously
    for (entry, market, _), record in ccxt_scenarios.TESTNETS.items():
        assert record.sandbox, f"{entry}: a testnet record drives ccxt in sandbox mode"
        assert (entry, market) in ccxt_capture.ENTRIES, f"{entry}: no production record to compare with"


@pytest.mark.parametrize(("environment", "kwargs"), RUNS)
def test_ccxt_in_sandbox_mode_sends_what_our_module_sends_there(environment: str, kwargs: dict[str, Any]) -> None:
    live = ccxt_capture.capture(**kwargs, environment=environment)
    assert_matches_capture(live)
    production = ccxt_capture.capture(**kwargs)
    signed = [(call["headers"], call["body"]) for call in live["rest"]]  # the URL aside: its host changes anyway
    assert signed != [(call["headers"], call["body"]) for call in production["rest"]], (
        f"{kwargs['entry']}: ccxt signs the same in {environment} as in production"
    )
