"""Wallet-signed entries end to end through ``wsauth.session.Session``
against fakes on 127.0.0.1 that recover the signer's address from the
signature with their own code (tests/fakes/_wallet.py: coincurve's
``PublicKey.from_signature_and_message`` and ccxt's Keccak, never wsauth's
helper) and refuse a key that is not the wallet's."""

from __future__ import annotations

import json

import pytest
from wsauth import derive, nado
from wsauth.session import AuthenticationFailed, Session, Subscription, config_with

from tests.fakes import start_fake
from tests.paths import FIXTURES
from tests.session_checks import Leaks, leaks, loopback_only, run  # noqa: F401 (autouse fixtures)

KEYS = json.loads((FIXTURES / "keys" / "keys.json").read_text(encoding="utf-8"))["keys"]
KEY_A, ADDRESS_A = KEYS["A"]["secp256k1_hex"], KEYS["A"]["secp256k1_address"]
KEY_B, ADDRESS_B = KEYS["B"]["secp256k1_hex"], KEYS["B"]["secp256k1_address"]
LEAK_SECRETS = (KEY_A, KEY_B)
DERIVE_ORDERS = Subscription({"method": "subscribe", "params": {"channels": ["130837.orders"]}})


@pytest.mark.parametrize("key", ["0x" + KEY_A, KEY_A], ids=["0x", "bare"])
@run
async def test_derive_logs_in_with_the_wallets_own_key(key: str, leaks: Leaks) -> None:
    async with start_fake("derive", api_key=ADDRESS_A) as server:
        leaks.fakes.append(server)
        credentials = derive.Credentials(wallet_address=ADDRESS_A, private_key=key)
        async with Session(derive, credentials, config=config_with(derive, ws_url=server.ws_url), subscriptions=[DERIVE_ORDERS]) as s:
            assert s.authenticated and server.auth_ok == 1
            leaks.see(s)
        assert server.recovered == [ADDRESS_A.lower()]


@run
async def test_derive_logs_in_with_a_session_key_of_the_wallet(leaks: Leaks) -> None:
    # Derive: "The signer may be the wallet itself or a delegated session key".
    async with start_fake("derive", api_key=ADDRESS_A, signers=[ADDRESS_B]) as server:
        leaks.fakes.append(server)
        credentials = derive.Credentials(wallet_address=ADDRESS_A, private_key=KEY_B)
        async with Session(derive, credentials, config=config_with(derive, ws_url=server.ws_url)) as s:
            assert s.authenticated and server.auth_ok == 1
        assert server.recovered == [ADDRESS_B.lower()]


@run
async def test_derive_refuses_a_key_that_is_not_the_wallets(leaks: Leaks) -> None:
    async with start_fake("derive", api_key=ADDRESS_A) as server:
        leaks.fakes.append(server)
        credentials = derive.Credentials(wallet_address=ADDRESS_A, private_key=KEY_B)
        with pytest.raises(AuthenticationFailed) as refused:
            await Session(derive, credentials, config=config_with(derive, ws_url=server.ws_url)).connect()
        leaks.see(refused.value)
        assert refused.value.code == "14014" and server.auth_ok == 0
        assert server.recovered == [ADDRESS_B.lower()]


NADO_ORDERS = Subscription({"method": "subscribe", "stream": {"type": "order_update", "product_id": None}})


@pytest.mark.parametrize("wallet", [None, ADDRESS_A, ADDRESS_A.lower()], ids=["no-wallet", "eip55", "lower"])
@run
async def test_nado_authenticates_with_the_wallets_key(wallet: str | None, leaks: Leaks) -> None:
    async with start_fake("nado", api_key=ADDRESS_A) as server:
        leaks.fakes.append(server)
        credentials = nado.Credentials(private_key=KEY_A, wallet_address=wallet)
        async with Session(nado, credentials, config=config_with(nado, ws_url=server.ws_url), subscriptions=[NADO_ORDERS]) as s:
            assert s.authenticated and server.auth_ok == 1
            leaks.see(s)
        assert server.recovered == [ADDRESS_A.lower()]


@run
async def test_nado_refuses_another_wallets_key(leaks: Leaks) -> None:
    # Key B signs for its own sender: a wallet the fake does not hold.
    async with start_fake("nado", api_key=ADDRESS_A) as server:
        leaks.fakes.append(server)
        with pytest.raises(AuthenticationFailed) as refused:
            await Session(nado, nado.Credentials(private_key=KEY_B), config=config_with(nado, ws_url=server.ws_url)).connect()
        leaks.see(refused.value)
        assert refused.value.code == "2001" and server.auth_ok == 0
        assert server.recovered == [ADDRESS_B.lower()]


@run
async def test_nado_refuses_a_key_that_is_not_the_configured_wallets_before_signing(leaks: Leaks) -> None:
    # Nado takes no delegated key: a wallet_address given must be the key's own.
    async with start_fake("nado", api_key=ADDRESS_A) as server:
        leaks.fakes.append(server)
        credentials = nado.Credentials(private_key=KEY_B, wallet_address=ADDRESS_A)
        with pytest.raises(nado.WsAuthInputError) as refused:
            await Session(nado, credentials, config=config_with(nado, ws_url=server.ws_url)).connect()
        leaks.see(refused.value)
        message = str(refused.value)
        assert message.startswith("nado: ") and ADDRESS_A in message and ADDRESS_B in message and KEY_B not in message
        assert server.recovered == [] and server.auth_ok == 0
