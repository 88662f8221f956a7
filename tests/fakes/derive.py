"""Fake Derive v3 JSON-RPC socket (flow: direct, ``public/login``).

docs.derive.xyz/authentication/session-login: "The signed message is the
current time in milliseconds as a decimal string (Date.now().toString()),
signed with EIP-191 personal_sign ... The signer may be the wallet itself or a
delegated session key." Login::

    {"id": N, "method": "public/login", "params": {"wallet": W, "timestamp": "MS", "signature": SIG}}

Checks, in order: params shape, ``|timestamp - now| <= max_skew_s``, then the
signer, recovered from the signature (tests/fakes/_wallet.py: coincurve and
ccxt's Keccak, never wsauth), must be one of the keys registered for that
wallet: ``api_key`` is the wallet, knob ``signers`` the addresses of its keys
(the wallet's own, session keys). Every address compared in lower case.

Replies: success ``{"id": N, "result": [subaccount ids]}`` (ccxt 4.5.90
pro/derive.py handle_auth, tests/fixtures/replies/derive.json); failure
``{"id": N, "error": {"code": C, "message": M}}`` (the JSON-RPC error shape
ccxt's handle_error_message reads; the codes and messages here are
constructed). Subscribes are answered ``{"id": N, "result": {"status": ..,
"current_subscriptions": [..]}}`` once logged in.
"""

from __future__ import annotations

from typing import Any

from ._base import ConnState, Fake, parse
from ._wallet import personal_hash, recover

SUBACCOUNT_IDS = [130837]


class DeriveFake(Fake):
    kind = "derive"
    ws_path = "/v3/ws"
    extra_knobs = frozenset({"signers"})

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        signers = self._knobs.pop("signers", None) or (self.api_key,)
        self.wallet = self.api_key.lower()
        self.signers = {address.lower() for address in signers}
        self.recovered: list[str | None] = []  # every signer recovered, in order

    def _error(self, data: dict[str, Any], code: int, message: str) -> dict[str, Any]:
        return {"id": data.get("id"), "error": {"code": code, "message": message}}

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            await self._send(cs, {"error": {"code": -32700, "message": "Parse error"}})
            return
        method = data.get("method")
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        if method == "public/login":
            problem = self._check(data, params)
            if await self._intercept_auth(cs):
                return
            if problem is not None:
                await self._verdict(cs, problem)
                return
            self._authenticated(cs)
            await self._verdict(cs, {"id": data.get("id"), "result": SUBACCOUNT_IDS})
        elif method == "subscribe":
            if not cs.authed:
                await self._send(cs, self._error(data, 14000, "not logged in (constructed)"))
                return
            channels = list(params.get("channels") or [])
            await self._send(cs, {"id": data.get("id"), "result": {"status": {c: "ok" for c in channels}, "current_subscriptions": channels}})
        else:
            await self._send(cs, self._error(data, -32601, "Method not found"))

    def _check(self, data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any] | None:
        wallet, timestamp, signature = params.get("wallet"), params.get("timestamp"), params.get("signature")
        if isinstance(signature, str):
            self._note(signature)
        if not isinstance(wallet, str) or not isinstance(timestamp, str) or not timestamp.isdigit() or not isinstance(signature, str):
            return self._error(data, -32602, "Invalid params")
        if abs(int(timestamp) - self.now_ms()) > self.max_skew_s * 1000:
            return self._error(data, 14001, "timestamp out of window (constructed)")
        signer = recover(personal_hash(timestamp.encode()), signature)
        self.recovered.append(signer)
        if wallet.lower() != self.wallet:
            return self._error(data, 14002, "unknown wallet (constructed)")
        if signer is None or signer not in self.signers:
            return self._error(data, 14014, "signature does not come from a key of this wallet (constructed)")
        return None
