"""secp256k1 keys, addresses and signatures: published vectors, the three
signers (coincurve, cryptography, pure Python) against each other, recovery,
and ccxt 4.5.90's own ecdsa() and address derivation."""

from __future__ import annotations

import random
from types import ModuleType

import pytest

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
LIBRARIES = ["coincurve", "cryptography"]

# web3.js docs, web3.eth.accounts.privateKeyToAccount / accounts.sign('Some data', key)
# (the same vector is in eth-account's tests): key, address, personal_sign hash, signature.
WEB3_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
WEB3_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
WEB3_HASH = "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655"
WEB3_SIGNATURE = (
    "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
    "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c"
)
# eth-account docs, "Sign a Message": sign_message(encode_defunct(text="I♥SF")).
ETH_ACCOUNT_KEY = "0xb25c7db31feed9122727bf0939dc769a96564b2de4c4726d035b36ecf1e5b364"
ETH_ACCOUNT_ADDRESS = "0x5ce9454909639D2D17A3F753ce7d93fa0b9aB12E"
ETH_ACCOUNT_HASH = "1476abb745d423bf09273f1afd887d951181d25adc66c4834a70491911b7f750"
ETH_ACCOUNT_SIGNATURE = (
    "0xe6ca9bba58c88611fad66a6ce8f996908195593807c4b38bd528d2cff09d4eb3"
    "3e5bfbbf4d3e39b1a2fd816a7680c19ebebaf3a141b239934ad43cb33fcec8ce1c"
)
# EIP-55's own examples: all caps, all lower, and mixed case.
EIP55_EXAMPLES = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
# SEC 2 / every secp256k1 library: 2G.
TWO_G = (
    0xC6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5,
    0x1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A,
)


def split(signature: str) -> tuple[int, int, int]:
    raw = bytes.fromhex(signature[2:])
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]


@pytest.mark.parametrize("address", EIP55_EXAMPLES)
def test_eip55_examples(wallet: ModuleType, address: str) -> None:
    assert wallet._eip55(bytes.fromhex(address[2:])) == address
    assert wallet._eth_address_text(address.lower(), "f") == address


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(
    ("key", "address"),
    [(WEB3_KEY, WEB3_ADDRESS), (ETH_ACCOUNT_KEY, ETH_ACCOUNT_ADDRESS)],
)
def test_address_of_published_keys(
    wallet: ModuleType, library: str, key: str, address: str
) -> None:
    d = wallet._eth_private_key(key)
    assert (
        wallet._eth_address_of_public_key(wallet._secp256k1_public_key(d, library))
        == address
    )
    assert (
        wallet._eth_private_key(key[2:])
        == wallet._eth_private_key(key.upper().replace("0X", "0x"))
        == d
    )


def test_curve_arithmetic_known_points(wallet: ModuleType) -> None:
    g = wallet._SECP256K1_G
    assert wallet._secp256k1_combine(2, g, 0, g) == TWO_G
    assert wallet._secp256k1_combine(1, g, 1, g) == TWO_G
    assert wallet._secp256k1_combine(N - 1, g, 0, g) == (
        g[0],
        wallet._SECP256K1_P - g[1],
    )
    assert wallet._secp256k1_combine(N, g, 0, g) is None  # n G is the point at infinity


@pytest.mark.parametrize("library", [*LIBRARIES, "python"])
@pytest.mark.parametrize(
    ("key", "message", "digest", "signature"),
    [
        (WEB3_KEY, b"Some data", WEB3_HASH, WEB3_SIGNATURE),
        (ETH_ACCOUNT_KEY, "I♥SF".encode(), ETH_ACCOUNT_HASH, ETH_ACCOUNT_SIGNATURE),
    ],
    ids=["web3js", "eth-account"],
)
def test_personal_sign_published_signatures(
    wallet: ModuleType,
    library: str,
    key: str,
    message: bytes,
    digest: str,
    signature: str,
) -> None:
    d = wallet._eth_private_key(key)
    hashed = wallet._eip191_hash(message)
    assert hashed.hex() == digest
    if library == "python":
        r, s, recovery_id = wallet._secp256k1_sign_python(hashed, d)
    else:
        r, s, recovery_id = wallet._secp256k1_sign(hashed, d, library)
    assert wallet._signature_hex(r, s, 27 + recovery_id, "lower") == signature


def test_eth_sign_uses_an_installed_library(wallet: ModuleType) -> None:
    d = wallet._eth_private_key(WEB3_KEY)
    r, s, v = wallet._eth_sign(bytes.fromhex(WEB3_HASH), d)
    assert wallet._signature_hex(r, s, v, "lower") == WEB3_SIGNATURE


def test_the_three_signers_agree_and_recover(wallet: ModuleType) -> None:
    # 40 random keys and digests: coincurve (libsecp256k1), cryptography (OpenSSL
    # RFC 6979 + our recovery id) and the pure-Python RFC 6979 reference give the
    # same (r, s, recovery id); s is low; the signature recovers the signer and,
    # with the other recovery id, someone else.
    rng = random.Random(6979)
    seen_ids = set()
    for _ in range(40):
        d = rng.randrange(1, N)
        digest = rng.randbytes(32)
        signatures = {
            library: wallet._secp256k1_sign(digest, d, library) for library in LIBRARIES
        }
        signatures["python"] = wallet._secp256k1_sign_python(digest, d)
        assert len(set(signatures.values())) == 1, signatures
        r, s, recovery_id = signatures["python"]
        seen_ids.add(recovery_id)
        assert 0 < s <= N // 2 and recovery_id in (0, 1)
        address = wallet._eth_address_of_public_key(
            wallet._secp256k1_public_key(d, "coincurve")
        )
        assert (
            wallet._eth_address_of_public_key(
                wallet._secp256k1_public_key(d, "cryptography")
            )
            == address
        )
        assert wallet._eth_recover_address(digest, r, s, 27 + recovery_id) == address
        assert wallet._eth_recover_address(digest, r, s, 28 - recovery_id) != address
    assert seen_ids == {0, 1}  # both parities exercised


def test_signing_is_deterministic(wallet: ModuleType) -> None:
    d = wallet._eth_private_key(WEB3_KEY)
    digest = wallet._keccak256(b"same input")
    for library in LIBRARIES:
        assert wallet._secp256k1_sign(digest, d, library) == wallet._secp256k1_sign(
            digest, d, library
        )
    other = wallet._secp256k1_sign(wallet._keccak256(b"other input"), d, "coincurve")
    assert other != wallet._secp256k1_sign(digest, d, "coincurve")


def test_high_s_from_openssl_is_normalised(wallet: ModuleType) -> None:
    # OpenSSL does not normalise s: about half of its raw signatures are
    # high-s. Ours never are, and equal libsecp256k1's (which normalises).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    rng = random.Random(2)
    high = 0
    for _ in range(20):
        d, digest = rng.randrange(1, N), rng.randbytes(32)
        der = ec.derive_private_key(d, ec.SECP256K1()).sign(
            digest,
            ec.ECDSA(utils.Prehashed(hashes.SHA256()), deterministic_signing=True),
        )
        raw_r, raw_s = utils.decode_dss_signature(der)
        high += raw_s > N // 2
        r, s, recovery_id = wallet._secp256k1_sign(digest, d, "cryptography")
        assert (r, s) == (raw_r, min(raw_s, N - raw_s))
        assert (r, s, recovery_id) == wallet._secp256k1_sign(digest, d, "coincurve")
    assert high > 0


@pytest.mark.parametrize("seed", range(6))
def test_equals_ccxt_ecdsa_and_address(wallet: ModuleType, seed: int) -> None:
    # ccxt 4.5.90's Exchange.ecdsa(hex digest, hex key, 'secp256k1') -- what
    # derive, nado, aster, grvt, paradex and polymarket all call -- and
    # eth_get_address_from_private_key.
    from ccxt.base.exchange import Exchange

    rng = random.Random(seed)
    d = rng.randrange(1, N)
    key_hex = f"{d:064x}"
    digest = wallet._keccak256(rng.randbytes(rng.randrange(1, 300)))
    ours = wallet._secp256k1_sign(digest, d)
    theirs = Exchange.ecdsa(digest.hex(), key_hex, "secp256k1", None)
    assert (f"{ours[0]:064x}", f"{ours[1]:064x}", ours[2]) == (
        theirs["r"].rjust(64, "0"),
        theirs["s"].rjust(64, "0"),
        theirs["v"],
    )
    assert wallet._eth_address(d).lower() == Exchange.eth_get_address_from_private_key(
        "0x" + key_hex
    )


def test_digest_must_be_32_bytes(wallet: ModuleType) -> None:
    with pytest.raises(ValueError, match="32-byte digest") as caught:
        wallet._secp256k1_sign(b"\x01" * 31, 1)
    assert type(caught.value).__name__ == "FakeModuleError"


def test_recovery_refuses_what_is_no_signature(wallet: ModuleType) -> None:
    digest = wallet._keccak256(b"x")
    r, s, recovery_id = wallet._secp256k1_sign(digest, 12345, "coincurve")
    assert wallet._secp256k1_recover(digest, r, s, recovery_id) is not None
    for bad in ((0, s, 0), (r, 0, 0), (N, s, 0), (r, N, 0), (r, s, 4), (r, s, -1)):
        assert wallet._secp256k1_recover(digest, *bad) is None, bad
    # An r that is no curve point's x: x^3 + 7 is not a square mod p.
    p = wallet._SECP256K1_P
    no_point = next(x for x in range(1, 100) if pow(x**3 + 7, (p - 1) // 2, p) != 1)
    assert wallet._secp256k1_recover(digest, no_point, s, 0) is None
    assert wallet._eth_recover_address(digest, no_point, s, 27) is None
    # recovery ids 2 and 3 stand for x = r + n, which needs r < p - n (about 2^128).
    assert r + N >= p and wallet._secp256k1_recover(digest, r, s, 2) is None
