"""Fake Paradex: a JWT from ``POST /v1/auth`` signed with the account's STARK
key, then the JWT in the socket's ``auth`` frame (flow: pre_auth, the token in
an auth frame).

``api_key`` is the Paradex account address (hex) and ``secret`` the account's
STARK public key (hex): what the exchange knows of an onboarded account. The
private key never reaches the fake.

REST ``POST /v1/auth`` (Paradex "Get JWT", docs.paradex.trade/api/prod/auth/get-jwt:
headers ``PARADEX-STARKNET-ACCOUNT``, ``PARADEX-STARKNET-SIGNATURE``,
``PARADEX-TIMESTAMP``, ``PARADEX-SIGNATURE-EXPIRATION``; the signature is over
the SNIP-12 (revision 0) typed data ``Request{method: "POST", path: "/v1/auth",
body: "", timestamp, expiration}`` in the domain ``{name: "Paradex", chainId:
<the Starknet chain id>, version: 1}`` for the account). Knob ``environment``:
``"production"`` (the default, chain ``PRIVATE_SN_PARACLEAR_MAINNET``) or
``"testnet"`` (``PRIVATE_SN_POTC_SEPOLIA``: what the testnet's
/v1/system/config states, as paradex-py's tests/api/test_system_config.py
checks); the account and public key a test registers are that network's
(the testnet's STARK key comes from the "STARK Key" message on Sepolia,
chain 11155111), so a request signed for the other network is refused.
Checks, in order: the
account is the onboarded one, the timestamp (seconds) within ``max_skew_s``,
the expiration after both it and now, the signature a JSON list of two
numbers, and that it verifies under the account's public key. The message hash
is ccxt 4.5.90's bundled starknet.py ``TypedData`` (not wsauth's), and the
check is StarkWare's ECDSA verification (cairo-lang's ``verify``, which ccxt
bundles commented out) written here on ccxt's bundled StarkWare curve
arithmetic (and a square root of its own). Refusals: HTTP 401 / 400 ``{"error": <enum>, "message"}``, the
shape ccxt's paradex.handle_errors quotes; the enum names are Paradex's own
(paradex-py's generated ``ErrorCode``), the messages constructed. Success:
``{"jwt_token": ...}`` (the docs' example reply) with a fresh JWT-like token.

WebSocket ``/v1`` (docs.paradex.trade/ws/general-information/authentication):
``{"jsonrpc": "2.0", "method": "auth", "params": {"bearer": T}, "id": N}`` ->
``{"jsonrpc": "2.0", "result": {"node_id": ...}, "usIn", "usDiff", "id": N}``
for a token this fake issued, else the documented error frame ``{"jsonrpc":
"2.0", "error": {"code": 40111, "message": "Invalid Bearer Token"}, "usIn",
"usOut", "usDiff", "id": N}`` (docs ws/general-information/error-handling).
A ``subscribe`` is answered ``{"jsonrpc": "2.0", "result": {"channel": C},
"id"}`` once authenticated (constructed), else with error 40110 "Malformed
Bearer Token" (a documented code; its use here is constructed).
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from ._base import ConnState, Fake, header, parse

STARKNET_CHAIN_IDS = {"production": "PRIVATE_SN_PARACLEAR_MAINNET", "testnet": "PRIVATE_SN_POTC_SEPOLIA"}
REQUEST_TYPES = {
    "Request": [
        {"name": "method", "type": "felt"},
        {"name": "path", "type": "felt"},
        {"name": "body", "type": "felt"},
        {"name": "timestamp", "type": "felt"},
        {"name": "expiration", "type": "felt"},
    ]
}


def message_hash(account: str, timestamp: int, expiration: int, chain: str) -> int:
    """The /v1/auth request's SNIP-12 hash, by ccxt 4.5.90's bundled starknet.py."""
    from ccxt.base.exchange import Exchange

    domain = {"name": "Paradex", "chainId": chain, "version": 1}
    request = {"method": "POST", "path": "/v1/auth", "body": "", "timestamp": timestamp, "expiration": expiration}
    return int(Exchange.starknet_encode_structured_data(domain, REQUEST_TYPES, request, account))


def stark_verify(msg_hash: int, r: int, s: int, public_key: int) -> bool:
    """StarkWare's ECDSA verification (cairo-lang crypto/signature.py ``verify``:
    r is the x coordinate itself, not mod n; the public key is an x coordinate,
    either y), on ccxt's bundled StarkWare curve arithmetic."""
    from ccxt.static_dependencies.starkware.crypto.math_utils import ec_add, ec_mult
    from ccxt.static_dependencies.starkware.crypto.signature import (
        ALPHA,
        BETA,
        EC_GEN,
        EC_ORDER,
        FIELD_PRIME,
    )

    bound = 2**251
    if not (1 <= s < EC_ORDER and 1 <= r < bound and 0 <= msg_hash < bound):
        return False
    w = pow(s, -1, EC_ORDER)
    if not 1 <= w < bound:
        return False
    y = _square_root((public_key**3 + ALPHA * public_key + BETA) % FIELD_PRIME, FIELD_PRIME)
    if y is None:
        return False
    for candidate in (y, (-y) % FIELD_PRIME):
        point = (public_key, candidate)
        try:
            # x(w * (z G + r Q)) == r
            total = ec_add(ec_mult(msg_hash, EC_GEN, ALPHA, FIELD_PRIME), ec_mult(r, point, ALPHA, FIELD_PRIME), FIELD_PRIME)
            if ec_mult(w, total, ALPHA, FIELD_PRIME)[0] == r:
                return True
        except (AssertionError, ValueError, ZeroDivisionError):
            continue
    return False


def _square_root(value: int, p: int) -> int | None:
    """A square root mod the prime p, or None (Tonelli-Shanks: ccxt's bundled
    get_y_coordinate calls sympy helpers it no longer ships)."""
    if value == 0:
        return 0
    if pow(value, (p - 1) // 2, p) != 1:
        return None
    q, e = p - 1, 0
    while q % 2 == 0:
        q, e = q // 2, e + 1
    z = next(c for c in range(2, 100) if pow(c, (p - 1) // 2, p) == p - 1)
    m, c, t, root = e, pow(z, q, p), pow(value, q, p), pow(value, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2, i = t2 * t2 % p, i + 1
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, root = i, b * b % p, t * b * b % p, root * b % p
    return root


def _felt(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        return int(text, 16) if text[:2] in ("0x", "0X") else int(text)
    except ValueError:
        return None


def _refused(error: str, message: str, status: int = 401) -> tuple[int, dict[str, Any]]:
    return status, {"error": error, "message": message}


class ParadexFake(Fake):
    kind = "paradex"
    ws_path = "/v1"
    rest_path = "/v1/auth"
    extra_knobs = frozenset({"environment"})

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.chain = STARKNET_CHAIN_IDS[self._knobs.pop("environment", "production")]
        # Anything else (a test's generic key) is an account never onboarded.
        self.account = _felt(self.api_key)
        self.public_key = _felt(self.secret)
        self.tokens: set[str] = set()

    def _rest_error(self, status: int) -> Any:
        return {"error": "SERVICE_UNAVAILABLE", "message": f"HTTP {status}"}

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method != "POST":
            return _refused("BINDING_ERROR", "method not allowed", 405)
        account = header(headers, "PARADEX-STARKNET-ACCOUNT") or ""
        signature = header(headers, "PARADEX-STARKNET-SIGNATURE") or ""
        timestamp = header(headers, "PARADEX-TIMESTAMP") or ""
        expiration = header(headers, "PARADEX-SIGNATURE-EXPIRATION") or ""
        if signature:
            self._note(signature)
        if self.account is None or self.public_key is None or _felt(account) != self.account:
            return _refused("NOT_ONBOARDED", "User has never called /onboarding endpoint", 400)
        now_s = self.now_ms() // 1000
        if not timestamp.isdigit() or abs(int(timestamp) - now_s) > self.max_skew_s:
            return _refused("VALIDATION_ERROR", "PARADEX-TIMESTAMP is outside the accepted window", 400)
        if not expiration.isdigit() or int(expiration) <= max(int(timestamp), now_s):
            return _refused("VALIDATION_ERROR", "PARADEX-SIGNATURE-EXPIRATION is not in the future", 400)
        try:
            pair = json.loads(signature)
        except ValueError:
            pair = None
        numbers = [_felt(item) for item in pair] if isinstance(pair, list) and len(pair) == 2 else [None]
        if any(number is None for number in numbers):
            return _refused("INVALID_STARKNET_SIGNATURE", "PARADEX-STARKNET-SIGNATURE is not [r, s]", 400)
        r, s = numbers
        assert r is not None and s is not None
        digest = message_hash(account, int(timestamp), int(expiration), self.chain)
        if not stark_verify(digest, r, s, self.public_key):
            return _refused("STARKNET_SIGNATURE_VERIFICATION_FAILED", "Starknet signature verification failed")
        with self._lock:
            claims = base64.urlsafe_b64encode(json.dumps({"sub": hex(self.account)}).encode()).decode().rstrip("=")
            token = f"eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9.{claims}.{secrets.token_urlsafe(32)}"
            self.tokens.add(token)
            self._note(token)
        return 200, {"jwt_token": token}

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict):
            return
        method, ident = data.get("method"), data.get("id")
        now_us = self.now_ms() * 1000
        if method == "auth":
            if await self._intercept_auth(cs):
                return
            params = data.get("params")
            bearer = params.get("bearer") if isinstance(params, dict) else None
            with self._lock:
                known = isinstance(bearer, str) and bearer in self.tokens
            if known:
                self._authenticated(cs)
                verdict: dict[str, Any] = {
                    "jsonrpc": "2.0", "result": {"node_id": f"{cs.number:016x}"}, "usIn": now_us, "usDiff": 37, "id": ident,
                }
            else:
                verdict = {
                    "jsonrpc": "2.0", "error": {"code": 40111, "message": "Invalid Bearer Token"},
                    "usIn": now_us, "usOut": now_us + 37, "usDiff": 37, "id": ident,
                }
            await self._verdict(cs, verdict)
        elif method == "subscribe":
            params = data.get("params")
            channel = params.get("channel") if isinstance(params, dict) else None
            if cs.authed:
                await self._send(cs, {"jsonrpc": "2.0", "result": {"channel": channel}, "id": ident})
            else:
                await self._send(cs, {
                    "jsonrpc": "2.0", "error": {"code": 40110, "message": "Malformed Bearer Token"},
                    "usIn": now_us, "usOut": now_us + 37, "usDiff": 37, "id": ident,
                })
