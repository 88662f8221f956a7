"""Fake GRVT trading stream (flow: pre_auth, a wallet login whose reply's
*headers* carry the session onto the handshake).

REST (a real ``ThreadingHTTPServer``) ``POST /auth/wallet/login``, JSON body
``{"address", "signature": {"signer", "r", "s", "v", "expiration", "nonce",
"chain_id"}}`` (https://api-docs.grvt.io/auth/, "Wallet Login": EIP-712
``WalletLogin(address signer, uint32 nonce, int64 expiration)`` in the domain
``GRVT Exchange`` / ``0`` / the chain id). Knob ``environment``:
``"production"`` (the default) or ``"testnet"``, whose chain ids are GRVT's
own table (https://api-docs.grvt.io/, "Chain IDs": "Sepolia (Testnet) |
11155111 | 326", "Mainnet | 1 | 325"); a login signed for the other chain is
refused, whatever chain_id its body claims. The signature
is checked with code that is not wsauth's (tests/fakes/_wallet.py: ccxt's
bundled EIP-712 encoder and Keccak, coincurve recovering the signer from r,
s and v). Checks, in order: the shape, the chain id (the environment's, as
text), the expiration
(nanoseconds, as text, in the future), the nonce (an integer that fits
uint32, never used before by that signer), the recovered signer equal to
``signer``, to ``address`` and to the wallet the fake registered
(``secret``: its address; another key is refused).

Success: HTTP 200 ``{"status": "success", "location": ""}`` (ccxt 4.5.90
grvt.py sign_in_with_private_key quotes it) whose *headers* carry the session,
as GRVT's help centre describes ("the response returns a session cookie
(gravity=...) in the Set-Cookie response header and your X-Grvt-Account-Id in
the response headers (not the response body)"): ``Set-Cookie: gravity=<fresh>;
Path=/; Expires=...; HttpOnly; Secure`` and ``X-Grvt-Account-Id: <account>``.
Refusals (constructed: the docs publish no refusal body for this call): HTTP
401 ``{"code": 1000, "message": reason, "status": 401}``.

WebSocket ``/ws/full``: the upgrade must carry ``Cookie: gravity=<a session the
fake issued>`` and ``X-Grvt-Account-Id`` equal to the account ("The WebSocket
401 is almost always caused by passing the cookie incorrectly or forgetting
the X-Grvt-Account-Id header"), else HTTP 401. Frames are only recorded.
"""

from __future__ import annotations

import json
import secrets
from http.cookies import SimpleCookie
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake
from ._wallet import recover, typed_data_hash

ACCOUNT = "0xc73c0c2538fd9b833d20933ccc88fdaa74fcb0d0"  # ccxt grvt.py's example main account id
CHAIN_IDS = {"production": 325, "testnet": 326}
TYPES = {"WalletLogin": [{"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint32"},
                         {"name": "expiration", "type": "int64"}]}


class GrvtFake(Fake):
    kind = "grvt"
    ws_path = "/ws/full"
    rest_path = "/auth/wallet/login"
    extra_knobs = frozenset({"environment"})

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.chain_id = CHAIN_IDS[self._knobs.pop("environment", "production")]
        self.wallet = self.secret.lower()  # the registered wallet: its address
        self.used: set[tuple[str, int]] = set()
        self.cookies: set[str] = set()
        self.refusals: list[str] = []

    def _rest_error(self, status: int) -> Any:
        return {"code": 1000, "message": f"HTTP {status}", "status": status}

    def _refused(self, reason: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.refusals.append(reason)
        return 401, {"code": 1000, "message": reason, "status": 401}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method != "POST":
            return 405, {"code": 1000, "message": "method not allowed", "status": 405}
        try:
            login = json.loads(body)
            signature = login["signature"]
            address, signer = str(login["address"]).lower(), str(signature["signer"]).lower()
            r, s, v = int(signature["r"], 16), int(signature["s"], 16), signature["v"]
            expiration, nonce, chain = signature["expiration"], signature["nonce"], signature["chain_id"]
        except (ValueError, KeyError, TypeError):
            return self._refused("malformed login")
        self._note(signature["r"])
        if chain != str(self.chain_id):
            return self._refused("wrong chain id")
        if not isinstance(expiration, str) or not expiration.isdigit() or int(expiration) // 1_000_000 <= self.now_ms():
            return self._refused("expired")
        if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce < 2**32 or isinstance(v, bool) or not isinstance(v, int):
            return self._refused("malformed login")
        domain = {"name": "GRVT Exchange", "version": "0", "chainId": self.chain_id}
        digest = typed_data_hash(domain, TYPES, {"signer": signer, "nonce": nonce, "expiration": int(expiration)})
        recovered = recover(digest, f"0x{r:064x}{s:064x}{v:02x}") if 0 <= r < 2**256 and 0 <= s < 2**256 and v in (27, 28) else None
        if recovered is None or recovered != signer or signer != address or signer != self.wallet:
            return self._refused("invalid signature")
        with self._lock:
            if (signer, nonce) in self.used:
                return self._refused("nonce already used")
            self.used.add((signer, nonce))
            cookie = secrets.token_urlsafe(32)
            self.cookies.add(cookie)
            self._note(cookie)
        session = [
            ("Set-Cookie", f"gravity={cookie}; Path=/; Expires=Wed, 02 Dec 2026 00:00:00 GMT; HttpOnly; Secure"),
            ("X-Grvt-Account-Id", ACCOUNT),
        ]
        return 200, {"status": "success", "location": ""}, session

    def _check_handshake(self, conn: ServerConnection, request: Request) -> Response | None:
        jar = SimpleCookie()
        jar.load(request.headers.get("Cookie", ""))
        cookie = jar["gravity"].value if "gravity" in jar else ""
        with self._lock:
            if cookie in self.cookies and request.headers.get("X-Grvt-Account-Id") == ACCOUNT:
                return None
        body = json.dumps({"code": 1000, "message": "You need to authenticate prior to using this functionality", "status": 401}).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(401, "Unauthorized", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        self._authenticated(cs)  # only a valid session gets here

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        return None
