"""The third reference: what an exchange's published recipe sends, where
neither ccxt nor an official SDK can be captured (BitMEX, Gemini, BitoPro,
BitMart, Binance.US).

Each recipe below is the exchange's documented construction, written out here
with the standard library and nothing of wsauth's (no module, catalogue or
signing helper), and checked against the exchange's published vectors where
there are any. It is run with the same clocks and credential sets as the ccxt
captures and written in their shape to ``tests/fixtures/docs/<entry>-<n>.json``
(1: set A at clock 0, 2: set B at clock 0, 3: set A at clock 1), so that
``tests/runtime/test_every_entry_end_to_end.py`` drives the session against
them exactly as against a capture::

    python -m tests.reference.docs_capture --write   # (re)write tests/fixtures/docs
    python -m tests.reference.docs_capture --check   # exit 1 if a fixture is stale
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
from collections.abc import Callable
from typing import Any

from tests.reference.ccxt_scenarios import CLOCKS_MS, CREDENTIALS, REPO_ROOT

FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "docs"
PUBLISHED = REPO_ROOT / "tests" / "fixtures" / "published"
RUNS = ((1, "A", 0), (2, "B", 0), (3, "A", 1))  # capture number, credential set, clock


def _bitmex_signature(secret: str, verb: str, path: str, expires: int, data: str) -> str:
    """https://www.bitmex.com/app/apiKeysUsage:
    signature = HEX(HMAC_SHA256(apiSecret, verb + path + str(expires) + data))."""
    return hmac.new(secret.encode(), (verb + path + str(expires) + data).encode(), hashlib.sha256).hexdigest()


# BitMEX leaves the expiry window to the client ("expires: a UNIX timestamp
# after which the request is no longer valid"); five seconds keeps a replayed
# login short-lived. The fake only uses it to check that the client's expiry
# follows its clock.
BITMEX_EXPIRES_AFTER_S = 5


def bitmex(credentials: dict[str, str], now_ms: int) -> dict[str, Any]:
    """https://www.bitmex.com/app/wsAPI#Authentication: connect to
    wss://ws.bitmex.com/realtime and send
    {"op": "authKeyExpires", "args": [apiKey, expires, signature]}, the
    signature over GET /realtime with no body."""
    expires = now_ms // 1000 + BITMEX_EXPIRES_AFTER_S
    signature = _bitmex_signature(credentials["secret"], "GET", "/realtime", expires, "")
    frame = {"op": "authKeyExpires", "args": [credentials["api_key"], expires, signature]}
    return {"ws_url": "wss://ws.bitmex.com/realtime", "ws_headers": {}, "frames": [frame], "nonce": None}


def gemini(credentials: dict[str, str], now_ms: int) -> dict[str, Any]:
    """https://docs.gemini.com/websocket/order-events/websocket-request, its
    Python example: payload = {"request": "/v1/order/events", "nonce": ...};
    b64 = base64.b64encode(json.dumps(payload).encode());
    signature = hmac.new(gemini_api_secret, b64, hashlib.sha384).hexdigest();
    the three X-GEMINI-* headers on the upgrade of
    wss://api.gemini.com/v1/order/events. The nonce is the clock in
    milliseconds (the example's time.time() must only increase)."""
    payload = {"request": "/v1/order/events", "nonce": now_ms}
    b64 = base64.b64encode(json.dumps(payload).encode())
    signature = hmac.new(credentials["secret"].encode(), b64, hashlib.sha384).hexdigest()
    headers = {"X-GEMINI-PAYLOAD": b64.decode(), "X-GEMINI-APIKEY": credentials["api_key"], "X-GEMINI-SIGNATURE": signature}
    return {"ws_url": "wss://api.gemini.com/v1/order/events", "ws_headers": headers, "frames": [], "nonce": now_ms}


def bitopro(credentials: dict[str, str], now_ms: int) -> dict[str, Any]:
    """github.com/bitoex/bitopro-offical-api-docs README (commit 1150a3fe),
    "Payload Generation SOP": {identity: USER_EMAIL, nonce: TIMESTAMP} as JSON,
    base64 (its example payload is the compact JSON, identity first);
    "signature = HMAC-SHA384(payload, api-secret).digest('hex')"; "Combine API
    Key, Payload and Signature into a HTTP request header"; the socket is
    ws/private/user_balance_stream.md's
    wss://stream.bitopro.com:443/ws/v1/pub/auth/account-balance."""
    document = json.dumps({"identity": credentials["login"], "nonce": now_ms}, separators=(",", ":"))
    payload = base64.b64encode(document.encode()).decode()
    signature = hmac.new(credentials["secret"].encode(), payload.encode(), hashlib.sha384).hexdigest()
    headers = {"X-BITOPRO-APIKEY": credentials["api_key"], "X-BITOPRO-PAYLOAD": payload, "X-BITOPRO-SIGNATURE": signature}
    return {"ws_url": "wss://stream.bitopro.com:443/ws/v1/pub/auth/account-balance", "ws_headers": headers, "frames": [], "nonce": now_ms}


def _bitmart_sign(credentials: dict[str, str], now_ms: int) -> str:
    """developer-pro.bitmart.com, both markets' login pages: sign = hex
    HMAC-SHA256(secret, timestamp + "#" + memo + "#bitmart.WebSocket"), the
    timestamp in milliseconds."""
    message = f"{now_ms}#{credentials['password']}#bitmart.WebSocket"
    return hmac.new(credentials["secret"].encode(), message.encode(), hashlib.sha256).hexdigest()


def bitmart_spot(credentials: dict[str, str], now_ms: int) -> dict[str, Any]:
    """https://developer-pro.bitmart.com/en/ws/spot_ws/login.html:
    {"op":"login","args":["<API_KEY>", "<timestamp>", "<sign>"]} on the private
    channel wss://ws-manager-compress.bitmart.com/user?protocol=1.1."""
    frame = {"op": "login", "args": [credentials["api_key"], str(now_ms), _bitmart_sign(credentials, now_ms)]}
    return {"ws_url": "wss://ws-manager-compress.bitmart.com/user?protocol=1.1", "ws_headers": {}, "frames": [frame], "nonce": None}


def bitmart_swap(credentials: dict[str, str], now_ms: int) -> dict[str, Any]:
    """https://developer-pro.bitmart.com/en/futuresv2/ "[Private] Login":
    {"action":"access","args":["<API_KEY>","<timestamp>","<sign>","<dev>"]}, dev
    "web", on wss://openapi-ws-v2.bitmart.com/user?protocol=1.1."""
    frame = {"action": "access", "args": [credentials["api_key"], str(now_ms), _bitmart_sign(credentials, now_ms), "web"]}
    return {"ws_url": "wss://openapi-ws-v2.bitmart.com/user?protocol=1.1", "ws_headers": {}, "frames": [frame], "nonce": None}


def binanceus(credentials: dict[str, str], now_ms: int) -> dict[str, Any]:
    """github.com/binance-us/binance-us-api-docs user-data-stream.md: "POST
    /api/v3/userDataStream" on https://api.binance.us with the X-MBX-APIKEY
    header and nothing signed; the stream is "wss://stream.binance.us:9443",
    "/ws/<listenKey>". The listen key is the server's: a fixed stand-in per
    run, as the ccxt captures use."""
    token = hashlib.sha256(f"listenKey:binanceus-{credentials['api_key']}-{now_ms}".encode()).hexdigest()
    call = {"method": "POST", "url": "https://api.binance.us/api/v3/userDataStream",
            "headers": {"X-MBX-APIKEY": credentials["api_key"]}, "body": ""}
    return {"rest": [call], "token": token, "ws_url": f"wss://stream.binance.us:9443/ws/{token}", "ws_headers": {}, "frames": [], "nonce": None}


# stem -> (entry, market, recipe, the credential fields it reads)
RECIPES: dict[str, tuple[str, str | None, Callable[[dict[str, str], int], dict[str, Any]], tuple[str, ...]]] = {
    "bitmex": ("bitmex", None, bitmex, ("api_key", "secret")),
    "gemini": ("gemini", None, gemini, ("api_key", "secret")),
    "bitopro": ("bitopro", None, bitopro, ("api_key", "secret", "login")),
    "bitmart-spot": ("bitmart", "spot", bitmart_spot, ("api_key", "secret", "password")),
    "bitmart-swap": ("bitmart", "swap", bitmart_swap, ("api_key", "secret", "password")),
    "binanceus": ("binanceus", None, binanceus, ("api_key", "secret")),
}
SOURCES = {
    "bitmex": "https://www.bitmex.com/app/wsAPI#Authentication; signature per https://www.bitmex.com/app/apiKeysUsage",
    "gemini": "https://docs.gemini.com/websocket/order-events/websocket-request (Python example)",
    "bitopro": "https://github.com/bitoex/bitopro-offical-api-docs/blob/1150a3fe976e1c32f8a8d00ac4ca5c11d22d7ad4/README.md#api-security-protocol",
    "bitmart-spot": "https://developer-pro.bitmart.com/en/ws/spot_ws/login.html",
    "bitmart-swap": "https://developer-pro.bitmart.com/en/futuresv2/ (WebSocket Subscription, [Private] Login)",
    "binanceus": "https://github.com/binance-us/binance-us-api-docs/blob/master/user-data-stream.md",
}
# The account e-mail BitoPro signs (Credentials.login), per credential set.
LOGINS = {"A": "login-a@example.com", "B": "login-b@example.com"}


def _published(name: str) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = json.loads((PUBLISHED / f"{name}.json").read_text(encoding="utf-8"))
    return examples


def check_published_vectors() -> None:
    """The recipes reproduce the exchanges' own worked examples (BitMEX's
    signatures, BitoPro's payload and signature, BitMart's login requests)."""
    for example in _published("bitmex"):
        inputs = example["inputs"]
        moment = inputs.get("expires", inputs.get("nonce"))
        got = _bitmex_signature(example["secret"], inputs["verb"], inputs["path"], moment, inputs["data"])
        if got != example["expected"]:
            raise AssertionError(f"{example['name']}: the recipe gives {got}, BitMEX publishes {example['expected']}")
    for example in _published("bitopro"):
        inputs = example["inputs"]
        given = {"api_key": "documented", "secret": example.get("secret", ""), "login": inputs["identity"]}
        headers = bitopro(given, inputs["nonce"])["ws_headers"]
        if headers["X-BITOPRO-PAYLOAD"] != example["expected_payload"]:
            raise AssertionError(f"{example['name']}: the recipe's payload differs from BitoPro's published one")
        if "expected" in example and headers["X-BITOPRO-SIGNATURE"] != example["expected"]:
            raise AssertionError(f"{example['name']}: the recipe's signature differs from BitoPro's published one")
    for example in _published("bitmart"):
        given = {"api_key": example["api_key"], "secret": example["secret"], "password": example["memo"]}
        recipe = bitmart_spot if example["market"] == "spot" else bitmart_swap
        if recipe(given, example["now_ms"])["frames"] != [example["request"]]:
            raise AssertionError(f"{example['name']}: the recipe's login differs from BitMart's published request")


def capture(stem: str, credential_set: str, clock: int) -> dict[str, Any]:
    entry, market, recipe, reads = RECIPES[stem]
    given = {**CREDENTIALS[credential_set], "login": LOGINS[credential_set]}
    credentials = {name: given[name] for name in reads}
    now_ms = CLOCKS_MS[clock]
    sent = recipe(credentials, now_ms)
    return {
        "entry": entry,
        "market_type": market,
        "source": SOURCES[stem],
        "credentials": credentials,
        "rest": sent.get("rest", []),
        "ws_url": sent["ws_url"],
        "ws_headers": sent["ws_headers"],
        "frames": sent["frames"],
        "subscribe_frames": [],
        "used": {
            "now_ms": now_ms, "nonce": sent["nonce"], "request_id": None, "request_ids": [], "uuids": [],
            "channel": None, "symbols": [], "token": sent.get("token"), "challenge": None,
        },
    }


def fixtures() -> dict[str, str]:
    check_published_vectors()
    return {
        f"{stem}-{number}.json": json.dumps(capture(stem, credential_set, clock), indent=2, sort_keys=True) + "\n"
        for stem in RECIPES
        for number, credential_set, clock in RUNS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="(re)write tests/fixtures/docs/*.json")
    mode.add_argument("--check", action="store_true", help="exit 1 when a fixture differs from the recipe's output")
    args = parser.parse_args(argv)
    stale = []
    for name, text in fixtures().items():
        path = FIXTURE_DIR / name
        if args.write:
            FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    if stale:
        print("stale:", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
