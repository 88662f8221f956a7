"""What tests/reference/ccxt_capture.py drives through ccxt 4.5.90: one typed,
frozen ``Entry`` record per catalogue entry and market type, and nothing else.

Each record says which ccxt class to build and with which options, which
credential sets it gets, which watch call starts the private stream, how to
tell its auth frames from its subscribes, and what the fake server and the
fake REST edge answer. Where an exchange needs something of its own (a
request-id counter under another option, a nonce that is a uuid draw, a
canned reply that echoes the request's id), that is a field here, never a
branch in the driver.

Why a Python literal table and not TOML or JSON beside the driver: the canned
replies hold ``null`` (TOML has none) and values taken from the request or the
frozen clock (typed leaves here, ``Echo`` / ``Clock`` / ``Given``, instead of a
string mini-language parsed at run time); every quirk keeps its comment and
its ccxt source line (JSON has no comments); and mypy checks each record's
fields where it stands.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

REPO_ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------
# inputs shared by every entry: clocks and credential sets
# --------------------------------------------------------------------------

CLOCKS_MS = (1767225600123, 1790000000987)

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
# base64 secrets (64 random-looking bytes each) for exchanges that decode the
# secret: kraken, krakenfutures, coinbaseexchange
CREDENTIALS_B64 = {
    "A": dict(CREDENTIALS["A"], secret="cXsEn8S+9LYwfRwY/vZ+Me6yG5Hqw8P/A8sFo5e6pAQu0vvsb/y3994qVvxLzPgEg11NMzIDiYgaKHKIUXp6sw=="),
    "B": dict(CREDENTIALS["B"], secret="KB0gj9qzvj1y2bNel+GYJSe+4rUkEaz0C0mPLJJ/ZGlqrCC8X2UFjyL/S7Rfvt1JMFMVRvMi4WBF95J0RKKH3A=="),
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
    return str(keys[kind])


Credentials = Mapping[str, Mapping[str, str]]  # set name ("A", "B") -> credentials


def key_credentials(kind: str, *, api_key: str = "{api_key}", uid: bool = False) -> Credentials:
    """Sets A and B for a private-key entry: the test key of that kind (see
    private_key()), the plain test API key written as ``api_key`` formats it,
    and the account id when the entry needs one."""
    out = {}
    for name, plain in CREDENTIALS.items():
        creds = {"api_key": api_key.format(api_key=plain["api_key"]), "private_key": private_key(name, kind)}
        if uid:
            creds["uid"] = plain["uid"]
        out[name] = creds
    return out


def wallet_credentials(*, wallet_address: bool = True) -> Credentials:
    """Sets A and B for a wallet entry: the secp256k1 test key in hex (set A
    with 0x, set B without: both forms users paste), and its own address as
    the wallet address."""
    out = {}
    for name, prefix in (("A", "0x"), ("B", "")):
        creds = {"private_key": prefix + KEYS[name]["secp256k1_hex"]}
        if wallet_address:
            creds["wallet_address"] = KEYS[name]["secp256k1_address"]
        out[name] = creds
    return out


# --------------------------------------------------------------------------
# values filled in at capture time (leaves of canned replies and call args)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Echo:
    """The value at ``path`` in the frame being answered (None where absent)."""

    path: tuple[str, ...]
    as_int: bool = False


@dataclass(frozen=True)
class Clock:
    """The frozen clock in ``unit``, plus ``plus``, as a number or as text."""

    unit: Literal["s", "ms", "us"] = "ms"
    plus: int = 0
    as_text: bool = False


@dataclass(frozen=True)
class Given:
    """A capture input: the token, the challenge, or the credentials' api_key or secret."""

    name: Literal["token", "challenge", "api_key", "secret"]


@dataclass(frozen=True)
class FromToken:
    """One value of a token that is a JSON object (a session a REST reply
    carries in its headers, as our modules read it: GRVT's), then ``suffix``."""

    key: str
    suffix: str = ""


@dataclass(frozen=True)
class FromExchange:
    """A value read from the ccxt exchange object: an attribute, then keys."""

    path: tuple[str, ...]


# --------------------------------------------------------------------------
# the record
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Messages the fake server pushes after a sent frame whose fields equal
    ``when`` (an empty ``when`` answers every frame that is an object)."""

    when: Mapping[str, Any]
    send: tuple[Any, ...]


@dataclass(frozen=True)
class RestReply:
    """The canned body for the REST call whose path (before ``?``) ends so,
    and the reply's headers where they carry something (GRVT's session:
    ccxt reads them in handle_errors, which the capture then calls as
    ccxt's own fetch() does)."""

    path_suffix: str
    body: Any
    headers: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Call:
    """The ccxt method that opens the private stream, and its arguments."""

    method: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Entry:
    """How to drive one catalogue entry (and market type) through ccxt's
    private-stream auth."""

    entry: str
    call: Call
    markets: tuple[Mapping[str, Any], ...]
    market_type: str | None = None
    ccxt_id: str = ""  # the ccxt.pro class's name; the entry's when empty (replace() keeps a set one)
    # the frames ccxt sends whose fields equal these are auth frames (the
    # capture waits for one), the others private subscribes; None: ccxt sends
    # no auth frame
    auth_frame: Mapping[str, Any] | None = None
    # how many private subscribes the capture waits for (0: the auth frame or
    # the socket URL is all there is)
    expect_subscribe: int = 1
    channel: str | None = None  # the private subscribe's channel, as our modules are told it
    symbols: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)  # deep-merged into ex.options
    # other constructor settings ccxt insists on although the WS auth never reads them
    config: Mapping[str, Any] = field(default_factory=dict)
    credentials: Credentials = field(default_factory=lambda: CREDENTIALS)
    # the constructor setting ccxt reads the account id (Credentials.uid) from
    uid_key: str = "uid"
    # the constructor setting ccxt reads credentials.private_key from
    # ("privateKey" for wallet keys; Credentials.wallet_address is walletAddress)
    private_key_key: str = "secret"
    replies: tuple[Reply, ...] = ()
    rest: tuple[RestReply, ...] = ()
    # where in ex.options ccxt keeps the request-id counter that the scenario
    # seeds (so its first draw is the scenario's request_id); None: ccxt draws
    # no request id the scenario controls
    request_id_counter: tuple[str | FromExchange, ...] | None = None
    # a request id ccxt hard-codes instead of drawing from a counter
    fixed_request_id: str | None = None
    # what the capture records as the nonce: "ccxt" (its nonce() on the frozen
    # clock), "given" (the scenario supplies one that is not the clock), "uuid"
    # (the first nonce_uuid_draws uuid draws, joined), "random_bytes" (its
    # random_bytes(16) draw), "rand_number" (its first rand_number() draw)
    nonce: Literal["ccxt", "given", "uuid", "random_bytes", "rand_number"] = "ccxt"
    nonce_uuid_draws: int = 1
    # what the canned REST reply mints, one per scenario run: four given
    # tokens, or "listen_key" (64 hex digits, sha256 of "listenKey:<run name>")
    tokens: tuple[str, str, str, str] | Literal["listen_key"] | None = None
    # what the fake server sends as the challenge, one per scenario run
    challenges: tuple[str, str, str, str] | None = None
    # a repair of the ccxt exchange object, applied before the call, where a
    # ccxt bug stops its private stream before anything is sent (each one
    # says which line of ccxt it mends, and mends nothing else)
    patch: Callable[[Any], None] | None = None
    # ccxt's sandbox mode (set_sandbox_mode(True)): the record of one of the
    # entry's test environments (TESTNETS), never of production
    sandbox: bool = False

    @property
    def expect_auth(self) -> int:
        return 0 if self.auth_frame is None else 1

    @property
    def ccxt_name(self) -> str:
        return self.ccxt_id or self.entry


def market(mid: str, symbol: str, mtype: str = "spot", **extra: Any) -> dict[str, Any]:
    """A minimal ccxt market, enough for set_markets()."""
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


# --------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------

WATCH_BALANCE = Call("watch_balance")
WATCH_ORDERS = Call("watch_orders")
_BINANCE_WS_API_SPOT = ("requestId", FromExchange(("urls", "api", "ws", "ws-api", "spot")))
# watch_balance would otherwise seed its cache with a signed REST fetch_balance,
# which is not part of the WS auth
_NO_BALANCE_SNAPSHOT = {"watchBalance": {"fetchBalanceSnapshot": False}}
_NO_BALANCE_SNAPSHOT_AWAIT = {"watchBalance": {"fetchBalanceSnapshot": False, "awaitBalanceSnapshot": False}}
# watch_balance on futures would otherwise spawn a signed REST positions
# snapshot (fetch_positions), which is not part of the WS auth
_NO_POSITIONS_SNAPSHOT = {"watchPositions": {"fetchPositionsSnapshot": False}}
_CDP_KEY_NAME = "organizations/org-{api_key[4]}-7d0e/apiKeys/{api_key}"

# --- bybit family -----------------------------------------------------------

BYBIT = Entry(
    entry="bybit",
    call=WATCH_BALANCE,
    auth_frame={"op": "auth"},
    channel="wallet",
    markets=(market("BTCUSDT", "BTC/USDT"),),
    # avoid the two signed REST look-ups isUnifiedEnabled() would make (they
    # are account-info queries, not part of the WS auth): declare a unified
    # trading account up front
    options={"enableUnifiedMargin": False, "enableUnifiedAccount": True},
    replies=(Reply({"op": "auth"}, ({"success": True, "ret_msg": "", "op": "auth", "conn_id": "capture-conn"},)),),
    request_id_counter=("requestId",),
)

# --- okx family / bitget ----------------------------------------------------

OKX = Entry(
    entry="okx",
    call=WATCH_BALANCE,
    auth_frame={"op": "login"},
    channel="account",
    markets=(market("BTC-USDT", "BTC/USDT"),),
    replies=(Reply({"op": "login"}, ({"event": "login", "code": "0", "msg": "", "connId": "capture"},)),),
)

BITGET = Entry(
    entry="bitget",
    market_type="spot",
    call=WATCH_BALANCE,
    auth_frame={"op": "login"},
    channel="account",
    markets=(market("BTCUSDT", "BTC/USDT"),),
    replies=(Reply({"op": "login"}, ({"event": "login", "code": 0},)),),
)
# the classic accounts' other market types: the same login on the v2 socket,
# a subscribe of their own instType
BITGET_MARGIN = replace(BITGET, market_type="margin", call=Call("watch_balance", ({"marginMode": "cross"},)))
BITGET_SWAP = replace(BITGET, market_type="swap", call=Call("watch_balance", ({"type": "swap"},)))
BITGET_FUTURE = replace(BITGET, market_type="future", call=Call("watch_balance", ({"type": "future"},)))
# ccxt 4.5.90's option uta=True: the unified trading account's v3 private socket
BITGET_UTA = replace(BITGET, market_type="uta", call=Call("watch_balance", ({"uta": True},)))

# --- deribit / bitfinex -------------------------------------------------------

DERIBIT = Entry(
    entry="deribit",
    call=WATCH_ORDERS,
    auth_frame={"method": "public/auth"},
    channel="user.orders.any.any.raw",
    markets=(market("BTC-PERPETUAL", "BTC/USD:BTC", "swap"),),
    replies=(Reply({"method": "public/auth"}, ({
        "jsonrpc": "2.0",
        "id": Echo(("id",)),
        "result": {
            "token_type": "bearer",
            "scope": "connection mainaccount",
            "refresh_token": "capture-refresh-token",
            "expires_in": 31536000,
            "access_token": "capture-access-token",
        },
        "usIn": Clock("us"),
        "usOut": Clock("us", plus=1),
        "usDiff": 1,
        "testnet": False,
    },)),),
    request_id_counter=("requestId",),
)

BITFINEX = Entry(
    entry="bitfinex",
    call=WATCH_BALANCE,
    auth_frame={"event": "auth"},
    # bitfinex has no separate private subscribe: a successful `auth` event
    # subscribes the connection to the account channel (chanId 0)
    channel=None,
    markets=(market("tBTCUST", "BTC/USDT"),),
    replies=(Reply({"event": "auth"}, ({"event": "auth", "status": "OK", "chanId": 0, "userId": 1, "caps": {}},)),),
    nonce="given",
    expect_subscribe=0,
)

# --- htx ----------------------------------------------------------------------

_HTX_MARKETS = (market("btcusdt", "BTC/USDT"), market("BTC-USDT", "BTC/USDT:USDT", "swap"))

HTX_SPOT = Entry(
    entry="htx",
    market_type="spot",
    call=WATCH_ORDERS,
    auth_frame={"ch": "auth"},
    channel="orders#*",
    markets=_HTX_MARKETS,
    replies=(Reply({"action": "req", "ch": "auth"}, ({"action": "req", "code": 200, "ch": "auth", "data": {}},)),),
    request_id_counter=("requestId",),
)

HTX_LINEAR = Entry(
    entry="htx",
    market_type="linear",
    call=Call("watch_orders", (None, None, None, {"type": "swap", "subType": "linear"})),
    auth_frame={"op": "auth"},
    channel="orders",
    markets=_HTX_MARKETS,
    replies=(Reply({"op": "auth"}, (
        {"op": "auth", "type": "api", "err-code": 0, "ts": Clock(), "data": {"user-id": "1"}},
    )),),
    request_id_counter=("requestId",),
)

# --- gate -----------------------------------------------------------------------

_GATE_MARKETS = (market("BTC_USDT", "BTC/USDT"), market("BTC_USDT", "BTC/USDT:USDT", "swap"))

GATE_SPOT = Entry(
    entry="gate",
    market_type="spot",
    call=Call("watch_orders", (None, None, None, {"type": "spot"})),
    auth_frame=None,  # auth is inline in every private subscribe
    channel="spot.orders",
    markets=_GATE_MARKETS,
    request_id_counter=("reqid",),
)

GATE_SWAP = replace(
    GATE_SPOT, market_type="swap", call=Call("watch_orders", (None, None, None, {"type": "swap"})), channel="futures.orders"
)

GATE_WSAPI = Entry(
    entry="gate_wsapi",
    ccxt_id="gate",
    call=Call("authenticate", (FromExchange(("urls", "api", "spot")), "spot")),
    auth_frame={"channel": "spot.login"},
    channel="spot.login",
    markets=(market("BTC_USDT", "BTC/USDT"),),
    replies=(Reply({"channel": "spot.login"}, ({
        "header": {
            "response_time": Clock(as_text=True),
            "status": "200",
            "channel": "spot.login",
            "event": "api",
            "client_id": "capture",
        },
        "data": {"result": {"api_key": Given("api_key"), "uid": "1"}},
        "request_id": Echo(("payload", "req_id")),
    },)),),
    # ccxt's gate.authenticate() passes requestId='authenticated' to
    # request_private(), so the login's id / req_id are that constant
    fixed_request_id="authenticated",
    expect_subscribe=0,
)

GATEEU = replace(GATE_SPOT, entry="gateeu", market_type=None, markets=(market("BTC_USDT", "BTC/USDT"),))

# --- coinbase -------------------------------------------------------------------

COINBASEEXCHANGE = Entry(
    entry="coinbaseexchange",
    call=Call("watch_orders", ("BTC/USD",)),
    channel="user",
    symbols=("BTC-USD",),
    markets=(market("BTC-USD", "BTC/USD"),),
    credentials=CREDENTIALS_B64,
)

COINBASE = replace(COINBASEEXCHANGE, entry="coinbase", credentials=CREDENTIALS)

# --- binance --------------------------------------------------------------------

BINANCE_SPOT = Entry(
    entry="binance",
    market_type="spot",
    call=Call("watch_balance", ({"type": "spot"},)),
    auth_frame={"method": "userDataStream.subscribe.signature"},
    markets=(market("BTCUSDT", "BTC/USDT"),),
    replies=(Reply({"method": "userDataStream.subscribe.signature"}, (
        {"id": Echo(("id",)), "status": 200, "result": {"subscriptionId": 0}},
    )),),
    request_id_counter=_BINANCE_WS_API_SPOT,
    expect_subscribe=0,
)

# listen key: REST POST, then the key goes into the URL; no WS frames
BINANCE_LINEAR = Entry(
    entry="binance",
    market_type="linear",
    call=Call("watch_balance", ({"type": "swap", "subType": "linear"},)),
    markets=(
        market("BTCUSDT", "BTC/USDT"),
        market("BTCUSDT", "BTC/USDT:USDT", "swap"),
        market("BTCUSD_PERP", "BTC/USD:BTC", "swap"),
    ),
    options=_NO_POSITIONS_SNAPSHOT,
    rest=(RestReply("/listenKey", {"listenKey": Given("token")}), RestReply("/userDataStream", {"listenKey": Given("token")})),
    tokens="listen_key",
    expect_subscribe=0,
)

BINANCE_INVERSE = replace(
    BINANCE_LINEAR, market_type="inverse", call=Call("watch_balance", ({"type": "swap", "subType": "inverse"},))
)

# the listen token is minted over REST, then subscribed on the WS-API with
# userDataStream.subscribe.listenToken (ccxt 4.5.90 pro/binance.py
# ensure_user_data_stream_ws_subscribe_listen_token)
BINANCE_MARGIN = Entry(
    entry="binance",
    market_type="margin",
    call=Call("watch_balance", ({"type": "margin"},)),
    auth_frame={"method": "userDataStream.subscribe.listenToken"},
    markets=(market("BTCUSDT", "BTC/USDT"),),
    options=_NO_POSITIONS_SNAPSHOT,
    rest=(RestReply("/sapi/v1/userListenToken", {"token": Given("token"), "expirationTime": Clock(plus=86_400_000)}),),
    replies=(Reply({"method": "userDataStream.subscribe.listenToken"}, (
        {"id": Echo(("id",)), "status": 200, "result": {"subscriptionId": 0}},
    )),),
    request_id_counter=_BINANCE_WS_API_SPOT,
    tokens="listen_key",
    expect_subscribe=0,
)

BINANCEUSDM = replace(BINANCE_LINEAR, entry="binanceusdm", market_type=None, call=Call("watch_balance", ({},)))
BINANCECOINM = replace(BINANCEUSDM, entry="binancecoinm")

# the spot WS-API signature subscription with a private key: entries of their own, spot only
BINANCE_ED25519 = replace(
    BINANCE_SPOT, entry="binance_ed25519", ccxt_id="binance", market_type=None, credentials=key_credentials("ed25519_pem")
)
BINANCE_RSA = replace(BINANCE_ED25519, entry="binance_rsa", credentials=key_credentials("rsa_pem"))

# --- kraken ---------------------------------------------------------------------

KRAKEN = Entry(
    entry="kraken",
    call=WATCH_BALANCE,
    channel="balances",
    markets=(market("XXBTZUSD", "BTC/USD", altname="XBTUSD", wsId="XBT/USD"),),
    credentials=CREDENTIALS_B64,
    rest=(RestReply("/0/private/GetWebSocketsToken", {"error": [], "result": {"token": Given("token"), "expires": 900}}),),
    request_id_counter=("reqid",),
    nonce="given",
    tokens=(
        "xeAQ/RCChBYNVh53sTv1yZ5H4wIbwDF20PiHtTF+4UI",
        "Zq9/M2kLpW7cV+4rT8yN1bX6hJ3dF0sG5aE2uQ9oI1k",
        "c3RhYmxlLXRva2VuLWZvci1jYXB0dXJlLXRocmVlKys",
        "Lm8+Kp2/Wq7Vr4Ts9Ny1Bx6Hj3Df0Sg5Ae2Uq9Oi1Kw",
    ),
)

KRAKENFUTURES = Entry(
    entry="krakenfutures",
    call=WATCH_ORDERS,
    auth_frame={"event": "challenge"},
    channel="open_orders",
    markets=(market("PF_XBTUSD", "BTC/USD:USD", "swap"),),
    credentials=CREDENTIALS_B64,
    replies=(Reply({"event": "challenge"}, ({"event": "challenge", "message": Given("challenge")},)),),
    challenges=(
        "226aee50-88fc-4618-a42a-34f7709570b2",
        "c100b894-1729-464d-ace1-12dc6d8e3d35",
        "0b2e7c91-5d3a-4f6e-9a8b-7c6d5e4f3a2b",
        "f3e2d1c0-b9a8-4776-8655-443322110099",
    ),
)

# --- bitvavo / phemex / cryptocom / hitbtc family ----------------------------

BITVAVO = Entry(
    entry="bitvavo",
    call=Call("watch_orders", ("BTC/EUR",)),  # watch_orders requires a symbol on bitvavo
    auth_frame={"action": "authenticate"},
    channel="account",
    symbols=("BTC-EUR",),
    markets=(market("BTC-EUR", "BTC/EUR"),),
    replies=(Reply({"action": "authenticate"}, ({"event": "authenticate", "authenticated": True},)),),
)

PHEMEX = Entry(
    entry="phemex",
    call=WATCH_BALANCE,
    auth_frame={"method": "user.auth"},
    channel="wo.subscribe",
    markets=(market("sBTCUSDT", "BTC/USDT"),),
    replies=(Reply({"method": "user.auth"}, ({"error": None, "id": Echo(("id",)), "result": {"status": "success"}},)),),
    request_id_counter=("requestId",),
)

CRYPTOCOM = Entry(
    entry="cryptocom",
    call=WATCH_BALANCE,
    auth_frame={"method": "public/auth"},
    channel="user.balance",
    markets=(market("BTC_USDT", "BTC/USDT"),),
    # the reply's id is the request's id, as a number
    replies=(Reply({"method": "public/auth"}, ({"id": Echo(("id",), as_int=True), "method": "public/auth", "code": 0},)),),
    nonce="given",
)

HITBTC = Entry(
    entry="hitbtc",
    call=WATCH_BALANCE,
    auth_frame={"method": "login"},
    channel="spot_balance_subscribe",
    markets=(market("BTCUSDT", "BTC/USDT"),),
    # the login carries no id, so neither does its reply
    replies=(Reply({"method": "login"}, ({"jsonrpc": "2.0", "result": True},)),),
)

# --- onetrading / poloniex / cex ------------------------------------------------

ONETRADING = Entry(
    entry="onetrading",
    call=WATCH_BALANCE,
    auth_frame={"type": "AUTHENTICATE"},
    channel="ACCOUNT_HISTORY",
    markets=(market("BTC_EUR", "BTC/EUR"),),
    replies=(Reply({"type": "AUTHENTICATE"}, (
        {"channel_name": "SYSTEM", "type": "AUTHENTICATED", "time": "2026-01-01T00:00:00.000000Z"},
    )),),
)

POLONIEX = Entry(
    entry="poloniex",
    call=WATCH_BALANCE,
    auth_frame={"channel": ["auth"]},
    channel="balances",
    markets=(market("BTC_USDT", "BTC/USDT"),),
    options=_NO_BALANCE_SNAPSHOT,
    replies=(Reply({"channel": ["auth"]}, ({"data": {"success": True, "ts": Clock()}, "channel": "auth"},)),),
)

CEX = Entry(
    entry="cex",
    call=WATCH_BALANCE,
    auth_frame={"e": "auth"},
    channel="get-balance",
    markets=(market("BTC-USD", "BTC/USD"),),
    replies=(Reply({"e": "auth"}, ({"e": "auth", "data": {"ok": "ok"}, "ok": "ok", "timestamp": Clock("s")},)),),
)

# --- blofin / alpaca ------------------------------------------------------------

BLOFIN = Entry(
    entry="blofin",
    call=WATCH_BALANCE,
    auth_frame={"op": "login"},
    channel="account",
    markets=(market("BTC-USDT", "BTC/USDT:USDT", "swap"),),
    replies=(Reply({"op": "login"}, ({"event": "login", "code": "0", "msg": ""},)),),
)

# the trading stream (trade_updates); the crypto market-data stream
# authenticates with a different frame ({action: auth, key, secret}): the
# alpaca_crypto entry
ALPACA = Entry(
    entry="alpaca",
    call=WATCH_ORDERS,
    auth_frame={"action": "authenticate"},
    channel="trade_updates",
    markets=(market("BTC/USD", "BTC/USD"),),
    replies=(Reply({"action": "authenticate"}, (
        {"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}},
    )),),
)

# the crypto market-data stream: ccxt authenticates it before any subscription
# (here the quotes of one pair)
ALPACA_CRYPTO = Entry(
    entry="alpaca_crypto",
    ccxt_id="alpaca",
    call=Call("watch_ticker", ("BTC/USD",)),
    auth_frame={"action": "auth"},
    channel="quotes",
    markets=(market("BTC/USD", "BTC/USD"),),
    replies=(Reply({"action": "auth"}, ([{"T": "success", "msg": "authenticated"}],)),),
)

# --- frames / handshake (issue #4) ------------------------------------------------

BYDFI = Entry(
    entry="bydfi",
    call=WATCH_BALANCE,
    auth_frame={"method": "LOGIN"},
    # the login subscribes the connection to its private streams: ccxt sends
    # no separate subscribe
    channel=None,
    markets=(market("BTC-USDT", "BTC/USDT:USDT", "swap"),),
    replies=(Reply({"method": "LOGIN"}, ({"result": True, "id": Echo(("id",))},)),),
    request_id_counter=("reqid",),
    expect_subscribe=0,
)

WOO = Entry(
    entry="woo",
    call=WATCH_ORDERS,
    auth_frame={"event": "auth"},
    channel="executionreport",
    markets=(market("SPOT_BTC_USDT", "BTC/USDT"),),
    replies=(Reply({"event": "auth"}, ({"event": "auth", "success": True, "ts": Clock()},)),),
)

BLOCKCHAINCOM = Entry(
    entry="blockchaincom",
    call=WATCH_BALANCE,
    auth_frame={"channel": "auth"},
    channel="balances",
    markets=(market("BTC-USD", "BTC/USD"),),
    replies=(Reply({"channel": "auth"}, ({"seqnum": 0, "event": "subscribed", "channel": "auth", "readOnly": False},)),),
)

_WEEX_MARKETS = (market("BTCUSDT", "BTC/USDT"), market("BTCUSDT_SWAP", "BTC/USDT:USDT", "swap"))

WEEX_SPOT = Entry(
    entry="weex",
    market_type="spot",
    call=Call("watch_orders", ("BTC/USDT",)),
    auth_frame=None,  # the handshake headers authenticate: no auth frame
    channel="orders",
    markets=_WEEX_MARKETS,
)

WEEX_SWAP = replace(WEEX_SPOT, market_type="swap", call=Call("watch_orders", ("BTC/USDT:USDT",)))

HOLLAEX = Entry(
    entry="hollaex",
    call=WATCH_ORDERS,
    auth_frame=None,  # the signed URL authenticates: no auth frame
    channel="order",
    markets=(market("btc-usdt", "BTC/USDT"),),
)

APEX = Entry(
    entry="apex",
    call=WATCH_ORDERS,
    auth_frame={"op": "login"},
    channel="orders",
    markets=(market("BTCUSDT", "BTC/USDT:USDT", "swap"),),
    replies=(Reply({"op": "login"}, ({"success": True, "ret_msg": "", "op": "auth", "conn_id": "capture"},)),),
)

EXTENDED = Entry(
    entry="extended",
    call=WATCH_BALANCE,
    auth_frame=None,  # the account stream is private by its handshake: nothing is sent
    markets=(market("BTC-USD", "BTC/USD:USD", "swap"),),
    # check_required_credentials wants the Stark key that signs orders; the
    # account stream's handshake only carries the API key
    config={"privateKey": "0x" + "11" * 32},
    expect_subscribe=0,
)

BULLISH = Entry(
    entry="bullish",
    call=WATCH_ORDERS,
    auth_frame=None,  # the JWT cookie on the handshake authenticates: no auth frame
    channel="orders",
    markets=(market("BTCUSDC", "BTC/USDC"),),
    rest=(RestReply("/v1/users/hmac/login", {
        "authorizer": "113363EFA2CA00007368524E02000000",
        "ownerAuthorizer": "113363EFA2CA00007368524E02000000",
        "token": Given("token"),
    }),),
    tokens="listen_key",
)

# --- private keys: Ed25519, ECDSA (and Deribit's own client credentials) ---------

BACKPACK = Entry(
    entry="backpack",
    call=WATCH_ORDERS,
    markets=(market("BTC_USDC", "BTC/USDC"),),
    # ccxt's nonce() refuses to run until it has measured the clock offset
    options={"timeDifference": 0},
    credentials=key_credentials("ed25519_seed_base64"),
)

# Coinbase hands out "BEGIN EC PRIVATE KEY"; the JWT header's nonce is ccxt's random_bytes(16)
COINBASE_CDP = replace(
    COINBASE, entry="coinbase_cdp", ccxt_id="coinbase", credentials=key_credentials("p256_pem_sec1", api_key=_CDP_KEY_NAME), nonce="random_bytes"
)

COINBASEINTERNATIONAL = Entry(
    entry="coinbaseinternational",
    ccxt_id="coinbaseinternational",
    call=WATCH_BALANCE,
    auth_frame={"method": "public/auth"},
    markets=(market("BTC-PERPETUAL", "BTC/USD:BTC", "swap"),),
    credentials=key_credentials("p256_pem_sec1", api_key=_CDP_KEY_NAME),
    replies=(Reply({"method": "public/auth"}, ({
        "jsonrpc": "2.0",
        "id": Echo(("id",)),
        "result": {"expires_in": 3000, "scope": "trade:read_write", "sid": "capture-sid", "token_type": "bearer",
                   "access_token": "capture-access-token"},
    },)),),
    request_id_counter=("requestId",),
    nonce="random_bytes",
)

COINBASEINTERNATIONAL_EDDSA = replace(
    COINBASEINTERNATIONAL,
    entry="coinbaseinternational_eddsa",
    credentials=key_credentials("ed25519_seed_public_base64", api_key=_CDP_KEY_NAME),
)

# Deribit's own client credentials, which ccxt recognises by their shape (an
# 8-character id, a 43-character secret) and sends to Deribit
COINBASEINTERNATIONAL_NATIVE = replace(
    COINBASEINTERNATIONAL,
    entry="coinbaseinternational_native",
    credentials={
        "A": {"api_key": "Ab3dE5gH", "secret": "sEcReT-A-0123456789abcdefghijklmnopqrstuvwx"},
        "B": {"api_key": "Zy9xW7vU", "secret": "sEcReT-B-zyxwvutsrqponmlkjihgfedcba98765432"},
    },
    nonce="ccxt",
)

# --- REST listen keys and tokens (issue #4) -----------------------------------
# the private stream is the URL itself; what ccxt sends on it (a channel
# subscribe) carries nothing derived from the credentials

LISTEN_KEY = Entry(
    entry="",
    call=WATCH_BALANCE,
    markets=(market("BTCUSDT", "BTC/USDT"),),
    tokens="listen_key",
    expect_subscribe=0,
)

HASHKEY = replace(
    LISTEN_KEY, entry="hashkey", options=_NO_BALANCE_SNAPSHOT,
    rest=(RestReply("/api/v1/userDataStream", {"listenKey": Given("token")}),),
)
TOOBIT = replace(
    LISTEN_KEY, entry="toobit", call=WATCH_ORDERS, rest=(RestReply("/api/v1/userDataStream", {"listenKey": Given("token")}),)
)
BITRUE = replace(
    LISTEN_KEY, entry="bitrue",
    rest=(RestReply("/poseidon/api/v1/listenKey", {"msg": "succ", "code": 200, "data": {"listenKey": Given("token")}}),),
)
BINGX_SPOT = replace(
    LISTEN_KEY, entry="bingx", market_type="spot", call=Call("watch_balance", ({"type": "spot"},)),
    markets=(market("BTC-USDT", "BTC/USDT"), market("BTC-USDT", "BTC/USDT:USDT", "swap")),
    options=_NO_BALANCE_SNAPSHOT_AWAIT,
    rest=(RestReply("/user/auth/userDataStream", {"listenKey": Given("token")}),),
)
BINGX_LINEAR = replace(BINGX_SPOT, market_type="linear", call=Call("watch_balance", ({"type": "swap", "subType": "linear"},)))
MEXC_SPOT = replace(
    LISTEN_KEY, entry="mexc", market_type="spot", call=Call("watch_balance", ({"type": "spot"},)),
    options=_NO_BALANCE_SNAPSHOT_AWAIT, rest=(RestReply("/api/v3/userDataStream", {"listenKey": Given("token")}),),
)
DEEPCOIN = replace(
    LISTEN_KEY, entry="deepcoin", call=WATCH_ORDERS,
    rest=(RestReply("/deepcoin/listenkey/acquire", {
        "code": "0", "msg": "", "data": {"listenkey": Given("token"), "expire_time": 1790003600},
    }),),
)

MEXC_SWAP = Entry(
    entry="mexc",
    market_type="swap",
    call=Call("watch_balance", ({"type": "swap"},)),
    auth_frame={"method": "login"},
    markets=(market("BTC_USDT", "BTC/USDT:USDT", "swap"),),
    options=_NO_BALANCE_SNAPSHOT_AWAIT,
    replies=(Reply({"method": "login"}, ({"channel": "rs.login", "data": "success", "ts": Clock()},)),),
    expect_subscribe=0,
)

# spot: POST /v4/ws-token, the token in each private subscribe's listenKey;
# contract: GET /future/user/v1/user/listen-key, the key after the channel name
# in each private subscribe's params (ccxt 4.5.90 pro/xt.py subscribe). No
# canned ack: ccxt 4.5.90's xt handle_subscription_status indexes
# client.subscriptions, which holds the token string, and raises (after the
# subscribe this capture records was sent)
XT_SPOT = Entry(
    entry="xt",
    market_type="spot",
    call=WATCH_ORDERS,
    channel="order",
    markets=(market("btc_usdt", "BTC/USDT"), market("btc_usdt", "BTC/USDT:USDT", "swap")),
    rest=(RestReply("/v4/ws-token", {"rc": 0, "mc": "SUCCESS", "ma": [], "result": {"accessToken": Given("token")}}),),
    tokens="listen_key",
)
XT_SWAP = replace(
    XT_SPOT, market_type="swap", call=Call("watch_orders", (None, None, None, {"type": "swap"})),
    rest=(RestReply("/future/user/v1/user/listen-key", {
        "returnCode": 0, "msgInfo": "success", "error": None, "result": Given("token"),
    }),),
)


# KuCoin's documented bullet reply (https://www.kucoin.com/docs-new/websocket-api/base-info/get-private-token):
# the socket endpoint and its ping interval come with the token.
def _kucoin_bullet(endpoint: str) -> tuple[RestReply, ...]:
    return (RestReply("/bullet-private", {"code": "200000", "data": {"token": Given("token"), "instanceServers": [{
        "endpoint": endpoint, "encrypt": True, "protocol": "websocket", "pingInterval": 18000, "pingTimeout": 10000}]}}),)


_KUCOIN_ACK = {"id": Echo(("id",)), "type": "ack"}

KUCOIN_SPOT = Entry(
    entry="kucoin",
    market_type="spot",
    call=WATCH_ORDERS,
    markets=(market("BTC-USDT", "BTC/USDT"),),
    options={"uta": False},
    rest=_kucoin_bullet("wss://ws-api-spot.kucoin.com/"),
    replies=(Reply({"type": "subscribe"}, (_KUCOIN_ACK,)), Reply({"action": "subscribe"}, (_KUCOIN_ACK,))),
    tokens="listen_key",
)
# ccxt 4.5.90's option uta=True (KuCoin's unified trading account): POST
# /api/v2/bullet-private, the token on the fixed UTA socket
KUCOIN_UTA = replace(
    KUCOIN_SPOT, market_type="uta", options={"uta": True},
    rest=(RestReply("/bullet-private", {"code": "200000", "data": {"token": Given("token")}}),),
)
KUCOINFUTURES = replace(
    KUCOIN_SPOT, entry="kucoinfutures", market_type=None, markets=(market("XBTUSDTM", "BTC/USDT:USDT", "swap"),),
    rest=_kucoin_bullet("wss://ws-api-futures.kucoin.com/"),
)

# a websocket token from the signed v4 REST call, then authorize with it
# (ccxt 4.5.90 pro/whitebit.py authenticate)
WHITEBIT = Entry(
    entry="whitebit",
    call=Call("watch_orders", ("BTC/USDT",)),
    auth_frame={"method": "authorize"},
    markets=(market("BTC_USDT", "BTC/USDT"),),
    rest=(RestReply("/api/v4/profile/websocket_token", {"websocket_token": Given("token")}),),
    replies=(Reply({"method": "authorize"}, ({"id": Echo(("id",)), "result": {"status": "success"}, "error": None},)),),
    nonce="given",
    tokens="listen_key",
)

# a WebSocket token from the signed v2 REST call, then the token in each
# private subscribe's data.auth (ccxt 4.5.90 pro/bitstamp.py)
BITSTAMP = Entry(
    entry="bitstamp",
    call=Call("watch_orders", ("BTC/USD",)),
    channel="private-my_orders_btcusd-4848701",
    markets=(market("btcusd", "BTC/USD"),),
    rest=(RestReply("/api/v2/websockets_token/", {"valid_sec": 60, "token": Given("token"), "user_id": 4848701}),),
    replies=(Reply({}, ({"event": "bts:subscription_succeeded", "channel": Echo(("data", "channel")), "data": {}},)),),
    nonce="uuid",  # X-Auth-Nonce
    tokens="listen_key",
)

# a subscribe key from the signed v2 REST call, then the key in each private
# subscribe (ccxt 4.5.90 pro/lbank.py authenticate); the echostr ccxt signs is
# its uuid22() + uuid16() draws (recorded as the nonce)
LBANK = Entry(
    entry="lbank",
    call=WATCH_BALANCE,
    markets=(market("btc_usdt", "BTC/USDT"),),
    credentials=CREDENTIALS_SHORT,
    rest=(RestReply("/subscribe/get_key.do", {"result": True, "data": Given("token"), "error_code": 0, "ts": Clock()}),),
    nonce="uuid",
    nonce_uuid_draws=2,
    tokens="listen_key",
)

# --- Orderly keys: woofipro, modetrade; JWT handshake headers: upbit, bithumb ---

WOOFIPRO = Entry(
    entry="woofipro",
    call=WATCH_ORDERS,
    auth_frame={"event": "auth"},
    channel="executionreport",
    markets=(market("PERP_BTC_USDC", "BTC/USDC:USDC", "swap"),),
    # ccxt's secret is the Orderly secret ("ed25519:" + base58 seed), our
    # credentials.private_key; the account id is ccxt's accountId, our uid
    credentials=key_credentials("ed25519_seed_base58", uid=True),
    uid_key="accountId",
    replies=(Reply({"event": "auth"}, ({"event": "auth", "success": True, "ts": Clock()},)),),
)

UPBIT = Entry(
    entry="upbit",
    call=WATCH_BALANCE,
    auth_frame=None,  # the JWT in the handshake header authenticates: no auth frame
    markets=(market("KRW-BTC", "BTC/KRW"),),
    nonce="uuid",  # the JWT's nonce claim
)


# --- wallet keys (secp256k1) -------------------------------------------------

# EIP-191 personal_sign of the ms timestamp; public/login {wallet, timestamp,
# signature} (ccxt 4.5.90 pro/derive.py authenticate; derive.py sign_hash)
DERIVE = Entry(
    entry="derive",
    call=WATCH_ORDERS,
    auth_frame={"method": "public/login"},
    channel="orders",
    markets=(market("ETH-PERP", "ETH/USDC:USDC", "swap"),),
    credentials=wallet_credentials(),
    private_key_key="privateKey",
    options={"subaccount_id": 130837},  # watch_orders needs one; the login does not read it
    replies=(Reply({"method": "public/login"}, ({"id": Echo(("id",)), "result": [130837]},)),),
    request_id_counter=("requestId", FromExchange(("urls", "api", "ws"))),
)

# EIP-712 StreamAuthentication{bytes32 sender, uint64 expiration}; the domain's
# chain id and verifying contract come from ccxt's contracts query, served here
# from its cache option with the values the catalogue holds (ccxt 4.5.90
# pro/nado.py authenticate, nado.py query_contracts, sign_hash)
NADO = Entry(
    entry="nado",
    call=WATCH_ORDERS,
    auth_frame={"method": "authenticate"},
    channel="order_update",
    markets=(market("2", "BTC/USDT0:USDT0", "swap"),),
    credentials=wallet_credentials(),
    private_key_key="privateKey",
    options={"gatewayContracts": {"chain_id": "57073", "endpoint_addr": "0x05ec92D78ED421f3D3Ada77FFdE167106565974E"}},
    replies=(Reply({"method": "authenticate"}, ({"result": None, "id": Echo(("id",))},)),),
    request_id_counter=("requestId",),
)
# Polymarket Perpetuals: the session proxy's address and secret in a post
# "auth" op, nothing signed (ccxt 4.5.90 pro/polymarket.py authenticate); ccxt
# reads them from its provisioning cache (polymarket.py load_proxy_credentials),
# seeded here with the credential set's api_key (the proxy) and secret
POLYMARKET_PROXIES = {
    "A": {"api_key": "0x3b1e0A2C4d5F67890aBcDeF0123456789AbCdEf1", "secret": "pm-proxy-secret-A-7Hq2Lw9Xz4Rt6Yv1"},
    "B": {"api_key": "0x9C8b7A6f5E4d3C2b1A0f9E8d7C6b5A4f3E2d1C0b", "secret": "pm-proxy-secret-B-Kp3Ns8Vd2Mf5Gj0Q"},
}
POLYMARKET = Entry(
    entry="polymarket",
    call=WATCH_ORDERS,
    auth_frame={"req": "post"},
    channel="orders",
    markets=(market("BTC-USD", "BTC/USDC:USDC", "swap"),),
    credentials=POLYMARKET_PROXIES,
    options={"proxyCredentials": {"proxy": Given("api_key"), "secret": Given("secret"), "expires": None}},
    replies=(Reply({"req": "post"}, ({"id": Echo(("id",)), "data": {"status": "ok"}},)),),
    request_id_counter=("requestId",),
)
def _polymarket_hash_text(ex: Any) -> None:
    """ccxt 4.5.90 polymarket.py hash_message (line 2464) hands the text it is
    given (create_proxy_credentials' nonceMessage, line 2490) to its Keccak,
    which takes bytes only, and raises: ccxt's Python never provisions a
    session. ccxt's JavaScript hashes a string as its UTF-8 (noble-hashes'
    utf8ToBytes). This is hash_message with a text encoded so; bytes (the
    EIP-712 encoding signed at line 2519) pass as they are, and every other
    call is ccxt's own."""

    def hash_message(message: Any) -> str:
        return "0x" + ex.hash(message.encode("utf-8") if isinstance(message, str) else message, "keccak", "hex")

    ex.hash_message = hash_message


# The same socket, with the session provisioned from the wallet key (ccxt
# 4.5.90 polymarket.py create_proxy_credentials: the proxy key derived from
# the wallet's signature of "polymarket-perps-proxy:<ms>:<rand_number(9)>",
# EIP-712 CreateProxy signed by the wallet, POST account/proxy, reply
# {"secret"}), with hash_message mended (_polymarket_hash_text). ccxt's
# rand_number draws are frozen (both: the message's and the salt). The token
# each run serves is the session as our modules hold it, {"proxy", "secret"}:
# the secret is what the fake REST edge answers, the proxy the one ccxt
# registers in that run (its frame carries it; the generated tests build our
# frame from this token and compare it with ccxt's, so a wrong proxy here
# fails them).
def _polymarket_session(proxy: str, n: int) -> str:
    return json.dumps({"proxy": proxy, "secret": f"pm-session-secret-{n}-{'5e' * 12}"}, separators=(",", ":"))


POLYMARKET_WALLET = Entry(
    entry="polymarket_wallet",
    ccxt_id="polymarket",
    call=WATCH_ORDERS,
    auth_frame={"req": "post"},
    channel="orders",
    markets=(market("BTC-USD", "BTC/USDC:USDC", "swap"),),
    credentials=wallet_credentials(wallet_address=False),
    private_key_key="privateKey",
    # the docs' ProxyResponse (docs.polymarket.com/api-reference/create-proxy.md)
    rest=(RestReply("/account/proxy", {"status": "ok", "secret": FromToken("secret")}),),
    replies=(Reply({"req": "post"}, ({"id": Echo(("id",)), "data": {"status": "ok"}},)),),
    request_id_counter=("requestId",),
    nonce="rand_number",
    tokens=(
        _polymarket_session("0x1bcb988e25295f89300486b328406cc106871fd4", 1),
        _polymarket_session("0x4b21f1cd1370e56b2917311cec743469b22eec6a", 2),
        _polymarket_session("0x6da1281b41a25d2185caa92de726549f6972664d", 3),
        _polymarket_session("0x29a206d4d4c49487a5f3abad56c8323f47bd3daf", 4),
    ),
    patch=_polymarket_hash_text,
)

# Lighter's auth token is made by its native signer (a Schnorr signature on
# Lighter's own curve, random nonce): not reproducible, so the entry takes the
# token the user's signer made (credentials.secret) and puts it in each private
# subscribe (ccxt 4.5.90 pro/lighter.py subscribe_private: params.auth =
# create_auth(); lighter.py create_auth returns a cached token while its
# deadline is over a minute away). The capture seeds that cache with the
# credential set's secret and a stand-in signer, so that ccxt never loads its
# native library.
LIGHTER_TOKENS = {
    "A": {"secret": "1767254400:666666:254:5f3c0a9d2b7e41c8a6f0e3d2c1b4a79e8d6f5c4b3a2918e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"},
    "B": {"secret": "1790028800:777777:254:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"},
}
LIGHTER = Entry(
    entry="lighter",
    call=WATCH_ORDERS,
    channel="account_all_orders/666666",
    markets=(market("1", "BTC/USDC:USDC", "swap"),),
    credentials=LIGHTER_TOKENS,
    options={
        "accountIndex": 666666,
        "apiKeyIndex": 254,
        "auths": {"666666": {"254": {"signer": {"stand-in": "no native signer is loaded"}, "lighterPrivateKey": None,
                                     "deadline": 4102444800, "token": Given("secret")}}},
    },
)

# --- a STARK key derived from a wallet key: paradex ---------------------------

# What ccxt 4.5.90's paradex reads from GET /v1/system/config, preset in
# ex.options so that no such call is made: the production chain ids (the
# Ethereum chain id is the "STARK Key" message's, the Starknet chain id the
# /v1/auth domain's), and the account class hashes ccxt derives the account
# address with (paradex-py's and ccxt's own testnet fixture values; our module
# is given the address as credentials.uid: see exchanges.toml).
PARADEX_SYSTEM_CONFIG = {
    "l1_chain_id": "1",
    "starknet_chain_id": "PRIVATE_SN_PARACLEAR_MAINNET",
    "paraclear_account_hash": "0x41cb0280ebadaa75f996d8d92c6f265f6d040bb3ba442e5f86a554f1765244e",
    "paraclear_account_proxy_hash": "0x3530cc4759d78042f1b543bf797f5f3d647cde0388c33734cf91b7f7b9314a9",
}
# The wallet sets, and the account ccxt's retrieve_account derives for each key
# under PARADEX_SYSTEM_CONFIG; set B's written with its leading zeros (64
# digits), as a user may paste it: ccxt's header has none, nor has ours.
PARADEX_ACCOUNTS = {
    "A": "0x76fed851b21797495189ccee85fb6e8a10b9be30461653b9a68cab124237bc5",
    "B": "0x07030c4f36d67963293169059164ff6ea88bcba2f0ba560a397755ed6482f1d4",
}
PARADEX_CREDENTIALS = {name: {**creds, "uid": PARADEX_ACCOUNTS[name]} for name, creds in wallet_credentials().items()}

# ccxt 4.5.90 paradex.py authenticate_rest (POST /v1/auth, its JWT) and
# pro/paradex.py authenticate (the JWT in a JSON-RPC auth frame).
PARADEX = Entry(
    entry="paradex",
    call=WATCH_ORDERS,
    auth_frame={"method": "auth"},
    channel="orders.ALL",
    markets=(market("BTC-USD-PERP", "BTC/USD:USDC", "swap"),),
    options={"systemConfig": PARADEX_SYSTEM_CONFIG},
    credentials=PARADEX_CREDENTIALS,
    private_key_key="privateKey",
    uid_key="paradexAccountAddress",  # no ccxt setting: ccxt derives the address, ours is given it
    rest=(RestReply("/v1/auth", {"jwt_token": Given("token")}),),
    # the auth reply (docs.paradex.trade/ws/general-information/authentication)
    replies=(Reply({"method": "auth"}, ({"jsonrpc": "2.0", "result": {"node_id": "a1b2c3d4e5f6g7h8"}, "id": Echo(("id",))},)),),
    request_id_counter=("requestId",),
    tokens=(
        "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiIweDEifQ.capture-jwt-1",
        "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiIweDIifQ.capture-jwt-2",
        "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiIweDMifQ.capture-jwt-3",
        "eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiIweDQifQ.capture-jwt-4",
    ),
)


def _aster_watch_balance(ex: Any) -> None:
    """ccxt 4.5.90 pro/aster.py watch_balance (like every private watch_*
    there) asks handle_market_type_and_params for the market type, then tests
    its own local ``type``, which is always None, and raises
    ArgumentsRequired: the private stream can never start. This is its body
    with that one test made on the market type it was given; every call in it
    is ccxt's own."""

    async def watch_balance(params: dict[str, Any] = {}) -> Any:  # noqa: B006 (ccxt's signature)
        market_type, rest = ex.handle_market_type_and_params("watchBalance", None, params, None)
        await ex.authenticate(market_type, rest)
        url = ex.get_private_url(market_type)
        ex.set_balance_cache(ex.client(url), market_type)
        return await ex.watch(url, market_type + ":balance", None, market_type)

    ex.watch_balance = watch_balance


# --- wallet keys behind a REST call (aster, grvt) ------------------------------

# The listen-key POST signed with EIP-712 Message{msg} over its own form body
# (ccxt 4.5.90 aster.py sign(): nonce = milliseconds * 1000, user = signer = the
# key's address); the key in the socket's path. No frame is sent.
ASTER_SWAP = Entry(
    entry="aster",
    market_type="swap",
    call=Call("watch_balance", ({"type": "swap"},)),
    markets=(market("BTCUSDT", "BTC/USDT:USDT", "swap"),),
    credentials=wallet_credentials(wallet_address=False),
    private_key_key="privateKey",
    rest=(RestReply("/v3/listenKey", {"listenKey": Given("token")}),),
    tokens="listen_key",
    expect_subscribe=0,
    patch=_aster_watch_balance,
)
ASTER_SPOT = replace(
    ASTER_SWAP, market_type="spot", call=Call("watch_balance", ({"type": "spot"},)), markets=(market("BTCUSDT", "BTC/USDT"),)
)

# The wallet login (EIP-712 WalletLogin{signer, nonce, expiration}, r/s/v as
# separate fields) answers with the session in its headers: the gravity cookie
# and X-Grvt-Account-Id, which ccxt reads in handle_errors and puts on the
# handshake (ccxt 4.5.90 grvt.py sign_in_with_private_key, handle_errors;
# pro/grvt.py authenticate). The token each run serves is that session, as
# our modules read it: the JSON object of the handshake headers.
_GRVT_ACCOUNT = "0xc73c0c2538fd9b833d20933ccc88fdaa74fcb0d0"  # ccxt grvt.py's example main account id


def _grvt_session(n: int) -> str:
    return json.dumps({"Cookie": f"gravity=session-{n}-{'ab' * 20}", "X-Grvt-Account-Id": _GRVT_ACCOUNT}, separators=(",", ":"))


GRVT = Entry(
    entry="grvt",
    call=WATCH_ORDERS,
    channel="v1.order",
    markets=(market("BTC_USDT_Perp", "BTC/USDT:USDT", "swap"),),
    credentials=wallet_credentials(wallet_address=False),
    private_key_key="privateKey",
    # sign_in() would also approve a builder fee and look up the account's
    # summary and sub-accounts (REST calls that are not the WS auth): off.
    options={"builderFee": False, "userMainAccountId": _GRVT_ACCOUNT, "accountId": "4724219064482495"},
    rest=(RestReply(
        "/auth/wallet/login", {"status": "success", "location": ""},
        headers=(
            ("Set-Cookie", FromToken("Cookie", "; Path=/; Expires=Wed, 02 Dec 2026 00:00:00 GMT; HttpOnly; Secure")),
            ("X-Grvt-Account-Id", FromToken("X-Grvt-Account-Id")),
        ),
    ),),
    tokens=(_grvt_session(1), _grvt_session(2), _grvt_session(3), _grvt_session(4)),
)


# --- test environments: ccxt's sandbox mode -----------------------------------


def _grvt_testnet_socket(ex: Any) -> None:
    """ccxt 4.5.90's sandbox mode swaps grvt's urls.api for urls.test, which
    holds REST hosts only (grvt.py urls.test; pro/grvt.py names no test
    socket), so its private stream would look up urls.api.ws and fail before
    anything is signed. This puts GRVT's documented testnet socket there
    (https://api-docs.grvt.io/trading_api/: wscat -c
    "wss://trades.testnet.grvt.io/ws/full"); the socket URL is proven by
    tests/fixtures/sources.toml, the signed login by ccxt."""
    ex.urls["api"]["ws"] = {"privateTrading": "wss://trades.testnet.grvt.io/ws/full"}


# Paradex's testnet: what its GET /v1/system/config states (paradex-py
# 0.6.2's testnet mock, tests/mocks/api_client.py: "starknet_chain_id":
# "PRIVATE_SN_POTC_SEPOLIA", "l1_chain_id": "11155111", and the same class
# hashes), preset as for production; and the account ccxt's retrieve_account
# derives there for each key (the testnet's STARK key is another).
PARADEX_TESTNET_SYSTEM_CONFIG = {
    **PARADEX_SYSTEM_CONFIG, "l1_chain_id": "11155111", "starknet_chain_id": "PRIVATE_SN_POTC_SEPOLIA",
}
PARADEX_TESTNET_ACCOUNTS = {
    "A": "0x6b32ebe922ef8921bcb6010e4c5c69680eb36c1e1493a63b34ffd7ade88e990",
    "B": "0xe4676224e24774b5827fa622ed385612d51c25209003841781512cccc3d3cb",
}


# (entry, market_type, environment) -> the record that drives ccxt in that
# environment: tests/frames/test_testnets.py compares our module under
# config_with(environment=...) with it.
TESTNETS: Mapping[tuple[str, str | None, str], Entry] = {
    # grvt.py eip_domain_data: 'chainId': 326 if self.isSandboxModeEnabled
    # else 325; default_signature 'chain_id': '326' ...; urls.test privateEdge
    # https://edge.testnet.grvt.io/.
    ("grvt", None, "testnet"): replace(GRVT, sandbox=True, patch=_grvt_testnet_socket),
    # paradex.py urls.test v1 https://api.testnet.{hostname}/v1; pro/paradex.py
    # urls.test ws wss://ws.api.testnet.paradex.trade/v1; prepare_paradex_domain
    # reads both chain ids from the system config.
    ("paradex", None, "testnet"): replace(
        PARADEX, sandbox=True, options={"systemConfig": PARADEX_TESTNET_SYSTEM_CONFIG},
        credentials={name: {**creds, "uid": PARADEX_TESTNET_ACCOUNTS[name]} for name, creds in wallet_credentials().items()},
    ),
}


ENTRIES: tuple[Entry, ...] = (
    BYBIT, replace(BYBIT, entry="bybiteu"), replace(BYBIT, entry="bybitid"),
    OKX, replace(OKX, entry="myokx"), replace(OKX, entry="okxus"), BITGET, BITGET_MARGIN, BITGET_SWAP, BITGET_FUTURE, BITGET_UTA,
    DERIBIT, BITFINEX,
    HTX_SPOT, HTX_LINEAR,
    GATE_SPOT, GATE_SWAP, GATE_WSAPI,
    COINBASEEXCHANGE, COINBASE,
    BINANCE_SPOT, BINANCE_LINEAR, BINANCE_INVERSE, BINANCE_MARGIN, BINANCEUSDM, BINANCECOINM,
    KRAKEN, KRAKENFUTURES,
    BITVAVO, PHEMEX, CRYPTOCOM, HITBTC, replace(HITBTC, entry="bequant"),
    ONETRADING, POLONIEX, CEX,
    BLOFIN, ALPACA,
    HASHKEY, TOOBIT, BITRUE, BINGX_SPOT, BINGX_LINEAR, MEXC_SPOT, MEXC_SWAP, DEEPCOIN,
    XT_SPOT, XT_SWAP,
    KUCOIN_SPOT, KUCOIN_UTA, KUCOINFUTURES, WHITEBIT, BITSTAMP, LBANK,
    BINANCE_ED25519, BINANCE_RSA,
    BACKPACK, COINBASE_CDP,
    COINBASEINTERNATIONAL, COINBASEINTERNATIONAL_EDDSA, COINBASEINTERNATIONAL_NATIVE,
    BYDFI, GATEEU,
    WOO, BLOCKCHAINCOM, ALPACA_CRYPTO, WEEX_SPOT, WEEX_SWAP, HOLLAEX, APEX,
    EXTENDED, BULLISH,
    WOOFIPRO, replace(WOOFIPRO, entry="modetrade"), UPBIT, replace(UPBIT, entry="bithumb"),
    DERIVE, NADO, POLYMARKET, POLYMARKET_WALLET, LIGHTER,
    PARADEX, ASTER_SPOT, ASTER_SWAP, GRVT,
)
