"""Fake HollaEx stream (flow: handshake, signed URL).

The socket URL carries ``api-key``, ``api-signature`` and ``api-expires``
(seconds) in its query string, with
``api-signature = hex(HMAC-SHA256(secret, "CONNECT/stream" + api-expires))``.

A URL without any of the three opens a public connection. A URL with them is
checked on the handshake, in order: all three present, ``api-expires`` digits,
in the future and not more than a day ahead (which catches ms units), the api
key, the signature. A failed check refuses the upgrade with HTTP 403 and
``{"message": ...}``.

Frames after the handshake:
* ``{"op": "subscribe", "args": [topic, ...]}``: a private topic (order,
  wallet, usertrade) on a public connection ->
  ``{"error": "Bearer or HMAC authentication required"}``
  (tests/fixtures/replies/hollaex.json); otherwise nothing (data follows).
* ``{"op": "ping"}`` -> ``{"message": "pong"}``.
* anything else -> ``{"error": "Error: wrong input"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake, parse

_DAY_S = 86_400
PRIVATE_TOPICS = {"order", "wallet", "usertrade"}
AUTH_PARAMS = ("api-key", "api-signature", "api-expires")


class HollaexFake(Fake):
    kind = "hollaex"
    ws_path = "/stream"

    def _sign(self, expires: str) -> str:
        return hmac.new(self.secret.encode(), f"CONNECT/stream{expires}".encode(), hashlib.sha256).hexdigest()

    def _problem(self, query: dict[str, list[str]]) -> str | None:
        values = {name: (query.get(name) or [""])[0] for name in AUTH_PARAMS}
        key, signature, expires = values["api-key"], values["api-signature"], values["api-expires"]
        if signature:
            self._note(signature)
        if not (key and signature and expires):
            return "Missing authentication parameters"
        if not expires.isdigit():
            return "Invalid expires"
        now_s = self.now_ms() // 1000
        if int(expires) <= now_s or int(expires) > now_s + _DAY_S:
            return "Access Token Expired"
        if not hmac.compare_digest(key, self.api_key):
            return "Invalid API Key"
        if not hmac.compare_digest(signature, self._sign(expires)):
            return "Invalid Signature"
        return None

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        if not any(name in query for name in AUTH_PARAMS):
            return None  # a public connection
        problem = self._problem(query)
        if problem is None:
            return None
        body = json.dumps({"message": problem}).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(403, "Forbidden", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        query = parse_qs(urlsplit(cs.conn.request.path).query) if cs.conn.request else {}
        if any(name in query for name in AUTH_PARAMS):  # verified by _check_handshake
            self._authenticated(cs)

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        op, args = data.get("op"), data.get("args")
        if op == "ping":
            await self._send(cs, {"message": "pong"})
        elif op == "subscribe" and isinstance(args, list):
            topics = {str(arg).split(":")[0] for arg in args}
            if topics & PRIVATE_TOPICS and not cs.authed:
                await self._send(cs, {"error": "Bearer or HMAC authentication required"})
        else:
            await self._send(cs, {"error": "Error: wrong input"})
