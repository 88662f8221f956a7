"""An authenticated WebSocket session for any wsauth exchange module.

One call opens the socket and authenticates: the pre-auth REST call where the
exchange needs one (over httpx), the socket (over websockets), the auth frame,
the server's verdict, then the caller's private subscriptions. Afterwards the
session keeps itself authenticated:

- re-authentication at 80% of the session lifetime (the lifetime the server
  states in its reply first, then the catalogue's; the delay capped at 24 h);
- listen keys kept alive on the catalogue's interval, and replaced (with a new
  socket URL) when a keep-alive is refused;
- the exchange's own ping frame, as often as its REST reply or its greeting
  says (KuCoin), each with a fresh id where the frame carries one;
- after a lost connection, the whole sequence again — fresh pre-auth, auth,
  verdict, the caller's subscriptions — with bounded, jittered backoff that
  only a connection which stayed up ``Backoff.stable_s`` resets. Where the
  module says the pre-auth call's token may be reused
  (``PreAuth.token_reusable_ms``: Polymarket's week-long proxy), the
  reconnect reuses the last accepted one while it may, without a REST call;
  an auth frame refused with it provisions a new one, once.

It is never reported authenticated before the server says so. Frames that
arrive before the verdict and are not auth replies are kept for the caller.
A refused authentication is final: no retry storm; a temporary refusal (HTTP
429 or 5xx, an exchange's "temporary lockout") is retried with backoff. Every
error a caller meets is a ``SessionError`` naming the exchange and the host.
Nothing it logs or raises contains a secret, a signature, a token or a listen
key, whatever the application's logging configuration.

This module needs the ``io`` extra (``pip install 'wsauth[io]'``); the exchange
modules themselves stay standard-library only. It reads them through the
Protocols of ``wsauth.seam``; the order of their callbacks is ``wsauth.steps``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import random
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Generic, TypedDict, Unpack, overload
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import CloseCode

from .seam import (
    AuthReply, C, Exchange, ExchangeError, Frame, K, MultiMarketModule, Opts, PreAuth, RestRequest,
    SingleMarketModule, bind_any, config_with,
)
from .steps import Attempt, Provisioned

__all__ = [
    "AuthenticationFailed", "AuthTimeout", "Backoff", "ConnectionLost", "MessageTooBig", "PreAuthFailed",
    "PreAuthRefused", "PreAuthUnavailable", "PreAuthResult", "Session", "SessionError", "Subscription", "Unsendable",
    "config_with", "fetch_pre_auth",
]

log = logging.getLogger("wsauth.session")


class _NoFrames(logging.LoggerAdapter[logging.Logger]):
    """The logger websockets gets for our sockets. websockets logs the
    handshake request (a listen key in its URL, signed headers) and every
    frame (signatures) at DEBUG; this adapter drops everything below INFO in
    code, so no logging configuration (``dictConfig`` resetting levels, a
    DEBUG root) can bring those records back."""

    def isEnabledFor(self, level: int) -> bool:  # LoggerAdapter.log asks this first
        return level >= logging.INFO and self.logger.isEnabledFor(level)


_FRAMES_LOG = _NoFrames(logging.getLogger("wsauth.session.socket"))


class _MaskQueryStrings(logging.Filter):
    """httpx logs every request's URL at INFO; where an exchange signs the
    query string (BingX, MEXC) that URL holds the signature. Its records keep
    the path and lose the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                str(arg.copy_with(query=None)) + "?..." if isinstance(arg, httpx.URL) and arg.query else arg
                for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_MaskQueryStrings())


class _NoResponseHeaders(logging.Filter):
    """httpcore traces every reply's headers at DEBUG; where an exchange's
    login sets its session in them (GRVT's Set-Cookie) they are a secret.
    Their records keep the event and lose the headers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("receive_response_headers.complete"):
            record.msg, record.args = "receive_response_headers.complete (headers not logged)", ()
        return True


for _name in ("httpcore.http11", "httpcore.http2"):
    logging.getLogger(_name).addFilter(_NoResponseHeaders())

REAUTH_AT = 0.8  # of the session lifetime
MAX_REAUTH_DELAY_S = 24 * 3600.0
_SIGNING_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _host(url: str | None) -> str | None:
    """host[:port] of a URL: never its path or query, which may be signed."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        return parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    except ValueError:
        return None


class SessionError(Exception):
    """The session cannot go on; names the exchange and the host, never a secret."""

    def __init__(self, exchange: str, host: str | None, what: str) -> None:
        super().__init__(f"{exchange} ({host}): {what}" if host else f"{exchange}: {what}")
        self.exchange = exchange
        self.host = host


class AuthenticationFailed(SessionError):
    """The exchange refused the credentials: its own reason and code. Final."""

    def __init__(self, exchange: str, host: str | None, reason: str | None, code: str | None, what: str = "authentication refused") -> None:
        detail = "".join((f" (code {code})" if code else "", f": {reason}" if reason else ""))
        super().__init__(exchange, host, what + detail)
        self.reason = reason
        self.code = code


class AuthTimeout(SessionError, TimeoutError):
    """The server gave no verdict in time (or the whole connect took too long)."""


class ConnectionLost(SessionError):
    """The socket closed, or could not be opened (a temporary refusal of the
    handshake included), before the verdict. Retried after a lost connection."""


class MessageTooBig(SessionError):
    """A frame over ``max_size`` arrived: reconnecting would receive it again. Final."""


class Unsendable(SessionError, ValueError):
    """A URL or header the session would send holds a non-ASCII or control
    character (a credential sent in a header, a token): refused before the
    wire, whose own error would print the value. Final."""


class PreAuthFailed(SessionError):
    """The pre-auth REST call failed: the HTTP status, the exchange's code and message."""

    status: int | None
    code: str | None
    message: str | None


class PreAuthRefused(AuthenticationFailed, PreAuthFailed):
    """The exchange refused the pre-auth call (the credentials, the clock): final."""

    def __init__(self, exchange: str, host: str | None, status: int, code: str | None, message: str | None) -> None:
        super().__init__(exchange, host, message, code, f"pre-auth refused with HTTP {status}")
        self.status = status
        self.message = message


class PreAuthUnavailable(PreAuthFailed):
    """The pre-auth call failed for now (HTTP 429 or 5xx, a temporary lockout,
    the network): retried with backoff after a lost connection."""

    def __init__(self, exchange: str, host: str | None, status: int | None, code: str | None, message: str | None) -> None:
        detail = "".join((f" code {code}" if code else "", f": {message}" if message else ""))
        super().__init__(exchange, host, f"pre-auth failed ({'HTTP ' + str(status) if status else 'no reply'}{detail})")
        self.status = status
        self.code = code
        self.message = message


# Words exchanges use for a refusal that passes (Kraken: "EGeneral:Temporary
# lockout", "EAPI:Rate limit exceeded", "EService:Unavailable").
_TEMPORARY_WORDS = ("temporar", "rate limit", "too many", "unavailable", "busy", "try again")


def temporary(status: int | None, message: str | None) -> bool:
    """Whether a refusal is worth retrying later: throttling, an outage, a lockout."""
    if status is None or status == 429 or status == 418 or status == 408 or status >= 500:
        return True
    return any(word in (message or "").lower() for word in _TEMPORARY_WORDS)


@dataclasses.dataclass(frozen=True)
class Subscription:
    """A private subscription: the caller's exchange-native subscribe frame,
    and what its auth fields sign (inline flows sign the channel and symbols)."""

    # A JSON object, or a JSON array where the exchange subscribes with one (Upbit).
    frame: Mapping[str, object] | Sequence[object]
    channel: str | None = None
    symbols: Sequence[str] | None = None


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: exponential, jittered, bounded.

    ``attempts`` bounds the reconnects since the last *stable* connection, one
    that stayed up ``stable_s``: a server that accepts the login and drops the
    socket at once does not reset the count, so it gets ``attempts`` logins,
    ever further apart, then the session ends with an error."""

    first_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    attempts: int = 8
    stable_s: float = 10.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.max_s, self.first_s * self.factor**attempt)
        return random.uniform(ceiling / 2, ceiling)

    def delays(self) -> Iterator[float]:
        for attempt in range(self.attempts):
            yield self.delay(attempt)


@dataclasses.dataclass(frozen=True)
class PreAuthResult:
    """What the socket needs after the pre-auth REST call."""

    # The listen key or WS token (None when no REST call came first), and the
    # socket URL (which may embed it, or be signed).
    token: str | None = dataclasses.field(repr=False)
    ws_url: str | None = dataclasses.field(repr=False)
    # How often the token must be kept alive, if at all.
    keepalive_ms: int | None
    # The module's PreAuth: its keep-alive and close calls.
    pre_auth: PreAuth = dataclasses.field(repr=False)
    # Headers for the WebSocket handshake (may be signed).
    ws_headers: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)
    # How often the socket wants the module's ping frame, where the REST reply says (KuCoin).
    ping_interval_ms: int | None = None


def _sendable(exchange: str, what: str, url: str, headers: Mapping[str, str]) -> None:
    """HTTP and the WebSocket handshake carry ASCII only; a control character
    would forge a header. Checked here, so the error names what, never the value."""
    unsendable = [name for name, text in (("URL", url), *headers.items()) if not (text.isascii() and text.isprintable())]
    if unsendable:
        where = "its URL" if unsendable[0] == "URL" else f"its header {unsendable[0]!r}"
        raise Unsendable(
            exchange, _host(url), f"the {what}: {where} holds a non-ASCII or control character (check the credentials)"
        )


async def _call(http: httpx.AsyncClient, request: RestRequest, exchange: str) -> httpx.Response:
    _sendable(exchange, "REST call", request.url, request.headers)
    return await http.request(request.method, request.url, headers=dict(request.headers), content=request.body or None)


async def _pre_auth_io(attempt: Attempt[C], http: httpx.AsyncClient) -> None:
    """Steps 1 and 2 of the sequence with the REST call between them; every
    failure a PreAuthFailed (temporary or final) naming the REST host."""
    request = attempt.pre_auth()
    if request is None:
        return
    # Errors are raised after the except blocks, not inside them: even with
    # "from None" an exception raised there keeps the original as
    # __context__, and httpx's holds the (maybe signed) URL.
    name, host = attempt.exchange.name, _host(request.url)
    unreachable: str | None = None
    try:
        response = await _call(http, request, name)
    except httpx.HTTPError as exc:
        unreachable = type(exc).__name__
    if unreachable is not None:
        raise PreAuthUnavailable(name, host, None, None, unreachable)
    refusal: tuple[int, str | None, str | None] | None = None
    unreadable: str | None = None
    try:
        attempt.took_rest_reply(response.status_code, response.content, response.headers.multi_items())
    except Exception as exc:  # the module's ExchangeError: the one base the runtime can know of it
        if isinstance(exc, ExchangeError):  # structural: status, code, message
            refusal = (exc.status, exc.code, exc.message)
        else:
            unreadable = type(exc).__name__
    if unreadable is not None:
        raise SessionError(name, host, f"the pre-auth reply could not be read ({unreadable})")
    if refusal is not None:
        status, code, message = refusal
        if temporary(status, message):
            raise PreAuthUnavailable(name, host, status, code, message)
        raise PreAuthRefused(name, host, status, code, message)


@overload
async def fetch_pre_auth(
    module: MultiMarketModule[C, K], credentials: C, *, config: Mapping[str, K] | None = None,
    opts: Opts | None = None, http: httpx.AsyncClient | None = None,
) -> PreAuthResult | None: ...
@overload
async def fetch_pre_auth(
    module: SingleMarketModule[C, K], credentials: C, *, config: K | None = None,
    opts: Opts | None = None, http: httpx.AsyncClient | None = None,
) -> PreAuthResult | None: ...
async def fetch_pre_auth(
    module: MultiMarketModule[C, K] | SingleMarketModule[C, K],
    credentials: C,
    *,
    config: Mapping[str, K] | K | None = None,
    opts: Opts | None = None,
    http: httpx.AsyncClient | None = None,
) -> PreAuthResult | None:
    """Perform the module's pre-auth REST call (None when it has none): the
    token, the socket URL and its keep-alive interval, or a PreAuthFailed
    carrying the exchange's HTTP status, code and message."""
    given: Opts = {} if opts is None else opts
    attempt = Attempt(bind_any(module, config, given.get("market_type")), credentials, given)
    client = http or httpx.AsyncClient()
    try:
        await _pre_auth_io(attempt, client)
    finally:
        if http is None:
            await client.aclose()
    pre = attempt.pre
    if pre is None:
        return None
    return PreAuthResult(attempt.token, attempt.ws_url, pre.keepalive_ms if pre.request else None, pre,
                         attempt.ws_headers, attempt.ping_interval_ms)


def _merged(frame: Mapping[str, object], fields: Mapping[str, object]) -> dict[str, object]:
    out = dict(frame)
    for key, value in fields.items():
        inner = out.get(key)
        if isinstance(value, Mapping) and isinstance(inner, Mapping):
            out[key] = _merged(inner, value)
        else:
            out[key] = value
    return out


class _Connection(Generic[C]):
    """One connection, from its pre-auth to its close: what the callback
    sequence learnt (``attempt``: token, challenge, PreAuth, reply state),
    the socket, the tasks that live as long as it (reader, ping, keep-alive,
    re-authentication), the verdict being awaited, and when the server
    accepted it. A reader of an old socket can only touch its own."""

    def __init__(self, attempt: Attempt[C]) -> None:
        self.attempt = attempt
        self.socket: ClientConnection | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.verdict: asyncio.Future[AuthReply] | None = None
        # The socket's first frame, where the auth frame waits for it
        # (Attempt.auth_after_greeting); the session's, never the caller's.
        self.greeting: asyncio.Future[str | bytes] | None = None
        self.authenticated_at: float | None = None

    def __repr__(self) -> str:
        return f"_Connection({self.attempt!r}, open={self.socket is not None})"


class SessionOptions(TypedDict, total=False):
    subscriptions: Sequence[Subscription]
    market_type: str | None
    http: httpx.AsyncClient | None
    auth_timeout_s: float  # bounds the whole connect(), pre-auth included, and each close
    clock_offset_ms: int
    backoff: Backoff
    refusal_window_s: float
    max_size: int | None  # the largest message accepted (websockets' default: 1 MiB)


class Session(Generic[C]):
    """``async with Session(wsauth.bybit, credentials, subscriptions=[...]) as s:``
    then ``async for message in s`` (or ``await s.recv()``)."""

    @overload
    def __init__(
        self, module: MultiMarketModule[C, K], credentials: C, *, config: Mapping[str, K] | None = None,
        **options: Unpack[SessionOptions],
    ) -> None: ...
    @overload
    def __init__(
        self, module: SingleMarketModule[C, K], credentials: C, *, config: K | None = None,
        **options: Unpack[SessionOptions],
    ) -> None: ...
    def __init__(
        self,
        module: MultiMarketModule[C, K] | SingleMarketModule[C, K],
        credentials: C,
        *,
        config: Mapping[str, K] | K | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        self._market = options.get("market_type")
        self._exchange: Exchange[C] = bind_any(module, config, self._market)
        self.exchange: str = self._exchange.name
        self._credentials = credentials
        self._subscriptions = list(options.get("subscriptions", ()))
        self._http = options.get("http")
        self._own_http = self._http is None
        self.auth_timeout_s = options.get("auth_timeout_s", 10.0)
        self.clock_offset_ms = options.get("clock_offset_ms", 0)
        self.backoff = options.get("backoff", Backoff())
        # Where signed subscribes are answered only to be refused: how long
        # silence must last to count as acceptance (at most auth_timeout_s).
        self.refusal_window_s = options.get("refusal_window_s", 1.0)
        self.max_size = options.get("max_size", 2**20)
        self._messages: asyncio.Queue[str | bytes | SessionError] = asyncio.Queue()
        self._request_ids = itertools.count(1)
        self._link: _Connection[C] | None = None  # the current connection
        # The last accepted pre-auth call's token, where later connections may reuse it.
        self._provisioned: Provisioned[C] | None = None
        self._final: SessionError | None = None  # set by a reader: reconnecting would not help
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self.authenticated = False
        self.connections = 0  # sockets opened so far, reconnects included

    def __repr__(self) -> str:
        return f"Session({self.exchange}, authenticated={self.authenticated}, connections={self.connections})"

    @property
    def _pre(self) -> PreAuth | None:
        return None if self._link is None else self._link.attempt.pre

    @property
    def _token(self) -> str | None:
        return None if self._link is None else self._link.attempt.token

    def _fail(self, cls: type[SessionError], what: str, url: str | None = None) -> SessionError:
        return cls(self.exchange, _host(url or self._exchange.config.ws_url), what)

    # -- the caller's side ---------------------------------------------------

    async def __aenter__(self) -> Session[C]:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open, authenticate and subscribe; return once the server said yes,
        within ``auth_timeout_s`` in all."""
        self._check_inputs()
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.auth_timeout_s)
        try:
            await self._establish_in_time()
        except BaseException:
            await self.close()
            raise
        self._supervisor = asyncio.create_task(self._supervise())
        self._supervisor.add_done_callback(self._supervisor_ended)

    async def recv(self) -> str | bytes:
        """The next frame for the caller, in arrival order; SessionError once
        the session has given up."""
        item = await self._messages.get()
        if isinstance(item, SessionError):
            self._messages.put_nowait(item)  # every later call fails the same way
            raise item
        return item

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                yield await self.recv()
            except SessionError:
                if self._closing:
                    return
                raise

    async def close(self) -> None:
        """Close the socket, stop the timers and release the listen key;
        bounded by ``auth_timeout_s`` for each of the socket and the release."""
        self._closing = True
        self.authenticated = False
        if self._supervisor is not None and self._supervisor is not asyncio.current_task():
            self._supervisor.cancel()
            with contextlib.suppress(BaseException):
                await self._supervisor
        await self._stop_connection()
        # A listen key is released only once one was issued.
        release = self._pre.close if self._pre is not None and self._token is not None else None
        if release is not None and self._http is not None:
            with contextlib.suppress(httpx.HTTPError, TimeoutError):
                await asyncio.wait_for(self._call(release), self.auth_timeout_s)
        self._link = None
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        self._messages.put_nowait(self._fail(SessionError, "session closed"))

    # -- one connection ------------------------------------------------------

    def _opts(self, request_id: int | None = None, *, carry: bool = True) -> Opts:
        """Fresh options: the clock now, this session's market, and (carry)
        what the current connection learnt: its token and challenge."""
        opts: Opts = {"now_ms": time.time_ns() // 1_000_000 + self.clock_offset_ms}
        if self._market is not None:
            opts["market_type"] = self._market
        learnt: Opts = self._link.attempt.opts if self._link is not None and carry else {}
        if "token" in learnt:
            opts["token"] = learnt["token"]
        if "challenge" in learnt:
            opts["challenge"] = learnt["challenge"]
        if request_id is not None:
            opts["request_id"] = request_id
        return opts

    def _check_inputs(self) -> None:
        """Every callback run once on placeholders, so that bad input fails
        here, before any network call."""
        # pre_auth before any token: a session the reply's headers carry
        # (GRVT) has a shape no placeholder could take.
        first = Attempt(self._exchange, self._credentials, self._opts(carry=False))
        first.pre_auth()
        opts: Opts = {**self._opts(), "token": first.placeholder_token(), "challenge": "placeholder"}
        dry = Attempt(self._exchange, self._credentials, opts)
        dry.auth_message()
        for subscription in self._subscriptions or [Subscription({}, "placeholder", ())]:
            dry.subscribe_auth(subscription.channel, subscription.symbols)

    async def _establish_in_time(self) -> None:
        """The whole sequence within auth_timeout_s: a dribbling REST reply or
        a silent socket cannot stretch it (nor hold the key's signing lock)."""
        try:
            async with asyncio.timeout(self.auth_timeout_s):
                await self._establish()
        except AuthTimeout:
            raise
        except TimeoutError:
            raise self._fail(AuthTimeout, f"not authenticated within {self.auth_timeout_s:g} s") from None

    async def _establish(self) -> None:
        """Pre-auth (or a token still reusable), socket, auth frame, verdict,
        subscriptions; raises on any failure. An auth frame refused with a
        reused token: that token is dropped and the sequence runs once more
        with a new pre-auth call (whose refusal is final)."""
        reused = self._provisioned
        if reused is not None and not time.monotonic() < reused.until:
            reused = self._provisioned = None
        if not await self._authenticate(reused):
            log.warning("%s: the reused token was refused; provisioning a new one", self.exchange)
            self._provisioned = None
            await self._stop_connection()
            await self._authenticate(None)

    async def _authenticate(self, reused: Provisioned[C] | None) -> bool:
        """One connection: the whole sequence, the pre-auth call replaced by
        ``reused`` where given. False where the server refused the auth frame
        carrying the reused token; raises on any other failure."""
        assert self._http is not None
        # A new connection starts with no token and no challenge.
        attempt = Attempt(self._exchange, self._credentials, self._opts(next(self._request_ids), carry=False))
        link = self._link = _Connection(attempt)
        provisioned: Provisioned[C] | None = None
        # The signing lock is held until the signed parts have been answered:
        # a nonce drawn in pre_auth (a signed handshake, a signed REST call)
        # or in the auth frame reaches the exchange before the next session
        # on this key draws its own.
        async with self._signing():
            if reused is not None:
                attempt.reuse(reused)
            else:
                called_at = time.monotonic()
                await _pre_auth_io(attempt, self._http)
                provisioned = attempt.provisioned(called_at)
            pre = attempt.pre
            greets = pre is not None and pre.greets  # the socket states its verdict on connect
            if greets:
                link.verdict = asyncio.get_running_loop().create_future()
            if attempt.auth_after_greeting:  # the socket greets first; the auth frame waits for it
                link.greeting = asyncio.get_running_loop().create_future()
            await self._open(link)
            verdict = await self._wait_verdict(link) if greets else None
            if link.greeting is not None:
                attempt.took_greeting(await self._wait_greeting(link))
            frame = attempt.auth_message()
            if frame is not None:
                try:
                    verdict = await self._ask(link, frame)
                except AuthenticationFailed:
                    if reused is None:
                        raise
                    return False
        if provisioned is not None:  # accepted: later connections may reuse it
            self._provisioned = provisioned
        attempt.took_verdict(verdict)
        verdict = await self._subscribe(link, frame is not None or pre is not None) or verdict
        self.authenticated = True
        link.authenticated_at = time.monotonic()
        log.info("%s: authenticated (connection %d)", self.exchange, self.connections)
        if attempt.ping_interval_ms:  # set only where the module has a ping frame to send
            link.tasks.append(asyncio.create_task(self._ping(link, attempt.ping_interval_ms)))
        self._start_timers(link, verdict.ttl_ms if verdict is not None else None)
        return True

    async def _subscribe(self, link: _Connection[C], authenticated_before: bool) -> AuthReply | None:
        """The caller's subscriptions, signed where the module signs them;
        the verdict their replies carry, where the exchange sends one."""
        attempt = link.attempt
        frames: list[Mapping[str, object] | Sequence[object]] = []
        signed = False
        for subscription in self._subscriptions:
            fields = attempt.subscribe_auth(subscription.channel, subscription.symbols, self._opts())
            signed |= fields is not None
            if fields is None:
                frames.append(subscription.frame)
            elif isinstance(subscription.frame, Mapping):
                frames.append(_merged(subscription.frame, fields))
            else:
                raise self._fail(SessionError, "signs each private subscribe: its frame must be a JSON object")
        # The reply to a signed subscribe carries the (final) verdict, where
        # the exchange sends one. Where none acknowledges them (the module's
        # Config.unanswered_subscribes), silence is acceptance: "never" (LBank)
        # waits for nothing; "refusals" (Backpack answers only to refuse, at
        # once, as it checks the signature on receipt) waits the refusal
        # window. A refusal in it is final, like any verdict; one arriving
        # later ends the authentication (_read), and the supervisor runs the
        # whole sequence again, whose window then catches a repeated refusal.
        unanswered = attempt.exchange.config.unanswered_subscribes
        if signed and unanswered == "never":
            signed = False
        request_id = attempt.state.get("request_id")
        if signed:
            # The caller numbered these frames, not the session: the server
            # echoes the caller's ids, so any reply the module recognises as a
            # subscribe verdict counts; afterwards the connection's own id is
            # back, and an unrelated request's error does not end the session.
            attempt.state.pop("request_id", None)
            link.verdict = asyncio.get_running_loop().create_future()
        for subscribe in frames:
            await self._send(link, subscribe)
        verdict: AuthReply | None = None
        if signed:
            try:
                if unanswered == "refusals":
                    # No refusal within the window: accepted.
                    with contextlib.suppress(AuthTimeout):
                        await self._wait_verdict(link, min(self.refusal_window_s, self.auth_timeout_s))
                else:
                    verdict = await self._wait_verdict(link)
            finally:
                if request_id is not None:
                    attempt.state["request_id"] = request_id
        elif not authenticated_before:
            raise self._fail(SessionError, "authenticates inside each private subscribe: pass at least one Subscription")
        return verdict

    def _signing(self) -> asyncio.Lock:
        """One signed call at a time per API key and event loop, from drawing
        its nonce to the server's answer: exchanges reject a nonce below the
        last they saw, and concurrent sessions would race otherwise."""
        loop = asyncio.get_running_loop()
        locks = _SIGNING_LOCKS.setdefault(loop, {})
        key = (self.exchange, self._credentials.api_key)
        return locks.setdefault(key, asyncio.Lock())

    def _lifetime_ms(self) -> int | None:
        return self._exchange.config.session_ttl_ms

    async def _open(self, link: _Connection[C]) -> None:
        url, headers = link.attempt.ws_url, link.attempt.ws_headers
        if url is None:
            raise self._fail(ConnectionLost, "no socket URL (the pre-auth gave no token)")
        _sendable(self.exchange, "socket handshake", url, headers or {})
        # The URL and the headers may be signed: neither is ever logged or
        # raised, nor kept as the __context__ of what is raised.
        refused: int | None = None
        unreachable: str | None = None
        try:
            link.socket = await connect(
                url,
                additional_headers=dict(headers) if headers else None,
                open_timeout=None,  # the whole connect() is bounded by auth_timeout_s
                close_timeout=self.auth_timeout_s,
                max_size=self.max_size,
                logger=_FRAMES_LOG,
            )
        except InvalidStatus as exc:
            refused = exc.response.status_code
        except (OSError, WebSocketException, ValueError) as exc:
            unreachable = type(exc).__name__
        if refused is not None and 400 <= refused < 500 and not temporary(refused, None):
            # the exchange refused the URL's key or the signed headers: final
            raise AuthenticationFailed(self.exchange, _host(url), f"handshake refused with HTTP {refused}", None)
        if refused is not None:  # 429, 5xx: throttled or down for now; a reconnect backs off and tries again
            raise self._fail(ConnectionLost, f"handshake failed with HTTP {refused}", url)
        if unreachable is not None:
            raise self._fail(ConnectionLost, f"could not open the socket ({unreachable})", url)
        assert link.socket is not None
        self.connections += 1
        log.info("%s: socket open (connection %d)", self.exchange, self.connections)
        link.tasks.append(asyncio.create_task(self._read(link, link.socket)))

    async def _send(self, link: _Connection[C], frame: Mapping[str, object] | Sequence[object]) -> None:
        assert link.socket is not None
        try:
            await link.socket.send(json.dumps(frame))
        except ConnectionClosed:
            raise self._fail(ConnectionLost, "the socket closed while sending") from None

    async def _ask(self, link: _Connection[C], frame: Frame) -> AuthReply:
        link.verdict = asyncio.get_running_loop().create_future()
        await self._send(link, frame)
        return await self._wait_verdict(link)

    async def _wait_verdict(self, link: _Connection[C], timeout_s: float | None = None) -> AuthReply:
        if link.verdict is None:
            link.verdict = asyncio.get_running_loop().create_future()
        timeout_s = self.auth_timeout_s if timeout_s is None else timeout_s
        try:
            reply = await asyncio.wait_for(asyncio.shield(link.verdict), timeout_s)
        except TimeoutError:
            raise self._fail(AuthTimeout, f"no verdict within {timeout_s:g} s") from None
        finally:
            link.verdict = None
        if not reply.ok:
            log.warning("%s: authentication refused: %s", self.exchange, reply.reason)
            raise AuthenticationFailed(self.exchange, _host(self._exchange.config.ws_url), reply.reason, reply.code)
        return reply

    async def _wait_greeting(self, link: _Connection[C]) -> str | bytes:
        """The socket's greeting (its first frame), before the auth frame."""
        assert link.greeting is not None
        try:
            return await asyncio.wait_for(asyncio.shield(link.greeting), self.auth_timeout_s)
        except TimeoutError:
            raise self._fail(AuthTimeout, f"no greeting within {self.auth_timeout_s:g} s") from None

    async def _read(self, link: _Connection[C], socket: ClientConnection) -> None:
        """Every frame: the greeting when one is awaited, the verdict when one
        is awaited, a lost authentication when the server says so, otherwise
        the caller's."""
        lost: SessionError = self._fail(ConnectionLost, "the socket closed before the verdict")
        try:
            async for raw in socket:
                if link.greeting is not None and not link.greeting.done():
                    link.greeting.set_result(raw)  # the first frame: the session's, not the caller's
                    continue
                reply = self._exchange.handle_auth_response(raw, link.attempt.state)
                if reply is not None and link.verdict is not None and not link.verdict.done():
                    link.verdict.set_result(reply)
                elif reply is not None and not reply.ok and self.authenticated:
                    log.warning("%s: the server ended the authentication: %s", self.exchange, reply.reason)
                    self.authenticated = False
                    await socket.close()
                else:
                    self._messages.put_nowait(raw)
        except ConnectionClosed as exc:
            if exc.sent is not None and exc.sent.code == CloseCode.MESSAGE_TOO_BIG:
                # Reconnecting would only receive it again: the caller must
                # raise max_size (or drop the subscription).
                lost = self._final = self._fail(
                    MessageTooBig, f"a message exceeded max_size={self.max_size} bytes; raise Session(max_size=...)"
                )
        finally:
            self.authenticated = False
            for awaited in (link.verdict, link.greeting):
                if awaited is not None and not awaited.done():
                    awaited.set_exception(lost)

    # -- staying authenticated -----------------------------------------------

    def _start_timers(self, link: _Connection[C], ttl_ms: int | None) -> None:
        pre = link.attempt.pre
        if pre is not None and pre.keepalive is not None and pre.keepalive_ms:
            link.tasks.append(asyncio.create_task(self._keep_alive(link, pre, pre.keepalive_ms)))
            return
        lifetime = ttl_ms or self._lifetime_ms()
        if lifetime:
            delay = min(REAUTH_AT * lifetime / 1000, MAX_REAUTH_DELAY_S)
            link.tasks.append(asyncio.create_task(self._reauthenticate_after(link, delay)))

    async def _ping(self, link: _Connection[C], every_ms: int) -> None:
        """The exchange's own ping frame, as often as its REST reply or its
        greeting asked; each with a fresh request id where the frame has one."""
        while True:
            await asyncio.sleep(every_ms / 1000)
            frame = link.attempt.ping(next(self._request_ids))
            if frame is None:
                return
            try:
                await self._send(link, frame)
            except ConnectionLost:
                return

    async def _keep_alive(self, link: _Connection[C], pre: PreAuth, every_ms: int) -> None:
        while True:
            await asyncio.sleep(every_ms / 1000)
            # Built now, on the clock of now: a signed keep-alive (Aster's)
            # carries a fresh nonce each time.
            request = link.attempt.keepalive(self._opts(carry=False))
            if request is None:
                return
            try:
                response = await asyncio.wait_for(self._call(request), self.auth_timeout_s)
            except (httpx.HTTPError, TimeoutError) as exc:
                log.warning("%s: keep-alive failed (%s); will retry", self.exchange, type(exc).__name__)
                continue
            refused = pre.error(response.status_code, response.content)
            if refused is not None:
                log.warning("%s: keep-alive refused (%s); fetching a new one", self.exchange, refused)
                await self._restart(link)
                return

    async def _reauthenticate_after(self, link: _Connection[C], delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        current = link.attempt
        assert self._http is not None
        try:
            async with asyncio.timeout(self.auth_timeout_s), self._signing():
                # Same connection, a new request id; the current token first.
                attempt = Attempt(self._exchange, self._credentials, self._opts(request_id=next(self._request_ids)))
                if attempt.auth_message() is None:  # nothing to renew on this socket: a fresh connection renews it
                    await self._restart(link)
                    return
                if current.pre is not None:  # the frame carries the REST call's token: a fresh one
                    await _pre_auth_io(attempt, self._http)
                frame = attempt.auth_message()
                assert frame is not None
                link.attempt = attempt  # its request id is the one the reply echoes
                reply = await self._ask(link, frame)
        except (SessionError, TimeoutError) as exc:
            # a refused token too: a fresh connection retries
            log.warning("%s: re-authentication failed: %s", self.exchange, exc)
            await self._restart(link)
            return
        log.info("%s: re-authenticated", self.exchange)
        self._start_timers(link, reply.ttl_ms)

    async def _restart(self, link: _Connection[C]) -> None:
        """Drop this connection; the supervisor runs the whole sequence again."""
        self.authenticated = False
        if link.socket is not None:
            await link.socket.close()

    async def _stop_connection(self) -> None:
        """Stop the current connection's tasks and close its socket (what it
        learnt stays, for close() to release its listen key)."""
        link = self._link
        if link is None:
            return
        tasks, link.tasks = link.tasks, []
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(BaseException):
                    await task
        if link.socket is not None:
            with contextlib.suppress(Exception):
                await link.socket.close()  # bounded: close_timeout
            link.socket = None

    async def _supervise(self) -> None:
        """Wait for the connection to end; then reconnect, with backoff.

        The reconnects since the last stable connection are counted, not only
        the failed ones: a server that accepts and drops at once gets
        ``backoff.attempts`` logins, further and further apart, then the
        session ends with an error the caller sees."""
        reconnects = 0
        while not self._closing:
            link = self._link
            assert link is not None and link.socket is not None
            await link.socket.wait_closed()
            if self._closing:
                return
            self.authenticated = False
            await self._stop_connection()
            if self._final is not None:
                await self._give_up(self._final)
                return
            if link.authenticated_at is not None and time.monotonic() - link.authenticated_at >= self.backoff.stable_s:
                reconnects = 0
            log.info("%s: connection lost; reconnecting", self.exchange)
            while True:
                if reconnects >= self.backoff.attempts:
                    await self._give_up(self._fail(ConnectionLost, f"gave up after {self.backoff.attempts} reconnects"))
                    return
                await asyncio.sleep(self.backoff.delay(reconnects))
                reconnects += 1
                try:
                    await self._establish_in_time()
                    break
                except (AuthenticationFailed, Unsendable) as exc:
                    await self._give_up(exc)  # refused: retrying would only be refused again
                    return
                except SessionError as exc:
                    if self._final is not None:
                        await self._give_up(self._final)
                        return
                    # temporary: a lost socket, a throttled handshake, a pre-auth 5xx/429, a timeout
                    log.warning("%s: reconnect failed (%s)", self.exchange, type(exc).__name__)
                    await self._stop_connection()

    def _supervisor_ended(self, task: asyncio.Task[None]) -> None:
        """Whatever ends the supervisor, recv() must not wait forever."""
        if task.cancelled() or self._closing:
            return
        error = task.exception()
        if error is not None:
            log.error("%s: the session stopped (%s)", self.exchange, type(error).__name__)
            self.authenticated = False
            self._messages.put_nowait(
                error if isinstance(error, SessionError) else self._fail(SessionError, f"stopped ({type(error).__name__})")
            )

    async def _give_up(self, error: SessionError) -> None:
        log.error("%s", error)
        await self._stop_connection()
        self._messages.put_nowait(error)

    async def _call(self, request: RestRequest) -> httpx.Response:
        assert self._http is not None
        return await _call(self._http, request, self.exchange)
