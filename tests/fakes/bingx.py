"""Fake BingX user data stream (flow: pre_auth, a listen key from a REST call
signed over its query string).

REST (a real ``ThreadingHTTPServer`` on 127.0.0.1), path
``/openApi/user/auth/userDataStream``, header ``X-BX-APIKEY``, no body; the
query string is ``timestamp=<ms>&signature=<hex>`` where the signature is
HMAC-SHA256(secret, every parameter before ``&signature=``, as sent), hex — as
BingX's signed endpoints and ccxt's ``sign()`` do. Checked here with this
module's own hmac code:

* ``POST`` -> ``{"listenKey": KEY}`` (the shape in
  tests/fixtures/replies/bingx.json); while a key is valid POST returns it again
  and extends it.
* BingX answers refusals with HTTP 200 and a non-zero ``code``: a wrong API key
  -> ``{"code":100413,"msg":"Incorrect apiKey, ..."}``; a wrong signature ->
  ``{"code":100001,"msg":"Signature verification failed"}``; a timestamp
  further than ``max_skew_s`` (default 30) from the fake's clock, or a
  signature already used -> ``{"code":100001,"msg":"timestamp expired or reused"}``
  (the texts of the last two are this fake's own).

WebSocket: ``/market`` (spot) and ``/swap-market`` (USD-M), each with
``?listenKey=KEY``; the handshake, expiry (``listenKeyExpired`` pushed) and
``expire_listen_key()`` are the Binance USD-M fake's. A JSON subscribe
``{"id", "reqType": "sub", "dataType"}`` is answered
``{"id", "code": 0, "msg": "", "dataType", "data": null}``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlsplit

from ._base import CLOSE, HANG, ConnState, header, parse
from .binanceusdm import BinanceUsdmFake

_BAD_KEY = {"code": 100413, "msg": "Incorrect apiKey, please check your valid api key ..."}
_BAD_SIGNATURE = {"code": 100001, "msg": "Signature verification failed"}
_STALE = {"code": 100001, "msg": "timestamp expired or reused"}


class BingxFake(BinanceUsdmFake):
    kind = "bingx"
    ws_path = "/market"
    ws_paths = ("/market", "/swap-market")
    rest_path = "/openApi/user/auth/userDataStream"
    extra_knobs = frozenset()

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self._used: set[str] = set()

    def _rest_error(self, status: int) -> Any:
        return {"code": status, "msg": f"HTTP {status}"}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if self.silent_auth or self.close_during_auth not in (False, None):
            return HANG if self.silent_auth and self.close_during_auth in (False, None) else CLOSE
        if method != "POST":
            return 405, {"code": 100400, "msg": "method not allowed"}
        key = header(headers, "X-BX-APIKEY")
        if not key or not hmac.compare_digest(key, self.api_key):
            return 200, _BAD_KEY
        query = urlsplit(target).query
        signed, marker, signature = query.rpartition("&signature=")
        params = dict(part.partition("=")[::2] for part in signed.split("&") if part)
        expected = hmac.new(self.secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not marker or not hmac.compare_digest(signature, expected):
            return 200, _BAD_SIGNATURE
        self._note(signature)
        try:
            timestamp = int(params.get("timestamp", ""))
        except ValueError:
            return 200, _STALE
        with self._lock:
            if abs(self.now_ms() - timestamp) > self.max_skew_s * 1000 or signature in self._used:
                return 200, _STALE
            self._used.add(signature)
        return super()._rest("POST", target, {"X-MBX-APIKEY": self.api_key}, body)

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if isinstance(data, dict) and data.get("reqType") == "sub":
            await self._send(cs, {"id": data.get("id"), "code": 0, "msg": "", "dataType": data.get("dataType"), "data": None})

