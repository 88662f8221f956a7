"""Fake Nado subscriptions socket (flow: direct, ``authenticate``).

docs.vertexprotocol.com/developer-resources/api/subscriptions/authentication
(Nado runs Vertex's engine)::

    {"method": "authenticate", "id": N, "tx": {"sender": S, "expiration": "MS"}, "signature": SIG}

Checks, in order: shape, the expiration (refused "if the expiration is either
smaller than the current time or more than 100 seconds ahead of it"), then the
signer, recovered from the EIP-712 digest of ``StreamAuthentication{bytes32
sender, uint64 expiration}`` under the domain {name "Nado", version "0.0.1",
chainId, verifyingContract} (tests/fakes/_wallet.py: ccxt's bundled ethabi and
Keccak, coincurve's recovery; never wsauth), which must be the wallet named by
the sender's first 20 bytes ("The signature must be signed by the wallet
address specified by sender") and one this fake knows: ``api_key`` is that
wallet's address.

Replies: success ``{"result": null, "id": N}`` (the docs' response); failure
``{"status": "failure", "error": M, "error_code": C, "id": N}`` (the fields
ccxt 4.5.90 pro/nado.py handle_error_message reads; codes and texts constructed).
"""

from __future__ import annotations

from typing import Any

from ._base import ConnState, Fake, parse
from ._wallet import recover, typed_data_hash

DOMAIN = {"name": "Nado", "version": "0.0.1", "chainId": 57073, "verifyingContract": "0x05ec92D78ED421f3D3Ada77FFdE167106565974E"}
TYPES = {"StreamAuthentication": [{"name": "sender", "type": "bytes32"}, {"name": "expiration", "type": "uint64"}]}
MAX_AHEAD_MS = 100_000


class NadoFake(Fake):
    kind = "nado"
    ws_path = "/v1/subscribe"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.wallet = self.api_key.lower()
        self.recovered: list[str | None] = []

    def _error(self, data: dict[str, Any], code: int, message: str) -> dict[str, Any]:
        return {"status": "failure", "error": message, "error_code": code, "id": data.get("id")}

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            await self._send(cs, {"status": "failure", "error": "invalid json (constructed)", "error_code": 1000})
            return
        method = data.get("method")
        if method == "authenticate":
            problem = self._check(data)
            if await self._intercept_auth(cs):
                return
            if problem is not None:
                await self._verdict(cs, problem)
                return
            self._authenticated(cs)
            await self._verdict(cs, {"result": None, "id": data.get("id")})
        elif method == "subscribe":
            if not cs.authed:
                await self._send(cs, self._error(data, 2002, "not authenticated (constructed)"))
            else:
                await self._send(cs, {"result": None, "id": data.get("id")})
        else:
            await self._send(cs, self._error(data, 1001, "unknown method (constructed)"))

    def _check(self, data: dict[str, Any]) -> dict[str, Any] | None:
        tx, signature = data.get("tx"), data.get("signature")
        if isinstance(signature, str):
            self._note(signature)
        if not isinstance(tx, dict) or set(tx) != {"sender", "expiration"} or not isinstance(signature, str):
            return self._error(data, 1002, "invalid authenticate request (constructed)")
        sender, expiration = tx["sender"], tx["expiration"]
        if not (isinstance(sender, str) and sender.startswith("0x") and len(sender) == 66) or not (isinstance(expiration, str) and expiration.isdigit()):
            return self._error(data, 1002, "invalid authenticate request (constructed)")
        now = self.now_ms()
        if not now <= int(expiration) <= now + MAX_AHEAD_MS:
            return self._error(data, 2003, "expiration out of range (constructed)")
        digest = typed_data_hash(DOMAIN, TYPES, {"sender": bytes.fromhex(sender[2:]), "expiration": int(expiration)})
        signer = recover(digest, signature)
        self.recovered.append(signer)
        if signer is None or signer != sender[:42].lower() or signer != self.wallet:
            return self._error(data, 2001, "signature does not come from the sender's wallet (constructed)")
        return None
