"""The callback sequence, written once: what one connection calls, in order.

``plan`` runs it without IO (the token, where one is needed, is the caller's);
``Session`` runs it with the REST call and the socket between the steps (its
``_Connection`` holds one Attempt with the socket and the tasks beside it). An
``Attempt`` holds everything one connection learns on the way:

1. ``pre_auth()``: the module's PreAuth; the REST call to make first, if any.
2. ``took_rest_reply(status, body, headers)``: the token, from the reply's
   JSON or its headers (and, where the reply names them, the socket and its
   ping interval); the PreAuth again when the socket URL or headers carry
   the token. Where the module says the token may be reused
   (``PreAuth.token_reusable_ms``), ``provisioned()`` keeps what the call
   gave and a later connection's ``reuse()`` takes it instead of steps 1-2.
3. ``auth_message()``: the frame sent once the socket is open, if any;
   where ``auth_after_greeting``, only once the socket's greeting (its first
   frame: KuCoin's UTA welcome) has arrived (``took_greeting``: it may state
   the ping interval).
4. ``took_verdict(reply)``: the server's challenge, where it sends one.
5. ``subscribe_auth(channel, symbols)``: the fields signed into each private
   subscribe, if any.
6. ``keepalive(opts)``: the keep-alive call, built afresh each time on a
   fresh clock (where the module signs it, each one carries a new nonce);
   ``ping(request_id)``: the exchange's own ping frame, every
   ``ping_interval_ms`` (where the REST reply or the greeting states it).

Standard library only: ``wsauth.plan`` needs no extra.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Generic

from .seam import AuthReply, C, Exchange, Frame, Opts, PreAuth, ReplyState, RestRequest

__all__ = ["Attempt", "NoSocketInReply", "Provisioned", "ping_interval_in", "socket_url_in"]


class NoSocketInReply(Exception):
    """The REST reply should name the socket to open (KuCoin's instance
    server) and does not: shaped as a module's ExchangeError."""

    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange}: HTTP 200: no socket URL in the reply")
        self.status = 200
        self.code: str | None = None
        self.message: str | None = "no socket URL in the reply"


def _at(body: str | bytes, path: tuple[str, ...]) -> object:
    """The value at a path of a JSON reply; a decimal key indexes a list
    ("data", "instanceServers", "0", "endpoint")."""
    try:
        value: object = json.loads(body)
    except (ValueError, RecursionError):
        return None
    for key in path:
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.isdecimal() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def socket_url_in(pre: PreAuth, body: str | bytes, exchange: str) -> str | None:
    """The socket URL the REST reply names, where the module says it names
    one (``ws_url_path``); NoSocketInReply when it should and does not."""
    if pre.ws_url_path is None:
        return None
    url = _at(body, pre.ws_url_path)
    if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
        raise NoSocketInReply(exchange)
    return url


def _interval_at(body: str | bytes, path: tuple[str, ...] | None) -> int | None:
    """A positive whole number of ms at ``path`` of a JSON frame; None otherwise."""
    value = None if path is None else _at(body, path)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def ping_interval_in(pre: PreAuth, body: str | bytes) -> int | None:
    """How often the socket wants the module's ``ping`` frame (ms), where the
    reply states it (``ping_interval_path``)."""
    return _interval_at(body, pre.ping_interval_path)


@dataclasses.dataclass(frozen=True)
class Provisioned(Generic[C]):
    """What one connection's pre-auth call gave (the exchange bound to the
    socket its reply named, its PreAuth, the token, the socket, its headers
    and ping interval) for later connections of the same session to reuse
    until ``until`` (a ``time.monotonic()``): the module's
    ``PreAuth.token_reusable_ms`` after the call. repr() shows none of it."""

    exchange: Exchange[C] = dataclasses.field(repr=False)
    pre: PreAuth = dataclasses.field(repr=False)
    token: str = dataclasses.field(repr=False)
    ws_url: str | None = dataclasses.field(repr=False)
    ws_headers: Mapping[str, str] = dataclasses.field(repr=False)
    ping_interval_ms: int | None
    until: float


class Attempt(Generic[C]):
    """One connection (or one dry run): the callbacks in their order, and
    what each step learnt. Nothing here performs IO."""

    def __init__(self, exchange: Exchange[C], credentials: C, opts: Opts) -> None:
        self.exchange = exchange
        self.credentials = credentials
        self.opts: Opts = opts.copy()
        self.state: ReplyState = {}
        if "request_id" in opts:
            self.state["request_id"] = opts["request_id"]
        if "market_type" in opts:
            self.state["market_type"] = opts["market_type"]
        self.pre: PreAuth | None = None
        # The socket to open and its handshake headers (the module's PreAuth
        # may sign them, or embed the token); None until the token is known.
        self.ws_url: str | None = None
        self.ws_headers: Mapping[str, str] = {}
        # How often to send ping(), where the REST reply (KuCoin's bullet) or
        # the greeting (KuCoin's UTA welcome) states it.
        self.ping_interval_ms: int | None = None

    def __repr__(self) -> str:  # the URL, headers and token may be signed or secret
        return f"Attempt({self.exchange.name}, pre_auth={self.pre is not None}, token={'token' in self.opts})"

    @property
    def token(self) -> str | None:
        return self.opts.get("token")

    # 1 ------------------------------------------------------------------
    def pre_auth(self) -> RestRequest | None:
        """The module's PreAuth: the REST call to make before the socket, or
        None (nothing to call; a signed handshake sets the socket's URL and
        headers here)."""
        pre = self.pre = self.exchange.pre_auth(self.credentials, self.opts)
        if pre is None:
            self.ws_url = self.exchange.config.ws_url
            return None
        self.ws_url = pre.ws_url
        self.ws_headers = dict(pre.ws_headers or {})
        return pre.request

    def placeholder_token(self) -> str:
        """A stand-in for the token, shaped as this module reads it, for
        checking the callbacks before any call: what ``read_token`` makes of
        a reply holding "placeholder" where the token goes (the placeholder
        itself, or the JSON object a token carrying values of its own call
        is: Polymarket's proxy and secret); "placeholder" where no reply's
        JSON holds the token."""
        pre = self.pre
        if pre is None or pre.request is None or not pre.token_path:
            return "placeholder"
        reply: object = "placeholder"
        for key in reversed(pre.token_path):
            reply = {key: reply}
        return pre.read_token(200, json.dumps(reply))

    # 2 ------------------------------------------------------------------
    def took_rest_reply(self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        """The REST reply (``headers``: its headers as (name, value) pairs):
        the token, or the module's ExchangeError (raised by ``read_token``,
        carrying the exchange's code; NoSocketInReply where the reply should
        name the socket and does not)."""
        pre = self.pre
        assert pre is not None and pre.request is not None
        token = pre.read_token(status, body, headers)
        self.opts["token"] = token
        # Where the reply names the socket (KuCoin's instance server), it
        # replaces the configured URL for this connection.
        endpoint = socket_url_in(pre, body, self.exchange.name)
        if endpoint is not None:
            self.exchange = self.exchange.with_config(ws_url=endpoint)
        # Only when the URL or the handshake headers embed the token, or the
        # reply named the socket: no second nonce otherwise.
        if pre.ws_url is None or pre.ws_headers is None or endpoint is not None:
            again = self.exchange.pre_auth(self.credentials, self.opts)
            assert again is not None
            pre = self.pre = again
        self.ws_url = pre.ws_url
        self.ws_headers = dict(pre.ws_headers or {})
        self.ping_interval_ms = ping_interval_in(pre, body) if pre.ping is not None else None

    def provisioned(self, called_at: float) -> Provisioned[C] | None:
        """What the REST call gave, for the session's later connections,
        where the module says its token may be reused (``token_reusable_ms``
        after ``called_at``, the ``time.monotonic()`` of the call); None
        where every connection calls anew."""
        pre = self.pre
        token = self.token
        if pre is None or pre.request is None or token is None or (pre.token_reusable_ms or 0) <= 0:
            return None
        until = called_at + (pre.token_reusable_ms or 0) / 1000
        return Provisioned(self.exchange, pre, token, self.ws_url, dict(self.ws_headers), self.ping_interval_ms, until)

    def reuse(self, earlier: Provisioned[C]) -> None:
        """Steps 1 and 2 without the REST call: what an earlier connection's
        call gave, its token still reusable (``provisioned``)."""
        self.exchange, self.pre = earlier.exchange, earlier.pre
        self.opts["token"] = earlier.token
        self.ws_url, self.ws_headers = earlier.ws_url, dict(earlier.ws_headers)
        self.ping_interval_ms = earlier.ping_interval_ms

    # 3 ------------------------------------------------------------------
    @property
    def auth_after_greeting(self) -> bool:
        """The socket greets first and the auth frame waits for that greeting
        (the module's Config says so); the greeting is not the verdict."""
        return self.exchange.config.auth_after_greeting

    def took_greeting(self, greeting: str | bytes) -> None:
        """The socket's greeting: how often it wants the ping frame, where the
        module's Config says the greeting states it."""
        config = self.exchange.config
        if config.ping is not None:
            self.ping_interval_ms = _interval_at(greeting, config.greeting_ping_interval_path)

    def auth_message(self) -> Frame | None:
        return self.exchange.build_auth_message(self.credentials, self.opts)

    # 4 ------------------------------------------------------------------
    def took_verdict(self, reply: AuthReply | None) -> None:
        if reply is not None and isinstance(reply.data, str):
            self.opts["challenge"] = reply.data  # a challenge to sign into subscribes

    # 5 ------------------------------------------------------------------
    def subscribe_auth(self, channel: str | None, symbols: Sequence[str] | None, opts: Opts | None = None) -> Frame | None:
        return self.exchange.build_subscribe_auth(self.credentials, channel, symbols, self.opts if opts is None else opts)

    # 6 ------------------------------------------------------------------
    def keepalive(self, opts: Opts) -> RestRequest | None:
        """The keep-alive call, built now from ``opts`` (a fresh clock) and
        this connection's token: a keep-alive signed like the first call
        (Aster's) needs a new nonce each time; an unsigned one comes out the
        same. None where the module keeps nothing alive."""
        fresh: Opts = {**opts}
        if self.token is not None:
            fresh["token"] = self.token
        pre = self.exchange.pre_auth(self.credentials, fresh)
        return None if pre is None else pre.keepalive

    def ping(self, request_id: int | str) -> Frame | None:
        """The exchange's own ping frame with ``request_id`` as its id: the
        PreAuth's (KuCoin's bullet: built again with that id, as ccxt sends a
        new one each time), or the Config's with the id as text in its
        ``ping_id`` field; None where the module sends none."""
        if self.pre is not None and self.pre.ping is not None:
            again = self.exchange.pre_auth(self.credentials, {**self.opts, "request_id": request_id})
            return None if again is None else again.ping
        config = self.exchange.config
        if config.ping is None:
            return None
        return {**config.ping, config.ping_id: str(request_id)} if config.ping_id is not None else config.ping
