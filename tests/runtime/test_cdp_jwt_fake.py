"""Coinbase Advanced Trade with CDP keys, against a loopback fake that checks
what Coinbase documents today (tests/fakes/coinbase.py): the claims
``{sub, iss: "cdp", nbf, exp}``, the header ``{alg, kid, nonce, typ}``, and
the signature verified with the key's public half — Ed25519 (EdDSA,
``coinbase_cdp_eddsa``) or P-256 (ES256, ``coinbase_cdp``).

The fake is first checked with JWTs signed here by hand (cryptography
directly) and with the JWTs the two references recorded: the SDK's
(coinbase-advanced-py, tests/fixtures/sdk) is accepted, ccxt 4.5.90's
(tests/fixtures/ccxt: the retired Coinbase Cloud claims) is refused.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from websockets.asyncio.client import connect

from tests.fakes import start_fake
from tests.paths import FIXTURES
from tests.reference.ccxt_capture import KEYS
from wsauth import coinbase_cdp, coinbase_cdp_eddsa
from wsauth.session import AuthenticationFailed, Session, Subscription, config_with

KEY_NAME = "organizations/org-session/apiKeys/key-session"
SUBSCRIBE = {"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "user"}


def ed25519_key(set_name: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"]))


def p256_key(set_name: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(KEYS[set_name]["p256_pem_sec1"].encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def public_pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def cdp_seed_and_public(set_name: str) -> str:
    """A CDP Ed25519 secret as the portal issues it: base64 of seed || public key."""
    key = ed25519_key(set_name)
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.b64encode(seed + key.public_key().public_bytes_raw()).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_jwt(key: Any, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWT signed here, with cryptography alone."""
    signed = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.sign(signed.encode())
    else:
        r, s = decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return signed + "." + b64url(raw)


def documented(alg: str, now: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    now = int(time.time()) if now is None else now
    header = {"alg": alg, "kid": KEY_NAME, "nonce": "ab" * 16, "typ": "JWT"}
    return header, {"sub": KEY_NAME, "iss": "cdp", "nbf": now, "exp": now + 120}


async def answers(fake: Any, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    async with connect(fake.ws_url, proxy=None, open_timeout=3, close_timeout=1) as ws:
        replies = []
        for frame in frames:
            await ws.send(json.dumps(frame))
            replies.append(json.loads(await asyncio.wait_for(ws.recv(), 3)))
    return replies


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


# --- the fake, checked with hand-signed JWTs ------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_the_fake_accepts_only_the_documented_jwt_signed_by_the_registered_key(alg: str) -> None:
    key, other = (ed25519_key("A"), ed25519_key("B")) if alg == "EdDSA" else (p256_key("A"), p256_key("B"))
    header, claims = documented(alg)
    cases = {
        "documented": (hand_jwt(key, header, claims), True),
        "another key": (hand_jwt(other, header, claims), False),
        "ccxt's Coinbase Cloud claims": (
            hand_jwt(key, header, {"aud": ["retail_rest_api_proxy"], "iss": "coinbase-cloud", **{k: v for k, v in claims.items() if k != "iss"}, "iat": claims["nbf"]}),
            False,
        ),
        "a REST uri claim": (hand_jwt(key, header, dict(claims, uri="GET api.coinbase.com/api/v3/brokerage/accounts")), False),
        "another kid": (hand_jwt(key, dict(header, kid="organizations/o/apiKeys/other"), claims), False),
        "expired": (hand_jwt(key, header, dict(claims, nbf=claims["nbf"] - 300, exp=claims["nbf"] - 180)), False),
        "longer than 120 s": (hand_jwt(key, header, dict(claims, exp=claims["nbf"] + 600)), False),
        "the other algorithm's name": (hand_jwt(key, dict(header, alg="ES256" if alg == "EdDSA" else "EdDSA"), claims), False),
    }

    async def main() -> None:
        async with start_fake("coinbase", api_key=KEY_NAME, secret=public_pem(key)) as fake:
            replies = await answers(fake, [dict(SUBSCRIBE, jwt=token) for token, _ in cases.values()])
            for (name, (_token, ok)), reply in zip(cases.items(), replies, strict=True):
                assert (reply.get("channel") == "subscriptions") is ok, (name, reply)
                if not ok:
                    assert reply == {"type": "error", "message": "authentication failure"}, name
            assert fake.auth_ok == 1

    run(main())


@pytest.mark.parametrize("entry", ["coinbase_cdp", "coinbase_cdp_eddsa"])
def test_the_fake_accepts_the_sdks_recorded_jwt_and_refuses_ccxts(entry: str) -> None:
    """Replayed at their recorded clocks: coinbase-advanced-py's JWT (what
    Coinbase's docs tell users to run) passes; ccxt 4.5.90's, where it exists
    (ES256 only: ccxt cannot sign this socket's JWT with an Ed25519 key),
    carries the retired claims and is refused."""
    sdk = json.loads((FIXTURES / "sdk" / f"{entry}-1.json").read_text(encoding="utf-8"))
    private = sdk["credentials"]["private_key"]
    key: Any = (
        serialization.load_pem_private_key(private.encode(), None)
        if "-----BEGIN" in private
        else ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(private)[:32])
    )
    offset = sdk["used"]["now_ms"] - int(time.time() * 1000)
    frames = [sdk["subscribe_frames"][0]]
    if entry == "coinbase_cdp":
        ccxt = json.loads((FIXTURES / "ccxt" / "coinbase_cdp-1.json").read_text(encoding="utf-8"))
        assert ccxt["used"]["now_ms"] == sdk["used"]["now_ms"] and ccxt["credentials"] == sdk["credentials"]
        frames.append(ccxt["subscribe_frames"][0])

    async def main() -> None:
        async with start_fake("coinbase", api_key=sdk["credentials"]["api_key"], secret=public_pem(key), clock_offset_ms=offset) as fake:
            replies = await answers(fake, frames)
            assert replies[0]["channel"] == "subscriptions"
            if entry == "coinbase_cdp":
                assert replies[1] == {"type": "error", "message": "authentication failure"}
                assert set(fake.claims_seen[1]) == {"aud", "iss", "nbf", "exp", "sub", "iat"}

    run(main())


# --- wsauth.session against the fake --------------------------------------------------


CASES = {
    # entry, the key's private form, the fake's public key
    "ES256, SEC1 PEM": (coinbase_cdp, KEYS["A"]["p256_pem_sec1"], lambda: p256_key("A")),
    "ES256, PKCS#8 PEM": (coinbase_cdp, KEYS["A"]["p256_pem"], lambda: p256_key("A")),
    "EdDSA, the portal's base64 seed and public key": (coinbase_cdp_eddsa, cdp_seed_and_public("A"), lambda: ed25519_key("A")),
    "EdDSA, PKCS#8 PEM": (coinbase_cdp_eddsa, KEYS["A"]["ed25519_pem"], lambda: ed25519_key("A")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_session_authenticates_with_the_documented_claims_and_another_key_is_refused(case: str) -> None:
    module, private_key, key = CASES[case]
    wrong = KEYS["B"]["p256_pem"] if module is coinbase_cdp else cdp_seed_and_public("B")

    async def main() -> None:
        async with start_fake("coinbase", api_key=KEY_NAME, secret=public_pem(key())) as fake:
            config = config_with(module, ws_url=fake.ws_url)
            subscription = Subscription(dict(SUBSCRIBE), "user", ["BTC-USD"])
            good = module.Credentials(api_key=KEY_NAME, private_key=private_key)
            async with Session(module, good, config=config, subscriptions=[subscription], auth_timeout_s=5) as session:
                assert session.authenticated
            assert fake.auth_ok == 1
            now = int(time.time())
            claims = fake.claims_seen[0]
            assert claims == {"sub": KEY_NAME, "iss": "cdp", "nbf": claims["nbf"], "exp": claims["nbf"] + 120}
            assert abs(claims["nbf"] - now) < 60
            other = module.Credentials(api_key=KEY_NAME, private_key=wrong)
            with pytest.raises(AuthenticationFailed) as error:
                async with Session(module, other, config=config, subscriptions=[subscription], auth_timeout_s=5):
                    raise AssertionError("another key was accepted")
            assert error.value.reason == "authentication failure"
            assert fake.auth_ok == 1

    run(main())


def test_an_ed25519_key_is_refused_by_the_es256_entry_and_a_p256_key_by_the_eddsa_entry() -> None:
    """One entry per credential type: neither guesses from the key's shape."""
    cases = ((coinbase_cdp, KEYS["A"]["ed25519_pem"]), (coinbase_cdp_eddsa, KEYS["A"]["p256_pem"]))
    for module, key in cases:
        credentials = module.Credentials(api_key=KEY_NAME, private_key=key)
        with pytest.raises(module.WsAuthInputError) as error:
            module.build_subscribe_auth(credentials, channel="user", symbols=["BTC-USD"], opts={"now_ms": 1767225600123})
        assert "private_key" in str(error.value) and "PRIVATE" not in str(error.value)
