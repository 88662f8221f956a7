"""Binance.US end to end through ``wsauth.session.Session`` against a loopback
fake (``tests/fakes/binanceus.py``) that enforces the documented listen-key
rules: the key in the socket's path, and a keep-alive PUT that must name the
current key in its ``listenKey`` parameter ("listenKey | STRING | YES") or is
refused with -1125 (Binance.US's user-data-stream.md, errors.md)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from tests.fakes import start_fake
from tests.session_checks import Leaks, leaks, loopback_only, run  # noqa: F401 (autouse fixtures)
from wsauth import binanceus
from wsauth.session import Backoff, Session, config_with

API_KEY = "key-binanceus-0123456789"
SECRET = "secret-binanceus-not-used-by-the-stream"
FAST = Backoff(first_s=0.01, max_s=0.05, attempts=2)


def _session(server: object, keepalive_ms: int) -> Session:
    config = config_with(binanceus, ws_url=server.ws_url, rest_url=server.rest_url, keepalive_ms=keepalive_ms)  # type: ignore[attr-defined]
    credentials = binanceus.Credentials(api_key=API_KEY, secret=SECRET)
    return Session(binanceus, credentials, config=config, auth_timeout_s=3.0, backoff=FAST)


@run
async def test_the_keepalive_names_the_listen_key_and_keeps_the_socket(leaks: Leaks) -> None:
    async with start_fake("binanceus", api_key=API_KEY, secret=SECRET, password=None) as server:
        leaks.fakes.append(server)
        async with _session(server, keepalive_ms=150) as s:
            for _ in range(60):
                if len(server.keepalive_keys) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert s.authenticated
            key = server.listen_keys[0]
            assert server.keepalive_keys[:2] == [key, key]
            assert server.connections == 1 and server.listen_keys == [key]  # kept alive, never replaced
    puts = [call for call in server.rest_seen if call[0] == "PUT"]
    assert puts and all(parse_qs(call[3]) == {"listenKey": [key]} for call in puts)
    assert server.rest_seen[0][0] == "POST" and server.rest_seen[0][3] == ""


@run
async def test_a_refused_keepalive_brings_a_new_listen_key_and_socket(leaks: Leaks) -> None:
    async with start_fake("binanceus", api_key=API_KEY, secret=SECRET, password=None, refuse_keepalive=True) as server:
        leaks.fakes.append(server)
        async with _session(server, keepalive_ms=150) as s:
            for _ in range(60):
                if len(server.listen_keys) >= 2 and server.connections >= 2 and s.authenticated:
                    break
                await asyncio.sleep(0.05)
            assert len(server.listen_keys) >= 2 and server.connections >= 2 and s.authenticated
    assert [call[0] for call in server.rest_seen][:3] == ["POST", "PUT", "POST"]


@run
async def test_the_fake_refuses_a_keepalive_without_the_current_key(leaks: Leaks) -> None:
    # The fake's own rule, checked with a plain HTTP client (not the module).
    import httpx

    async with start_fake("binanceus", api_key=API_KEY, secret=SECRET, password=None) as server:
        leaks.fakes.append(server)
        form = {"X-MBX-APIKEY": API_KEY, "Content-Type": "application/x-www-form-urlencoded"}
        async with httpx.AsyncClient(proxy=None, trust_env=False) as client:
            key = (await client.post(server.rest_url, headers=form)).json()["listenKey"]
            for body in ("", "listenKey=other", f"listenkey={key}"):
                refused = await client.put(server.rest_url, headers=form, content=body)
                assert (refused.status_code, refused.json()["code"]) == (400, -1125), body
                assert (await client.post(server.rest_url, headers=form)).json()["listenKey"] == key  # still the one key
            accepted = await client.put(server.rest_url, headers=form, content=f"listenKey={key}")
            assert (accepted.status_code, accepted.json()) == (200, {})
            assert (await client.put(server.rest_url, headers=form, params={"listenKey": key})).status_code == 200
