"""The third reference: what an exchange's published recipe sends, where
neither ccxt nor an official SDK can be captured (BitMEX, Gemini).

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


RECIPES: dict[str, Callable[[dict[str, str], int], dict[str, Any]]] = {"bitmex": bitmex, "gemini": gemini}
SOURCES = {
    "bitmex": "https://www.bitmex.com/app/wsAPI#Authentication; signature per https://www.bitmex.com/app/apiKeysUsage",
    "gemini": "https://docs.gemini.com/websocket/order-events/websocket-request (Python example)",
}


def check_published_vectors() -> None:
    """The BitMEX recipe reproduces BitMEX's own worked examples."""
    for example in json.loads((PUBLISHED / "bitmex.json").read_text(encoding="utf-8")):
        inputs = example["inputs"]
        moment = inputs.get("expires", inputs.get("nonce"))
        got = _bitmex_signature(example["secret"], inputs["verb"], inputs["path"], moment, inputs["data"])
        if got != example["expected"]:
            raise AssertionError(f"{example['name']}: the recipe gives {got}, BitMEX publishes {example['expected']}")


def capture(entry: str, number: int, credential_set: str, clock: int) -> dict[str, Any]:
    credentials = {name: CREDENTIALS[credential_set][name] for name in ("api_key", "secret")}
    now_ms = CLOCKS_MS[clock]
    sent = RECIPES[entry](credentials, now_ms)
    return {
        "entry": entry,
        "market_type": None,
        "source": SOURCES[entry],
        "credentials": credentials,
        "rest": [],
        "ws_url": sent["ws_url"],
        "ws_headers": sent["ws_headers"],
        "frames": sent["frames"],
        "subscribe_frames": [],
        "used": {
            "now_ms": now_ms, "nonce": sent["nonce"], "request_id": None, "request_ids": [], "uuids": [],
            "channel": None, "symbols": [], "token": None, "challenge": None,
        },
    }


def fixtures() -> dict[str, str]:
    check_published_vectors()
    return {
        f"{entry}-{number}.json": json.dumps(capture(entry, number, credential_set, clock), indent=2, sort_keys=True) + "\n"
        for entry in RECIPES
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
