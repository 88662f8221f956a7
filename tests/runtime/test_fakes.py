"""Tests of the fake exchanges themselves (tests/fakes), not of wsauth.

Every frame here is built and signed by hand (hmac/hashlib/base64 in this
file), and ccxt's recorded frames (tests/fixtures/ccxt) are replayed at their
recorded clock, so the fakes' verifiers are checked against the real thing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ccxt
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.fakes import KINDS, start_fake
from tests.paths import FIXTURES

CCXT = FIXTURES / "ccxt"
REPLIES = FIXTURES / "replies"

KEY = "test-key-1"
SECRET = "test-secret-1"
B64_SECRET = base64.b64encode(bytes(range(64))).decode()
WRONG_B64_SECRET = base64.b64encode(bytes(range(1, 65))).decode()


def coinbase_public_pem() -> str:
    """The coinbase fake holds a CDP key's public half (tests/runtime/test_cdp_jwt_fake.py tests it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# A secp256k1 test key and its address (ccxt's eth_get_address_from_private_key):
# the wallet fakes (aster, grvt, polymarket) register the address and check who signed.
WALLET_KEY = "0x5de080412b2cffddd153a9751e0fe29c3a10906b2ebda25160e91c89a9cb9067"
WALLET = "0xff0ab661f03e57d02c829c30af088fdbaefc3901"


def secret_for(kind: str) -> str:
    if kind == "coinbase":
        return coinbase_public_pem()
    if kind in ("aster", "grvt", "polymarket"):
        return WALLET
    return B64_SECRET if kind in ("kraken", "krakenfutures") else SECRET


def wrong_secret_for(kind: str) -> str:
    return WRONG_B64_SECRET if kind in ("kraken", "krakenfutures") else "wrong-secret"


def run(coro: Any, timeout: float = 10) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def now_ms() -> int:
    return int(time.time() * 1000)


def ws_connect(url: str) -> Any:
    return connect(url, proxy=None, open_timeout=3, close_timeout=1)


def http() -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False, timeout=3)


async def recv(ws: ClientConnection, timeout: float = 2) -> Any:
    return await asyncio.wait_for(ws.recv(), timeout)


async def recv_json(ws: ClientConnection, timeout: float = 2) -> Any:
    return json.loads(await recv(ws, timeout))


async def assert_silent(ws: ClientConnection, seconds: float = 0.3) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.recv(), seconds)


# --------------------------------------------------------------- signing
# Written here independently of both wsauth and tests/fakes.


def bybit_auth(key: str, secret: str, expires: int) -> dict[str, Any]:
    sig = hmac.new(secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256).hexdigest()
    return {"op": "auth", "args": [key, str(expires), sig]}


def deribit_auth(key: str, secret: str, ts: int, nonce: str, req_id: int = 1) -> dict[str, Any]:
    sig = hmac.new(secret.encode(), f"{ts}\n{nonce}\n".encode(), hashlib.sha256).hexdigest()
    return {
        "jsonrpc": "2.0",
        "id": req_id,
        "method": "public/auth",
        "params": {
            "grant_type": "client_signature",
            "client_id": key,
            "timestamp": ts,
            "signature": sig,
            "nonce": nonce,
            "data": "",
        },
    }


def bitfinex_auth(key: str, secret: str, nonce: int) -> dict[str, Any]:
    payload = f"AUTH{nonce}"
    sig = hmac.new(secret.encode(), payload.encode(), hashlib.sha384).hexdigest()
    return {"apiKey": key, "authSig": sig, "authNonce": nonce, "authPayload": payload, "event": "auth"}


def gate_sub(key: str, secret: str, t: int, channel: str = "spot.orders", req_id: int = 7) -> dict[str, Any]:
    msg = f"channel={channel}&event=subscribe&time={t}"
    sig = hmac.new(secret.encode(), msg.encode(), hashlib.sha512).hexdigest()
    return {
        "id": req_id,
        "time": t,
        "channel": channel,
        "event": "subscribe",
        "auth": {"method": "api_key", "KEY": key, "SIGN": sig},
        "payload": ["!all"],
    }


def kraken_headers(key: str, secret_b64: str, path: str, nonce: int) -> tuple[dict[str, str], str]:
    body = f"nonce={nonce}"
    digest = hashlib.sha256((str(nonce) + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret_b64), path.encode() + digest, hashlib.sha512)
    headers = {
        "API-Key": key,
        "API-Sign": base64.b64encode(mac.digest()).decode(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return headers, body


def gemini_headers(key: str, secret: str, nonce: int) -> dict[str, str]:
    """Gemini's signed upgrade, written from its API docs (not wsauth's code)."""
    payload = base64.b64encode(json.dumps({"request": "/v1/order/events", "nonce": nonce}).encode()).decode()
    return {
        "X-GEMINI-APIKEY": key,
        "X-GEMINI-PAYLOAD": payload,
        "X-GEMINI-SIGNATURE": hmac.new(secret.encode(), payload.encode(), hashlib.sha384).hexdigest(),
    }


def weex_headers(key: str, secret: str, passphrase: str, ts: int) -> dict[str, str]:
    sig = hmac.new(secret.encode(), f"{ts}/v3/ws/private".encode(), hashlib.sha256).digest()
    return {
        "ACCESS-KEY": key,
        "ACCESS-SIGN": base64.b64encode(sig).decode(),
        "ACCESS-PASSPHRASE": passphrase,
        "ACCESS-TIMESTAMP": str(ts),
    }


def hollaex_url(base: str, key: str, secret: str, expires: int) -> str:
    sig = hmac.new(secret.encode(), f"CONNECT/stream{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{base}?api-key={key}&api-signature={sig}&api-expires={expires}"


def bullish_login_headers(key: str, secret: str, ts: int, nonce: int) -> dict[str, str]:
    path = "/trading-api/v1/users/hmac/login"
    sig = hmac.new(secret.encode(), f"{ts}{nonce}GET{path}".encode(), hashlib.sha256).hexdigest()
    return {"BX-PUBLIC-KEY": key, "BX-TIMESTAMP": str(ts), "BX-NONCE": str(nonce), "BX-SIGNATURE": sig}


async def bullish_token(fake: Any, key: str, secret: str) -> str:
    async with http() as client:
        r = await client.get(fake.rest_url, headers=bullish_login_headers(key, secret, now_ms(), now_ms() * 1000))
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def cookie_session(fake: Any, key: str, secret: str) -> dict[str, str]:
    """cookielogin: log in (HMAC over the form body, as the fake checks it);
    the handshake headers its reply's headers make."""
    body = f"nonce={now_ms() * 1000}&expiration={(now_ms() + 30000) * 1_000_000}"
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    async with http() as client:
        r = await client.post(fake.rest_url, content=body, headers={"X-Key": key, "X-Sign": signature})
    assert r.status_code == 200, r.text
    return {"Cookie": f"gravity={r.cookies['gravity']}", "X-Account-Id": r.headers["X-Account-Id"]}


async def aster_listen_key(fake: Any) -> str:
    """aster: a listen key, its POST signed by ccxt's own aster sign()."""
    signed = ccxt.aster({"privateKey": WALLET_KEY}).sign("v3/listenKey", ["fapiPrivate"], "POST", {})
    async with http() as client:
        r = await client.post(fake.rest_url, content=signed["body"], headers=signed["headers"])
    assert r.status_code == 200, r.text
    return str(r.json()["listenKey"])


async def grvt_session(fake: Any) -> dict[str, str]:
    """grvt: a wallet login signed by ccxt's own grvt code; the handshake
    headers its reply's headers make."""
    exchange = ccxt.grvt({"privateKey": WALLET_KEY})
    login = {"address": exchange.eth_get_address_from_private_key(WALLET_KEY), "signature": exchange.default_signature()}
    signed = exchange.sign("auth/wallet/login", ["privateEdge"], "POST", exchange.create_signed_request(login, "EIP712_WALLETLOGIN_TYPE"))
    async with http() as client:
        r = await client.post(fake.rest_url, content=signed["body"], headers=signed["headers"])
    assert r.status_code == 200, r.text
    return {"Cookie": f"gravity={r.cookies['gravity']}", "X-Grvt-Account-Id": r.headers["X-Grvt-Account-Id"]}


def kraken_sub(token: str | None, channel: str = "balances", req_id: int = 3) -> dict[str, Any]:
    params: dict[str, Any] = {"channel": channel}
    if token is not None:
        params["token"] = token
    return {"method": "subscribe", "req_id": req_id, "params": params}


def kf_signed(secret_b64: str, challenge: str) -> str:
    digest = hashlib.sha256(challenge.encode()).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret_b64), digest, hashlib.sha512).digest()).decode()


def kf_sub(key: str, secret_b64: str, challenge: str, feed: str = "open_orders") -> dict[str, Any]:
    return {
        "event": "subscribe",
        "feed": feed,
        "api_key": key,
        "original_challenge": challenge,
        "signed_challenge": kf_signed(secret_b64, challenge),
    }


_bfx_nonce = [now_ms() * 1000]


def next_bfx_nonce() -> int:
    _bfx_nonce[0] += 1
    return _bfx_nonce[0]


async def kraken_token(fake: Any, key: str = KEY, secret: str = B64_SECRET, nonce: int | None = None) -> Any:
    path = "/0/private/GetWebSocketsToken"
    headers, body = kraken_headers(key, secret, path, nonce if nonce is not None else next_bfx_nonce())
    async with http() as client:
        r = await client.post(fake.rest_url, headers=headers, content=body)
    assert r.status_code == 200
    return r.json()


async def listen_key(fake: Any, key: str = KEY) -> str:
    if fake.kind == "bingx":
        return (await bingx_post(fake, now_ms())).json()["listenKey"]
    async with http() as client:
        r = await client.post(fake.rest_url, headers={"X-MBX-APIKEY": key})
    assert r.status_code == 200, r.text
    return r.json()["listenKey"]


def kucoin_headers(timestamp: int, *, secret: str = SECRET, password: str = "pass", path: str = "/api/v1/bullet-private") -> dict[str, str]:
    """KuCoin's API key v2 headers, computed here from its docs' recipe."""
    def sign(message: str) -> str:
        return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()

    return {"KC-API-KEY": KEY, "KC-API-KEY-VERSION": "2", "KC-API-TIMESTAMP": str(timestamp),
            "KC-API-PASSPHRASE": sign(password), "KC-API-SIGN": sign(f"{timestamp}POST{path}")}


async def kucoin_bullet(fake: Any, timestamp: int, **kwargs: Any) -> httpx.Response:
    async with http() as client:
        return await client.post(fake.rest_url, headers=kucoin_headers(timestamp, **kwargs))


def bingx_query(timestamp: int, secret: str = SECRET) -> str:
    """BingX's signed query string, computed here from its docs' recipe."""
    signed = f"timestamp={timestamp}"
    return f"{signed}&signature={hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()}"


async def bingx_post(fake: Any, timestamp: int, *, secret: str = SECRET, key: str = KEY) -> httpx.Response:
    async with http() as client:
        return await client.post(f"{fake.rest_url}?{bingx_query(timestamp, secret)}", headers={"X-BX-APIKEY": key})


async def auth_frame(kind: str, fake: Any, secret: str) -> dict[str, Any]:
    """The frame that carries (or starts) the auth on the socket, signed with ``secret``."""
    if kind == "bybit":
        return bybit_auth(KEY, secret, now_ms() + 10_000)
    if kind == "deribit":
        return deribit_auth(KEY, secret, now_ms(), uuid.uuid4().hex)
    if kind == "bitfinex":
        return bitfinex_auth(KEY, secret, next_bfx_nonce())
    if kind == "gate":
        return gate_sub(KEY, secret, now_ms() // 1000)
    if kind == "kraken":
        # The REST call is signed with the fake's real secret; the socket
        # auth is the token (a wrong "secret" here means a bogus token).
        token = (await kraken_token(fake))["result"]["token"]
        return kraken_sub(token if secret == B64_SECRET else "bogus-token")
    if kind == "krakenfutures":
        return {"event": "challenge", "api_key": KEY}
    raise AssertionError(kind)


def is_success(kind: str, frame: Any) -> bool:
    if kind == "bybit":
        return frame.get("success") is True and frame.get("op") == "auth"
    if kind == "deribit":
        return "access_token" in (frame.get("result") or {})
    if kind == "bitfinex":
        return frame.get("event") == "auth" and frame.get("status") == "OK"
    if kind == "gate":
        return frame.get("result") == {"status": "success"}
    if kind == "kraken":
        return frame.get("success") is True and frame.get("method") == "subscribe"
    if kind == "krakenfutures":
        return frame.get("event") in ("challenge", "subscribed")
    raise AssertionError(kind)


WS_KINDS = ["bybit", "deribit", "bitfinex", "gate", "kraken", "krakenfutures"]


async def full_auth(kind: str, fake: Any, ws: ClientConnection, secret: str) -> Any:
    """Authenticate on ``ws``; returns the verdict frame."""
    await ws.send(json.dumps(await auth_frame(kind, fake, secret)))
    verdict = await recv_json(ws)
    if kind == "krakenfutures":
        assert verdict["event"] == "challenge"
        await ws.send(json.dumps(kf_sub(KEY, secret, verdict["message"])))
        verdict = await recv_json(ws)
    return verdict


def fixture(name: str) -> dict[str, Any]:
    return json.loads((CCXT / f"{name}.json").read_text())


def reply_fixture(name: str) -> dict[str, Any]:
    return json.loads((REPLIES / f"{name}.json").read_text())


# ===================================================== ccxt frames replayed


def _fixture_names(prefix: str) -> list[str]:
    return [f"{prefix}-{i}" for i in range(1, 5)]


@pytest.mark.parametrize(
    "name",
    [
        n
        for p in ("bybit", "deribit", "bitfinex", "gate-spot", "gate-swap", "krakenfutures", "kraken", "binanceusdm", "bingx-spot", "bingx-linear")
        for n in _fixture_names(p)
    ],
)
def test_ccxt_recorded_frames_are_accepted(name: str) -> None:
    """The fakes accept what ccxt really sends, at ccxt's recorded clock."""
    fx = fixture(name)
    creds = fx["credentials"]
    offset = fx["used"]["now_ms"] - now_ms()
    kind = {"gate-spot": "gate", "gate-swap": "gate", "bingx-spot": "bingx", "bingx-linear": "bingx"}.get(
        name.rsplit("-", 1)[0], name.rsplit("-", 1)[0]
    )
    knobs: dict[str, Any] = {"clock_offset_ms": offset}
    if name.startswith("gate-swap"):
        knobs["market"] = "swap"
    if kind == "krakenfutures":
        knobs["challenge"] = fx["used"]["challenge"]

    async def go() -> None:
        async with start_fake(kind, api_key=creds["api_key"], secret=creds["secret"], **knobs) as fake:
            if kind == "bingx":  # ccxt's signed URL, its query string sent to the fake's host
                rest = fx["rest"][0]
                query = rest["url"].partition("?")[2]
                async with http() as client:
                    r = await client.post(f"{fake.rest_url}?{query}", headers=rest["headers"])
                key = r.json()["listenKey"]
                path = urlsplit(fx["ws_url"]).path
                async with ws_connect(f"{fake.ws_url.rsplit('/', 1)[0]}{path}?listenKey={key}"):
                    pass
                assert fake.auth_ok == 1
                return
            if kind == "binanceusdm":
                rest = fx["rest"][0]
                async with http() as client:
                    r = await client.post(fake.rest_url, headers=rest["headers"], content=rest["body"])
                key = r.json()["listenKey"]
                async with ws_connect(f"{fake.ws_url}?listenKey={key}"):
                    pass
                assert fake.auth_ok == 1
                return
            if kind == "kraken":
                rest = fx["rest"][0]
                async with http() as client:
                    r = await client.post(fake.rest_url, headers=rest["headers"], content=rest["body"])
                token = r.json()["result"]["token"]
                sub = dict(fx["subscribe_frames"][0])
                sub["params"] = dict(sub["params"], token=token)
                frames = [sub]
            elif kind == "gate":
                frames = fx["subscribe_frames"]
            else:
                frames = fx["frames"] + fx["subscribe_frames"]
            async with ws_connect(fake.ws_url) as ws:
                for i, frame in enumerate(frames):
                    await ws.send(json.dumps(frame))
                    reply = await recv_json(ws)
                    if i == 0 or kind == "krakenfutures":
                        assert is_success(kind, reply), reply
                    else:  # the private subscribe after the auth is acknowledged
                        assert "error" not in reply and reply.get("success", True) is True, reply
            assert fake.auth_ok == 1

    run(go())


# ================================================================== per kind


def test_bybit_accepts_and_rejects() -> None:
    async def go() -> None:
        async with start_fake("bybit", api_key=KEY, secret=SECRET) as fake:
            assert fake.ws_url.startswith("ws://127.0.0.1:") and fake.ws_url.endswith("/v5/private")
            assert fake.rest_url is None
            async with ws_connect(fake.ws_url) as ws:
                good = bybit_auth(KEY, SECRET, now_ms() + 10_000)
                await ws.send(json.dumps({**good, "req_id": "r1"}))
                ok = await recv_json(ws)
                assert ok["success"] is True and ok["op"] == "auth" and ok["ret_msg"] == "" and ok["req_id"] == "r1"
                assert set(reply_fixture("bybit")["success"][0]["frame"]) <= set(ok)

                await ws.send(json.dumps(bybit_auth(KEY, "wrong", now_ms() + 10_000)))
                bad = await recv_json(ws)
                documented = reply_fixture("bybit")["failure"][0]["frame"]
                assert set(bad) == set(documented)
                assert bad["success"] is False and bad["ret_msg"] == "error:USVC1111"
                assert bad["request"]["op"] == "auth" and "op" not in bad

                await ws.send(json.dumps(bybit_auth(KEY, SECRET, now_ms() - 1)))
                expired = await recv_json(ws)
                assert expired["success"] is False and expired["ret_msg"] == "error:request expired"

                await ws.send(json.dumps(bybit_auth(KEY, SECRET, (now_ms() + 10_000) * 1000)))
                assert (await recv_json(ws))["success"] is False  # µs, not ms

                await ws.send(json.dumps(bybit_auth("other-key", SECRET, now_ms() + 10_000)))
                assert (await recv_json(ws))["ret_msg"] == "error:invalid api key"

                await ws.send(json.dumps({"op": "ping", "req_id": "p"}))
                pong = await recv_json(ws)
                assert pong["op"] == "pong" and pong["req_id"] == "p"
                await ws.send(json.dumps({"op": "subscribe", "args": ["wallet"]}))
                assert await recv_json(ws) == {"success": True, "ret_msg": "", "op": "subscribe", "conn_id": ok["conn_id"]}
            assert fake.auth_ok == 1
            assert good["args"][2] in fake.signatures

    run(go())


def test_bybit_subscribe_before_auth_is_refused() -> None:
    async def go() -> None:
        async with start_fake("bybit", api_key=KEY, secret=SECRET) as fake:
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps({"op": "subscribe", "args": ["wallet"]}))
                assert (await recv_json(ws))["success"] is False

    run(go())


def test_deribit_accepts_and_rejects() -> None:
    async def go() -> None:
        async with start_fake("deribit", api_key=KEY, secret=SECRET) as fake:
            assert fake.ws_url.endswith("/ws/api/v2")
            async with ws_connect(fake.ws_url) as ws:
                sub = {"jsonrpc": "2.0", "id": 9, "method": "private/subscribe", "params": {"channels": ["user.orders.any.any.raw"]}}
                await ws.send(json.dumps(sub))
                assert (await recv_json(ws))["error"]["code"] == 13009

                await ws.send(json.dumps(deribit_auth(KEY, "wrong", now_ms(), "n1", req_id=2)))
                bad = await recv_json(ws)
                assert bad["id"] == 2 and bad["error"]["code"] == 13004 and bad["error"]["message"] == "invalid_credentials"
                assert set(bad) == set(reply_fixture("deribit")["failure"][0]["frame"])

                await ws.send(json.dumps(deribit_auth(KEY, SECRET, now_ms() - 60_000, "n2")))
                stale = await recv_json(ws)
                assert stale["error"]["code"] == 13004 and "timestamp" in stale["error"]["data"]["reason"]

                bad_nonce = deribit_auth(KEY, SECRET, now_ms(), "n3")
                bad_nonce["params"]["nonce"] = 5
                await ws.send(json.dumps(bad_nonce))
                assert (await recv_json(ws))["error"] == reply_fixture("deribit")["failure"][0]["frame"]["error"]

                good = deribit_auth(KEY, SECRET, now_ms(), "n4", req_id=4)
                await ws.send(json.dumps(good))
                ok = await recv_json(ws)
                assert ok["id"] == 4 and ok["result"]["expires_in"] == 31536000
                assert set(ok["result"]) == set(reply_fixture("deribit")["success"][0]["frame"]["result"])
                assert ok["result"]["access_token"] in fake.signatures
                await ws.send(json.dumps(sub))
                assert (await recv_json(ws))["result"] == ["user.orders.any.any.raw"]

            async with ws_connect(fake.ws_url) as ws:  # reused nonce, new connection
                await ws.send(json.dumps(deribit_auth(KEY, SECRET, now_ms(), "n4")))
                reused = await recv_json(ws)
                assert reused["error"]["code"] == 13004 and "nonce" in reused["error"]["data"]["reason"]
                refresh = {"jsonrpc": "2.0", "id": 5, "method": "public/auth",
                           "params": {"grant_type": "refresh_token", "refresh_token": ok["result"]["refresh_token"]}}
                await ws.send(json.dumps(refresh))
                assert "access_token" in (await recv_json(ws))["result"]
            assert fake.auth_ok == 2 and fake.connections == 2

    run(go())


def test_bitfinex_accepts_and_rejects_with_nonce_across_reconnects() -> None:
    async def go() -> None:
        async with start_fake("bitfinex", api_key=KEY, secret=SECRET) as fake:
            assert fake.ws_url.endswith("/ws/2")
            high = next_bfx_nonce() + 1000
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(bitfinex_auth(KEY, "wrong", high - 5)))
                bad = await recv_json(ws)
                assert bad == {"event": "auth", "status": "FAILED", "chanId": 0, "code": 10100, "msg": "apikey: digest invalid"}
                await ws.send(json.dumps(bitfinex_auth("nope", SECRET, high - 4)))
                assert (await recv_json(ws)) == reply_fixture("bitfinex")["failure"][0]["frame"]
                await ws.send(json.dumps(bitfinex_auth(KEY, SECRET, high)))
                ok = await recv_json(ws)
                assert ok["status"] == "OK" and set(ok) == set(reply_fixture("bitfinex")["success"][0]["frame"])
                await ws.send(json.dumps(bitfinex_auth(KEY, SECRET, high + 1)))
                assert (await recv_json(ws))["msg"] == "auth: dup"
                await ws.send(json.dumps({"event": "ping", "cid": 42}))
                pong = await recv_json(ws)
                assert pong["event"] == "pong" and pong["cid"] == 42
            async with ws_connect(fake.ws_url) as ws:  # state is per fake
                await ws.send(json.dumps(bitfinex_auth(KEY, SECRET, high)))  # reused
                small = await recv_json(ws)
                assert small["status"] == "FAILED" and small["code"] == 10114 and small["msg"] == "nonce: small"
                await ws.send(json.dumps(bitfinex_auth(KEY, SECRET, high - 1)))  # lower
                assert (await recv_json(ws))["code"] == 10114
                await ws.send(json.dumps(bitfinex_auth(KEY, SECRET, high + 2)))
                assert (await recv_json(ws))["status"] == "OK"
            assert fake.auth_ok == 2 and fake.connections == 2 and fake.last_nonce == high + 2

    run(go())


def test_kucoin_bullet_names_the_socket_and_checks_v2_headers() -> None:
    async def go() -> None:
        async with start_fake("kucoin", api_key=KEY, secret=SECRET, password="pass") as fake:
            assert (await kucoin_bullet(fake, now_ms(), secret="wrong")).json()["code"] == "400005"
            assert (await kucoin_bullet(fake, now_ms(), password="wrong")).json()["code"] == "400004"
            assert (await kucoin_bullet(fake, now_ms() - 60_000)).json()["code"] == "400002"
            timestamp = now_ms()
            good = await kucoin_bullet(fake, timestamp)
            assert good.status_code == 200 and set(good.json()) == set(reply_fixture("kucoin")["rest_success"][0]["frame"])
            assert (await kucoin_bullet(fake, timestamp)).json()["code"] == "400002"  # the same signature again
            data = good.json()["data"]
            assert data["instanceServers"][0]["endpoint"] == fake.ws_url
            async with ws_connect(f"{fake.ws_url}?token={data['token']}&connectId=c1") as ws:
                assert await recv_json(ws) == {"id": "c1", "type": "welcome"}
                await ws.send(json.dumps({"id": "7", "type": "ping"}))
                assert await recv_json(ws) == {"id": "7", "type": "pong"}
            async with ws_connect(f"{fake.ws_url}?token=not-a-token") as ws:
                assert (await recv_json(ws))["data"] == "token is expired"
            assert fake.auth_ok == 1 and fake.pings == 1

    run(go())


def test_bingx_checks_the_signed_query_string() -> None:
    async def go() -> None:
        async with start_fake("bingx", api_key=KEY, secret=SECRET) as fake:
            assert fake.rest_url is not None and fake.rest_url.endswith("/openApi/user/auth/userDataStream")
            stale = await bingx_post(fake, now_ms() - 60_000)
            assert stale.status_code == 200 and stale.json()["code"] == 100001
            wrong = await bingx_post(fake, now_ms(), secret="wrong-secret")
            assert wrong.json() == {"code": 100001, "msg": "Signature verification failed"}
            assert (await bingx_post(fake, now_ms(), key="wrong")).json()["code"] == 100413
            timestamp = now_ms()
            good = await bingx_post(fake, timestamp)
            assert set(good.json()) == set(reply_fixture("bingx")["rest_success"][0]["frame"])
            reused = await bingx_post(fake, timestamp)  # the same signature again
            assert reused.json()["code"] == 100001
            key = good.json()["listenKey"]
            for path in ("/market", "/swap-market"):
                async with ws_connect(f"{fake.ws_url.rsplit('/', 1)[0]}{path}?listenKey={key}") as ws:
                    await ws.send(json.dumps({"id": "1", "reqType": "sub", "dataType": "ACCOUNT_UPDATE"}))
                    assert (await recv_json(ws))["code"] == 0
            with pytest.raises(InvalidStatus):
                async with ws_connect(f"{fake.ws_url}?listenKey=not-a-key"):
                    pass
            assert fake.auth_ok == 2 and key in fake.signatures

    run(go())


def test_binanceusdm_listen_key_lifecycle() -> None:
    async def go() -> None:
        async with start_fake("binanceusdm", api_key=KEY, secret=SECRET) as fake:
            assert fake.ws_url.endswith("/private/ws")
            assert fake.rest_url is not None and fake.rest_url.endswith("/fapi/v1/listenKey")
            async with http() as client:
                r = await client.post(fake.rest_url)
                assert r.status_code == 401 and r.json()["code"] == -2014
                r = await client.post(fake.rest_url, headers={"X-MBX-APIKEY": "wrong"})
                assert r.status_code == 401 and r.json() == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
                r = await client.post(fake.rest_url, headers={"X-MBX-APIKEY": KEY}, content="")
                key = r.json()["listenKey"]
                assert set(r.json()) == set(reply_fixture("binanceusdm")["rest_reply"][0]["frame"])
                assert (await client.post(fake.rest_url, headers={"X-MBX-APIKEY": KEY})).json()["listenKey"] == key
                r = await client.put(fake.rest_url, headers={"X-MBX-APIKEY": KEY})
                assert r.status_code == 200 and r.json()["listenKey"] == key

            with pytest.raises(InvalidStatus) as refused:
                async with ws_connect(f"{fake.ws_url}?listenKey=not-a-key"):
                    pass
            assert 400 <= refused.value.response.status_code < 500
            assert json.loads(refused.value.response.body) == {"code": -1125, "msg": "This listenKey does not exist."}

            async with ws_connect(f"{fake.ws_url}?listenKey={key}") as ws:
                await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
                assert await recv_json(ws) == {"result": None, "id": 1}
                await fake.expire_listen_key()
                event = await recv_json(ws)
                assert event["e"] == "listenKeyExpired" and event["listenKey"] == key
                assert set(event) == set(reply_fixture("binanceusdm")["failure"][0]["frame"])
            assert fake.auth_ok == 1

            with pytest.raises(InvalidStatus):  # the expired key is refused
                async with ws_connect(f"{fake.ws_url}?listenKey={key}"):
                    pass
            async with http() as client:
                r = await client.put(fake.rest_url, headers={"X-MBX-APIKEY": KEY})
                assert r.status_code == 400 and r.json()["code"] == -1125
                key2 = (await client.post(fake.rest_url, headers={"X-MBX-APIKEY": KEY})).json()["listenKey"]
                assert key2 != key
                assert (await client.delete(fake.rest_url, headers={"X-MBX-APIKEY": KEY})).json() == {}
            with pytest.raises(InvalidStatus):  # deleted
                async with ws_connect(f"{fake.ws_url}?listenKey={key2}"):
                    pass
            assert key in fake.signatures and key2 in fake.signatures
            methods = [m for m, *_ in fake.rest_seen]
            assert methods == ["POST", "POST", "POST", "POST", "PUT", "PUT", "POST", "DELETE"]
            assert fake.rest_seen[2][1] == "/fapi/v1/listenKey"
            assert fake.connections == 1
            with pytest.raises(RuntimeError):
                fake.expire_listen_key()  # no valid key

    run(go())


def test_kraken_token_and_subscribe() -> None:
    async def go() -> None:
        async with start_fake("kraken", api_key=KEY, secret=B64_SECRET) as fake:
            assert fake.ws_url.endswith("/v2")
            assert fake.rest_url is not None and fake.rest_url.endswith("/0/private/GetWebSocketsToken")
            n = next_bfx_nonce()
            assert await kraken_token(fake, secret=WRONG_B64_SECRET, nonce=n) == {"error": ["EAPI:Invalid signature"]}
            assert await kraken_token(fake, key="other", nonce=n) == {"error": ["EAPI:Invalid key"]}
            ok = await kraken_token(fake, nonce=n)
            assert ok["error"] == [] and ok["result"]["expires"] == 900
            token = ok["result"]["token"]
            assert await kraken_token(fake, nonce=n) == {"error": ["EAPI:Invalid nonce"]}  # reused
            assert await kraken_token(fake, nonce=n - 1) == {"error": ["EAPI:Invalid nonce"]}  # lower
            method, target, headers, body = fake.rest_seen[2]
            assert (method, target, body) == ("POST", "/0/private/GetWebSocketsToken", f"nonce={n}")
            assert headers["API-Key"] == KEY

            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(kraken_sub(None, channel="ticker", req_id=1)))
                assert (await recv_json(ws))["success"] is True  # public: no token needed
                await ws.send(json.dumps(kraken_sub("bogus", req_id=2)))
                bad = await recv_json(ws)
                documented = reply_fixture("kraken")["failure"][0]["frame"]
                assert bad["success"] is False and bad["error"] == documented["error"] and bad["req_id"] == 2
                assert set(bad) == set(documented) - {"status"}
                await ws.send(json.dumps(kraken_sub(None, req_id=3)))
                assert (await recv_json(ws))["success"] is False
                await ws.send(json.dumps(kraken_sub(token, channel="executions", req_id=4)))
                good = await recv_json(ws)
                assert good["success"] is True and good["result"]["channel"] == "executions" and good["req_id"] == 4
                assert {"method", "req_id", "result", "success", "time_in", "time_out"} == set(good)
                await ws.send(json.dumps({"method": "ping", "req_id": 5}))
                assert (await recv_json(ws))["method"] == "pong"
            assert fake.auth_ok == 1
            assert token in fake.signatures

            fake.expire_listen_key()
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(kraken_sub(token)))
                assert (await recv_json(ws))["error"] == "ESession:Invalid session"

    run(go())


def test_kraken_token_lifetime_follows_active_subscriptions() -> None:
    async def go() -> None:
        async with start_fake("kraken", api_key=KEY, secret=B64_SECRET, session_ttl_s=0.3) as fake:
            token = (await kraken_token(fake))["result"]["token"]
            async with ws_connect(fake.ws_url) as a:
                await a.send(json.dumps(kraken_sub(token)))
                assert (await recv_json(a))["success"] is True
                await asyncio.sleep(0.4)
                async with ws_connect(fake.ws_url) as b:  # still in use by `a`
                    await b.send(json.dumps(kraken_sub(token, channel="executions")))
                    assert (await recv_json(b))["success"] is True
            await asyncio.sleep(0.05)
            async with ws_connect(fake.ws_url) as c:  # no live subscription, too old
                await c.send(json.dumps(kraken_sub(token)))
                assert (await recv_json(c))["error"] == "ESession:Invalid session"
            unused = (await kraken_token(fake))["result"]["token"]
            await asyncio.sleep(0.4)
            async with ws_connect(fake.ws_url) as d:
                await d.send(json.dumps(kraken_sub(unused)))
                assert (await recv_json(d))["success"] is False

    run(go())


def test_gate_accepts_and_rejects() -> None:
    async def go() -> None:
        async with start_fake("gate", api_key=KEY, secret=SECRET) as fake:
            assert fake.ws_url.endswith("/ws/v4/")
            failure = reply_fixture("gate_swap")["failure"][0]["frame"]
            async with ws_connect(fake.ws_url) as ws:
                t = now_ms() // 1000
                await ws.send(json.dumps(gate_sub(KEY, SECRET, t, req_id=11)))
                ok = await recv_json(ws)
                assert ok["id"] == 11 and ok["event"] == "subscribe" and ok["result"] == {"status": "success"}
                assert set(reply_fixture("gate_spot")["success"][0]["frame"]) <= set(ok)

                await ws.send(json.dumps(gate_sub(KEY, "wrong", t, req_id=12)))
                bad = await recv_json(ws)
                assert bad["id"] == 12 and bad["error"]["code"] == 4 and bad["result"] is None
                assert set(failure) <= set(bad)
                assert json.loads(bad["error"]["message"])["label"] == "INVALID_SIGNATURE"

                await ws.send(json.dumps(gate_sub(KEY, SECRET, t - 120)))
                old = await recv_json(ws)
                assert old["error"]["code"] == 4 and json.loads(old["error"]["message"])["label"] == "REQUEST_EXPIRED"

                await ws.send(json.dumps(gate_sub("nope", SECRET, t)))
                assert json.loads((await recv_json(ws))["error"]["message"]) == json.loads(failure["error"]["message"])

                await ws.send(json.dumps({"time": t, "channel": "spot.balances", "event": "subscribe"}))
                assert (await recv_json(ws))["error"]["code"] == 4  # private channel, no auth

                await ws.send(json.dumps({"time": t, "channel": "spot.tickers", "event": "subscribe", "payload": ["BTC_USDT"]}))
                assert (await recv_json(ws))["result"] == {"status": "success"}  # public

                await ws.send(json.dumps({"time": t, "channel": "spot.ping"}))
                assert (await recv_json(ws))["channel"] == "spot.pong"
            assert fake.auth_ok == 1
        async with start_fake("gate", api_key=KEY, secret=SECRET, market="swap") as fake:
            assert fake.ws_url.endswith("/v4/ws/usdt")
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(gate_sub(KEY, SECRET, now_ms() // 1000, channel="futures.orders")))
                assert (await recv_json(ws))["result"] == {"status": "success"}

    run(go())


def test_krakenfutures_challenge_flow() -> None:
    async def go() -> None:
        async with start_fake("krakenfutures", api_key=KEY, secret=B64_SECRET) as fake:
            assert fake.ws_url.endswith("/ws/v1")
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps({"event": "challenge", "api_key": "nope"}))
                assert (await recv_json(ws))["event"] == "error"
                await ws.send("not json")
                assert await recv_json(ws) == reply_fixture("krakenfutures")["failure"][0]["frame"]
                await ws.send(json.dumps({"event": "challenge", "api_key": KEY}))
                challenge = (await recv_json(ws))["message"]
                uuid.UUID(challenge)

                await ws.send(json.dumps(kf_sub(KEY, WRONG_B64_SECRET, challenge)))
                assert await recv_json(ws) == reply_fixture("krakenfutures")["failure"][1]["frame"]
                await ws.send(json.dumps(kf_sub(KEY, B64_SECRET, str(uuid.uuid4()))))  # never issued
                assert (await recv_json(ws))["event"] == "alert"

                good = kf_sub(KEY, B64_SECRET, challenge)
                await ws.send(json.dumps(good))
                ok = await recv_json(ws)
                assert ok["event"] == "subscribed" and ok["original_challenge"] == challenge
                assert set(ok) == set(reply_fixture("krakenfutures")["success"][1]["frame"])
                await ws.send(json.dumps({"event": "subscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]}))
                assert (await recv_json(ws))["event"] == "subscribed"
            async with ws_connect(fake.ws_url) as ws:  # the pair is reusable, state per fake
                await ws.send(json.dumps(kf_sub(KEY, B64_SECRET, challenge, feed="fills")))
                assert (await recv_json(ws))["event"] == "subscribed"
            assert fake.auth_ok == 2
            assert good["signed_challenge"] in fake.signatures

    run(go())


def test_kraken_secrets_must_be_base64() -> None:
    for kind in ("kraken", "krakenfutures"):
        with pytest.raises(ValueError):
            KINDS[kind](KEY, "not base64!")


# ============================================================ generic checks


@pytest.mark.parametrize("kind", WS_KINDS)
def test_wrong_secret_is_rejected_and_right_one_accepted(kind: str) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind)) as fake:
            async with ws_connect(fake.ws_url) as ws:
                verdict = await full_auth(kind, fake, ws, wrong_secret_for(kind))
                assert not is_success(kind, verdict), verdict
            assert fake.auth_ok == 0
            async with ws_connect(fake.ws_url) as ws:
                verdict = await full_auth(kind, fake, ws, secret_for(kind))
                assert is_success(kind, verdict), verdict
            assert fake.auth_ok == 1 and fake.connections == 2
            assert fake.signatures

    run(go())


@pytest.mark.parametrize("kind", WS_KINDS)
def test_silent_auth(kind: str) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), silent_auth=True) as fake:
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(await auth_frame(kind, fake, secret_for(kind))))
                await assert_silent(ws)
            assert fake.auth_ok == 0 and len(fake.seen) == 1

    run(go())


@pytest.mark.parametrize("mode", [True, 4001, "abort"])
@pytest.mark.parametrize("kind", WS_KINDS)
def test_close_during_auth(kind: str, mode: Any) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), close_during_auth=mode) as fake:
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(await auth_frame(kind, fake, secret_for(kind))))
                with pytest.raises(ConnectionClosed) as closed:
                    await recv(ws)
                if mode == "abort":
                    assert closed.value.rcvd is None  # no close frame
                else:
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == (1000 if mode is True else mode)
            assert fake.auth_ok == 0

    run(go())


JUNK = [b"", "", "not json", b"\x00\x01"]
HEARTBEAT = {
    "bybit": {"req_id": "hb", "op": "pong", "args": ["1675418560633"], "conn_id": "x"},
    "deribit": {"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}},
    "bitfinex": [1231, "hb"],
    "gate": {"time": 1, "channel": "spot.pong", "event": "", "result": None},
    "kraken": {"channel": "heartbeat"},
    "krakenfutures": {"feed": "heartbeat", "time": 1791518718452},
    "binanceusdm": {"e": "ORDER_TRADE_UPDATE", "E": 2, "T": 2, "o": {"s": "BTCUSDT"}},
}


@pytest.mark.parametrize("kind", WS_KINDS)
def test_before_verdict(kind: str) -> None:
    extra = [*JUNK, HEARTBEAT[kind]]

    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), before_verdict=extra) as fake:
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(await auth_frame(kind, fake, secret_for(kind))))
                got = [await recv(ws) for _ in extra]
                assert got[:4] == JUNK and json.loads(got[4]) == HEARTBEAT[kind]
                verdict = await recv_json(ws)
                if kind == "krakenfutures":  # junk precedes the challenge and the verdict
                    await ws.send(json.dumps(kf_sub(KEY, B64_SECRET, verdict["message"])))
                    assert [await recv(ws) for _ in extra][:4] == JUNK
                    verdict = await recv_json(ws)
                assert is_success(kind, verdict), verdict
            assert fake.auth_ok == 1

    run(go())


@pytest.mark.parametrize("kind", ["bybit", "bitfinex", "gate", "krakenfutures"])
def test_session_ttl_closes_connection(kind: str) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), session_ttl_s=0.2) as fake:
            async with ws_connect(fake.ws_url) as ws:
                started = time.monotonic()
                assert is_success(kind, await full_auth(kind, fake, ws, secret_for(kind)))
                await asyncio.wait_for(ws.wait_closed(), 2)
                assert time.monotonic() - started >= 0.15
                assert ws.close_code == 1000 and ws.close_reason == "session expired"
            if kind == "krakenfutures":  # the challenge went stale with the session
                async with ws_connect(fake.ws_url) as ws:
                    await ws.send(json.dumps(kf_sub(KEY, B64_SECRET, next(iter(fake.challenges)))))
                    assert (await recv_json(ws))["event"] == "alert"

    run(go())


def test_unauthenticated_connection_is_not_closed_by_ttl() -> None:
    async def go() -> None:
        async with start_fake("bybit", api_key=KEY, secret=SECRET, session_ttl_s=0.1) as fake:
            async with ws_connect(fake.ws_url) as ws:
                await asyncio.sleep(0.25)
                await ws.send(json.dumps({"op": "ping"}))
                assert (await recv_json(ws))["op"] == "pong"

    run(go())


def test_deribit_session_ttl_states_expires_in() -> None:
    async def go() -> None:
        async with start_fake("deribit", api_key=KEY, secret=SECRET, session_ttl_s=5) as fake:
            async with ws_connect(fake.ws_url) as ws:
                ok = await full_auth("deribit", fake, ws, SECRET)
                assert ok["result"]["expires_in"] == 5 and isinstance(ok["result"]["expires_in"], int)
        async with start_fake("deribit", api_key=KEY, secret=SECRET, session_ttl_s=0.2) as fake:
            async with ws_connect(fake.ws_url) as ws:
                ok = await full_auth("deribit", fake, ws, SECRET)
                assert ok["result"]["expires_in"] == 0.2
                sub = {"jsonrpc": "2.0", "id": 3, "method": "private/subscribe", "params": {"channels": ["user.orders.any.any.raw"]}}
                await ws.send(json.dumps(sub))
                assert "result" in await recv_json(ws)
                await asyncio.sleep(0.3)
                await ws.send(json.dumps(sub))
                assert (await recv_json(ws))["error"]["code"] == 13009  # socket open, auth lapsed

    run(go())


def test_binanceusdm_session_ttl_expires_listen_key() -> None:
    async def go() -> None:
        async with start_fake("binanceusdm", api_key=KEY, session_ttl_s=0.2) as fake:
            key = await listen_key(fake)
            async with ws_connect(f"{fake.ws_url}?listenKey={key}") as ws:
                event = await recv_json(ws, timeout=2)
                assert event["e"] == "listenKeyExpired" and event["listenKey"] == key
                assert isinstance(event["E"], int)
            with pytest.raises(InvalidStatus):
                async with ws_connect(f"{fake.ws_url}?listenKey={key}"):
                    pass
            # A keep-alive extends it.
            key2 = await listen_key(fake)
            assert key2 != key
            async with http() as client:
                for _ in range(3):
                    await asyncio.sleep(0.1)
                    r = await client.put(fake.rest_url, headers={"X-MBX-APIKEY": KEY})
                    assert r.status_code == 200
            async with ws_connect(f"{fake.ws_url}?listenKey={key2}"):
                pass

    run(go())


def test_binanceusdm_refuse_keepalive() -> None:
    async def go() -> None:
        async with start_fake("binanceusdm", api_key=KEY, refuse_keepalive=True) as fake:
            key = await listen_key(fake)
            async with ws_connect(f"{fake.ws_url}?listenKey={key}") as ws:
                async with http() as client:
                    r = await client.put(fake.rest_url, headers={"X-MBX-APIKEY": KEY})
                assert r.status_code == 400
                assert r.json() == {"code": -1125, "msg": "This listenKey does not exist."}
                await assert_silent(ws, 0.1)  # no event; the socket stays open
            with pytest.raises(InvalidStatus):
                async with ws_connect(f"{fake.ws_url}?listenKey={key}"):
                    pass
            assert await listen_key(fake) != key

    run(go())


@pytest.mark.parametrize("status", [401, 410, 429, 503])
@pytest.mark.parametrize("kind", ["binanceusdm", "kraken"])
def test_rest_status(kind: str, status: int) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), rest_status=status) as fake:
            headers, body = kraken_headers(KEY, B64_SECRET, "/0/private/GetWebSocketsToken", next_bfx_nonce())
            headers["X-MBX-APIKEY"] = KEY
            async with http() as client:
                r = await client.post(fake.rest_url, headers=headers, content=body)
            assert r.status_code == status
            payload = r.json()
            if kind == "binanceusdm":
                assert isinstance(payload["code"], int) and payload["code"] < 0 and payload["msg"]
                if status == 401:
                    assert payload["code"] == -2015
            else:
                assert isinstance(payload["error"], list) and payload["error"][0].startswith("E")
            assert fake.signatures == ([] if kind == "binanceusdm" else fake.signatures)
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), rest_status=status, rest_body={"x": 1}) as fake:
            async with http() as client:
                r = await client.post(fake.rest_url, headers=headers, content=body)
            assert r.status_code == status and r.json() == {"x": 1}

    run(go())


@pytest.mark.parametrize(
    "kind,knob",
    [("binanceusdm", "silent_auth"), ("binanceusdm", "close_during_auth"), ("kraken", "rest_silent"), ("kraken", "rest_close"), ("binanceusdm", "rest_close")],
)
def test_rest_silent_and_close(kind: str, knob: str) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), **{knob: True}) as fake:
            headers, body = kraken_headers(KEY, B64_SECRET, "/0/private/GetWebSocketsToken", next_bfx_nonce())
            headers["X-MBX-APIKEY"] = KEY
            async with httpx.AsyncClient(trust_env=False, timeout=0.3) as client:
                if "silent" in knob:
                    with pytest.raises(httpx.ReadTimeout):
                        await client.post(fake.rest_url, headers=headers, content=body)
                else:
                    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                        await client.post(fake.rest_url, headers=headers, content=body)
            assert len(fake.rest_seen) == 1

    run(go())


def test_binanceusdm_before_verdict_on_handshake() -> None:
    extra = [*JUNK, HEARTBEAT["binanceusdm"]]

    async def go() -> None:
        async with start_fake("binanceusdm", api_key=KEY, before_verdict=extra) as fake:
            key = await listen_key(fake)
            async with ws_connect(f"{fake.ws_url}?listenKey={key}") as ws:
                got = [await recv(ws) for _ in extra]
                assert got[:4] == JUNK and json.loads(got[4]) == HEARTBEAT["binanceusdm"]

    run(go())


@pytest.mark.parametrize("kind", WS_KINDS)
def test_push_drop_and_reconnect(kind: str) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind)) as fake:
            async with ws_connect(fake.ws_url) as a, ws_connect(fake.ws_url) as b:
                assert await fake.push({"hello": 1}) == 2
                await fake.push("text")
                await fake.push(b"\x01")
                for ws in (a, b):
                    assert [await recv(ws) for _ in range(3)] == ['{"hello":1}', "text", b"\x01"]
                assert is_success(kind, await full_auth(kind, fake, a, secret_for(kind)))
                assert await fake.drop() == 2
                for ws in (a, b):
                    with pytest.raises(ConnectionClosed) as closed:
                        await recv(ws)
                    assert closed.value.rcvd is None  # abrupt: no close frame
            assert await fake.push({"nobody": True}) == 0
            async with ws_connect(fake.ws_url) as c:
                assert is_success(kind, await full_auth(kind, fake, c, secret_for(kind)))
            assert fake.connections == 3
            expected = 4 if kind == "krakenfutures" else 2  # challenge + subscribe, twice
            assert len(fake.seen) == expected

    run(go())


@pytest.mark.parametrize("kind", ["bitfinex", "kraken", "krakenfutures"])
def test_greeting(kind: str) -> None:
    async def go() -> None:
        async with start_fake(kind, api_key=KEY, secret=secret_for(kind), greeting=True) as fake:
            async with ws_connect(fake.ws_url) as ws:
                first = await recv_json(ws)
                assert first.get("event") == "info" or first.get("channel") == "status"

    run(go())


def test_clock_offset_is_the_fakes_clock() -> None:
    async def go() -> None:
        async with start_fake("gate", api_key=KEY, secret=SECRET, clock_offset_ms=3_600_000) as fake:
            async with ws_connect(fake.ws_url) as ws:
                await ws.send(json.dumps(gate_sub(KEY, SECRET, now_ms() // 1000)))
                assert (await recv_json(ws))["error"]["code"] == 4
                await ws.send(json.dumps(gate_sub(KEY, SECRET, now_ms() // 1000 + 3600)))
                assert (await recv_json(ws))["result"] == {"status": "success"}

    run(go())


def test_unknown_path_and_knobs_are_refused() -> None:
    async def go() -> None:
        async with start_fake("bybit") as fake:
            with pytest.raises(InvalidStatus) as refused:
                async with ws_connect(fake.ws_url.replace("/v5/private", "/elsewhere")):
                    pass
            assert refused.value.response.status_code == 404
            with pytest.raises(NotImplementedError):
                fake.expire_listen_key()

    run(go())
    with pytest.raises(TypeError):
        KINDS["bybit"](KEY, SECRET, refuse_keepalive=True)
    with pytest.raises(TypeError):
        KINDS["gate"](KEY, SECRET, rest_status=401)
    with pytest.raises(TypeError):
        KINDS["deribit"](KEY, SECRET, no_such_knob=1)


def test_everything_is_loopback_and_shut_down() -> None:
    before = threading.active_count()

    async def go() -> None:
        baseline = asyncio.all_tasks()
        for kind in KINDS:
            async with start_fake(kind, api_key=KEY, secret=secret_for(kind), password="pass") as fake:
                assert fake.ws_url.startswith("ws://127.0.0.1:")
                assert fake._ws_server is not None
                assert {s.getsockname()[0] for s in fake._ws_server.sockets} == {"127.0.0.1"}
                url = fake.ws_url
                headers = None
                if kind == "weex":
                    headers = weex_headers(KEY, SECRET, "pass", now_ms())  # the passphrase the fake was given
                elif kind == "hollaex":
                    url = hollaex_url(fake.ws_url, KEY, SECRET, now_ms() // 1000 + 10)
                elif kind == "gemini":
                    headers = gemini_headers(KEY, SECRET, now_ms())
                elif kind == "bullish":
                    headers = {"Cookie": f"JWT_COOKIE={await bullish_token(fake, KEY, SECRET)}"}
                elif kind == "cookielogin":
                    headers = await cookie_session(fake, KEY, SECRET)
                elif kind == "grvt":
                    headers = await grvt_session(fake)
                elif kind == "aster":
                    url = f"{fake.ws_url}/{await aster_listen_key(fake)}"
                if fake.rest_url is not None:
                    assert fake.rest_url.startswith("http://127.0.0.1:")
                    assert fake._http is not None and fake._http.server_address[0] == "127.0.0.1"
                    assert threading.active_count() > before
                    if kind in ("binanceusdm", "bingx"):
                        url = f"{fake.ws_url}?listenKey={await listen_key(fake)}"
                    if kind == "binanceus":
                        url = f"{fake.ws_url}/{await listen_key(fake)}"
                    if kind == "kucoin":
                        url = f"{fake.ws_url}?token={(await kucoin_bullet(fake, now_ms())).json()['data']['token']}"
                # Leave a connection open: the fake must close it on exit.
                ws = await connect(url, additional_headers=headers, proxy=None, open_timeout=3, close_timeout=1)
                await ws.send("ping")
            await asyncio.wait_for(ws.wait_closed(), 2)
        # A REST request told to hang is released when the fake stops.
        async with start_fake("kraken", api_key=KEY, secret=B64_SECRET, rest_silent=True) as fake:
            client = httpx.AsyncClient(trust_env=False, timeout=5)
            pending = asyncio.ensure_future(client.post(fake.rest_url, content="nonce=1"))
            await asyncio.sleep(0.1)
        with pytest.raises(httpx.HTTPError):
            await pending
        await client.aclose()
        assert not asyncio.all_tasks() - baseline

    run(go())
    assert threading.active_count() == before


# ========================================================== handshake kinds


PASSPHRASE = "test-passphrase-1"


@pytest.mark.parametrize("name", [n for p in ("weex-spot", "weex-swap", "hollaex") for n in _fixture_names(p)])
def test_ccxt_recorded_handshakes_are_accepted(name: str) -> None:
    """ccxt's signed handshake headers / URL, at ccxt's recorded clock."""
    fx = fixture(name)
    creds = fx["credentials"]
    kind = name.split("-")[0]

    async def go() -> None:
        async with start_fake(kind, api_key=creds["api_key"], secret=creds["secret"], password=creds["password"],
                              clock_offset_ms=fx["used"]["now_ms"] - now_ms()) as fake:
            path = "/v3/ws/private" if kind == "weex" else "/stream"
            url = fake.ws_url.replace(path, "") + fx["ws_url"].split(".com", 1)[1]
            async with connect(url, additional_headers=fx["ws_headers"], proxy=None, open_timeout=3) as ws:
                await ws.send(json.dumps(fx["subscribe_frames"][0]))
                if kind == "weex":
                    assert (await recv_json(ws))["result"] is True
                else:
                    await assert_silent(ws)  # a private topic on an authenticated socket: data, no error
            assert fake.auth_ok == 1

    run(go())


def test_weex_refuses_bad_headers_on_the_handshake() -> None:
    async def go() -> None:
        async with start_fake("weex", api_key=KEY, secret=SECRET, password=PASSPHRASE) as fake:
            good = weex_headers(KEY, SECRET, PASSPHRASE, now_ms())
            cases = {
                "-1040": {k: v for k, v in good.items() if k != "ACCESS-KEY"},
                "-1046": weex_headers(KEY, SECRET, PASSPHRASE, now_ms() - 60_000),  # stale
                "-1044": weex_headers("other-key", SECRET, PASSPHRASE, now_ms()),
                "-1049": weex_headers(KEY, SECRET, "other-passphrase", now_ms()),
                "-1047": weex_headers(KEY, "wrong-secret", PASSPHRASE, now_ms()),
            }
            for code, headers in cases.items():
                with pytest.raises(InvalidStatus) as refused:
                    async with connect(fake.ws_url, additional_headers=headers, proxy=None, open_timeout=3):
                        pass
                assert refused.value.response.status_code == 401
                assert json.loads(refused.value.response.body)["code"] == code
            assert fake.connections == 0 and fake.auth_ok == 0
            async with connect(fake.ws_url, additional_headers=good, proxy=None, open_timeout=3) as ws:
                await ws.send(json.dumps({"id": "1", "method": "PING"}))
                assert await recv_json(ws) == {"id": "1", "method": "PONG"}
            assert fake.auth_ok == 1

    run(go())


def test_hollaex_refuses_a_bad_signed_url_and_keeps_public_sockets_public() -> None:
    async def go() -> None:
        async with start_fake("hollaex", api_key=KEY, secret=SECRET) as fake:
            soon = now_ms() // 1000 + 10
            cases = {
                "Access Token Expired": hollaex_url(fake.ws_url, KEY, SECRET, now_ms() // 1000 - 1),
                "Invalid API Key": hollaex_url(fake.ws_url, "other-key", SECRET, soon),
                "Invalid Signature": hollaex_url(fake.ws_url, KEY, "wrong-secret", soon),
                "Missing authentication parameters": f"{fake.ws_url}?api-key={KEY}&api-expires={soon}",
            }
            for message, url in cases.items():
                with pytest.raises(InvalidStatus) as refused:
                    async with ws_connect(url):
                        pass
                assert refused.value.response.status_code == 403
                assert json.loads(refused.value.response.body) == {"message": message}
            async with ws_connect(fake.ws_url) as ws:  # public: private topics are refused
                await ws.send(json.dumps({"op": "subscribe", "args": ["order"]}))
                assert await recv_json(ws) == reply_fixture("hollaex")["failure"][0]["frame"]
            async with ws_connect(hollaex_url(fake.ws_url, KEY, SECRET, soon)) as ws:
                await ws.send(json.dumps({"op": "subscribe", "args": ["order"]}))
                await assert_silent(ws)
            assert fake.auth_ok == 1

    run(go())



@pytest.mark.parametrize("name", _fixture_names("bullish"))
def test_ccxt_recorded_bullish_login_and_cookie_are_accepted(name: str) -> None:
    fx = fixture(name)
    creds = fx["credentials"]

    async def go() -> None:
        async with start_fake("bullish", api_key=creds["api_key"], secret=creds["secret"],
                              clock_offset_ms=fx["used"]["now_ms"] - now_ms()) as fake:
            rest = fx["rest"][0]
            async with http() as client:
                r = await client.get(fake.rest_url, headers=rest["headers"])
            assert r.status_code == 200, r.text
            token = r.json()["token"]
            headers = {"Cookie": fx["ws_headers"]["Cookie"].replace(fx["used"]["token"], token)}
            async with connect(fake.ws_url, additional_headers=headers, proxy=None, open_timeout=3) as ws:
                await ws.send(json.dumps(fx["subscribe_frames"][0]))
                assert (await recv_json(ws))["result"] == {"message": "Successfully subscribed"}
            assert fake.auth_ok == 1

    run(go())


def test_bullish_refuses_bad_logins_and_cookies() -> None:
    async def go() -> None:
        async with start_fake("bullish", api_key=KEY, secret=SECRET) as fake:
            now = now_ms()
            cases = {
                "Invalid public key": bullish_login_headers("other", SECRET, now, now * 1000),
                "Request timestamp is outside the accepted window": bullish_login_headers(KEY, SECRET, now - 60_000, now * 1000),
                "Invalid signature": bullish_login_headers(KEY, "wrong-secret", now, now * 1000),
            }
            async with http() as client:
                for message, headers in cases.items():
                    r = await client.get(fake.rest_url, headers=headers)
                    assert r.status_code == 401 and r.json()["message"] == message
                ok = await client.get(fake.rest_url, headers=bullish_login_headers(KEY, SECRET, now, now * 1000 + 5))
                assert ok.status_code == 200
                replay = await client.get(fake.rest_url, headers=bullish_login_headers(KEY, SECRET, now, now * 1000 + 5))
                assert replay.status_code == 401 and replay.json()["errorCodeName"] == "INVALID_NONCE"
            for cookie in ({}, {"Cookie": "JWT_COOKIE=not-issued"}):
                with pytest.raises(InvalidStatus) as refused:
                    async with connect(fake.ws_url, additional_headers=cookie, proxy=None, open_timeout=3):
                        pass
                assert refused.value.response.status_code == 401
            assert fake.connections == 0
            cookie = {"Cookie": f"JWT_COOKIE={ok.json()['token']}"}
            async with connect(fake.ws_url, additional_headers=cookie, proxy=None, open_timeout=3):
                pass
            assert fake.auth_ok == 1

    run(go())


def test_gemini_accepts_increasing_nonces_and_refuses_a_reused_one_or_a_bad_signature() -> None:
    async def go() -> None:
        async with start_fake("gemini", api_key=KEY, secret=SECRET) as fake:
            first = await connect(fake.ws_url, additional_headers=gemini_headers(KEY, SECRET, 1000), proxy=None)
            assert json.loads(await first.recv())["type"] == "subscription_ack"
            await first.close()
            for headers in (gemini_headers(KEY, SECRET, 1000), gemini_headers(KEY, "wrong-secret", 2000)):
                with pytest.raises(InvalidStatus) as refused:
                    await connect(fake.ws_url, additional_headers=headers, proxy=None)
                assert refused.value.response.status_code == 400
            assert fake.refusals == {"InvalidNonce": 1, "InvalidSignature": 1} and fake.auth_ok == 1
            second = await connect(fake.ws_url, additional_headers=gemini_headers(KEY, SECRET, 1001), proxy=None)
            await second.close()
            assert fake.auth_ok == 2

    run(go())
