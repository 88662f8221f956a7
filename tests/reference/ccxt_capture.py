"""Capture what ccxt (4.5.90, ccxt.pro async classes) sends to authenticate a
private WebSocket stream, with every source of time/randomness frozen and every
network edge replaced by an in-memory fake.

This module is the *independent reference* for wsauth: it runs ccxt's own
authentication code unmodified and records

* the REST calls ccxt makes (method, full url, headers, body - exactly the
  arguments ccxt passes to ``Exchange.fetch``),
* the WebSocket url ccxt opens and the handshake headers it passes,
* the auth frames ccxt sends after connecting, and
* the private subscribe frame(s) ccxt sends afterwards.

Nothing ccxt sends is filtered: broker ids, stray fields and the like are kept
verbatim (the comparison test excludes them by an explicit list).

What is patched (only for the duration of one ``capture`` call):

* ``Exchange.milliseconds/seconds/microseconds`` -> frozen at ``now_ms``;
  ``uuid/uuid16/uuid22/uuidv1/random_bytes/rand_number`` -> deterministic and
  recorded; ``nonce()`` -> ``nonce`` when given (else ccxt's own nonce() on the
  frozen clock); request-id counters seeded so that ccxt's own ``request_id()``
  yields ``request_id`` first.
* ``Client.create_connection`` -> an in-memory WebSocket whose "server" answers
  auth frames with canned success replies (krakenfutures: the challenge).
* ``Exchange.fetch`` (per instance) -> recorder with canned replies.
* ``socket`` connect / DNS -> raise, so nothing can reach the network.

CLI::

    python -m tests.reference.ccxt_capture --write   # (re)write tests/fixtures/ccxt/*.json
    python -m tests.reference.ccxt_capture --check   # re-capture, exit 1 on any difference
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import aiohttp

import ccxt  # type: ignore[import-untyped]
import ccxt.pro  # type: ignore[import-untyped]
from ccxt.async_support.base.exchange import Exchange as _AsyncExchange  # type: ignore[import-untyped]
from ccxt.async_support.base.ws.client import Client as _WsClient  # type: ignore[import-untyped]

CCXT_VERSION = "4.5.90"

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "ccxt"


class CaptureError(RuntimeError):
    pass


class NetworkBlocked(RuntimeError):
    pass


# --------------------------------------------------------------------------
# credentials / clocks used by the scenario matrix
# --------------------------------------------------------------------------

CLOCKS_MS = (1767225600123, 1790000000987)

# base64 secrets (64 random-looking bytes each) for exchanges that decode the
# secret: kraken, krakenfutures, coinbaseexchange
_B64_SECRET_A = "cXsEn8S+9LYwfRwY/vZ+Me6yG5Hqw8P/A8sFo5e6pAQu0vvsb/y3994qVvxLzPgEg11NMzIDiYgaKHKIUXp6sw=="
_B64_SECRET_B = "KB0gj9qzvj1y2bNel+GYJSe+4rUkEaz0C0mPLJJ/ZGlqrCC8X2UFjyL/S7Rfvt1JMFMVRvMi4WBF95J0RKKH3A=="

CREDENTIALS = {
    "A": {
        "api_key": "key-A-9rFT6uR4uz9Imkw4Wx",
        "secret": "secret-A-Bz7tQ1xN4mK8pR2vW6yC3dF5gH9jL0aS",
        "password": "pass-A-Xq3Lm9Tz",
        "uid": "10000001",
    },
    "B": {
        "api_key": "key-B-ZdE41pQ7wN2sK9vYhM3cR8",
        "secret": "secret-B-Ua6eP0rT3yH7kJ1nQ5mX9bV2cZ8fL4wG",
        "password": "pass-B-Rk5Wn2Ha",
        "uid": "20000002",
    },
}
# HMAC secrets of at most 32 characters, for exchanges that take a longer
# secret for an RSA key (lbank)
CREDENTIALS_SHORT = {
    "A": dict(CREDENTIALS["A"], secret="hmacA7tQ1xN4mK8pR2vW6yC3dF5gH9jL"),
    "B": dict(CREDENTIALS["B"], secret="hmacB6eP0rT3yH7kJ1nQ5mX9bV2cZ8fL"),
}
# Fixed test keys (tests/fixtures/keys/keys.json: generated once, committed).
KEYS = json.loads((REPO_ROOT / "tests" / "fixtures" / "keys" / "keys.json").read_text(encoding="utf-8"))["keys"]


def base58(raw: bytes) -> str:
    """Bitcoin's base58 alphabet, as Orderly writes its keys."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = alphabet[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def private_key(set_name: str, kind: str) -> str:
    """One test key of set A or B, in the form an exchange issues it."""
    keys = KEYS[set_name]
    if kind == "ed25519_seed_base64":  # Backpack: the 32-byte seed, base64
        return base64.b64encode(bytes.fromhex(keys["ed25519_seed_hex"])).decode()
    if kind == "ed25519_seed_base58":  # Orderly: "ed25519:" and the 32-byte seed in base58
        return "ed25519:" + base58(bytes.fromhex(keys["ed25519_seed_hex"]))
    if kind == "ed25519_seed_public_base64":  # Coinbase CDP: seed then public key, base64 (88 characters)
        from cryptography.hazmat.primitives.asymmetric import ed25519

        seed = bytes.fromhex(keys["ed25519_seed_hex"])
        public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
        return base64.b64encode(seed + public).decode()
    return keys[kind]


CREDENTIALS_B64 = {
    "A": dict(CREDENTIALS["A"], secret=_B64_SECRET_A),
    "B": dict(CREDENTIALS["B"], secret=_B64_SECRET_B),
}


# --------------------------------------------------------------------------
# fake WebSocket
# --------------------------------------------------------------------------


class FakeWebSocket:
    """Stands in for aiohttp's ClientWebSocketResponse inside ccxt's Client."""

    _conn = None  # ccxt's Client.buffer property probes connection._conn

    def __init__(self, session: "_Session", client: _WsClient):
        self._session = session
        self._client = client
        self._queue: asyncio.Queue = asyncio.Queue()
        self.closed = False

    async def send_str(self, data: str) -> None:
        if self.closed:
            raise ConnectionError("fake websocket closed")
        self._session.on_frame(self, data)

    def push(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
        self._queue.put_nowait(aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, text, None))

    async def receive(self):
        return await self._queue.get()

    async def ping(self, *args, **kwargs):
        return None

    async def pong(self, *args, **kwargs):
        return None

    async def close(self, *args, **kwargs):
        self.closed = True
        return True


# --------------------------------------------------------------------------
# entry specifications
# --------------------------------------------------------------------------


def _market(mid: str, symbol: str, mtype: str = "spot", **extra: Any) -> dict:
    base, rest = symbol.split("/")
    quote, _, settle = rest.partition(":")
    contract = mtype in ("swap", "future")
    m = {
        "id": mid,
        "lowercaseId": mid.lower(),
        "symbol": symbol,
        "base": base,
        "quote": quote,
        "settle": settle or None,
        "baseId": base,
        "quoteId": quote,
        "settleId": settle or None,
        "type": mtype,
        "spot": mtype == "spot",
        "margin": False,
        "swap": mtype == "swap",
        "future": mtype == "future",
        "option": False,
        "contract": contract,
        "linear": (settle == quote) if contract else None,
        "inverse": (settle == base) if contract else None,
        "contractSize": 1 if contract else None,
        "active": True,
        "precision": {"amount": 0.0001, "price": 0.01},
        "limits": {},
        "info": {},
    }
    m.update(extra)
    return m


@dataclass
class Entry:
    """How to drive one catalogue entry through ccxt's private-stream auth."""

    entry: str
    ccxt_id: str
    market_type: str | None
    run: Callable[[Any], Any]  # ex -> coroutine (the watch call)
    classify: Callable[[Any], str]  # sent frame -> 'auth' | 'subscribe'
    channel: str | None
    symbols: list[str] = field(default_factory=list)
    markets: list[dict] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    reply: Callable[[Any, "_Session"], list] = lambda frame, s: []
    rest: Callable[[str, str, Any, Any, "_Session"], Any] | None = None
    seed_request_id: Callable[[Any, int], None] | None = None
    uses_nonce: bool = False  # scenario supplies an explicit nonce
    uses_request_id: bool = False
    uses_token: bool = False
    uses_challenge: bool = False
    # a request id ccxt hard-codes instead of drawing from a counter
    fixed_request_id: str | None = None
    base64_secret: bool = False
    # the nonce ccxt signs is its uuid() draw (Bitstamp's X-Auth-Nonce, Upbit's and Bithumb's JWT claim)
    nonce_is_uuid: bool = False
    # how many uuid() draws, joined, make that nonce (LBank's echostr: uuid22() + uuid16())
    nonce_uuid_draws: int = 1
    short_secret: bool = False
    # the key in tests/fixtures/keys/keys.json (see private_key()) that ccxt
    # gets as its secret and our module as credentials.private_key
    private_key: str | None = None
    # the frames carry ccxt's random_bytes(16) as a nonce (a JWT header's)
    random_nonce: bool = False
    # the constructor setting ccxt reads the account id (Credentials.uid) from
    uid_key: str = "uid"
    # a private-key entry that also needs the account id (Credentials.uid)
    with_uid: bool = False
    # how the exchange names an API key, from the plain test key (Coinbase CDP)
    cdp_key_name: Callable[[str], str] | None = None
    # credential sets A and B of a shape of their own (replacing CREDENTIALS)
    own_credentials: dict[str, dict[str, str]] | None = None
    # other constructor settings ccxt insists on although the WS auth never reads them
    config: dict = field(default_factory=dict)
    expect_auth: int = 0
    expect_subscribe: int = 0


def _op(key: str, auth_values: tuple) -> Callable[[Any], str]:
    def classify(frame: Any) -> str:
        value = frame.get(key) if isinstance(frame, dict) else None
        return "auth" if value in auth_values else "subscribe"

    return classify


def _all_subscribe(frame: Any) -> str:
    return "subscribe"


def _all_auth(frame: Any) -> str:
    return "auth"


def _seed_options(key: str):
    def seed(ex, rid: int) -> None:
        ex.options[key] = rid - 1

    return seed


# --- bybit family -----------------------------------------------------------

_BTCUSDT = _market("BTCUSDT", "BTC/USDT")


def _bybit(entry: str) -> Entry:
    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("op", ("auth",)),
        channel="wallet",
        markets=[_BTCUSDT],
        # avoid the two signed REST look-ups isUnifiedEnabled() would make
        # (they are account-info queries, not part of the WS auth): declare a
        # unified trading account up front.
        options={"enableUnifiedMargin": False, "enableUnifiedAccount": True},
        reply=lambda f, s: [{"success": True, "ret_msg": "", "op": "auth", "conn_id": "capture-conn"}]
        if f.get("op") == "auth" else [],
        seed_request_id=_seed_options("requestId"),
        uses_request_id=True,
        expect_auth=1,
        expect_subscribe=1,
    )


# --- okx family / bitget ----------------------------------------------------


def _okx(entry: str) -> Entry:
    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("op", ("login",)),
        channel="account",
        markets=[_market("BTC-USDT", "BTC/USDT")],
        reply=lambda f, s: [{"event": "login", "code": "0", "msg": "", "connId": "capture"}]
        if f.get("op") == "login" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _bitget() -> Entry:
    return Entry(
        entry="bitget",
        ccxt_id="bitget",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("op", ("login",)),
        channel="account",
        markets=[_market("BTCUSDT", "BTC/USDT")],
        reply=lambda f, s: [{"event": "login", "code": 0}] if f.get("op") == "login" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


# --- deribit -----------------------------------------------------------------


def _deribit() -> Entry:
    def reply(f, s):
        if f.get("method") == "public/auth":
            return [{
                "jsonrpc": "2.0",
                "id": f.get("id"),
                "result": {
                    "token_type": "bearer",
                    "scope": "connection mainaccount",
                    "refresh_token": "capture-refresh-token",
                    "expires_in": 31536000,
                    "access_token": "capture-access-token",
                },
                "usIn": s.now_ms * 1000,
                "usOut": s.now_ms * 1000 + 1,
                "usDiff": 1,
                "testnet": False,
            }]
        return []

    return Entry(
        entry="deribit",
        ccxt_id="deribit",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_op("method", ("public/auth",)),
        channel="user.orders.any.any.raw",
        markets=[_market("BTC-PERPETUAL", "BTC/USD:BTC", "swap")],
        reply=reply,
        seed_request_id=_seed_options("requestId"),
        uses_request_id=True,
        expect_auth=1,
        expect_subscribe=1,
    )


# --- bitfinex ----------------------------------------------------------------


def _bitfinex() -> Entry:
    return Entry(
        entry="bitfinex",
        ccxt_id="bitfinex",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("event", ("auth",)),
        # bitfinex has no separate private subscribe: a successful `auth`
        # event subscribes the connection to the account channel (chanId 0)
        channel=None,
        markets=[_market("tBTCUST", "BTC/USDT")],
        reply=lambda f, s: [{"event": "auth", "status": "OK", "chanId": 0, "userId": 1, "caps": {}}]
        if f.get("event") == "auth" else [],
        uses_nonce=True,
        expect_auth=1,
        expect_subscribe=0,
    )


# --- htx -------------------------------------------------------------------------


def _htx(market_type: str) -> Entry:
    spot = market_type == "spot"

    def reply(f, s):
        if spot and f.get("action") == "req" and f.get("ch") == "auth":
            return [{"action": "req", "code": 200, "ch": "auth", "data": {}}]
        if not spot and f.get("op") == "auth":
            return [{"op": "auth", "type": "api", "err-code": 0, "ts": s.now_ms, "data": {"user-id": "1"}}]
        return []

    def classify(f):
        if spot:
            return "auth" if f.get("ch") == "auth" else "subscribe"
        return "auth" if f.get("op") == "auth" else "subscribe"

    return Entry(
        entry="htx",
        ccxt_id="htx",
        market_type=market_type,
        run=(lambda ex: ex.watch_orders()) if spot
        else (lambda ex: ex.watch_orders(None, None, None, {"type": "swap", "subType": "linear"})),
        classify=classify,
        channel="orders#*" if spot else "orders",
        markets=[_market("btcusdt", "BTC/USDT"), _market("BTC-USDT", "BTC/USDT:USDT", "swap")],
        reply=reply,
        seed_request_id=_seed_options("requestId"),
        uses_request_id=True,
        expect_auth=1,
        expect_subscribe=1,
    )


# --- gate ------------------------------------------------------------------------


def _gate(market_type: str) -> Entry:
    return Entry(
        entry="gate",
        ccxt_id="gate",
        market_type=market_type,
        run=lambda ex: ex.watch_orders(None, None, None, {"type": market_type}),
        classify=_all_subscribe,  # auth is inline in every private subscribe
        channel="spot.orders" if market_type == "spot" else "futures.orders",
        markets=[_market("BTC_USDT", "BTC/USDT"), _market("BTC_USDT", "BTC/USDT:USDT", "swap")],
        seed_request_id=_seed_options("reqid"),
        uses_request_id=True,
        expect_auth=0,
        expect_subscribe=1,
    )


def _gate_wsapi() -> Entry:
    def reply(f, s):
        if f.get("channel") == "spot.login":
            return [{
                "header": {
                    "response_time": str(s.now_ms),
                    "status": "200",
                    "channel": "spot.login",
                    "event": "api",
                    "client_id": "capture",
                },
                "data": {"result": {"api_key": s.credentials.get("api_key"), "uid": "1"}},
                "request_id": f.get("payload", {}).get("req_id"),
            }]
        return []

    return Entry(
        entry="gate_wsapi",
        ccxt_id="gate",
        market_type=None,
        run=lambda ex: ex.authenticate(ex.urls["api"]["spot"], "spot"),
        classify=_all_auth,
        channel="spot.login",
        markets=[_market("BTC_USDT", "BTC/USDT")],
        reply=reply,
        # ccxt's gate.authenticate() passes requestId='authenticated' to
        # request_private(), so the login's id / req_id are that constant
        fixed_request_id="authenticated",
        expect_auth=1,
        expect_subscribe=0,
    )


# --- coinbase ---------------------------------------------------------------------


def _coinbaseexchange() -> Entry:
    return Entry(
        entry="coinbaseexchange",
        ccxt_id="coinbaseexchange",
        market_type=None,
        run=lambda ex: ex.watch_orders("BTC/USD"),
        classify=_all_subscribe,
        channel="user",
        symbols=["BTC-USD"],
        markets=[_market("BTC-USD", "BTC/USD")],
        base64_secret=True,
        expect_auth=0,
        expect_subscribe=1,
    )


def _coinbase() -> Entry:
    return Entry(
        entry="coinbase",
        ccxt_id="coinbase",
        market_type=None,
        run=lambda ex: ex.watch_orders("BTC/USD"),
        classify=_all_subscribe,
        channel="user",
        symbols=["BTC-USD"],
        markets=[_market("BTC-USD", "BTC/USD")],
        expect_auth=0,
        expect_subscribe=1,
    )


# --- binance ------------------------------------------------------------------------


def _binance_rest(method, url, headers, body, s):
    if url.endswith("/listenKey") or url.endswith("/userDataStream"):
        return {"listenKey": s.token}
    raise CaptureError(f"unexpected REST call {method} {url}")


def _binance(entry: str, market_type: str | None) -> Entry:
    if market_type == "spot":
        def seed(ex, rid):
            ex.options["requestId"][ex.urls["api"]["ws"]["ws-api"]["spot"]] = rid - 1

        def reply(f, s):
            if f.get("method") == "userDataStream.subscribe.signature":
                return [{"id": f.get("id"), "status": 200, "result": {"subscriptionId": 0}}]
            return []

        return Entry(
            entry=entry,
            ccxt_id="binance",
            market_type="spot",
            run=lambda ex: ex.watch_balance({"type": "spot"}),
            classify=_op("method", ("userDataStream.subscribe.signature",)),
            channel=None,
            markets=[_market("BTCUSDT", "BTC/USDT")],
            reply=reply,
            seed_request_id=seed,
            uses_request_id=True,
            expect_auth=1,
            expect_subscribe=0,
        )
    # listen key: REST POST, then the key goes into the URL; no WS frames
    if entry == "binance":
        params = {"type": "swap", "subType": market_type}
    else:
        params = {}
    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=market_type,
        run=lambda ex: ex.watch_balance(dict(params)),
        classify=_all_subscribe,
        channel=None,
        markets=[
            _market("BTCUSDT", "BTC/USDT"),
            _market("BTCUSDT", "BTC/USDT:USDT", "swap"),
            _market("BTCUSD_PERP", "BTC/USD:BTC", "swap"),
        ],
        # watch_balance on futures would otherwise spawn a signed REST positions
        # snapshot (fetch_positions), which is not part of the WS auth
        options={"watchPositions": {"fetchPositionsSnapshot": False}},
        rest=_binance_rest,
        uses_token=True,
        expect_auth=0,
        expect_subscribe=0,
    )


def _binance_margin() -> Entry:
    # the listen token is minted over REST, then subscribed on the WS-API with
    # userDataStream.subscribe.listenToken (ccxt 4.5.90 pro/binance.py
    # ensure_user_data_stream_ws_subscribe_listen_token)
    def rest(method, url, headers, body, s):
        if url.split("?")[0].endswith("/sapi/v1/userListenToken"):
            return {"token": s.token, "expirationTime": s.now_ms + 86_400_000}
        raise CaptureError(f"unexpected REST call {method} {url}")

    def seed(ex, rid):
        ex.options["requestId"][ex.urls["api"]["ws"]["ws-api"]["spot"]] = rid - 1

    def reply(f, s):
        if f.get("method") == "userDataStream.subscribe.listenToken":
            return [{"id": f.get("id"), "status": 200, "result": {"subscriptionId": 0}}]
        return []

    return Entry(
        entry="binance",
        ccxt_id="binance",
        market_type="margin",
        run=lambda ex: ex.watch_balance({"type": "margin"}),
        classify=_op("method", ("userDataStream.subscribe.listenToken",)),
        channel=None,
        markets=[_market("BTCUSDT", "BTC/USDT")],
        # watch_balance would otherwise spawn a signed REST positions snapshot
        options={"watchPositions": {"fetchPositionsSnapshot": False}},
        rest=rest,
        reply=reply,
        seed_request_id=seed,
        uses_request_id=True,
        uses_token=True,
        expect_auth=1,
        expect_subscribe=0,
    )


# --- kraken ---------------------------------------------------------------------------


def _kraken_rest(method, url, headers, body, s):
    if url.endswith("/0/private/GetWebSocketsToken"):
        return {"error": [], "result": {"token": s.token, "expires": 900}}
    raise CaptureError(f"unexpected REST call {method} {url}")


def _kraken() -> Entry:
    return Entry(
        entry="kraken",
        ccxt_id="kraken",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_all_subscribe,
        channel="balances",
        markets=[_market("XXBTZUSD", "BTC/USD", altname="XBTUSD", wsId="XBT/USD")],
        rest=_kraken_rest,
        seed_request_id=_seed_options("reqid"),
        uses_nonce=True,
        uses_request_id=True,
        uses_token=True,
        base64_secret=True,
        expect_auth=0,
        expect_subscribe=1,
    )


def _krakenfutures() -> Entry:
    return Entry(
        entry="krakenfutures",
        ccxt_id="krakenfutures",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_op("event", ("challenge",)),
        channel="open_orders",
        markets=[_market("PF_XBTUSD", "BTC/USD:USD", "swap")],
        reply=lambda f, s: [{"event": "challenge", "message": s.challenge}]
        if f.get("event") == "challenge" else [],
        uses_challenge=True,
        base64_secret=True,
        expect_auth=1,
        expect_subscribe=1,
    )


# --- bitvavo / phemex / cryptocom / hitbtc family ----------------------------


def _bitvavo() -> Entry:
    return Entry(
        entry="bitvavo",
        ccxt_id="bitvavo",
        market_type=None,
        # watch_orders requires a symbol on bitvavo
        run=lambda ex: ex.watch_orders("BTC/EUR"),
        classify=_op("action", ("authenticate",)),
        channel="account",
        symbols=["BTC-EUR"],
        markets=[_market("BTC-EUR", "BTC/EUR")],
        reply=lambda f, s: [{"event": "authenticate", "authenticated": True}]
        if f.get("action") == "authenticate" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _phemex() -> Entry:
    return Entry(
        entry="phemex",
        ccxt_id="phemex",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("method", ("user.auth",)),
        channel="wo.subscribe",
        markets=[_market("sBTCUSDT", "BTC/USDT")],
        reply=lambda f, s: [{"error": None, "id": f.get("id"), "result": {"status": "success"}}]
        if f.get("method") == "user.auth" else [],
        seed_request_id=_seed_options("requestId"),
        uses_request_id=True,
        expect_auth=1,
        expect_subscribe=1,
    )


def _cryptocom() -> Entry:
    return Entry(
        entry="cryptocom",
        ccxt_id="cryptocom",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("method", ("public/auth",)),
        channel="user.balance",
        markets=[_market("BTC_USDT", "BTC/USDT")],
        # the reply's id is the request's id, as a number
        reply=lambda f, s: [{"id": int(f["id"]), "method": "public/auth", "code": 0}]
        if f.get("method") == "public/auth" else [],
        uses_nonce=True,
        expect_auth=1,
        expect_subscribe=1,
    )


def _hitbtc(entry: str) -> Entry:
    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("method", ("login",)),
        channel="spot_balance_subscribe",
        markets=[_market("BTCUSDT", "BTC/USDT")],
        # the login carries no id, so neither does its reply
        reply=lambda f, s: [{"jsonrpc": "2.0", "result": True}] if f.get("method") == "login" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


# --- onetrading / poloniex / cex --------- ------------------------------------


def _onetrading() -> Entry:
    return Entry(
        entry="onetrading",
        ccxt_id="onetrading",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("type", ("AUTHENTICATE",)),
        channel="ACCOUNT_HISTORY",
        markets=[_market("BTC_EUR", "BTC/EUR")],
        reply=lambda f, s: [{"channel_name": "SYSTEM", "type": "AUTHENTICATED", "time": "2026-01-01T00:00:00.000000Z"}]
        if f.get("type") == "AUTHENTICATE" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _poloniex() -> Entry:
    return Entry(
        entry="poloniex",
        ccxt_id="poloniex",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=lambda f: "auth" if isinstance(f, dict) and f.get("channel") == ["auth"] else "subscribe",
        channel="balances",
        markets=[_market("BTC_USDT", "BTC/USDT")],
        # watch_balance would otherwise seed its cache with a signed REST
        # fetch_balance, which is not part of the WS auth
        options={"watchBalance": {"fetchBalanceSnapshot": False}},
        reply=lambda f, s: [{"data": {"success": True, "ts": s.now_ms}, "channel": "auth"}]
        if f.get("channel") == ["auth"] else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _cex() -> Entry:
    return Entry(
        entry="cex",
        ccxt_id="cex",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("e", ("auth",)),
        channel="get-balance",
        markets=[_market("BTC-USD", "BTC/USD")],
        reply=lambda f, s: [{"e": "auth", "data": {"ok": "ok"}, "ok": "ok", "timestamp": s.now_ms // 1000}]
        if f.get("e") == "auth" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


# --- blofin / alpaca -----------------------------------------------------------


def _blofin() -> Entry:
    return Entry(
        entry="blofin",
        ccxt_id="blofin",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("op", ("login",)),
        channel="account",
        markets=[_market("BTC-USDT", "BTC/USDT:USDT", "swap")],
        reply=lambda f, s: [{"event": "login", "code": "0", "msg": ""}] if f.get("op") == "login" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _alpaca() -> Entry:
    # the trading stream (trade_updates); the crypto market-data stream
    # authenticates with a different frame ({action: auth, key, secret}):
    # the alpaca_crypto entry
    return Entry(
        entry="alpaca",
        ccxt_id="alpaca",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_op("action", ("authenticate",)),
        channel="trade_updates",
        markets=[_market("BTC/USD", "BTC/USD")],
        reply=lambda f, s: [{"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}}]
        if f.get("action") == "authenticate" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


# --- frames / handshake (issue #4): bydfi, gateeu ------------------------------


def _bydfi() -> Entry:
    return Entry(
        entry="bydfi",
        ccxt_id="bydfi",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("method", ("LOGIN",)),
        # the login subscribes the connection to its private streams: ccxt
        # sends no separate subscribe
        channel=None,
        markets=[_market("BTC-USDT", "BTC/USDT:USDT", "swap")],
        reply=lambda f, s: [{"result": True, "id": f.get("id")}] if f.get("method") == "LOGIN" else [],
        seed_request_id=_seed_options("reqid"),
        uses_request_id=True,
        expect_auth=1,
        expect_subscribe=0,
    )


def _gateeu() -> Entry:
    return Entry(
        entry="gateeu",
        ccxt_id="gateeu",
        market_type=None,
        run=lambda ex: ex.watch_orders(None, None, None, {"type": "spot"}),
        classify=_all_subscribe,  # auth is inline in every private subscribe
        channel="spot.orders",
        markets=[_market("BTC_USDT", "BTC/USDT")],
        seed_request_id=_seed_options("reqid"),
        uses_request_id=True,
        expect_auth=0,
        expect_subscribe=1,
    )


# --- frames / handshake (issue #4): woo, blockchaincom, alpaca_crypto, weex, hollaex, apex


def _woo() -> Entry:
    return Entry(
        entry="woo",
        ccxt_id="woo",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_op("event", ("auth",)),
        channel="executionreport",
        markets=[_market("SPOT_BTC_USDT", "BTC/USDT")],
        reply=lambda f, s: [{"event": "auth", "success": True, "ts": s.now_ms}] if f.get("event") == "auth" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _blockchaincom() -> Entry:
    return Entry(
        entry="blockchaincom",
        ccxt_id="blockchaincom",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=lambda f: "auth" if isinstance(f, dict) and f.get("channel") == "auth" else "subscribe",
        channel="balances",
        markets=[_market("BTC-USD", "BTC/USD")],
        reply=lambda f, s: [{"seqnum": 0, "event": "subscribed", "channel": "auth", "readOnly": False}]
        if f.get("channel") == "auth" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _alpaca_crypto() -> Entry:
    # the crypto market-data stream: ccxt authenticates it before any
    # subscription (here the quotes of one pair)
    return Entry(
        entry="alpaca_crypto",
        ccxt_id="alpaca",
        market_type=None,
        run=lambda ex: ex.watch_ticker("BTC/USD"),
        classify=_op("action", ("auth",)),
        channel="quotes",
        markets=[_market("BTC/USD", "BTC/USD")],
        reply=lambda f, s: [[{"T": "success", "msg": "authenticated"}]] if f.get("action") == "auth" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _weex(market_type: str) -> Entry:
    return Entry(
        entry="weex",
        ccxt_id="weex",
        market_type=market_type,
        run=lambda ex: ex.watch_orders("BTC/USDT" if market_type == "spot" else "BTC/USDT:USDT"),
        classify=_all_subscribe,  # the handshake headers authenticate: no auth frame
        channel="orders",
        markets=[_market("BTCUSDT", "BTC/USDT"), _market("BTCUSDT_SWAP", "BTC/USDT:USDT", "swap")],
        seed_request_id=_seed_options("requestId"),
        expect_auth=0,
        expect_subscribe=1,
    )


def _hollaex() -> Entry:
    return Entry(
        entry="hollaex",
        ccxt_id="hollaex",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_all_subscribe,  # the signed URL authenticates: no auth frame
        channel="order",
        markets=[_market("btc-usdt", "BTC/USDT")],
        expect_auth=0,
        expect_subscribe=1,
    )


def _apex() -> Entry:
    return Entry(
        entry="apex",
        ccxt_id="apex",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_op("op", ("login",)),
        channel="orders",
        markets=[_market("BTCUSDT", "BTC/USDT:USDT", "swap")],
        reply=lambda f, s: [{"success": True, "ret_msg": "", "op": "auth", "conn_id": "capture"}]
        if f.get("op") == "login" else [],
        expect_auth=1,
        expect_subscribe=1,
    )


def _extended() -> Entry:
    return Entry(
        entry="extended",
        ccxt_id="extended",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_all_subscribe,  # the account stream is private by its handshake: nothing is sent
        channel=None,
        markets=[_market("BTC-USD", "BTC/USD:USD", "swap")],
        # check_required_credentials wants the Stark key that signs orders;
        # the account stream's handshake only carries the API key
        config={"privateKey": "0x" + "11" * 32},
        expect_auth=0,
        expect_subscribe=0,
    )


def _bullish_rest(method, url, headers, body, s):
    if url.endswith("/v1/users/hmac/login"):
        return {"authorizer": "113363EFA2CA00007368524E02000000", "ownerAuthorizer": "113363EFA2CA00007368524E02000000", "token": s.token}
    raise CaptureError(f"unexpected REST call {method} {url}")


def _bullish() -> Entry:
    return Entry(
        entry="bullish",
        ccxt_id="bullish",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_all_subscribe,  # the JWT cookie on the handshake authenticates: no auth frame
        channel="orders",
        markets=[_market("BTCUSDC", "BTC/USDC")],
        rest=_bullish_rest,
        seed_request_id=_seed_options("requestId"),
        uses_token=True,
        expect_auth=0,
        expect_subscribe=1,
    )


# --- private keys: Ed25519, RSA, ECDSA ------------------------------------------


def _binance_key(entry: str, kind: str) -> Entry:
    spot = _binance("binance", "spot")
    spot.entry = entry
    spot.market_type = None  # an entry of its own, spot only
    spot.private_key = kind
    return spot


def _backpack() -> Entry:
    return Entry(
        entry="backpack",
        ccxt_id="backpack",
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_all_subscribe,
        channel=None,
        markets=[_market("BTC_USDC", "BTC/USDC")],
        # ccxt's nonce() refuses to run until it has measured the clock offset
        options={"timeDifference": 0},
        private_key="ed25519_seed_base64",
        expect_auth=0,
        expect_subscribe=1,
    )


def _coinbase_cdp() -> Entry:
    entry = _coinbase()
    entry.entry = "coinbase_cdp"
    entry.private_key = "p256_pem_sec1"  # Coinbase hands out "BEGIN EC PRIVATE KEY"
    entry.random_nonce = True
    entry.cdp_key_name = lambda key: f"organizations/org-{key[4]}-7d0e/apiKeys/{key}"
    return entry


def _coinbaseinternational(entry: str, kind: str | None) -> Entry:
    def reply(f, s):
        if f.get("method") == "public/auth":
            return [{
                "jsonrpc": "2.0",
                "id": f.get("id"),
                "result": {"expires_in": 3000, "scope": "trade:read_write", "sid": "capture-sid", "token_type": "bearer",
                           "access_token": "capture-access-token"},
            }]
        return []

    captured = Entry(
        entry=entry,
        ccxt_id="coinbaseinternational",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_op("method", ("public/auth",)),
        channel=None,
        markets=[_market("BTC-PERPETUAL", "BTC/USD:BTC", "swap")],
        reply=reply,
        seed_request_id=_seed_options("requestId"),
        uses_request_id=True,
        private_key=kind,
        random_nonce=kind is not None,
        expect_auth=1,
        expect_subscribe=1,
    )
    if kind is not None:
        captured.cdp_key_name = lambda key: f"organizations/org-{key[4]}-7d0e/apiKeys/{key}"
    else:
        # Deribit's own client credentials, which ccxt recognises by their
        # shape (an 8-character id, a 43-character secret) and sends to Deribit
        captured.own_credentials = {
            "A": {"api_key": "Ab3dE5gH", "secret": "sEcReT-A-0123456789abcdefghijklmnopqrstuvwx"},
            "B": {"api_key": "Zy9xW7vU", "secret": "sEcReT-B-zyxwvutsrqponmlkjihgfedcba98765432"},
        }
    return captured


# --- REST listen keys and tokens (issue #4) ------------------------------------


def _listen_key_rest(path_suffix: str, reply: Callable[[str], Any]):
    """A canned REST reply for the one call that mints the listen key or token."""
    def rest(method, url, headers, body, s):
        if url.split("?")[0].endswith(path_suffix):
            return reply(s.token)
        raise CaptureError(f"unexpected REST call {method} {url}")

    return rest


def _listen_key(entry: str, market_type: str | None, run, path_suffix: str, reply, *, ccxt_id: str | None = None,
                markets: list[dict] | None = None, options: dict | None = None, password: bool = False) -> Entry:
    # the private stream is the URL itself; what ccxt sends on it (a channel
    # subscribe) carries nothing derived from the credentials
    return Entry(
        entry=entry,
        ccxt_id=ccxt_id or entry,
        market_type=market_type,
        run=run,
        classify=_all_subscribe,
        channel=None,
        markets=markets or [_market("BTCUSDT", "BTC/USDT")],
        options=options or {},
        rest=_listen_key_rest(path_suffix, reply),
        uses_token=True,
        expect_auth=0,
        expect_subscribe=0,
    )


def _hashkey() -> Entry:
    return _listen_key(
        "hashkey", None, lambda ex: ex.watch_balance(), "/api/v1/userDataStream",
        lambda token: {"listenKey": token},
        options={"watchBalance": {"fetchBalanceSnapshot": False}},
    )


def _toobit() -> Entry:
    return _listen_key(
        "toobit", None, lambda ex: ex.watch_orders(), "/api/v1/userDataStream",
        lambda token: {"listenKey": token},
    )


def _bitrue() -> Entry:
    return _listen_key(
        "bitrue", None, lambda ex: ex.watch_balance(), "/poseidon/api/v1/listenKey",
        lambda token: {"msg": "succ", "code": 200, "data": {"listenKey": token}},
    )


def _bingx(market_type: str) -> Entry:
    params = {"type": "spot"} if market_type == "spot" else {"type": "swap", "subType": market_type}
    return _listen_key(
        "bingx", market_type, lambda ex: ex.watch_balance(dict(params)), "/user/auth/userDataStream",
        lambda token: {"listenKey": token},
        markets=[_market("BTC-USDT", "BTC/USDT"), _market("BTC-USDT", "BTC/USDT:USDT", "swap")],
        options={"watchBalance": {"fetchBalanceSnapshot": False, "awaitBalanceSnapshot": False}},
    )


def _mexc_spot() -> Entry:
    return _listen_key(
        "mexc", "spot", lambda ex: ex.watch_balance({"type": "spot"}), "/api/v3/userDataStream",
        lambda token: {"listenKey": token},
        options={"watchBalance": {"fetchBalanceSnapshot": False, "awaitBalanceSnapshot": False}},
    )


def _mexc_swap() -> Entry:
    return Entry(
        entry="mexc",
        ccxt_id="mexc",
        market_type="swap",
        run=lambda ex: ex.watch_balance({"type": "swap"}),
        classify=_op("method", ("login",)),
        channel=None,
        markets=[_market("BTC_USDT", "BTC/USDT:USDT", "swap")],
        options={"watchBalance": {"fetchBalanceSnapshot": False, "awaitBalanceSnapshot": False}},
        reply=lambda f, s: [{"channel": "rs.login", "data": "success", "ts": s.now_ms}]
        if f.get("method") == "login" else [],
        expect_auth=1,
        expect_subscribe=0,
    )


def _deepcoin() -> Entry:
    return _listen_key(
        "deepcoin", None, lambda ex: ex.watch_orders(), "/deepcoin/listenkey/acquire",
        lambda token: {"code": "0", "msg": "", "data": {"listenkey": token, "expire_time": 1790003600}},
        password=True,
    )


def _xt(market_type: str) -> Entry:
    # spot: POST /v4/ws-token, the token in each private subscribe's listenKey;
    # contract: GET /future/user/v1/user/listen-key, the key after the channel
    # name in each private subscribe's params (ccxt 4.5.90 pro/xt.py subscribe)
    spot = market_type == "spot"

    def rest(method, url, headers, body, s):
        path = url.split("?")[0]
        if spot and path.endswith("/v4/ws-token"):
            return {"rc": 0, "mc": "SUCCESS", "ma": [], "result": {"accessToken": s.token}}
        if not spot and path.endswith("/future/user/v1/user/listen-key"):
            return {"returnCode": 0, "msgInfo": "success", "error": None, "result": s.token}
        raise CaptureError(f"unexpected REST call {method} {url}")

    return Entry(
        entry="xt",
        ccxt_id="xt",
        market_type=market_type,
        run=(lambda ex: ex.watch_orders()) if spot else (lambda ex: ex.watch_orders(None, None, None, {"type": "swap"})),
        classify=_all_subscribe,
        channel="order",
        markets=[_market("btc_usdt", "BTC/USDT"), _market("btc_usdt", "BTC/USDT:USDT", "swap")],
        rest=rest,
        # no canned ack: ccxt 4.5.90's xt handle_subscription_status indexes
        # client.subscriptions, which holds the token string, and raises
        # (after the subscribe this capture records was sent)
        uses_token=True,
        expect_auth=0,
        expect_subscribe=1,
    )


# KuCoin's documented bullet reply (https://www.kucoin.com/docs-new/websocket-api/base-info/get-private-token):
# the socket endpoint and its ping interval come with the token.
KUCOIN_ENDPOINTS = {
    "kucoin": "wss://ws-api-spot.kucoin.com/",
    "kucoinfutures": "wss://ws-api-futures.kucoin.com/",
}


def _kucoin(entry: str, market_type: str | None = None) -> Entry:
    # market_type "uta": ccxt 4.5.90's option uta=True (KuCoin's unified trading
    # account): POST /api/v2/bullet-private, the token on the fixed UTA socket
    uta = market_type == "uta"

    def rest(method, url, headers, body, s):
        if url.split("?")[0].endswith("/bullet-private"):
            if uta:
                return {"code": "200000", "data": {"token": s.token}}
            return {"code": "200000", "data": {"token": s.token, "instanceServers": [{
                "endpoint": KUCOIN_ENDPOINTS[entry], "encrypt": True, "protocol": "websocket",
                "pingInterval": 18000, "pingTimeout": 10000}]}}
        raise CaptureError(f"unexpected REST call {method} {url}")

    async def run(ex):
        # negotiate() spawns the bullet call on ccxt's loop, which ccxt only
        # sets when it opens its HTTP session (replaced here by the recorder)
        ex.asyncio_loop = asyncio.get_running_loop()
        return await ex.watch_orders()

    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=market_type,
        options={"uta": uta},
        run=run,
        classify=_all_subscribe,
        channel=None,
        markets=[_market("BTC-USDT", "BTC/USDT")] if entry == "kucoin" else [_market("XBTUSDTM", "BTC/USDT:USDT", "swap")],
        rest=rest,
        reply=lambda f, s: [{"id": f.get("id"), "type": "ack"}] if f.get("type") == "subscribe" or f.get("action") == "subscribe" else [],
        seed_request_id=_seed_options("requestId"),
        uses_token=True,
        expect_auth=0,
        expect_subscribe=1,
    )


def _whitebit() -> Entry:
    # a websocket token from the signed v4 REST call, then authorize with it
    # (ccxt 4.5.90 pro/whitebit.py authenticate)
    def rest(method, url, headers, body, s):
        if url.endswith("/api/v4/profile/websocket_token"):
            return {"websocket_token": s.token}
        raise CaptureError(f"unexpected REST call {method} {url}")

    return Entry(
        entry="whitebit",
        ccxt_id="whitebit",
        market_type=None,
        run=lambda ex: ex.watch_orders("BTC/USDT"),
        classify=_op("method", ("authorize",)),
        channel=None,
        markets=[_market("BTC_USDT", "BTC/USDT")],
        rest=rest,
        reply=lambda f, s: [{"id": f.get("id"), "result": {"status": "success"}, "error": None}]
        if f.get("method") == "authorize" else [],
        uses_nonce=True,
        uses_token=True,
        expect_auth=1,
        expect_subscribe=1,
    )


def _bitstamp() -> Entry:
    # a WebSocket token from the signed v2 REST call, then the token in each
    # private subscribe's data.auth (ccxt 4.5.90 pro/bitstamp.py)
    def rest(method, url, headers, body, s):
        if url.endswith("/api/v2/websockets_token/"):
            return {"valid_sec": 60, "token": s.token, "user_id": 4848701}
        raise CaptureError(f"unexpected REST call {method} {url}")

    return Entry(
        entry="bitstamp",
        ccxt_id="bitstamp",
        market_type=None,
        run=lambda ex: ex.watch_orders("BTC/USD"),
        classify=_all_subscribe,
        channel="private-my_orders_btcusd-4848701",
        markets=[_market("btcusd", "BTC/USD")],
        rest=rest,
        reply=lambda f, s: [{"event": "bts:subscription_succeeded", "channel": f.get("data", {}).get("channel"), "data": {}}],
        uses_token=True,
        nonce_is_uuid=True,
        expect_auth=0,
        expect_subscribe=1,
    )


def _lbank() -> Entry:
    # a subscribe key from the signed v2 REST call, then the key in each
    # private subscribe (ccxt 4.5.90 pro/lbank.py authenticate); the echostr
    # ccxt signs is its uuid22() + uuid16() draws (recorded as the nonce)
    def rest(method, url, headers, body, s):
        if url.split("?")[0].endswith("/subscribe/get_key.do"):
            return {"result": True, "data": s.token, "error_code": 0, "ts": s.now_ms}
        raise CaptureError(f"unexpected REST call {method} {url}")

    return Entry(
        entry="lbank",
        ccxt_id="lbank",
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_all_subscribe,
        channel=None,
        markets=[_market("btc_usdt", "BTC/USDT")],
        rest=rest,
        uses_token=True,
        nonce_is_uuid=True,
        nonce_uuid_draws=2,
        short_secret=True,
        expect_auth=0,
        expect_subscribe=1,
    )


# --- Orderly keys: woofipro, modetrade; JWT handshake headers: upbit, bithumb ---


def _orderly(entry: str) -> Entry:
    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=None,
        run=lambda ex: ex.watch_orders(),
        classify=_op("event", ("auth",)),
        channel="executionreport",
        markets=[_market("PERP_BTC_USDC", "BTC/USDC:USDC", "swap")],
        reply=lambda f, s: [{"event": "auth", "success": True, "ts": s.now_ms}] if f.get("event") == "auth" else [],
        # ccxt's secret is the Orderly secret ("ed25519:" + base58 seed), our
        # credentials.private_key; the account id is ccxt's accountId, our uid
        private_key="ed25519_seed_base58",
        uid_key="accountId",
        with_uid=True,
        expect_auth=1,
        expect_subscribe=1,
    )


def _jwt_handshake(entry: str) -> Entry:
    return Entry(
        entry=entry,
        ccxt_id=entry,
        market_type=None,
        run=lambda ex: ex.watch_balance(),
        classify=_all_subscribe,  # the JWT in the handshake header authenticates: no auth frame
        channel=None,
        markets=[_market("KRW-BTC", "BTC/KRW")],
        nonce_is_uuid=True,
        expect_auth=0,
        expect_subscribe=1,
    )


ENTRIES: dict[tuple[str, str | None], Entry] = {}
for _e in [
    _bybit("bybit"), _bybit("bybiteu"), _bybit("bybitid"),
    _okx("okx"), _okx("myokx"), _okx("okxus"), _bitget(),
    _deribit(), _bitfinex(),
    _htx("spot"), _htx("linear"),
    _gate("spot"), _gate("swap"), _gate_wsapi(),
    _coinbaseexchange(), _coinbase(),
    _binance("binance", "spot"), _binance("binance", "linear"), _binance("binance", "inverse"), _binance_margin(),
    _binance("binanceusdm", None), _binance("binancecoinm", None),
    _kraken(), _krakenfutures(),
    _bitvavo(), _phemex(), _cryptocom(), _hitbtc("hitbtc"), _hitbtc("bequant"),
    _onetrading(), _poloniex(), _cex(),
    _blofin(), _alpaca(),
    _hashkey(), _toobit(), _bitrue(), _bingx("spot"), _bingx("linear"), _mexc_spot(), _mexc_swap(), _deepcoin(),
    _xt("spot"), _xt("swap"),
    _kucoin("kucoin", "spot"), _kucoin("kucoin", "uta"), _kucoin("kucoinfutures"), _whitebit(), _bitstamp(), _lbank(),
    _binance_key("binance_ed25519", "ed25519_pem"), _binance_key("binance_rsa", "rsa_pem"),
    _backpack(), _coinbase_cdp(),
    _coinbaseinternational("coinbaseinternational", "p256_pem_sec1"),
    _coinbaseinternational("coinbaseinternational_eddsa", "ed25519_seed_public_base64"),
    _coinbaseinternational("coinbaseinternational_native", None),
    _bydfi(), _gateeu(),
    _woo(), _blockchaincom(), _alpaca_crypto(), _weex("spot"), _weex("swap"), _hollaex(), _apex(),
    _extended(), _bullish(),
    _orderly("woofipro"), _orderly("modetrade"), _jwt_handshake("upbit"), _jwt_handshake("bithumb"),
]:
    ENTRIES[(_e.entry, _e.market_type)] = _e


# --------------------------------------------------------------------------
# capture session
# --------------------------------------------------------------------------


class _Session:
    def __init__(self, entry: Entry, now_ms: int, credentials: dict, nonce, request_id, token, challenge):
        self.entry = entry
        self.now_ms = now_ms
        self.credentials = credentials
        self.nonce = nonce
        self.request_id = request_id
        self.token = token
        self.challenge = challenge
        self.rest: list[dict] = []
        self.connections: list[dict] = []
        self.frames: list[Any] = []
        self.subscribe_frames: list[Any] = []
        self.nonce_draws: list[Any] = []
        self.request_id_draws: list[Any] = []
        self.uuid_draws: list[str] = []
        self.random_draws: list[Any] = []
        self.events = 0
        self.errors: list[BaseException] = []
        self.ws: FakeWebSocket | None = None

    # -- websocket side --
    async def create_connection(self, client: _WsClient, session) -> FakeWebSocket:
        headers = client.options.get("headers") if isinstance(client.options, dict) else None
        headers = copy.deepcopy(headers) if headers else {}
        # cookies ccxt puts in the session's jar go out as the Cookie header
        cookies = client.options.get("cookies") if isinstance(client.options, dict) else None
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.connections.append({"url": client.url, "headers": headers})
        self.ws = FakeWebSocket(self, client)
        self.events += 1
        return self.ws

    def on_frame(self, ws: FakeWebSocket, data: str) -> None:
        self.events += 1
        try:
            frame = json.loads(data)
        except ValueError:
            frame = data
        kind = self.entry.classify(frame)
        error = None
        if kind == "auth":
            if self.subscribe_frames:
                error = CaptureError(f"{self.entry.entry}: auth frame after subscribe frame: {data}")
            self.frames.append(frame)
        elif kind == "subscribe":
            self.subscribe_frames.append(frame)
        else:  # pragma: no cover
            error = CaptureError(f"{self.entry.entry}: unclassified frame {data}")
        if error is not None:
            # ccxt's send path swallows exceptions (client.on_error); keep it
            self.errors.append(error)
            raise error
        if isinstance(frame, dict):
            for message in self.entry.reply(frame, self):
                ws.push(message)

    # -- REST side --
    async def fetch(self, url, method="GET", headers=None, body=None):
        self.events += 1
        self.rest.append({
            "method": method,
            "url": url,
            "headers": copy.deepcopy(headers),
            "body": body,
        })
        try:
            if self.entry.rest is None:
                raise CaptureError(f"{self.entry.entry}: unexpected REST call {method} {url}")
            return self.entry.rest(method, url, headers, body, self)
        except Exception as exc:
            # ccxt may swallow this in a background task; fail the capture anyway
            self.errors.append(exc)
            raise

    def done(self) -> bool:
        e = self.entry
        return (
            bool(self.connections)
            and len(self.frames) >= e.expect_auth
            and len(self.subscribe_frames) >= e.expect_subscribe
        )


_FROZEN_METHODS = ("milliseconds", "seconds", "microseconds", "uuid", "uuid16", "uuid22",
                   "random_bytes", "rand_number")


def _blocked(*args, **kwargs):
    raise NetworkBlocked("ccxt_capture: real network access attempted")


async def _async_blocked(*args, **kwargs):
    raise NetworkBlocked("ccxt_capture: real network access attempted")


@contextlib.contextmanager
def _patched(session: _Session):
    now_ms = session.now_ms

    def uuid_like():
        n = len(session.uuid_draws) + 1
        value = f"00000000-0000-4000-8000-{n:012d}"
        session.uuid_draws.append(value)
        return value

    def hex_like(length=16):
        n = len(session.uuid_draws) + 1
        value = f"{n:0{length}x}"
        session.uuid_draws.append(value)
        return value

    def rand_number(self, size):
        value = int(("1234567890" * (size // 10 + 1))[:size])
        session.random_draws.append(value)
        return value

    def random_bytes(length):
        value = "ab" * length
        session.random_draws.append(value)
        return value

    async def create_connection(client, aio_session):
        return await session.create_connection(client, aio_session)

    def patch_method(name, value):
        # patch where ccxt defines it (ccxt.base.exchange.BaseExchange today),
        # which is what both the exchange classes and the ws Client resolve to
        for klass in _AsyncExchange.__mro__:
            if name in klass.__dict__:
                return mock.patch.object(klass, name, value)
        raise CaptureError(f"ccxt defines no {name}()")

    with contextlib.ExitStack() as stack:
        P = stack.enter_context
        # frozen clock on the base class: covers exchange code and ws Client
        P(patch_method("milliseconds", staticmethod(lambda: now_ms)))
        P(patch_method("seconds", staticmethod(lambda: now_ms // 1000)))
        P(patch_method("microseconds", staticmethod(lambda: now_ms * 1000)))
        P(patch_method("uuid", staticmethod(uuid_like)))
        P(patch_method("uuid16", staticmethod(lambda length=16: hex_like(length))))
        P(patch_method("uuid22", staticmethod(lambda length=22: hex_like(length))))
        if hasattr(_AsyncExchange, "uuidv1"):
            P(patch_method("uuidv1", staticmethod(uuid_like)))
        P(patch_method("random_bytes", staticmethod(random_bytes)))
        P(patch_method("rand_number", rand_number))
        # in-memory websocket
        P(mock.patch.object(_WsClient, "create_connection", create_connection))
        # network guard
        P(mock.patch.object(socket.socket, "connect", _blocked))
        P(mock.patch.object(socket.socket, "connect_ex", _blocked))
        P(mock.patch.object(socket, "create_connection", _blocked))
        P(mock.patch.object(socket, "getaddrinfo", _blocked))
        P(mock.patch.object(asyncio.BaseEventLoop, "create_connection", _async_blocked))
        P(mock.patch.object(asyncio.BaseEventLoop, "getaddrinfo", _async_blocked))
        P(mock.patch.object(aiohttp.ClientSession, "_request", _async_blocked))
        P(mock.patch.object(aiohttp.ClientSession, "_ws_connect", _async_blocked))
        yield


def _make_exchange(session: _Session):
    e = session.entry
    creds = session.credentials
    config = {
        "apiKey": creds.get("api_key"),
        "secret": creds.get("private_key") or creds.get("secret"),
        "enableRateLimit": False,
        "options": {"sandboxMode": False},
    }
    if creds.get("password") is not None:
        config["password"] = creds["password"]
    if creds.get("uid") is not None:
        config[e.uid_key] = creds["uid"]
    config.update(copy.deepcopy(e.config))
    ex = getattr(ccxt.pro, e.ccxt_id)(config)
    for name in _FROZEN_METHODS:
        owner = next(k for k in type(ex).__mro__ if name in k.__dict__)
        patched_owner = next(k for k in _AsyncExchange.__mro__ if name in k.__dict__)
        if owner is not patched_owner:
            raise CaptureError(f"{e.entry}: {owner.__name__} overrides {name}(), freeze it there")
    for key, value in copy.deepcopy(e.options).items():
        if isinstance(value, dict) and isinstance(ex.options.get(key), dict):
            ex.options[key] = ex.deep_extend(ex.options[key], value)
        else:
            ex.options[key] = value
    ex.timeout_on_exit = 0  # ccxt sleeps this long in close(); nothing real to drain
    # the constructor draws one uuid() for self.origin (a CORS-proxy header,
    # unused here); only record what the auth flow draws
    session.uuid_draws.clear()
    session.random_draws.clear()
    ex.set_markets(copy.deepcopy(e.markets))
    ex.fetch = session.fetch  # instance-level REST recorder

    original_nonce = ex.nonce

    def nonce():
        value = session.nonce if session.nonce is not None else original_nonce()
        session.nonce_draws.append(value)
        return value

    ex.nonce = nonce

    original_request_id = ex.request_id if hasattr(ex, "request_id") else None
    if original_request_id is not None:
        if e.fixed_request_id is not None:
            if session.request_id not in (None, e.fixed_request_id):
                raise CaptureError(f"{e.entry}: ccxt hard-codes request id {e.fixed_request_id!r}")
        elif session.request_id is not None:
            if e.seed_request_id is None:
                raise CaptureError(f"{e.entry}: request_id given but no counter to seed")
            e.seed_request_id(ex, int(session.request_id))

        def request_id(*args, **kwargs):
            value = original_request_id(*args, **kwargs)
            session.request_id_draws.append(value)
            return value

        ex.request_id = request_id
    return ex


async def _capture_async(session: _Session) -> None:
    e = session.entry
    ex = _make_exchange(session)
    task = asyncio.ensure_future(e.run(ex))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while not session.done():
            if task.done():
                exc = task.exception()
                if exc is not None:
                    raise CaptureError(f"{e.entry}: ccxt raised before capture completed: {exc!r}") from exc
                if session.done():
                    break
                raise CaptureError(f"{e.entry}: ccxt returned before capture completed")
            if loop.time() > deadline:
                raise CaptureError(
                    f"{e.entry}: timed out (connections={session.connections}, frames={session.frames}, "
                    f"subscribe={session.subscribe_frames}, rest={session.rest})")
            await asyncio.sleep(0.001)
        # settle: let ccxt finish whatever else it sends in this step
        last = -1
        for _ in range(200):
            if session.events == last:
                break
            last = session.events
            for _ in range(25):
                await asyncio.sleep(0)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise CaptureError(f"{e.entry}: ccxt raised: {task.exception()!r}") from task.exception()
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await ex.close()
        # let ccxt's close callbacks run before the loop goes away
        for _ in range(5):
            await asyncio.sleep(0)


def capture(entry: str, *, market_type: str | None, credentials: dict[str, str | None],
            now_ms: int, nonce: int | None = None, request_id: int | str | None = None,
            token: str | None = None, challenge: str | None = None) -> dict:
    """Run ccxt's own auth for `entry` with a frozen clock and a fake network, and
    return what it sent::

        {"entry", "market_type", "ccxt_version", "ccxt_class",
         "rest": [{"method", "url", "headers", "body"}],   # args ccxt passed to fetch()
         "ws_url": str, "ws_headers": dict,                # handshake url / headers
         "frames": [...],            # auth frames (JSON-decoded), before any subscribe
         "subscribe_frames": [...],  # private subscribe frame(s), JSON-decoded
         "used": {"now_ms", "nonce", "request_id", "request_ids", "uuids",
                  "channel", "symbols", "token", "challenge"}}

    `credentials` keys: api_key, secret, password, uid. `nonce`, when given,
    replaces what ccxt's nonce() returns. `request_id`, when given, seeds ccxt's
    own counter so that its first draw equals it. `token` is what the canned
    REST reply returns (listen key / WS token). `challenge` is what the fake
    server sends (krakenfutures). Raises CaptureError if ccxt does not reach
    the private subscribe, or if it touches anything unexpected.
    """
    key = (entry, market_type)
    if key not in ENTRIES:
        raise KeyError(f"unknown entry/market_type {key!r}; known: {sorted(ENTRIES, key=str)}")
    e = ENTRIES[key]
    if e.uses_challenge and challenge is None:
        raise ValueError(f"{entry} needs a challenge")
    if e.uses_token and token is None:
        raise ValueError(f"{entry} needs a token")
    session = _Session(e, now_ms, dict(credentials), nonce, request_id, token, challenge)

    with _patched(session):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_capture_async(session))
        finally:
            # same teardown as asyncio.run(): cancel what ccxt left running
            # (receive loops, ping loops, timers' tasks) before closing
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    if session.errors:
        raise CaptureError(f"{entry}: {session.errors[0]}") from session.errors[0]
    urls = {c["url"] for c in session.connections}
    if len(urls) != 1:
        raise CaptureError(f"{entry}: expected exactly one websocket url, got {sorted(urls)}")
    if nonce is not None and nonce not in session.nonce_draws:
        raise CaptureError(f"{entry}: nonce {nonce} given but ccxt never drew a nonce")
    if request_id is not None and not session.request_id_draws and e.fixed_request_id is None:
        raise CaptureError(f"{entry}: request_id {request_id} given but ccxt never drew one")

    used = {
        "now_ms": now_ms,
        "nonce": session.random_draws[0] if e.random_nonce
        else "".join(session.uuid_draws[:e.nonce_uuid_draws]) if e.nonce_is_uuid and session.uuid_draws
        else (session.nonce_draws[0] if session.nonce_draws else None),
        "request_id": e.fixed_request_id if e.fixed_request_id is not None
        else (session.request_id_draws[0] if session.request_id_draws else None),
        "request_ids": list(session.request_id_draws),
        "uuids": list(session.uuid_draws) + list(session.random_draws),
        "channel": e.channel,
        "symbols": list(e.symbols),
        "token": token,
        "challenge": challenge,
    }
    result = {
        "entry": entry,
        "market_type": market_type,
        "ccxt_version": ccxt.__version__,
        "ccxt_class": f"ccxt.pro.{e.ccxt_id}",
        "credentials": dict(credentials),  # test credentials: a fixture is self-contained
        "rest": session.rest,
        "ws_url": session.connections[0]["url"],
        "ws_headers": session.connections[0]["headers"],
        "frames": session.frames,
        "subscribe_frames": session.subscribe_frames,
        "used": used,
    }
    # guarantee JSON-serialisable output (and detach from ccxt objects)
    return json.loads(json.dumps(result))


# --------------------------------------------------------------------------
# scenario matrix + CLI
# --------------------------------------------------------------------------


def _scenarios() -> list[dict]:
    out = []
    for (entry, market_type), e in ENTRIES.items():
        creds = CREDENTIALS_B64 if e.base64_secret else CREDENTIALS_SHORT if e.short_secret else CREDENTIALS
        if e.own_credentials is not None:
            creds = e.own_credentials
        if e.private_key is not None:
            api_keys = {name: e.cdp_key_name(c["api_key"]) if e.cdp_key_name else c["api_key"] for name, c in CREDENTIALS.items()}
            creds = {name: {"api_key": api_keys[name], "private_key": private_key(name, e.private_key)} for name in CREDENTIALS}
            if e.with_uid:
                creds = {name: dict(c, uid=CREDENTIALS[name]["uid"]) for name, c in creds.items()}
        n = 0
        for ci, now_ms in enumerate(CLOCKS_MS):
            for set_name in ("A", "B"):
                n += 1
                tag = f"{entry}{'-' + market_type if market_type else ''}-{n}"
                kwargs: dict[str, Any] = {
                    "entry": entry,
                    "market_type": market_type,
                    "credentials": dict(creds[set_name]),
                    "now_ms": now_ms,
                }
                if e.uses_nonce:
                    # a nonce that is NOT the clock, to prove it is an input
                    kwargs["nonce"] = now_ms * 1000 + 17 * n + 3
                if e.fixed_request_id is not None:
                    kwargs["request_id"] = e.fixed_request_id
                elif e.uses_request_id:
                    kwargs["request_id"] = [1, 7, 42, 1009][n - 1]
                if e.uses_token:
                    if e.ccxt_id == "kraken":
                        kwargs["token"] = [
                            "xeAQ/RCChBYNVh53sTv1yZ5H4wIbwDF20PiHtTF+4UI",
                            "Zq9/M2kLpW7cV+4rT8yN1bX6hJ3dF0sG5aE2uQ9oI1k",
                            "c3RhYmxlLXRva2VuLWZvci1jYXB0dXJlLXRocmVlKys",
                            "Lm8+Kp2/Wq7Vr4Ts9Ny1Bx6Hj3Df0Sg5Ae2Uq9Oi1Kw",
                        ][n - 1]
                    else:
                        # binance listen keys are 64 alphanumerics
                        kwargs["token"] = hashlib.sha256(f"listenKey:{tag}".encode()).hexdigest()
                if e.uses_challenge:
                    kwargs["challenge"] = [
                        "226aee50-88fc-4618-a42a-34f7709570b2",
                        "c100b894-1729-464d-ace1-12dc6d8e3d35",
                        "0b2e7c91-5d3a-4f6e-9a8b-7c6d5e4f3a2b",
                        "f3e2d1c0-b9a8-4776-8655-443322110099",
                    ][n - 1]
                out.append({"name": tag, "kwargs": kwargs})
    return out


SCENARIOS: list[dict] = _scenarios()


def _render(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reference.ccxt_capture", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="write fixtures to tests/fixtures/ccxt/")
    group.add_argument("--check", action="store_true", help="re-capture and compare with the fixtures")
    group.add_argument("--print", dest="print_name", metavar="NAME", help="print one scenario's capture")
    parser.add_argument("--only", metavar="PREFIX", help="restrict to scenarios whose name starts with PREFIX")
    args = parser.parse_args(argv)

    if ccxt.__version__ != CCXT_VERSION:
        print(f"warning: ccxt {ccxt.__version__} installed, fixtures are for {CCXT_VERSION}", file=sys.stderr)

    scenarios = SCENARIOS
    if args.only:
        scenarios = [s for s in scenarios if s["name"].startswith(args.only)]
    if args.print_name:
        for s in SCENARIOS:
            if s["name"] == args.print_name:
                sys.stdout.write(_render(capture(**s["kwargs"])))
                return 0
        print(f"no scenario {args.print_name}", file=sys.stderr)
        return 2

    failures = 0
    expected_files = set()
    for s in scenarios:
        path = FIXTURE_DIR / f"{s['name']}.json"
        expected_files.add(path.name)
        try:
            text = _render(capture(**s["kwargs"]))
        except Exception as exc:  # report every failing scenario, not just the first
            failures += 1
            print(f"FAIL {s['name']}: {exc}", file=sys.stderr)
            continue
        if args.write:
            FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        else:
            if not path.exists():
                failures += 1
                print(f"MISSING {path}", file=sys.stderr)
            elif path.read_text(encoding="utf-8") != text:
                failures += 1
                print(f"DIFF {path}", file=sys.stderr)
    if args.check and not args.only and FIXTURE_DIR.exists():
        for stray in sorted(p.name for p in FIXTURE_DIR.glob("*.json")):
            if stray not in expected_files:
                failures += 1
                print(f"STRAY {FIXTURE_DIR / stray} (no scenario produces it)", file=sys.stderr)
    verb = "wrote" if args.write else "checked"
    print(f"{verb} {len(scenarios) - failures if args.write else len(scenarios)} scenarios, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
