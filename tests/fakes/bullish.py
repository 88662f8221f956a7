"""Fake Bullish: REST HMAC login + private-data stream (flow: pre_auth, the
REST answer in a handshake cookie).

REST ``GET /trading-api/v1/users/hmac/login`` (real ``ThreadingHTTPServer``),
headers ``BX-PUBLIC-KEY``, ``BX-TIMESTAMP`` (ms), ``BX-NONCE`` (µs) and
``BX-SIGNATURE`` = hex(HMAC-SHA256(secret, timestamp + nonce + "GET" + path)),
``path`` being the request path the fake received. Checks, in order: the
public key, timestamp digits and within ``max_skew_s``, nonce digits and
strictly greater than the last accepted one (state per fake), signature.
Refusals are HTTP 401 ``{"message", "errorCode", "errorCodeName"}`` (the shape
ccxt's bullish.handle_errors quotes). Success:
``{"authorizer", "ownerAuthorizer", "token"}`` with a fresh JWT-like token.

WebSocket ``/trading-api/v1/private-data``: the upgrade must carry the cookie
``JWT_COOKIE=<an issued token>``, else HTTP 401. After it:
* ``{"jsonrpc":"2.0","type":"command","method":"subscribe","params":{"topic":T},"id"}``
  -> ``{"jsonrpc":"2.0","id","result":{"message":"Successfully subscribed"}}``.
* ``{"jsonrpc":"2.0","type":"command","method":"keepalivePing","id"}`` ->
  ``{"jsonrpc":"2.0","id","result":{"message":"Keep alive pong"}}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake, header, parse


def _refused(message: str, code: int = 401, name: str = "UNAUTHORIZED") -> tuple[int, dict[str, Any]]:
    return 401, {"message": message, "errorCode": code, "errorCodeName": name}


class BullishFake(Fake):
    kind = "bullish"
    ws_path = "/trading-api/v1/private-data"
    rest_path = "/trading-api/v1/users/hmac/login"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.last_nonce: int | None = None
        self.tokens: set[str] = set()

    def _rest_error(self, status: int) -> Any:
        return {"message": f"HTTP {status}", "errorCode": status, "errorCodeName": "ERROR"}

    def sign(self, timestamp: str, nonce: str, path: str) -> str:
        return hmac.new(self.secret.encode(), f"{timestamp}{nonce}GET{path}".encode(), hashlib.sha256).hexdigest()

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method != "GET":
            return 405, {"message": "Method not allowed", "errorCode": 405, "errorCodeName": "METHOD_NOT_ALLOWED"}
        key, timestamp = header(headers, "BX-PUBLIC-KEY"), header(headers, "BX-TIMESTAMP") or ""
        nonce, signature = header(headers, "BX-NONCE") or "", header(headers, "BX-SIGNATURE")
        if signature:
            self._note(signature)
        if not key or not hmac.compare_digest(key, self.api_key):
            return _refused("Invalid public key", 401)
        if not timestamp.isdigit() or abs(int(timestamp) - self.now_ms()) > self.max_skew_s * 1000:
            return _refused("Request timestamp is outside the accepted window", 6029, "INVALID_TIMESTAMP")
        if not nonce.isdigit():
            return _refused("Invalid nonce", 6030, "INVALID_NONCE")
        if not signature or not hmac.compare_digest(signature, self.sign(timestamp, nonce, urlsplit(target).path)):
            return _refused("Invalid signature", 6031, "INVALID_SIGNATURE")
        with self._lock:
            if self.last_nonce is not None and int(nonce) <= self.last_nonce:
                return _refused("Nonce already used or too small", 6030, "INVALID_NONCE")
            self.last_nonce = int(nonce)
            claims = base64.urlsafe_b64encode(json.dumps({"sub": self.api_key}).encode()).decode().rstrip("=")
            token = f"eyJhbGciOiJFUzI1NiJ9.{claims}.{secrets.token_urlsafe(32)}"
            self.tokens.add(token)
            self._note(token)
        authorizer = "113363EFA2CA00007368524E02000000"
        return 200, {"authorizer": authorizer, "ownerAuthorizer": authorizer, "token": token}

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        cookie = SimpleCookie()
        cookie.load(request.headers.get("Cookie", ""))
        jwt = cookie["JWT_COOKIE"].value if "JWT_COOKIE" in cookie else ""
        with self._lock:
            if jwt and jwt in self.tokens:
                return None
        body = json.dumps({"message": "Unable to authenticate; JWT is missing/invalid", "errorCode": 401}).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(401, "Unauthorized", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        self._authenticated(cs)  # only a valid JWT cookie gets here

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        method, ident = data.get("method"), data.get("id")
        if method == "subscribe":
            await self._send(cs, {"jsonrpc": "2.0", "id": ident, "result": {"message": "Successfully subscribed"}})
        elif method == "keepalivePing":
            await self._send(cs, {"jsonrpc": "2.0", "id": ident, "result": {"message": "Keep alive pong"}})
