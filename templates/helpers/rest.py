"""The records of a module whose socket needs something first: a signed REST
call (listen key, token) or a signed handshake. See helpers/base.py for how
this file reaches a module."""

from __future__ import annotations

from collections.abc import Mapping as _Mapping

from .base import _get, _json_object, _record, _text

TYPE_CHECKING = False
if TYPE_CHECKING:
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
    # Where the REST reply holds the token (listen key, WS token).
    token_path: tuple[str, ...] = ()
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

    def read_token(self, status: int, body: str | bytes) -> str:
        """The token in the reply to ``request``; ExchangeError with the
        exchange's own code and message when the call was refused."""
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

    def read_ws_url(self, body: str | bytes) -> str | None:
        """The socket URL the reply names (None when this call names none);
        ExchangeError when it should and does not."""
        if self.ws_url_path is None:
            return None
        reply = _json_object(body)
        url = None if reply is None else _get_indexed(reply, self.ws_url_path)
        if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
            raise ExchangeError(200, None, "no socket URL in the reply")
        return url

    def read_ping_interval_ms(self, body: str | bytes) -> int | None:
        """How often the socket wants ``ping`` (ms), as the reply states it."""
        reply = None if self.ping_interval_path is None else _json_object(body)
        value = None if reply is None or self.ping_interval_path is None else _get_indexed(reply, self.ping_interval_path)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            return None
        return value


def _get_indexed(frame: _Mapping[str, object], path: tuple[str, ...]) -> object:
    """Like _get, and a decimal key indexes a list: ("servers", "0", "url")."""
    value: object = frame
    for key in path:
        if isinstance(value, _Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.isdecimal() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def _error_text(value: object) -> str | None:
    if isinstance(value, list):  # Kraken: ["EAPI:Invalid key"]
        return ", ".join(item for item in value if isinstance(item, str)) or None
    return _text(value)
