"""The words a catalogue signature table may use, each in one place: the
name the catalogue accepts, what a module's docstring says of it, and, where
it is one expression or a few statements, its code.

generator/catalogue.py checks names against these tables, generator/model.py
describes a signature with them, and templates/signing.py.jinja pastes their
code (the per-algorithm signing code, several statements with their comments,
stays there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Hash:
    """A signature table's ``hash``: what signs, and with which credential."""

    # hmac: credentials.secret (signature.key); key: credentials.private_key
    # through the optional cryptography package; wallet: a secp256k1 key in
    # hex (coincurve, else cryptography); stark: the STARK key ground from one.
    family: Literal["hmac", "key", "wallet", "stark"]
    words: str
    jwt_alg: str | None = None  # the JWT header's "alg" for this signature
    key_kind: str | None = None  # what credentials.private_key must be (family "key")


HASHES: Mapping[str, Hash] = {
    "sha256": Hash("hmac", "HMAC-SHA256", jwt_alg="HS256"),
    "sha384": Hash("hmac", "HMAC-SHA384"),
    "sha512": Hash("hmac", "HMAC-SHA512"),
    # Ed25519, RSA PKCS#1 v1.5 with SHA-256, and ECDSA P-256 with SHA-256
    # (deterministic, RFC 6979, low s, r||s as JWTs use).
    "ed25519": Hash("key", "Ed25519", "EdDSA", "an Ed25519 private key"),
    "rsa_sha256": Hash("key", "RSA PKCS#1 v1.5 with SHA-256", "RS256", "an RSA private key"),
    "es256": Hash("key", "ECDSA P-256 with SHA-256 (RFC 6979)", "ES256", "an EC P-256 (secp256r1) private key"),
    # ECDSA (RFC 6979, low s) over the EIP-191 personal_sign hash of the
    # message text, or over the EIP-712 digest of the typed_data table.
    "eip191": Hash("wallet", "EIP-191 personal_sign (secp256k1, RFC 6979)"),
    "eip712": Hash("wallet", "EIP-712 (secp256k1, RFC 6979)"),
    # STARK-curve ECDSA with StarkWare's RFC 6979 nonce, drawn as ccxt 4.5.90
    # draws it, over the SNIP-12 (revision 0, Pedersen) hash of the typed_data
    # table, bound to its account; the STARK key is StarkWare's grind of the r
    # of credentials.private_key's EIP-712 signature of the stark_key table
    # (Paradex's "STARK Key").
    "snip12": Hash(
        "stark",
        "STARK-curve ECDSA over its SNIP-12 (revision 0, Pedersen) hash (StarkWare's RFC 6979 nonce, "
        "drawn as ccxt 4.5.90 draws it)",
    ),
}


@dataclass(frozen=True)
class Encoding:
    """A signature table's ``encoding``: how the signature is written."""

    family: Literal["digest", "wallet", "stark"]
    words: str
    of_mac: str | None = None  # code writing the HMAC object ``{mac}`` (None: not for HMAC)
    of_raw: str | None = None  # code writing the signature bytes ``raw`` (None: not for keys)
    v_case: str | None = None  # a wallet signature's v (27/28) in hex: "upper" or "lower"


ENCODINGS: Mapping[str, Encoding] = {
    "hex": Encoding("digest", "hex", "{mac}.hexdigest()", "raw.hex()"),
    "hex_upper": Encoding("digest", "upper-case hex", "{mac}.hexdigest().upper()"),
    "base64": Encoding(
        "digest", "base64", "_binascii.b2a_base64({mac}.digest(), newline=False).decode()",
        "_binascii.b2a_base64(raw, newline=False).decode()",
    ),
    # base64 of the hex text
    "hex_base64": Encoding(
        "digest", "base64 of the hex text", "_binascii.b2a_base64({mac}.hexdigest().encode(), newline=False).decode()"
    ),
    # unpadded, as in JWTs
    "base64url": Encoding(
        "digest", "unpadded base64url", '_base64.urlsafe_b64encode({mac}.digest()).rstrip(b"=").decode()',
        '_base64.urlsafe_b64encode(raw).rstrip(b"=").decode()',
    ),
    # As Ethereum wallets write it: 0x, r and s as 64 lower-case hex digits
    # each, then v (27 or 28) as two hex digits, upper case (1B/1C: derive,
    # polymarket, aster) or lower case (1b/1c: nado).
    "rsv_v_upper": Encoding("wallet", "0x r s v (v as 1B/1C)", v_case="upper"),
    "rsv_v_lower": Encoding("wallet", "0x r s v (v as 1b/1c)", v_case="lower"),
    # As StarkNet clients send it: each felt in lower-case hex without leading
    # zeros (ccxt's json([hex(r), hex(s)])).
    "felt_pair_hex": Encoding("stark", 'the JSON list ["0x<r>","0x<s>"]'),
}


@dataclass(frozen=True)
class SecretKey:
    """A signature table's ``key``: the HMAC key made of credentials.secret."""

    words: str
    code: str  # statements making ``key`` (bytes) of the checked ``secret``


SECRET_KEYS: Mapping[str, SecretKey] = {
    "raw": SecretKey("credentials.secret", "key = secret.encode()"),
    "base64": SecretKey(
        "the base64-decoded credentials.secret",
        "try:\n"
        "    key = _binascii.a2b_base64(secret, strict_mode=True)\n"
        "except (_binascii.Error, ValueError):\n"
        '    raise _fail("credentials.secret must be base64, as the exchange issues it") from None',
    ),
    "raw_base64": SecretKey(
        "the base64 text of credentials.secret",
        "# The key is the base64 text of the secret, not the secret itself.\n"
        "key = _binascii.b2a_base64(secret.encode(), newline=False)",
    ),
}


@dataclass(frozen=True)
class PrivateKeyForm:
    """A signature table's ``private_key`` form: how credentials.private_key may be written."""

    family: Literal["key", "wallet"]
    words: str


PRIVATE_KEY_FORMS: Mapping[str, PrivateKeyForm] = {
    # Literal \n accepted.
    "pem": PrivateKeyForm("key", "PEM (PKCS#8 or traditional, encrypted with credentials.password or not)"),
    "seed_base64": PrivateKeyForm("key", "a base64 Ed25519 seed (32 bytes, or 64: seed then public key)"),
    "seed_hex": PrivateKeyForm("key", "a hex Ed25519 seed (64 digits)"),
    "seed_base58": PrivateKeyForm("key", "a base58 Ed25519 seed (ed25519:...)"),  # Orderly's form
    # A secp256k1 key: 64 hex digits (32 bytes), with or without 0x.
    "hex": PrivateKeyForm("wallet", "64 hex digits, with or without 0x"),
}


def named(table: Mapping[str, Hash] | Mapping[str, Encoding] | Mapping[str, PrivateKeyForm], family: str) -> tuple[str, ...]:
    """The names of one family's words, in the table's order."""
    return tuple(name for name, word in table.items() if word.family == family)
