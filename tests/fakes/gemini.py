"""Fake Gemini order-events stream (flow: handshake, signed headers).

The upgrade request carries ``X-GEMINI-APIKEY``, ``X-GEMINI-PAYLOAD`` (base64
of ``{"request": "/v1/order/events", "nonce": N}``) and ``X-GEMINI-SIGNATURE``
(hex HMAC-SHA384 of the base64 payload with the secret), as Gemini documents
for its private WebSocket API.

Gemini refuses a nonce that is not larger than the last one it saw for the
key: this fake does too, in the order the upgrade requests arrive, with HTTP
400 and ``{"result": "error", "reason": "InvalidNonce", ...}``. A missing
header, a wrong key or a wrong signature is HTTP 400 ``InvalidSignature``.
``refusals`` counts the refused upgrades by reason.

After the handshake the socket sends ``{"type": "subscription_ack", ...}``
and counts as one ``auth_ok``; frames are not answered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake

PATH = "/v1/order/events"


class GeminiFake(Fake):
    kind = "gemini"
    ws_path = PATH

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.last_nonce = 0
        self.refusals: dict[str, int] = {}

    def _problem(self, request: Request) -> str | None:
        key = request.headers.get("X-GEMINI-APIKEY") or ""
        payload = request.headers.get("X-GEMINI-PAYLOAD") or ""
        signature = request.headers.get("X-GEMINI-SIGNATURE") or ""
        self._note(signature)
        expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha384).hexdigest()
        if not hmac.compare_digest(key, self.api_key) or not hmac.compare_digest(signature, expected):
            return "InvalidSignature"
        try:
            data = json.loads(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            return "InvalidSignature"
        nonce = data.get("nonce") if isinstance(data, dict) else None
        if not isinstance(nonce, int) or data.get("request") != PATH:
            return "InvalidSignature"
        with self._lock:
            if nonce <= self.last_nonce:
                return "InvalidNonce"
            self.last_nonce = nonce
        return None

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        reason = self._problem(request)
        if reason is None:
            return None
        self.refusals[reason] = self.refusals.get(reason, 0) + 1
        body = json.dumps({"result": "error", "reason": reason, "message": f"{reason} for this key"}).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(400, "Bad Request", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        self._authenticated(cs)  # only a verified handshake gets here
        await self._send(cs, {"type": "subscription_ack", "accountId": 1, "subscriptionId": cs.conn_id})

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        return None
