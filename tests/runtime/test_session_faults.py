"""wsauth.session under faults (issue 14, "The session"): each test drives a
loopback fake that reproduces one fault and has a deadline of a few seconds,
so a hang is a failure, never a stuck suite. Every error the caller meets is
a SessionError naming the exchange and the host; nothing logged, raised or
repr'd holds a secret, signature, token or listen key (tests.session_checks)."""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import logging.config
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest

from tests.fakes import start_fake
from tests.fakes.faults import dribbling_http, silent_upgrade, slower_first
from tests.session_checks import Leaks, eventually, run
from wsauth import binanceusdm, bybit, gemini, kraken
from wsauth.session import (
    AuthenticationFailed,
    AuthTimeout,
    Backoff,
    ConnectionLost,
    MessageTooBig,
    PreAuthRefused,
    Session,
    SessionError,
    Subscription,
    config_with,
)

API_KEY = "key-faults-0123456789"
SECRET = "secret-faults-Qw3rTy7uIo9pAs1dFg5hJk2lZx4cVb6n"
SECRET_B64 = base64.b64encode(b"fault-suite secret bytes, 0123456789!").decode()
LEAK_SECRETS = (SECRET, SECRET_B64)
# Quick, but not so quick that a fault is retried before the test reacts.
QUICK = Backoff(first_s=0.05, max_s=0.1, attempts=8, stable_s=5.0)
KRAKEN_EXECUTIONS = Subscription({"method": "subscribe", "params": {"channel": "executions"}})
WALLET = Subscription({"op": "subscribe", "args": ["wallet"]})


def within(seconds: float) -> Callable[[Callable[..., Coroutine[Any, Any, None]]], Callable[..., None]]:
    """The test's deadline: past it the test fails (asyncio.wait_for)."""
    return lambda test: run(test, seconds)


@asynccontextmanager
async def fake(leaks: Leaks, kind: str, **knobs: Any) -> AsyncIterator[Any]:
    secret = SECRET_B64 if kind == "kraken" else SECRET
    async with start_fake(kind, api_key=API_KEY, secret=secret, **knobs) as server:
        leaks.fakes.append(server)
        yield server


def session(module: Any, server: Any, **options: Any) -> Session[Any]:
    changes = {"ws_url": options.pop("ws_url", server.ws_url)}
    if server.rest_url:
        changes["rest_url"] = server.rest_url
    secret = SECRET_B64 if module is kraken else SECRET
    credentials = module.Credentials(api_key=API_KEY, secret=secret)
    options.setdefault("auth_timeout_s", 2.0)
    options.setdefault("backoff", QUICK)
    return Session(module, credentials, config=config_with(module, **changes), **options)


async def final_error(s: Session[Any], seconds: float = 3.0) -> SessionError:
    """What recv() raises once the session has ended: within seconds, never a hang."""
    with pytest.raises(SessionError) as ended:
        while True:
            await asyncio.wait_for(s.recv(), seconds)
    return ended.value


def names_exchange_and_host(error: SessionError, exchange: str) -> None:
    assert error.exchange == exchange and error.host is not None and error.host.startswith("127.0.0.1:")
    assert str(error).startswith(f"{exchange} (127.0.0.1:")


# -- 1. a failed pre-auth during a reconnect ----------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
@within(10)
async def test_a_temporary_pre_auth_failure_on_reconnect_backs_off_and_recovers(status: int, leaks: Leaks) -> None:
    async with fake(leaks, "binanceusdm") as server:
        async with session(binanceusdm, server) as s:
            server.rest_status = status  # the listen-key POST now fails for a while
            await server.drop()
            await eventually(lambda: len(server.rest_seen) >= 3)  # the first POST, then two failed retries
            assert not s.authenticated
            server.rest_status = None
            await eventually(lambda: s.authenticated and server.connections == 2)


@within(10)
async def test_krakens_temporary_lockout_is_retried(leaks: Leaks) -> None:
    lockout = {"error": ["EGeneral:Temporary lockout"], "result": {}}
    async with fake(leaks, "kraken") as server:
        async with session(kraken, server, subscriptions=[KRAKEN_EXECUTIONS]) as s:
            server.rest_status, server.rest_body = 200, lockout  # HTTP 200, the refusal in the body
            await server.drop()
            await eventually(lambda: len(server.rest_seen) >= 3)
            server.rest_status, server.rest_body = None, None
            await eventually(lambda: s.authenticated and server.auth_ok >= 2)


@within(10)
async def test_refused_credentials_on_reconnect_end_the_session_visibly(leaks: Leaks) -> None:
    async with fake(leaks, "binanceusdm") as server:
        async with session(binanceusdm, server) as s:
            server.rest_status = 401  # the key was revoked
            await server.drop()
            error = await final_error(s)
            assert isinstance(error, PreAuthRefused) and error.status == 401 and error.code == "-2015"
            names_exchange_and_host(error, "binanceusdm")
            leaks.see(error)
            refusals = len(server.rest_seen)
            await asyncio.sleep(0.3)
            assert len(server.rest_seen) == refusals  # final: not retried
            with pytest.raises(PreAuthRefused):  # async for ends too, with the error
                async for _ in s:
                    pytest.fail("no message expected")


# -- 2. reconnect storms --------------------------------------------------------


@within(10)
async def test_a_server_that_drops_every_login_at_once_gets_a_bounded_number_of_them(leaks: Leaks) -> None:
    # Accepts login and subscribe, then closes at once: each reconnect
    # "succeeds", so a backoff that resets on success would never stop.
    storm = Backoff(first_s=0.01, max_s=0.05, attempts=4, stable_s=5.0)
    async with fake(leaks, "bybit", session_ttl_s=0.05) as server:
        s = session(bybit, server, subscriptions=[WALLET], backoff=storm)
        await s.connect()
        error = await final_error(s, 5)
        assert isinstance(error, ConnectionLost) and "gave up after 4 reconnects" in str(error)
        names_exchange_and_host(error, "bybit")
        assert server.auth_ok == 5  # the first login and 4 reconnects, no more
        await asyncio.sleep(0.3)
        assert server.auth_ok == 5
        await s.close()


@within(10)
async def test_a_message_over_max_size_is_an_error_not_a_reconnect_loop(leaks: Leaks) -> None:
    async with fake(leaks, "bybit") as server:
        async with session(bybit, server, subscriptions=[WALLET], max_size=4096) as s:
            await server.push({"topic": "wallet", "data": "x" * 1000})  # under the limit: delivered
            assert "wallet" in str(await asyncio.wait_for(s.recv(), 3))
            await server.push({"topic": "wallet", "data": "x" * 10_000})
            error = await final_error(s)
            assert isinstance(error, MessageTooBig) and "max_size=4096" in str(error)
            names_exchange_and_host(error, "bybit")
            await asyncio.sleep(0.3)
            assert server.connections == 1  # never reconnected to fetch it again


# -- 3. concurrent signed handshakes -------------------------------------------


@within(20)
async def test_concurrent_signed_handshakes_reach_the_exchange_in_nonce_order(leaks: Leaks) -> None:
    # Through a relay on which connections opened together arrive in reverse
    # order: only a session that holds the key's signing lock until its
    # signed upgrade is answered keeps Gemini's nonces increasing.
    async with fake(leaks, "gemini") as server:
        port = int(server.ws_url.split(":")[2].split("/")[0])
        async with slower_first(port, 0.3) as (relay, state):
            url = server.ws_url.replace(f":{port}/", f":{relay}/")
            sessions = [session(gemini, server, ws_url=url) for _ in range(12)]
            await asyncio.gather(*(s.connect() for s in sessions))
            assert server.refusals == {} and server.auth_ok == 12 and state["connections"] == 12
        for s in sessions:
            await s.close()


# -- 4. auth_timeout_s bounds connect() and close() -----------------------------


@within(10)
async def test_a_dribbled_pre_auth_reply_cannot_stretch_connect(leaks: Leaks) -> None:
    async with fake(leaks, "binanceusdm") as server, dribbling_http(0.2) as (rest, state):
        config = config_with(binanceusdm, ws_url=server.ws_url, rest_url=rest + "/fapi/v1/listenKey")
        s = Session(binanceusdm, binanceusdm.Credentials(api_key=API_KEY, secret=SECRET), config=config, auth_timeout_s=1.0)
        started = time.monotonic()
        with pytest.raises(AuthTimeout) as late:
            await s.connect()
        assert time.monotonic() - started < 3.0 and state["bytes_sent"] >= 2  # 1 s, not the ~20 s the dribble takes
        names_exchange_and_host(late.value, "binanceusdm")
        # The key's signing lock was released: another session on it goes ahead.
        other = session(binanceusdm, server)
        async with other:
            assert other.authenticated


@within(10)
async def test_a_silent_server_bounds_connect_and_close(leaks: Leaks) -> None:
    async with silent_upgrade() as (url, state):
        s = Session(bybit, bybit.Credentials(api_key=API_KEY, secret=SECRET), config=config_with(bybit, ws_url=url),
                    auth_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(AuthTimeout) as late:
            await s.connect()  # no verdict, and no answer to the close frame either
        assert time.monotonic() - started < 3.0 and state["upgrades"] == 1  # 0.5 + 0.5 s, not 10 s of close_timeout
        names_exchange_and_host(late.value, "bybit")


# -- 5. redaction that no logging configuration can undo ------------------------


@contextmanager
def application_logging() -> Iterator[list[logging.LogRecord]]:
    """An application's dictConfig: DEBUG for wsauth and the root, existing
    loggers reset. Yields every record any logger emits; restores the logging
    tree afterwards (dictConfig changes process-wide state). Used inside the
    test, so that what it restores is the test phase's own logging."""
    manager = logging.Logger.manager
    saved = {
        name: (logger.level, logger.disabled, logger.propagate, logger.handlers[:], logger.filters[:])
        for name, logger in [("", logging.root), *manager.loggerDict.items()]
        if isinstance(logger, logging.Logger)
    }
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logging.config.dictConfig({"version": 1, "loggers": {"wsauth": {"level": "DEBUG"}}, "root": {"level": "DEBUG"}})
    keep = Keep(logging.DEBUG)
    logging.root.addHandler(keep)
    try:
        yield records
    finally:
        logging.root.removeHandler(keep)
        for name, (level, disabled, propagate, handlers, filters) in saved.items():
            logger = logging.root if name == "" else logging.getLogger(name)
            logger.setLevel(level)
            logger.disabled, logger.propagate = disabled, propagate
            logger.handlers[:], logger.filters[:] = handlers, filters


@within(15)
async def test_a_dictconfig_at_debug_never_logs_a_listen_key_or_signature(leaks: Leaks) -> None:
    with application_logging() as records:
        async with fake(leaks, "binanceusdm") as listen_keys, fake(leaks, "gemini") as signed, fake(leaks, "bybit") as frames:
            for module, server, subscriptions in ((binanceusdm, listen_keys, []), (gemini, signed, []), (bybit, frames, [WALLET])):
                async with session(module, server, subscriptions=subscriptions) as s:
                    await server.push({"topic": "private", "data": 1})
                    await asyncio.wait_for(s.recv(), 3)
    secrets = {v for server in (listen_keys, signed, frames) for v in server.signatures if len(v) >= 8} | set(LEAK_SECRETS)
    assert len(secrets) >= 4 and records  # a listen key, a header signature, an auth signature; and records
    for record in records:
        if record.name.startswith("tests.fakes"):
            continue  # the exchange's side
        text = record.getMessage() + repr(record.args) + str(record.exc_info)
        for secret in secrets:
            assert secret not in text, f"{record.name} logged a secret: {text[:200]!r}"


# -- 6. a throttled handshake --------------------------------------------------


@within(10)
async def test_a_429_on_the_handshake_during_a_reconnect_backs_off(leaks: Leaks) -> None:
    async with fake(leaks, "bybit") as server:
        throttled = {"left": 0, "refused": 0}
        accept = server._check_handshake

        def check(conn: Any, request: Any) -> Any:
            if throttled["left"]:
                throttled["left"] -= 1
                throttled["refused"] += 1
                return conn.respond(429, "Too Many Requests\n")
            return accept(conn, request)

        server._check_handshake = check
        async with session(bybit, server, subscriptions=[WALLET]) as s:
            throttled["left"] = 2
            await server.drop()
            await eventually(lambda: s.authenticated and server.auth_ok == 2)
            assert throttled["refused"] == 2 and server.connections == 2


@within(5)
async def test_a_429_on_the_first_handshake_is_a_lost_connection_not_a_refusal(leaks: Leaks) -> None:
    async with fake(leaks, "bybit") as server:
        server._check_handshake = lambda conn, request: conn.respond(429, "Too Many Requests\n")
        with pytest.raises(ConnectionLost) as throttled:
            await session(bybit, server, subscriptions=[WALLET]).connect()
        assert not isinstance(throttled.value, AuthenticationFailed) and "HTTP 429" in str(throttled.value)
        names_exchange_and_host(throttled.value, "bybit")


# -- 8. what a caller's error keeps ----------------------------------------------


@within(5)
async def test_an_unusable_socket_url_is_an_error_that_keeps_no_listen_key(leaks: Leaks) -> None:
    # A listen key with "#" makes the socket URL invalid; the error raised
    # must not keep websockets' InvalidURI (which holds the URL) as its
    # __context__ either.
    key = "listen-key-with#fragment-0123456789"
    leaks.secrets.add(key)
    async with fake(leaks, "binanceusdm", rest_status=200, rest_body={"listenKey": key}) as server:
        with pytest.raises(ConnectionLost) as lost:
            await session(binanceusdm, server).connect()
        leaks.see(lost.value)
        assert lost.value.__context__ is None and lost.value.__cause__ is None
        names_exchange_and_host(lost.value, "binanceusdm")
