"""A REST call's token that carries values the call itself computed
(``rest.token_carries``, read in frames as ``{token_fields}``: Polymarket's
proxy beside the secret issued for it), and a session key derived from the
wallet key (``session_key``, ``{session_address}``), as the catalogue checks
them and as a rendered module behaves.

A small HMAC-signed catalogue (no wallet key needed) is rendered, imported and
driven; expected values come from the catalogue's own constants, never from
the module's helpers. Polymarket's entry, byte-equal to ccxt:
generated/tests/test_polymarket_wallet.py; end to end:
tests/runtime/test_wallet_rest_sessions.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.generator.test_catalogue import assert_reported, edited, refused, render_module, write
from wsauth.seam import Exchange, bind
from wsauth.steps import Attempt

# Lines: 1 [demo]  5 signature  6 rest  7 auth_frame
CARRYING = """\
[demo]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
signature = { message = "{uid}{now_ms}", hash = "sha256", key = "raw", encoding = "hex" }
rest = { method = "POST", url = "https://example.com/session", headers = { X-Sign = "{signature}" }, body = "account={uid}&ts={now_ms}", token = "data.secret", token_carries = { account = "{uid}" }, error_message = "error" }
auth_frame = { op = "auth", args = "{token_fields}" }
[demo.reply]
success = [{ op = "auth", ok = true }]
failure = [{ op = "auth", ok = false }]
reason = ["error"]
"""


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    tmp = tmp_path_factory.mktemp("token_carries")
    return render_module(tmp, write(tmp, CARRYING), "demo")


def _credentials(module: ModuleType, uid: str = "acct-7") -> object:
    return module.Credentials(api_key="k", secret="s", uid=uid)


def test_the_token_is_the_object_of_the_carried_values_and_the_replys(module: ModuleType) -> None:
    pre = module.pre_auth(_credentials(module), opts={"now_ms": 1})
    token = pre.read_token(200, json.dumps({"data": {"secret": "issued-1"}}))
    assert json.loads(token) == {"account": "acct-7", "secret": "issued-1"}
    assert list(json.loads(token)) == ["account", "secret"]  # carried first, then the reply's, as the frame wants them
    frame = module.build_auth_message(_credentials(module, uid="someone-else"), opts={"token": token})
    # The frame names what the call carried, not what this call's own inputs would give.
    assert frame == {"op": "auth", "args": {"account": "acct-7", "secret": "issued-1"}}


def test_a_reply_without_the_token_is_the_exchanges_error(module: ModuleType) -> None:
    pre = module.pre_auth(_credentials(module), opts={"now_ms": 1})
    with pytest.raises(module.ExchangeError):
        pre.read_token(200, json.dumps({"data": {}}))
    with pytest.raises(module.ExchangeError) as refused_call:
        pre.read_token(400, json.dumps({"error": "bad signature"}))
    assert refused_call.value.message == "bad signature"


@pytest.mark.parametrize("token", ["issued-1", '{"secret": "issued-1"}', '{"account": "a", "secret": ""}', "[1]"])
def test_a_token_of_another_shape_is_refused(module: ModuleType, token: str) -> None:
    with pytest.raises(module.WsAuthInputError) as refused_token:
        module.build_auth_message(_credentials(module), opts={"token": token})
    assert str(refused_token.value).startswith("demo: opts['token'] must be what the REST call's read_token returned")


def test_the_sessions_placeholder_token_is_shaped_as_read_token_makes_it(module: ModuleType) -> None:
    exchange: Exchange = bind(module)
    attempt = Attempt(exchange, _credentials(module), {"now_ms": 1})
    attempt.pre_auth()
    assert json.loads(attempt.placeholder_token()) == {"account": "acct-7", "secret": "placeholder"}
    Attempt(exchange, _credentials(module), {"token": attempt.placeholder_token()}).auth_message()  # reads it


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        ('token = "data.secret", ', "", 6, "demo.rest",
         "token_carries: carries values beside the reply's token: it needs token"),
        ('token_carries = { account = "{uid}" }', "token_carries = {}", 6, "demo.rest", "token_carries: names nothing"),
        ('token_carries = { account = "{uid}" }', 'token_carries = { secret = "{uid}" }', 6, "demo.rest",
         "token_carries: 'secret' is the reply's token's own name"),
        ('token_carries = { account = "{uid}" }', 'token_carries = { account = "{token}" }', 6, "demo.rest",
         "token_carries: cannot use {token}: it is what the call returns"),
        ('token_carries = { account = "{uid}" }, ', "", 7, "demo",
         "auth_frame: cannot use {token_fields}: it needs rest.token_carries"),
        ('args = "{token_fields}"', 'args = "{token}"', 7, "demo",
         "auth_frame: the token carries rest.token_carries: name {token_fields}, not {token}"),
        ('body = "account={uid}&ts={now_ms}"', 'body = "account={token_fields}"', 6, "demo",
         "rest: cannot use {token_fields}: it is what the call returns"),
        # A session key is derived from a wallet key.
        ('[demo.reply]', 'session_key = "session:{now_ms}"\n[demo.reply]', 8, "demo",
         "session_key: a session key is derived from a wallet key: it needs a wallet signature"),
        ('args = "{token_fields}"', 'args = "{session_address}"', 1, "demo",
         "{session_address} is a session key's: it needs a session_key message"),
    ],
)
def test_the_catalogue_checks_a_carrying_token(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, CARRYING))
    assert_reported(refused(path), path, line, table, text)
