"""wsauth.session end to end, against the fake exchanges on 127.0.0.1: every
flow, and the faults a real connection meets. Across the whole file, every log
record, exception text and repr is checked for secrets, signatures, tokens and
listen keys, and nothing may resolve a non-loopback address."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.fakes import start_fake
from tests.session_checks import Leaks, run
from tests.reference.ccxt_capture import private_key
from wsauth import (
    backpack, binance, binanceusdm, bingx, bitfinex, bullish, bybit, deribit, gate, hollaex, kraken, krakenfutures, kucoin,
    lbank, weex,
)
from wsauth.session import (
    AuthenticationFailed,
    AuthTimeout,
    Backoff,
    ConnectionLost,
    PreAuthFailed,
    PreAuthRefused,
    PreAuthUnavailable,
    Session,
    SessionError,
    Subscription,
    config_with,
    fetch_pre_auth,
)

API_KEY = "key-session-0123456789"
SECRET = "secret-session-Bz7tQ1xN4mK8pR2vW6yC3dF5gH9jL0aS"
SECRET_B64 = base64.b64encode(b"session secret bytes, 0123456789abcdef!").decode()
PASSWORD = "passphrase-session-42"
FAST = Backoff(first_s=0.01, max_s=0.05, attempts=3)
LEAK_SECRETS = (SECRET, SECRET_B64, PASSWORD)


@asynccontextmanager
async def fake(leaks: Leaks, kind: str, **knobs: Any) -> AsyncIterator[Any]:
    secret = SECRET_B64 if kind in ("kraken", "krakenfutures") else SECRET
    async with start_fake(kind, api_key=API_KEY, secret=secret, password=PASSWORD, **knobs) as server:
        leaks.fakes.append(server)
        yield server


def session(module: Any, server: Any, *, secret: str | None = None, **kwargs: Any) -> Session:
    secret = secret or (SECRET_B64 if module in (kraken, krakenfutures) else SECRET)
    changes = {"ws_url": server.ws_url}
    if server.rest_url:
        changes["rest_url"] = server.rest_url
    market = kwargs.pop("market_type", None)
    config = config_with(module, market_type=market, **{**changes, **kwargs.pop("config", {})})
    credentials = module.Credentials(api_key=API_KEY, secret=secret, password=PASSWORD)
    return Session(module, credentials, config=config, market_type=market, auth_timeout_s=kwargs.pop("auth_timeout_s", 3.0), backoff=kwargs.pop("backoff", FAST), **kwargs)


async def next_json(s: Session, timeout: float = 3.0) -> str:
    """The next text frame for the caller, skipping nothing silently."""
    frame = await asyncio.wait_for(s.recv(), timeout)
    assert isinstance(frame, str), frame
    return frame


GATE_ORDERS = Subscription({"id": 1, "channel": "spot.orders", "event": "subscribe", "payload": ["!all"]}, channel="spot.orders")
KRAKEN_EXECUTIONS = Subscription({"method": "subscribe", "params": {"channel": "executions"}})
KF_OPEN_ORDERS = Subscription({"event": "subscribe", "feed": "open_orders"})
DERIBIT_ORDERS = Subscription({"jsonrpc": "2.0", "id": 99, "method": "private/subscribe", "params": {"channels": ["user.orders.any.any.raw"]}})

# One end-to-end case per flow: (module, fake kind, subscriptions).
FLOWS = {
    "direct": (bybit, "bybit", [Subscription({"op": "subscribe", "args": ["wallet"]})]),
    "direct-jsonrpc": (deribit, "deribit", [DERIBIT_ORDERS]),
    "direct-nonce": (bitfinex, "bitfinex", []),
    "pre_auth-listen-key": (binanceusdm, "binanceusdm", []),
    "pre_auth-signed-query": (bingx, "bingx", []),
    "pre_auth-token": (kraken, "kraken", [KRAKEN_EXECUTIONS]),
    "inline": (gate, "gate", [GATE_ORDERS]),
    "challenge": (krakenfutures, "krakenfutures", [KF_OPEN_ORDERS]),
    # Nothing sent to authenticate: the upgrade request itself is signed.
    "handshake-headers": (weex, "weex", [Subscription({"id": "1", "method": "SUBSCRIBE", "params": ["orders"]})]),
    "handshake-url": (hollaex, "hollaex", [Subscription({"op": "subscribe", "args": ["order"]})]),
    # A signed REST login, its JWT as the handshake's cookie.
    "pre_auth-handshake-cookie": (bullish, "bullish", [Subscription({"jsonrpc": "2.0", "type": "command", "method": "subscribe", "params": {"topic": "orders"}, "id": "1"})]),
}


@pytest.mark.parametrize("flow", sorted(FLOWS))
@run
async def test_every_flow_authenticates_end_to_end(flow: str, leaks: Leaks) -> None:
    module, kind, subscriptions = FLOWS[flow]
    async with fake(leaks, kind) as server:
        s = session(module, server, subscriptions=subscriptions)
        assert not s.authenticated
        async with s:
            assert s.authenticated and server.auth_ok >= 1
            leaks.see(s, s._pre)
        assert not s.authenticated
    if module is binanceusdm:  # the listen key was created over real HTTP, and released on close
        assert [call[0] for call in server.rest_seen] == ["POST", "DELETE"]


@pytest.mark.parametrize("flow", sorted(set(FLOWS) - {"pre_auth-listen-key"}))  # a listen key signs nothing
@run
async def test_wrong_secret_is_refused_with_the_servers_reason_once(flow: str, leaks: Leaks) -> None:
    module, kind, subscriptions = FLOWS[flow]
    wrong = base64.b64encode(b"another secret entirely, 0123456789").decode() if module in (kraken, krakenfutures) else "wrong-secret-0123456789"
    leaks.secrets.add(wrong)
    async with fake(leaks, kind) as server:
        s = session(module, server, secret=wrong, subscriptions=subscriptions)
        refused_by_rest = module in (kraken, bullish, bingx)  # the REST call is the first to see the secret
        expected = PreAuthRefused if refused_by_rest else AuthenticationFailed
        with pytest.raises(expected) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert refused.value.reason  # the server's own words
        assert refused.value.exchange == module.EXCHANGE and refused.value.host and refused.value.host.startswith("127.0.0.1:")
        assert not s.authenticated and server.auth_ok == 0
        await asyncio.sleep(0.2)
        assert server.connections <= 1  # refused once, never retried


@run
async def test_wrong_api_key_for_a_listen_key_is_the_exchanges_error(leaks: Leaks) -> None:
    async with fake(leaks, "binanceusdm") as server:
        s = Session(binanceusdm, binanceusdm.Credentials(api_key="not-the-key-0123", secret=SECRET),
                    config=config_with(binanceusdm, ws_url=server.ws_url, rest_url=server.rest_url))
        with pytest.raises(PreAuthRefused) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert refused.value.status == 401 and refused.value.code == "-2015" and refused.value.message
        assert server.connections == 0


@pytest.mark.parametrize("status, error", [(401, PreAuthRefused), (410, PreAuthRefused), (500, PreAuthUnavailable)])
@run
async def test_rest_errors_are_typed_with_the_exchanges_code(status: int, error: type[PreAuthFailed], leaks: Leaks) -> None:
    async with fake(leaks, "kraken", rest_status=status) as server:
        with pytest.raises(error) as refused:
            await session(kraken, server, subscriptions=[KRAKEN_EXECUTIONS]).connect()
        leaks.see(refused.value)
        assert refused.value.status == status and refused.value.message
        assert server.connections == 0  # nothing opened after a refused pre-auth


@run
async def test_a_server_that_never_answers_times_out_in_bound(leaks: Leaks) -> None:
    async with fake(leaks, "bybit", silent_auth=True) as server:
        s = session(bybit, server, auth_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(AuthTimeout) as late:
            await s.connect()
        leaks.see(late.value)
        assert time.monotonic() - started < 2.0
        assert not s.authenticated


@pytest.mark.parametrize("how", [True, "abort"])
@run
async def test_the_server_closing_during_auth_is_a_lost_connection(how: object, leaks: Leaks) -> None:
    async with fake(leaks, "deribit", close_during_auth=how) as server:
        s = session(deribit, server)
        with pytest.raises(ConnectionLost) as lost:
            await s.connect()
        leaks.see(lost.value)
        assert not s.authenticated


@run
async def test_frames_before_the_verdict_are_kept_for_the_caller_in_order(leaks: Leaks) -> None:
    early: list[Any] = [{"op": "pong", "args": ["1"]}, b"\x00\x01binary", b"", "", "not json", {"topic": "wallet", "data": []}]
    async with fake(leaks, "bybit", before_verdict=early) as server:
        async with session(bybit, server) as s:
            got = [await asyncio.wait_for(s.recv(), 3) for _ in early]
    assert got[1:5] == [b"\x00\x01binary", b"", "", "not json"]
    assert '"pong"' in got[0] and '"wallet"' in got[5]


@run
async def test_heartbeats_before_the_challenge_are_not_a_failure(leaks: Leaks) -> None:
    async with fake(leaks, "krakenfutures", before_verdict=[{"feed": "heartbeat", "time": 1}]) as server:
        async with session(krakenfutures, server, subscriptions=[KF_OPEN_ORDERS]) as s:
            assert s.authenticated
            assert '"heartbeat"' in await next_json(s)


@run
async def test_the_lifetime_ending_reauthenticates_on_the_same_socket(leaks: Leaks) -> None:
    # Deribit states the lifetime in its reply: re-auth at 80% of it, keeping
    # the socket and so the caller's subscriptions.
    async with fake(leaks, "deribit", session_ttl_s=0.5) as server:
        async with session(deribit, server, subscriptions=[DERIBIT_ORDERS]) as s:
            await asyncio.sleep(1.1)
            assert server.auth_ok >= 2 and server.connections == 1
            assert s.authenticated
    subscribes = [frame for frame in server.seen if "private/subscribe" in str(frame)]
    assert len(subscribes) == 1


@run
async def test_renewal_comes_at_80_percent_of_the_stated_lifetime_before_it_ends(leaks: Leaks) -> None:
    # Deribit states a 2 s lifetime: the second login must come at 1.6 s,
    # well before the session ends (at 90 % or after expiry it would not).
    async with fake(leaks, "deribit", session_ttl_s=2.0) as server:
        async with session(deribit, server, subscriptions=[DERIBIT_ORDERS]):
            loop = asyncio.get_running_loop()
            first = loop.time()
            while server.auth_ok < 2 and loop.time() - first < 4:
                await asyncio.sleep(0.01)
            renewed_after = loop.time() - first
    assert server.auth_ok >= 2
    assert 1.5 <= renewed_after < 1.75, renewed_after


@run
async def test_a_session_the_server_ends_is_rebuilt_with_its_subscriptions(leaks: Leaks) -> None:
    # Bybit states no lifetime; the fake closes the socket after it: the
    # session reconnects and runs the whole sequence, subscriptions included.
    wallet = Subscription({"op": "subscribe", "args": ["wallet"]})
    async with fake(leaks, "bybit", session_ttl_s=0.3) as server:
        async with session(bybit, server, subscriptions=[wallet]) as s:
            for _ in range(50):
                if server.connections >= 2 and s.authenticated:
                    break
                await asyncio.sleep(0.05)
            assert server.connections >= 2 and server.auth_ok >= 2 and s.authenticated
    subscribes = [frame for frame in server.seen if '"subscribe"' in str(frame)]
    assert len(subscribes) >= 2


@run
async def test_a_refused_keepalive_brings_a_new_listen_key_and_url(leaks: Leaks) -> None:
    async with fake(leaks, "binanceusdm", refuse_keepalive=True) as server:
        async with session(binanceusdm, server, config={"keepalive_ms": 200}) as s:
            first = s._token
            for _ in range(60):
                if s._token not in (None, first) and s.authenticated:
                    break
                await asyncio.sleep(0.05)
            assert s._token not in (None, first) and s.authenticated
            assert server.connections >= 2
    methods = [call[0] for call in server.rest_seen]
    assert methods[:3] == ["POST", "PUT", "POST"]


@run
async def test_listen_keys_are_kept_alive_on_the_configured_interval(leaks: Leaks) -> None:
    # keepalive_ms = 300: a PUT at about 0.3, 0.6 and 0.9 s (fewer on a loaded
    # machine), never none and never a stream of them.
    async with fake(leaks, "binanceusdm") as server, session(binanceusdm, server, config={"keepalive_ms": 300}):
        await asyncio.sleep(1.05)
    puts = [call for call in server.rest_seen if call[0] == "PUT"]
    assert 1 <= len(puts) <= 4, [call[0] for call in server.rest_seen]


@run
async def test_an_expired_listen_key_is_replaced(leaks: Leaks) -> None:
    async with fake(leaks, "binanceusdm") as server:
        async with session(binanceusdm, server) as s:
            await server.expire_listen_key()
            for _ in range(60):
                if server.connections >= 2 and s.authenticated:
                    break
                await asyncio.sleep(0.05)
            assert server.connections >= 2 and s.authenticated
    # The expired key was replaced by a new one, created over REST.
    assert [call[0] for call in server.rest_seen].count("POST") >= 2


@run
async def test_two_sessions_on_one_key_keep_nonces_increasing(leaks: Leaks) -> None:
    async with fake(leaks, "bitfinex") as server:
        first, second = session(bitfinex, server), session(bitfinex, server)
        await asyncio.gather(first.connect(), second.connect())
        third = session(bitfinex, server)
        await third.connect()
        assert server.auth_ok == 3  # the fake refuses any nonce not above the last
        for s in (first, second, third):
            await s.close()


@run
async def test_two_kraken_sessions_fetch_tokens_with_increasing_nonces(leaks: Leaks) -> None:
    async with fake(leaks, "kraken") as server:
        sessions = [session(kraken, server, subscriptions=[KRAKEN_EXECUTIONS]) for _ in range(3)]
        await asyncio.gather(*(s.connect() for s in sessions))
        assert all(s.authenticated for s in sessions) and len(server.rest_seen) == 3
        for s in sessions:
            await s.close()


@run
async def test_a_reconnect_storm_is_bounded(leaks: Leaks, caplog: pytest.LogCaptureFixture) -> None:
    async with fake(leaks, "bybit") as server:
        s = session(bybit, server, backoff=Backoff(first_s=0.01, max_s=0.02, attempts=3))
        await s.connect()
    # The exchange is gone: every reconnect is refused, and the session gives up.
    with pytest.raises(SessionError) as gave_up:
        while True:
            await asyncio.wait_for(s.recv(), 5)
    leaks.see(gave_up.value)
    assert "gave up after 3 reconnects" in str(gave_up.value)
    attempts = [r for r in caplog.records if "reconnect failed" in r.getMessage()]
    assert len(attempts) == 3
    await asyncio.sleep(0.2)
    assert len([r for r in caplog.records if "reconnect failed" in r.getMessage()]) == 3
    await s.close()


@run
async def test_bad_input_fails_before_any_network_call(leaks: Leaks) -> None:
    async with fake(leaks, "kraken") as server:
        credentials = kraken.Credentials(api_key=API_KEY, secret="not base64!")
        s = Session(kraken, credentials, config=config_with(kraken, ws_url=server.ws_url, rest_url=server.rest_url))
        with pytest.raises(kraken.WsAuthInputError) as bad:
            await s.connect()
        leaks.see(bad.value)
        assert server.rest_seen == [] and server.connections == 0


@run
async def test_an_inline_flow_without_subscriptions_is_not_called_authenticated(leaks: Leaks) -> None:
    async with fake(leaks, "gate") as server:
        with pytest.raises(SessionError):
            await session(gate, server).connect()


@run
async def test_a_clock_offset_is_applied(leaks: Leaks) -> None:
    # The exchange's clock is 60 s ahead: without the offset the fake's 30 s
    # window refuses the timestamp, with it the login goes through.
    async with fake(leaks, "gate", clock_offset_ms=60_000) as server:
        with pytest.raises(AuthenticationFailed):
            await session(gate, server, subscriptions=[GATE_ORDERS]).connect()
        async with session(gate, server, subscriptions=[GATE_ORDERS], clock_offset_ms=60_000) as s:
            assert s.authenticated


@run
async def test_a_query_signed_with_a_stale_clock_is_refused_and_the_offset_fixes_it(leaks: Leaks) -> None:
    async with fake(leaks, "bingx") as server:
        with pytest.raises(PreAuthRefused) as refused:
            await session(bingx, server, clock_offset_ms=-120_000).connect()
        leaks.see(refused.value)
        assert refused.value.status == 200 and refused.value.code == "100001" and server.connections == 0
        s = session(bingx, server, market_type="linear", config={"ws_url": server.ws_url.replace("/market", "/swap-market")})
        async with s:
            assert s.authenticated and server.auth_ok == 1
            leaks.see(s, s._pre)
        method, target, _, body = server.rest_seen[-1]
        assert method == "POST" and "&signature=" in target and body == ""


@run
async def test_a_token_sent_in_an_auth_frame_authenticates_end_to_end(leaks: Leaks) -> None:
    async with fake(leaks, "binancemargin") as server:
        s = session(binance, server, market_type="margin")
        async with s:
            assert s.authenticated and server.auth_ok == 1 and server.connections == 1
            leaks.see(s, s._pre)
        assert [call[0] for call in server.rest_seen] == ["POST"]  # the token came over real HTTP
        assert any(token in str(frame) for frame in server.seen for token in server.tokens)  # and went in the frame


@run
async def test_a_token_in_a_frame_is_renewed_with_a_new_token_on_the_same_socket(leaks: Leaks) -> None:
    async with fake(leaks, "binancemargin") as server:
        s = session(binance, server, market_type="margin", config={"session_ttl_ms": 500})
        async with s:
            for _ in range(100):
                if server.auth_ok >= 2:
                    break
                await asyncio.sleep(0.02)
            assert server.auth_ok >= 2 and server.connections == 1  # renewed, not reconnected
            assert len(server.rest_seen) >= 2 and len(server.tokens) >= 2  # a fresh token each time
            assert s.authenticated


@run
async def test_a_refused_token_in_a_frame_is_the_servers_verdict(leaks: Leaks) -> None:
    async with fake(leaks, "binancemargin", session_ttl_s=0) as server:  # every token is born expired
        s = session(binance, server, market_type="margin")
        with pytest.raises(AuthenticationFailed) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert refused.value.code == "-1209" and refused.value.reason
        assert server.auth_ok == 0 and server.connections == 1
    async with fake(leaks, "binancemargin") as server:
        s = Session(binance, binance.Credentials(api_key="not-the-key-0123", secret=SECRET), market_type="margin",
                    config=config_with(binance, market_type="margin", ws_url=server.ws_url, rest_url=server.rest_url))
        with pytest.raises(PreAuthRefused) as rest_refused:
            await s.connect()
        leaks.see(rest_refused.value)
        assert rest_refused.value.status == 401 and rest_refused.value.code == "-2015" and server.connections == 0


LBANK_BALANCE = Subscription({"action": "subscribe", "subscribe": "assetUpdate"})


@run
async def test_a_token_in_subscribes_nothing_answers_is_not_waited_for(leaks: Leaks) -> None:
    async with fake(leaks, "lbank") as server:
        s = session(lbank, server, subscriptions=[LBANK_BALANCE], auth_timeout_s=1.0)
        started = time.monotonic()
        async with s:
            assert s.authenticated and time.monotonic() - started < 0.9  # no verdict awaited: LBank sends none
            for _ in range(50):
                if server.auth_ok:
                    break
                await asyncio.sleep(0.01)
            assert server.auth_ok == 1 and server.keys[0] in str(server.seen[-1])
            leaks.see(s, s._pre)
    async with fake(leaks, "lbank") as server:
        leaks.secrets.add("wrong-secret-0123")
        with pytest.raises(PreAuthRefused) as refused:
            await session(lbank, server, secret="wrong-secret-0123", subscriptions=[LBANK_BALANCE]).connect()
        leaks.see(refused.value)
        assert refused.value.code == "10007" and server.connections == 0


UNUSED_WS_URL = "ws://127.0.0.1:9/configured-but-unused"  # the bullet reply names the socket


@run
async def test_a_socket_named_by_the_rest_reply_is_opened_and_pinged(leaks: Leaks) -> None:
    async with fake(leaks, "kucoin", ping_interval_ms=100) as server:
        s = session(kucoin, server, config={"ws_url": UNUSED_WS_URL})
        async with s:
            assert s.authenticated and server.auth_ok == 1 and server.connections == 1  # after the welcome
            leaks.see(s, s._pre)
            await asyncio.sleep(0.35)
            assert server.pings >= 2  # KuCoin's JSON ping, on the interval its reply stated
            assert len(set(server.ping_ids)) == len(server.ping_ids), server.ping_ids  # a fresh id each (ccxt's request_id())
        method, target, headers, _ = server.rest_seen[0]
        assert method == "POST" and target == "/api/v1/bullet-private"


@pytest.mark.parametrize(
    "change, code",
    [({"secret": "wrong-secret-0123456789"}, "400005"), ({"password": "wrong-passphrase"}, "400004"), ({"clock_offset_ms": -120_000}, "400002")],
    ids=["secret", "passphrase", "stale clock"],
)
@run
async def test_a_refused_bullet_is_the_exchanges_error(change: dict[str, Any], code: str, leaks: Leaks) -> None:
    leaks.secrets |= {v for k, v in change.items() if k in ("secret", "password")}
    async with fake(leaks, "kucoin") as server:
        config = config_with(kucoin, ws_url=UNUSED_WS_URL, rest_url=server.rest_url)
        credentials = kucoin.Credentials(api_key=API_KEY, secret=change.get("secret", SECRET), password=change.get("password", PASSWORD))
        s = Session(kucoin, credentials, config=config, clock_offset_ms=change.get("clock_offset_ms", 0), backoff=FAST)
        with pytest.raises(PreAuthRefused) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert refused.value.status == 401 and refused.value.code == code and server.connections == 0


@run
async def test_a_token_the_socket_refuses_is_the_servers_verdict(leaks: Leaks) -> None:
    async with fake(leaks, "kucoin", refuse_token=True) as server:
        s = session(kucoin, server, config={"ws_url": UNUSED_WS_URL})
        with pytest.raises(AuthenticationFailed) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert refused.value.reason == "token is expired" and refused.value.code == "401"
        assert not s.authenticated and server.auth_ok == 0


@pytest.mark.parametrize("module, kind", [(binanceusdm, "binanceusdm"), (kraken, "kraken"), (bingx, "bingx"), (kucoin, "kucoin")])
@run
async def test_fetch_pre_auth_with_an_injected_client(module: Any, kind: str, leaks: Leaks) -> None:
    async with fake(leaks, kind) as server:
        secret = SECRET_B64 if module is kraken else SECRET
        config = config_with(module, ws_url=server.ws_url, rest_url=server.rest_url)
        async with httpx.AsyncClient() as client:
            result = await fetch_pre_auth(module, module.Credentials(api_key=API_KEY, secret=secret, password=PASSWORD), config=config, http=client)
            assert not client.is_closed  # the caller's client is the caller's to close
        assert result is not None and result.token in server.signatures  # what the fake issued
        assert result.ws_url.startswith(server.ws_url)
        assert (result.token in result.ws_url) is (module is not kraken)  # a listen key goes in the URL
        assert result.keepalive_ms == (1_800_000 if module is binanceusdm else None)
        assert result.ping_interval_ms == (18000 if module is kucoin else None)  # what the reply stated
        leaks.see(result)
    assert await fetch_pre_auth(bybit, bybit.Credentials(api_key=API_KEY, secret=SECRET)) is None


@run
async def test_an_inline_verdict_is_matched_to_the_callers_own_subscribe_id(leaks: Leaks) -> None:
    # The caller numbers its subscribe frames; the server echoes that id in the
    # verdict, whatever the session's own request counter says.
    orders = Subscription({"id": 4242, "channel": "spot.orders", "event": "subscribe", "payload": ["!all"]}, channel="spot.orders")
    async with fake(leaks, "gate") as server:
        async with session(gate, server, subscriptions=[orders]) as s:
            assert s.authenticated and server.auth_ok == 1


# Backpack answers a signed private subscribe only to refuse it: success is
# silence (catalogue [backpack]: reply.success = [], so the module's
# Config.unanswered_subscribes is "refusals").
BACKPACK_SEED = private_key("A", "ed25519_seed_base64")
BACKPACK_ORDERS = Subscription({"method": "SUBSCRIBE", "params": ["account.orderUpdate"]})
BACKPACK_REFUSAL = {"id": None, "error": {"code": 4006, "message": "Invalid signature"}}


@asynccontextmanager
async def backpack_stream(*, refuse: bool = False) -> AsyncIterator[dict[str, Any]]:
    """A loopback stand-in for Backpack's private stream. It checks each
    signed subscribe with its own code (Ed25519 over ``instruction=subscribe
    &timestamp=..&window=..`` against the public key, the API key, and the
    timestamp within the window) and, as Backpack does, answers a valid one
    with nothing and an invalid one (or any, with ``refuse``) with its error
    envelope. ``state["accepted"]`` counts the valid ones."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from websockets.asyncio.server import ServerConnection, serve

    public = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(backpack_public_key()))
    state: dict[str, Any] = {"accepted": 0, "handshakes": 0, "sockets": [], "refuse": refuse}

    async def handler(conn: ServerConnection) -> None:
        state["handshakes"] += 1
        state["sockets"].append(conn)
        async for message in conn:
            frame = json.loads(message)
            key, signature, timestamp, window = frame.get("signature", ["", "", "0", "0"])
            try:
                public.verify(base64.b64decode(signature), f"instruction=subscribe&timestamp={timestamp}&window={window}".encode())
                valid = key == backpack_public_key()
                valid &= abs(time.time() * 1000 - int(timestamp)) <= int(window)
            except (InvalidSignature, ValueError):
                valid = False
            if valid and not state["refuse"]:
                state["accepted"] += 1
            else:
                await conn.send(json.dumps(BACKPACK_REFUSAL))

    async with serve(handler, "127.0.0.1", 0) as server:
        state["url"] = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        yield state


def backpack_public_key() -> str:
    """Backpack's API key: the public key, base64."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    seed = base64.b64decode(BACKPACK_SEED)
    return base64.b64encode(ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()).decode()


def backpack_session(url: str) -> Session:
    credentials = backpack.Credentials(api_key=backpack_public_key(), secret="", private_key=BACKPACK_SEED)
    return Session(backpack, credentials, subscriptions=[BACKPACK_ORDERS], config=config_with(backpack, ws_url=url),
                   auth_timeout_s=3.0, refusal_window_s=0.3, backoff=FAST)


@run
async def test_signed_subscribes_answered_only_to_refuse_are_accepted_by_silence(leaks: Leaks) -> None:
    leaks.secrets.add(BACKPACK_SEED)
    async with backpack_stream() as exchange:
        s = backpack_session(exchange["url"])
        started = time.monotonic()
        async with s:  # before Config.unanswered_subscribes: AuthTimeout, waiting for an ack that never comes
            assert s.authenticated and exchange["accepted"] == 1
            assert 0.25 <= time.monotonic() - started < 2.0  # the refusal window, not the auth timeout
            leaks.see(s)


@run
async def test_a_refusal_of_an_unanswered_subscribe_is_final(leaks: Leaks) -> None:
    leaks.secrets.add(BACKPACK_SEED)
    async with backpack_stream(refuse=True) as exchange:
        s = backpack_session(exchange["url"])
        with pytest.raises(AuthenticationFailed) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert (refused.value.reason, refused.value.code) == ("Invalid signature", "4006")
        await asyncio.sleep(0.1)
        assert not s.authenticated and exchange["handshakes"] == 1  # never retried


@run
async def test_a_refusal_after_the_window_ends_the_authentication_and_a_repeated_one_is_final(leaks: Leaks) -> None:
    # Past the window the connection is authenticated; a refusal arriving
    # then (a slow server) ends it, and the supervisor runs the whole sequence
    # again: accepted in silence it goes on, refused within the window it stops.
    leaks.secrets.add(BACKPACK_SEED)
    async with backpack_stream() as exchange:
        s = backpack_session(exchange["url"])
        async with s:
            await exchange["sockets"][-1].send(json.dumps(BACKPACK_REFUSAL))
            for _ in range(200):
                if exchange["handshakes"] == 2 and s.authenticated:
                    break
                await asyncio.sleep(0.01)
            assert exchange["handshakes"] == 2 and exchange["accepted"] == 2 and s.authenticated
    async with backpack_stream() as exchange:
        s = backpack_session(exchange["url"])
        await s.connect()
        exchange["refuse"] = True  # from now on every subscribe is refused at once
        await exchange["sockets"][-1].send(json.dumps(BACKPACK_REFUSAL))
        with pytest.raises(AuthenticationFailed):
            await asyncio.wait_for(s.recv(), 3.0)
        assert not s.authenticated and exchange["handshakes"] == 2
        await s.close()


def test_the_defaults_are_the_documented_bounds() -> None:
    # README, "The session's life": 10 s for the whole connect, backoff from
    # 0.5 s doubling to 30 s, 8 reconnects, 10 s up before a connection counts
    # as stable, 1 MiB messages. A default that drifts (a connect that may hang
    # for minutes, a session that never gives up, a storm) fails here.
    s = Session(bybit, bybit.Credentials(api_key=API_KEY, secret=SECRET))
    assert (s.auth_timeout_s, s.refusal_window_s, s.max_size) == (10.0, 1.0, 2**20)
    default = Backoff()
    assert (default.first_s, default.factor, default.max_s, default.attempts, default.stable_s) == (0.5, 2.0, 30.0, 8, 10.0)
    assert s.backoff == default


def test_backoff_delays_double_to_the_ceiling_each_jittered_down_to_half() -> None:
    backoff = Backoff(first_s=0.5, factor=2.0, max_s=30.0, attempts=9)
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]  # written out, not recomputed
    for attempt, ceiling in enumerate(ceilings):
        delays = [backoff.delay(attempt) for _ in range(400)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling, (attempt, min(delays), max(delays))
        assert max(delays) - min(delays) > ceiling / 4  # jittered over the half-range, not fixed
    assert len(list(backoff.delays())) == 9
