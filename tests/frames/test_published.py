"""Known answers from the exchanges' own documentation: worked examples that
publish the secret, the input and the signature (tests/fixtures/published/,
each with its source and the quoted text). The expected values come from
there, never from our code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from wsauth import binance, bitmart, bitmex, bitopro, gemini, kraken, krakenfutures
from tests.paths import FIXTURES

PUBLISHED = FIXTURES / "published"


def examples(exchange: str) -> list[dict[str, Any]]:
    return json.loads((PUBLISHED / f"{exchange}.json").read_text(encoding="utf-8"))


def test_every_example_file_has_examples() -> None:
    for exchange in ("binance", "binance_session_logon", "binanceus", "bitmart", "bitmex", "bitopro", "kraken", "krakenfutures"):
        assert examples(exchange)


@pytest.mark.parametrize("example", examples("krakenfutures"), ids=lambda e: e["name"])
def test_krakenfutures_signs_the_documented_challenge(example: dict[str, Any]) -> None:
    # Through the public API, end to end: the documented challenge and secret
    # give the documented signed_challenge.
    credentials = krakenfutures.Credentials(api_key="documented-example", secret=example["secret"])
    fields = krakenfutures.build_subscribe_auth(credentials, opts={"challenge": example["inputs"]["challenge"]})
    assert fields["signed_challenge"] == example["expected"]
    assert fields["original_challenge"] == example["inputs"]["challenge"]


# BitMEX signs verb + path + expires + data; its WebSocket login is that recipe
# with GET /realtime and no data. The published vectors are REST requests, so
# they check the module's HMAC (key use, hash, hex) on the documented strings.
@pytest.mark.parametrize("example", examples("bitmex"), ids=lambda e: e["name"])
def test_bitmex_signer_matches_the_documented_vectors(example: dict[str, Any]) -> None:
    inputs = example["inputs"]
    signed = inputs["verb"] + inputs["path"] + str(inputs.get("expires", inputs.get("nonce"))) + inputs["data"]
    assert signed == example["signed_string"]
    credentials = bitmex.Credentials(api_key="documented-example", secret=example["secret"])
    assert bitmex._sign(credentials, signed.encode()) == example["expected"]


def test_bitmex_frame_signs_get_realtime_and_expiry_in_seconds() -> None:
    # The frame's shape and the string it signs, per BitMEX's WebSocket docs:
    # {"op": "authKeyExpires", "args": [key, expires, signature]} over
    # "GET/realtime" + expires, expires in whole seconds.
    credentials = bitmex.Credentials(api_key="LAqUlngMIQkIUjXMUreyu3qn", secret="chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO")
    frame = bitmex.build_auth_message(credentials, opts={"now_ms": 1518064231000})
    assert frame["op"] == "authKeyExpires"
    key, expires, signature = frame["args"]
    assert key == "LAqUlngMIQkIUjXMUreyu3qn" and expires == 1518064236
    # No published vector exists for the WebSocket string: the standard
    # library's HMAC (not the module's) applies the documented recipe.
    expected = hmac.new(credentials.secret.encode(), b"GET/realtime1518064236", hashlib.sha256).hexdigest()
    assert signature == expected


@pytest.mark.parametrize("example", examples("kraken"), ids=lambda e: e["name"])
def test_kraken_signer_matches_the_documented_api_sign(example: dict[str, Any]) -> None:
    # API-Sign = HMAC-SHA512(base64-decoded secret, path + SHA256(nonce + body)):
    # the documented example, through the module's key handling and signer.
    inputs = example["inputs"]
    message = inputs["uri_path"].encode() + hashlib.sha256((inputs["nonce"] + inputs["post_data"]).encode()).digest()
    credentials = kraken.Credentials(api_key="documented-example", secret=example["secret"])
    assert kraken._sign(credentials, message) == example["expected"]


def test_kraken_pre_auth_uses_the_documented_recipe_for_its_own_path() -> None:
    # The documented secret and nonce on the module's own request. The
    # expected value applies the documented recipe with the standard
    # library's HMAC, not the module's.
    example = examples("kraken")[0]
    credentials = kraken.Credentials(api_key="documented-example", secret=example["secret"])
    nonce = example["inputs"]["nonce"]
    request = kraken.pre_auth(credentials, opts={"nonce": nonce}).request
    assert request.body == f"nonce={nonce}"
    assert request.url == "https://api.kraken.com/0/private/GetWebSocketsToken"
    message = b"/0/private/GetWebSocketsToken" + hashlib.sha256(f"{nonce}nonce={nonce}".encode()).digest()
    expected = base64.b64encode(hmac.new(base64.b64decode(example["secret"]), message, hashlib.sha512).digest()).decode()
    assert request.headers["API-Sign"] == expected


@pytest.mark.parametrize("example", examples("binance"), ids=lambda e: e["name"])
def test_binance_signer_matches_the_documented_vectors(example: dict[str, Any]) -> None:
    credentials = binance.Credentials(api_key="documented-example", secret=example["secret"])
    signature = binance._spot_sign(credentials, example["signed_string"].encode())
    assert signature == example["expected"]


# Binance's session.logon (Ed25519 keys only). The documented request is
# reproduced field for field except its signature, which no published key
# can make (see the fixture's signature_note); the signature is verified
# with the public key over the documented signed string instead.
@pytest.mark.parametrize("key_set", ["A", "B"])
@pytest.mark.parametrize("clock", ["documented", "later"])
def test_binance_session_logon_is_the_documented_request(key_set: str, clock: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from tests.reference.ccxt_capture import KEYS
    from wsauth import binance_ed25519_logon

    (example,) = examples("binance_session_logon")
    documented = example["request"]
    params = documented["params"]
    now_ms = params["timestamp"] if clock == "documented" else 1790000000987
    credentials = binance_ed25519_logon.Credentials(api_key=params["apiKey"], private_key=KEYS[key_set]["ed25519_pem"])
    frame = binance_ed25519_logon.build_auth_message(credentials, opts={"now_ms": now_ms, "request_id": documented["id"]})
    signature = frame["params"].pop("signature")  # type: ignore[attr-defined]
    expected = json.loads(json.dumps(documented))
    del expected["params"]["signature"]
    expected["params"]["timestamp"] = now_ms
    assert frame == expected
    assert list(frame["params"]) == ["apiKey", "timestamp"]  # type: ignore[call-overload]
    signed = f"apiKey={params['apiKey']}&timestamp={now_ms}".encode()
    key = serialization.load_pem_private_key(KEYS[key_set]["ed25519_pem"].encode(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    raw = base64.b64decode(signature, validate=True)
    assert len(raw) == 64
    key.public_key().verify(raw, signed)  # raises InvalidSignature otherwise


def test_gemini_handshake_headers_follow_the_documented_recipe() -> None:
    # https://docs.gemini.com/websocket/overview/requests/private-api:
    # X-GEMINI-PAYLOAD is the base64 of the JSON payload (the request path
    # and an increasing nonce); X-GEMINI-SIGNATURE is
    # hex(HMAC_SHA384(base64(payload), key=api_secret)), taken on the base64
    # text exactly as sent. ccxt 4.5.90 drops these headers (see the
    # catalogue), so the recipe, applied with the standard library's HMAC,
    # is the reference.
    credentials = gemini.Credentials(api_key="account-documented", secret="1234abcd")
    pre = gemini.pre_auth(credentials, opts={"now_ms": 1767225600123, "nonce": 1767225600123})
    headers = pre.ws_headers
    assert pre.request is None and pre.ws_url == "wss://api.gemini.com/v1/order/events"
    assert set(headers) == {"X-GEMINI-APIKEY", "X-GEMINI-PAYLOAD", "X-GEMINI-SIGNATURE"}
    assert headers["X-GEMINI-APIKEY"] == "account-documented"
    assert json.loads(base64.b64decode(headers["X-GEMINI-PAYLOAD"])) == {"request": "/v1/order/events", "nonce": 1767225600123}
    expected = hmac.new(b"1234abcd", headers["X-GEMINI-PAYLOAD"].encode(), hashlib.sha384).hexdigest()
    assert headers["X-GEMINI-SIGNATURE"] == expected


def test_gemini_nonces_increase_per_key_even_on_one_clock() -> None:
    credentials = gemini.Credentials(api_key="account-nonce", secret="1234abcd")
    nonces = [
        json.loads(base64.b64decode(gemini.pre_auth(credentials, opts={"now_ms": 1767225600123}).ws_headers["X-GEMINI-PAYLOAD"]))["nonce"]
        for _ in range(3)
    ]
    assert nonces == sorted(set(nonces)) and nonces[0] >= 1767225600123


def test_the_documented_recipe_captures_are_current() -> None:
    # tests/fixtures/docs drive the end-to-end test for the entries neither
    # ccxt nor an SDK can be captured for: the recipes that wrote them must
    # still reproduce BitMEX's published vectors and still write the same files.
    from tests.reference import docs_capture

    assert docs_capture.main(["--check"]) == 0, "run `python -m tests.reference.docs_capture --write`"


# BitoPro's README publishes a payload (the JSON {identity, nonce} in base64)
# and a signature (hex HMAC-SHA384 of the payload text, keyed with the
# secret). Through the public API: the documented e-mail and nonce give the
# documented payload header, and with the documented secret the documented
# signature header.
@pytest.mark.parametrize("example", examples("bitopro"), ids=lambda e: e["name"])
def test_bitopro_handshake_headers_are_the_documented_vectors(example: dict[str, Any]) -> None:
    inputs = example["inputs"]
    credentials = bitopro.Credentials(api_key="documented-example", secret=example.get("secret", "bitopro"), login=inputs["identity"])
    pre = bitopro.pre_auth(credentials, opts={"now_ms": 1767225600123, "nonce": inputs["nonce"]})
    assert pre is not None and pre.request is None
    assert pre.ws_url == "wss://stream.bitopro.com:443/ws/v1/pub/auth/account-balance"
    assert list(pre.ws_headers) == ["X-BITOPRO-APIKEY", "X-BITOPRO-PAYLOAD", "X-BITOPRO-SIGNATURE"]
    assert pre.ws_headers["X-BITOPRO-APIKEY"] == "documented-example"
    assert pre.ws_headers["X-BITOPRO-PAYLOAD"] == example["expected_payload"]
    if "expected" in example:
        assert pre.ws_headers["X-BITOPRO-SIGNATURE"] == example["expected"]


def test_bitopro_nonce_defaults_to_the_clock_and_the_login_is_required() -> None:
    credentials = bitopro.Credentials(api_key="k", secret="bitopro", login="support@bitoex.com")
    pre = bitopro.pre_auth(credentials, opts={"now_ms": 1554380909131})
    assert pre is not None
    assert pre.ws_headers["X-BITOPRO-PAYLOAD"] == examples("bitopro")[0]["expected_payload"]
    with pytest.raises(bitopro.WsAuthInputError) as error:
        bitopro.pre_auth(bitopro.Credentials(api_key="k", secret="bitopro"), opts={"now_ms": 1554380909131})
    assert "bitopro" in str(error.value) and "login" in str(error.value)


# BitMart's spot and futures login pages publish the key, secret, memo, timestamp, the
# signed string and the whole request: the module's frame equals it.
@pytest.mark.parametrize("example", examples("bitmart"), ids=lambda e: e["name"])
def test_bitmart_login_is_the_documented_request(example: dict[str, Any]) -> None:
    credentials = bitmart.Credentials(api_key=example["api_key"], secret=example["secret"], password=example["memo"])
    frame = bitmart.build_auth_message(credentials, opts={"now_ms": example["now_ms"], "market_type": example["market"]})
    assert frame == example["request"]
    assert json.dumps(frame) == json.dumps(example["request"])  # key order and types too
    assert hmac.new(example["secret"].encode(), example["signed_string"].encode(), hashlib.sha256).hexdigest() == example["request"]["args"][2]
