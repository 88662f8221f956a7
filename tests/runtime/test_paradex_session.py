"""Paradex end to end, against a loopback fake that checks what Paradex
checks (tests/fakes/paradex.py): the /v1/auth request's STARK signature over
its SNIP-12 typed data, verified with the account's STARK public key (the
message hash by ccxt 4.5.90's bundled starknet.py, the verification StarkWare's
own, neither wsauth's); then the JWT it issued, in the socket's ``auth`` frame.

The fake is first checked with requests ccxt 4.5.90 signs itself, so that an
accepting fake is known to verify, and a refusing one to refuse; then the
session runs wsauth.paradex through it, and another key (an Ethereum key whose
STARK key is not the account's) is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from wsauth import paradex
from wsauth.session import (
    AuthenticationFailed,
    Backoff,
    PreAuthRefused,
    Session,
    Subscription,
    config_with,
)

from tests.fakes import start_fake
from tests.reference.ccxt_scenarios import (
    PARADEX_CREDENTIALS,
    PARADEX_SYSTEM_CONFIG,
    PARADEX_TESTNET_ACCOUNTS,
    PARADEX_TESTNET_SYSTEM_CONFIG,
)
from tests.session_checks import Leaks, leaks, loopback_only, run  # noqa: F401 (autouse fixtures)

ORDERS = Subscription({"jsonrpc": "2.0", "method": "subscribe", "params": {"channel": "orders.ALL"}, "id": 2})
FAST = Backoff(first_s=0.01, max_s=0.05, attempts=2)
# The Ethereum keys, as given and without 0x: never in a log record, exception or repr.
LEAK_SECRETS = tuple(text for creds in PARADEX_CREDENTIALS.values() for text in (creds["private_key"], creds["private_key"][2:]))


class Forgetful(set[str]):
    """A fake's token store that forgets every JWT it issues."""

    def add(self, item: str) -> None:
        pass


# What each network's /v1/system/config states, and the account ccxt derives there for each set.
NETWORKS = {
    "production": (PARADEX_SYSTEM_CONFIG, {name: creds["uid"] for name, creds in PARADEX_CREDENTIALS.items()}),
    "testnet": (PARADEX_TESTNET_SYSTEM_CONFIG, PARADEX_TESTNET_ACCOUNTS),
}


def ccxt_account(set_name: str, network: str = "production") -> dict[str, Any]:
    """ccxt 4.5.90's own derivation: the STARK key pair and account address of
    set A's or B's Ethereum key, on production or on the testnet."""
    import ccxt

    system_config, accounts = NETWORKS[network]
    exchange = ccxt.paradex({"privateKey": PARADEX_CREDENTIALS[set_name]["private_key"], "walletAddress": PARADEX_CREDENTIALS[set_name]["wallet_address"]})
    exchange.options["systemConfig"] = dict(system_config)
    account = exchange.retrieve_account()
    assert int(account["address"], 16) == int(accounts[set_name], 16)
    return {"exchange": exchange, **account}


def ccxt_headers(
    set_name: str, *, account: str | None = None, now_s: int | None = None, key_of: str | None = None, network: str = "production"
) -> dict[str, str]:
    """The /v1/auth headers as ccxt 4.5.90 signs them (its own typed-data hash
    and signer), for set A's or B's account; ``key_of`` signs with another set's key."""
    signer = ccxt_account(key_of or set_name, network)
    address = account or ccxt_account(set_name, network)["address"]
    now = int(time.time()) if now_s is None else now_s
    domain = {"name": "Paradex", "chainId": NETWORKS[network][0]["starknet_chain_id"], "version": 1}
    types = {"Request": [{"name": name, "type": "felt"} for name in ("method", "path", "body", "timestamp", "expiration")]}
    request = {"method": "POST", "path": "/v1/auth", "body": "", "timestamp": now, "expiration": now + 180}
    exchange = signer["exchange"]
    digest = exchange.starknet_encode_structured_data(domain, types, request, address)
    return {
        "Accept": "application/json",
        "PARADEX-STARKNET-ACCOUNT": address,
        "PARADEX-STARKNET-SIGNATURE": exchange.starknet_sign(digest, signer["privateKey"]),
        "PARADEX-TIMESTAMP": str(now),
        "PARADEX-SIGNATURE-EXPIRATION": str(now + 180),
    }


@asynccontextmanager
async def paradex_fake(leaks: Leaks, set_name: str = "A", network: str = "production", **knobs: Any) -> AsyncIterator[Any]:
    """The fake knows set A's (or B's) account address and STARK public key on
    that network, never a private key."""
    account = ccxt_account(set_name, network)
    async with start_fake("paradex", api_key=account["address"], secret=account["publicKey"], environment=network, **knobs) as server:
        leaks.fakes.append(server)
        yield server


def session(server: Any, set_name: str = "A", environment: str | None = None, **kwargs: Any) -> Session:
    creds = PARADEX_CREDENTIALS[set_name]
    credentials = paradex.Credentials(api_key="", private_key=creds["private_key"], uid=kwargs.pop("uid", creds["uid"]))
    config = config_with(paradex, environment=environment, ws_url=server.ws_url, rest_url=server.rest_url)
    return Session(paradex, credentials, config=config, auth_timeout_s=5.0, backoff=FAST, **kwargs)


@run
async def test_the_fake_accepts_what_ccxt_signs_and_refuses_the_rest(leaks: Leaks) -> None:
    async with paradex_fake(leaks) as server, httpx.AsyncClient() as http:
        async def post(headers: dict[str, str]) -> tuple[int, Any]:
            reply = await http.post(server.rest_url, headers=headers)
            return reply.status_code, reply.json()

        status, body = await post(ccxt_headers("A"))
        assert status == 200 and body["jwt_token"] in server.tokens
        jwt = body["jwt_token"]
        # B's key signing for A's account: the signature verifies under B's key only.
        assert await post(ccxt_headers("A", key_of="B")) == (401, {"error": "STARKNET_SIGNATURE_VERIFICATION_FAILED", "message": "Starknet signature verification failed"})
        # One digit of s changed.
        tampered = ccxt_headers("A")
        r, s = json.loads(tampered["PARADEX-STARKNET-SIGNATURE"])
        tampered["PARADEX-STARKNET-SIGNATURE"] = json.dumps([r, hex(int(s, 16) ^ 1)])
        assert (await post(tampered))[0] == 401
        # A signature for another moment than the one the headers state.
        moved = ccxt_headers("A")
        moved["PARADEX-TIMESTAMP"] = str(int(moved["PARADEX-TIMESTAMP"]) - 1)
        assert (await post(moved))[0] == 401
        assert (await post(ccxt_headers("A", now_s=int(time.time()) - 600)))[1]["error"] == "VALIDATION_ERROR"
        assert (await post(ccxt_headers("B")))[1]["error"] == "NOT_ONBOARDED"
        async with connect(server.ws_url) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "auth", "params": {"bearer": "not-issued"}, "id": 0}))
            assert json.loads(await ws.recv())["error"] == {"code": 40111, "message": "Invalid Bearer Token"}
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "auth", "params": {"bearer": jwt}, "id": 1}))
            reply = json.loads(await ws.recv())
            assert reply["id"] == 1 and "node_id" in reply["result"]
        assert server.auth_ok == 1


@run
async def test_our_module_authenticates_end_to_end(leaks: Leaks) -> None:
    async with paradex_fake(leaks) as server:
        s = session(server, subscriptions=[ORDERS])
        async with s:
            assert s.authenticated and server.auth_ok == 1 and server.connections == 1
            leaks.see(s, s._pre)
            assert json.loads(await s.recv()) == {"jsonrpc": "2.0", "result": {"channel": "orders.ALL"}, "id": 2}
        method, path, _headers, _body = server.rest_seen[0]
        assert (method, path) == ("POST", "/v1/auth")
        # The JWT the REST call returned went in the auth frame, and nothing else authenticated.
        frames = [json.loads(frame) for frame in server.seen]
        assert frames[0]["method"] == "auth" and frames[0]["params"]["bearer"] in server.tokens


@run
async def test_another_key_for_the_account_is_refused(leaks: Leaks) -> None:
    async with paradex_fake(leaks) as server:
        # B's Ethereum key, A's account: a valid STARK signature, by the wrong key.
        s = session(server, "B", uid=PARADEX_CREDENTIALS["A"]["uid"])
        with pytest.raises(PreAuthRefused) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert (refused.value.status, refused.value.code) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")
        assert server.connections == 0 and server.auth_ok == 0


@run
async def test_a_jwt_the_socket_refuses_is_the_servers_verdict(leaks: Leaks) -> None:
    async with paradex_fake(leaks) as server:
        s = session(server)
        server.tokens = Forgetful()  # the REST call issues a JWT the socket does not know
        with pytest.raises(AuthenticationFailed) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert (refused.value.code, refused.value.reason) == ("40111", "Invalid Bearer Token")
        assert server.connections == 1 and server.auth_ok == 0


# --- the testnet: another STARK key (Sepolia's "STARK Key" message), another chain --------


@run
async def test_the_testnet_fake_accepts_what_ccxt_signs_there_and_refuses_a_production_signature(leaks: Leaks) -> None:
    async with paradex_fake(leaks, network="testnet") as server, httpx.AsyncClient() as http:
        reply = await http.post(server.rest_url, headers=ccxt_headers("A", network="testnet"))
        assert reply.status_code == 200 and reply.json()["jwt_token"] in server.tokens
        # ccxt's production signature (production's STARK key and chain) for the testnet account.
        account = PARADEX_TESTNET_ACCOUNTS["A"]
        reply = await http.post(server.rest_url, headers=ccxt_headers("A", account=account))
        assert (reply.status_code, reply.json()["error"]) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")


@run
async def test_our_module_authenticates_on_the_testnet(leaks: Leaks) -> None:
    async with paradex_fake(leaks, network="testnet") as server:
        s = session(server, environment="testnet", uid=PARADEX_TESTNET_ACCOUNTS["A"], subscriptions=[ORDERS])
        async with s:
            assert s.authenticated and server.auth_ok == 1 and server.connections == 1


@pytest.mark.parametrize(
    ("signed_for", "fake_is"), [(None, "testnet"), ("testnet", "production")], ids=["mainnet-on-testnet", "testnet-on-mainnet"]
)
@run
async def test_a_request_signed_for_the_other_network_is_refused(leaks: Leaks, signed_for: str | None, fake_is: str) -> None:
    async with paradex_fake(leaks, network=fake_is) as server:
        # The account the fake knows, signed as the other network signs.
        s = session(server, environment=signed_for, uid=NETWORKS[fake_is][1]["A"])
        with pytest.raises(PreAuthRefused) as refused:
            await s.connect()
        leaks.see(refused.value)
        assert (refused.value.status, refused.value.code) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")
        assert server.connections == 0 and server.auth_ok == 0
