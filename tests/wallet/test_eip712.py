"""EIP-712 against the standard's own example and the eth-sig-util v4 array
vector, and byte for byte against ccxt 4.5.90's encoder on every atomic type."""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import pytest

COW_KEY = "keccak256('cow')"
DOMAIN = {
    "name": "Ether Mail",
    "version": "1",
    "chainId": 1,
    "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
}
DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

# EIP-712, "Example" (assets/eip-712/Example.js and Example.sol): the Mail
# message, its encodeType, typeHash, hashStruct, domain separator, digest, and
# the signature with the private key keccak256("cow").
MAIL_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": DOMAIN_TYPE,
    "Person": [
        {"name": "name", "type": "string"},
        {"name": "wallet", "type": "address"},
    ],
    "Mail": [
        {"name": "from", "type": "Person"},
        {"name": "to", "type": "Person"},
        {"name": "contents", "type": "string"},
    ],
}
MAIL: dict[str, Any] = {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!",
}
MAIL_ENCODE_TYPE = (
    "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
)
MAIL_TYPE_HASH = "a0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2"
MAIL_HASH_STRUCT = "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"
MAIL_DOMAIN_SEPARATOR = (
    "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f"
)
MAIL_DIGEST = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
MAIL_SIGNATURE = (
    28,
    0x4355C47D63924E8A72E509B65029052EB6C299D53A04E167C5775FD466751C9D,
    0x07299936D304C153F6443DFA05F40FF007D72911B6F72307F996231605B91562,
)
COW_ADDRESS = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"

# MetaMask eth-sig-util, signTypedData V4 test ("arrays of structs and of
# addresses"); the same values are in 0xsequence/ethkit and Trust Wallet's
# wallet-core tests: typeHashes, hashStructs, digest, and the signature with
# keccak256("cow").
V4_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": DOMAIN_TYPE,
    "Person": [
        {"name": "name", "type": "string"},
        {"name": "wallets", "type": "address[]"},
    ],
    "Mail": [
        {"name": "from", "type": "Person"},
        {"name": "to", "type": "Person[]"},
        {"name": "contents", "type": "string"},
    ],
    "Group": [
        {"name": "name", "type": "string"},
        {"name": "members", "type": "Person[]"},
    ],
}
V4_MAIL: dict[str, Any] = {
    "from": {
        "name": "Cow",
        "wallets": [
            "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
            "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF",
        ],
    },
    "to": [
        {
            "name": "Bob",
            "wallets": [
                "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
                "0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57",
                "0xB0B0b0b0b0b0B000000000000000000000000000",
            ],
        }
    ],
    "contents": "Hello, Bob!",
}
V4_ENCODE_TYPE = (
    "Mail(Person from,Person[] to,string contents)Person(string name,address[] wallets)"
)
V4_MAIL_TYPE_HASH = "4bd8a9a2b93427bb184aca81e24beb30ffa3c747e2a33d4225ec08bf12e2e753"
V4_PERSON_TYPE_HASH = "fabfe1ed996349fc6027709802be19d047da1aa5d6894ff5f6486d92db2e6860"
V4_FROM_HASH = "9b4846dd48b866f0ac54d61b9b21a9e746f921cefa4ee94c4c0a1c49c774f67f"
V4_TO0_HASH = "efa62530c7ae3a290f8a13a5fc20450bdb3a6af19d9d9d2542b5a94e631a9168"
V4_HASH_STRUCT = "eb4221181ff3f1a83ea7313993ca9218496e424604ba9492bb4052c03d5c3df8"
V4_DIGEST = "a85c2e2b118698e88db68a8105b794a8cc7cec074e89ef991cb4f5f533819cc2"
V4_SIGNATURE = (
    "0x65cbd956f2fae28a601bebc9b906cea0191744bd4c4247bcd27cd08f8eb6b71c"
    "78efdf7a31dc9abee78f492292721f362d296cf86b4538e07b51303b67f749061b"
)


def cow(wallet: ModuleType) -> int:
    return int.from_bytes(wallet._keccak256(b"cow"), "big")


def test_mail_example(wallet: ModuleType) -> None:
    assert wallet._eip712_encode_type("Mail", MAIL_TYPES) == MAIL_ENCODE_TYPE
    assert wallet._eip712_type_hash("Mail", MAIL_TYPES).hex() == MAIL_TYPE_HASH
    assert (
        wallet._eip712_hash_struct("Mail", MAIL_TYPES, MAIL).hex() == MAIL_HASH_STRUCT
    )
    assert (
        wallet._eip712_domain_separator(DOMAIN, MAIL_TYPES).hex()
        == MAIL_DOMAIN_SEPARATOR
    )
    digest = wallet._eip712_digest(DOMAIN, MAIL_TYPES, "Mail", MAIL)
    assert digest.hex() == MAIL_DIGEST
    key = cow(wallet)
    assert wallet._eth_address(key) == COW_ADDRESS
    r, s, v = wallet._eth_sign(digest, key)
    assert (v, r, s) == MAIL_SIGNATURE
    assert wallet._eth_recover_address(digest, r, s, v) == COW_ADDRESS


def test_mail_domain_type_derived_when_types_lack_it(wallet: ModuleType) -> None:
    # As ethers, eth-account and ccxt do: EIP712Domain from the fields present.
    types = {k: v for k, v in MAIL_TYPES.items() if k != "EIP712Domain"}
    assert wallet._eip712_domain_separator(DOMAIN).hex() == MAIL_DOMAIN_SEPARATOR
    assert wallet._eip712_digest(DOMAIN, types, "Mail", MAIL).hex() == MAIL_DIGEST


def test_eth_sig_util_v4_arrays(wallet: ModuleType) -> None:
    assert wallet._eip712_encode_type("Mail", V4_TYPES) == V4_ENCODE_TYPE
    assert wallet._eip712_type_hash("Mail", V4_TYPES).hex() == V4_MAIL_TYPE_HASH
    assert wallet._eip712_type_hash("Person", V4_TYPES).hex() == V4_PERSON_TYPE_HASH
    assert (
        wallet._eip712_hash_struct("Person", V4_TYPES, V4_MAIL["from"]).hex()
        == V4_FROM_HASH
    )
    assert (
        wallet._eip712_hash_struct("Person", V4_TYPES, V4_MAIL["to"][0]).hex()
        == V4_TO0_HASH
    )
    assert wallet._eip712_hash_struct("Mail", V4_TYPES, V4_MAIL).hex() == V4_HASH_STRUCT
    digest = wallet._eip712_digest(DOMAIN, V4_TYPES, "Mail", V4_MAIL)
    assert digest.hex() == V4_DIGEST
    r, s, v = wallet._eth_sign(digest, cow(wallet))
    assert wallet._signature_hex(r, s, v, "lower") == V4_SIGNATURE


def test_encode_type_orders_dependencies(wallet: ModuleType) -> None:
    # EIP-712 encodeType: the primary type, then the referenced struct types
    # (directly or not, through arrays too) sorted by name, each once.
    types = {
        "Zed": [{"name": "b", "type": "Beta"}, {"name": "a", "type": "Alpha[2][]"}],
        "Beta": [
            {"name": "a", "type": "Alpha"},
            {"name": "z", "type": "Zed"},
            {"name": "e", "type": "Epsilon"},
        ],
        "Alpha": [{"name": "x", "type": "uint8"}, {"name": "g", "type": "Gamma[]"}],
        "Gamma": [{"name": "d", "type": "Delta"}],
        "Delta": [{"name": "x", "type": "bool"}],
        "Epsilon": [{"name": "x", "type": "string"}],
        "Unused": [{"name": "x", "type": "bool"}],
    }
    assert wallet._eip712_encode_type("Zed", types) == (
        "Zed(Beta b,Alpha[2][] a)Alpha(uint8 x,Gamma[] g)Beta(Alpha a,Zed z,Epsilon e)"
        "Delta(bool x)Epsilon(string x)Gamma(Delta d)"
    )


# Every atomic type, nested structs, dynamic, fixed and nested arrays, and
# the value spellings a catalogue uses (ints as decimal or hex strings).
RICH_TYPES: dict[str, list[dict[str, str]]] = {
    "Order": [
        {"name": "sender", "type": "bytes32"},
        {"name": "expiration", "type": "uint64"},
        {"name": "delta", "type": "int16"},
        {"name": "big", "type": "int256"},
        {"name": "amount", "type": "uint256"},
        {"name": "flag", "type": "bool"},
        {"name": "code", "type": "bytes4"},
        {"name": "short", "type": "bytes8"},
        {"name": "blob", "type": "bytes"},
        {"name": "note", "type": "string"},
        {"name": "owner", "type": "address"},
        {"name": "items", "type": "Item[]"},
        {"name": "grid", "type": "uint8[2][]"},
        {"name": "pair", "type": "address[2]"},
        {"name": "empty", "type": "uint256[]"},
    ],
    "Item": [{"name": "id", "type": "uint256"}, {"name": "tags", "type": "string[]"}],
}
RICH: dict[str, Any] = {
    "sender": "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23" + "64656661756c740000000000",
    "expiration": "1767225600000",
    "delta": -5,
    "big": -(2**255),
    "amount": "0xde0b6b3a7640000",
    "flag": True,
    "code": "0xdeadbeef",
    "short": "0x1122",
    "blob": "0xc0ffee",
    "note": "naïve ☃",
    "owner": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
    "items": [{"id": 7, "tags": ["a", "é"]}, {"id": 2**256 - 1, "tags": []}],
    "grid": [[1, 2], [3, 255]],
    "pair": [
        "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",
        "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB",
    ],
    "empty": [],
}


@pytest.mark.parametrize(
    "domain",
    [
        DOMAIN,
        {
            "name": "Nado",
            "version": "0.0.1",
            "chainId": 57073,
            "verifyingContract": COW_ADDRESS,
        },
        {"name": "x", "chainId": "5"},
        {"name": "GRVT Exchange", "version": "0", "chainId": 325},
        {"salt": "0x" + "ab" * 32, "name": "salted"},
    ],
)
def test_equals_ccxt_encoder(wallet: ModuleType, domain: dict[str, Any]) -> None:
    # ccxt 4.5.90's Exchange.eth_encode_structured_data (its static_dependencies
    # ethabi): the bytes it hashes and signs for derive, nado, aster, grvt,
    # paradex and polymarket.
    from ccxt.base.exchange import Exchange

    for types, primary, message in (
        (RICH_TYPES, "Order", RICH),
        (V4_TYPES, "Mail", V4_MAIL),
    ):
        only = {
            primary: types[primary],
            **{k: v for k, v in types.items() if k != primary and k != "EIP712Domain"},
        }
        if primary == "Mail":
            only.pop("Group")  # ccxt finds the primary type by itself: one root only
        encoded = Exchange.eth_encode_structured_data(
            domain, copy.deepcopy(only), copy.deepcopy(message)
        )
        ours = (
            b"\x19\x01"
            + wallet._eip712_domain_separator(domain)
            + wallet._eip712_hash_struct(primary, only, message)
        )
        assert ours == bytes(encoded)
        assert wallet._eip712_digest(
            domain, only, primary, message
        ) == wallet._keccak256(bytes(encoded))


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("expiration", 2**64, "out of range for uint64"),
        ("expiration", -1, "out of range for uint64"),
        ("delta", 2**15, "out of range for int16"),
        ("expiration", True, "expected an int"),
        ("expiration", "12abc", "expected an int"),
        ("flag", 1, "expected True or False"),
        ("code", "0xdeadbeef00", "5 bytes do not fit bytes4"),
        ("code", "deadbeef", "0x-prefixed hex"),
        ("blob", "0xabc", "0x-prefixed hex"),
        ("owner", "0x1234", "expected an address"),
        ("note", b"bytes", "expected a str"),
        ("items", {"id": 1}, "expected a list"),
        ("pair", ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"], "expected 2 items"),
        ("items", [{"id": 1}], "Order.items[0].tags: missing"),
    ],
)
def test_refuses_bad_values_through_fail(
    wallet: ModuleType, field: str, value: object, expected: str
) -> None:
    message = {**RICH, field: value}
    with pytest.raises(ValueError, match="testexchange: EIP-712 ") as caught:
        wallet._eip712_hash_struct("Order", RICH_TYPES, message)
    assert expected in str(caught.value)
    assert type(caught.value).__name__ == "FakeModuleError"


def test_refuses_unknown_types_and_domain_fields(wallet: ModuleType) -> None:
    with pytest.raises(ValueError, match="unknown type 'uint7'"):
        wallet._eip712_hash_struct(
            "A", {"A": [{"name": "x", "type": "uint7"}]}, {"x": 1}
        )
    with pytest.raises(ValueError, match="unknown type 'Missing'"):
        wallet._eip712_hash_struct(
            "A", {"A": [{"name": "x", "type": "Missing"}]}, {"x": {}}
        )
    with pytest.raises(ValueError, match="no definition of type 'Nope'"):
        wallet._eip712_digest(DOMAIN, MAIL_TYPES, "Nope", MAIL)
    with pytest.raises(ValueError, match="unknown domain field 'chain'"):
        wallet._eip712_domain_separator({"name": "x", "chain": 1})
    with pytest.raises(ValueError, match="Mail.contents: missing"):
        wallet._eip712_digest(
            DOMAIN,
            MAIL_TYPES,
            "Mail",
            {k: v for k, v in MAIL.items() if k != "contents"},
        )
