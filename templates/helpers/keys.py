"""Private keys: loading them in the forms exchanges issue, through the
optional cryptography package, imported when a key is first used so that a
module imports and type-checks without it. See helpers/base.py for how this
file reaches a module."""

from __future__ import annotations

import binascii as _binascii
import importlib as _importlib
from types import ModuleType as _ModuleType

from .base import _fail

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final as _Final, cast as _cast

    from .base import _Ed25519Key
else:
    from .base import _cast

# --- pasted into each module below this line ---


def _cryptography(name: str) -> _ModuleType:
    """A module of the optional cryptography package, imported when a key is
    used, so that this module imports and type-checks without it."""
    try:
        return _importlib.import_module("cryptography.hazmat.primitives." + name)
    except ImportError:
        raise _fail("signing with credentials.private_key needs the cryptography package: pip install 'wsauth[keys]'") from None


_P256_ORDER: _Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _pem_key(text: str, password: str | None, expected: str) -> object:
    # Keys pasted from a JSON file or an environment variable often carry
    # literal "\n" sequences instead of newlines.
    data = text.strip().replace("\\n", "\n").replace("\r\n", "\n").encode()
    encrypted = b"ENCRYPTED" in data
    if encrypted and not password:
        raise _fail("credentials.private_key is an encrypted PEM: credentials.password must hold its password")
    load = _cryptography("serialization").load_pem_private_key
    unsupported = _importlib.import_module("cryptography.exceptions").UnsupportedAlgorithm
    try:
        key: object = load(data, password.encode() if encrypted and password else None)
    except (ValueError, TypeError, unsupported):
        if encrypted:
            raise _fail("credentials.password does not decrypt credentials.private_key, or " + expected.partition(" must be ")[2]) from None
        raise _fail(expected) from None
    return key


def _ed25519_seed_key(seed: bytes | None, expected: str) -> object:
    if seed is None:
        raise _fail(expected)
    key = _cryptography("asymmetric.ed25519").Ed25519PrivateKey.from_private_bytes(seed[:32])
    if len(seed) == 64 and _cast("_Ed25519Key", key).public_key().public_bytes_raw() != seed[32:]:
        raise _fail(expected + "; its public half does not match its seed")
    return _cast(object, key)


def _seed_base64(text: str) -> bytes | None:
    """32 bytes (a seed) or 64 (a seed, then its public key: Coinbase's form)."""
    try:
        raw = _binascii.a2b_base64(text, strict_mode=True)
    except (_binascii.Error, ValueError):
        return None
    return raw if len(raw) in (32, 64) else None


def _seed_hex(text: str) -> bytes | None:
    if len(text) != 64:
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


_BASE58: _Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _seed_base58(text: str) -> bytes | None:
    """Orderly's form: "ed25519:" and the base58 seed (the prefix is optional)."""
    digits = text.removeprefix("ed25519:")
    number = 0
    for char in digits:
        value = _BASE58.find(char)
        if value < 0:
            return None
        number = number * 58 + value
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(digits) - len(digits.lstrip("1"))) + raw
    return raw if len(raw) == 32 else None
