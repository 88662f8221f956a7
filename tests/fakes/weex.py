"""Fake Weex v3 private stream (flow: handshake, signed headers).

The upgrade request carries ``ACCESS-KEY``, ``ACCESS-SIGN``,
``ACCESS-PASSPHRASE`` and ``ACCESS-TIMESTAMP`` (ms), with
``ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + "/v3/ws/private"))``.

Checks, in order, on the handshake: every header present, the timestamp is
digits and within ``max_skew_s`` of the fake's clock, the api key, the
passphrase, the signature. A failed check refuses the upgrade with HTTP 401
and Weex's error JSON ``{"code": "-10xx", "msg": ...}`` (codes from ccxt's
weex exceptions table); nothing is ever sent on a refused socket.

Frames after the handshake:
* ``{"id", "method": "SUBSCRIBE", "params": [...]}`` -> ``{"result": true, "id"}``
  (tests/fixtures/replies/weex_spot.json).
* ``{"id", "method": "PING"}`` -> ``{"id", "method": "PONG"}``.
* anything else -> ``{"result": false, "id", "msg": "INVALID_ARGUMENT: ..."}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake, parse

PATH = "/v3/ws/private"


class WeexFake(Fake):
    kind = "weex"
    ws_path = PATH

    def _sign(self, timestamp: str) -> str:
        digest = hmac.new(self.secret.encode(), (timestamp + PATH).encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def _problem(self, request: Request) -> tuple[str, str] | None:
        """None when the signed headers are valid, else Weex's (code, msg)."""
        key = request.headers.get("ACCESS-KEY")
        sign = request.headers.get("ACCESS-SIGN")
        passphrase = request.headers.get("ACCESS-PASSPHRASE")
        timestamp = request.headers.get("ACCESS-TIMESTAMP")
        if sign:
            self._note(sign)
        if not key:
            return "-1040", "ACCESS_KEY header is required."
        if not sign:
            return "-1041", "ACCESS_SIGN header is required."
        if not timestamp:
            return "-1042", "ACCESS_TIMESTAMP header is required."
        if not timestamp.isdigit():
            return "-1043", "Invalid ACCESS_TIMESTAMP."
        if abs(int(timestamp) - self.now_ms()) > self.max_skew_s * 1000:
            return "-1046", "Request timestamp expired."
        if not hmac.compare_digest(key, self.api_key):
            return "-1044", "Invalid ACCESS_KEY."
        if not hmac.compare_digest(passphrase or "", self.password or ""):
            return "-1049", "API key or passphrase incorrect."
        if not hmac.compare_digest(sign, self._sign(timestamp)):
            return "-1047", "API authentication failed."
        return None

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        problem = self._problem(request)
        if problem is None:
            return None
        code, msg = problem
        body = json.dumps({"code": code, "msg": msg}).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(401, "Unauthorized", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        self._authenticated(cs)  # only a verified handshake gets here

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        method, ident = data.get("method"), data.get("id")
        if method == "PING":
            await self._send(cs, {"id": ident, "method": "PONG"})
        elif method in ("SUBSCRIBE", "UNSUBSCRIBE") and isinstance(data.get("params"), list):
            await self._send(cs, {"result": True, "id": ident})
        else:
            reply: dict[str, Any] = {"result": False, "id": ident, "msg": "INVALID_ARGUMENT: invalid request"}
            await self._send(cs, reply)
