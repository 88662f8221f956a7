"""Fake KuCoin unified-account push gateway (flow: direct, the auth frame after
the greeting), as kucoin-universal-sdk 1.3.2 (UtaPushWsService) talks to it.

On connect, after ``greeting_delay_s`` (knob, default 0.2 s), the documented
welcome (https://www.kucoin.com/docs-new/websocket-api/base-info/introduction-uta:
"The connection will only be available once the welcome message has been
received")::

    {"sessionId": <uuid>, "message": "welcome", "pingInterval": 30000}

``ping_interval_ms`` (knob, default the page's 30000) is the welcome's
``pingInterval``. The page, section 4: ``{"id": "1545910590801", "type":
"ping"}`` -- "the client side needs to send ping messages every pingInterval
time to the server to keep the link alive. After the ping message is sent to
the server, the system will return a pong message" -- answered here
``{"id": I, "type": "pong"}`` (the shape KuCoin's classic introduction shows;
kucoin-universal-sdk 1.3.2 reads a pong from ``type`` or ``op``). Each ping
(a text id, no other field) is kept in ``pings`` as (monotonic time, frame).
``idle_timeout_s`` (knob, default None: never) closes a connection that sent
no documented ping or request for that long since its welcome ("If the server
has not received any message from the client for a long time, the connection
will be disconnected"; code 1000, reason constructed), counted in
``idle_drops``; a frame it does not know is no sign of life.

``never_greet=True`` sends no welcome at all. An ``op: auth`` frame that arrives *before* the welcome is counted in
``early_auths`` and refused (constructed reason ``"auth before welcome"``).

Auth request (the SDK's _authenticate)::

    {"id": I, "op": "auth", "kc-api-key": KEY, "kc-api-sign": SIG,
     "kc-api-timestamp": "<ms>", "kc-api-passphrase": PP}

checked with this module's own hmac code: ``SIG`` = base64 HMAC-SHA256(secret,
timestamp + "POST/api/websocket/users/verify"), ``PP`` = base64
HMAC-SHA256(secret, passphrase), the timestamp within ``max_skew_s`` (default
30) of the fake's clock, a signature accepted once (``auth_ok`` counts the
accepted ones). Verdicts carry the request's id (the SDK's _resolve_ack):
``{"id": I, "result": true}``; a refusal ``{"id": I, "result": false,
"reason": R}`` (the socket's error shape as ccxt 4.5.90 pro/kucoin.py records
it; the reasons are this fake's). ``{"id", "action": "SUBSCRIBE", ...}`` ->
``{"id", "result": true}`` once authenticated, ``result: false`` before.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed

from ._base import ConnState, Fake, parse

AUTH_PLAINTEXT = "POST/api/websocket/users/verify"


def _b64_hmac(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


class KucoinUtaFake(Fake):
    kind = "kucoin_uta"
    ws_path = "/"
    extra_knobs = frozenset({"greeting_delay_s", "never_greet", "ping_interval_ms", "idle_timeout_s"})

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.greeting_delay_s = float(self._knobs.pop("greeting_delay_s", 0.2))
        self.never_greet = bool(self._knobs.pop("never_greet", False))
        self.ping_interval_ms = int(self._knobs.pop("ping_interval_ms", 30000))
        idle = self._knobs.pop("idle_timeout_s", None)
        self.idle_timeout_s: float | None = None if idle is None else float(idle)
        self.early_auths = 0
        self.greetings = 0
        self.idle_drops = 0
        self.pings: list[tuple[float, dict[str, Any]]] = []
        self._used: set[str] = set()

    async def _on_connect(self, cs: ConnState) -> None:
        cs.extra["greeted"] = False
        if not self.never_greet:
            self._spawn(self._greet(cs))

    async def _greet(self, cs: ConnState) -> None:
        await asyncio.sleep(self.greeting_delay_s)
        cs.extra["greeted"] = True  # before sending: no reply to it can arrive earlier
        welcome = {"sessionId": str(uuid.uuid4()), "message": "welcome", "pingInterval": self.ping_interval_ms}
        if await self._send(cs, welcome):
            self.greetings += 1
            cs.extra["heard"] = time.monotonic()
            if self.idle_timeout_s is not None:
                self._spawn(self._drop_when_idle(cs, self.idle_timeout_s))

    async def _drop_when_idle(self, cs: ConnState, timeout_s: float) -> None:
        while True:
            silent_for = time.monotonic() - cs.extra["heard"]
            if silent_for >= timeout_s:
                self.idle_drops += 1
                try:
                    await cs.conn.close(1000, "no ping within the idle timeout")
                except ConnectionClosed:
                    pass
                return
            await asyncio.sleep(timeout_s - silent_for)

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        if data.get("op") == "auth":
            cs.extra["heard"] = time.monotonic()
            await self._auth(cs, data)
        elif data.get("action") == "SUBSCRIBE":
            cs.extra["heard"] = time.monotonic()
            await self._send(cs, {"id": data.get("id"), "result": cs.authed})
        elif data.get("type") == "ping" and set(data) == {"id", "type"} and isinstance(data["id"], str) and data["id"]:
            cs.extra["heard"] = time.monotonic()
            with self._lock:
                self.pings.append((cs.extra["heard"], data))
            await self._send(cs, {"id": data["id"], "type": "pong"})

    def _check(self, cs: ConnState, data: dict[str, Any]) -> str | None:
        signature, passphrase = data.get("kc-api-sign"), data.get("kc-api-passphrase")
        for value in (signature, passphrase):
            self._note(value)
        if not cs.extra["greeted"]:
            self.early_auths += 1
            return "auth before welcome"
        key = data.get("kc-api-key")
        if not isinstance(key, str) or not hmac.compare_digest(key, self.api_key):
            return "invalid kc-api-key"
        timestamp = data.get("kc-api-timestamp")
        if not isinstance(timestamp, str) or not timestamp.isdigit():
            return "invalid kc-api-timestamp"
        if abs(self.now_ms() - int(timestamp)) > self.max_skew_s * 1000:
            return "kc-api-timestamp out of window"
        if not isinstance(passphrase, str) or self.password is None or not hmac.compare_digest(
            passphrase, _b64_hmac(self.secret, self.password)
        ):
            return "invalid kc-api-passphrase"
        if not isinstance(signature, str) or not hmac.compare_digest(
            signature, _b64_hmac(self.secret, timestamp + AUTH_PLAINTEXT)
        ):
            return "invalid kc-api-sign"
        with self._lock:
            if signature in self._used:
                return "kc-api-sign used before"
            self._used.add(signature)
        return None

    async def _auth(self, cs: ConnState, data: dict[str, Any]) -> None:
        problem = self._check(cs, data)
        if await self._intercept_auth(cs):
            return
        if problem is None:
            self._authenticated(cs)
            await self._verdict(cs, {"id": data.get("id"), "result": True})
        else:
            await self._verdict(cs, {"id": data.get("id"), "result": False, "reason": problem})
