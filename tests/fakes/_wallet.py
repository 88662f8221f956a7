"""What the wallet fakes check a signature with: their own code, never wsauth's.

Keccak-256 is ccxt 4.5.90's bundled copy (ccxt/static_dependencies/keccak),
EIP-712 hashing ccxt's bundled ``ethabi.encode_typed_data``, and the signer is
recovered by libsecp256k1 through coincurve
(``PublicKey.from_signature_and_message``): three implementations wsauth's
helpers/wallet.py shares nothing with.
"""

from __future__ import annotations

from typing import Any

import coincurve
from ccxt.static_dependencies import ethabi
from ccxt.static_dependencies.keccak.keccak import SHA3


def keccak(data: bytes) -> bytes:
    return bytes(SHA3(data))


def personal_hash(message: bytes) -> bytes:
    """EIP-191 version 0x45: what personal_sign signs."""
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def typed_data_hash(domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]) -> bytes:
    """EIP-712: keccak(0x1901 || domainSeparator || hashStruct(message))."""
    encoded = ethabi.encode_typed_data(domain, types, message)
    return keccak(b"\x19\x01" + encoded.header + encoded.body)


def recover(digest: bytes, signature: object) -> str | None:
    """The lower-case 0x address whose key made a 0x r||s||v signature over
    digest, or None when the text is not one (v as 1b/1c/1B/1C or 00/01)."""
    if not isinstance(signature, str) or len(signature) != 132 or not signature.startswith("0x"):
        return None
    try:
        raw = bytes.fromhex(signature[2:])
    except ValueError:
        return None
    v = raw[64] - 27 if raw[64] >= 27 else raw[64]
    if v not in (0, 1):
        return None
    try:
        public = coincurve.PublicKey.from_signature_and_message(raw[:64] + bytes([v]), digest, hasher=None)
    except Exception:  # noqa: BLE001 - any refusal by libsecp256k1 is "no signer"
        return None
    return "0x" + keccak(public.format(compressed=False)[1:])[-20:].hex()
