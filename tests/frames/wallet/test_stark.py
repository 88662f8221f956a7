"""STARK-curve helpers (templates/helpers/stark.py) against StarkWare's
published vectors and ccxt 4.5.90's bundled StarkWare code."""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.frames.wallet.conftest import WALLET, fake_fail
from tests.paths import TEMPLATES

HELPER = TEMPLATES / "helpers" / "stark.py"
STARK = importlib.import_module("templates.helpers.stark")
N = STARK._STARK_N

# starkware-libs/starkex-resources, crypto/starkware/crypto/signature/
# signature_test_data.json: "hash_test".
PEDERSEN_VECTORS = [
    (
        0x3D937C035C878245CAF64531A5756109C53068DA139362728FEB561405371CB,
        0x208A0A10250E382E1E4BBE2880906C2791BF6275695E02FBBC6AEFF9CD8B31A,
        0x30E480BED5FE53FA909CC0F8C4D99B8F9F2C016BE4C41E13A4848797979C662,
    ),
    (
        0x58F580910A6CA59B28927C08FE6C43E2E303CA384BADC365795FC645D479D45,
        0x78734F65A067BE9BDB39DE18434D71E79F7B6466A4B66BBD979AB9E7515FE0B,
        0x68CC0B76CDDD1DD4ED2301ADA9B7C872B23875D5FF837B3A87993E0D9996B87,
    ),
    # StarkWare crypto-cpp pedersen_hash_test.cc "Zero": the shift point's x.
    (0, 0, 0x49EE3EBA8C1600700EE1B87EB599F16716B0B1022947733551FDE4050CA6804),
]
# The same file: "party_a_order" / "party_b_order" -- private key
# (meta_data), message hash (meta_data), public key, signature r and s
# (StarkWare's sign(), no seed). (Its transfer_order entries list a message
# hash their signature does not verify against, so they are not used.)
SIGNATURE_VECTORS = [
    (
        0x3C1E9550E66958296D11B60F8E8E7A7AD990D07FA65D5F7652C4A6C87D4E3CC,
        0x397E76D1667C4454BFB83514E120583AF836F8E32A516765497823EABE16A3F,
        0x77A3B314DB07C45076D11F62B6F9E748A39790441823307743CF00D6597EA43,
        0x173FD03D8B008EE7432977AC27D1E9D1A1F6C98B1A2F05FA84A21C84C44E882,
        0x4B6D75385AED025AA222F28A0ADC6D58DB78FF17E51C3F59E259B131CD5A1CC,
    ),
    (
        0x4C1E9550E66958296D11B60F8E8E7A7AD990D07FA65D5F7652C4A6C87D4E3CC,
        0x6ADB14408452EDE28B89F40CA1847ECA4DE6A2DD6EB2C7D6DC5584F9399586,
        0x3D8A9687C613B2BE32B55C5C0460E012B592E2FBBB4FC281FB87B0D8C441B3E,
        0x2EE2B8927122F93DD5FC07A11980F0FAB4C8358E5D1306BFEE5E095355D2AD0,
        0x64D393473AF2EBAB736C579AD511BF439263E4740F9AD299498BDA2E75B0E9,
    ),
]
# paulmillr/scure-starknet tests, "Key grinding" (StarkWare's grind_key).
GRIND_SEED = 0x86F3E7293141F20A8BAFF320E8EE4ACCB9D4A4BF2B4D295E8CEE784DB46E0519
GRIND_KEY = 0x5C8C8683596C732541A59E03007B2D30DBBBB873556FE65B5FB63C16688F941


@pytest.fixture
def stark(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setattr(STARK, "_fail", fake_fail)
    yield STARK


@pytest.mark.parametrize(("x", "y", "expected"), PEDERSEN_VECTORS)
def test_pedersen_published(stark: ModuleType, x: int, y: int, expected: int) -> None:
    assert stark._pedersen(x, y) == expected


@pytest.mark.parametrize(("key", "msg_hash", "public_key", "r", "s"), SIGNATURE_VECTORS)
def test_signature_published(
    stark: ModuleType, key: int, msg_hash: int, public_key: int, r: int, s: int
) -> None:
    assert stark._stark_public_key(key) == public_key
    assert stark._stark_sign(msg_hash, key, None) == (r, s)
    assert stark._stark_verify(msg_hash, r, s, public_key)
    assert not stark._stark_verify(msg_hash + 1, r, s, public_key)
    assert not stark._stark_verify(msg_hash, r, s + 1, public_key)
    assert not stark._stark_verify(msg_hash, r, s, stark._stark_public_key(key + 1))


def test_grind_key_published(stark: ModuleType) -> None:
    assert stark._stark_grind_key(GRIND_SEED) == GRIND_KEY


def test_public_key_of_one_is_the_generator(stark: ModuleType) -> None:
    assert stark._stark_public_key(1) == stark._STARK_G[0]
    assert stark._stark_y(stark._STARK_G[0]) in (
        stark._STARK_G[1],
        stark._STARK_P - stark._STARK_G[1],
    )


def test_equals_ccxt(stark: ModuleType) -> None:
    # ccxt 4.5.90: pedersen_hash, compute_hash_on_elements, grind_key,
    # private_to_stark_key, and message_signature (seed 32), which paradex's
    # starknet_sign calls. With ccxt_draw=True every signature is ccxt's; with
    # the standard draw about half differ -- and every one of both verifies.
    from ccxt.static_dependencies.starknet.hash.utils import (
        compute_hash_on_elements,
        message_signature,
        private_to_stark_key,
    )
    from ccxt.static_dependencies.starkware.crypto.signature import (
        grind_key,
        pedersen_hash,
    )

    rng = random.Random(251)
    differ = 0
    for _ in range(16):
        key, msg_hash = rng.randrange(1, N), rng.randrange(0, 1 << 251)
        a, b = rng.randrange(0, stark._STARK_P), rng.randrange(0, stark._STARK_P)
        assert stark._pedersen(a, b) == pedersen_hash(a, b)
        assert stark._pedersen_on_elements([a, b, 7]) == compute_hash_on_elements(
            [a, b, 7]
        )
        assert stark._stark_grind_key(a) == grind_key(a, N)
        public_key = stark._stark_public_key(key)
        assert public_key == private_to_stark_key(key)
        ccxt_signature = tuple(message_signature(msg_hash, key))
        assert stark._stark_sign(msg_hash, key, 32, ccxt_draw=True) == ccxt_signature
        standard = stark._stark_sign(msg_hash, key, 32)
        differ += standard != ccxt_signature
        assert stark._stark_verify(msg_hash, *standard, public_key)
        assert stark._stark_verify(msg_hash, *ccxt_signature, public_key)
    assert 0 < differ < 16


def test_keys_refused_through_fail(stark: ModuleType) -> None:
    assert (
        stark._stark_private_key(
            "0x3c1e9550e66958296d11b60f8e8e7a7ad990d07fa65d5f7652c4a6c87d4e3cc"
        )
        == SIGNATURE_VECTORS[0][0]
    )
    eth_key = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    for text, contains in (
        ("", "missing or empty"),
        ("0xzz", "must be a STARK private key"),
        ("f" * 64, "looks like an Ethereum (secp256k1) key"),
        ("0", "below the STARK curve order"),
        ("1" * 65, "must be a STARK private key"),
    ):
        with pytest.raises(ValueError) as caught:
            stark._stark_private_key(text)
        assert type(caught.value).__name__ == "FakeModuleError"
        assert contains in str(caught.value)
        assert len(text) < 8 or text[:12] not in str(caught.value)
    # An Ethereum key is above the STARK order 15 times in 16: refused, with a hint.
    with pytest.raises(ValueError, match="looks like an Ethereum \\(secp256k1\\) key"):
        stark._stark_private_key(eth_key)
    with pytest.raises(ValueError, match="below 2\\^251"):
        stark._stark_sign(1 << 251, 5)
    with pytest.raises(ValueError, match="not a STARK field element"):
        stark._pedersen(stark._STARK_P, 0)


# What ccxt 4.5.90's paradex reads from GET /system/config: the values only
# need to be felts for a differential test.
SYSTEM_CONFIG = {
    "l1_chain_id": "1",
    "starknet_chain_id": "PRIVATE_SN_PARACLEAR_MAINNET",
    "paraclear_account_hash": "0x41cb0280ebadaa75f996d8d92c6f265f6d040bb3ba442e5f86a554f1765244e",
    "paraclear_account_proxy_hash": "0x3530cc4759d78042f1b543bf797f5f3d647cde0388c33734cf91b7f7b9314a9",
}
REQUEST_TYPES = {
    "Request": [
        {"name": "method", "type": "felt"},
        {"name": "path", "type": "felt"},
        {"name": "body", "type": "felt"},
        {"name": "timestamp", "type": "felt"},
        {"name": "expiration", "type": "felt"},
    ]
}


@pytest.mark.parametrize(
    "eth_key",
    [
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        "0xb25c7db31feed9122727bf0939dc769a96564b2de4c4726d035b36ecf1e5b364",
    ],
)
@pytest.mark.parametrize("now", [1767225600, 1767229999])
def test_paradex_auth_chain_equals_ccxt(
    stark: ModuleType, eth_key: str, now: int
) -> None:
    # ccxt 4.5.90 paradex: the Ethereum key signs the EIP-712 "STARK Key"
    # message; the STARK key is ground from its r; the account address is
    # the proxy's; the /v1/auth Request is SNIP-12 typed data signed with the
    # STARK key (message_signature, seed 32, ccxt's draw).
    import ccxt

    wallet = WALLET
    exchange = ccxt.paradex({"privateKey": eth_key, "walletAddress": "0x" + "11" * 20})
    exchange.options["systemConfig"] = SYSTEM_CONFIG
    account = exchange.retrieve_account()

    digest = wallet._eip712_digest(
        {"name": "Paradex", "chainId": SYSTEM_CONFIG["l1_chain_id"], "version": "1"},
        {"Constant": [{"name": "action", "type": "string"}]},
        "Constant",
        {"action": "STARK Key"},
    )
    r, s, v = wallet._eth_sign(digest, wallet._eth_private_key(eth_key))
    private_key = stark._stark_key_from_eth_signature(
        wallet._signature_hex(r, s, v, "upper")
    )
    public_key = stark._stark_public_key(private_key)
    address = stark._stark_account_address(
        public_key,
        int(SYSTEM_CONFIG["paraclear_account_hash"], 16),
        int(SYSTEM_CONFIG["paraclear_account_proxy_hash"], 16),
    )
    assert (private_key, hex(public_key), hex(address)) == (
        account["privateKey"],
        account["publicKey"],
        account["address"],
    )

    domain = {
        "name": "Paradex",
        "chainId": SYSTEM_CONFIG["starknet_chain_id"],
        "version": 1,
    }
    request = {
        "method": "POST",
        "path": "/v1/auth",
        "body": "",
        "timestamp": now,
        "expiration": now + 180,
    }
    theirs = exchange.starknet_encode_structured_data(
        domain, REQUEST_TYPES, request, account["address"]
    )
    ours = stark._snip12_message_hash(
        domain, REQUEST_TYPES, "Request", request, address
    )
    assert ours == theirs
    signature = stark._stark_sign(ours, private_key, 32, ccxt_draw=True)
    assert exchange.starknet_sign(theirs, account["privateKey"]) == exchange.json(
        [hex(signature[0]), hex(signature[1])]
    )
    assert stark._stark_verify(ours, *signature, public_key)
    assert stark._stark_verify(ours, *stark._stark_sign(ours, private_key), public_key)


def test_short_strings_and_felts(stark: ModuleType) -> None:
    from ccxt.static_dependencies.starknet.cairo.felt import encode_shortstring
    from ccxt.static_dependencies.starknet.hash.selector import get_selector_from_name

    for text in (
        "",
        "POST",
        "/v1/auth",
        "StarkNet Message",
        "STARKNET_CONTRACT_ADDRESS",
        "x" * 31,
    ):
        assert stark._short_string(text) == encode_shortstring(text)
    # starknet.py / StarkNet docs: selector("transfer") and selector("initialize").
    assert (
        stark._starknet_keccak(b"transfer")
        == 0x83AFD3F4CAEDC6EEBF44246FE54E38C95E3179A5EC9EA81740ECA5B482D12E
    )
    assert stark._starknet_keccak(b"initialize") == get_selector_from_name("initialize")
    assert [stark._snip12_felt(v, "f") for v in (5, "0x1f", "12", "POST", "")] == [
        5,
        31,
        12,
        0x504F5354,
        0,
    ]
    with pytest.raises(ValueError, match="at most 31 ASCII characters"):
        stark._short_string("x" * 32)
    with pytest.raises(ValueError, match="SNIP-12 Request.method: missing"):
        stark._snip12_message_hash(
            {"name": "a", "chainId": 1, "version": 1}, REQUEST_TYPES, "Request", {}, 1
        )
