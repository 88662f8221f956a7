"""Compare what a wsauth module would send with what the reference sent.

A capture (tests/reference/ccxt_capture.py) records ccxt 4.5.90's REST calls,
socket URL, handshake headers, auth frames and private subscribe frames. Ours
come from ``wsauth.plan`` with the same credentials, clock, nonce, request id,
token and challenge, and must be equal — except for the additions listed in
NOT_AUTHENTICATION, and the JWT claims (JWT_CLAIMS) and sockets
(DOCUMENTED_URLS) where the exchange's current documentation differs from
ccxt, each with its reason.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import settings, strategies as st

from wsauth.plan import plan
from tests.paths import FIXTURES

REPLIES = FIXTURES / "replies"

_KUCOIN_PARTNER = (
    "ccxt's broker (partner) attribution, signed with ccxt's own partner secret; "
    "KuCoin authenticates the user by KC-API-KEY, -SIGN, -TIMESTAMP and -PASSPHRASE"
)

# What ccxt sends that is not authentication, removed from the capture before
# comparing: (entry, part, key) -> why.
NOT_AUTHENTICATION: dict[tuple[str, str, str], str] = {
    ("bitget", "frames", "url"): (
        "ccxt extends the login frame with its internal params, which carry the "
        "socket URL; Bitget's login takes op and args only"
    ),
    ("gate", "ws_headers", "X-Gate-Size-Decimal"): (
        "asks Gate for decimal order sizes in pushes; unrelated to authentication"
    ),
    ("gate_wsapi", "ws_headers", "X-Gate-Size-Decimal"): (
        "asks Gate for decimal order sizes in pushes; unrelated to authentication"
    ),
    ("gateeu", "ws_headers", "X-Gate-Size-Decimal"): (
        "asks Gate for decimal order sizes in pushes; unrelated to authentication"
    ),
    ("weex", "ws_headers", "User-Agent"): (
        "ccxt names itself; Weex wants some User-Agent, and websockets sends its own"
    ),
    ("extended", "ws_headers", "User-Agent"): (
        "ccxt presents itself as a Chrome browser; not authentication"
    ),
    ("bullish", "rest", "body"): (
        "ccxt passes no body (None) for its GET login; ours is the empty string: "
        "the same request on the wire"
    ),
    ("hashkey", "rest_headers", "INPUT-SOURCE"): "ccxt's broker id at HashKey; the listen-key call is signed without it",
    ("hashkey", "rest_headers", "broker_sign"): (
        "ccxt's broker attribution repeats the signature in a header; HashKey's "
        "signed-endpoint docs need only X-HK-APIKEY and the signed parameters"
    ),
    ("toobit", "rest_headers", "Referrer"): "ccxt's name as a referrer; not part of Toobit's signed request",
    ("toobit", "rest_headers", "X-BB-API-PLATFORM"): "ccxt's broker id at Toobit; not part of the signed request",
    ("bingx", "rest_headers", "X-SOURCE-KEY"): "ccxt's broker id at BingX; not part of the signed request",
    ("mexc", "rest_headers", "source"): "ccxt's broker id at MEXC; not part of the signed request",
    ("deepcoin", "rest_headers", "appid"): "ccxt's app id at Deepcoin (broker attribution); not signed",
    ("paradex", "rest_headers", "PARADEX-PARTNER"): (
        "ccxt's broker attribution at Paradex (options.broker 'CCXT'); not signed, "
        "and not among the headers Paradex's Get JWT documents"
    ),
    ("kucoin", "rest_headers", "KC-API-PARTNER"): _KUCOIN_PARTNER,
    ("kucoin", "rest_headers", "KC-API-PARTNER-SIGN"): _KUCOIN_PARTNER,
    ("kucoin", "rest_headers", "KC-API-PARTNER-VERIFY"): _KUCOIN_PARTNER,
    ("kucoinfutures", "rest_headers", "KC-API-PARTNER"): _KUCOIN_PARTNER,
    ("kucoinfutures", "rest_headers", "KC-API-PARTNER-SIGN"): _KUCOIN_PARTNER,
    ("kucoinfutures", "rest_headers", "KC-API-PARTNER-VERIFY"): _KUCOIN_PARTNER,
    ("coinbaseexchange", "ws_url", "?"): (
        "ccxt appends an empty query string to tell its own public and user "
        "trade subscriptions apart; the feed ignores it"
    ),
}


_PARADEX_SBE = (
    "Paradex's WebSocket introduction (docs.paradex.trade/ws/general-information/introduction) "
    "names 'wss://ws.api.prod.paradex.trade/v1' (and the testnet's 'wss://ws.api.testnet.paradex.trade/v1'); "
    "ccxt asks for Simple Binary Encoding on the data channels, which the docs require 'for public "
    "channel payloads' only (as of 21 September 2026): private channels stay JSON, what a session's caller reads"
)

# Sockets we open where the exchange's current documentation says, not where
# ccxt 4.5.90 does: (entry, environment: None for production) -> (ccxt's URL, ours, why).
DOCUMENTED_URLS: dict[tuple[str, str | None], tuple[str, str, str]] = {
    ("paradex", None): (
        "wss://ws.api.prod.paradex.trade/v1?sbeSchemaId=1&sbeSchemaVersion=3", "wss://ws.api.prod.paradex.trade/v1", _PARADEX_SBE,
    ),
    ("paradex", "testnet"): (
        "wss://ws.api.testnet.paradex.trade/v1?sbeSchemaId=1&sbeSchemaVersion=3", "wss://ws.api.testnet.paradex.trade/v1",
        _PARADEX_SBE,
    ),
    ("alpaca_crypto", None): (
        "wss://stream.data.alpaca.markets/v1beta2/crypto",
        "wss://stream.data.alpaca.markets/v1beta3/crypto/us",
        "Alpaca's real-time crypto page (docs.alpaca.markets/docs/real-time-crypto-pricing-data): "
        "'The v1beta1 and v1beta2 endpoints were marked deprecated, and will be removed shortly. "
        "Please use the latest v1beta3 endpoints'; alpaca-py opens v1beta3/crypto/us",
    ),
}


# Request ids that only pair a reply with its request, where ccxt draws them
# from a counter of its own that our modules have no reason to share: removed
# from both sides' frames. (entry, key) -> why.
REQUEST_IDS: dict[tuple[str, str], str] = {
    ("whitebit", "id"): (
        "ccxt numbers the authorize request with its nonce counter (the REST "
        "call's nonce + 1); ours is opts['request_id'], which the reply echoes"
    ),
}


# JWTs whose claims we write as the exchange documents them today, not as
# ccxt 4.5.90 does. entry -> (claims ccxt sends that the exchange no longer
# documents, claims whose value changed, why). The header and every other
# claim must still equal ccxt's, and our signature must verify with the key.
JWT_CLAIMS: dict[str, tuple[tuple[str, ...], dict[str, Any], str]] = {
    "coinbase_cdp": (
        ("aud", "iat"),
        {"iss": "cdp"},
        "Coinbase's Advanced Trade WebSocket authentication page "
        "(docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/websocket-authentication) "
        "builds the JWT with its Python SDK's jwt_generator.build_ws_jwt, which signs "
        "{sub, iss: 'cdp', nbf, exp} (coinbase-advanced-py 1.8.4, tests/fixtures/sdk); "
        "ccxt 4.5.90 still sends the retired Coinbase Cloud claims iss 'coinbase-cloud', "
        "aud ['retail_rest_api_proxy'] and iat",
    ),
}


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A JWT's header and claims, decoded."""
    header, claims, _signature = token.split(".")
    return json.loads(b64url(header)), json.loads(b64url(claims))


def as_documented(entry: str, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """ccxt's JWT with the claims the exchange documents instead (JWT_CLAIMS)."""
    header, claims = jwt_parts(token)
    dropped, changed, _why = JWT_CLAIMS[entry]
    claims = {k: v for k, v in claims.items() if k not in dropped}
    for key, value in changed.items():
        assert key in claims, (entry, key)  # a claim ccxt no longer sends: drop it from JWT_CLAIMS
        claims[key] = value
    return header, claims


def verify_jwt(token: str, private_key: str) -> None:
    """Raise unless ``token``'s signature verifies with the public half of
    ``private_key`` (PEM, or a CDP Ed25519 base64 seed[+public key])."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    header, claims, signature = token.split(".")
    signed, raw = f"{header}.{claims}".encode(), b64url(signature)
    if "-----BEGIN" in private_key:
        key: Any = serialization.load_pem_private_key(private_key.encode(), None)
    else:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_key)[:32])
    alg = json.loads(b64url(header))["alg"]
    if alg == "EdDSA":
        assert isinstance(key, ed25519.Ed25519PrivateKey), alg
        key.public_key().verify(raw, signed)
    else:
        assert alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey) and len(raw) == 64, alg
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        key.public_key().verify(der, signed, ec.ECDSA(hashes.SHA256()))


def documented_subscribes(capture: dict[str, Any], fields: dict[str, Any] | None) -> tuple[list[Any], dict[str, Any] | None]:
    """For a JWT_CLAIMS entry: check our JWT against ccxt's as documented
    (header and claims equal, our signature valid), then leave both JWTs out."""
    entry = capture["entry"]
    if entry not in JWT_CLAIMS or fields is None:
        return capture["subscribe_frames"], fields
    ours_jwt = fields["jwt"]
    assert jwt_parts(ours_jwt) != jwt_parts(capture["subscribe_frames"][0]["jwt"]), (
        f"{entry}: ours equals ccxt again; drop it from JWT_CLAIMS"
    )
    verify_jwt(ours_jwt, capture["credentials"]["private_key"])
    frames = []
    for frame in capture["subscribe_frames"]:
        assert jwt_parts(ours_jwt) == as_documented(entry, frame["jwt"])
        frames.append({k: v for k, v in frame.items() if k != "jwt"})
    return frames, {k: v for k, v in fields.items() if k != "jwt"}


# Fields of ccxt's private subscribe that belong to its authentication although
# no credential, token, challenge or clock moves them, so that neither the
# differential test's swaps nor the signed-clock rule (subscribe_auth_fields)
# can find them: ours must supply each, equal. (entry, path) -> why.
SUBSCRIBE_AUTH_CONSTANTS: dict[tuple[str, tuple[str, ...]], str] = {
    ("gate", ("auth", "method")): (
        "the credential kind, set beside KEY and SIGN in the auth object of every "
        "private subscribe (ccxt 4.5.90 pro/gate.py subscribe_private)"
    ),
    ("gateeu", ("auth", "method")): "Gate's inline auth on Gate EU's hosts (pro/gateeu.py subclasses pro/gate.py)",
}


# Fields of ccxt's private subscribes that follow the credentials but are the
# account the stream is about, not authentication: the caller writes them into
# its subscribe like any channel parameter, build_subscribe_auth does not add
# them. (entry, path) -> why.
ACCOUNT_FIELDS: dict[tuple[str, tuple[str, ...]], str] = {
    ("nado", ("stream", "subaccount")): (
        "the subaccount whose orders the stream carries (the wallet's address and the "
        "subaccount name as a bytes32), the same under any clock; the socket authenticated "
        "with its authenticate frame, which 'applies to the entire wallet address' "
        "(docs.vertexprotocol.com subscriptions/authentication)"
    ),
}


def _without_request_ids(entry: str, frames: list[Any]) -> list[Any]:
    keys = [key for (name, key) in REQUEST_IDS if name == entry]
    return [{k: v for k, v in frame.items() if k not in keys} if isinstance(frame, dict) else frame for frame in frames]


def _without_additions(capture: dict[str, Any]) -> dict[str, Any]:
    capture = copy.deepcopy(capture)
    for (entry, part, key), _why in NOT_AUTHENTICATION.items():
        if capture["entry"] != entry:
            continue
        if part == "frames":
            for frame in capture["frames"]:
                del frame[key]  # KeyError: the addition is gone, drop it from the list
        elif part == "ws_headers":
            del capture["ws_headers"][key]
        elif part == "rest_headers":
            for call in capture["rest"]:
                del call["headers"][key]
        elif part == "rest":
            for call in capture["rest"]:
                assert call[key] is None, call  # the only rest addition: a missing body
                call[key] = ""
        elif part == "ws_url":
            assert capture["ws_url"].endswith(key), capture["ws_url"]
            capture["ws_url"] = capture["ws_url"][: -len(key)]
    documented = (capture["entry"], capture.get("environment"))
    if documented in DOCUMENTED_URLS:
        theirs, mine, _why = DOCUMENTED_URLS[documented]
        assert capture["ws_url"] == theirs, capture["ws_url"]  # ccxt moved: drop it from DOCUMENTED_URLS
        capture["ws_url"] = mine
    return capture


def ours(capture: dict[str, Any]) -> dict[str, Any]:
    """What our module produces for the capture's inputs (nothing masked)."""
    used = capture["used"]
    credentials = {k: v for k, v in capture["credentials"].items() if v is not None}
    return plan(
        capture["entry"],
        credentials,
        now_ms=used["now_ms"],
        # Where ccxt drew no nonce, the clock in ms: a nonce increasing per
        # key (Bullish's) must not depend on what an earlier test drew.
        nonce=used["now_ms"] if used["nonce"] is None else used["nonce"],
        request_id=used["request_id"],
        market_type=capture["market_type"],
        channel=used["channel"],
        symbols=used["symbols"],
        token=used["token"],
        challenge=used["challenge"],
        environment=capture.get("environment"),  # ccxt in sandbox mode: ccxt_scenarios.TESTNETS
        reveal=True,
    )


def merged(frame: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` deep-merged into ``frame``, as a caller of
    build_subscribe_auth does with its private subscribe frame."""
    out = copy.deepcopy(frame)
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def assert_matches_capture(capture: dict[str, Any]) -> None:
    expected = _without_additions(capture)
    for call in expected["rest"]:
        if call["body"] is None:  # ccxt's "no body" is our empty body (sent as none)
            call["body"] = ""
    got = ours(capture)
    assert got["rest"] == expected["rest"]
    assert got["ws_url"] == expected["ws_url"]
    assert got["ws_headers"] == expected["ws_headers"]
    entry = capture["entry"]
    assert _without_request_ids(entry, got["frames"]) == _without_request_ids(entry, expected["frames"])
    subscribe_frames, fields = documented_subscribes(expected, got["subscribe_auth"])
    for frame in subscribe_frames:
        # Both ways: every authentication field ccxt sends, we add ...
        required = subscribe_auth_fields(entry, frame, capture["used"]["now_ms"], signed=fields is not None)
        missing = uncovered(required, fields)
        assert missing == set(), f"ccxt's subscribe authenticates with fields ours lacks: {sorted(missing)}"
    if fields is None:
        return
    assert subscribe_frames, "we add auth fields to a subscribe ccxt never sends"
    for frame in subscribe_frames:
        # ... and every field we add is exactly what ccxt put there.
        assert merged(frame, fields) == frame


def subscribe_auth_fields(entry: str, frame: object, now_ms: int, *, signed: bool) -> set[tuple[str, ...]]:
    """The fields of one ccxt subscribe frame that a capture alone shows to be
    authentication: the constants of SUBSCRIBE_AUTH_CONSTANTS (each must be in
    the frame) and, in a frame that carries a signature (``signed``), a field
    holding the frozen clock (seconds or milliseconds, number or text): the
    signed timestamp. Fields that move with a credential, the token or the
    challenge are found by test_differential's swaps."""
    out = set()
    for (name, path), _why in SUBSCRIBE_AUTH_CONSTANTS.items():
        if name == entry:
            assert _at(frame, path) is not _ABSENT, f"{entry}: ccxt's subscribe no longer sends {path}"
            out.add(path)
    if signed:
        clock = {now_ms, now_ms // 1000, str(now_ms), str(now_ms // 1000)}
        out |= {path for path, value in _leaves(frame) if not isinstance(value, bool) and value in clock}
    return out


def uncovered(paths: set[tuple[str, ...]], fields: dict[str, Any] | None) -> set[tuple[str, ...]]:
    """The paths that ``fields`` (build_subscribe_auth's) does not supply. A
    list we supply (backpack's signature array) replaces ccxt's whole list."""
    covered = leaf_paths(fields) if fields is not None else set()
    return {path for path in paths if not any(path[: len(mine)] == mine for mine in covered)}


_ABSENT = object()


def _at(data: object, path: tuple[str, ...]) -> object:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return _ABSENT
    return data


def _leaves(data: object, at: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, (*at, str(k)))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*at, str(i)))]
    return [(at, data)]


def secret_dependent_paths(a: object, b: object, at: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Where two captures that differ in one input (a secret, a key, a token) differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {p for k in a.keys() | b.keys() for p in secret_dependent_paths(a.get(k), b.get(k), (*at, str(k)))}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return {p for i, (x, y) in enumerate(zip(a, b)) for p in secret_dependent_paths(x, y, (*at, str(i)))}
    return set() if a == b else {at}


def leaf_paths(data: object, at: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(data, dict):
        return {p for k, v in data.items() for p in leaf_paths(v, (*at, str(k)))}
    return {at}


def reply_cases(stem: str, kind: str) -> list[dict[str, Any]]:
    """The documented frames of one kind (success, failure, not_auth; for a
    pre-auth REST call rest_success and rest_failure) that
    tests/fixtures/replies/*.json lists for an entry or entry-market."""
    cases = []
    for path in sorted(REPLIES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if stem in data["entries"]:
            cases += [dict(case, file=path.name) for case in data.get(kind, [])]
    return cases


# The same examples on every run (a red CI must be reproducible) and no
# per-example deadline (a loaded machine is not a bug).
settings.register_profile("wsauth", deadline=None, derandomize=True)
settings.load_profile("wsauth")

# Any JSON value, nested, with the keys exchanges use in their replies so that
# the fuzzer reaches the handlers' predicates, not just their first line.
_keys = st.sampled_from(
    ["op", "event", "success", "code", "msg", "error", "result", "status", "id", "request",
     "args", "ret_msg", "message", "header", "channel", "data", "method", "type", "err-code"]
) | st.text(max_size=8)
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=6),
    max_leaves=30,
)


def import_file(path: Path, name: str) -> ModuleType:
    """Import a generated module from a file outside the package."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module
