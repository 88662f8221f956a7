"""STARK-curve signing for the generated modules (paradex): the StarkWare
Pedersen hash, ECDSA on the STARK curve with StarkWare's RFC 6979 nonce, the
public key, and key grinding (the STARK key derived from an Ethereum signature).

A helper file like the others (see helpers/base.py): pasted below the
``# ---`` line into each module that signs with a STARK key, pruned to what it
reads, always beside wallet.py, whose ``_keccak256``, curve arithmetic (``_curve_*``, for
any short Weierstrass curve) and ``_STARK_N`` (the STARK group order, also
used there to recognise a STARK key given where an Ethereum key is expected)
it uses.

NOT constant-time. No library that wsauth installs (coincurve, cryptography)
knows the STARK curve, so the private-key operations (k * G, the nonce
arithmetic) run on Python integers, whose timing depends on their values. That
is the same trade-off every Python StarkNet signer makes (starknet.py's
fallback, ccxt's bundled copy); a module using this says so in its docstring.

The nonce: ``_stark_sign(..., ccxt_draw=False)`` follows RFC 6979 as StarkWare
(cairo-lang, starknet.py, elliptic.js) does. ccxt 4.5.90's bundled copy
(static_dependencies/starkware/crypto/rfc6979.py) computes ``rolen = (qlen +
7) / 8`` -- a float, 32.375 -- so each draw consumes two HMAC blocks instead of
one. The first candidate is the same either way (the top 252 bits of the first
block), but the STARK order is just above 2^251, so about half of the
252-bit candidates are refused, and the retry then continues from a different
HMAC state: a different, equally valid signature. ``ccxt_draw=True``
reproduces ccxt's draw exactly, for byte-equality with ccxt; both verify.
"""

from __future__ import annotations

import hashlib as _hashlib
import hmac as _hmac
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from functools import lru_cache as _lru_cache

from .base import _fail
from .wallet import (
    _INFINITY,
    _STARK_N,
    _Jacobian,
    _curve_add,
    _curve_affine,
    _curve_combine,
    _keccak256,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final as _Final
# --- pasted into each module below this line ---


# ---------------------------------------------------------------------------
# The STARK curve: y^2 = x^3 + alpha x + beta over p = 2^251 + 17 * 2^192 + 1.

_STARK_P: _Final[int] = (
    0x800000000000011000000000000000000000000000000000000000000000001
)
_STARK_ALPHA: _Final[int] = 1
_STARK_BETA: _Final[int] = (
    0x6F21413EFBE40DE150E596D72F7A8C5609AD26C15C915C1F4CDFCB99CEE9E89
)
_STARK_G: _Final[tuple[int, int]] = (
    0x1EF15C18599971B7BECED415A40F0C7DEACFD9B0D1819E03D723D8BC943CFCA,
    0x5668060AA49730B7BE4801DF46EC62DE53ECD11ABE43A32873000C36E8DC1F,
)
# The Pedersen hash's points (StarkWare's pedersen_params.json, drawn from
# the digits of pi): the shift point, then P0..P3.
_PEDERSEN_SHIFT: _Final[tuple[int, int]] = (
    0x49EE3EBA8C1600700EE1B87EB599F16716B0B1022947733551FDE4050CA6804,
    0x3CA0CFE4B3BC6DDF346D49D06EA0ED34E621062C0E056C1D0405D266E10268A,
)
_PEDERSEN_POINTS: _Final[tuple[tuple[int, int], ...]] = (
    (
        0x234287DCBAFFE7F969C748655FCA9E58FA8120B6D56EB0C1080D17957EBE47B,
        0x3B056F100F96FB21E889527D41F4E39940135DD7A6C94CC6ED0268EE89E5615,
    ),
    (
        0x4FA56F376C83DB33F9DAB2656558F3399099EC1DE5E3018B7A6932DBA8AA378,
        0x3FA0984C931C9E38113E0C0E47E4401562761F92A7A23B45168F4E80FF5B54D,
    ),
    (
        0x4BA4CC166BE8DEC764910F75B45F74B40C690C74709E90F3AA372F0BD2D6997,
        0x40301CF5C1751F4B971E46C4EDE85FCAC5C59A5CE5AE7C48151F27B24B219C,
    ),
    (
        0x54302DCB0E6CC1C6E44CCA8F61A63BB2CA65048D53FB325D36FF12C49A58202,
        0x1B77B3E37D13504B348046268D8AE25CE98AD783C25561A879DCC77E99C2426,
    ),
)
_STARK_ECDSA_BOUND: _Final[int] = 1 << 251  # r, w and the message hash are below it



def _stark_multiply(scalar: int, point: tuple[int, int]) -> tuple[int, int] | None:
    """scalar * point on the STARK curve (wallet.py's arithmetic). Variable time."""
    return _curve_combine(scalar, point, 0, point, _STARK_P, _STARK_ALPHA)


def _stark_y(x: int) -> int | None:
    """A y with (x, y) on the STARK curve, or None (p = 1 mod 4: Tonelli-Shanks)."""
    p = _STARK_P
    alpha = (pow(x, 3, p) + _STARK_ALPHA * x + _STARK_BETA) % p
    if alpha == 0:
        return 0
    if pow(alpha, (p - 1) // 2, p) != 1:
        return None
    q, s = p - 1, 0
    while q % 2 == 0:
        q, s = q // 2, s + 1
    z = 3  # the field's generator: a non-residue
    m, c, t, r = s, pow(z, q, p), pow(alpha, q, p), pow(alpha, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2, i = t2 * t2 % p, i + 1
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r


# ---------------------------------------------------------------------------
# Pedersen hash.


@_lru_cache(maxsize=1)
def _pedersen_tables() -> tuple[tuple[tuple[_Jacobian, ...], ...], ...]:
    """For each Pedersen point P: [i][j] = j * 16^i * P, j < 16, i < 63. Built
    once, on the first hash (~3,800 additions), so that a hash costs about 130
    additions and no doubling."""
    tables = []
    for point in _PEDERSEN_POINTS:
        rows = []
        base: _Jacobian = (point[0], point[1], 1)
        for _ in range(63):
            row = [_INFINITY, base]
            for _ in range(14):
                row.append(_curve_add(row[-1], base, _STARK_P, _STARK_ALPHA))
            rows.append(tuple(row))
            base = _curve_add(row[-1], base, _STARK_P, _STARK_ALPHA)  # 16 * base
        tables.append(tuple(rows))
    return tuple(tables)


def _pedersen(x: int, y: int) -> int:
    """StarkWare's Pedersen hash of two field elements: the x coordinate of
    shift + x_low P0 + x_high P1 + y_low P2 + y_high P3 (low = 248 bits).
    Public inputs only: the table look-ups need not be constant-time."""
    p = _STARK_P
    if not (0 <= x < p and 0 <= y < p):
        raise _fail("a Pedersen hash input is not a STARK field element")
    tables = _pedersen_tables()
    total: _Jacobian = (_PEDERSEN_SHIFT[0], _PEDERSEN_SHIFT[1], 1)
    low = (1 << 248) - 1
    for scalar, table in (
        (x & low, tables[0]),
        (x >> 248, tables[1]),
        (y & low, tables[2]),
        (y >> 248, tables[3]),
    ):
        row = 0
        while scalar:
            digit = scalar & 15
            if digit:
                total = _curve_add(total, table[row][digit], p, _STARK_ALPHA)
            scalar >>= 4
            row += 1
    result = _curve_affine(total, p)
    if result is None:
        raise _fail("the Pedersen hash reached the point at infinity")
    return result[0]


def _pedersen_on_elements(values: list[int]) -> int:
    """StarkNet's compute_hash_on_elements: h(...h(h(0, v0), v1)..., len)."""
    result = 0
    for value in values:
        result = _pedersen(result, value)
    return _pedersen(result, len(values))


# ---------------------------------------------------------------------------
# Keys and ECDSA.


def _stark_private_key(text: object, field: str = "credentials.private_key") -> int:
    """A STARK private key as hex (with or without 0x, leading zeros optional)
    below the STARK order. The message never repeats the key."""
    expected = f"{field} must be a STARK private key: hex (with or without 0x) below the STARK curve order"
    if not isinstance(text, str):
        raise _fail(expected)
    digits = text.strip()
    if digits[:2] in ("0x", "0X"):
        digits = digits[2:]
    if not digits:
        raise _fail(f"{field} is missing or empty")
    if len(digits) > 64 or not set(digits) <= set("0123456789abcdefABCDEF"):
        raise _fail(expected)
    value = int(digits, 16)
    if not 0 < value < _STARK_N:
        hint = ""
        if value >= _STARK_N and len(digits) == 64:
            hint = "; this looks like an Ethereum (secp256k1) key: give the STARK key, or let the module derive it"
        raise _fail(expected + hint)
    return value


def _stark_public_key(private_key: int) -> int:
    """The STARK key: the x coordinate of private_key * G."""
    point = _stark_multiply(private_key, _STARK_G)
    if point is None:
        raise _fail("a STARK private key must be between 1 and the curve order - 1")
    return point[0]


def _stark_grind_key(key_seed: int) -> int:
    """StarkWare's grind_key with the curve order as the limit: a key from a
    seed (Paradex: the r of the Ethereum signature of its "STARK Key" message)."""
    limit = _STARK_N
    bound = (1 << 256) - (1 << 256) % limit
    seed = key_seed.to_bytes(max(1, (key_seed.bit_length() + 7) // 8), "big")

    def draw(index: int) -> int:
        salt = index.to_bytes(max(1, (index.bit_length() + 7) // 8), "big")
        return int.from_bytes(_hashlib.sha256(seed + salt).digest(), "big")

    index, key = 0, draw(0)
    while key >= bound:  # refused: the next index
        index += 1
        key = draw(index)
    return key % limit


def _stark_nonce(
    msg_hash: int, private_key: int, seed: int | None, ccxt_draw: bool = False
) -> int:
    """RFC 6979 (HMAC-SHA256) k as StarkWare draws it; ccxt_draw: as ccxt 4.5.90's
    bundled copy draws it (two HMAC blocks a draw: see the module docstring)."""
    n = _STARK_N
    qlen = n.bit_length()  # 252
    if 1 <= msg_hash.bit_length() % 8 <= 4 and msg_hash.bit_length() >= 248:
        msg_hash *= 16  # StarkWare pads a one-nibble-short hash, as elliptic.js does
    data = msg_hash.to_bytes((msg_hash.bit_length() + 7) // 8, "big")
    extra = b"" if seed is None else seed.to_bytes((seed.bit_length() + 7) // 8, "big")

    def bits2int(octets: bytes) -> int:
        value = int.from_bytes(octets, "big")
        excess = len(octets) * 8 - qlen
        return value >> excess if excess > 0 else value

    z1 = bits2int(data)
    z2 = z1 - n if z1 >= n else z1
    bx = private_key.to_bytes(32, "big") + z2.to_bytes(32, "big") + extra
    v, k = b"\x01" * 32, b"\x00" * 32
    k = _hmac.new(k, v + b"\x00" + bx, _hashlib.sha256).digest()
    v = _hmac.new(k, v, _hashlib.sha256).digest()
    k = _hmac.new(k, v + b"\x01" + bx, _hashlib.sha256).digest()
    v = _hmac.new(k, v, _hashlib.sha256).digest()
    blocks = 2 if ccxt_draw else 1

    def draw() -> int:
        nonlocal v
        t = b""
        for _ in range(blocks):
            v = _hmac.new(k, v, _hashlib.sha256).digest()
            t += v
        return bits2int(t)

    candidate = draw()
    while not 1 <= candidate < n:  # refused: RFC 6979's next draw
        k = _hmac.new(k, v + b"\x00", _hashlib.sha256).digest()
        v = _hmac.new(k, v, _hashlib.sha256).digest()
        candidate = draw()
    return candidate


def _stark_sign(
    msg_hash: int, private_key: int, seed: int | None = 32, ccxt_draw: bool = False
) -> tuple[int, int]:
    """(r, s) of StarkWare's ECDSA over a message hash below 2^251. seed is
    the RFC 6979 extra entropy of the first draw (32: starknet.py's and ccxt's
    message_signature; None: StarkWare's sign()), raised by one per refused
    draw. NOT constant-time (see the module docstring)."""
    n, bound = _STARK_N, _STARK_ECDSA_BOUND
    if not 0 <= msg_hash < bound:
        raise _fail("a STARK signature is over a message hash below 2^251")
    if not 0 < private_key < n:
        raise _fail("a STARK private key must be between 1 and the curve order - 1")

    def attempt(k: int) -> tuple[int, int] | None:
        point = _stark_multiply(k, _STARK_G)
        assert point is not None  # 0 < k < n
        r = point[0]  # StarkWare's variant: r = x, not x mod n
        if not 1 <= r < bound or (msg_hash + r * private_key) % n == 0:
            return None
        w = k * pow(msg_hash + r * private_key, -1, n) % n
        if not 1 <= w < bound:
            return None
        return (r, pow(w, -1, n))

    signature = None
    while signature is None:  # a refused nonce: the next seed
        signature = attempt(_stark_nonce(msg_hash, private_key, seed, ccxt_draw))
        seed = 1 if seed is None else seed + 1
    return signature


def _stark_verify(msg_hash: int, r: int, s: int, public_key: int) -> bool:
    """Whether (r, s) over msg_hash verifies under the STARK key (an x
    coordinate; either y). Public values only."""
    n, bound = _STARK_N, _STARK_ECDSA_BOUND
    if not (0 <= msg_hash < bound and 1 <= r < bound and 1 <= s < n):
        return False
    w = pow(s, -1, n)
    if not 1 <= w < bound:
        return False
    y = _stark_y(public_key)
    if y is None:
        return False
    for candidate in (y, (-y) % _STARK_P):
        # w (z G + r Q): its x coordinate is r for a valid signature.
        z_g_r_q = _curve_combine(
            msg_hash, _STARK_G, r, (public_key, candidate), _STARK_P, _STARK_ALPHA
        )
        point = None if z_g_r_q is None else _stark_multiply(w, z_g_r_q)
        if point is not None and point[0] == r:
            return True
    return False


# ---------------------------------------------------------------------------
# StarkNet: short strings, starknet_keccak, SNIP-12 typed data (revision 0,
# Pedersen), the account address -- what paradex signs and sends.

_SNIP12_DOMAIN_TYPE: _Final[tuple[tuple[str, str], ...]] = (
    ("name", "felt"),
    ("chainId", "felt"),
    ("version", "felt"),
)
_L2_ADDRESS_BOUND: _Final[int] = (1 << 251) - 256

_Snip12Types = _Mapping[str, _Sequence[_Mapping[str, str]]]


def _starknet_keccak(data: bytes) -> int:
    """Keccak-256 masked to 250 bits (selectors, SNIP-12 type hashes)."""
    return int.from_bytes(_keccak256(data), "big") & ((1 << 250) - 1)


def _short_string(text: str) -> int:
    """A Cairo short string: at most 31 ASCII characters as a big-endian felt."""
    if not text.isascii() or len(text) > 31:
        raise _fail("a StarkNet short string is at most 31 ASCII characters")
    return int.from_bytes(text.encode("ascii"), "big")


def _snip12_felt(value: object, where: str) -> int:
    """A felt as StarkNet typed data spells one: an int, 0x hex, a decimal
    string, or else a short string (as starknet.py and ccxt read it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        if value[:2] == "0x":
            try:
                number = int(value, 16)
            except ValueError:
                raise _fail(f"SNIP-12 {where}: 0x but not hex") from None
        elif value.isascii() and value.isdigit():
            number = int(value)
        else:
            number = _short_string(value)
    else:
        raise _fail(f"SNIP-12 {where}: expected an int or a str for felt")
    if not 0 <= number < _STARK_P:
        raise _fail(f"SNIP-12 {where}: not a STARK field element")
    return number


def _snip12_encode_type(primary: str, types: _Snip12Types) -> str:
    found: set[str] = set()
    pending = [primary]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        if name not in types:
            raise _fail(f"SNIP-12: no definition of type {name!r}")
        found.add(name)
        for field in types[name]:
            base = field["type"].rstrip("*")
            if base in types:
                pending.append(base)
    return "".join(
        f"{name}({','.join(f['name'] + ':' + f['type'] for f in types[name])})"
        for name in [primary, *sorted(found - {primary})]
    )


def _snip12_struct_hash(
    primary: str, types: _Snip12Types, data: _Mapping[str, object]
) -> int:
    values = [_starknet_keccak(_snip12_encode_type(primary, types).encode("ascii"))]
    for field in types[primary]:
        name, type_ = field["name"], field["type"]
        where = f"{primary}.{name}"
        if name not in data:
            raise _fail(f"SNIP-12 {where}: missing")
        value = data[name]
        base = type_.rstrip("*")
        if type_.endswith("*"):
            if not isinstance(value, (list, tuple)):
                raise _fail(f"SNIP-12 {where}: expected a list for {type_}")
            items = [
                (
                    _snip12_struct_hash(base, types, item)
                    if base in types and isinstance(item, _Mapping)
                    else _snip12_felt(item, where)
                )
                for item in value
            ]
            values.append(_pedersen_on_elements(items))
        elif base in types:
            if not isinstance(value, _Mapping):
                raise _fail(f"SNIP-12 {where}: expected a mapping for struct {type_}")
            values.append(_snip12_struct_hash(base, types, value))
        else:
            values.append(_snip12_felt(value, where))
    return _pedersen_on_elements(values)


def _snip12_message_hash(
    domain: _Mapping[str, object],
    types: _Snip12Types,
    primary_type: str,
    message: _Mapping[str, object],
    account_address: int,
) -> int:
    """SNIP-12 revision 0: h("StarkNet Message", hashStruct(StarkNetDomain),
    account, hashStruct(message)); StarkNetDomain is (name, chainId, version)
    unless the types define it."""
    if "StarkNetDomain" not in types:
        domain_type = [
            {"name": name, "type": type_} for name, type_ in _SNIP12_DOMAIN_TYPE
        ]
        types = {**types, "StarkNetDomain": domain_type}
    return _pedersen_on_elements(
        [
            _short_string("StarkNet Message"),
            _snip12_struct_hash("StarkNetDomain", types, domain),
            account_address,
            _snip12_struct_hash(primary_type, types, message),
        ]
    )


def _stark_key_from_eth_signature(signature: str) -> int:
    """Paradex (and dYdX, StarkEx): the STARK private key ground from the r
    of an Ethereum signature given as 0x + 130 hex digits."""
    digits = signature[2:] if signature[:2] == "0x" else signature
    if len(digits) < 64 or not set(digits[:64]) <= set("0123456789abcdefABCDEF"):
        raise _fail(
            "the Ethereum signature to derive a STARK key from is not hex r||s||v"
        )
    return _stark_grind_key(int(digits[:64], 16))


def _stark_account_address(
    public_key: int, account_class_hash: int, proxy_class_hash: int
) -> int:
    """Paradex's account address: the proxy contract deployed with
    (account class, selector("initialize"), 2, public key, 0), salted with
    the public key, from deployer 0 (StarkNet's compute_address)."""
    calldata = [account_class_hash, _starknet_keccak(b"initialize"), 2, public_key, 0]
    raw = _pedersen_on_elements(
        [
            _short_string("STARKNET_CONTRACT_ADDRESS"),
            0,
            public_key,
            proxy_class_hash,
            _pedersen_on_elements(calldata),
        ]
    )
    return raw % _L2_ADDRESS_BOUND


def _starknet_address(text: str, field: str) -> str:
    """A Starknet account address as StarkNet writes it (0x, lower-case hex,
    no leading zeros), from hex with or without 0x and leading zeros. The
    message names the field and the form, never the value."""
    expected = f"{field} must be a Starknet account address: 0x and at most 64 hex digits, below 2^251"
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if not 0 < len(digits) <= 64 or not set(digits) <= set("0123456789abcdefABCDEF"):
        raise _fail(expected)
    value = int(digits, 16)
    if not 0 < value < _L2_ADDRESS_BOUND:
        raise _fail(expected)
    return hex(value)
