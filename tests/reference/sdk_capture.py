"""The second reference: what each exchange's own Python SDK sends to
authenticate, captured with a frozen clock, pinned credentials and no network.

ccxt (tests/reference/ccxt_capture.py) proves that our modules copy ccxt
faithfully; it cannot prove that ccxt is current. Here the exchange's official
SDK runs its own, unmodified signing code:

* ``time.time`` is frozen at the scenario's clock, the SDK's random draws
  (JWT nonces, request ids) return pinned values, and ``socket.connect`` /
  DNS raise, so nothing can reach the network;
* the SDK's socket (its WebSocketApp / websockets connection object) is
  replaced by a recorder: what the SDK would write to the wire is what is
  recorded, parsed from the JSON text it produced.

Each fixture (``tests/fixtures/sdk/<entry>-<n>.json``) names the SDK and its
version, the SDK function that built the frame, the credentials, the clock
and every pinned draw, the socket URL when the SDK chooses it, the auth
frames and the private subscribe frames. ``tests/frames/test_sdk_reference.py``
compares our modules with them (it needs none of these SDKs installed).

The SDKs pin conflicting versions of websockets, PyJWT and friends and cannot
share the test environment, nor all one another's: each requirements file in
``tests/reference/sdk/`` is one virtualenv, and a run captures the scenarios
whose SDK that environment has (the others are reported as skipped)::

    for group in main binance misc apex orderly cbrc; do
        python3 -m venv .venv-sdk-$group
        .venv-sdk-$group/bin/pip install -r tests/reference/sdk/requirements-$group.txt
        .venv-sdk-$group/bin/python -m tests.reference.sdk_capture --write   # (re)write tests/fixtures/sdk
    done
    # --check instead of --write: exit 1 if a fixture is stale
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib.metadata
import json
import socket
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "sdk"

# The same clocks and credential sets as the ccxt captures (ccxt_capture.py),
# written out again so that this script does not import ccxt.
CLOCKS_MS = (1767225600123, 1790000000987)
CREDENTIALS = {
    "A": {
        "api_key": "key-A-9rFT6uR4uz9Imkw4Wx",
        "secret": "secret-A-Bz7tQ1xN4mK8pR2vW6yC3dF5gH9jL0aS",
        "password": "pass-A-Xq3Lm9Tz",
    },
    "B": {
        "api_key": "key-B-ZdE41pQ7wN2sK9vYhM3cR8",
        "secret": "secret-B-Ua6eP0rT3yH7kJ1nQ5mX9bV2cZ8fL4wG",
        "password": "pass-B-Rk5Wn2Ha",
    },
}
KEYS = json.loads((REPO_ROOT / "tests" / "fixtures" / "keys" / "keys.json").read_text(encoding="utf-8"))["keys"]
# What the SDK's random draws return (a JWT nonce, a request id).
NONCE_HEX = "cd" * 32
REQUEST_UUID = "00000000-0000-4000-8000-00000000abcd"


class NetworkBlocked(RuntimeError):
    pass


def cdp_key_name(set_name: str) -> str:
    return f"organizations/org-{set_name}-7d0e/apiKeys/{CREDENTIALS[set_name]['api_key']}"


def ed25519_seed_public_base64(set_name: str) -> str:
    """A CDP Ed25519 secret as the portal issues it: base64 of seed || public key."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    seed = bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"])
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return base64.b64encode(seed + public).decode()


# --------------------------------------------------------------------------
# isolation: frozen clock, no network
# --------------------------------------------------------------------------


@contextlib.contextmanager
def frozen(now_ms: int) -> Iterator[None]:
    """``time.time()`` frozen at ``now_ms`` (a hair above it, so that
    ``int(time.time() * 1000)`` is exactly ``now_ms``), DNS and connect refused."""

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise NetworkBlocked("sdk_capture: the network is closed")

    now_s = now_ms / 1000 + 4e-7
    assert int(now_s * 1000) == now_ms and int(now_s) == now_ms // 1000
    with (
        mock.patch("time.time", lambda: now_s),
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket.socket, "connect_ex", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
        mock.patch.object(socket, "create_connection", refuse),
    ):
        yield


class Recorder:
    """Stands in for the SDK's socket; ``send`` records the JSON it gets."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.open = True
        self.sock = types.SimpleNamespace(connected=True)

    def send(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def send_async(self, text: str) -> None:
        self.send(text)


def _version(dist: str) -> str:
    return importlib.metadata.version(dist)


def _record(
    *,
    sdk: str,
    function: str,
    entry: str,
    credentials: dict[str, str],
    now_ms: int,
    frames: list[Any],
    subscribe_frames: list[Any],
    ws_url: str | None,
    nonce: str | None = None,
    channel: str | None = None,
    symbols: list[str] | None = None,
    market_type: str | None = None,
    request_id: str | None = None,
    sdk_options: dict[str, Any] | None = None,
    scope: tuple[str, ...] = ("ws_url", "rest", "frames", "subscribe_frames"),
) -> dict[str, Any]:
    return {
        "scope": list(scope),  # what was captured from the SDK (the rest is empty, not "nothing sent")
        "sdk": sdk,
        "sdk_version": _version(sdk),
        "sdk_function": function,
        "sdk_options": sdk_options or {},
        "entry": entry,
        "market_type": market_type,
        "credentials": credentials,
        "used": {
            "now_ms": now_ms,
            "nonce": nonce,
            "request_id": request_id,
            "request_ids": [request_id] if request_id is not None else [],
            "uuids": [],
            "channel": channel,
            "symbols": symbols or [],
            "token": None,
            "challenge": None,
        },
        "ws_url": ws_url,
        "ws_headers": {},
        "rest": [],
        "frames": frames,
        "subscribe_frames": subscribe_frames,
    }


# --------------------------------------------------------------------------
# the SDKs
# --------------------------------------------------------------------------


def capture_pybit(set_name: str, now_ms: int, entry: str = "bybit", tld: str = "") -> dict[str, Any]:
    """bybit (bybiteu, bybitid: pybit's tld option): pybit's
    unified_trading.WebSocket, private channel, as a user opens it; its
    WebSocketApp replaced by the recorder."""
    import pybit._websocket_stream as stream
    import pybit.unified_trading as unified

    creds = CREDENTIALS[set_name]
    sockets: list[tuple[str, Recorder]] = []

    def app(url: str, **_callbacks: Any) -> Recorder:
        recorder = Recorder()
        recorder.run_forever = lambda **_k: None  # type: ignore[attr-defined]
        recorder.close = lambda: setattr(recorder, "sock", None)  # type: ignore[attr-defined]
        sockets.append((url, recorder))
        return recorder

    # Ours (and ccxt's) auth window is 10 s; pybit's default is 1 s and its
    # private_auth_expire (seconds) sets it: the same expiry, so the same signature.
    options: dict[str, Any] = {"private_auth_expire": 10, **({"tld": tld} if tld else {})}
    with (
        frozen(now_ms),
        mock.patch.object(stream.websocket, "WebSocketApp", app),
        mock.patch.object(stream.threading, "Timer", mock.MagicMock()),
        mock.patch.object(stream, "uuid4", lambda: REQUEST_UUID),
    ):
        ws = unified.WebSocket(
            testnet=False, channel_type="private", api_key=creds["api_key"], api_secret=creds["secret"], **options
        )
        ws.wallet_stream(callback=lambda _message: None)
        ws.exit()
    (url, recorder), = sockets
    auth = [frame for frame in recorder.sent if frame.get("op") == "auth"]
    subscribes = [frame for frame in recorder.sent if frame.get("op") == "subscribe"]
    return _record(
        sdk="pybit",
        function="pybit._websocket_stream._WebSocketManager._auth",
        entry=entry,
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=auth,
        subscribe_frames=subscribes,
        ws_url=url,
        channel="wallet",
        sdk_options=options,
    )


def capture_pybit_eu(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_pybit(set_name, now_ms, "bybiteu", "eu")  # pybit's TLD_EU


def capture_pybit_id(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_pybit(set_name, now_ms, "bybitid", "id")  # pybit formats any tld into its hosts


def capture_python_okx(set_name: str, now_ms: int, entry: str = "okx") -> dict[str, Any]:
    """okx: python-okx's WsPrivateAsync.login (WsUtils.initLoginParams); the
    caller passes the URL, so none is recorded."""
    from okx.websocket.WsPrivateAsync import WsPrivateAsync

    creds = CREDENTIALS[set_name]
    recorder = Recorder()

    async def run() -> None:
        client = WsPrivateAsync(
            apiKey=creds["api_key"], passphrase=creds["password"], secretKey=creds["secret"],
            url="wss://ws.okx.com:8443/ws/v5/private",
        )
        client.websocket = types.SimpleNamespace(send=recorder.send_async)
        await client.login()

    with frozen(now_ms):
        asyncio.run(run())
    return _record(
        sdk="python-okx",
        function="okx.websocket.WsPrivateAsync.WsPrivateAsync.login",
        entry=entry,
        credentials=dict(creds),
        now_ms=now_ms,
        frames=recorder.sent,
        subscribe_frames=[],
        ws_url=None,
    )


def capture_python_okx_myokx(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_python_okx(set_name, now_ms, "myokx")  # the caller names the host: the frame is the same


def capture_python_okx_okxus(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_python_okx(set_name, now_ms, "okxus")


def _coinbase(entry: str, set_name: str, now_ms: int, secret: str) -> dict[str, Any]:
    """coinbase_cdp / coinbase_cdp_eddsa: coinbase-advanced-py's WSClient
    subscribing to the user channel (its _build_subscription_message calls
    jwt_generator.build_ws_jwt), the socket replaced by the recorder."""
    import coinbase.jwt_generator as jwt_generator
    from coinbase.websocket import WSClient

    key_name = cdp_key_name(set_name)
    recorder = Recorder()

    async def run() -> str:
        client = WSClient(api_key=key_name, api_secret=secret, on_message=lambda _m: None, retry=False)
        client.websocket = types.SimpleNamespace(open=True, send=recorder.send_async)
        await client.subscribe_async(product_ids=["BTC-USD"], channels=["user"])
        return str(client.base_url)

    with frozen(now_ms), mock.patch.object(jwt_generator.secrets, "token_hex", lambda *_a: NONCE_HEX):
        url = asyncio.run(run())
    return _record(
        sdk="coinbase-advanced-py",
        function="coinbase.jwt_generator.build_ws_jwt",
        entry=entry,
        credentials={"api_key": key_name, "private_key": secret},
        now_ms=now_ms,
        frames=[],
        subscribe_frames=recorder.sent,
        ws_url=url,
        nonce=NONCE_HEX,
        channel="user",
        symbols=["BTC-USD"],
    )


def capture_coinbase_cdp(set_name: str, now_ms: int) -> dict[str, Any]:
    return _coinbase("coinbase_cdp", set_name, now_ms, KEYS[set_name]["p256_pem_sec1"])


def capture_coinbase_cdp_eddsa(set_name: str, now_ms: int) -> dict[str, Any]:
    # Set A: the base64 seed || public key the CDP portal shows; set B: PKCS#8 PEM.
    secret = ed25519_seed_public_base64(set_name) if set_name == "A" else KEYS[set_name]["ed25519_pem"]
    return _coinbase("coinbase_cdp_eddsa", set_name, now_ms, secret)


class _AlpacaSocket:
    """alpaca-py's websockets connection: records what it sends, answers
    the connect greeting and the auth verdict as Alpaca does."""

    def __init__(self, replies: list[Any], packed: bool) -> None:
        self.sent: list[Any] = []
        self.replies = replies
        self.packed = packed

    async def send(self, data: str | bytes) -> None:
        import msgpack

        self.sent.append(msgpack.unpackb(data) if isinstance(data, bytes) else json.loads(data))

    async def recv(self) -> str | bytes:
        import msgpack

        reply = self.replies.pop(0)
        return msgpack.packb(reply) if self.packed else json.dumps(reply)


def _alpaca(stream: Any, replies: list[Any], packed: bool, now_ms: int) -> tuple[str, list[Any]]:
    import alpaca.data.live.websocket as data_ws
    import alpaca.trading.stream as trading_ws

    socket = _AlpacaSocket(replies, packed)
    urls: list[str] = []

    async def connect(url: str, **_kwargs: Any) -> _AlpacaSocket:
        urls.append(url)
        return socket

    async def run() -> None:
        await stream._connect()
        await stream._auth()

    with (
        frozen(now_ms),
        mock.patch.object(data_ws.websockets_legacy, "connect", connect),
        mock.patch.object(trading_ws.websockets_legacy, "connect", connect),
    ):
        asyncio.run(run())
    (url,) = urls
    return url, socket.sent


def capture_alpaca_crypto(set_name: str, now_ms: int) -> dict[str, Any]:
    """alpaca_crypto: alpaca-py's CryptoDataStream (default feed us) connecting
    and authenticating; it speaks msgpack, recorded here decoded."""
    from alpaca.data.live.crypto import CryptoDataStream

    creds = CREDENTIALS[set_name]
    stream = CryptoDataStream(api_key=creds["api_key"], secret_key=creds["secret"])
    replies = [[{"T": "success", "msg": "connected"}], [{"T": "success", "msg": "authenticated"}]]
    url, sent = _alpaca(stream, replies, True, now_ms)
    return _record(
        sdk="alpaca-py",
        function="alpaca.data.live.websocket.DataStream._auth",
        entry="alpaca_crypto",
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=sent,
        subscribe_frames=[],
        ws_url=url,
        sdk_options={"encoding": "msgpack"},
    )


def capture_alpaca(set_name: str, now_ms: int) -> dict[str, Any]:
    """alpaca: alpaca-py's TradingStream (live, not paper) authenticating."""
    from alpaca.trading.stream import TradingStream

    creds = CREDENTIALS[set_name]
    stream = TradingStream(api_key=creds["api_key"], secret_key=creds["secret"], paper=False)
    replies = [{"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}}]
    url, sent = _alpaca(stream, replies, False, now_ms)
    return _record(
        sdk="alpaca-py",
        function="alpaca.trading.stream.TradingStream._auth",
        entry="alpaca",
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=sent,
        subscribe_frames=[],
        ws_url=url,
    )


class _Sent(Exception):
    """Raised by the recorder once the SDK has handed its frame to the socket."""


def _binance(entry: str, set_name: str, now_ms: int, key: dict[str, str], call: str, market: str | None, **kwargs: Any) -> dict[str, Any]:
    """binance*: binance-sdk-spot's WebSocket API client, its frame taken where
    it is written to the socket (WebSocketCommon.send_message)."""
    import binance_common.websocket as common
    from binance_common.configuration import ConfigurationWebSocketAPI
    from binance_sdk_spot.spot import Spot

    creds = CREDENTIALS[set_name]
    sent: list[Any] = []

    async def record(_self: Any, payload: Any, *_a: Any, **_k: Any) -> None:
        sent.append(json.loads(json.dumps(payload)))
        raise _Sent

    async def run() -> str:
        config = ConfigurationWebSocketAPI(api_key=creds["api_key"], **key)
        api = Spot(config_ws_api=config).websocket_api
        api.connections = [types.SimpleNamespace(reconnect=False, is_session_log_on=False, websocket=None)]
        with contextlib.suppress(_Sent):
            await getattr(api, call)(id=REQUEST_UUID, **kwargs)
        return str(config.stream_url)

    with frozen(now_ms), mock.patch.object(common.WebSocketCommon, "send_message", record):
        url = asyncio.run(run())
    credentials = {"api_key": creds["api_key"], **({"secret": key["api_secret"]} if "api_secret" in key else {"private_key": key["private_key"]})}
    return _record(
        sdk="binance-sdk-spot",
        function=f"binance_sdk_spot.websocket_api.SpotWebSocketAPI.{call}",
        entry=entry,
        market_type=market,
        credentials=credentials,
        now_ms=now_ms,
        frames=sent,
        subscribe_frames=[],
        ws_url=url,
        request_id=REQUEST_UUID,
        sdk_options={k: v for k, v in kwargs.items()},
    )


def capture_binance(set_name: str, now_ms: int) -> dict[str, Any]:
    # ccxt's (and our) recvWindow is 10000; the SDK sends one when asked (recv_window).
    return _binance("binance", set_name, now_ms, {"api_secret": CREDENTIALS[set_name]["secret"]},
                    "user_data_stream_subscribe_signature", "spot", recv_window=10000)


def capture_binance_ed25519(set_name: str, now_ms: int) -> dict[str, Any]:
    return _binance("binance_ed25519", set_name, now_ms, {"private_key": KEYS[set_name]["ed25519_pem"]},
                    "user_data_stream_subscribe_signature", None, recv_window=10000)


def capture_binance_rsa(set_name: str, now_ms: int) -> dict[str, Any]:
    return _binance("binance_rsa", set_name, now_ms, {"private_key": KEYS[set_name]["rsa_pem"]},
                    "user_data_stream_subscribe_signature", None, recv_window=10000)


def capture_binance_ed25519_logon(set_name: str, now_ms: int) -> dict[str, Any]:
    return _binance("binance_ed25519_logon", set_name, now_ms, {"private_key": KEYS[set_name]["ed25519_pem"]},
                    "session_logon", None)


def capture_binanceusdm(set_name: str, now_ms: int, coin: bool = False, entry: str = "") -> dict[str, Any]:
    """binanceusdm (binancecoinm): binance-sdk-derivatives-trading-usds-futures'
    (-coin-futures') start_user_data_stream (POST /fapi/v1/listenKey,
    /dapi/v1/listenKey), taken where requests would send it."""
    import requests
    from binance_common.configuration import ConfigurationRestAPI

    if coin:
        from binance_sdk_derivatives_trading_coin_futures.derivatives_trading_coin_futures import (
            DerivativesTradingCoinFutures as Client,
        )
    else:
        from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
            DerivativesTradingUsdsFutures as Client,
        )

    creds = CREDENTIALS[set_name]
    calls: list[dict[str, Any]] = []

    def request(_session: Any, method: str, url: str, **kwargs: Any) -> Any:
        prepared = requests.Request(method, url, headers=kwargs.get("headers"), params=kwargs.get("params"),
                                    data=kwargs.get("data")).prepare()
        calls.append({"method": prepared.method, "url": prepared.url, "headers": dict(prepared.headers),
                      "body": prepared.body or ""})
        response = requests.Response()
        response.status_code, response._content = 200, json.dumps({"listenKey": "sdk-capture-listen-key"}).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    with frozen(now_ms), mock.patch.object(requests.Session, "request", request):
        client = Client(config_rest_api=ConfigurationRestAPI(api_key=creds["api_key"], api_secret=creds["secret"]))
        client.rest_api.start_user_data_stream()
    record = _record(
        sdk=f"binance-sdk-derivatives-trading-{'coin' if coin else 'usds'}-futures",
        function="rest_api.start_user_data_stream",
        entry=entry or ("binancecoinm" if coin else "binanceusdm"),
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=[],
        subscribe_frames=[],
        ws_url=None,
        market_type="inverse" if coin else "linear",
    )
    record["rest"] = calls
    record["used"]["token"] = "sdk-capture-listen-key"
    return record


def capture_binancecoinm(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_binanceusdm(set_name, now_ms, coin=True)


def capture_binance_linear(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_binanceusdm(set_name, now_ms, entry="binance")  # binance's linear market: the same call


def capture_binance_inverse(set_name: str, now_ms: int) -> dict[str, Any]:
    return capture_binanceusdm(set_name, now_ms, coin=True, entry="binance")


def _gate(entry: str, set_name: str, now_ms: int, app: str, market: str | None, channel: str, payload: list[str],
          login: bool = False, host: str = "") -> dict[str, Any]:
    """gate / gate_wsapi: gate-ws's channel objects building their frames
    (WebSocketRequest / ApiRequest, as Connection._write sends them)."""
    from gate_ws import Configuration, Connection
    from gate_ws.client import BaseChannel, WebSocketRequest

    creds = CREDENTIALS[set_name]

    class Private(BaseChannel):
        name = channel
        require_auth = True

    with frozen(now_ms):
        asyncio.set_event_loop(asyncio.new_event_loop())
        cfg = Configuration(app=app, host=host, api_key=creds["api_key"], api_secret=creds["secret"])
        conn = Connection(cfg)
        private = Private(conn)
        if login:
            private.login("", REQUEST_UUID)
        else:
            private.subscribe(payload)
        queued = conn.sending_queue.get_nowait()
        frame = json.loads(str(queued) if isinstance(queued, WebSocketRequest) else queued)
    return _record(
        sdk="gate-ws",
        function="gate_ws.client.BaseChannel.login" if login else "gate_ws.client.WebSocketRequest.__str__",
        entry=entry,
        market_type=market,
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=[frame] if login else [],
        subscribe_frames=[] if login else [frame],
        ws_url=str(cfg.host),
        channel=None if login else channel,
        symbols=None if login else payload[-1:],
        request_id=REQUEST_UUID if login else None,
    )


def capture_gate_spot(set_name: str, now_ms: int) -> dict[str, Any]:
    return _gate("gate", set_name, now_ms, "spot", "spot", "spot.orders", ["BTC_USDT"])


def capture_gate_swap(set_name: str, now_ms: int) -> dict[str, Any]:
    return _gate("gate", set_name, now_ms, "futures", "swap", "futures.orders", ["20011", "BTC_USDT"])


def capture_gateeu(set_name: str, now_ms: int) -> dict[str, Any]:
    # Gate EU: gate-ws's own recipe on the EU host (its host option)
    return _gate("gateeu", set_name, now_ms, "spot", None, "spot.orders", ["BTC_USDT"], host="wss://api.gateeu.com/ws/v4/")


def capture_gate_wsapi(set_name: str, now_ms: int) -> dict[str, Any]:
    return _gate("gate_wsapi", set_name, now_ms, "spot", None, "spot.login", [], login=True)


def capture_bitfinex(set_name: str, now_ms: int) -> dict[str, Any]:
    """bitfinex: bitfinex-api-py's Connection._get_authentication_message, the
    frame its BfxWebSocketClient sends on connect; its nonce is microseconds
    from datetime.now(), frozen here."""
    import datetime as _datetime

    import bfxapi
    import bfxapi.websocket._connection as connection

    creds = CREDENTIALS[set_name]

    class Frozen(_datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return _datetime.datetime.fromtimestamp(now_ms / 1000, tz)

    with frozen(now_ms), mock.patch.object(connection, "datetime", Frozen):
        frame = json.loads(connection.Connection._get_authentication_message(creds["api_key"], creds["secret"]))
    return _record(
        sdk="bitfinex-api-py",
        function="bfxapi.websocket._connection.Connection._get_authentication_message",
        entry="bitfinex",
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=[frame],
        subscribe_frames=[],
        ws_url=bfxapi.WSS_HOST,
        nonce=frame["authNonce"],
    )


def capture_bitvavo(set_name: str, now_ms: int) -> dict[str, Any]:
    """bitvavo: python-bitvavo-api's websocket.on_open (its WebSocketApp and
    receive thread replaced), which sends the authenticate action."""
    import python_bitvavo_api.bitvavo as bitvavo

    creds = CREDENTIALS[set_name]
    sent: list[Any] = []

    class App:
        def __init__(self, url: str, **_callbacks: Any) -> None:
            self.url = url

        def send(self, text: str) -> None:
            sent.append(json.loads(text))

    class Thread:
        def __init__(self, *_a: Any) -> None:
            self.daemon = False

        def start(self) -> None:
            pass

    options = {"ACCESSWINDOW": 10000}
    with (
        frozen(now_ms),
        mock.patch.object(bitvavo.websocket, "WebSocketApp", App),
        mock.patch.object(bitvavo, "receiveThread", Thread),
    ):
        client = bitvavo.Bitvavo({"APIKEY": creds["api_key"], "APISECRET": creds["secret"], **options})
        ws = client.newWebsocket()
        ws.on_open(ws.ws)
    return _record(
        sdk="python-bitvavo-api",
        function="python_bitvavo_api.bitvavo.Bitvavo.websocket.on_open",
        entry="bitvavo",
        credentials={"api_key": creds["api_key"], "secret": creds["secret"]},
        now_ms=now_ms,
        frames=sent,
        subscribe_frames=[],
        ws_url=ws.ws.url,
        sdk_options=options,
    )


# base64 secrets (Kraken's are), the same as ccxt_capture's
B64_SECRETS = {
    "A": "cXsEn8S+9LYwfRwY/vZ+Me6yG5Hqw8P/A8sFo5e6pAQu0vvsb/y3994qVvxLzPgEg11NMzIDiYgaKHKIUXp6sw==",
    "B": "KB0gj9qzvj1y2bNel+GYJSe+4rUkEaz0C0mPLJJ/ZGlqrCC8X2UFjyL/S7Rfvt1JMFMVRvMi4WBF95J0RKKH3A==",
}
CHALLENGE = "c100b894-1729-464d-ace1-52dbce11db42"


def capture_kraken(set_name: str, now_ms: int) -> dict[str, Any]:
    """kraken: python-kraken-sdk's SpotClient.request('POST',
    '/0/private/GetWebSocketsToken') (what its SpotWSClient calls), taken where
    requests would send it. Its nonce is time.time() * 1e8, frozen."""
    import requests
    from kraken.spot import SpotClient

    creds = CREDENTIALS[set_name]
    calls: list[dict[str, Any]] = []
    token = f"sdk-capture-token-{set_name}"

    def request(_session: Any, method: str, url: str, **kwargs: Any) -> Any:
        prepared = requests.Request(method, url, headers=kwargs.get("headers"), data=kwargs.get("data")).prepare()
        calls.append({"method": prepared.method, "url": prepared.url, "headers": dict(prepared.headers),
                      "body": prepared.body or ""})
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"error": [], "result": {"token": token, "expires": 900}}).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    with frozen(now_ms), mock.patch.object(requests.Session, "request", request):
        client = SpotClient(key=creds["api_key"], secret=B64_SECRETS[set_name])
        client.request(method="POST", uri="/0/private/GetWebSocketsToken")
    (call,) = calls
    record = _record(
        sdk="python-kraken-sdk",
        function="kraken.spot.SpotClient.request (SpotWSClient.get_ws_token)",
        entry="kraken",
        credentials={"api_key": creds["api_key"], "secret": B64_SECRETS[set_name]},
        now_ms=now_ms,
        frames=[],
        subscribe_frames=[],
        ws_url=None,
        nonce=call["body"].split("nonce=", 1)[1],
        scope=("rest",),
    )
    record["rest"] = calls
    record["used"]["token"] = token
    return record


def capture_krakenfutures(set_name: str, now_ms: int) -> dict[str, Any]:
    """krakenfutures: python-kraken-sdk's FuturesWSClient.get_sign_challenge,
    the signature its connection puts in each private subscribe
    (api_key, original_challenge, signed_challenge)."""
    from kraken.futures import FuturesWSClient

    creds = CREDENTIALS[set_name]
    async def build() -> Any:  # the client wants a running loop; start() (the connection) is never called
        return FuturesWSClient(key=creds["api_key"], secret=B64_SECRETS[set_name])

    with frozen(now_ms):
        client = asyncio.run(build())
        signed = client.get_sign_challenge(CHALLENGE)
        url = "wss://" + client.PROD_ENV_URL
    # ConnectFuturesWebsocket.send_message adds exactly these three fields.
    subscribe = {"event": "subscribe", "feed": "open_orders", "api_key": client.key,
                 "original_challenge": CHALLENGE, "signed_challenge": signed}
    record = _record(
        sdk="python-kraken-sdk",
        function="kraken.futures.FuturesWSClient.get_sign_challenge",
        entry="krakenfutures",
        credentials={"api_key": creds["api_key"], "secret": B64_SECRETS[set_name]},
        now_ms=now_ms,
        frames=[],
        subscribe_frames=[subscribe],
        ws_url=url,
        channel="open_orders",
        scope=("ws_url", "subscribe_frames"),  # the challenge request is not the SDK's signing code
    )
    record["used"]["challenge"] = CHALLENGE
    return record


def _kucoin(entry: str, set_name: str, now_ms: int, market: str | None, futures: bool) -> dict[str, Any]:
    """kucoin / kucoinfutures: kucoin-universal-sdk's generated
    get_private_token (POST /api/v1/bullet-private) through its own transport,
    taken where its requests session would send it."""
    import requests
    from kucoin_universal_sdk.api.client import DefaultClient
    from kucoin_universal_sdk.model.client_option import ClientOptionBuilder
    from kucoin_universal_sdk.model.constants import GLOBAL_API_ENDPOINT, GLOBAL_FUTURES_API_ENDPOINT
    from kucoin_universal_sdk.model.transport_option import TransportOptionBuilder

    creds = CREDENTIALS[set_name]
    calls: list[dict[str, Any]] = []
    token = f"sdk-capture-bullet-{set_name}"
    endpoint = "wss://ws-api-futures.kucoin.com/" if futures else "wss://ws-api-spot.kucoin.com/"

    def send(_session: Any, prepared: Any, **_kwargs: Any) -> Any:
        body = prepared.body.decode() if isinstance(prepared.body, bytes) else prepared.body or ""
        calls.append({"method": prepared.method, "url": prepared.url, "headers": dict(prepared.headers), "body": body})
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"code": "200000", "data": {"token": token, "instanceServers": [
            {"endpoint": endpoint, "encrypt": True, "protocol": "websocket", "pingInterval": 18000, "pingTimeout": 10000}
        ]}}).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    option = (
        ClientOptionBuilder().set_key(creds["api_key"]).set_secret(creds["secret"]).set_passphrase(creds["password"])
        .set_spot_endpoint(GLOBAL_API_ENDPOINT).set_futures_endpoint(GLOBAL_FUTURES_API_ENDPOINT)
        .set_transport_option(TransportOptionBuilder().build()).build()
    )
    with frozen(now_ms), mock.patch.object(requests.Session, "send", send):
        rest = DefaultClient(option).rest_service()
        service = rest.get_futures_service() if futures else rest.get_spot_service()
        service.get_market_api().get_private_token()
    record = _record(
        sdk="kucoin-universal-sdk",
        function=f"kucoin_universal_sdk.generate.{'futures' if futures else 'spot'}.market.MarketAPIImpl.get_private_token",
        entry=entry,
        market_type=market,
        credentials={k: creds[k] for k in ("api_key", "secret", "password")},
        now_ms=now_ms,
        frames=[],
        subscribe_frames=[],
        ws_url=None,
        scope=("rest",),
    )
    record["rest"] = calls
    record["used"]["token"] = token
    return record


def capture_kucoin(set_name: str, now_ms: int) -> dict[str, Any]:
    return _kucoin("kucoin", set_name, now_ms, "spot", False)


def capture_kucoinfutures(set_name: str, now_ms: int) -> dict[str, Any]:
    return _kucoin("kucoinfutures", set_name, now_ms, None, True)


def capture_kucoin_uta(set_name: str, now_ms: int) -> dict[str, Any]:
    """kucoin_uta: kucoin-universal-sdk's UtaPushWsService (new_uta_private_ws)
    started as a user starts it: its WebSocketApp replaced by a recorder that
    greets with KuCoin's documented welcome, then acknowledges the auth frame
    (``{"id", "result": true}``) so that the SDK's own _connect completes.

    Then the keep-alive: what the SDK made of the documented welcome's
    ``pingInterval`` (its ``_ping_interval``, in seconds), and the ping its own
    ``_ping_loop`` sends (answered with a pong), from a second connection whose
    welcome states 0.05 (the SDK reads a value under 1000 as seconds) so that
    the first ping comes at once; the frame does not depend on the interval."""
    import threading
    import uuid

    import websocket
    from kucoin_universal_sdk.api.client import DefaultClient
    from kucoin_universal_sdk.model.client_option import ClientOptionBuilder
    from kucoin_universal_sdk.model.websocket_option import WebSocketClientOptionBuilder

    creds = CREDENTIALS[set_name]
    documented = {"sessionId": "sdk-capture-session", "message": "welcome", "pingInterval": 30000}
    sockets: list[tuple[str, Recorder]] = []
    welcomes = [documented, {**documented, "pingInterval": 0.05}]
    pinged = threading.Event()

    class App(Recorder):
        def __init__(self, url: str, **callbacks: Any) -> None:
            super().__init__()
            self.callbacks = callbacks
            self.welcome = welcomes[len(sockets)]
            sockets.append((url, self))

        def run_forever(self, **_kwargs: Any) -> None:
            self.callbacks["on_message"](self, json.dumps(self.welcome))

        def send(self, text: str) -> None:
            super().send(text)
            frame = self.sent[-1]
            if frame.get("op") == "auth":
                self.callbacks["on_message"](self, json.dumps({"id": frame["id"], "result": True}))
            elif frame.get("op") == "ping" or frame.get("type") == "ping":
                self.callbacks["on_message"](self, json.dumps({"id": frame["id"], "type": "pong"}))
                pinged.set()

        def close(self, **_kwargs: Any) -> None:
            self.sock = None  # type: ignore[assignment]

    option = (
        ClientOptionBuilder().set_key(creds["api_key"]).set_secret(creds["secret"]).set_passphrase(creds["password"])
        .set_websocket_client_option(WebSocketClientOptionBuilder().with_reconnect(False).build()).build()
    )
    with frozen(now_ms), mock.patch.object(websocket, "WebSocketApp", App), \
            mock.patch.object(uuid, "uuid4", lambda: uuid.UUID(REQUEST_UUID)):
        private = DefaultClient(option).ws_service().new_uta_private_ws()
        private.start()
        interval_s = private._ws_service._ping_interval  # what the SDK read from the documented welcome
        private.stop()
        again = DefaultClient(option).ws_service().new_uta_private_ws()
        again.start()
        assert pinged.wait(5), "the SDK sent no ping"
        again.stop()
    (url, recorder), (_, pinger) = sockets
    record = _record(
        sdk="kucoin-universal-sdk",
        function="kucoin_universal_sdk.internal.infra.uta_push_ws_service.UtaPushWsService._authenticate",
        entry="kucoin_uta",
        credentials={k: creds[k] for k in ("api_key", "secret", "password")},
        now_ms=now_ms,
        frames=recorder.sent,
        subscribe_frames=[],
        ws_url=url,
        request_id=REQUEST_UUID,
        scope=("ws_url", "frames", "ping_frames"),
    )
    # The keep-alive (UtaPushWsService._on_message, _ping_loop): the welcome,
    # the interval the SDK read from it (ms), and its first ping.
    record["greeting"] = documented
    record["ping_interval_ms"] = round(interval_s * 1000)
    record["ping_frames"] = [frame for frame in pinger.sent if frame.get("op") != "auth"][:1]
    return record


def capture_apex(set_name: str, now_ms: int) -> dict[str, Any]:
    """apex: apexomni's WebSocket (omni host) opening its private socket for
    account_info_stream_v3; its WebSocketApp replaced by the recorder."""
    import apexomni._websocket_stream as stream
    from apexomni.constants import APEX_OMNI_WS_MAIN
    from apexomni.websocket_api import WebSocket

    creds = CREDENTIALS[set_name]
    sockets: list[tuple[str, Recorder]] = []

    def app(url: str, **_callbacks: Any) -> Recorder:
        recorder = Recorder()
        recorder.run_forever = lambda **_k: None  # type: ignore[attr-defined]
        recorder.close = lambda: setattr(recorder, "sock", None)  # type: ignore[attr-defined]
        sockets.append((url, recorder))
        return recorder

    with (
        frozen(now_ms),
        mock.patch.object(stream.websocket, "WebSocketApp", app),
        mock.patch.object(stream.threading, "Timer", mock.MagicMock()),
    ):
        ws = WebSocket(endpoint=APEX_OMNI_WS_MAIN, api_key_credentials={
            "key": creds["api_key"], "secret": creds["secret"], "passphrase": creds["password"]})
        ws.account_info_stream_v3(lambda _message: None)
    (url, recorder), = sockets
    logins = [frame for frame in recorder.sent if frame.get("op") == "login"]
    return _record(
        sdk="apexomni",
        function="apexomni._websocket_stream._ApexWebSocketManager._auth",
        entry="apex",
        credentials={k: creds[k] for k in ("api_key", "secret", "password")},
        now_ms=now_ms,
        frames=logins,
        subscribe_frames=[],
        ws_url=url,
    )


def base58(raw: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = alphabet[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _orderly(entry: str, set_name: str, now_ms: int) -> dict[str, Any]:
    """woofipro / modetrade (Orderly brokers): orderly-evm-connector's
    OrderlyWebsocketClient.auth_login on a private connection, its socket manager
    replaced by the recorder; the socket is its mainnet private endpoint
    (get_endpoints) with the account id appended, as the client does."""
    from orderly_evm_connector.lib.utils import get_endpoints
    from orderly_evm_connector.websocket.websocket_client import OrderlyWebsocketClient

    creds = CREDENTIALS[set_name]
    account = "0x" + ("a1" if set_name == "A" else "b2") * 32
    secret = "ed25519:" + base58(bytes.fromhex(KEYS[set_name]["ed25519_seed_hex"]))
    key = f"ed25519:orderly-key-{set_name}"
    private_url = get_endpoints(False)[2]
    recorder = Recorder()
    with frozen(now_ms):
        client = OrderlyWebsocketClient(websocket_url=private_url, orderly_account_id=account, orderly_key=key,
                                 orderly_secret=secret, private=True, wss_id=REQUEST_UUID, async_mode=True)
        client.socket_manager = types.SimpleNamespace(_login=False, send_message=recorder.send)
        client.auth_login()
    return _record(
        sdk="orderly-evm-connector",
        function="orderly_evm_connector.websocket.websocket_client.OrderlyWebsocketClient.auth_login",
        entry=entry,
        credentials={"api_key": key, "secret": "", "uid": account, "private_key": secret},
        now_ms=now_ms,
        frames=recorder.sent,
        subscribe_frames=[],
        ws_url=client.websocket_url,
    )


def capture_woofipro(set_name: str, now_ms: int) -> dict[str, Any]:
    return _orderly("woofipro", set_name, now_ms)


def capture_modetrade(set_name: str, now_ms: int) -> dict[str, Any]:
    return _orderly("modetrade", set_name, now_ms)


def _coinbase_gateway(entry: str, set_name: str, now_ms: int, secret: str) -> dict[str, Any]:
    """coinbaseinternational(_eddsa): coinbase-advanced-py 2.0.0rc1's Deribit-
    powered gateway client (DeribitRetailWSClient._handshake_auth, the
    public/auth call with build_auth_params), its socket replaced by the
    recorder. A pre-release of Coinbase's own SDK: its own virtualenv."""
    import coinbase.jwt_generator as jwt_generator
    from coinbase.deribit.ws_client import DeribitRetailWSClient

    key_name = cdp_key_name(set_name)
    recorder = Recorder()

    def recv(**_kwargs: Any) -> str:
        raise _Sent

    with frozen(now_ms), mock.patch.object(jwt_generator.secrets, "token_hex", lambda *_a: NONCE_HEX):
        client = DeribitRetailWSClient(api_key=key_name, api_secret=secret)
        client._ws = types.SimpleNamespace(send=recorder.send, recv=recv)
        with contextlib.suppress(_Sent):
            client._handshake_auth()
    (frame,) = recorder.sent
    return _record(
        sdk="coinbase-advanced-py",
        function="coinbase.deribit.ws_client.DeribitRetailWSClient._handshake_auth",
        entry=entry,
        credentials={"api_key": key_name, "private_key": secret},
        now_ms=now_ms,
        frames=[frame],
        subscribe_frames=[],
        ws_url=str(client.url),
        nonce=NONCE_HEX,
        request_id=frame["id"],
    )


def capture_coinbaseinternational(set_name: str, now_ms: int) -> dict[str, Any]:
    return _coinbase_gateway("coinbaseinternational", set_name, now_ms, KEYS[set_name]["p256_pem_sec1"])


def capture_coinbaseinternational_eddsa(set_name: str, now_ms: int) -> dict[str, Any]:
    return _coinbase_gateway("coinbaseinternational_eddsa", set_name, now_ms, ed25519_seed_public_base64(set_name))


# name -> (capture, credential set, clock)
SCENARIOS: dict[str, tuple[Callable[[str, int], dict[str, Any]], str, int]] = {}
for _entry, _capture in (
    ("bybit", capture_pybit),
    ("bybiteu", capture_pybit_eu),
    ("bybitid", capture_pybit_id),
    ("okx", capture_python_okx),
    ("myokx", capture_python_okx_myokx),
    ("okxus", capture_python_okx_okxus),
    ("coinbase_cdp", capture_coinbase_cdp),
    ("coinbase_cdp_eddsa", capture_coinbase_cdp_eddsa),
    ("alpaca", capture_alpaca),
    ("alpaca_crypto", capture_alpaca_crypto),
    ("binance-spot", capture_binance),
    ("binance_ed25519", capture_binance_ed25519),
    ("binance_rsa", capture_binance_rsa),
    ("binance_ed25519_logon", capture_binance_ed25519_logon),
    ("binanceusdm-linear", capture_binanceusdm),
    ("binancecoinm-inverse", capture_binancecoinm),
    ("binance-linear", capture_binance_linear),
    ("binance-inverse", capture_binance_inverse),
    ("gate-spot", capture_gate_spot),
    ("gate-swap", capture_gate_swap),
    ("gate_wsapi", capture_gate_wsapi),
    ("gateeu", capture_gateeu),
    ("bitfinex", capture_bitfinex),
    ("bitvavo", capture_bitvavo),
    ("kraken", capture_kraken),
    ("krakenfutures", capture_krakenfutures),
    ("kucoin-spot", capture_kucoin),
    ("kucoinfutures", capture_kucoinfutures),
    ("kucoin_uta", capture_kucoin_uta),
    ("apex", capture_apex),
    ("woofipro", capture_woofipro),
    ("modetrade", capture_modetrade),
    ("coinbaseinternational", capture_coinbaseinternational),
    ("coinbaseinternational_eddsa", capture_coinbaseinternational_eddsa),
):
    # As the ccxt captures: 1 and 2 share a clock, 1 and 3 the credentials.
    for _n, (_set, _clock) in enumerate((("A", 0), ("B", 0), ("A", 1), ("B", 1)), start=1):
        SCENARIOS[f"{_entry}-{_n}"] = (_capture, _set, CLOCKS_MS[_clock])


# Which requirements file (tests/reference/sdk/requirements-<group>.txt) pins
# each entry's SDK; a run captures an entry only in an environment that has
# exactly those pins (coinbase-advanced-py is pinned twice, 1.8.4 and 2.0.0rc1).
GROUPS: dict[str, str] = {
    **dict.fromkeys(("bybit", "bybiteu", "bybitid", "okx", "myokx", "okxus", "coinbase_cdp", "coinbase_cdp_eddsa",
                     "alpaca", "alpaca_crypto", "kucoin", "kucoinfutures", "kucoin_uta"), "main"),
    **dict.fromkeys(("binance", "binance_ed25519", "binance_rsa", "binance_ed25519_logon", "binanceusdm",
                     "binancecoinm"), "binance"),
    **dict.fromkeys(("gate", "gate_wsapi", "gateeu", "bitfinex", "bitvavo", "kraken", "krakenfutures"), "misc"),
    "apex": "apex",
    **dict.fromkeys(("woofipro", "modetrade"), "orderly"),
    **dict.fromkeys(("coinbaseinternational", "coinbaseinternational_eddsa"), "cbrc"),
}


def _pins(group: str) -> dict[str, str]:
    text = (REPO_ROOT / "tests" / "reference" / "sdk" / f"requirements-{group}.txt").read_text(encoding="utf-8")
    lines = (line.split("#")[0].strip() for line in text.splitlines())
    return dict(line.split("==", 1) for line in lines if "==" in line)


def installed_here(name: str) -> bool:
    """Whether this environment holds exactly the pins of the scenario's group."""
    entry = name.rsplit("-", 1)[0].split("-")[0]
    try:
        return all(importlib.metadata.version(dist) == version for dist, version in _pins(GROUPS[entry]).items())
    except importlib.metadata.PackageNotFoundError:
        return False


def capture(name: str) -> dict[str, Any]:
    function, set_name, now_ms = SCENARIOS[name]
    return function(set_name, now_ms)


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="(re)write tests/fixtures/sdk/*.json")
    mode.add_argument("--check", action="store_true", help="exit 1 when a fixture differs from a fresh capture")
    parser.add_argument("names", nargs="*", help="scenario names (default: all)")
    args = parser.parse_args(argv)
    stale = 0
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.names or sorted(SCENARIOS):
        if not installed_here(name):  # another virtualenv's SDK (see the requirements files)
            print(f"skipped {name}: requirements-{GROUPS[name.rsplit('-', 1)[0].split('-')[0]]}.txt is not what is installed here")
            continue
        text, path = _text(capture(name)), FIXTURE_DIR / f"{name}.json"
        # ES256 signatures are randomised by the SDK: a fixture that differs only there is current.
        same = path.exists() and _unsigned(json.loads(path.read_text(encoding="utf-8"))) == _unsigned(json.loads(text))
        if args.write:
            if not same:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(REPO_ROOT)}")
        elif not same:
            stale += 1
            print(f"stale: {path.relative_to(REPO_ROOT)}")
    return 1 if stale else 0


def _unsigned(capture: dict[str, Any]) -> dict[str, Any]:
    """The capture without the signatures of its ES256 JWTs (random k)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str) and value.startswith("eyJhbGciOiJFUzI1NiIs") and value.count(".") == 2:
            return value.rsplit(".", 1)[0]
        return value

    return dict(strip(capture))


if __name__ == "__main__":
    sys.exit(main())
