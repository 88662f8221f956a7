"""Fake LBank private stream (flow: pre_auth, a subscribe key from a REST call
signed over an MD5 digest, sent in each private subscribe; nothing answers it).

REST (a real ``ThreadingHTTPServer`` on 127.0.0.1), path
``/v2/subscribe/get_key.do``, form body ``api_key=...&sign=...`` and headers
``timestamp``, ``signature_method: HmacSHA256``, ``echostr`` (30-40
alphanumerics). Checked with this module's own code, as LBank's docs and ccxt's
``sign()`` describe: ``sign`` = hex HMAC-SHA256(secret, upper-case hex
MD5(``api_key=..&echostr=..&signature_method=HmacSHA256&timestamp=..``));
the timestamp within ``max_skew_s`` (default 30); an echostr used once.

* success -> ``{"result": true, "data": KEY, "error_code": 0, "ts": <ms>}``;
* refusals -> ``{"result": "false", "error_code": N, "ts": <ms>}`` with HTTP 200
  (LBank sends no text): 10005 unknown key, 10007 bad signature, 10003 a
  stale timestamp, a reused or malformed echostr.

WebSocket ``/ws/V2/``: ``{"action": "subscribe", "subscribe": ..,
"subscribeKey": KEY}`` with a key it issued counts as one ``auth_ok`` and, as
on LBank, is not answered; a wrong key gets ``{"status": "error", "message":
"invalid subscribeKey"}`` (this fake's text).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs

from ._base import CLOSE, HANG, ConnState, Fake, header, parse


class LbankFake(Fake):
    kind = "lbank"
    ws_path = "/ws/V2/"
    rest_path = "/v2/subscribe/get_key.do"
    ttl_closes_connection = False

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.keys: list[str] = []
        self._echostrs: set[str] = set()

    def _refuse(self, code: int) -> Any:
        return 200, {"result": "false", "error_code": code, "ts": self.now_ms()}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if self.silent_auth or self.close_during_auth not in (False, None):
            return HANG if self.silent_auth and self.close_during_auth in (False, None) else CLOSE
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if not hmac.compare_digest(form.get("api_key", ""), self.api_key):
            return self._refuse(10005)
        timestamp = header(headers, "timestamp") or ""
        echostr = header(headers, "echostr") or ""
        signed = f"api_key={self.api_key}&echostr={echostr}&signature_method=HmacSHA256&timestamp={timestamp}"
        digest = hashlib.md5(signed.encode()).hexdigest().upper()
        expected = hmac.new(self.secret.encode(), digest.encode(), hashlib.sha256).hexdigest()
        if header(headers, "signature_method") != "HmacSHA256" or not hmac.compare_digest(form.get("sign", ""), expected):
            return self._refuse(10007)
        self._note(expected)
        with self._lock:
            fresh = timestamp.isdecimal() and abs(self.now_ms() - int(timestamp)) <= self.max_skew_s * 1000
            if not fresh or not (30 <= len(echostr) <= 40 and echostr.isalnum()) or echostr in self._echostrs:
                return self._refuse(10003)
            self._echostrs.add(echostr)
            key = secrets.token_hex(32)
            self.keys.append(key)
        self._note(key)
        return 200, {"result": True, "data": key, "error_code": 0, "ts": self.now_ms()}

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict) or data.get("action") != "subscribe" or "subscribeKey" not in data:
            return
        with self._lock:
            valid = data.get("subscribeKey") in self.keys
        if valid:
            if not cs.authed:
                self._authenticated(cs)
            return  # LBank does not answer a private subscribe
        await self._send(cs, {"status": "error", "message": "invalid subscribeKey"})
