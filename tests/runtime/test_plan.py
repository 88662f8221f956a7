"""``python -m wsauth plan``: the dry run, through its command line."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest


from tests.conformance import NOT_AUTHENTICATION, documented_subscribes, merged
from tests.conformance import _without_additions as without_additions
from tests.runtime.conftest import Unsupported
from tests.paths import FIXTURES
from wsauth.plan import plan

CAPTURES = FIXTURES / "ccxt"
# One capture per flow: direct, pre_auth (token in URL / in frames), inline, challenge.
FLOWS = ["bybit-1", "binance-linear-2", "kraken-3", "gate-swap-4", "krakenfutures-1", "htx-linear-3", "weex-spot-1", "hollaex-1", "bullish-2",
         # and signed with private keys: Ed25519 in a frame, an ES256 JWT in a subscribe
         "binance_ed25519-1", "coinbase_cdp-2"]


def run_plan(capture: dict[str, Any], tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    used = capture["used"]
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({k: v for k, v in capture["credentials"].items() if v}), encoding="utf-8")
    args = [sys.executable, "-m", "wsauth", "plan", capture["entry"], "--credentials", str(credentials),
            "--now-ms", str(used["now_ms"])]
    for flag, value in (("--nonce", used["nonce"]), ("--request-id", used["request_id"]),
                        ("--market-type", capture["market_type"]), ("--channel", used["channel"]),
                        ("--token", used["token"]), ("--challenge", used["challenge"])):
        if value is not None:
            args += [flag, str(value)]
    if used["symbols"]:
        args += ["--symbols", ",".join(used["symbols"])]
    return subprocess.run([*args, *extra], capture_output=True, text=True)


def load(name: str) -> dict[str, Any]:
    return json.loads((CAPTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FLOWS)
def test_reveal_prints_what_ccxt_sends(name: str, tmp_path: Path) -> None:
    capture = load(name)
    result = run_plan(capture, tmp_path, "--reveal")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == {"exchange", "pattern", "rest", "ws_url", "ws_headers", "frames", "subscribe_auth", "keepalive", "ping"}
    assert printed["exchange"] == capture["entry"]
    assert printed["rest"] == without_additions(capture)["rest"]
    assert printed["frames"] == capture["frames"]
    assert printed["ws_url"] == capture["ws_url"]
    not_auth = {key for (entry, part, key) in NOT_AUTHENTICATION if entry == capture["entry"] and part == "ws_headers"}
    assert printed["ws_headers"] == {k: v for k, v in capture["ws_headers"].items() if k not in not_auth}
    # A JWT whose claims are the exchange's documented ones (conformance.JWT_CLAIMS)
    # is checked as such and left out; every other field is ccxt's.
    frames, fields = documented_subscribes(capture, printed["subscribe_auth"])
    for frame in frames:
        assert merged(frame, fields or {}) == frame


# Where each capture (ccxt's, not ours) holds a value derived from the secret.
SIGNED = {
    "bybit-1": [("frames", 0, "args", 2)],
    "binance-linear-2": [],  # no signature: the listen key in the URL is the secret part
    "kraken-3": [("rest", 0, "headers", "API-Sign")],
    "binance_ed25519-1": [("frames", 0, "params", "signature")],
    "coinbase_cdp-2": [("subscribe_frames", 0, "jwt")],
    "gate-swap-4": [("subscribe_frames", 0, "auth", "SIGN")],
    "krakenfutures-1": [("subscribe_frames", 0, "signed_challenge")],
    "htx-linear-3": [("frames", 0, "Signature")],
    "weex-spot-1": [("ws_headers", "ACCESS-SIGN")],
    "hollaex-1": [("ws_url",)],
    "bullish-2": [("rest", 0, "headers", "BX-SIGNATURE"), ("ws_headers", "Cookie")],  # the cookie holds the JWT  # the signed URL: see the next test for what stays visible
}


def test_a_signed_url_is_masked_to_its_signature(tmp_path: Path) -> None:
    capture = load("hollaex-1")
    printed = json.loads(run_plan(capture, tmp_path).stdout)
    signature = capture["ws_url"].split("api-signature=")[1].split("&")[0]
    assert signature not in printed["ws_url"]
    assert printed["ws_url"] == capture["ws_url"].replace(signature, "***")


@pytest.mark.parametrize("name", FLOWS)
def test_masked_by_default(name: str, tmp_path: Path) -> None:
    capture = load(name)
    result = run_plan(capture, tmp_path)
    assert result.returncode == 0, result.stderr
    credentials = capture["credentials"]
    hidden = [credentials.get(name) for name in ("secret", "password", "private_key")] + [capture["used"]["token"]]
    for path in SIGNED[name]:
        node: Any = capture
        for step in path:
            node = node[step]
        hidden.append(node)
    for value in filter(None, hidden):
        assert value not in result.stdout
    assert "***" in result.stdout
    # Masking hides values, it does not drop them: the shape is intact.
    assert json.loads(result.stdout).keys() == json.loads(run_plan(capture, tmp_path, "--reveal").stdout).keys()


def test_bad_credentials_exit_2_naming_the_field_without_the_secret(tmp_path: Path) -> None:
    capture = load("okx-1")
    capture["credentials"]["password"] = None
    result = run_plan(capture, tmp_path)
    assert result.returncode == 2
    assert "okx" in result.stderr and "password" in result.stderr
    assert capture["credentials"]["secret"] not in result.stderr
    assert result.stdout == ""


def test_unknown_market_type_is_refused(tmp_path: Path) -> None:
    capture = load("binance-spot-1")
    capture["market_type"] = "moon"
    result = run_plan(capture, tmp_path)
    assert result.returncode == 2
    assert "binance" in result.stderr and "moon" in result.stderr


def test_an_unsupported_exchange_is_refused_with_its_reason(tmp_path: Path, unsupported: Unsupported) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_text('{"api_key": "k", "secret": "s"}', encoding="utf-8")
    for exchange, says in ((unsupported.name, f"{unsupported.name} is not supported: {unsupported.reason}"),
                           ("nosuch", "unknown exchange 'nosuch'")):
        result = unsupported.run("plan", exchange, "--credentials", credentials)
        assert result.returncode == 2 and says in result.stderr, result.stderr
        assert result.stdout == ""


KEEPALIVES = [r for r in tomllib.loads((FIXTURES / "sources.toml").read_text(encoding="utf-8"))["keepalive"]]
WALLET_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # eth-account's documented example


@pytest.mark.parametrize("record", KEEPALIVES, ids=lambda r: f"{r['entry']}-{r.get('market', '')}".rstrip("-"))
def test_the_keepalive_is_planned_as_sourced_with_the_token_masked(record: dict[str, Any]) -> None:
    """What keeps a listen key alive is part of what would be sent: its call
    and its interval as tests/fixtures/sources.toml sources them, the key masked."""
    token = "listen-key-0123456789"
    credentials = {"api_key": "key-0123", "secret": "secret-0123", "private_key": WALLET_KEY}
    kwargs: dict[str, Any] = {"now_ms": 1_767_225_600_123, "token": token, "market_type": record.get("market") or None}
    shown, revealed = plan(record["entry"], credentials, **kwargs), plan(record["entry"], credentials, reveal=True, **kwargs)
    keepalive = revealed["keepalive"]
    assert isinstance(keepalive, dict)
    assert (keepalive["method"], keepalive["every_ms"]) == (record["method"], record["interval_ms"])
    assert token not in json.dumps(shown) and "secret-0123" not in json.dumps(shown)
    assert shown["ping"] is None and revealed["ping"] is None


def test_the_ping_is_planned_with_its_request_id() -> None:
    credentials = {"api_key": "key-0123", "secret": "secret-0123", "password": "pass-0123"}
    printed = plan("kucoin_uta", credentials, now_ms=1_767_225_600_123, request_id=7)
    assert printed["ping"] == {"id": "7", "type": "ping"} and printed["keepalive"] is None
    assert plan("bybit", credentials, now_ms=1_767_225_600_123)["ping"] is None
