"""Fake Bitfinex v2 socket (flow: direct).

Auth request::

    {"event":"auth","apiKey":KEY,"authSig":SIG,"authNonce":N,"authPayload":"AUTH<N>"}

with ``SIG = hex(HMAC-SHA384(secret, authPayload))``.

Checks, in order: a second auth on an authenticated connection (``auth: dup``),
api key, payload == ``"AUTH" + str(authNonce)`` (a fake-side consistency check),
signature, nonce strictly greater than the last accepted nonce for the key,
across every connection of this fake. A rejected request does not advance the
nonce.

Replies (tests/fixtures/replies/bitfinex.json):
* success: ``{"event":"auth","status":"OK","chanId":0,"userId":..,"auth_id":..,"caps":{..}}``
  (ccxt pro/bitfinex.py comment).
* failure: ``{"event":"auth","status":"FAILED","chanId":0,"code":C,"msg":M}``
  (fixture shape): 10100 ``apikey: invalid`` (fixture, unknown key),
  10100 ``apikey: digest invalid`` (bad signature or payload),
  10114 ``nonce: small`` (nonce not increasing), 10100 ``auth: dup``.
* ``{"event":"ping","cid":N}`` -> ``{"event":"pong","ts":ms,"cid":N}``.
* ``greeting=True``: ``{"event":"info","version":2,"serverId":..,"platform":{"status":1}}`` on connect.
* ``session_ttl_s=N``: Bitfinex states no lifetime; the fake closes the
  connection (code 1000) N s after its successful auth.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any, Iterable

from ._base import ConnState, Fake, Frame, parse

_CAPS = {
    "orders": {"read": 1, "write": 1},
    "account": {"read": 1, "write": 1},
    "funding": {"read": 1, "write": 1},
    "history": {"read": 1, "write": 0},
    "wallets": {"read": 1, "write": 1},
    "withdraw": {"read": 0, "write": 1},
    "positions": {"read": 1, "write": 1},
    "ui_withdraw": {"read": 0, "write": 0},
}


class BitfinexFake(Fake):
    kind = "bitfinex"
    ws_path = "/ws/2"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.last_nonce: int | None = None
        self._chan_ids = iter(range(100, 1_000_000))

    def _greeting_frames(self) -> Iterable[Frame]:
        return [{"event": "info", "version": 2, "serverId": str(uuid.uuid4()), "platform": {"status": 1}}]

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        event = data.get("event")
        if event == "auth":
            await self._auth(cs, data)
        elif event == "ping":
            pong: dict[str, Any] = {"event": "pong", "ts": self.now_ms()}
            if "cid" in data:
                pong["cid"] = data["cid"]
            await self._send(cs, pong)
        elif event == "conf":
            await self._send(cs, {"event": "conf", "status": "OK", "flags": data.get("flags")})
        elif event == "subscribe":
            reply = {k: v for k, v in data.items() if k != "event"}
            await self._send(cs, {"event": "subscribed", **reply, "chanId": next(self._chan_ids)})

    def _check(self, cs: ConnState, data: dict[str, Any]) -> tuple[int, str] | None:
        signature = data.get("authSig")
        if isinstance(signature, str):
            self._note(signature)
        if cs.authed:
            return 10100, "auth: dup"
        key = data.get("apiKey")
        if not isinstance(key, str) or not hmac.compare_digest(key, self.api_key):
            return 10100, "apikey: invalid"
        nonce = data.get("authNonce")
        if isinstance(nonce, str) and nonce.isdigit():
            nonce = int(nonce)
        payload = data.get("authPayload")
        if (
            isinstance(nonce, bool)
            or not isinstance(nonce, int)
            or not isinstance(payload, str)
            or payload != f"AUTH{nonce}"
            or not isinstance(signature, str)
        ):
            return 10100, "apikey: digest invalid"
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha384).hexdigest()
        if not hmac.compare_digest(signature, expected):
            return 10100, "apikey: digest invalid"
        with self._lock:
            if self.last_nonce is not None and nonce <= self.last_nonce:
                return 10114, "nonce: small"
            self.last_nonce = nonce
        return None

    async def _auth(self, cs: ConnState, data: dict[str, Any]) -> None:
        problem = self._check(cs, data)
        if await self._intercept_auth(cs):
            return
        if problem is None:
            self._authenticated(cs)
            frame: dict[str, Any] = {
                "event": "auth",
                "status": "OK",
                "chanId": 0,
                "userId": 3159883,
                "auth_id": str(uuid.uuid4()),
                "caps": _CAPS,
            }
        else:
            code, msg = problem
            frame = {"event": "auth", "status": "FAILED", "chanId": 0, "code": code, "msg": msg}
        await self._verdict(cs, frame)
