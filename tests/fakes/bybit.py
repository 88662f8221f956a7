"""Fake Bybit v5 private stream (flow: direct).

Auth request: ``{"op":"auth","args":[api_key, expires, signature]}`` with
``signature = hex(HMAC-SHA256(secret, "GET/realtime" + str(expires)))`` and
``expires`` in milliseconds.

Checks, in order: args shape, api key, ``expires`` in the future (and not more
than a day ahead, which catches µs/ns units), signature.

Replies (tests/fixtures/replies/bybit.json):
* success: ``{"success":true,"ret_msg":"","op":"auth","conn_id":...}`` (Bybit docs)
* failure: ``{"success":false,"ret_msg":"error:...","conn_id":...,"request":{"op":"auth","args":[...]}}``
  (ccxt handle_error_message; no top-level ``op``). ``ret_msg`` is the
  fixture's ``error:USVC1111`` for a bad signature; the fake's own texts
  ``error:request expired`` / ``error:invalid api key`` / ``error:params error``
  for the other causes.
* ping ``{"op":"ping"}`` -> private pong ``{"req_id":..,"op":"pong","args":[ms],"conn_id":..}``.
* subscribe -> ``{"success":true,"ret_msg":"","op":"subscribe","conn_id":..}``
  when authenticated, else ``success:false`` ``ret_msg:"Request not authorized"``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ._base import ConnState, Fake, parse

_DAY_MS = 86_400_000


class BybitFake(Fake):
    kind = "bybit"
    ws_path = "/v5/private"

    def _sign(self, expires: str) -> str:
        return hmac.new(
            self.secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256
        ).hexdigest()

    def _reply(self, data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if "req_id" in data:
            body["req_id"] = data["req_id"]
        return body

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return  # Bybit ignores frames it cannot parse
        op = data.get("op")
        if op == "auth":
            await self._auth(cs, data)
        elif op == "ping":
            await self._send(
                cs,
                self._reply(
                    data,
                    {"op": "pong", "args": [str(self.now_ms())], "conn_id": cs.conn_id},
                ),
            )
        elif op in ("subscribe", "unsubscribe"):
            if cs.authed:
                body = {"success": True, "ret_msg": "", "op": op, "conn_id": cs.conn_id}
            else:
                body = {
                    "success": False,
                    "ret_msg": "Request not authorized",
                    "op": op,
                    "conn_id": cs.conn_id,
                }
            await self._send(cs, self._reply(data, body))
        else:
            await self._send(
                cs,
                self._reply(
                    data,
                    {
                        "success": False,
                        "ret_msg": "error:invalid op",
                        "conn_id": cs.conn_id,
                        "request": {"op": op if isinstance(op, str) else "", "args": data.get("args")},
                    },
                ),
            )

    def _check(self, args: Any) -> str | None:
        """None when the auth request is valid, else Bybit's ret_msg."""
        if not (isinstance(args, list) and len(args) == 3):
            return "error:params error"
        key, expires, signature = args
        if isinstance(signature, str):
            self._note(signature)
        if not (isinstance(key, str) and isinstance(signature, str)):
            return "error:params error"
        if isinstance(expires, bool) or not isinstance(expires, (int, str)):
            return "error:params error"
        expires_text = str(expires)
        if not expires_text.isdigit():
            return "error:params error"
        if not hmac.compare_digest(key, self.api_key):
            return "error:invalid api key"
        now = self.now_ms()
        if int(expires_text) <= now or int(expires_text) > now + _DAY_MS:
            return "error:request expired"
        if not hmac.compare_digest(signature, self._sign(expires_text)):
            return "error:USVC1111"
        return None

    async def _auth(self, cs: ConnState, data: dict[str, Any]) -> None:
        args = data.get("args")
        problem = self._check(args)
        if await self._intercept_auth(cs):
            return
        if problem is None:
            self._authenticated(cs)
            frame: dict[str, Any] = {"success": True, "ret_msg": "", "op": "auth", "conn_id": cs.conn_id}
        else:
            frame = {
                "success": False,
                "ret_msg": problem,
                "conn_id": cs.conn_id,
                "request": {"op": "auth", "args": args},
            }
        await self._verdict(cs, self._reply(data, frame))
