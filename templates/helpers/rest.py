"""The records of a module whose socket needs something first: a signed REST
call (listen key, token) or a signed handshake. See helpers/base.py for how
this file reaches a module."""

from __future__ import annotations

import json as _json
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence

from .base import _fail, _get, _json_object, _record, _text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any as _Any
    from typing import Final as _Final

EXCHANGE: _Final[str] = "example"
# --- pasted into each module below this line ---


@_record
class RestRequest:
    """A fully signed REST call; repr() shows neither headers nor body."""

    method: str
    url: str
    headers: _Mapping[str, str]
    body: str

    def __repr__(self) -> str:
        # A signed query string holds the signature: only the path is shown.
        url = self.url.partition("?")[0] + ("?..." if "?" in self.url else "")
        return f"RestRequest(method={self.method!r}, url={url!r}, headers=..., body=...)"


class ExchangeError(Exception):
    """The exchange refused a REST call: its HTTP status, code and message."""

    def __init__(self, status: int, code: str | None, message: str | None) -> None:
        detail = "".join((f" code {code}" if code else "", f": {message}" if message else ""))
        super().__init__(f"{EXCHANGE}: HTTP {status}{detail}")
        self.status = status
        self.code = code
        self.message = message


@_record
class PreAuth:
    """How to open the socket: the REST round trip first (None for a signed
    handshake), how its answer is used, and the socket's URL and headers."""

    _SHOWN = ("request", "token_path")
    request: RestRequest | None
    # The socket to open, and the headers of its handshake (may be signed);
    # None until opts["token"] is known when they carry it.
    ws_url: str | None
    ws_headers: _Mapping[str, str] | None
    # Where the REST reply holds the token (listen key, WS token) ...
    token_path: tuple[str, ...] = ()
    # ... or the session the reply carries in its headers onto the
    # handshake: the cookies it sets by name, its other headers by name (the
    # token is then the JSON object of the handshake headers they become).
    token_cookies: tuple[str, ...] = ()
    token_headers: tuple[str, ...] = ()
    # Calls that keep the token alive, every keepalive_ms, and release it.
    keepalive: RestRequest | None = None
    keepalive_ms: int | None = None
    close: RestRequest | None = None
    error_code_path: tuple[str, ...] | None = None
    error_message_path: tuple[str, ...] | None = None
    # Where the reply names the socket URL and its ping interval (ms), and the
    # frame to send on that interval (KuCoin: no protocol-level ping).
    ws_url_path: tuple[str, ...] | None = None
    ping_interval_path: tuple[str, ...] | None = None
    ping: _Mapping[str, object] | None = None
    # The socket greets with its verdict on the token (KuCoin's welcome):
    # wait for it before calling the connection authenticated.
    greets: bool = False
    # How long after this call its token may still open later connections of
    # the same session (its lifetime less a refresh margin); None: a new call
    # for each connection.
    token_reusable_ms: int | None = None

    def error(self, status: int, body: str | bytes) -> ExchangeError | None:
        """The exchange's refusal in a REST reply (any of these calls), or None."""
        reply = _json_object(body)
        if reply is None:
            return ExchangeError(status, None, "the reply is not a JSON object") if status >= 400 or body else None
        code = _text(_get(reply, self.error_code_path)) if self.error_code_path else None
        message = _error_text(_get(reply, self.error_message_path)) if self.error_message_path else None
        if status >= 400 or message:
            return ExchangeError(status, code, message)
        return None

    def read_token(self, status: int, body: str | bytes, headers: _Sequence[tuple[str, str]] = ()) -> str:
        """The token in the reply to ``request`` (``headers``: the reply's,
        as (name, value) pairs, read where ``token_cookies`` and
        ``token_headers`` say so);
        ExchangeError with the exchange's own code and message when the call
        was refused."""
        refused = self.error(status, body)
        if refused is not None:
            raise refused
        reply = _json_object(body)
        token = None if reply is None else _get(reply, self.token_path)
        if not isinstance(token, str) or not token:
            # The exchange's code where it states one (LBank: error_code, HTTP 200).
            code = _text(_get(reply, self.error_code_path)) if reply is not None and self.error_code_path else None
            raise ExchangeError(status, code, "no token in the reply")
        return token


def _error_text(value: object) -> str | None:
    if isinstance(value, list):  # Kraken: ["EAPI:Invalid key"]
        return ", ".join(item for item in value if isinstance(item, str)) or None
    return _text(value)


class _HeaderSessionPreAuth(PreAuth):
    """A PreAuth whose REST reply carries the session in its headers
    (``token_cookies``, ``token_headers``), not in its JSON."""

    __slots__ = ()

    def read_token(self, status: int, body: str | bytes, headers: _Sequence[tuple[str, str]] = ()) -> str:
        refused = self.error(status, body)
        if refused is not None:
            raise refused
        return _session_from_reply(status, self.token_cookies, self.token_headers, headers)


class _CarryingPreAuth(PreAuth):
    """A PreAuth whose token also carries values its own call computed
    (``carried``: Polymarket's session proxy address, which this call
    registers): read_token returns the JSON object of them and then the
    reply's token under its own name, so that the auth frame names what this
    call registered, whichever clock and nonce the frame is built on."""

    __slots__ = ("carried",)
    carried: _Mapping[str, str]

    def __init__(self, carried: _Mapping[str, str], **fields: _Any) -> None:
        super().__init__(**fields)
        object.__setattr__(self, "carried", carried)

    def read_token(self, status: int, body: str | bytes, headers: _Sequence[tuple[str, str]] = ()) -> str:
        token = super().read_token(status, body, headers)
        return _json.dumps({**self.carried, self.token_path[-1]: token}, separators=(",", ":"))


def _token_fields(token: str, names: tuple[str, ...]) -> dict[str, str]:
    """The object a token carrying values beside the reply's is (what
    read_token returned), checked: exactly ``names``, in order, each a
    non-empty text; WsAuthInputError otherwise."""
    try:
        fields = _json.loads(token)
    except ValueError:
        fields = None
    if (
        not isinstance(fields, dict)
        or list(fields) != list(names)
        or not all(isinstance(value, str) and value for value in fields.values())
    ):
        shape = ", ".join(f'"{name}": "..."' for name in names)
        raise _fail(f"opts['token'] must be what the REST call's read_token returned, a JSON object {{{shape}}}")
    return {name: fields[name] for name in names}


def _session_from_reply(
    status: int, cookies: tuple[str, ...], names: tuple[str, ...], headers: _Sequence[tuple[str, str]]
) -> str:
    """The session the reply's headers carry, as the token: the JSON object
    of the handshake headers it becomes. The cookies named, from its
    Set-Cookie headers, make one Cookie header ("gravity=<value>": a cookie's
    name=value pair is what a client sends back, RFC 6265 5.4); each other
    header named goes as it came."""
    session: dict[str, str] = {}
    jar: dict[str, str] = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            cookie, _, cookie_value = value.partition(";")[0].strip().partition("=")
            jar[cookie] = cookie_value
    pairs = []
    for name in cookies:
        if not jar.get(name):
            raise ExchangeError(status, None, f"no {name} cookie in the reply")
        pairs.append(f"{name}={jar[name]}")
    if pairs:
        session["Cookie"] = "; ".join(pairs)
    for name in names:
        found = [value.strip() for key, value in headers if key.lower() == name.lower() and value.strip()]
        if not found:
            raise ExchangeError(status, None, f"no {name} header in the reply")
        session[name] = found[0]
    return _json.dumps(session, separators=(",", ":"))


def _session_headers(token: str, wanted: tuple[str, ...]) -> dict[str, str]:
    """The handshake headers ``wanted`` that a session carried by the reply's
    headers (read_token's token) holds; WsAuthInputError when opts["token"]
    is not such a session."""
    try:
        session = _json.loads(token)
    except ValueError:
        session = None
    if (
        not isinstance(session, dict)
        or sorted(session) != sorted(wanted)
        or not all(isinstance(value, str) and value for value in session.values())
    ):
        shape = ", ".join(f'"{name}": "..."' for name in wanted)
        raise _fail(f"opts['token'] must be the session the REST reply's headers carry, a JSON object {{{shape}}}")
    return {name: session[name] for name in wanted}
