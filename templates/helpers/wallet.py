"""Wallet signing for the generated modules: Keccak-256, secp256k1 (RFC 6979,
recovery id, low-s), Ethereum addresses (EIP-55), EIP-191 personal_sign and
EIP-712 typed data, and the signature encodings the exchanges want.

A helper file like the others (see helpers/base.py): everything below the
``# ---`` line is pasted into each module that signs with a wallet key, and
generator/prune.py keeps what that module reads. Only the standard library
is imported with the module; the signing library (coincurve, else
cryptography) only inside the one function that touches the private key.
Every helper reports bad input as ``raise _fail(what)`` (the module's own,
which names the exchange), and ``what`` names the field and what was
expected, never a key. The protocols of the optional libraries and ``_Eip712Types`` are in base.py's
checker-only block.

Which code touches the private key, and how:
- ``_secp256k1_sign`` / ``_secp256k1_public_key``: coincurve (libsecp256k1,
  constant-time) when installed, else cryptography (OpenSSL's RFC 6979
  deterministic ECDSA). Both give the same bytes (tests/frames/wallet proves it).
- ``_secp256k1_sign_python``: pure Python RFC 6979. NOT constant-time; it is
  the reference the tests compare both libraries with, and no module uses it.
- Pure-Python curve arithmetic otherwise only ever sees public values: on
  the cryptography path (OpenSSL returns no recovery id) the id is found by
  recovering the public key from (digest, r, s) for id 0, then 1 -- not, as
  ccxt's cryptography path does, by recomputing the nonce in Python.
"""

from __future__ import annotations

import hashlib as _hashlib
import hmac as _hmac
import importlib as _importlib
import re as _re
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from functools import lru_cache as _lru_cache

from .base import _credential, _fail

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final as _Final, Literal as _Literal, cast as _cast

    from .base import _CoincurvePrivateKey, _CryptographyPrivateKey, _Eip712Types
else:
    from .base import _cast
# --- pasted into each module below this line ---


# ---------------------------------------------------------------------------
# Keccak-256: the original Keccak padding (0x01), which Ethereum uses.
# hashlib.sha3_256 is FIPS 202 SHA3-256 (padding 0x06): different digests.

_KECCAK_MASK: _Final[int] = (1 << 64) - 1
# The 24 round constants of the iota step (Keccak reference, section 1.2).
_KECCAK_ROUND_CONSTANTS: _Final[tuple[int, ...]] = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
_KECCAK256_RATE: _Final[int] = 136  # bytes: 1600 - 2 * 256 bits


def _keccak_f1600(state: list[int]) -> None:
    """The Keccak-f[1600] permutation on 25 little-endian 64-bit lanes (lane
    x + 5y), in place; unrolled over the lanes, looped over the 24 rounds."""
    mask = _KECCAK_MASK
    (
        a00,
        a01,
        a02,
        a03,
        a04,
        a05,
        a06,
        a07,
        a08,
        a09,
        a10,
        a11,
        a12,
        a13,
        a14,
        a15,
        a16,
        a17,
        a18,
        a19,
        a20,
        a21,
        a22,
        a23,
        a24,
    ) = state
    for round_constant in _KECCAK_ROUND_CONSTANTS:
        # theta
        c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20
        c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21
        c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22
        c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23
        c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24
        d0 = c4 ^ (((c1 << 1) | (c1 >> 63)) & mask)
        d1 = c0 ^ (((c2 << 1) | (c2 >> 63)) & mask)
        d2 = c1 ^ (((c3 << 1) | (c3 >> 63)) & mask)
        d3 = c2 ^ (((c4 << 1) | (c4 >> 63)) & mask)
        d4 = c3 ^ (((c0 << 1) | (c0 >> 63)) & mask)
        # rho and pi: B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y])
        b00 = a00 ^ d0
        t = a01 ^ d1
        b10 = ((t << 1) | (t >> 63)) & mask
        t = a02 ^ d2
        b20 = ((t << 62) | (t >> 2)) & mask
        t = a03 ^ d3
        b05 = ((t << 28) | (t >> 36)) & mask
        t = a04 ^ d4
        b15 = ((t << 27) | (t >> 37)) & mask
        t = a05 ^ d0
        b16 = ((t << 36) | (t >> 28)) & mask
        t = a06 ^ d1
        b01 = ((t << 44) | (t >> 20)) & mask
        t = a07 ^ d2
        b11 = ((t << 6) | (t >> 58)) & mask
        t = a08 ^ d3
        b21 = ((t << 55) | (t >> 9)) & mask
        t = a09 ^ d4
        b06 = ((t << 20) | (t >> 44)) & mask
        t = a10 ^ d0
        b07 = ((t << 3) | (t >> 61)) & mask
        t = a11 ^ d1
        b17 = ((t << 10) | (t >> 54)) & mask
        t = a12 ^ d2
        b02 = ((t << 43) | (t >> 21)) & mask
        t = a13 ^ d3
        b12 = ((t << 25) | (t >> 39)) & mask
        t = a14 ^ d4
        b22 = ((t << 39) | (t >> 25)) & mask
        t = a15 ^ d0
        b23 = ((t << 41) | (t >> 23)) & mask
        t = a16 ^ d1
        b08 = ((t << 45) | (t >> 19)) & mask
        t = a17 ^ d2
        b18 = ((t << 15) | (t >> 49)) & mask
        t = a18 ^ d3
        b03 = ((t << 21) | (t >> 43)) & mask
        t = a19 ^ d4
        b13 = ((t << 8) | (t >> 56)) & mask
        t = a20 ^ d0
        b14 = ((t << 18) | (t >> 46)) & mask
        t = a21 ^ d1
        b24 = ((t << 2) | (t >> 62)) & mask
        t = a22 ^ d2
        b09 = ((t << 61) | (t >> 3)) & mask
        t = a23 ^ d3
        b19 = ((t << 56) | (t >> 8)) & mask
        t = a24 ^ d4
        b04 = ((t << 14) | (t >> 50)) & mask
        # chi, and iota on lane 0
        a00 = b00 ^ (~b01 & b02) ^ round_constant
        a01 = b01 ^ (~b02 & b03)
        a02 = b02 ^ (~b03 & b04)
        a03 = b03 ^ (~b04 & b00)
        a04 = b04 ^ (~b00 & b01)
        a05 = b05 ^ (~b06 & b07)
        a06 = b06 ^ (~b07 & b08)
        a07 = b07 ^ (~b08 & b09)
        a08 = b08 ^ (~b09 & b05)
        a09 = b09 ^ (~b05 & b06)
        a10 = b10 ^ (~b11 & b12)
        a11 = b11 ^ (~b12 & b13)
        a12 = b12 ^ (~b13 & b14)
        a13 = b13 ^ (~b14 & b10)
        a14 = b14 ^ (~b10 & b11)
        a15 = b15 ^ (~b16 & b17)
        a16 = b16 ^ (~b17 & b18)
        a17 = b17 ^ (~b18 & b19)
        a18 = b18 ^ (~b19 & b15)
        a19 = b19 ^ (~b15 & b16)
        a20 = b20 ^ (~b21 & b22)
        a21 = b21 ^ (~b22 & b23)
        a22 = b22 ^ (~b23 & b24)
        a23 = b23 ^ (~b24 & b20)
        a24 = b24 ^ (~b20 & b21)
    state[:] = (
        a00,
        a01,
        a02,
        a03,
        a04,
        a05,
        a06,
        a07,
        a08,
        a09,
        a10,
        a11,
        a12,
        a13,
        a14,
        a15,
        a16,
        a17,
        a18,
        a19,
        a20,
        a21,
        a22,
        a23,
        a24,
    )


def _keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (not FIPS SHA3-256)."""
    rate = _KECCAK256_RATE
    padded = bytearray(data)
    padded.append(0x01)
    padded.extend(bytes(-len(padded) % rate))
    padded[-1] |= 0x80
    state = [0] * 25
    for start in range(0, len(padded), rate):
        block = padded[start : start + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f1600(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])


# ---------------------------------------------------------------------------
# secp256k1 (SEC 2, section 2.4.1).

_SECP256K1_P: _Final[int] = (
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
)
_SECP256K1_N: _Final[int] = (
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
)
_SECP256K1_G: _Final[tuple[int, int]] = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
# The STARK curve's group order: a StarkNet private key is below it.
_STARK_N: _Final[int] = (
    0x0800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
)

# Short Weierstrass curves, y^2 = x^3 + alpha x + beta over p, in Jacobian
# coordinates: secp256k1 here (alpha 0), the STARK curve in stark.py (alpha 1).
# Variable time: public values only, but for the pure-Python signers each of
# those says so.
_Jacobian = tuple[int, int, int]  # (X, Y, Z): x = X/Z^2, y = Y/Z^3; Z = 0 is infinity
_INFINITY: _Final[_Jacobian] = (0, 1, 0)


def _curve_double(point: _Jacobian, p: int, alpha: int) -> _Jacobian:
    x, y, z = point
    if z == 0 or y == 0:
        return _INFINITY
    yy = y * y % p
    s = 4 * x * yy % p
    m = 3 * x * x % p
    if alpha:
        zz = z * z % p
        m = (m + alpha * zz * zz) % p
    nx = (m * m - 2 * s) % p
    return (nx, (m * (s - nx) - 8 * yy * yy) % p, 2 * y * z % p)


def _curve_add(one: _Jacobian, two: _Jacobian, p: int, alpha: int) -> _Jacobian:
    x1, y1, z1 = one
    x2, y2, z2 = two
    if z1 == 0:
        return two
    if z2 == 0:
        return one
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        return _curve_double(one, p, alpha) if s1 == s2 else _INFINITY
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    nx = (r * r - hhh - 2 * v) % p
    return (nx, (r * (v - nx) - s1 * hhh) % p, h * z1 * z2 % p)


def _curve_affine(point: _Jacobian, p: int) -> tuple[int, int] | None:
    x, y, z = point
    if z == 0:
        return None
    zi = pow(z, -1, p)
    zi2 = zi * zi % p
    return (x * zi2 % p, y * zi2 * zi % p)


def _curve_combine(
    a: int, one: tuple[int, int], b: int, two: tuple[int, int], p: int, alpha: int
) -> tuple[int, int] | None:
    """a * one + b * two (Shamir's trick); None at infinity. Variable time."""
    first: _Jacobian = (one[0], one[1], 1)
    second: _Jacobian = (two[0], two[1], 1)
    both = _curve_add(first, second, p, alpha)
    total = _INFINITY
    for bit in range(max(a.bit_length(), b.bit_length()) - 1, -1, -1):
        total = _curve_double(total, p, alpha)
        pick = ((a >> bit) & 1) | (((b >> bit) & 1) << 1)
        if pick == 1:
            total = _curve_add(total, first, p, alpha)
        elif pick == 2:
            total = _curve_add(total, second, p, alpha)
        elif pick == 3:
            total = _curve_add(total, both, p, alpha)
    return _curve_affine(total, p)


def _secp256k1_combine(
    a: int, one: tuple[int, int], b: int, two: tuple[int, int]
) -> tuple[int, int] | None:
    """a * one + b * two on secp256k1. Variable time: public values only."""
    return _curve_combine(a, one, b, two, _SECP256K1_P, 0)


def _secp256k1_recover(
    digest: bytes, r: int, s: int, recovery_id: int
) -> tuple[int, int] | None:
    """The public key that (r, s) over digest verifies under, for a recovery
    id 0..3 (SEC 1, section 4.1.6); None when there is none."""
    n, p = _SECP256K1_N, _SECP256K1_P
    if not (0 < r < n and 0 < s < n and 0 <= recovery_id <= 3):
        return None
    x = r + n if recovery_id & 2 else r
    if x >= p:
        return None
    alpha = (pow(x, 3, p) + 7) % p
    y = pow(alpha, (p + 1) // 4, p)
    if y * y % p != alpha:
        return None
    if (y & 1) != (recovery_id & 1):
        y = p - y
    e = int.from_bytes(digest[:32], "big")
    r_inverse = pow(r, -1, n)
    return _secp256k1_combine(
        (-e * r_inverse) % n, _SECP256K1_G, s * r_inverse % n, (x, y)
    )


def _secp256k1_recovery_id(
    digest: bytes, r: int, s: int, public_key: tuple[int, int]
) -> int:
    for recovery_id in (0, 1):
        if _secp256k1_recover(digest, r, s, recovery_id) == public_key:
            return recovery_id
    # r >= n (recovery ids 2, 3) has probability below 2**-127: never seen.
    raise _fail("the secp256k1 signature does not recover to its own public key")


def _secp256k1_low_s(r: int, s: int) -> tuple[int, int]:
    """The low-s form Ethereum requires (EIP-2): s <= n / 2."""
    n = _SECP256K1_N
    return (r, n - s) if s > n // 2 else (r, s)


def _secp256k1_library() -> str:
    """Which library signs: "coincurve" when installed, else "cryptography"."""
    for name in ("coincurve", "cryptography"):
        try:
            _importlib.import_module(name)
        except ImportError:
            continue
        return name
    raise _fail(
        "signing with a wallet key needs coincurve (pip install 'wsauth[wallet]') or cryptography (pip install 'wsauth[keys]')"
    )


def _coincurve_key(private_key: int) -> _CoincurvePrivateKey:
    coincurve = _importlib.import_module("coincurve")
    return _cast(
        "_CoincurvePrivateKey", coincurve.PrivateKey(private_key.to_bytes(32, "big"))
    )


def _cryptography_key(private_key: int) -> _CryptographyPrivateKey:
    ec = _importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
    return _cast(
        "_CryptographyPrivateKey", ec.derive_private_key(private_key, ec.SECP256K1())
    )


def _secp256k1_public_key(
    private_key: int, library: str | None = None
) -> tuple[int, int]:
    """The public point of a private key in 1..n-1, computed by the library."""
    if (library or _secp256k1_library()) == "coincurve":
        raw = _coincurve_key(private_key).public_key.format(compressed=False)
        return (int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:65], "big"))
    numbers = _cryptography_key(private_key).public_key().public_numbers()
    return (numbers.x, numbers.y)


def _secp256k1_sign(
    digest: bytes, private_key: int, library: str | None = None
) -> tuple[int, int, int]:
    """(r, s, recovery id 0/1) of the deterministic (RFC 6979, HMAC-SHA256),
    low-s ECDSA signature of a 32-byte digest."""
    if len(digest) != 32:
        raise _fail("a secp256k1 signature is over a 32-byte digest")
    if (library or _secp256k1_library()) == "coincurve":
        raw = _coincurve_key(private_key).sign_recoverable(digest, hasher=None)
        # libsecp256k1 already returns the low-s form and its recovery id.
        return (
            int.from_bytes(raw[:32], "big"),
            int.from_bytes(raw[32:64], "big"),
            raw[64],
        )
    ec = _importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
    hashes = _importlib.import_module("cryptography.hazmat.primitives.hashes")
    utils = _importlib.import_module("cryptography.hazmat.primitives.asymmetric.utils")
    key = _cryptography_key(private_key)
    algorithm = ec.ECDSA(utils.Prehashed(hashes.SHA256()), deterministic_signing=True)
    der = key.sign(digest, algorithm)
    r, s = _secp256k1_low_s(*_cast("tuple[int, int]", utils.decode_dss_signature(der)))
    numbers = key.public_key().public_numbers()
    return (r, s, _secp256k1_recovery_id(digest, r, s, (numbers.x, numbers.y)))


def _secp256k1_sign_python(digest: bytes, private_key: int) -> tuple[int, int, int]:
    """The same signature in pure Python (RFC 6979 section 3.2, HMAC-SHA256).
    NOT constant-time: a reference for tests and benchmarks, never for keys."""
    n = _SECP256K1_N
    x = private_key.to_bytes(32, "big")
    h = (int.from_bytes(digest, "big") % n).to_bytes(32, "big")  # bits2octets
    v, k = b"\x01" * 32, b"\x00" * 32
    k = _hmac.new(k, v + b"\x00" + x + h, _hashlib.sha256).digest()
    v = _hmac.new(k, v, _hashlib.sha256).digest()
    k = _hmac.new(k, v + b"\x01" + x + h, _hashlib.sha256).digest()
    v = _hmac.new(k, v, _hashlib.sha256).digest()
    e = int.from_bytes(digest, "big")
    while True:
        v = _hmac.new(k, v, _hashlib.sha256).digest()
        nonce = int.from_bytes(v, "big")
        if 0 < nonce < n:
            point = _secp256k1_combine(nonce, _SECP256K1_G, 0, _SECP256K1_G)
            assert point is not None
            r = point[0] % n
            s = pow(nonce, -1, n) * (e + r * private_key) % n
            if r and s:
                recovery_id = (point[1] & 1) | (2 if point[0] >= n else 0)
                if s > n // 2:
                    s, recovery_id = n - s, recovery_id ^ 1
                return (r, s, recovery_id)
        k = _hmac.new(k, v + b"\x00", _hashlib.sha256).digest()
        v = _hmac.new(k, v, _hashlib.sha256).digest()


# ---------------------------------------------------------------------------
# Keys and addresses.

_HEX_DIGITS: _Final[frozenset[str]] = frozenset("0123456789abcdefABCDEF")
_DECIMAL_DIGITS: _Final[frozenset[str]] = frozenset("0123456789")


def _eth_private_key(text: object, field: str = "credentials.private_key") -> int:
    """A secp256k1 (Ethereum) private key given as 64 hex digits, with or
    without 0x, as an int in 1..n-1. The message never repeats the key."""
    expected = f"{field} must be an Ethereum (secp256k1) private key: 64 hex digits (32 bytes), with or without 0x"
    if not isinstance(text, str):
        raise _fail(expected)
    digits = text.strip()
    if digits[:2] in ("0x", "0X"):
        digits = digits[2:]
    if not digits:
        raise _fail(f"{field} is missing or empty")
    if not set(digits) <= _HEX_DIGITS:
        hint = "; it holds characters that are not hex digits"
        if "-----BEGIN" in digits:
            hint = "; it is a PEM file"
        raise _fail(expected + hint)
    if len(digits) != 64:
        hint = f"; it has {len(digits)}"
        stark = "a STARK (StarkNet/Paradex L2) private key is written like that; this field wants the Ethereum key"
        if 64 < len(digits) <= 100 and set(digits) <= _DECIMAL_DIGITS:
            if int(digits) < _STARK_N:
                hint += f", all decimal: {stark}, in hex"
            else:
                hint += ", all decimal: write the key in hex"
        elif len(digits) == 40:
            hint += ": that is the length of an address, not a key"
        elif len(digits) in (128, 130):
            hint += ": that is the length of a public key, not a private key"
        elif 60 <= len(digits) < 64 and int(digits, 16) < _STARK_N:
            hint += f": {stark}"
        raise _fail(expected + hint)
    value = int(digits, 16)
    if not 0 < value < _SECP256K1_N:
        raise _fail(
            expected + "; its value must be between 1 and the secp256k1 group order - 1"
        )
    return value


def _eip55(address: bytes) -> str:
    """A 20-byte address as 0x and EIP-55 mixed-case checksum hex."""
    lower = address.hex()
    check = _keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if int(check[i], 16) >= 8 else c for i, c in enumerate(lower)
    )


def _eth_address_of_public_key(public_key: tuple[int, int]) -> str:
    raw = public_key[0].to_bytes(32, "big") + public_key[1].to_bytes(32, "big")
    return _eip55(_keccak256(raw)[-20:])


@_lru_cache(maxsize=8)  # two Keccak hashes and a curve multiplication, once per key
def _eth_address(private_key: int) -> str:
    """The EIP-55 address of a private key (as _eth_private_key returns it)."""
    return _eth_address_of_public_key(_secp256k1_public_key(private_key))


_ADDRESS_RE: _Final[_re.Pattern[str]] = _re.compile(r"0[xX][0-9a-fA-F]{40}")


def _eth_address_text(text: object, field: str) -> str:
    """An address given by the user, checked (EIP-55 when mixed case) and
    returned in EIP-55 form."""
    if not isinstance(text, str) or not _ADDRESS_RE.fullmatch(text.strip()):
        raise _fail(f"{field} must be an Ethereum address: 0x and 40 hex digits")
    digits = text.strip()[2:]
    checksummed = _eip55(bytes.fromhex(digits))
    if digits not in (digits.lower(), digits.upper()) and checksummed[2:] != digits:
        raise _fail(
            f"{field} has a wrong EIP-55 checksum (a mistyped letter?): check the address"
        )
    return checksummed


def _eth_check_wallet(
    private_key: int,
    wallet: object,
    key_field: str = "credentials.private_key",
    wallet_field: str = "credentials.wallet_address",
) -> str:
    """The key's address, refused unless it is the configured wallet address."""
    expected = _eth_address_text(wallet, wallet_field)
    derived = _eth_address(private_key)
    if derived != expected:
        raise _fail(
            f"{key_field} belongs to {derived}, not to {wallet_field} {expected}: "
            "give the private key of that wallet (or its signer key where the exchange registers one)"
        )
    return derived


# Wallet addresses already checked. An address is public, and checking its
# EIP-55 checksum costs a Keccak (about half of a login's signing time):
# each is checked once, up to a bound.
_CHECKED_WALLETS: set[str] = set()


def _wallet_address(value: str | None) -> str:
    """credentials.wallet_address as given, once checked (sent as the user
    wrote it, as the exchanges' own clients do)."""
    text = _credential(value, "wallet_address")
    if text not in _CHECKED_WALLETS:
        _eth_address_text(text, "credentials.wallet_address")
        if len(_CHECKED_WALLETS) < 64:
            _CHECKED_WALLETS.add(text)
    return text


def _wallet_subaccount(address: str, name: str | None) -> str:
    """A subaccount as a bytes32 in hex: the wallet's 20 bytes, then the
    subaccount's name (credentials.uid; "default" when not given) in at most
    12 bytes, zero-padded on the right (Nado's sender)."""
    label = "default" if name is None else _credential(name, "uid")
    raw = label.encode()
    if len(raw) > 12:
        raise _fail("credentials.uid (the subaccount name) must fit in 12 bytes")
    return "0x" + address[2:].lower() + raw.hex().ljust(24, "0")


# ---------------------------------------------------------------------------
# What is signed.


def _eth_sign(digest: bytes, private_key: int) -> tuple[int, int, int]:
    """(r, s, v) of a 32-byte digest, v = 27 or 28, as Ethereum wallets sign."""
    r, s, recovery_id = _secp256k1_sign(digest, private_key)
    return (r, s, 27 + recovery_id)


def _eth_recover_address(digest: bytes, r: int, s: int, v: int) -> str | None:
    """The address whose key made (r, s, v) over digest; None if none did."""
    public_key = _secp256k1_recover(digest, r, s, v - 27 if v >= 27 else v)
    return None if public_key is None else _eth_address_of_public_key(public_key)


def _eip191_hash(message: bytes) -> bytes:
    """The EIP-191 version 0x45 (personal_sign) hash of a message."""
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii")
    return _keccak256(prefix + message)


def _signature_hex(
    r: int, s: int, v: int, v_case: _Literal["upper", "lower"] = "upper"
) -> str:
    """0x, r and s as 64 lower-case hex digits each, v as two hex digits in
    v_case: "upper" (1B/1C: aster, derive, paradex, polymarket) or "lower" (nado)."""
    tail = f"{v:02X}" if v_case == "upper" else f"{v:02x}"
    return f"0x{r:064x}{s:064x}{tail}"


def _signature_fields(r: int, s: int, v: int) -> tuple[str, str, int]:
    """r and s as 0x and 64 hex digits, v as the int 27/28 (grvt)."""
    return (f"0x{r:064x}", f"0x{s:064x}", v)


# ---------------------------------------------------------------------------
# EIP-712 typed structured data, given as plain dicts.

# The domain fields in the order EIP-712 lists them, with their types: the
# EIP712Domain type when the types do not define it (as ethers, eth-account, ccxt).
_EIP712_DOMAIN_FIELDS: _Final[tuple[tuple[str, str], ...]] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
)
_EIP712_ARRAY_RE: _Final[_re.Pattern[str]] = _re.compile(r"(.+)\[([0-9]*)\]")
_EIP712_INT_RE: _Final[_re.Pattern[str]] = _re.compile(r"(u?)int([0-9]*)")
_EIP712_BYTES_RE: _Final[_re.Pattern[str]] = _re.compile(r"bytes([0-9]+)")


def _eip712_fields(name: str, types: _Eip712Types) -> _Sequence[_Mapping[str, str]]:
    fields = types.get(name)
    if fields is None:
        raise _fail(f"EIP-712: no definition of type {name!r}")
    return fields


def _eip712_base_type(type_: str) -> str:
    """Person[2][] -> Person."""
    return type_.partition("[")[0]


def _eip712_dependencies(primary: str, types: _Eip712Types) -> list[str]:
    """The struct types primary refers to, itself first, the rest sorted."""
    found: set[str] = set()
    pending = [primary]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for field in _eip712_fields(name, types):
            base = _eip712_base_type(field["type"])
            if base in types:
                pending.append(base)
    return [primary, *sorted(found - {primary})]


def _eip712_encode_type(primary: str, types: _Eip712Types) -> str:
    return "".join(
        f"{name}({','.join(f['type'] + ' ' + f['name'] for f in _eip712_fields(name, types))})"
        for name in _eip712_dependencies(primary, types)
    )


def _eip712_type_hash(primary: str, types: _Eip712Types) -> bytes:
    return _eip712_hash_text(_eip712_encode_type(primary, types))


@_lru_cache(maxsize=64)  # a module hashes the same few type strings each time
def _eip712_hash_text(text: str) -> bytes:
    return _keccak256(text.encode("utf-8"))


def _eip712_hex_bytes(value: object, where: str, expected: str) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) % 2 == 0:
        if set(value[2:]) <= _HEX_DIGITS:
            return bytes.fromhex(value[2:])
    raise _fail(f"EIP-712 {where}: expected {expected}")


def _eip712_encode_value(
    type_: str, value: object, types: _Eip712Types, where: str
) -> bytes:
    """One field's 32-byte encoding (EIP-712 encodeData)."""
    array = _EIP712_ARRAY_RE.fullmatch(type_)
    if array:
        if not isinstance(value, (list, tuple)):
            raise _fail(f"EIP-712 {where}: expected a list for {type_}")
        if array.group(2) and len(value) != int(array.group(2)):
            raise _fail(f"EIP-712 {where}: expected {array.group(2)} items for {type_}")
        element = array.group(1)
        return _keccak256(
            b"".join(
                _eip712_encode_value(element, item, types, f"{where}[{i}]")
                for i, item in enumerate(value)
            )
        )
    if type_ in types:
        if not isinstance(value, _Mapping):
            raise _fail(f"EIP-712 {where}: expected a mapping for struct {type_}")
        return _eip712_hash_struct(type_, types, value, where)
    if type_ == "string":
        if not isinstance(value, str):
            raise _fail(f"EIP-712 {where}: expected a str for string")
        return _keccak256(value.encode("utf-8"))
    if type_ == "bytes":
        return _keccak256(
            _eip712_hex_bytes(value, where, "bytes or 0x-prefixed hex for bytes")
        )
    if type_ == "bool":
        if not isinstance(value, bool):
            raise _fail(f"EIP-712 {where}: expected True or False for bool")
        return int(value).to_bytes(32, "big")
    if type_ == "address":
        if isinstance(value, str) and _ADDRESS_RE.fullmatch(value):
            return bytes(12) + bytes.fromhex(value[2:])
        if isinstance(value, (bytes, bytearray)) and len(value) == 20:
            return bytes(12) + bytes(value)
        raise _fail(f"EIP-712 {where}: expected an address (0x and 40 hex digits)")
    fixed = _EIP712_BYTES_RE.fullmatch(type_)
    if fixed and 1 <= int(fixed.group(1)) <= 32:
        size = int(fixed.group(1))
        data = _eip712_hex_bytes(
            value,
            where,
            f"bytes or 0x-prefixed hex of at most {size} bytes for {type_}",
        )
        if len(data) > size:
            raise _fail(f"EIP-712 {where}: {len(data)} bytes do not fit {type_}")
        return data.ljust(32, b"\x00")
    integer = _EIP712_INT_RE.fullmatch(type_)
    bits = int(integer.group(2) or 256) if integer else 0
    if integer and bits % 8 == 0 and 8 <= bits <= 256:
        return _eip712_encode_int(value, integer.group(1) == "u", bits, type_, where)
    raise _fail(f"EIP-712 {where}: unknown type {type_!r}")


def _eip712_encode_int(
    value: object, unsigned: bool, bits: int, type_: str, where: str
) -> bytes:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text, 16) if text[:2] in ("0x", "0X") else int(text, 10)
        except ValueError:
            number = None
    if number is None:
        raise _fail(
            f"EIP-712 {where}: expected an int (or a decimal or 0x-hex string) for {type_}"
        )
    low, high = (0, 1 << bits) if unsigned else (-(1 << (bits - 1)), 1 << (bits - 1))
    if not low <= number < high:
        raise _fail(f"EIP-712 {where}: value out of range for {type_}")
    return (number % (1 << 256)).to_bytes(32, "big")


def _eip712_encode_data(
    primary: str, types: _Eip712Types, data: _Mapping[str, object], where: str = ""
) -> bytes:
    """typeHash followed by each field's encoding, in the type's field order.
    Fields of data that the type does not declare are ignored (as eth-account
    and ccxt do); a declared field that is missing is an error."""
    parts = [_eip712_type_hash(primary, types)]
    for field in _eip712_fields(primary, types):
        name = field["name"]
        path = f"{where or primary}.{name}"
        if name not in data:
            raise _fail(f"EIP-712 {path}: missing")
        parts.append(_eip712_encode_value(field["type"], data[name], types, path))
    return b"".join(parts)


def _eip712_hash_struct(
    primary: str, types: _Eip712Types, data: _Mapping[str, object], where: str = ""
) -> bytes:
    return _keccak256(_eip712_encode_data(primary, types, data, where))


def _eip712_domain_separator(
    domain: _Mapping[str, object], types: _Eip712Types | None = None
) -> bytes:
    """hashStruct(domain): with the types' EIP712Domain if they define one,
    else with the fields the domain has, in EIP-712's order."""
    if types is not None and "EIP712Domain" in types:
        return _eip712_hash_struct("EIP712Domain", types, domain)
    unknown = sorted(set(domain) - {name for name, _ in _EIP712_DOMAIN_FIELDS})
    if unknown:
        raise _fail(f"EIP-712: unknown domain field {unknown[0]!r}")
    domain_type = [
        {"name": name, "type": type_}
        for name, type_ in _EIP712_DOMAIN_FIELDS
        if name in domain
    ]
    return _eip712_hash_struct("EIP712Domain", {"EIP712Domain": domain_type}, domain)


def _eip712_digest(
    domain: _Mapping[str, object],
    types: _Eip712Types,
    primary_type: str,
    message: _Mapping[str, object],
) -> bytes:
    """keccak256(0x19 0x01 || domainSeparator || hashStruct(message)): what is signed."""
    return _keccak256(
        b"\x19\x01"
        + _eip712_domain_separator(domain, types)
        + _eip712_hash_struct(primary_type, types, message)
    )
