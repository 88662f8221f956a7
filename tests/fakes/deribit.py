"""Fake Deribit v2 JSON-RPC socket (flow: direct, ``public/auth``).

Auth request::

    {"jsonrpc":"2.0","id":N,"method":"public/auth","params":{
        "grant_type":"client_signature","client_id":KEY,"timestamp":MS,
        "signature":SIG,"nonce":"...","data":""}}

with ``SIG = hex(HMAC-SHA256(secret, f"{timestamp}\\n{nonce}\\n{data}"))``.
``grant_type="refresh_token"`` with a ``refresh_token`` the fake issued is
accepted too.

Checks, in order: params shape (``-32602 Invalid params``, fixture format),
client_id, ``|timestamp - now| <= max_skew_s`` (default 30 s), signature, nonce
not used before for this key (state per fake, so across reconnects).

Replies (tests/fixtures/replies/deribit.json, from ccxt's pro/deribit.py):
* success: ``{"jsonrpc":"2.0","id":N,"result":{"token_type":"bearer","scope":..,
  "refresh_token":..,"expires_in":S,"access_token":..},"usIn":..,"usOut":..,
  "usDiff":..,"testnet":false}``. ``expires_in`` is 31536000 (the fixture's
  value) or ``session_ttl_s``.
* failure: same envelope with ``"error":{"message":..,"data":{..},"code":..}``:
  ``-32602 "Invalid params"`` (fixture) for a malformed request;
  ``13004 "invalid_credentials"`` (Deribit's documented code for bad
  credentials; no verbatim frame is stored) with ``data.reason`` naming the
  cause for a wrong key / stale timestamp / bad signature / reused nonce.

``session_ttl_s=N``: the reply states ``expires_in: N`` and, N s after the
auth, the connection counts as unauthenticated again (private methods answer
``13009 "unauthorized"``); the socket stays open.

Other methods: ``public/test`` / ``public/hello`` -> version,
``public/set_heartbeat`` -> "ok", ``public/subscribe`` and (authenticated)
``private/subscribe`` / ``private/unsubscribe`` -> the channel list; any other
``private/*`` when not authenticated -> 13009; unknown -> ``-32601``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from ._base import ConnState, Fake, parse

_DEFAULT_EXPIRES_IN = 31536000  # the fixture's value (seconds)


class DeribitFake(Fake):
    kind = "deribit"
    ws_path = "/ws/api/v2"
    ttl_closes_connection = False  # the lifetime is stated in expires_in instead

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self._nonces: set[str] = set()
        self._refresh_tokens: set[str] = set()

    # --------------------------------------------------------------- frames

    def _envelope(self, data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        now_us = self.now_ms() * 1000
        frame: dict[str, Any] = {"jsonrpc": "2.0"}
        if "id" in data:
            frame["id"] = data["id"]
        frame.update(body)
        frame.update({"usIn": str(now_us), "usOut": str(now_us + 50), "usDiff": 50, "testnet": False})
        return frame

    def _error(self, data: dict[str, Any], code: int, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        err: dict[str, Any] = {"message": message}
        if extra is not None:
            err["data"] = extra
        err["code"] = code
        return self._envelope(data, {"error": err})

    def _invalid(self, data: dict[str, Any], param: str) -> dict[str, Any]:
        return self._error(data, -32602, "Invalid params", {"reason": "invalid format", "param": param})

    def _bad_credentials(self, data: dict[str, Any], reason: str) -> dict[str, Any]:
        return self._error(data, 13004, "invalid_credentials", {"reason": reason})

    # ------------------------------------------------------------- handling

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            await self._send(cs, {"jsonrpc": "2.0", "error": {"message": "Parse error", "code": -32700}})
            return
        method = data.get("method")
        raw_params = data.get("params")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        if method == "public/auth":
            await self._auth(cs, data, params)
        elif method in ("public/test", "public/hello", "public/get_time"):
            result: Any = self.now_ms() if method == "public/get_time" else {"version": "1.2.26"}
            await self._send(cs, self._envelope(data, {"result": result}))
        elif method in ("public/set_heartbeat", "public/disable_heartbeat"):
            await self._send(cs, self._envelope(data, {"result": "ok"}))
        elif method == "public/subscribe":
            await self._send(cs, self._envelope(data, {"result": list(params.get("channels") or [])}))
        elif isinstance(method, str) and method.startswith("private/"):
            if not self._is_authed(cs):
                await self._send(cs, self._error(data, 13009, "unauthorized"))
            elif method in ("private/subscribe", "private/unsubscribe"):
                await self._send(cs, self._envelope(data, {"result": list(params.get("channels") or [])}))
            else:
                await self._send(cs, self._error(data, -32601, "Method not found"))
        else:
            await self._send(cs, self._error(data, -32601, "Method not found"))

    def _is_authed(self, cs: ConnState) -> bool:
        if not cs.authed:
            return False
        if cs.auth_deadline_ms is not None and self.now_ms() >= cs.auth_deadline_ms:
            cs.authed = False
            return False
        return True

    def _check(self, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any] | None:
        """None when valid, else the error frame."""
        grant = params.get("grant_type")
        if grant == "refresh_token":
            token = params.get("refresh_token")
            if not isinstance(token, str):
                return self._invalid(data, "refresh_token")
            self._note(token)
            if token not in self._refresh_tokens:
                return self._bad_credentials(data, "invalid refresh_token")
            return None
        if grant != "client_signature":
            return self._invalid(data, "grant_type")
        signature = params.get("signature")
        if isinstance(signature, str):
            self._note(signature)
        for name in ("client_id", "signature", "nonce"):
            if not isinstance(params.get(name), str) or not params[name]:
                return self._invalid(data, name)
        timestamp = params.get("timestamp")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            return self._invalid(data, "timestamp")
        extra = params.get("data", "")
        if not isinstance(extra, str):
            return self._invalid(data, "data")
        if not hmac.compare_digest(params["client_id"], self.api_key):
            return self._bad_credentials(data, "invalid client_id")
        if abs(timestamp - self.now_ms()) > self.max_skew_s * 1000:
            return self._bad_credentials(data, "timestamp out of window")
        expected = hmac.new(
            self.secret.encode(),
            f"{timestamp}\n{params['nonce']}\n{extra}".encode(),
            hashlib.sha256,
        ).hexdigest()
        if not isinstance(signature, str) or not hmac.compare_digest(signature, expected):
            return self._bad_credentials(data, "invalid signature")
        if params["nonce"] in self._nonces:
            return self._bad_credentials(data, "nonce already used")
        self._nonces.add(params["nonce"])
        return None

    async def _auth(self, cs: ConnState, data: dict[str, Any], params: dict[str, Any]) -> None:
        problem = self._check(data, params)
        if await self._intercept_auth(cs):
            return
        if problem is not None:
            await self._verdict(cs, problem)
            return
        expires_in = _DEFAULT_EXPIRES_IN if self.session_ttl_s is None else self.session_ttl_s
        expires_in = int(expires_in) if float(expires_in).is_integer() else expires_in
        now = self.now_ms()
        access = f"{now}.{secrets.token_urlsafe(6)}.{secrets.token_urlsafe(48)}"
        refresh = f"{now}.{secrets.token_urlsafe(6)}.{secrets.token_urlsafe(48)}"
        self._note(access)
        self._note(refresh)
        self._refresh_tokens.add(refresh)
        self._authenticated(cs)
        cs.auth_deadline_ms = now + int(float(expires_in) * 1000)
        result = {
            "token_type": "bearer",
            "scope": "account:read_write connection mainaccount trade:read_write wallet:read_write",
            "refresh_token": refresh,
            "expires_in": expires_in,
            "access_token": access,
        }
        await self._verdict(cs, self._envelope(data, {"result": result}))
