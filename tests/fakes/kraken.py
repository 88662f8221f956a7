"""Fake Kraken spot: REST ``GetWebSocketsToken`` + WebSocket v2 (flow: pre_auth token).

REST ``POST /0/private/GetWebSocketsToken`` (real ``ThreadingHTTPServer``),
headers ``API-Key`` and ``API-Sign``, form body containing ``nonce=N``:

    API-Sign == base64(HMAC-SHA512(b64decode(secret), path + SHA256(nonce + body)))

where ``path`` is the request path the fake received and ``body`` the raw
request body. Checks, in order: API-Key, nonce present and an integer,
signature, nonce strictly greater than the last accepted nonce for the key
(state per fake). Kraken answers these with HTTP 200 and an ``error`` list:
``EAPI:Invalid key``, ``EAPI:Invalid signature``, ``EAPI:Invalid nonce``.
Success: ``{"error":[],"result":{"token":T,"expires":900}}`` (shape quoted in
tests/fixtures/replies/kraken.json notes).

WebSocket ``/v2``. A subscribe to a private channel (``executions``,
``balances``, ``level3``) must carry ``params.token`` = a token the fake
issued and that is still valid. Replies (tests/fixtures/replies/kraken.json):
* success: ``{"method":"subscribe","req_id":N,"result":{"channel":C,"snapshot":true,..},
  "success":true,"time_in":..,"time_out":..}``
* failure: ``{"error":"ESession:Invalid session","method":"subscribe","req_id":N,
  "success":false,"time_in":..,"time_out":..}`` for an unknown/expired token
  (the fixture's ``"status":"error"`` key, flagged there as a probable test
  artefact, is left out); ``EGeneral:Invalid arguments:token required`` when
  the token is missing.
Public channels are acknowledged without a token. ``{"method":"ping"}`` ->
``{"method":"pong",...}``. ``greeting=True`` sends the v2 ``status`` frame.

Token lifetime (Kraken: valid 15 min, and while a subscription made with it is
active): a token is accepted while it is younger than ``session_ttl_s``
(default 900 s) or while some open connection holds a subscription made with
it. ``expire_listen_key()`` invalidates the newest token at once (Kraken has
no push for this; the returned task is already done).

Knobs: ``silent_auth`` / ``close_during_auth`` / ``before_verdict`` act on the
token-carrying subscribe (the socket's auth verdict); ``rest_silent`` /
``rest_close`` / ``rest_status`` / ``rest_body`` act on the REST call
(``rest_status`` bodies: 401 ``EAPI:Invalid key``, 403 ``EGeneral:Permission
denied``, 429 ``EAPI:Rate limit exceeded``, 5xx ``EService:Unavailable``, else
``EGeneral:Internal error``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import parse_qs, urlsplit

from ._base import ConnState, Fake, Frame, header, parse

PRIVATE_CHANNELS = frozenset({"executions", "balances", "level3"})


class KrakenFake(Fake):
    kind = "kraken"
    ws_path = "/v2"
    rest_path = "/0/private/GetWebSocketsToken"
    ttl_closes_connection = False

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        try:
            self._key_bytes = base64.b64decode(self.secret, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("kraken fake: the secret must be base64") from exc
        self.last_nonce: int | None = None
        self.tokens: dict[str, dict[str, Any]] = {}  # token -> {issued_ms, valid, conns}
        self.token: str | None = None  # the newest token

    @property
    def _ttl_ms(self) -> int:
        return int((900.0 if self.session_ttl_s is None else self.session_ttl_s) * 1000)

    # ----------------------------------------------------------------- REST

    def _rest_error(self, status: int) -> Any:
        if status == 401:
            text = "EAPI:Invalid key"
        elif status == 403:
            text = "EGeneral:Permission denied"
        elif status == 429:
            text = "EAPI:Rate limit exceeded"
        elif status >= 500:
            text = "EService:Unavailable"
        else:
            text = "EGeneral:Internal error"
        return {"error": [text]}

    def _rest_not_found(self) -> Any:
        return {"error": ["EGeneral:Unknown method"]}

    def sign(self, path: str, nonce: str, body: str) -> str:
        digest = hashlib.sha256((nonce + body).encode()).digest()
        mac = hmac.new(self._key_bytes, path.encode() + digest, hashlib.sha512)
        return base64.b64encode(mac.digest()).decode()

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method != "POST":
            return 405, {"error": ["EGeneral:Invalid arguments"]}
        key = header(headers, "API-Key")
        sign = header(headers, "API-Sign")
        if sign:
            self._note(sign)
        if not key or not hmac.compare_digest(key, self.api_key):
            return 200, {"error": ["EAPI:Invalid key"]}
        nonces = parse_qs(body, keep_blank_values=True).get("nonce") or [""]
        nonce_text = nonces[0]
        if not nonce_text.isdigit():
            return 200, {"error": ["EAPI:Invalid nonce"]}
        path = urlsplit(target).path
        if not sign or not hmac.compare_digest(sign, self.sign(path, nonce_text, body)):
            return 200, {"error": ["EAPI:Invalid signature"]}
        nonce = int(nonce_text)
        with self._lock:
            if self.last_nonce is not None and nonce <= self.last_nonce:
                return 200, {"error": ["EAPI:Invalid nonce"]}
            self.last_nonce = nonce
            token = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            self.tokens[token] = {"issued_ms": self.now_ms(), "valid": True, "conns": set()}
            self.token = token
            self._note(token)
        return 200, {"error": [], "result": {"token": token, "expires": self._ttl_ms // 1000}}

    # ------------------------------------------------------------ websocket

    def _greeting_frames(self) -> Iterable[Frame]:
        return [
            {
                "channel": "status",
                "type": "update",
                "data": [
                    {
                        "api_version": "v2",
                        "connection_id": 12345678901234567890,
                        "system": "online",
                        "version": "2.0.10",
                    }
                ],
            }
        ]

    def _stamp(self) -> str:
        dt = datetime.fromtimestamp(self.now_ms() / 1000, tz=timezone.utc)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _frame(self, data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        frame = dict(body)
        if "req_id" in data:
            frame["req_id"] = data["req_id"]
        stamp = self._stamp()
        frame["time_in"] = stamp
        frame["time_out"] = stamp
        return frame

    def _token_ok(self, token: str) -> bool:
        with self._lock:
            info = self.tokens.get(token)
            if info is None or not info["valid"]:
                return False
            if info["conns"]:
                return True
            if self.now_ms() - info["issued_ms"] >= self._ttl_ms:
                info["valid"] = False
                return False
            return True

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        method = data.get("method")
        raw_params = data.get("params")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        if method == "ping":
            await self._send(cs, self._frame(data, {"method": "pong"}))
        elif method in ("subscribe", "unsubscribe"):
            await self._subscribe(cs, data, method, params)
        else:
            await self._send(
                cs,
                self._frame(data, {"error": "EGeneral:Invalid arguments", "method": method, "success": False}),
            )

    async def _subscribe(self, cs: ConnState, data: dict[str, Any], method: str, params: dict[str, Any]) -> None:
        channel = params.get("channel")
        result: dict[str, Any] = {"channel": channel, "snapshot": True}
        if channel == "executions":
            result["maxratecount"] = 180
        ok_body: dict[str, Any] = {"method": method, "result": result, "success": True}
        if channel not in PRIVATE_CHANNELS:
            await self._send(cs, self._frame(data, ok_body))
            return
        token = params.get("token")
        if isinstance(token, str):
            self._note(token)
        if await self._intercept_auth(cs):
            return
        if not isinstance(token, str) or not token:
            frame = self._frame(
                data,
                {"error": "EGeneral:Invalid arguments:token required", "method": method, "success": False},
            )
        elif not self._token_ok(token):
            frame = self._frame(data, {"error": "ESession:Invalid session", "method": method, "success": False})
        else:
            if method == "subscribe":
                with self._lock:
                    self.tokens[token]["conns"].add(cs.number)
                cs.extra.setdefault("tokens", set()).add(token)
                self._authenticated(cs)
            frame = self._frame(data, ok_body)
        await self._verdict(cs, frame)

    def _on_disconnect(self, cs: ConnState) -> None:
        with self._lock:
            for token in cs.extra.get("tokens", ()):
                info = self.tokens.get(token)
                if info is not None:
                    info["conns"].discard(cs.number)

    def expire_listen_key(self) -> asyncio.Task[Any]:
        """Invalidate the newest token (Kraken pushes nothing)."""
        with self._lock:
            if self.token is None:
                raise RuntimeError("kraken fake: no token issued yet")
            self.tokens[self.token]["valid"] = False

        async def _nothing() -> None:
            return None

        return self._spawn(_nothing())
