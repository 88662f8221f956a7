"""The second reference: our modules against the exchanges' own SDKs.

tests/reference/sdk_capture.py ran each official SDK's signing code (clock
frozen, credentials pinned, socket replaced by a recorder) and committed what
it sent to tests/fixtures/sdk/*.json with the SDK's name and version. Here our
module gets the same inputs and must send the same: signatures exactly, frames
field by field, except where SDK_DIFFERENCES names a difference and its reason.
None of the SDKs is needed to run this file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import b64url, jwt_parts, ours, verify_jwt
from tests.paths import FIXTURES as PATHS_FIXTURES
from tests.paths import ROOT

FIXTURES = sorted((PATHS_FIXTURES / "sdk").glob("*.json"))

# (entry, where in the frame) -> (what differs, why). "same_digits": the same
# digits, a JSON number on one side and a string on the other; "ours_only" /
# "sdk_only": a field one side sends and the other does not; "json_text": both
# send a JSON text, compared field by field under "json"; "sdk_value": the SDK
# sends another value there, not signed.
SDK_DIFFERENCES: dict[tuple[str, tuple[str | int, ...]], tuple[str, str]] = {
    **{
        (entry, ("frames", 0, "args", 1)): (
            "same_digits",
            "pybit sends expires as a number; ccxt and we send the same digits as a string, "
            "which Bybit's v5 auth accepts (the ccxt reference proves the string form)",
        )
        for entry in ("bybit", "bybiteu", "bybitid")
    },
    **{
        (entry, ("frames", 0, "args", 0, "timestamp")): (
            "same_digits",
            "python-okx sends the seconds as a number; OKX's login docs show a string, as ccxt and we send",
        )
        for entry in ("okx", "myokx", "okxus")
    },
    **{
        (entry, ("frames", 0, "params", "recvWindow")): (
            "same_digits",
            "binance-sdk-spot sends recvWindow as a string, ccxt and we as a number; Binance reads "
            "either, and the signature covers the query string, where both are the same digits",
        )
        for entry in ("binance", "binance_ed25519", "binance_rsa")
    },
    ("bitfinex", ("frames", 0, "filter")): (
        "sdk_only",
        "bitfinex-api-py always sends the optional filter (null: every channel); ccxt and we leave it out, "
        "which Bitfinex's auth docs allow",
    ),
    ("bitvavo", ("frames", 0, "window")): (
        "sdk_only",
        "python-bitvavo-api sends its access window (the option ACCESSWINDOW, here 10000 ms); optional in "
        "Bitvavo's authenticate action and not signed; ccxt and we send none (Bitvavo's default)",
    ),
    ("apex", ("frames", 0, "args", 0)): (
        "json_text",
        "the login's one argument is a JSON text (apexomni and ccxt both json.dumps it)",
    ),
    ("apex", ("frames", 0, "args", 0, "json", "timestamp")): (
        "same_digits",
        "apexomni writes the timestamp as a number inside the JSON text, ccxt and we as a string; the "
        "signature covers the same digits",
    ),
    ("apex", ("frames", 0, "args", 0, "json", "topics")): (
        "sdk_value",
        "apexomni logs in with four topics (ws_notify_v1, ws_accounts_v2, ws_zk_accounts_v3, "
        "ws_accounts_v1), ccxt and we with the omni one, ws_zk_accounts_v3; the topics are not signed",
    ),
    **{
        key: value
        for entry in ("woofipro", "modetrade")
        for key, value in (
            ((entry, ("frames", 0, "id")), (
                "sdk_only",
                "orderly-evm-connector numbers its auth request (the connection's wss_id); ccxt and we send "
                "none, and the reply is matched by its event",
            )),
            ((entry, ("frames", 0, "params", "timestamp")), (
                "same_digits",
                "orderly-evm-connector sends the milliseconds as a number, ccxt and we as a string; the "
                "Ed25519 signature covers the same digits",
            )),
        )
    },
    **{
        (entry, ("frames", 0, "params", "token")): (
            "jwt_claims",
            "coinbase-advanced-py 2.0.0rc1 (a pre-release) signs the gateway's public/auth JWT with "
            "jwt_generator.build_jwt: {sub, iss: 'cdp', nbf, exp}, no aud, no iat; ccxt 4.5.90 (and we) send "
            "aud ['retail_rest_api_proxy'] / iss 'coinbase-cloud' (ES256) or aud ['cdp_service'] / iss 'cdp' "
            "(EdDSA), with iat. No Coinbase page for this gateway's claims was found, and the SDK is a "
            "pre-release: ours stay ccxt's (tests/reference/SECOND_REFERENCE.md)",
        )
        for entry in ("coinbaseinternational", "coinbaseinternational_eddsa")
    },
    ("gate_wsapi", ("frames", 0, "id")): (
        "ours_only",
        "ccxt's top-level request id (also sent as payload.req_id, which the reply echoes); gate-ws sends none",
    ),
    ("gate_wsapi", ("frames", 0, "payload", "req_header")): (
        "sdk_only",
        "gate-ws's X-Gate-Channel-Id request header (broker channel attribution, empty here); not signed",
    ),
    # The UTA keep-alive: KuCoin's page is followed, not the SDK.
    ("kucoin_uta", ("ping_frames", 0, "type")): (
        "ours_only",
        "https://www.kucoin.com/docs-new/websocket-api/base-info/introduction-uta, 4. Ping: "
        '{"id": "1545910590801", "type": "ping"} (tests/fixtures/sources.toml [[ping]])',
    ),
    ("kucoin_uta", ("ping_frames", 0, "op")): (
        "sdk_only",
        "kucoin-universal-sdk 1.3.2's _ping_loop names the ping in op, which KuCoin's UTA page does not show",
    ),
    ("kucoin_uta", ("ping_frames", 0, "timestamp")): (
        "sdk_only",
        "kucoin-universal-sdk 1.3.2's _ping_loop adds the time in ms; KuCoin's UTA page shows only id and type",
    ),
}

# JWTs whose claims we (as ccxt 4.5.90) write otherwise than the SDK:
# entry -> (claims only we send, claims whose values differ). The header and
# every other claim are equal, and both signatures verify with the key.
JWT_CLAIMS_OURS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "coinbaseinternational": (("aud", "iat"), ("iss",)),
    "coinbaseinternational_eddsa": (("aud", "iat"), ()),
}

# Sockets whose URL is written differently by the SDK: entry -> (SDK's, why).
SDK_URLS: dict[str, tuple[str, str]] = {
    "bitvavo": ("wss://ws.bitvavo.com/v2/", "the SDK adds a trailing slash to the same path; ccxt and we write none"),
}

# Headers an SDK adds to its REST calls that authenticate nothing.
TRANSPORT_HEADERS = {"Accept", "Accept-Encoding", "Connection", "Content-Length", "User-Agent"}

# Headers we (and ccxt) send that the SDK does not: (entry, header) -> why.
OUR_HEADERS_ONLY: dict[tuple[str, str], str] = {
    **{
        (entry, "Content-Type"): (
            "ccxt names the (empty) form body's type; the SDK sends no body and no type; nothing is signed"
        )
        for entry in ("binanceusdm", "binancecoinm", "binance")
    },
}

# Headers the SDK sends and we (and ccxt) do not: (entry, header) -> why.
SDK_HEADERS_ONLY: dict[tuple[str, str], str] = {
    **{
        (entry, "Content-Type"): "the SDK names a JSON type for the empty body; ccxt and we send none; not signed"
        for entry in ("kucoin", "kucoinfutures")
    },
}

# Headers both send with other values: (entry, header) -> (the SDK's value, why).
HEADER_VALUES: dict[tuple[str, str], tuple[str, str]] = {
    **{
        (entry, "KC-API-KEY-VERSION"): (
            "3",
            "kucoin-universal-sdk always says 3, ccxt 2. KuCoin's authentication page "
            "(https://www.kucoin.com/docs-new/authentication): KC-API-KEY-VERSION is 'The API key version. "
            "This value can be checked on the API Management page.' Versions 2 and 3 sign the same way "
            "(the passphrase HMAC'd with the secret, as here): the signatures are equal",
        )
        for entry in ("kucoin", "kucoinfutures")
    },
    ("kraken", "Content-Type"): (
        "application/x-www-form-urlencoded; charset=utf-8",
        "python-kraken-sdk names the charset of the same form body; not signed",
    ),
}

# Where an SDK's own defaults differ from ours and the capture set the SDK's
# documented option to ours, so the signatures can be compared.
SDK_OPTIONS: dict[str, str] = {
    **{
        entry: "pybit's auth window defaults to 1 s; ccxt's and ours is 10 s: captured with private_auth_expire=10"
        + (f" (and tld={tld!r}, pybit's host option)" if tld else "")
        for entry, tld in (("bybit", ""), ("bybiteu", "eu"), ("bybitid", "id"))
    },
    "binance": "recv_window=10000: ccxt's and our recvWindow; the SDK sends none unless asked",
    "binance_ed25519": "recv_window=10000, as for binance",
    "binance_rsa": "recv_window=10000, as for binance",
    "bitvavo": "ACCESSWINDOW=10000: shows the window the SDK adds (see SDK_DIFFERENCES); unsigned",
    "alpaca_crypto": (
        "alpaca-py packs its frames with msgpack (Content-Type: application/msgpack); Alpaca's docs "
        "and ccxt send JSON text, as we do: the fixture holds the decoded map, compared field by field"
    ),
}

# Signatures an SDK randomises (ECDSA with a random k): both must verify with
# the key; header and claims are still compared byte for byte.
RANDOMISED = {"ES256"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_fixtures_exist_and_name_their_sdk() -> None:
    assert len(FIXTURES) >= 8
    per_entry: dict[str, set[int]] = {}
    for path in FIXTURES:
        data = load(path)
        assert data["sdk"] and data["sdk_version"] and data["sdk_function"], path.name
        stem = data["entry"] + (f"-{data['market_type']}" if data["market_type"] else "")
        assert path.stem.rsplit("-", 1)[0] == stem
        per_entry.setdefault(data["entry"], set()).add(data["used"]["now_ms"])
    # two clocks (and two credential sets) per entry
    assert all(len(clocks) >= 2 for clocks in per_entry.values()), per_entry


def test_every_listed_difference_is_used() -> None:
    entries = {load(path)["entry"] for path in FIXTURES}
    assert {entry for entry, _ in SDK_DIFFERENCES} <= entries
    assert set(SDK_OPTIONS) <= entries
    assert {entry for entry, _ in OUR_HEADERS_ONLY} <= entries
    assert {entry for entry, _ in HEADER_VALUES} <= entries
    assert {entry for entry, _ in SDK_HEADERS_ONLY} <= entries
    for path in FIXTURES:
        data = load(path)
        if data["sdk_options"]:
            assert data["entry"] in SDK_OPTIONS, data["sdk_options"]


def _compare(data: dict[str, Any], at: tuple[str | int, ...], mine: Any, theirs: Any) -> None:
    entry = data["entry"]
    difference = SDK_DIFFERENCES.get((entry, at))
    if difference is not None:
        kind, _why = difference
        if kind == "json_text":
            assert isinstance(mine, str) and isinstance(theirs, str), at
            _compare(data, (*at, "json"), json.loads(mine), json.loads(theirs))
        elif kind == "sdk_value":
            assert mine != theirs, (at, "the same value again: drop it from SDK_DIFFERENCES")
        elif kind == "jwt_claims":
            # the same header; the claims equal but for those JWT_CLAIMS_OURS names; both signatures valid
            ours_only, differing = JWT_CLAIMS_OURS[entry]
            (my_header, my_claims), (their_header, their_claims) = jwt_parts(mine), jwt_parts(theirs)
            assert my_header == their_header, at
            assert set(my_claims) - set(their_claims) == set(ours_only) and not set(their_claims) - set(my_claims)
            assert all(my_claims[k] != their_claims[k] for k in differing), differing
            skip = {*ours_only, *differing}
            assert {k: v for k, v in my_claims.items() if k not in skip} == {
                k: v for k, v in their_claims.items() if k not in skip
            }
            verify_jwt(mine, data["credentials"]["private_key"])
            verify_jwt(theirs, data["credentials"]["private_key"])
        else:
            assert kind == "same_digits"
            assert {type(mine), type(theirs)} == {str, int}, (at, mine, theirs)
            assert str(mine) == str(theirs), at
        return
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in mine.keys() ^ theirs.keys():
            side = "ours_only" if key in mine else "sdk_only"
            assert SDK_DIFFERENCES.get((entry, (*at, key)), ("",))[0] == side, (at, key, side)
        # and a field listed as one side's only is there, and only there
        for (listed_entry, where), (kind, _why) in SDK_DIFFERENCES.items():
            if listed_entry == entry and where[:-1] == at and kind in ("ours_only", "sdk_only"):
                key = where[-1]
                assert (key in mine, key in theirs) == (kind == "ours_only", kind == "sdk_only"), (at, key, kind)
        for key in mine.keys() & theirs.keys():
            _compare(data, (*at, key), mine[key], theirs[key])
    elif isinstance(mine, list) and isinstance(theirs, list):
        assert len(mine) == len(theirs), at
        for index, (a, b) in enumerate(zip(mine, theirs)):
            _compare(data, (*at, index), a, b)
    else:
        assert type(mine) is type(theirs) and mine == theirs, (at, mine, theirs)


def _compare_jwt(mine: str, theirs: str, private_key: str) -> None:
    assert mine.split(".")[:2] == theirs.split(".")[:2]  # header and claims, byte for byte
    header = json.loads(b64url(mine.split(".")[0]))
    if header["alg"] in RANDOMISED:
        verify_jwt(mine, private_key)
        verify_jwt(theirs, private_key)
    else:
        assert mine == theirs  # a deterministic signature: exactly


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_our_module_sends_what_the_sdk_sends(path: Path) -> None:
    assert_matches_sdk(load(path))


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("bybit-1", ("frames", 0, "args", 2)),  # a signature in a frame
        ("coinbase_cdp_eddsa-1", ("subscribe_frames", 0, "jwt")),  # an EdDSA JWT
        ("kucoin-spot-1", ("rest", 0, "headers", "KC-API-SIGN")),  # a signed REST header
        ("gate_wsapi-1", ("frames", 0, "payload", "signature")),
        ("kucoin_uta-1", ("frames", 0, "kc-api-sign")),  # signed after the greeting
        ("kucoin_uta-2", ("frames", 0, "kc-api-passphrase")),  # the passphrase signed
        ("kucoin_uta-3", ("ping_frames", 0, "id")),  # the ping's id, as the SDK draws it
    ],
)
def test_a_changed_signature_is_caught(name: str, where: tuple[str | int, ...]) -> None:
    data = load(FIXTURES[0].parent / f"{name}.json")
    parent: Any = data
    for step in where[:-1]:
        parent = parent[step]
    value = parent[where[-1]]
    parent[where[-1]] = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    with pytest.raises(AssertionError):
        assert_matches_sdk(data)


def our_pings(data: dict[str, Any]) -> tuple[int | None, list[dict[str, object]]]:
    """The interval wsauth.session reads from the SDK's greeting, and the
    ping it sends with the SDK's draw as its fresh id (wsauth.steps.Attempt)."""
    import importlib

    from wsauth.seam import bind
    from wsauth.steps import Attempt

    module = importlib.import_module(f"wsauth.{data['entry']}")
    exchange = bind(module, None, data["market_type"])
    attempt = Attempt(exchange, module.Credentials(**data["credentials"]), {"now_ms": data["used"]["now_ms"]})
    attempt.took_greeting(json.dumps(data["greeting"]))
    frame = attempt.ping(data["used"]["request_id"])
    return attempt.ping_interval_ms, [] if frame is None else [dict(frame)]


def assert_matches_sdk(data: dict[str, Any]) -> None:
    entry = data["entry"]
    got = ours(data)
    if entry in SDK_URLS:
        assert data["ws_url"] == SDK_URLS[entry][0] and got["ws_url"] == data["ws_url"].rstrip("/")
    elif data["ws_url"] is not None:
        assert got["ws_url"] == data["ws_url"]
    if "frames" in data["scope"]:
        _compare(data, ("frames",), got["frames"], data["frames"])
    if "ping_frames" in data["scope"]:
        interval_ms, pings = our_pings(data)
        assert interval_ms == data["ping_interval_ms"], "the interval read from the same greeting"
        _compare(data, ("ping_frames",), pings, data["ping_frames"])
    if "rest" in data["scope"]:
        assert len(got["rest"]) == len(data["rest"])
    for mine, theirs in zip(got["rest"], data["rest"]):
        assert (mine["method"], mine["url"], mine["body"] or "") == (theirs["method"], theirs["url"], theirs["body"])
        for name, value in mine["headers"].items():
            if (entry, name) in OUR_HEADERS_ONLY:
                assert name not in theirs["headers"], name
            elif (entry, name) in HEADER_VALUES:
                assert theirs["headers"].get(name) == HEADER_VALUES[(entry, name)][0], name
            else:
                assert theirs["headers"].get(name) == value, name
        extra = set(theirs["headers"]) - set(mine["headers"]) - TRANSPORT_HEADERS
        assert extra == {name for (name_entry, name) in SDK_HEADERS_ONLY if name_entry == entry}, extra
    fields = got["subscribe_auth"]
    if fields is None or "subscribe_frames" not in data["scope"]:  # kraken: the SDK's token call only
        return
    assert data["subscribe_frames"], "we add auth fields to a subscribe the SDK never sends"
    for frame in data["subscribe_frames"]:
        for key, value in fields.items():
            if key == "jwt":
                _compare_jwt(value, frame[key], data["credentials"]["private_key"])
            else:
                _compare(data, ("subscribe_frames", key), value, frame[key])


def test_the_readme_names_each_sdk_reference_with_its_version() -> None:
    from tests.generator.test_readme import exchange_table

    rows = exchange_table()
    for path in FIXTURES:
        data = load(path)
        assert f"{data['sdk']} {data['sdk_version']}" in rows[data["entry"]]["reference"], path.name


def test_second_reference_accounts_for_every_entry() -> None:
    """README: SECOND_REFERENCE.md records "which entries have no official
    SDK". Every catalogue entry is compared with an SDK here, or named in that
    file's section on the entries with no official SDK captured."""
    import wsauth

    text = (ROOT / "tests" / "reference" / "SECOND_REFERENCE.md").read_text(encoding="utf-8")
    section = text.split("\n## Entries with no official SDK captured\n", 1)[1].split("\n## ", 1)[0]
    compared = {load(path)["entry"] for path in FIXTURES}
    named = {entry for entry in wsauth.EXCHANGES if re.search(rf"(?<![\w-]){entry}(?![\w-])", section)}
    assert compared and named
    missing = sorted(set(wsauth.EXCHANGES) - compared - named)
    assert not missing, f"entries tests/reference/SECOND_REFERENCE.md does not account for: {missing}"
