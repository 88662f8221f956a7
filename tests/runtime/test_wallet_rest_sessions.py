"""Aster, GRVT and Polymarket end to end through wsauth.session, against loopback fakes
that recover the signer's address from each signature with code that is not
wsauth's (tests/fakes/_wallet.py: ccxt's bundled EIP-712 encoder and
Keccak, coincurve's PublicKey.from_signature_and_message) and refuse any
other key: Aster's listen key, its signed keep-alive (a fresh µs nonce each
time, a reused one refused), GRVT's wallet login whose reply headers carry
the session onto the handshake, Polymarket's CreateProxy whose proxy and
issued secret authenticate the socket. Every log record, exception and repr is
checked for the key, the signatures, the listen key and the session cookie
(tests/session_checks.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.fakes import start_fake
from tests.reference.ccxt_scenarios import KEYS
from tests.session_checks import Leaks, eventually, leaks, loopback_only, run  # noqa: F401 (autouse fixtures)
from websockets.asyncio.client import connect

from wsauth import aster, grvt, polymarket_wallet
from wsauth.plan import plan
from wsauth.session import AuthenticationFailed, Backoff, PreAuthRefused, Session, config_with

KEY_A, KEY_B = "0x" + KEYS["A"]["secp256k1_hex"], KEYS["B"]["secp256k1_hex"]
WALLET_A = KEYS["A"]["secp256k1_address"]
LEAK_SECRETS = (KEYS["A"]["secp256k1_hex"], KEYS["B"]["secp256k1_hex"])
FAST = Backoff(first_s=0.01, max_s=0.05, attempts=3)


def _session(
    module: Any, server: Any, key: str = KEY_A, market: str | None = None, environment: str | None = None, **config: Any
) -> Session[Any]:
    configured = config_with(
        module, environment=environment, market_type=market, ws_url=server.ws_url, rest_url=server.rest_url, **config
    )
    credentials = module.Credentials(private_key=key)
    return Session(module, credentials, config=configured, market_type=market, auth_timeout_s=3.0, backoff=FAST)


# --- Aster ----------------------------------------------------------------------


@run
async def test_aster_opens_its_stream_with_a_wallet_signed_listen_key(leaks: Leaks) -> None:
    async with start_fake("aster", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(aster, server, market="swap") as s:
            assert s.authenticated and server.auth_ok == 1 and server.refusals == []
            leaks.see(s, s._link)
        ((method, _, headers, body),) = server.rest_seen
        assert method == "POST" and headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert body.startswith("nonce=") and "&signature=0x" in body


@run
async def test_aster_signs_each_keepalive_with_a_fresh_nonce(leaks: Leaks) -> None:
    async with start_fake("aster", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(aster, server, market="swap", keepalive_ms=150) as s:
            for _ in range(60):
                if server.keepalives >= 3:
                    break
                await asyncio.sleep(0.05)
            assert server.keepalives >= 3, server.refusals
            assert server.refusals == [] and server.connections == 1 and s.authenticated
        assert [call[0] for call in server.rest_seen][:4] == ["POST", "PUT", "PUT", "PUT"]
        nonces = [body.partition("&")[0] for _, _, _, body in server.rest_seen]
        assert len(set(nonces)) == len(nonces)


@run
async def test_aster_refuses_another_key(leaks: Leaks) -> None:
    async with start_fake("aster", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        with pytest.raises(PreAuthRefused) as refused:
            async with _session(aster, server, key=KEY_B, market="swap"):
                pass
        leaks.see(refused.value)
        assert (refused.value.status, refused.value.code) == (400, "-1022")
        assert server.connections == 0


# --- GRVT -------------------------------------------------------------------------


@run
async def test_grvt_carries_the_login_replys_session_onto_the_handshake(leaks: Leaks) -> None:
    async with start_fake("grvt", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(grvt, server) as s:
            assert s.authenticated and server.auth_ok == 1 and server.refusals == []
            leaks.see(s, s._link)
        ((method, _, headers, body),) = server.rest_seen
        assert method == "POST" and headers["Cookie"] == "rm=true;"
        assert json.loads(body)["signature"]["v"] in (27, 28)


@run
async def test_grvt_refuses_another_key(leaks: Leaks) -> None:
    async with start_fake("grvt", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        with pytest.raises(PreAuthRefused) as refused:
            async with _session(grvt, server, key=KEY_B):
                pass
        leaks.see(refused.value)
        assert (refused.value.status, refused.value.code, refused.value.message) == (401, "1000", "invalid signature")
        assert server.connections == 0


# GRVT's testnet signs chain 326 (config_with(grvt, environment="testnet")):
# its fake refuses a production login, and the production fake a testnet one.


@run
async def test_grvt_testnet_logs_in_with_a_testnet_signature(leaks: Leaks) -> None:
    async with start_fake("grvt", secret=WALLET_A, environment="testnet") as server:
        leaks.fakes.append(server)
        async with _session(grvt, server, environment="testnet") as s:
            assert s.authenticated and server.auth_ok == 1 and server.refusals == []
        ((_, _, _, body),) = server.rest_seen
        assert json.loads(body)["signature"]["chain_id"] == "326"


@pytest.mark.parametrize(
    ("signed_for", "fake_is"), [(None, "testnet"), ("testnet", "production")], ids=["mainnet-on-testnet", "testnet-on-mainnet"]
)
@run
async def test_grvt_refuses_a_login_signed_for_the_other_network(leaks: Leaks, signed_for: str | None, fake_is: str) -> None:
    async with start_fake("grvt", secret=WALLET_A, environment=fake_is) as server:
        leaks.fakes.append(server)
        with pytest.raises(PreAuthRefused) as refused:
            async with _session(grvt, server, environment=signed_for):
                pass
        leaks.see(refused.value)
        assert (refused.value.status, refused.value.message) == (401, "wrong chain id")
        assert server.connections == 0


@run
async def test_grvt_testnet_fake_checks_the_signed_chain_not_the_claimed_one(leaks: Leaks) -> None:
    """A production login whose body claims chain 326: the signature's domain
    says 325, so the testnet fake recovers another signer and refuses it."""
    async with start_fake("grvt", secret=WALLET_A, environment="testnet") as server:
        leaks.fakes.append(server)
        production = config_with(grvt, ws_url=server.ws_url, rest_url=server.rest_url)
        request = grvt.pre_auth(grvt.Credentials(private_key=KEY_A), production).request
        body = request.body.replace('"chain_id":"325"', '"chain_id":"326"')
        assert body != request.body
        status, reply = await asyncio.to_thread(_post, request.url, dict(request.headers), body)
        assert (status, reply["message"]) == (401, "invalid signature")


def _post(url: str, headers: dict[str, str], body: str) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    call = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(call, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_plan_puts_the_session_given_as_token_on_the_handshake_masked() -> None:
    session = json.dumps({"Cookie": "gravity=cookie-value-0123456789", "X-Grvt-Account-Id": "4724219064482495"})
    shown = plan("grvt", {"private_key": KEY_A}, now_ms=1767225600123, token=session)
    assert shown["ws_headers"] == {"Cookie": "***", "X-Grvt-Account-Id": "***"}
    revealed = plan("grvt", {"private_key": KEY_A}, now_ms=1767225600123, token=session, reveal=True)
    assert revealed["ws_headers"] == {"Cookie": "gravity=cookie-value-0123456789", "X-Grvt-Account-Id": "4724219064482495"}
    # Without the server's session the handshake's headers are not known yet.
    assert plan("grvt", {"private_key": KEY_A}, now_ms=1767225600123)["ws_headers"] == {}


# --- Polymarket (session provisioning) --------------------------------------------


@run
async def test_polymarket_provisions_a_session_and_authenticates_with_it(leaks: Leaks) -> None:
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(polymarket_wallet, server) as s:
            assert s.authenticated and server.auth_ok == 1 and server.refusals == []
            leaks.see(s, s._link)
        ((method, _, headers, body),) = server.rest_seen
        assert method == "POST" and headers["Content-Type"] == "application/json"
        request = json.loads(body)
        assert request["op"]["args"]["owner"] == WALLET_A.lower()
        # The frame names the proxy the REST call registered, with its secret.
        (frame,) = [json.loads(m) for m in server.seen if json.loads(m).get("req") == "post"]
        assert frame["op"]["args"] == {"proxy": request["op"]["args"]["proxy"], "secret": server.sessions[frame["op"]["args"]["proxy"]]}


@run
async def test_polymarket_refuses_another_key(leaks: Leaks) -> None:
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        with pytest.raises(PreAuthRefused) as refused:
            async with _session(polymarket_wallet, server, key=KEY_B):
                pass
        leaks.see(refused.value)
        assert (refused.value.status, refused.value.message) == (400, "invalid signature")
        assert server.connections == 0 and server.sessions == {}


@run
async def test_polymarket_socket_takes_the_secret_only_for_the_proxy_it_was_issued_for(leaks: Leaks) -> None:
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        credentials = polymarket_wallet.Credentials(private_key=KEY_A)
        config = config_with(polymarket_wallet, ws_url=server.ws_url, rest_url=server.rest_url)
        tokens = []
        for nonce in (1, 2):  # two sessions: two proxies, two secrets
            pre = polymarket_wallet.pre_auth(credentials, config, {"nonce": nonce})
            assert pre.request is not None
            async with httpx.AsyncClient(trust_env=False) as client:
                reply = await client.post(pre.request.url, content=pre.request.body, headers=dict(pre.request.headers))
            tokens.append(json.loads(pre.read_token(reply.status_code, reply.content)))
        assert tokens[0]["proxy"] != tokens[1]["proxy"] and tokens[0]["secret"] != tokens[1]["secret"]
        crossed = {"proxy": tokens[0]["proxy"], "secret": tokens[1]["secret"]}
        verdicts = []
        async with connect(server.ws_url, proxy=None) as ws:
            for token in (crossed, tokens[0]):
                frame = polymarket_wallet.build_auth_message(credentials, config, {"token": json.dumps(token), "request_id": 7})
                await ws.send(json.dumps(frame))
                verdicts.append(polymarket_wallet.handle_auth_response(await ws.recv()))
        assert [v is not None and v.ok for v in verdicts] == [False, True]
        assert verdicts[0] is not None and verdicts[0].reason == "invalid proxy credentials"


# One proxy per session (rest.token_reuse_margin_ms): a reconnect reuses the
# proxy and secret its first connection provisioned while now < the call +
# expires_after_ms - 3600000 ms (ccxt 4.5.90 load_proxy_credentials,
# proxyRefreshMargin); a refused reuse provisions anew, once.


def _auth_args(server: Any) -> list[dict[str, str]]:
    """The proxy and secret of every auth op the fake received, in order."""
    frames = [json.loads(m) for m in server.seen]
    return [f["op"]["args"] for f in frames if isinstance(f, dict) and f.get("req") == "post"]


@run
async def test_polymarket_reconnect_reuses_the_sessions_proxy(leaks: Leaks) -> None:
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(polymarket_wallet, server) as s:
            await server.drop()
            await eventually(lambda: s.connections == 2 and s.authenticated, what="the reconnect")
            leaks.see(s, s._link, s._provisioned)
        # Two connections, one CreateProxy: both auth ops carry its proxy and secret.
        assert len(server.rest_seen) == 1 and len(server.created) == 1 and server.auth_ok == 2
        first, second = _auth_args(server)
        assert first == second == {"proxy": server.created[0], "secret": server.sessions[server.created[0]]}


@run
async def test_polymarket_provisions_anew_once_the_reuse_window_has_passed(leaks: Leaks) -> None:
    # A proxy that lives an hour and 300 ms: reusable for 300 ms after its call.
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(polymarket_wallet, server, expires_after_ms=3_600_300) as s:
            await asyncio.sleep(0.5)
            await server.drop()
            await eventually(lambda: s.connections == 2 and s.authenticated, what="the reconnect")
            leaks.see(s, s._link)
        assert len(server.created) == 2 and server.created[0] != server.created[1] and server.auth_ok == 2
        assert [args["proxy"] for args in _auth_args(server)] == server.created
        expiries = [json.loads(body)["op"]["args"]["expiry"] - json.loads(body)["ts"] for _, _, _, body in server.rest_seen]
        assert expiries == [3_600_300, 3_600_300]


@run
async def test_polymarket_reused_proxy_refused_provisions_once_more(leaks: Leaks) -> None:
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(polymarket_wallet, server) as s:
            server.forget_proxies()  # the venue revoked the session's proxy
            await server.drop()
            await eventually(lambda: s.connections == 3 and s.authenticated, what="the reconnect")
            leaks.see(s, s._link)
        # Refused with the reused proxy, then accepted with a new one.
        assert len(server.created) == 2 and server.auth_ok == 2
        assert [args["proxy"] for args in _auth_args(server)] == [server.created[0], server.created[0], server.created[1]]


@run
async def test_polymarket_refused_again_after_provisioning_anew_is_final(leaks: Leaks) -> None:
    async with start_fake("polymarket", secret=WALLET_A) as server:
        leaks.fakes.append(server)
        async with _session(polymarket_wallet, server) as s:
            server.forget_proxies(forever=True)  # every proxy refused, new ones too
            await server.drop()
            with pytest.raises(AuthenticationFailed) as refused:
                await asyncio.wait_for(s.recv(), 5)
            leaks.see(refused.value, s)
        # Once more, not a loop: one new proxy, refused, and the session ends.
        assert refused.value.reason == "invalid proxy credentials"
        assert len(server.created) == 2 and s.connections == 3 and len(_auth_args(server)) == 3


def test_polymarket_plan_masks_the_session_given_as_token() -> None:
    token = json.dumps({"proxy": "0x1bcb988e25295f89300486b328406cc106871fd4", "secret": "pm-secret-given-0123456789"})
    shown = plan("polymarket_wallet", {"private_key": KEY_A}, now_ms=1767225600123, nonce=123456789, token=token, request_id=1)
    assert shown["frames"] == [{"id": 1, "req": "post", "op": {"type": "auth", "args": {"proxy": "***", "secret": "***"}}}]
    assert "pm-secret-given" not in json.dumps(shown) and KEYS["A"]["secp256k1_hex"] not in json.dumps(shown)
    revealed = plan("polymarket_wallet", {"private_key": KEY_A}, now_ms=1767225600123, nonce=123456789, token=token, request_id=1, reveal=True)
    assert revealed["frames"][0]["op"]["args"] == json.loads(token)
