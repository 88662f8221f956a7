"""Capture what ccxt (4.5.90, ccxt.pro async classes) sends to authenticate a
private WebSocket stream, with every source of time/randomness frozen and every
network edge replaced by an in-memory fake.

Regenerate the fixtures (tests/fixtures/ccxt/*.json) with::

    python -m tests.reference.ccxt_capture --write              # rewrite them in place
    python -m tests.reference.ccxt_capture --check              # re-capture, exit 1 on any difference
    python -m tests.reference.ccxt_capture --write --dir /tmp/x # write them elsewhere (diff -r to compare)
    python -m tests.reference.ccxt_capture --print bybit-1      # one run's capture on stdout

This module is the *driver*; what it drives is data: one ``Entry`` record per
catalogue entry and market type in tests/reference/ccxt_scenarios.py (ccxt
class and options, credential sets, markets, the watch call, canned REST and
socket replies, request-id counter, nonce source, tokens, challenges). The
driver has no per-exchange branch: what an exchange needs of its own is a
field of its record.

It is the *independent reference* for wsauth: it runs ccxt's own
authentication code unmodified and records

* the REST calls ccxt makes (method, full url, headers, body - exactly the
  arguments ccxt passes to ``Exchange.fetch``),
* the WebSocket url ccxt opens and the handshake headers it passes,
* the auth frames ccxt sends after connecting, and
* the private subscribe frame(s) ccxt sends afterwards.

Nothing ccxt sends is filtered: broker ids, stray fields and the like are kept
verbatim (the comparison test excludes them by an explicit list).

What is patched (only for the duration of one ``capture`` call):

* ``Exchange.milliseconds/seconds/microseconds`` -> frozen at ``now_ms``;
  ``uuid/uuid16/uuid22/uuidv1/random_bytes/rand_number`` -> deterministic and
  recorded; ``nonce()`` -> ``nonce`` when given (else ccxt's own nonce() on the
  frozen clock); request-id counters seeded so that ccxt's own ``request_id()``
  yields ``request_id`` first.
* ``Client.create_connection`` -> an in-memory WebSocket whose "server" answers
  with the record's canned replies (krakenfutures: the challenge).
* ``Exchange.fetch`` (per instance) -> recorder with the record's canned replies.
* ``socket`` connect / DNS -> raise, so nothing can reach the network.

Each record runs four times (SCENARIOS): both clocks x credential sets A and
B, named ``<entry>[-<market_type>]-<n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import json
import socket
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp

import ccxt  # type: ignore[import-untyped]
import ccxt.pro  # type: ignore[import-untyped]
from ccxt.async_support.base.exchange import Exchange as _AsyncExchange  # type: ignore[import-untyped]
from ccxt.async_support.base.ws.client import Client as _WsClient  # type: ignore[import-untyped]

from tests.reference import ccxt_scenarios
from tests.reference.ccxt_scenarios import (  # noqa: F401 - re-exported for the tests that use them
    CLOCKS_MS,
    REPO_ROOT,
    CREDENTIALS,
    CREDENTIALS_B64,
    CREDENTIALS_SHORT,
    KEYS,
    Clock,
    Echo,
    Entry,
    FromExchange,
    FromToken,
    Given,
    base58,
    private_key,
)

CCXT_VERSION = "4.5.90"

FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "ccxt"

ENTRIES: dict[tuple[str, str | None], Entry] = {(e.entry, e.market_type): e for e in ccxt_scenarios.ENTRIES}
assert len(ENTRIES) == len(ccxt_scenarios.ENTRIES), "two records for one (entry, market_type)"


class CaptureError(RuntimeError):
    pass


class NetworkBlocked(RuntimeError):
    pass


# --------------------------------------------------------------------------
# fake WebSocket
# --------------------------------------------------------------------------


class FakeWebSocket:
    """Stands in for aiohttp's ClientWebSocketResponse inside ccxt's Client."""

    _conn = None  # ccxt's Client.buffer property probes connection._conn

    def __init__(self, session: "_Session", client: _WsClient):
        self._session = session
        self._client = client
        self._queue: asyncio.Queue = asyncio.Queue()
        self.closed = False

    async def send_str(self, data: str) -> None:
        if self.closed:
            raise ConnectionError("fake websocket closed")
        self._session.on_frame(self, data)

    def push(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        self._queue.put_nowait(aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, text, None))

    async def receive(self):
        return await self._queue.get()

    async def ping(self, *args, **kwargs):
        return None

    async def pong(self, *args, **kwargs):
        return None

    async def close(self, *args, **kwargs):
        self.closed = True
        return True


# --------------------------------------------------------------------------
# reading a record: values filled in at capture time
# --------------------------------------------------------------------------


def _from_exchange(ex: Any, ref: FromExchange) -> Any:
    value = getattr(ex, ref.path[0])
    for key in ref.path[1:]:
        value = value[key]
    return value


def _fill(template: Any, session: _Session, frame: Any = None, ex: Any = None) -> Any:
    """A canned reply or call argument with its leaves filled in: the frame
    being answered (Echo), the frozen clock (Clock), the capture's inputs
    (Given), the exchange object (FromExchange)."""
    if isinstance(template, dict):
        return {key: _fill(value, session, frame, ex) for key, value in template.items()}
    if isinstance(template, (list, tuple)):
        return [_fill(value, session, frame, ex) for value in template]
    if isinstance(template, Echo):
        value = frame
        for key in template.path:
            value = value.get(key) if isinstance(value, dict) else None
        return int(value) if template.as_int else value
    if isinstance(template, Clock):
        value = {"s": session.now_ms // 1000, "ms": session.now_ms, "us": session.now_ms * 1000}[template.unit]
        value += template.plus
        return str(value) if template.as_text else value
    if isinstance(template, Given):
        if template.name in ("api_key", "secret"):
            return session.credentials.get(template.name)
        return getattr(session, template.name)
    if isinstance(template, FromExchange):
        return _from_exchange(ex, template)
    if isinstance(template, FromToken):
        return str(json.loads(session.token)[template.key]) + template.suffix
    return template


def _matches(frame: Any, when: Any) -> bool:
    return isinstance(frame, dict) and all(frame.get(key) == value for key, value in when.items())


def serve_rest(exchange: Any, entry: Entry, session: Any, url: str, method: str, headers: Any, body: Any) -> Any:
    """The record's canned reply to one REST call, as ccxt's own fetch() ends:
    a reply with headers is handed to the exchange's handle_errors (where GRVT
    keeps its session cookie); ``session`` supplies the token and the clock
    (``token``, ``now_ms``)."""
    reply, reply_headers = serve_rest_with_headers(entry, method, url, session)
    if reply_headers:
        exchange.handle_errors(200, "OK", url, method, dict(reply_headers), json.dumps(reply), reply, headers, body)
    return reply


def serve_rest_with_headers(entry: Entry, method: str, url: str, session: Any) -> tuple[Any, list[tuple[str, str]]]:
    """The canned reply to one REST call and its headers (as (name, value) pairs)."""
    path = url.split("?")[0]
    for rest in entry.rest:
        if path.endswith(rest.path_suffix):
            return _fill(rest.body, session), [(name, str(_fill(value, session))) for name, value in rest.headers]
    raise CaptureError(f"{entry.entry}: unexpected REST call {method} {url}")


# --------------------------------------------------------------------------
# capture session
# --------------------------------------------------------------------------


class _Session:
    def __init__(self, entry: Entry, now_ms: int, credentials: dict, nonce, request_id, token, challenge):
        self.entry = entry
        self.now_ms = now_ms
        self.credentials = credentials
        self.nonce = nonce
        self.request_id = request_id
        self.token = token
        self.challenge = challenge
        self.rest: list[dict] = []
        self.connections: list[dict] = []
        self.frames: list[Any] = []
        self.subscribe_frames: list[Any] = []
        self.nonce_draws: list[Any] = []
        self.request_id_draws: list[Any] = []
        self.uuid_draws: list[str] = []
        self.random_draws: list[Any] = []
        self.events = 0
        self.errors: list[BaseException] = []
        self.ws: FakeWebSocket | None = None
        self.exchange: Any = None  # the ccxt exchange (its handle_errors reads reply headers)

    # -- websocket side --
    async def create_connection(self, client: _WsClient, session) -> FakeWebSocket:
        headers = client.options.get("headers") if isinstance(client.options, dict) else None
        headers = copy.deepcopy(headers) if headers else {}
        # cookies ccxt puts in the session's jar go out as the Cookie header
        cookies = client.options.get("cookies") if isinstance(client.options, dict) else None
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.connections.append({"url": client.url, "headers": headers})
        self.ws = FakeWebSocket(self, client)
        self.events += 1
        return self.ws

    def on_frame(self, ws: FakeWebSocket, data: str) -> None:
        self.events += 1
        try:
            frame = json.loads(data)
        except ValueError:
            frame = data
        e = self.entry
        if e.auth_frame is not None and _matches(frame, e.auth_frame):
            if self.subscribe_frames:
                error = CaptureError(f"{e.entry}: auth frame after subscribe frame: {data}")
                # ccxt's send path swallows exceptions (client.on_error); keep it
                self.errors.append(error)
                raise error
            self.frames.append(frame)
        else:
            self.subscribe_frames.append(frame)
        for reply in e.replies:
            if _matches(frame, reply.when):
                for message in reply.send:
                    ws.push(_fill(message, self, frame))
                break

    # -- REST side --
    async def fetch(self, url, method="GET", headers=None, body=None):
        self.events += 1
        self.rest.append({
            "method": method,
            "url": url,
            "headers": copy.deepcopy(headers),
            "body": body,
        })
        try:
            return serve_rest(self.exchange, self.entry, self, url, method, headers, body)
        except Exception as exc:
            # ccxt may swallow this in a background task; fail the capture anyway
            self.errors.append(exc)
            raise

    def done(self) -> bool:
        e = self.entry
        return (
            bool(self.connections)
            and len(self.frames) >= e.expect_auth
            and len(self.subscribe_frames) >= e.expect_subscribe
        )


_FROZEN_METHODS = ("milliseconds", "seconds", "microseconds", "uuid", "uuid16", "uuid22",
                   "random_bytes", "rand_number")


def _blocked(*args, **kwargs):
    raise NetworkBlocked("ccxt_capture: real network access attempted")


async def _async_blocked(*args, **kwargs):
    raise NetworkBlocked("ccxt_capture: real network access attempted")


@contextlib.contextmanager
def _patched(session: _Session):
    now_ms = session.now_ms

    def uuid_like():
        n = len(session.uuid_draws) + 1
        value = f"00000000-0000-4000-8000-{n:012d}"
        session.uuid_draws.append(value)
        return value

    def hex_like(length=16):
        n = len(session.uuid_draws) + 1
        value = f"{n:0{length}x}"
        session.uuid_draws.append(value)
        return value

    def rand_number(self, size):
        value = int(("1234567890" * (size // 10 + 1))[:size])
        session.random_draws.append(value)
        return value

    def random_bytes(length):
        value = "ab" * length
        session.random_draws.append(value)
        return value

    async def create_connection(client, aio_session):
        return await session.create_connection(client, aio_session)

    def patch_method(name, value):
        # patch where ccxt defines it (ccxt.base.exchange.BaseExchange today),
        # which is what both the exchange classes and the ws Client resolve to
        for klass in _AsyncExchange.__mro__:
            if name in klass.__dict__:
                return mock.patch.object(klass, name, value)
        raise CaptureError(f"ccxt defines no {name}()")

    with contextlib.ExitStack() as stack:
        P = stack.enter_context
        # frozen clock on the base class: covers exchange code and ws Client
        P(patch_method("milliseconds", staticmethod(lambda: now_ms)))
        P(patch_method("seconds", staticmethod(lambda: now_ms // 1000)))
        P(patch_method("microseconds", staticmethod(lambda: now_ms * 1000)))
        P(patch_method("uuid", staticmethod(uuid_like)))
        P(patch_method("uuid16", staticmethod(lambda length=16: hex_like(length))))
        P(patch_method("uuid22", staticmethod(lambda length=22: hex_like(length))))
        if hasattr(_AsyncExchange, "uuidv1"):
            P(patch_method("uuidv1", staticmethod(uuid_like)))
        P(patch_method("random_bytes", staticmethod(random_bytes)))
        P(patch_method("rand_number", rand_number))
        # in-memory websocket
        P(mock.patch.object(_WsClient, "create_connection", create_connection))
        # network guard
        P(mock.patch.object(socket.socket, "connect", _blocked))
        P(mock.patch.object(socket.socket, "connect_ex", _blocked))
        P(mock.patch.object(socket, "create_connection", _blocked))
        P(mock.patch.object(socket, "getaddrinfo", _blocked))
        P(mock.patch.object(asyncio.BaseEventLoop, "create_connection", _async_blocked))
        P(mock.patch.object(asyncio.BaseEventLoop, "getaddrinfo", _async_blocked))
        P(mock.patch.object(aiohttp.ClientSession, "_request", _async_blocked))
        P(mock.patch.object(aiohttp.ClientSession, "_ws_connect", _async_blocked))
        yield


def _make_exchange(session: _Session):
    e = session.entry
    creds = session.credentials
    config = {
        "apiKey": creds.get("api_key"),
        "secret": creds.get("secret"),
        "enableRateLimit": False,
        "options": {"sandboxMode": False},
    }
    if creds.get("password") is not None:
        config["password"] = creds["password"]
    if creds.get("uid") is not None:
        config[e.uid_key] = creds["uid"]
    if creds.get("private_key") is not None:
        config[e.private_key_key] = creds["private_key"]
    if creds.get("wallet_address") is not None:
        config["walletAddress"] = creds["wallet_address"]
    config.update(copy.deepcopy(dict(e.config)))
    ex = getattr(ccxt.pro, e.ccxt_name)(config)
    if e.sandbox:
        ex.set_sandbox_mode(True)
    for name in _FROZEN_METHODS:
        owner = next(k for k in type(ex).__mro__ if name in k.__dict__)
        patched_owner = next(k for k in _AsyncExchange.__mro__ if name in k.__dict__)
        if owner is not patched_owner:
            raise CaptureError(f"{e.entry}: {owner.__name__} overrides {name}(), freeze it there")
    for key, value in _fill(copy.deepcopy(dict(e.options)), session).items():
        if isinstance(value, dict) and isinstance(ex.options.get(key), dict):
            ex.options[key] = ex.deep_extend(ex.options[key], value)
        else:
            ex.options[key] = value
    ex.timeout_on_exit = 0  # ccxt sleeps this long in close(); nothing real to drain
    # the constructor draws one uuid() for self.origin (a CORS-proxy header,
    # unused here); only record what the auth flow draws
    session.uuid_draws.clear()
    session.random_draws.clear()
    ex.set_markets(copy.deepcopy([dict(m) for m in e.markets]))
    ex.fetch = session.fetch  # instance-level REST recorder
    session.exchange = ex
    if e.patch is not None:
        e.patch(ex)

    original_nonce = ex.nonce

    def nonce():
        value = session.nonce if session.nonce is not None else original_nonce()
        session.nonce_draws.append(value)
        return value

    ex.nonce = nonce

    original_request_id = ex.request_id if hasattr(ex, "request_id") else None
    if original_request_id is not None:
        if e.fixed_request_id is not None:
            if session.request_id not in (None, e.fixed_request_id):
                raise CaptureError(f"{e.entry}: ccxt hard-codes request id {e.fixed_request_id!r}")
        elif session.request_id is not None:
            if e.request_id_counter is None:
                raise CaptureError(f"{e.entry}: request_id given but no counter to seed")
            # the counter's home in ex.options; its first draw is the next value
            *where, last = [_from_exchange(ex, k) if isinstance(k, FromExchange) else k for k in e.request_id_counter]
            counters = ex.options
            for key in where:
                counters = counters[key]
            counters[last] = int(session.request_id) - 1

        def request_id(*args, **kwargs):
            value = original_request_id(*args, **kwargs)
            session.request_id_draws.append(value)
            return value

        ex.request_id = request_id
    return ex


async def _capture_async(session: _Session) -> None:
    e = session.entry
    ex = _make_exchange(session)
    # ccxt sets its loop when it opens its HTTP session, which the REST
    # recorder replaces; KuCoin's negotiate() spawns the bullet call on it
    ex.asyncio_loop = asyncio.get_running_loop()
    args = [_fill(arg, session, ex=ex) for arg in e.call.args]
    task = asyncio.ensure_future(getattr(ex, e.call.method)(*args))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while not session.done():
            if task.done():
                exc = task.exception()
                if exc is not None:
                    raise CaptureError(f"{e.entry}: ccxt raised before capture completed: {exc!r}") from exc
                if session.done():
                    break
                raise CaptureError(f"{e.entry}: ccxt returned before capture completed")
            if loop.time() > deadline:
                raise CaptureError(
                    f"{e.entry}: timed out (connections={session.connections}, frames={session.frames}, "
                    f"subscribe={session.subscribe_frames}, rest={session.rest})")
            await asyncio.sleep(0.001)
        # settle: let ccxt finish whatever else it sends in this step
        last = -1
        for _ in range(200):
            if session.events == last:
                break
            last = session.events
            for _ in range(25):
                await asyncio.sleep(0)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise CaptureError(f"{e.entry}: ccxt raised: {task.exception()!r}") from task.exception()
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await ex.close()
        # let ccxt's close callbacks run before the loop goes away
        for _ in range(5):
            await asyncio.sleep(0)


def _used_nonce(e: Entry, session: _Session) -> Any:
    """The nonce the frames depend on, by where the record says ccxt draws it."""
    if e.nonce in ("random_bytes", "rand_number"):
        return session.random_draws[0]
    if e.nonce == "uuid" and session.uuid_draws:
        return "".join(session.uuid_draws[:e.nonce_uuid_draws])
    return session.nonce_draws[0] if session.nonce_draws else None


def capture(entry: str, *, market_type: str | None, credentials: dict[str, str | None],
            now_ms: int, nonce: int | None = None, request_id: int | str | None = None,
            token: str | None = None, challenge: str | None = None, environment: str | None = None) -> dict:
    """Run ccxt's own auth for `entry` with a frozen clock and a fake network, and
    return what it sent::

        {"entry", "market_type", "ccxt_version", "ccxt_class",
         "rest": [{"method", "url", "headers", "body"}],   # args ccxt passed to fetch()
         "ws_url": str, "ws_headers": dict,                # handshake url / headers
         "frames": [...],            # auth frames (JSON-decoded), before any subscribe
         "subscribe_frames": [...],  # private subscribe frame(s), JSON-decoded
         "used": {"now_ms", "nonce", "request_id", "request_ids", "uuids",
                  "channel", "symbols", "token", "challenge"}}

    `credentials` keys: api_key, secret, password, uid (private_key for key
    entries). `environment`, when given, drives ccxt in sandbox mode with
    that environment's record (ccxt_scenarios.TESTNETS). `nonce`, when given, replaces what ccxt's nonce() returns.
    `request_id`, when given, seeds ccxt's own counter so that its first draw
    equals it. `token` is what the canned REST reply returns (listen key / WS
    token). `challenge` is what the fake server sends (krakenfutures). Raises
    CaptureError if ccxt does not reach the private subscribe, or if it
    touches anything unexpected.
    """
    key = (entry, market_type)
    if key not in ENTRIES:
        raise KeyError(f"unknown entry/market_type {key!r}; known: {sorted(ENTRIES, key=str)}")
    e = ENTRIES[key]
    if environment is not None:  # ccxt's sandbox mode: ccxt_scenarios.TESTNETS
        if (entry, market_type, environment) not in ccxt_scenarios.TESTNETS:
            raise KeyError(f"no ccxt record of {entry} in {environment!r}; known: {sorted(ccxt_scenarios.TESTNETS, key=str)}")
        e = ccxt_scenarios.TESTNETS[(entry, market_type, environment)]
    if e.challenges is not None and challenge is None:
        raise ValueError(f"{entry} needs a challenge")
    if e.tokens is not None and token is None:
        raise ValueError(f"{entry} needs a token")
    session = _Session(e, now_ms, dict(credentials), nonce, request_id, token, challenge)

    with _patched(session):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_capture_async(session))
        finally:
            # same teardown as asyncio.run(): cancel what ccxt left running
            # (receive loops, ping loops, timers' tasks) before closing
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    if session.errors:
        raise CaptureError(f"{entry}: {session.errors[0]}") from session.errors[0]
    urls = {c["url"] for c in session.connections}
    if len(urls) != 1:
        raise CaptureError(f"{entry}: expected exactly one websocket url, got {sorted(urls)}")
    if nonce is not None and nonce not in session.nonce_draws:
        raise CaptureError(f"{entry}: nonce {nonce} given but ccxt never drew a nonce")
    if request_id is not None and not session.request_id_draws and e.fixed_request_id is None:
        raise CaptureError(f"{entry}: request_id {request_id} given but ccxt never drew one")

    used = {
        "now_ms": now_ms,
        "nonce": _used_nonce(e, session),
        "request_id": e.fixed_request_id if e.fixed_request_id is not None
        else (session.request_id_draws[0] if session.request_id_draws else None),
        "request_ids": list(session.request_id_draws),
        "uuids": list(session.uuid_draws) + list(session.random_draws),
        "channel": e.channel,
        "symbols": list(e.symbols),
        "token": token,
        "challenge": challenge,
    }
    result = {
        "entry": entry,
        "market_type": market_type,
        **({"environment": environment} if environment is not None else {}),
        "ccxt_version": ccxt.__version__,
        "ccxt_class": f"ccxt.pro.{e.ccxt_name}",
        "credentials": dict(credentials),  # test credentials: a fixture is self-contained
        "rest": session.rest,
        "ws_url": session.connections[0]["url"],
        "ws_headers": session.connections[0]["headers"],
        "frames": session.frames,
        "subscribe_frames": session.subscribe_frames,
        "used": used,
    }
    # guarantee JSON-serialisable output (and detach from ccxt objects)
    return json.loads(json.dumps(result))


# --------------------------------------------------------------------------
# scenario matrix + CLI
# --------------------------------------------------------------------------

REQUEST_IDS = (1, 7, 42, 1009)  # one per run: ids that are not 1, 2, 3, 4


def _runs(e: Entry) -> list[dict]:
    """The record's four runs: both clocks x credential sets A and B."""
    out = []
    n = 0
    for now_ms in CLOCKS_MS:
        for set_name in ("A", "B"):
            n += 1
            name = f"{e.entry}{'-' + e.market_type if e.market_type else ''}-{n}"
            kwargs: dict[str, Any] = {
                "entry": e.entry,
                "market_type": e.market_type,
                "credentials": dict(e.credentials[set_name]),
                "now_ms": now_ms,
            }
            if e.nonce == "given":
                # a nonce that is NOT the clock, to prove it is an input
                kwargs["nonce"] = now_ms * 1000 + 17 * n + 3
            if e.fixed_request_id is not None:
                kwargs["request_id"] = e.fixed_request_id
            elif e.request_id_counter is not None:
                kwargs["request_id"] = REQUEST_IDS[n - 1]
            if e.tokens == "listen_key":
                # binance listen keys are 64 alphanumerics
                kwargs["token"] = hashlib.sha256(f"listenKey:{name}".encode()).hexdigest()
            elif e.tokens is not None:
                kwargs["token"] = e.tokens[n - 1]
            if e.challenges is not None:
                kwargs["challenge"] = e.challenges[n - 1]
            out.append({"name": name, "kwargs": kwargs})
    return out


SCENARIOS: list[dict] = [run for e in ENTRIES.values() for run in _runs(e)]


def _render(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reference.ccxt_capture", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="write fixtures to tests/fixtures/ccxt/ (or --dir)")
    group.add_argument("--check", action="store_true", help="re-capture and compare with the fixtures")
    group.add_argument("--print", dest="print_name", metavar="NAME", help="print one scenario's capture")
    parser.add_argument("--only", metavar="PREFIX", help="restrict to scenarios whose name starts with PREFIX")
    parser.add_argument("--dir", type=Path, default=FIXTURE_DIR, help="the fixture directory (default: %(default)s)")
    args = parser.parse_args(argv)
    fixture_dir: Path = args.dir

    if ccxt.__version__ != CCXT_VERSION:
        print(f"warning: ccxt {ccxt.__version__} installed, fixtures are for {CCXT_VERSION}", file=sys.stderr)

    scenarios = SCENARIOS
    if args.only:
        scenarios = [s for s in scenarios if s["name"].startswith(args.only)]
    if args.print_name:
        for s in SCENARIOS:
            if s["name"] == args.print_name:
                sys.stdout.write(_render(capture(**s["kwargs"])))
                return 0
        print(f"no scenario {args.print_name}", file=sys.stderr)
        return 2

    failures = 0
    expected_files = set()
    for s in scenarios:
        path = fixture_dir / f"{s['name']}.json"
        expected_files.add(path.name)
        try:
            text = _render(capture(**s["kwargs"]))
        except Exception as exc:  # report every failing scenario, not just the first
            failures += 1
            print(f"FAIL {s['name']}: {exc}", file=sys.stderr)
            continue
        if args.write:
            fixture_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        else:
            if not path.exists():
                failures += 1
                print(f"MISSING {path}", file=sys.stderr)
            elif path.read_text(encoding="utf-8") != text:
                failures += 1
                print(f"DIFF {path}", file=sys.stderr)
    if args.check and not args.only and fixture_dir.exists():
        for stray in sorted(p.name for p in fixture_dir.glob("*.json")):
            if stray not in expected_files:
                failures += 1
                print(f"STRAY {fixture_dir / stray} (no scenario produces it)", file=sys.stderr)
    verb = "wrote" if args.write else "checked"
    print(f"{verb} {len(scenarios) - failures if args.write else len(scenarios)} scenarios, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
