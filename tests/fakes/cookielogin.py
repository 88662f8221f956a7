"""Fake cookie login: a constructed exchange (no real one's replies) for the
engine parts GRVT and Aster need, with a shared secret so that it needs no
wallet key: the catalogue of tests/generator/test_rest_session.py.

REST ``/login`` (real ``ThreadingHTTPServer``): headers ``X-Key`` and
``X-Sign`` = hex(HMAC-SHA256(secret, body)), form body
``nonce=<µs>&expiration=<ns>``. Checks, in order: the key, the nonce (digits,
within ``max_skew_s`` of the fake's clock, never seen before: every nonce is
remembered), the expiration (nanoseconds, in the future), the signature.
Refusals: HTTP 401 ``{"e": reason}``.

* ``POST``: the login. Success: HTTP 200 ``{"status": "success"}`` whose
  *headers* carry the session: ``Set-Cookie: gravity=<fresh>; Path=/;
  HttpOnly`` (after an unrelated ``Set-Cookie: rm=true``) and
  ``X-Account-Id: <account>``.
* ``PUT``: the keep-alive, signed the same way with a nonce of its own.
  Success: HTTP 200 ``{}``; each accepted one is counted in ``keepalives``.

WebSocket ``/ws``: the upgrade must carry ``Cookie: gravity=<a session the
fake issued>`` (that cookie only) and ``X-Account-Id`` equal to the account,
else HTTP 401.
Then the connection is authenticated; frames are only recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake, header

ACCOUNT = "4724219064482495"


class CookieLoginFake(Fake):
    kind = "cookielogin"
    ws_path = "/ws"
    rest_path = "/login"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.nonces: set[int] = set()
        self.cookies: set[str] = set()
        self.keepalives = 0
        self.refusals: list[str] = []

    def _rest_error(self, status: int) -> Any:
        return {"e": f"HTTP {status}"}

    def _refused(self, reason: str) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.refusals.append(reason)
        return 401, {"e": reason}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method not in ("POST", "PUT"):
            return 405, {"e": "method not allowed"}
        signature = header(headers, "X-Sign") or ""
        if signature:
            self._note(signature)
        if not hmac.compare_digest(header(headers, "X-Key") or "", self.api_key):
            return self._refused("unknown key")
        form = parse_qs(body, keep_blank_values=True)
        nonce, expiration = (form.get("nonce") or [""])[0], (form.get("expiration") or [""])[0]
        if not nonce.isdigit() or abs(int(nonce) // 1000 - self.now_ms()) > self.max_skew_s * 1000:
            return self._refused("nonce outside the window")
        if not expiration.isdigit() or int(expiration) // 1_000_000 <= self.now_ms():
            return self._refused("expired")
        expected = hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            return self._refused("bad signature")
        with self._lock:
            if int(nonce) in self.nonces:
                return self._refused("nonce already used")
            self.nonces.add(int(nonce))
            if method == "PUT":
                self.keepalives += 1
                return 200, {}
            cookie = secrets.token_urlsafe(24)
            self.cookies.add(cookie)
            self._note(cookie)
        session = [("Set-Cookie", "rm=true; Path=/"), ("Set-Cookie", f"gravity={cookie}; Path=/; HttpOnly"),
                   ("X-Account-Id", ACCOUNT)]
        return 200, {"status": "success"}, session

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        jar = SimpleCookie()
        jar.load(request.headers.get("Cookie", ""))
        cookie = jar["gravity"].value if list(jar) == ["gravity"] else ""
        with self._lock:
            if cookie in self.cookies and request.headers.get("X-Account-Id") == ACCOUNT:
                return None
        body = json.dumps({"e": "no session"}).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(401, "Unauthorized", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        self._authenticated(cs)  # only a valid session gets here

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        return None
