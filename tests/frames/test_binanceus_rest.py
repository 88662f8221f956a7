"""Binance.US's user data stream: the module's REST calls equal what ccxt
4.5.90's own binanceus REST methods build (``public_post_userdatastream`` …,
through its ``sign()``; its clock frozen, its network replaced by a recorder),
and the socket and keep-alive are the ones the Binance.US docs publish
(tests/fixtures/published/binanceus.json). ccxt's WebSocket code is not a
reference here: it sends Binance.US private-stream auth to Binance global's
WS-API host (exchanges.toml [binanceus])."""

from __future__ import annotations

import json
from typing import Any

import ccxt  # type: ignore[import-untyped]
import pytest

from tests.paths import FIXTURES
from tests.reference.ccxt_capture import CLOCKS_MS, CREDENTIALS
from wsauth import binanceus

(DOCUMENTED,) = json.loads((FIXTURES / "published" / "binanceus.json").read_text(encoding="utf-8"))
LISTEN_KEY = DOCUMENTED["create_response"]["listenKey"]


def _ccxt_calls(api_key: str, secret: str, now_ms: int, listen_key: str) -> list[dict[str, Any]]:
    """What ccxt's binanceus sends to create, keep alive and close a listen key."""
    exchange = ccxt.binanceus({"apiKey": api_key, "secret": secret})
    exchange.milliseconds = lambda: now_ms  # frozen: nothing here may depend on it
    exchange.seconds = lambda: now_ms // 1000
    sent: list[dict[str, Any]] = []

    def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        sent.append({"method": method, "url": url, "headers": dict(headers or {}), "body": body})
        return {"listenKey": listen_key} if method == "POST" else {}

    exchange.fetch = fetch
    assert exchange.public_post_userdatastream() == {"listenKey": listen_key}
    exchange.public_put_userdatastream({"listenKey": listen_key})
    exchange.public_delete_userdatastream({"listenKey": listen_key})
    return sent


def _ours(request: Any) -> dict[str, Any]:
    return {"method": request.method, "url": request.url, "headers": dict(request.headers), "body": request.body}


@pytest.mark.parametrize("credentials", ["A", "B"])
@pytest.mark.parametrize("clock", [0, 1])
def test_rest_calls_equal_ccxt_binanceus_sign(credentials: str, clock: int) -> None:
    given = CREDENTIALS[credentials]
    now_ms = CLOCKS_MS[clock]
    token = f"{credentials}{clock}" + LISTEN_KEY[2:]
    create, keepalive, close = _ccxt_calls(given["api_key"], given["secret"], now_ms, token)
    module_credentials = binanceus.Credentials(api_key=given["api_key"], secret=given["secret"])
    first = binanceus.pre_auth(module_credentials, opts={"now_ms": now_ms})
    assert first.request is not None and _ours(first.request) == create
    assert first.ws_url is None and first.keepalive is None and first.close is None  # the token is not known yet
    assert first.read_token(200, json.dumps({"listenKey": token})) == token
    then = binanceus.pre_auth(module_credentials, opts={"now_ms": now_ms, "token": token})
    assert then.keepalive is not None and then.close is not None
    assert _ours(then.keepalive) == keepalive
    assert _ours(then.close) == close


def test_socket_and_keepalive_are_the_documented_ones() -> None:
    credentials = binanceus.Credentials(api_key="documented-example", secret="unused")
    first = binanceus.pre_auth(credentials)
    assert first.request is not None
    assert (first.request.method, first.request.url) == (DOCUMENTED["create"]["method"], DOCUMENTED["create"]["url"])
    assert first.request.headers[DOCUMENTED["create"]["api_key_header"]] == "documented-example"
    assert first.request.body == ""  # "Parameters: NONE"
    token = first.read_token(200, json.dumps(DOCUMENTED["create_response"]))
    then = binanceus.pre_auth(credentials, opts={"token": token})
    assert then.ws_url == DOCUMENTED["ws_url"]
    assert then.keepalive is not None and then.close is not None
    for call, documented in ((then.keepalive, DOCUMENTED["keepalive"]), (then.close, DOCUMENTED["close"])):
        assert (call.method, call.url) == (documented["method"], documented["url"])
        assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert call.body == "&".join(f"{k}={v}" for k, v in documented["parameters"].items())
    assert then.keepalive_ms == DOCUMENTED["keepalive"]["every_ms"] < DOCUMENTED["keepalive"]["valid_ms"]
    assert binanceus.CONFIG.session_ttl_ms == DOCUMENTED["keepalive"]["valid_ms"]


def test_no_call_goes_to_binance_global() -> None:
    credentials = binanceus.Credentials(api_key="k", secret="s")
    then = binanceus.pre_auth(credentials, opts={"token": LISTEN_KEY})
    urls = [then.ws_url, then.request.url if then.request else None, then.keepalive.url if then.keepalive else None]
    assert all(url is not None and ".binance.us" in url and "binance.com" not in url for url in urls)
