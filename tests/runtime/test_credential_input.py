"""Credentials that would break or forge what goes on the wire are bad input
(issue 14, items 7 and 8): a control character in any credential, or a
character that changes the URL or form an API key or account id is pasted
into, is the module's WsAuthInputError naming the field before anything is
signed. Non-ASCII is the modules' to carry (frames are JSON; the hostile
catalogue's credentials hold it); where it would go into an HTTP header or
URL, the session refuses it before the wire (``Unsendable``), never with
httpx's or websockets' error, which may print the value."""

from __future__ import annotations

import base64
from types import ModuleType
from typing import Any

import pytest

from tests.session_checks import Leaks, run
from wsauth import bybit, deepcoin, kraken, lbank, okx, woo
from wsauth.session import Session, Unsendable

VALID: dict[str, str] = {
    "api_key": "key-input-0123456789",
    "secret": "secret-input-0123456789abcdef",
    "password": "passphrase-input-42",
    "uid": "account-input-42",
}
KRAKEN_SECRET = base64.b64encode(b"kraken input secret 0123456789").decode()
# (module, the fields it reads): each is tried bad while the others are valid.
READS: list[tuple[ModuleType, tuple[str, ...]]] = [
    (bybit, ("api_key", "secret")),
    (deepcoin, ("api_key", "secret", "password")),  # the passphrase goes in a header
    (okx, ("api_key", "secret", "password")),
    (woo, ("api_key", "secret", "uid")),  # the account id goes in the socket URL
    (kraken, ("api_key",)),
    (lbank, ("api_key", "secret")),  # the key goes in a form body
]
CONTROL = ["key\r\nX-Injected: 1", "a\x00b", "tab\there", "del\x7f"]
NON_ASCII = ["ключ", "clé-0123"]
CASES = [
    pytest.param(module, field, bad, id=f"{module.EXCHANGE}-{field}-{bad.encode('unicode_escape').decode()}")
    for module, fields in READS
    for field in fields
    for bad in CONTROL
]


def credentials(module: ModuleType, **bad: str) -> Any:
    fields = {**VALID, **({"secret": KRAKEN_SECRET} if module is kraken else {}), **bad}
    return module.Credentials(**fields)


def every_callback(module: ModuleType, given: Any) -> None:
    opts = {"now_ms": 1_700_000_000_000, "token": "token-0123", "challenge": "challenge-0123"}
    module.pre_auth(given, opts=opts)
    module.build_auth_message(given, opts=opts)
    module.build_subscribe_auth(given, channel="orders", symbols=["BTC-USDT"], opts=opts)


@pytest.mark.parametrize("module, field, bad", CASES)
def test_a_credential_that_would_break_the_wire_is_bad_input(module: ModuleType, field: str, bad: str) -> None:
    every_callback(module, credentials(module))  # the valid ones pass
    with pytest.raises(module.WsAuthInputError) as refused:
        every_callback(module, credentials(module, **{field: bad}))
    assert f"credentials.{field}" in str(refused.value) and bad not in str(refused.value)


# Characters that change a URL or a form body the value is pasted into
# (issue 14, item 8): woo's account id in the socket URL's path, lbank's API
# key in its REST form body.
STRUCTURAL = [
    pytest.param(woo, "uid", bad, id=f"woo-uid-{bad}") for bad in ("acct?admin=1", "acct#x", "../../admin", "a%2Fb", "a\\b")
] + [
    pytest.param(module, "api_key", bad, id=f"{module.EXCHANGE}-api_key-{bad}")
    for module in (lbank, bybit) for bad in ("key&extra=1", "key#x", "key?x=1")
]


@pytest.mark.parametrize("module, field, bad", STRUCTURAL)
def test_a_credential_that_would_change_a_url_or_form_is_bad_input(module: ModuleType, field: str, bad: str) -> None:
    with pytest.raises(module.WsAuthInputError) as refused:
        every_callback(module, credentials(module, **{field: bad}))
    assert f"credentials.{field}" in str(refused.value) and bad not in str(refused.value)


def test_base64_api_keys_pass() -> None:
    every_callback(kraken, credentials(kraken, api_key="AbC+dEf/GhI=0123456789"))


def test_a_secret_may_hold_non_ascii_it_is_never_sent() -> None:
    every_callback(bybit, credentials(bybit, secret="sécret-0123456789"))


@run
async def test_a_session_refuses_a_header_injecting_passphrase_before_any_network_call(leaks: Leaks) -> None:
    bad = "passphrase\r\nX-Injected: 1"
    leaks.secrets.add(bad)
    s = Session(deepcoin, credentials(deepcoin, password=bad))
    with pytest.raises(deepcoin.WsAuthInputError) as refused:
        await s.connect()  # loopback_only: any address lookup would fail the test
    leaks.see(refused.value)
    assert "credentials.password" in str(refused.value)


@pytest.mark.parametrize("bad", NON_ASCII)
@run
async def test_a_non_ascii_passphrase_sent_in_a_header_is_refused_before_the_wire(bad: str, leaks: Leaks) -> None:
    leaks.secrets.add(bad)
    s = Session(deepcoin, credentials(deepcoin, password=bad))  # deepcoin: the passphrase is a REST header
    with pytest.raises(Unsendable) as refused:
        await s.connect()  # loopback_only: any address lookup would fail the test
    leaks.see(refused.value)
    # It names the header the value would have gone in (a name, never the value).
    assert refused.value.exchange == "deepcoin" and "REST call: its header 'DC-ACCESS-PASSPHRASE'" in str(refused.value)
    assert refused.value.__context__ is None
