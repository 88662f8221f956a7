"""The differential test: ccxt 4.5.90 runs live (clock frozen, network fake)
for every scenario — two clocks x two credential sets per entry and market —
and what it sends must equal what our modules produce.

The stored fixtures (which the generated tests compare against) must also
still be what ccxt captures today, so they cannot drift from the reference.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conformance import assert_matches_capture, ours, secret_dependent_paths, uncovered
from tests.reference import ccxt_capture

SCENARIOS = {s["name"]: s["kwargs"] for s in ccxt_capture.SCENARIOS}


def _other_secret(secret: str) -> str:
    """A different secret of the same kind (base64 stays base64)."""
    try:
        raw = base64.b64decode(secret, validate=True)
    except ValueError:
        return secret[::-1]
    return base64.b64encode(bytes(b ^ 0x5A for b in raw)).decode()


def test_every_entry_has_two_clocks_and_two_credential_sets() -> None:
    seen: dict[tuple[str, str | None], set[tuple[int, str]]] = {}
    for kwargs in SCENARIOS.values():
        key = (kwargs["entry"], kwargs["market_type"])
        # A credential set is all its fields (wallet entries have no API key).
        seen.setdefault(key, set()).add((kwargs["now_ms"], json.dumps(kwargs["credentials"], sort_keys=True)))
    for key, combos in seen.items():
        assert len({now for now, _ in combos}) >= 2, key
        assert len({credentials for _, credentials in combos}) >= 2, key


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_live_capture_equals_our_module(name: str) -> None:
    live = ccxt_capture.capture(**SCENARIOS[name])
    stored = json.loads((ccxt_capture.FIXTURE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert live == stored, "fixture is stale: python -m tests.reference.ccxt_capture --write"
    assert_matches_capture(live)


@pytest.mark.parametrize("name", sorted(n for n, kw in SCENARIOS.items() if n.endswith("-1")))
def test_subscribe_auth_covers_every_secret_dependent_field(name: str) -> None:
    """Whatever ccxt's subscribe frame derives from the credentials, the token
    or the challenge, our build_subscribe_auth must supply: capture again with
    one of them changed at a time, and every field that moved must be one of
    ours (and, by assert_matches_capture, equal to ccxt's)."""
    kwargs = SCENARIOS[name]
    first = ccxt_capture.capture(**kwargs)
    moved = set()
    for other in _one_input_changed(name):
        second = ccxt_capture.capture(**other)
        for a, b in zip(first["subscribe_frames"], second["subscribe_frames"], strict=True):
            moved |= secret_dependent_paths(a, b)
    assert uncovered(moved, ours(first)["subscribe_auth"]) == set()


def _one_input_changed(name: str) -> list[dict[str, Any]]:
    """The scenario's inputs with the secret (or private key), the API key, the
    password, the token or the challenge changed, one at a time; the new value
    is the other credential set's (scenario -2: same clock) or of the same kind."""
    kwargs, other = SCENARIOS[name], SCENARIOS[name[:-1] + "2"]
    credentials, others = kwargs["credentials"], other["credentials"]
    if "private_key" in credentials:
        changed = [dict(credentials, private_key=others["private_key"])]
    else:
        changed = [dict(credentials, secret=_other_secret(credentials["secret"]))]
    changed += [dict(credentials, **{key: others[key]}) for key in ("api_key", "password") if credentials.get(key) is not None]
    out = [dict(kwargs, credentials=c) for c in changed]
    out += [dict(kwargs, **{key: other[key]}) for key in ("token", "challenge") if kwargs.get(key) is not None]
    return out
