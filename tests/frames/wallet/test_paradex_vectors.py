"""Paradex's key chain in the wallet and STARK helpers, against the values
Paradex's own SDK publishes (it cannot run here: see
tests/reference/SECOND_REFERENCE.md) and a Paradex client's published domain
hash. ccxt 4.5.90 is the other reference (test_stark.py, the generated test
of the paradex module, tests/frames/test_differential.py)."""

from __future__ import annotations

import importlib

WALLET = importlib.import_module("templates.helpers.wallet")
STARK = importlib.import_module("templates.helpers.stark")

# tradeparadex/paradex-py 0.6.2 (commit 334a7f8), tests/api/test_account.py,
# test_account_l1_private_key: with tests/mocks/api_client.py's MOCK_CONFIG
# (testnet: l1_chain_id 11155111, the account and proxy class hashes below),
# this Ethereum key gives this STARK key pair and account address.
SDK_L1_PRIVATE_KEY = "0xf8e4d1d772cdd44e5e77615ad11cc071c94e4c06dc21150d903f28e6aa6abdff"
SDK_L2_PRIVATE_KEY = 0x543B6CF6C91817A87174AAEA4FB370AC1C694E864D7740D728F8344D53E815
SDK_L2_PUBLIC_KEY = 0x2C144D2F2D4FC61B6F8967F3BA0012A87D90140BCFE5A3E92E8DF83258C960F
SDK_L2_ADDRESS = 0x129C135ED63DF9353885E292BE4426B8ED6122B13C6C0E1BB787288A1F5ADFA
TESTNET_L1_CHAIN_ID = 11155111
ACCOUNT_CLASS_HASH = 0x41CB0280EBADAA75F996D8D92C6F265F6D040BB3BA442E5F86A554F1765244E
PROXY_CLASS_HASH = 0x3530CC4759D78042F1B543BF797F5F3D647CDE0388C33734CF91B7F7B9314A9

# paradex_py/message/stark_key.py build_stark_key_message: what the Ethereum key signs.
STARK_KEY_TYPES = {"Constant": [{"name": "action", "type": "string"}]}
STARK_KEY_MESSAGE = {"action": "STARK Key"}

# snow-avocado/paradex-rs, src/message.rs, test_domain_hash: the StarkNetDomain
# struct hash of {name: "Paradex", chainId: "PRIVATE_SN_PARACLEAR_MAINNET", version: 1}.
MAINNET_DOMAIN_HASH = 0x6F74F207280B65CF663FB8D7763FAC1E7398CD6D7DA5D7681DC300EE4278A0A
DOMAIN_TYPES = {
    "StarkNetDomain": [
        {"name": "name", "type": "felt"},
        {"name": "chainId", "type": "felt"},
        {"name": "version", "type": "felt"},
    ]
}


def test_the_sdk_published_key_chain() -> None:
    digest = WALLET._eip712_digest(
        {"name": "Paradex", "chainId": TESTNET_L1_CHAIN_ID, "version": "1"}, STARK_KEY_TYPES, "Constant", STARK_KEY_MESSAGE
    )
    r, _s, _v = WALLET._eth_sign(digest, WALLET._eth_private_key(SDK_L1_PRIVATE_KEY))
    private_key = STARK._stark_grind_key(r)
    assert private_key == SDK_L2_PRIVATE_KEY
    assert STARK._stark_public_key(private_key) == SDK_L2_PUBLIC_KEY
    assert STARK._stark_account_address(SDK_L2_PUBLIC_KEY, ACCOUNT_CLASS_HASH, PROXY_CLASS_HASH) == SDK_L2_ADDRESS
    # Another chain id signs another message: another key (the mainnet one).
    mainnet = WALLET._eip712_digest({"name": "Paradex", "chainId": 1, "version": "1"}, STARK_KEY_TYPES, "Constant", STARK_KEY_MESSAGE)
    assert STARK._stark_grind_key(WALLET._eth_sign(mainnet, WALLET._eth_private_key(SDK_L1_PRIVATE_KEY))[0]) != SDK_L2_PRIVATE_KEY


def test_the_published_mainnet_domain_hash() -> None:
    domain = {"name": "Paradex", "chainId": "PRIVATE_SN_PARACLEAR_MAINNET", "version": 1}
    assert STARK._snip12_struct_hash("StarkNetDomain", DOMAIN_TYPES, domain) == MAINNET_DOMAIN_HASH
    # paradex-py writes the same domain as {chainId: hex of the short string, version: "1"}.
    sdk_domain = {"name": "Paradex", "chainId": hex(int.from_bytes(b"PRIVATE_SN_PARACLEAR_MAINNET", "big")), "version": "1"}
    assert STARK._snip12_struct_hash("StarkNetDomain", DOMAIN_TYPES, sdk_domain) == MAINNET_DOMAIN_HASH
