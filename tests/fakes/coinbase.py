"""Fake Coinbase Advanced Trade socket (flow: inline) for CDP keys.

Built with ``secret`` = the PEM of the key's **public** half, as Coinbase
holds it: an Ed25519 public key makes the fake accept EdDSA JWTs, a P-256
public key ES256 JWTs (never the other; a JWT naming another ``alg`` is
refused). ``api_key`` is the key name (``organizations/.../apiKeys/...``).

A private subscribe: ``{"type":"subscribe","product_ids":[...],"channel":"user","jwt":JWT}``.

Checks, in order (what Coinbase documents today,
docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-authentication,
and its Python SDK's build_ws_jwt signs):

* the header is exactly ``{alg, kid, nonce, typ}``: ``alg`` the key's
  algorithm, ``kid`` the key name, ``typ`` ``"JWT"``, a non-empty nonce;
* the claims are exactly ``{sub, iss, nbf, exp}``: ``sub`` the key name,
  ``iss`` ``"cdp"``, ``nbf`` not in the future, ``exp`` not past and at most
  120 s after ``nbf`` (a WebSocket JWT has no ``uri``; the retired Coinbase
  Cloud claims ``aud``/``iat`` and ``iss: coinbase-cloud`` are refused);
* the signature verifies with the public key.

Replies (tests/fixtures/replies/coinbase.json):
* success: ``{"channel":"subscriptions","client_id":"","timestamp":..,"sequence_num":n,
  "events":[{"subscriptions":{channel:[products]}}]}``
* failure: ``{"type":"error","message":"authentication failure"}``
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ._base import ConnState, Fake, parse

_LIFETIME_S = 120
_FAILURE = {"type": "error", "message": "authentication failure"}


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CoinbaseFake(Fake):
    kind = "coinbase"
    ws_path = "/"

    def __init__(self, api_key: str = "k", secret: str = "s", password: str | None = None, **knobs: Any) -> None:
        super().__init__(api_key, secret, password, **knobs)
        public = serialization.load_pem_public_key(secret.encode())
        if isinstance(public, ed25519.Ed25519PublicKey):
            self.alg = "EdDSA"
        elif isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
            self.alg = "ES256"
        else:
            raise ValueError("CoinbaseFake: secret must be the PEM of an Ed25519 or P-256 public key")
        self.public = public
        self.sequence = 0
        self.claims_seen: list[dict[str, Any]] = []

    def _verify(self, signed: bytes, raw: bytes) -> bool:
        try:
            if isinstance(self.public, ed25519.Ed25519PublicKey):
                self.public.verify(raw, signed)
            else:
                assert isinstance(self.public, ec.EllipticCurvePublicKey)
                if len(raw) != 64:
                    return False
                der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
                self.public.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def _check(self, token: Any) -> str | None:
        """None when the JWT is valid, else why (the reply says only 'authentication failure')."""
        if not isinstance(token, str) or token.count(".") != 2:
            return "not a JWT"
        self._note(token)
        head_b64, claims_b64, signature_b64 = token.split(".")
        try:
            header, claims = json.loads(_b64url(head_b64)), json.loads(_b64url(claims_b64))
            raw = _b64url(signature_b64)
        except (ValueError, binascii.Error):
            return "undecodable"
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return "undecodable"
        self.claims_seen.append(claims)
        if set(header) != {"alg", "kid", "nonce", "typ"} or header["typ"] != "JWT" or not header["nonce"]:
            return f"header {sorted(header)}"
        if header["alg"] != self.alg:
            return f"alg {header['alg']} for a {self.alg} key"
        if header["kid"] != self.api_key:
            return "kid"
        if set(claims) != {"sub", "iss", "nbf", "exp"}:
            return f"claims {sorted(claims)}"
        if claims["sub"] != self.api_key or claims["iss"] != "cdp":
            return "sub/iss"
        nbf, exp, now = claims["nbf"], claims["exp"], self.now_ms() // 1000
        if not (isinstance(nbf, int) and isinstance(exp, int)):
            return "nbf/exp not integers"
        if nbf > now + 5 or exp < now or exp - nbf > _LIFETIME_S:
            return "expired or not yet valid"
        if not self._verify(f"{head_b64}.{claims_b64}".encode(), raw):
            return "signature"
        return None

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict) or data.get("type") != "subscribe":
            return
        problem = self._check(data.get("jwt"))
        if await self._intercept_auth(cs):
            return
        if problem is not None:
            await self._verdict(cs, dict(_FAILURE))
            return
        self._authenticated(cs)
        self.sequence += 1
        await self._verdict(
            cs,
            {
                "channel": "subscriptions",
                "client_id": "",
                "timestamp": "2026-05-29T06:00:00Z",
                "sequence_num": self.sequence,
                "events": [{"subscriptions": {str(data.get("channel")): list(data.get("product_ids") or [])}}],
            },
        )
