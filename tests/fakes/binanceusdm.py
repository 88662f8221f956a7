"""Fake Binance USD-M futures user data stream (flow: pre_auth listen key).

REST (a real ``ThreadingHTTPServer`` on 127.0.0.1), path ``/fapi/v1/listenKey``,
header ``X-MBX-APIKEY`` (no signature, as on Binance):

* ``POST`` -> ``{"listenKey": KEY}`` (shape of the REST reply in
  tests/fixtures/replies/binanceusdm.json). As on Binance, while a key is valid
  POST returns the same key and extends it.
* ``PUT`` (keep-alive) -> ``{"listenKey": KEY}`` and extends the key; with no
  valid key, HTTP 400 ``{"code":-1125,"msg":"This listenKey does not exist."}``.
* ``DELETE`` -> ``{}`` and invalidates the key.
* missing header -> HTTP 401 ``{"code":-2014,"msg":"API-key format invalid."}``;
  wrong key -> HTTP 401 ``{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}``.

WebSocket: ``/private/ws?listenKey=KEY``. An unknown, expired or deleted key is
refused at the handshake with HTTP 400 and the -1125 JSON body; a valid key
completes the handshake and counts as a successful authentication
(``auth_ok``). The socket sends no auth ack (the fixture's ``success`` is
empty). ``{"method":"LIST_SUBSCRIPTIONS"|...,"id":N}`` -> ``{"result":null,"id":N}``.

Expiry: a key lives ``session_ttl_s`` (default 3600 s, Binance's 60 minutes)
after its POST / last PUT. On expiry, and on ``expire_listen_key()``, the key
is invalidated and every connection that opened with it receives
``{"e":"listenKeyExpired","E":<ms, int as in real traffic>,"listenKey":KEY}``
(fixture failure frame; the docs' example has E as a string). The socket is
not closed (the docs: the event "is not related to the websocket
disconnection").

Knobs: ``refuse_keepalive=True`` makes every PUT answer the -1125 error with
HTTP 400 and invalidate the key (no event is pushed; connections stay open).
``rest_status=N`` makes every REST call answer N with a Binance error body
(401/403 -> -2015, 418/429 -> -1003, anything else -> -1000); ``rest_body``
overrides the body. ``silent_auth`` / ``rest_silent``: the POST is never
answered (the request thread waits until the fake stops).
``close_during_auth`` / ``rest_close``: the POST's TCP connection is closed
without a response. ``before_verdict`` frames are sent right after the
handshake (there is no verdict frame on this socket).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ._base import CLOSE, HANG, ConnState, Fake, encode, header, parse

_NO_KEY = {"code": -1125, "msg": "This listenKey does not exist."}
_BAD_FORMAT = {"code": -2014, "msg": "API-key format invalid."}
_BAD_KEY = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}


def api_key_refusal(headers: dict[str, str], api_key: str) -> tuple[int, dict[str, Any]] | None:
    """Binance's answer to a missing or unknown X-MBX-APIKEY (shared by its REST fakes)."""
    key = header(headers, "X-MBX-APIKEY")
    if not key:
        return 401, _BAD_FORMAT
    if not hmac.compare_digest(key, api_key):
        return 401, _BAD_KEY
    return None


class BinanceUsdmFake(Fake):
    kind = "binanceusdm"
    ws_path = "/private/ws"
    rest_path = "/fapi/v1/listenKey"
    extra_knobs = frozenset({"refuse_keepalive"})
    ttl_closes_connection = False

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.refuse_keepalive = bool(self._knobs.pop("refuse_keepalive", False))
        self.listen_key: str | None = None  # the current valid key
        self._deadline_ms = 0
        self.listen_keys: list[str] = []  # every key ever issued

    @property
    def _ttl_ms(self) -> int:
        return int((3600.0 if self.session_ttl_s is None else self.session_ttl_s) * 1000)

    # ----------------------------------------------------------------- REST

    def _rest_error(self, status: int) -> Any:
        if status in (401, 403):
            return _BAD_KEY
        if status in (418, 429):
            return {"code": -1003, "msg": "Too many requests; current limit is 2400 requests per minute."}
        return {"code": -1000, "msg": "An unknown error occurred while processing the request."}

    def _rest_not_found(self) -> Any:
        return {"code": -1000, "msg": "Not found."}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method == "POST" and (self.silent_auth or self.close_during_auth not in (False, None)):
            return HANG if self.silent_auth and self.close_during_auth in (False, None) else CLOSE
        refusal = api_key_refusal(headers, self.api_key)
        if refusal is not None:
            return refusal
        with self._lock:
            self._maybe_expire_locked()
            now = self.now_ms()
            if method == "POST":
                if self.listen_key is None:
                    self.listen_key = secrets.token_hex(32)
                    self.listen_keys.append(self.listen_key)
                    self._note(self.listen_key)
                self._deadline_ms = now + self._ttl_ms
                return 200, {"listenKey": self.listen_key}
            if method == "PUT":
                if self.refuse_keepalive or self.listen_key is None:
                    self.listen_key = None
                    return 400, _NO_KEY
                self._deadline_ms = now + self._ttl_ms
                return 200, {"listenKey": self.listen_key}
            if method == "DELETE":
                self.listen_key = None
                return 200, {}
        return 405, {"code": -1000, "msg": "Method not allowed."}

    def _maybe_expire_locked(self) -> str | None:
        """Invalidate the key if its lifetime is over; returns the expired key."""
        if self.listen_key is not None and self.now_ms() >= self._deadline_ms:
            expired, self.listen_key = self.listen_key, None
            return expired
        return None

    # ------------------------------------------------------------ websocket

    def _listen_key_in(self, target: str) -> str:
        """The listen key a socket request names (here: ``?listenKey=``)."""
        return (parse_qs(urlsplit(target).query).get("listenKey") or [""])[0]

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        key = self._listen_key_in(request.path)
        self._note(key)
        with self._lock:
            self._maybe_expire_locked()
            valid = self.listen_key is not None and hmac.compare_digest(key, self.listen_key)
        if not valid:
            response = conn.respond(400, str(encode(_NO_KEY)))
            response.headers["Content-Type"] = "application/json"
            return response
        return None

    async def _on_connect(self, cs: ConnState) -> None:
        request = cs.conn.request
        assert request is not None
        cs.extra["listen_key"] = self._listen_key_in(request.path)
        self.auth_ok += 1
        cs.authed = True
        for frame in self.before_verdict:
            await self._send(cs, frame)

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if isinstance(data, dict) and "method" in data:
            await self._send(cs, {"result": None, "id": data.get("id")})

    # --------------------------------------------------------------- expiry

    def _started(self) -> None:
        self._spawn(self._watch_expiry())

    async def _watch_expiry(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            with self._lock:
                expired = self._maybe_expire_locked()
            if expired is not None:
                await self._push_expired(expired)

    async def _push_expired(self, key: str) -> None:
        frame = {"e": "listenKeyExpired", "E": self.now_ms(), "listenKey": key}
        for cs in list(self._conns.values()):
            if cs.extra.get("listen_key") == key:
                await self._send(cs, frame)

    def expire_listen_key(self) -> asyncio.Task[Any]:
        """Invalidate the current key now and push listenKeyExpired to its sockets.

        Returns a task; awaiting it waits until the event has been sent.
        """
        with self._lock:
            key = self.listen_key
            if key is None:
                raise RuntimeError("binanceusdm fake: no valid listen key to expire")
            self.listen_key = None
        return self._spawn(self._push_expired(key))
