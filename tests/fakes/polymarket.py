"""Fake Polymarket Perpetuals: a session provisioned by a wallet-signed
``CreateProxy``, then the session's proxy and secret in the socket's ``auth``
op (flow: pre_auth, the token in an auth frame).

``secret`` is the wallet address the fake accepts (as the aster and grvt
fakes): the wallet's key never reaches it.

REST ``POST /v1/account/proxy`` (https://docs.polymarket.com/api-reference/create-proxy.md;
ccxt 4.5.90 polymarket.py create_proxy_credentials; Polymarket's ts-sdk
createPerpsCredentials): JSON ``{"op": {"type": "createProxy", "args": {"expiry", "owner", "proxy"}},
"salt", "sig", "ts"}``, ``sig`` the wallet's EIP-712 signature (0x r s v) of
``CreateProxy{address addr, uint64 exp, uint64 salt, uint64 ts}`` with
addr = proxy, exp = expiry, in the domain ``{name: "Polymarket", version:
"1", chainId: 137}``. The signature is checked with code that is not
wsauth's (tests/fakes/_wallet.py: ccxt's bundled EIP-712 encoder and Keccak,
coincurve recovering the signer). Checks, in order: the shape, ``ts`` (ms)
within ``max_skew_s``, ``expiry`` after it, the salt unused by that owner,
the recovered signer equal to ``owner`` and to the wallet the fake
registered (another key is refused). Success: ``{"status": "ok", "secret":
<fresh>}`` (the docs' ProxyResponse), the secret issued for that proxy.
Refusals: HTTP 400 ``{"status": "err", "error": <text>}`` (the docs' Error400:
"the request was malformed or failed validation (... invalid signature ...)";
the texts constructed).

WebSocket ``/v1/ws`` (docs.polymarket.com/api-reference/wss/perps-auth.md;
ts-sdk websockets/perps/session.ts authenticate): ``{"id": N, "req": "post", "op": {"type": "auth",
"args": {"proxy", "secret"}}}`` -> ``{"id": N, "data": {"status": "ok"}}``
only for a secret this fake issued for that very proxy, else ``{"id": N,
"data": {"status": "err", "error": "invalid proxy credentials"}}`` (ccxt 4.5.90
pro/polymarket.py handle_ack; the error text constructed, in the shape of the
documented subscribe error). Other frames are only recorded.

``created`` lists the proxies each accepted CreateProxy registered, in order;
``forget_proxies()`` drops every issued secret (as a venue that revoked the
sessions), so that a socket's auth with one of them is refused;
``forget_proxies(forever=True)`` also refuses every secret issued later.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ._base import ConnState, Fake, parse
from ._wallet import recover, typed_data_hash

DOMAIN = {"name": "Polymarket", "version": "1", "chainId": 137}
TYPES = {"CreateProxy": [{"name": "addr", "type": "address"}, {"name": "exp", "type": "uint64"},
                         {"name": "salt", "type": "uint64"}, {"name": "ts", "type": "uint64"}]}


def _refused(reason: str, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {"status": "err", "error": reason}


def _uint64(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64


class PolymarketFake(Fake):
    kind = "polymarket"
    ws_path = "/v1/ws"
    rest_path = "/v1/account/proxy"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.wallet = self.secret.lower()  # the registered wallet: its address
        self.salts: set[tuple[str, int]] = set()
        self.sessions: dict[str, str] = {}  # proxy -> the secret issued for it
        self.created: list[str] = []  # the proxies accepted CreateProxy calls registered
        self.revoked = False  # every secret refused, those issued later too
        self.refusals: list[str] = []

    def _rest_error(self, status: int) -> Any:
        return {"status": "err", "error": f"HTTP {status}"}

    def _refuse(self, reason: str, status: int = 400) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.refusals.append(reason)
        return _refused(reason, status)

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method != "POST":
            return _refused("method not allowed", 405)
        try:
            request = json.loads(body)
            op, args = request["op"], request["op"]["args"]
            owner, proxy, expiry = str(args["owner"]).lower(), str(args["proxy"]).lower(), args["expiry"]
            salt, signature, ts = request["salt"], request["sig"], request["ts"]
        except (ValueError, KeyError, TypeError):
            return self._refuse("malformed request")
        self._note(signature)
        if op.get("type") != "createProxy" or not all(_uint64(v) for v in (expiry, salt, ts)):
            return self._refuse("malformed request")
        if not all(isinstance(a, str) and len(a) == 42 and a.startswith("0x") for a in (owner, proxy)):
            return self._refuse("malformed request")
        if abs(ts - self.now_ms()) > self.max_skew_s * 1000:
            return self._refuse("stale timestamp")
        if expiry <= ts:
            return self._refuse("expiry is not in the future")
        digest = typed_data_hash(DOMAIN, TYPES, {"addr": proxy, "exp": expiry, "salt": salt, "ts": ts})
        if recover(digest, signature) != owner or owner != self.wallet:
            return self._refuse("invalid signature")
        with self._lock:
            if (owner, salt) in self.salts:
                return self._refuse("salt already used")
            self.salts.add((owner, salt))
            issued = f"pm-secret-{secrets.token_urlsafe(24)}"
            self.sessions[proxy] = issued
            self.created.append(proxy)
            self._note(issued)
        return 200, {"status": "ok", "secret": issued}

    def forget_proxies(self, forever: bool = False) -> None:
        """Every issued secret revoked: an auth with one is refused from now
        on (forever: with any secret issued later too)."""
        with self._lock:
            self.sessions.clear()
            self.revoked = forever

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        data = parse(message)
        if not isinstance(data, dict) or data.get("req") != "post":
            return
        op = data.get("op")
        if not isinstance(op, dict) or op.get("type") != "auth":
            return
        if await self._intercept_auth(cs):
            return
        args = op.get("args")
        proxy = args.get("proxy") if isinstance(args, dict) else None
        secret = args.get("secret") if isinstance(args, dict) else None
        with self._lock:
            known = not self.revoked and isinstance(proxy, str) and isinstance(secret, str) and self.sessions.get(proxy.lower()) == secret
        if known:
            self._authenticated(cs)
            await self._verdict(cs, {"id": data.get("id"), "data": {"status": "ok"}})
        else:
            await self._verdict(cs, {"id": data.get("id"), "data": {"status": "err", "error": "invalid proxy credentials"}})
