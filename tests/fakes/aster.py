"""Fake Aster futures user data stream (flow: pre_auth listen key, signed with
an Ethereum wallet key).

REST (a real ``ThreadingHTTPServer``), path ``/fapi/v3/listenKey``, form body
``nonce=<µs>&user=<address>&signer=<address>&signature=0x<r><s><v>`` (Aster's
v3 docs, github:asterdex/api-docs "V3(Recommended)/EN/aster-finance-futures-api-v3.md":
"Authentication signature payload", "V3 Nonce Mechanism"). The signature is
checked the way the docs' example makes it, with code that is not wsauth's
(tests/fakes/_wallet.py: ccxt's bundled EIP-712 encoder and Keccak, coincurve
recovering the signer): EIP-712 ``Message{string msg}`` in the domain
``AsterSignTransaction`` / ``1`` / chain 1666 / zero verifying contract, where
``msg`` is the body before ``&signature=``. Checks, in order: the fields,
the nonce (digits, within 10 s of the fake's clock, the docs' window, and
never used before: "If the nonce has already been used -> rejected as a
duplicate request"), the recovered signer equal to ``signer`` and to the
wallet the fake registered (``secret``: its address; another key is refused).
Refusals: HTTP 400 ``{"code": -1022, "msg": "Signature for this request is
not valid."}`` or ``{"code": -4225, "msg": "Nonce Expired"}`` (codes and texts
from the docs' error list and their noop example).

* ``POST`` -> ``{"listenKey": KEY}``; while a key is valid the same key.
* ``PUT`` (keep-alive, signed the same way with a fresh nonce) -> ``{}``; with
  no valid key, HTTP 400 ``{"code": -1125, "msg": "This listenKey does not exist."}``.
  Each accepted one is counted in ``keepalives``.

WebSocket ``/ws/<listenKey>`` ("User Data Streams are accessed at
/ws/<listenKey>"): an unknown key is refused at the handshake with HTTP 400
and the -1125 body; a valid one counts as an authentication. Frames are only
recorded.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any
from urllib.parse import unquote

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ._base import ConnState, Fake
from ._wallet import recover, typed_data_hash

DOMAIN = {"name": "AsterSignTransaction", "version": "1", "chainId": 1666,
          "verifyingContract": "0x0000000000000000000000000000000000000000"}
TYPES = {"Message": [{"name": "msg", "type": "string"}]}
_BAD_SIGNATURE = {"code": -1022, "msg": "Signature for this request is not valid."}
_NONCE = {"code": -4225, "msg": "Nonce Expired"}
_NO_KEY = {"code": -1125, "msg": "This listenKey does not exist."}


class AsterFake(Fake):
    kind = "aster"
    ws_path = "/ws"
    rest_path = "/fapi/v3/listenKey"

    def __init__(self, *args: Any, **knobs: Any) -> None:
        super().__init__(*args, **knobs)
        self.wallet = self.secret.lower()  # the registered wallet: its address
        self.nonces: set[int] = set()
        self.listen_key: str | None = None
        self.keepalives = 0
        self.refusals: list[str] = []

    def _rest_error(self, status: int) -> Any:
        return {"code": -1000, "msg": f"HTTP {status}"}

    def _refused(self, reply: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.refusals.append(str(reply["msg"]))
        return 400, reply

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if method not in ("POST", "PUT"):
            return 405, {"code": -1000, "msg": "method not allowed"}
        message, _, signature = body.partition("&signature=")
        fields = dict(pair.partition("=")[::2] for pair in message.split("&"))
        self._note(signature)
        if sorted(fields) != ["nonce", "signer", "user"]:
            return self._refused(_BAD_SIGNATURE)
        nonce = fields["nonce"]
        if not nonce.isdigit() or abs(int(nonce) // 1000 - self.now_ms()) > 10_000:
            return self._refused(_NONCE)
        digest = typed_data_hash(DOMAIN, TYPES, {"msg": message})
        signer = recover(digest, unquote(signature))
        if signer is None or signer != fields["signer"].lower() or signer != self.wallet or fields["user"].lower() != self.wallet:
            return self._refused(_BAD_SIGNATURE)
        with self._lock:
            if int(nonce) in self.nonces:
                return self._refused(_NONCE)
            self.nonces.add(int(nonce))
            if method == "PUT":
                if self.listen_key is None:
                    return 400, _NO_KEY
                self.keepalives += 1
                return 200, {}
            if self.listen_key is None:
                self.listen_key = secrets.token_hex(32)
                self._note(self.listen_key)
            return 200, {"listenKey": self.listen_key}

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        head, _, key = request.path.partition("?")[0].rpartition("/")
        if head != self.ws_path:
            return conn.respond(404, "Not Found\n")
        with self._lock:
            valid = self.listen_key is not None and hmac.compare_digest(key, self.listen_key)
        if valid:
            return None
        body = json.dumps(_NO_KEY).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(400, "Bad Request", headers, body)

    async def _on_connect(self, cs: ConnState) -> None:
        self._authenticated(cs)  # only a valid listen key gets here

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        return None
