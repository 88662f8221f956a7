"""Fake Binance margin user data stream (flow: pre_auth, the REST call's token
sent in an auth frame).

REST (a real ``ThreadingHTTPServer`` on 127.0.0.1), path
``/sapi/v1/userListenToken``, header ``X-MBX-APIKEY``: a USER_STREAM endpoint,
so, as on Binance, the API key is checked and nothing is signed.

* ``POST`` -> ``{"token": TOKEN, "expirationTime": <ms>}`` (the docs' response
  shape); every POST mints a new token, valid ``session_ttl_s`` (default
  86400, Binance's 24 hours).
* missing header -> HTTP 401 ``{"code":-2014,"msg":"API-key format invalid."}``;
  wrong key -> HTTP 401 ``{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}``.

WebSocket API: ``/ws-api/v3``. ``{"id", "method":
"userDataStream.subscribe.listenToken", "params": {"listenToken"}}`` with a
token this fake issued and that has not expired -> ``{"id", "status": 200,
"result": {"subscriptionId": N, "expirationTime": <ms>}}`` and counts as one
``auth_ok``; the same call on the same socket with a newer token renews the
subscription (Binance's documented renewal). An unknown or expired token ->
``{"id", "status": 400, "error": {"code": -1209, "msg": "Invalid listenToken."}}``
(the code is Binance's, the text this fake's own). When a socket's token
expires it receives ``{"event": {"e": "eventStreamTerminated", "E": <ms>}}``.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from typing import Any

from ._base import CLOSE, HANG, ConnState, Fake, parse
from .binanceusdm import _BAD_KEY, api_key_refusal



class BinanceMarginFake(Fake):
    kind = "binancemargin"
    ws_path = "/ws-api/v3"
    rest_path = "/sapi/v1/userListenToken"
    ttl_closes_connection = False

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.tokens: dict[str, int] = {}  # token -> expiry (ms)
        self._subscriptions = itertools.count()

    @property
    def _ttl_ms(self) -> int:
        return int((86400.0 if self.session_ttl_s is None else self.session_ttl_s) * 1000)

    def _rest_error(self, status: int) -> Any:
        return _BAD_KEY if status in (401, 403) else {"code": -1000, "msg": "An unknown error occurred while processing the request."}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if self.silent_auth or self.close_during_auth not in (False, None):
            return HANG if self.silent_auth and self.close_during_auth in (False, None) else CLOSE
        refusal = api_key_refusal(headers, self.api_key)
        if refusal is not None:
            return refusal
        if method != "POST":
            return 405, {"code": -1000, "msg": "Method not allowed."}
        token = secrets.token_urlsafe(48)
        with self._lock:
            expiry = self.now_ms() + self._ttl_ms
            self.tokens[token] = expiry
        self._note(token)
        return 200, {"token": token, "expirationTime": expiry}

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict) or data.get("method") != "userDataStream.subscribe.listenToken":
            if isinstance(data, dict):
                await self._send(cs, {"id": data.get("id"), "status": 400, "error": {"code": -1102, "msg": "Unknown method."}})
            return
        if await self._intercept_auth(cs):
            return
        params = data.get("params")
        token = params.get("listenToken") if isinstance(params, dict) else None
        with self._lock:
            expiry = self.tokens.get(token) if isinstance(token, str) else None
            valid = expiry is not None and self.now_ms() < expiry
        if not valid:
            await self._verdict(cs, {"id": data.get("id"), "status": 400, "error": {"code": -1209, "msg": "Invalid listenToken."}})
            return
        self._authenticated(cs)
        cs.extra["expiry"] = expiry
        if cs.ttl_task is not None:
            cs.ttl_task.cancel()
        cs.ttl_task = self._spawn(self._terminate_at(cs, expiry))
        result = {"subscriptionId": next(self._subscriptions), "expirationTime": expiry}
        await self._verdict(cs, {"id": data.get("id"), "status": 200, "result": result})

    async def _terminate_at(self, cs: ConnState, expiry: int) -> None:
        await asyncio.sleep(max(0.0, (expiry - self.now_ms()) / 1000))
        await self._send(cs, {"event": {"e": "eventStreamTerminated", "E": self.now_ms()}})
