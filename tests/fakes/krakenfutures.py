"""Fake Kraken Futures v1 socket (flow: challenge).

1. ``{"event":"challenge","api_key":KEY}`` -> ``{"event":"challenge","message":UUID}``
   (docs example, tests/fixtures/replies/krakenfutures.json). An unknown key
   gets ``{"event":"error","message":"Invalid API key"}`` (documented error
   shape; the message is the fake's).
2. Each private subscribe carries ``api_key``, ``original_challenge`` and
   ``signed_challenge`` with
   ``signed_challenge == base64(HMAC-SHA512(b64decode(secret), SHA256(challenge)))``.
   Checks: api key, the challenge was issued by this fake (any connection: the
   pair is reusable, as ccxt repeats it in every subscribe) and has not
   expired, signature.

Replies:
* success: ``{"event":"subscribed","feed":F,"api_key":..,"original_challenge":..,"signed_challenge":..}``
  (docs, fixture).
* failure: ``{"event":"alert","message":"Failed to subscribe to authenticated feed"}``
  (ccxt pro/krakenfutures.py comment, fixture).
* a frame that is not JSON / has no known event:
  ``{"event":"error","message":"Json Error"}`` (docs, fixture).
Public feeds are acknowledged ``{"event":"subscribed","feed":F,...}`` without
checks. ``greeting=True`` sends ``{"event":"info","version":1}`` on connect.

Knobs: ``silent_auth`` leaves both the challenge request and the
auth-carrying subscribes unanswered; ``close_during_auth`` closes on the
challenge request (or on an auth-carrying subscribe); ``before_verdict``
frames precede the challenge reply and every private-subscribe verdict.
``challenge="..."`` fixes the challenge the fake issues (default: a fresh
uuid4 per request). ``session_ttl_s=N``: Kraken Futures states no lifetime;
the fake stops accepting a challenge N s after issuing it and closes a
connection (code 1000) N s after its first accepted private subscribe.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from typing import Any, Iterable

from ._base import ConnState, Fake, Frame, parse

PRIVATE_FEEDS = frozenset(
    {
        "open_orders",
        "open_orders_verbose",
        "fills",
        "open_positions",
        "account_log",
        "balances",
        "deposits_withdrawals",
        "notifications_auth",
        "account_balances_and_margins",
    }
)

_ALERT = {"event": "alert", "message": "Failed to subscribe to authenticated feed"}


class KrakenFuturesFake(Fake):
    kind = "krakenfutures"
    ws_path = "/ws/v1"
    extra_knobs = frozenset({"challenge"})

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        try:
            self._key_bytes = base64.b64decode(self.secret, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("krakenfutures fake: the secret must be base64") from exc
        self.fixed_challenge: str | None = self._knobs.pop("challenge", None)
        self.challenges: dict[str, int] = {}  # challenge -> issued at (ms)

    def sign(self, challenge: str) -> str:
        digest = hashlib.sha256(challenge.encode()).digest()
        return base64.b64encode(hmac.new(self._key_bytes, digest, hashlib.sha512).digest()).decode()

    def _greeting_frames(self) -> Iterable[Frame]:
        return [{"event": "info", "version": 1}]

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            await self._send(cs, {"event": "error", "message": "Json Error"})
            return
        event = data.get("event")
        if event == "challenge":
            await self._challenge(cs, data)
        elif event in ("subscribe", "unsubscribe"):
            await self._subscribe(cs, data, event)
        else:
            await self._send(cs, {"event": "error", "message": "Json Error"})

    async def _challenge(self, cs: ConnState, data: dict[str, Any]) -> None:
        if await self._intercept_auth(cs):
            return
        key = data.get("api_key")
        if not isinstance(key, str) or not hmac.compare_digest(key, self.api_key):
            await self._verdict(cs, {"event": "error", "message": "Invalid API key"})
            return
        challenge = self.fixed_challenge or str(uuid.uuid4())
        self.challenges[challenge] = self.now_ms()
        await self._verdict(cs, {"event": "challenge", "message": challenge})

    def _check(self, data: dict[str, Any]) -> bool:
        key = data.get("api_key")
        original = data.get("original_challenge")
        signed = data.get("signed_challenge")
        if isinstance(signed, str):
            self._note(signed)
        if not (isinstance(key, str) and isinstance(original, str) and isinstance(signed, str)):
            return False
        if not hmac.compare_digest(key, self.api_key):
            return False
        issued = self.challenges.get(original)
        if issued is None:
            return False
        if self.session_ttl_s is not None and self.now_ms() - issued >= self.session_ttl_s * 1000:
            return False
        return hmac.compare_digest(signed, self.sign(original))

    async def _subscribe(self, cs: ConnState, data: dict[str, Any], event: str) -> None:
        feed = data.get("feed")
        done = "subscribed" if event == "subscribe" else "unsubscribed"
        echo = {k: v for k, v in data.items() if k != "event"}
        if feed not in PRIVATE_FEEDS:
            await self._send(cs, {"event": done, **echo})
            return
        ok = self._check(data)
        if await self._intercept_auth(cs):
            return
        if ok:
            self._authenticated(cs)
            await self._verdict(cs, {"event": done, **echo})
        else:
            await self._verdict(cs, _ALERT)
