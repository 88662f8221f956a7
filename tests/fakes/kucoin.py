"""Fake KuCoin private push (flow: pre_auth, a bullet token whose REST reply
names the socket to open and how often to ping it).

REST (a real ``ThreadingHTTPServer`` on 127.0.0.1), path
``/api/v1/bullet-private``, KuCoin's API key v2 headers, checked with this
module's own hmac code: ``KC-API-SIGN`` = base64 HMAC-SHA256(secret,
timestamp + method + path + body), ``KC-API-PASSPHRASE`` = base64
HMAC-SHA256(secret, passphrase), ``KC-API-KEY-VERSION: 2``, and
``KC-API-TIMESTAMP`` within ``max_skew_s`` (default 30) of the fake's clock; a
signature is accepted once.

* ``POST`` -> ``{"code": "200000", "data": {"token": T, "instanceServers":
  [{"endpoint": "ws://127.0.0.1:<port>/endpoint", "pingInterval": N, ...}]}}``
  (the documented shape). The endpoint is on a path the configured ``ws_url``
  does not name: only a client that reads the reply finds the socket.
  ``ping_interval_ms`` (knob, default 18000) is the interval it states;
  ``refuse_token=True`` makes the socket refuse every token it issued.
* refusals (HTTP 401, KuCoin's codes; the texts are this fake's):
  ``400003`` unknown key, ``400005`` bad signature, ``400004`` bad passphrase,
  ``400002`` stale timestamp or a signature used before.

WebSocket ``/endpoint?token=T&...``: a token this fake issued gets
``{"id": <connectId>, "type": "welcome"}`` (one ``auth_ok``); any other gets
``{"id": ..., "type": "error", "code": 401, "data": "token is expired"}`` and
the socket is closed. ``{"id", "type": "ping"}`` -> ``{"id", "type": "pong"}``
(counted in ``pings``, their ids in ``ping_ids``); ``{"id", "type": "subscribe", ...}`` -> ``{"id",
"type": "ack"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed

from ._base import CLOSE, HANG, ConnState, Fake, header, parse


def _b64_hmac(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


class KucoinFake(Fake):
    kind = "kucoin"
    ws_path = "/endpoint"
    rest_path = "/api/v1/bullet-private"
    extra_knobs = frozenset({"ping_interval_ms", "refuse_token"})
    ttl_closes_connection = False

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.ping_interval_ms = int(self._knobs.pop("ping_interval_ms", 18000))
        self.refuse_token = bool(self._knobs.pop("refuse_token", False))
        self.tokens: list[str] = []
        self.pings = 0
        self.ping_ids: list[Any] = []
        self._used: set[str] = set()

    def _rest_error(self, status: int) -> Any:
        return {"code": str(status), "msg": f"HTTP {status}"}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if self.silent_auth or self.close_during_auth not in (False, None):
            return HANG if self.silent_auth and self.close_during_auth in (False, None) else CLOSE
        key = header(headers, "KC-API-KEY") or ""
        if not hmac.compare_digest(key, self.api_key) or header(headers, "KC-API-KEY-VERSION") != "2":
            return 401, {"code": "400003", "msg": "KC-API-KEY not exists"}
        timestamp = header(headers, "KC-API-TIMESTAMP") or ""
        signature = header(headers, "KC-API-SIGN") or ""
        expected = _b64_hmac(self.secret, timestamp + method + urlsplit(target).path + body)
        if not hmac.compare_digest(signature, expected):
            return 401, {"code": "400005", "msg": "Invalid KC-API-SIGN"}
        self._note(signature)
        if not hmac.compare_digest(header(headers, "KC-API-PASSPHRASE") or "", _b64_hmac(self.secret, self.password or "")):
            return 401, {"code": "400004", "msg": "Invalid KC-API-PASSPHRASE"}
        with self._lock:
            fresh = timestamp.isdecimal() and abs(self.now_ms() - int(timestamp)) <= self.max_skew_s * 1000
            if not fresh or signature in self._used:
                return 401, {"code": "400002", "msg": "KC-API-TIMESTAMP Invalid"}
            self._used.add(signature)
            token = secrets.token_urlsafe(48)
            self.tokens.append(token)
        self._note(token)
        server = {"endpoint": self.ws_url, "encrypt": True, "protocol": "websocket", "pingInterval": self.ping_interval_ms, "pingTimeout": 10000}
        return 200, {"code": "200000", "data": {"token": token, "instanceServers": [server]}}

    async def _on_connect(self, cs: ConnState) -> None:
        request = cs.conn.request
        assert request is not None
        query = parse_qs(urlsplit(request.path).query)
        token = (query.get("token") or [""])[0]
        connect_id = (query.get("connectId") or ["fake-connect"])[0]
        with self._lock:
            valid = token in self.tokens and not self.refuse_token
        if not valid:
            await self._send(cs, {"id": connect_id, "type": "error", "code": 401, "data": "token is expired"})
            try:
                await cs.conn.close(1000, "token is expired")
            except ConnectionClosed:
                pass
            return
        self._authenticated(cs)
        await self._verdict(cs, {"id": connect_id, "type": "welcome"})

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        if data.get("type") == "ping":
            self.pings += 1
            self.ping_ids.append(data.get("id"))
            await self._send(cs, {"id": data.get("id"), "type": "pong"})
        elif data.get("type") == "subscribe" and cs.authed:
            await self._send(cs, {"id": data.get("id"), "type": "ack"})
