"""Environments are whole or refused: over every entry × market ×
environment, a non-production plan either names no production host anywhere
(socket, REST calls, headers, frames), or choosing that environment is
refused before anything is signed — a key meant for a test environment never
reaches a production host."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

import wsauth
from tests.paths import FIXTURES
from tests.reference.ccxt_capture import CREDENTIALS, private_key
from wsauth.plan import plan
from wsauth.session import config_with

# Where the token is the session a REST reply's headers carry (GRVT): the
# JSON object of the handshake headers it becomes (README "wsauth plan").
TOKENS = {"grvt": json.dumps({"Cookie": "gravity=session-abc", "X-Grvt-Account-Id": "0x01"})}

# Entries no ccxt capture holds credentials for: the key form they sign with.
KEYS = {"binance_ed25519_logon": "ed25519_pem", "coinbase_cdp_eddsa": "ed25519_seed_public_base64"}


def _host(url: str) -> str:
    return url.partition("://")[2].partition("/")[0].partition("?")[0]


def _configs(exchange: str) -> list[tuple[str | None, Any]]:
    module = importlib.import_module(f"wsauth.{exchange}")
    if isinstance(module.CONFIG, Mapping):
        return [(market, config) for market, config in module.CONFIG.items()]
    return [(None, module.CONFIG)]


CASES = [
    pytest.param(exchange, market, environment, id=f"{exchange}-{market or ''}-{environment}")
    for exchange in wsauth.EXCHANGES
    for market, config in _configs(exchange)
    for environment in sorted(config.environments)
]


def _credentials(exchange: str, market: str | None) -> dict[str, str | None]:
    stem = exchange if market is None else f"{exchange}-{market}"
    capture = FIXTURES / "ccxt" / f"{stem}-1.json"
    if capture.exists():
        return dict(json.loads(capture.read_text(encoding="utf-8"))["credentials"])
    given: dict[str, str | None] = dict(CREDENTIALS["A"])
    if exchange in KEYS:
        given["private_key"] = private_key("A", KEYS[exchange])
    return given


def test_every_environment_of_every_entry_is_checked() -> None:
    assert len(CASES) >= 40  # 50 on 2026-11-30: an empty walk would pass vacuously


@pytest.mark.parametrize(("exchange", "market", "environment"), CASES)
def test_a_non_production_plan_names_no_production_host(exchange: str, market: str | None, environment: str) -> None:
    production = dict(_configs(exchange))[market]
    hosts = {_host(production.ws_url)} | ({_host(production.rest_url)} if production.rest_url else set())
    try:
        planned = plan(
            exchange, _credentials(exchange, market), environment=environment, market_type=market,
            now_ms=1767225600123, request_id=7, token=TOKENS.get(exchange, "token-abc"), challenge="challenge-abc",
            channel="orders", symbols=["BTC-USDT"], reveal=True,
        )
    except ValueError as refused:
        # Refused as a whole, before anything is signed: the REST host has no counterpart.
        assert production.rest_url is not None and "names only its socket" in str(refused)
        with pytest.raises(ValueError, match="names only its socket"):
            config_with(importlib.import_module(f"wsauth.{exchange}"), environment=environment, market_type=market)
        return
    assert _host(str(planned["ws_url"])) == _host(production.environments[environment].ws_url)
    text = json.dumps(planned)
    for host in hosts - {_host(production.environments[environment].ws_url)}:
        assert not re.search(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", text), f"{exchange} {environment}: {host} in {text}"


def test_an_environment_that_names_no_signed_chain_is_refused() -> None:
    """Where production signs a chain id (GRVT's 325), an environment that
    names none would sign for production: refused, unless the caller names it."""
    from types import SimpleNamespace

    from wsauth import grvt

    testnet = grvt.CONFIG.environments["testnet"]
    whole = config_with(grvt, environment="testnet")
    assert (whole.ws_url, whole.rest_url, whole.chain_id) == (testnet.ws_url, testnet.rest_url, 326)
    partial = grvt.Environment(ws_url=testnet.ws_url, rest_url=testnet.rest_url)
    module = SimpleNamespace(EXCHANGE="grvt", PATTERN=grvt.PATTERN, CONFIG=config_with(grvt, environments={"testnet": partial}))
    with pytest.raises(ValueError, match="names no chain id; it would sign for production's"):
        config_with(module, environment="testnet")  # type: ignore[call-overload]
    assert config_with(module, environment="testnet", chain_id=326).chain_id == 326  # type: ignore[call-overload]
