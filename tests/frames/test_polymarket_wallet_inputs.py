"""polymarket_wallet with the inputs users get wrong, and what it must never show.

Byte-equality with ccxt 4.5.90 (two clocks, two keys) is the generated tests'
and tests/frames/test_differential.py's; the fake that recovers the
CreateProxy signer and checks the proxy's secret is
tests/runtime/test_wallet_rest_sessions.py's."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from wsauth import polymarket_wallet as module

from tests.paths import FIXTURES

KEYS = json.loads((FIXTURES / "keys" / "keys.json").read_text(encoding="utf-8"))["keys"]
KEY_A, ADDRESS_A = KEYS["A"]["secp256k1_hex"], KEYS["A"]["secp256k1_address"]
OPTS = {"now_ms": 1767225600123, "nonce": 123456789}
SECRET = "pm-secret-given-0123456789"


def _pre(private_key: str = KEY_A) -> module.PreAuth:
    return module.pre_auth(module.Credentials(private_key=private_key), opts=OPTS)


@pytest.mark.parametrize(
    "key, says",
    [
        (ADDRESS_A, "the length of an address"),
        ("0x" + "g" * 64, "not hex digits"),
        ("0x" + "0" * 64, "between 1 and the secp256k1 group order"),
    ],
    ids=["address", "not-hex", "zero"],
)
def test_a_key_that_is_not_an_ethereum_key_is_refused_before_any_call(key: str, says: str) -> None:
    with pytest.raises(module.WsAuthInputError) as refused:
        _pre(key)
    message = str(refused.value)
    assert message.startswith("polymarket_wallet: credentials.private_key") and says in message
    assert key.removeprefix("0x") not in message


def test_the_token_is_the_proxy_the_call_registered_and_the_reply_secret() -> None:
    pre = _pre()
    registered = json.loads(pre.request.body)["op"]["args"]["proxy"] if pre.request else None
    # The docs' ProxyResponse: {"status": "ok", "secret"}.
    token = json.loads(pre.read_token(200, json.dumps({"status": "ok", "secret": SECRET})))
    assert token == {"proxy": registered, "secret": SECRET}
    # The same clock and nonce register the same proxy: another nonce, another proxy.
    other = module.pre_auth(module.Credentials(private_key=KEY_A), opts={**OPTS, "nonce": 1})
    assert other.request is not None and json.loads(other.request.body)["op"]["args"]["proxy"] != registered


@pytest.mark.parametrize(
    "token",
    [SECRET, json.dumps({"secret": SECRET}), json.dumps({"secret": SECRET, "proxy": "0x" + "1" * 40}),
     json.dumps({"proxy": "0x" + "1" * 40, "secret": ""})],
    ids=["the-bare-secret", "no-proxy", "out-of-order", "empty-secret"],
)
def test_a_token_not_shaped_as_read_token_makes_it_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(module.WsAuthInputError) as refused:
        module.build_auth_message(module.Credentials(private_key=KEY_A), opts={"token": token, "request_id": 1})
    message = str(refused.value)
    assert message.startswith("polymarket_wallet: opts['token']") and SECRET not in message


def test_a_refused_call_is_the_exchanges_error() -> None:
    with pytest.raises(module.ExchangeError) as refused:
        # The docs' Error400 ("... invalid signature ...").
        _pre().read_token(400, json.dumps({"status": "err", "error": "invalid signature"}))
    assert (refused.value.status, refused.value.message) == (400, "invalid signature")
    with pytest.raises(module.ExchangeError):
        _pre().read_token(200, json.dumps({"status": "ok"}))  # no secret


def test_no_repr_shows_the_signature_the_secret_or_the_key() -> None:
    pre = _pre()
    assert pre.request is not None
    signature = json.loads(pre.request.body)["sig"]
    shown = repr(pre) + repr(pre.request) + repr(module.Credentials(private_key=KEY_A))
    assert signature[2:20] not in shown and KEY_A not in shown


def test_cryptography_signs_the_same_bytes_when_coincurve_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    with_coincurve = _pre().request
    real = module._importlib.import_module

    def without_coincurve(name: str) -> ModuleType:
        if name.partition(".")[0] == "coincurve":
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(module._importlib, "import_module", without_coincurve)
    module._eth_address.cache_clear()
    assert _pre().request == with_coincurve
