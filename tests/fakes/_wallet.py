"""What the wallet fakes check a signature with, none of it wsauth's: the
EIP-712 digest by ccxt 4.5.90's bundled encoder and Keccak
(ccxt/static_dependencies/ethabi and keccak, the code ccxt signs with), and
the signer recovered by libsecp256k1 (coincurve's
``PublicKey.from_signature_and_message``)."""

from __future__ import annotations

from typing import Any

from coincurve import PublicKey
from ccxt.static_dependencies import ethabi, keccak


def eip712_digest(domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]) -> bytes:
    encoded = ethabi.encode_typed_data(domain, types, message)
    return bytes(keccak.SHA3(b"\x19\x01" + encoded.header + encoded.body))


def address_of(public_key: PublicKey) -> str:
    """The Ethereum address (0x and 40 lower-case hex digits) of a key."""
    return "0x" + bytes(keccak.SHA3(public_key.format(compressed=False)[1:]))[-20:].hex()


def recover(digest: bytes, r: int, s: int, v: int) -> str | None:
    """The address that signed ``digest`` (v: 27/28), or None when nothing
    does (a malformed signature)."""
    if v not in (27, 28) or not 0 < r < 2**256 or not 0 < s < 2**256:
        return None
    try:
        public = PublicKey.from_signature_and_message(
            r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27]), digest, hasher=None
        )
    except Exception:  # coincurve raises a bare Exception for an invalid signature
        return None
    return address_of(public)


def recover_rsv(digest: bytes, signature: str) -> str | None:
    """The signer of a 0x-prefixed r || s || v hex signature (v 1b/1c, any case)."""
    text = signature[2:] if signature[:2] in ("0x", "0X") else signature
    if len(text) != 130:
        return None
    try:
        r, s, v = int(text[:64], 16), int(text[64:128], 16), int(text[128:], 16)
    except ValueError:
        return None
    return recover(digest, r, s, v)
