"""A pre-auth token that later connections of the same session may reuse
(``rest.token_reuse_margin_ms``: Polymarket's week-long proxy, which ccxt
4.5.90 caches until an hour before its expiry), as the catalogue checks it and
as a rendered module and the callback sequence carry it
(``PreAuth.token_reusable_ms``, ``Attempt.provisioned``).

A small HMAC-signed catalogue is rendered, imported and driven; expected
values come from the catalogue's own constants. End to end (one CreateProxy
for two connections, a passed window, a refused reuse):
tests/runtime/test_wallet_rest_sessions.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
import wsauth.kraken
from wsauth.seam import Exchange, bind, config_with
from wsauth.steps import Attempt

from tests.generator.test_catalogue import (
    assert_reported,
    edited,
    refused,
    render_module,
    write,
)

LIFETIME_MS, MARGIN_MS = 86_400_000, 3_600_000
# Lines: 1 [demo]  5 expires_after_ms  6 signature  7 rest  8 auth_frame
REUSABLE = f"""\
[demo]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
expires_after_ms = {LIFETIME_MS}
signature = {{ message = "{{uid}}{{now_ms}}", hash = "sha256", key = "raw", encoding = "hex" }}
rest = {{ method = "POST", url = "https://example.com/session", headers = {{ X-Sign = "{{signature}}" }}, body = "account={{uid}}&exp={{expires_ms}}", token = "secret", error_message = "error", token_reuse_margin_ms = {MARGIN_MS} }}
auth_frame = {{ op = "auth", id = "{{request_id}}", token = "{{token}}" }}
[demo.reply]
success = [{{ op = "auth", ok = true }}]
failure = [{{ op = "auth", ok = false }}]
reason = ["error"]
"""


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    tmp = tmp_path_factory.mktemp("token_reuse")
    return render_module(tmp, write(tmp, REUSABLE), "demo")


def _credentials(module: ModuleType) -> object:
    return module.Credentials(api_key="k", secret="s", uid="acct-7")


def test_the_token_is_reusable_for_its_lifetime_less_the_margin(module: ModuleType) -> None:
    pre = module.pre_auth(_credentials(module), opts={"now_ms": 1_000})
    assert pre.token_reusable_ms == LIFETIME_MS - MARGIN_MS
    # The lifetime is the expiry the call signs: config_with's too.
    shorter = config_with(module, expires_after_ms=MARGIN_MS + 250)
    assert module.pre_auth(_credentials(module), shorter, {"now_ms": 1_000}).token_reusable_ms == 250


def test_a_module_without_the_key_calls_anew_for_each_connection() -> None:
    pre = wsauth.kraken.pre_auth(wsauth.kraken.Credentials(api_key="k", secret="c2VjcmV0"), opts={"now_ms": 1, "nonce": 1})
    assert pre is not None and pre.token_reusable_ms is None
    attempt = Attempt(bind(wsauth.kraken), wsauth.kraken.Credentials(api_key="k", secret="c2VjcmV0"), {"now_ms": 1, "nonce": 1})
    attempt.pre_auth()
    attempt.took_rest_reply(200, json.dumps({"error": [], "result": {"token": "issued-1"}}).encode())
    assert attempt.provisioned(called_at=0.0) is None


def test_the_sequence_keeps_what_the_call_gave_and_a_later_connection_reuses_it(module: ModuleType) -> None:
    exchange: Exchange = bind(module)
    first = Attempt(exchange, _credentials(module), {"now_ms": 1_000, "request_id": 1})
    assert first.pre_auth() is not None
    first.took_rest_reply(200, json.dumps({"secret": "issued-1"}).encode())
    kept = first.provisioned(called_at=100.0)
    assert kept is not None and kept.until == 100.0 + (LIFETIME_MS - MARGIN_MS) / 1000
    assert "issued-1" not in repr(kept) and "example.com" not in repr(kept)
    later = Attempt(exchange, _credentials(module), {"now_ms": 2_000, "request_id": 2})
    later.reuse(kept)
    assert later.token == "issued-1" and later.ws_url == "wss://example.com/ws"
    assert later.auth_message() == {"op": "auth", "id": 2, "token": "issued-1"}
    # A lifetime within the margin leaves nothing to reuse.
    short: Exchange = bind(module, config_with(module, expires_after_ms=MARGIN_MS))
    once = Attempt(short, _credentials(module), {"now_ms": 1_000})
    once.pre_auth()
    once.took_rest_reply(200, json.dumps({"secret": "issued-2"}).encode())
    assert once.provisioned(called_at=100.0) is None


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        (f"token_reuse_margin_ms = {MARGIN_MS}", "token_reuse_margin_ms = 0", 7, "demo.rest", "token_reuse_margin_ms: must be positive"),
        (f"token_reuse_margin_ms = {MARGIN_MS}", 'token_reuse_margin_ms = "1h"', 7, "demo.rest",
         "token_reuse_margin_ms: expected int, got str"),
        (f"token_reuse_margin_ms = {MARGIN_MS}", "token_reusable_margin_ms = 1", 7, "demo.rest", "token_reusable_margin_ms: unknown key"),
        (f"token_reuse_margin_ms = {MARGIN_MS}", f"token_reuse_margin_ms = {LIFETIME_MS}", 7, "demo.rest",
         f"token_reuse_margin_ms: leaves no time to reuse the token: expires_after_ms is {LIFETIME_MS}"),
        # The lifetime is the expiry the call signs: a call that signs none has none.
        ("&exp={expires_ms}", "", 7, "demo.rest", "token_reuse_margin_ms: the token's lifetime is the call's {expires_ms}"),
        # A token kept alive (or released) belongs to its connection.
        ("[demo.reply]", 'keepalive = { method = "PUT", headers = {}, body = "" }\nkeepalive_ms = 60000\n[demo.reply]', 7,
         "demo.rest", "token_reuse_margin_ms: a token with a keepalive call is the connection's"),
        ("[demo.reply]", 'close = { method = "DELETE", headers = {}, body = "" }\n[demo.reply]', 7,
         "demo.rest", "token_reuse_margin_ms: a token with a close call is the connection's"),
        # The frame carries the token as it came: nothing signed per connection.
        ('token = "{token}" }', 'token = "{token}", sign = "{signature}" }', 7, "demo.rest",
         "token_reuse_margin_ms: auth_frame names {signature}: a reused token is sent as it came"),
        ('auth_frame = { op = "auth", id = "{request_id}", token = "{token}" }\n',
         'ws_url_with_token = "wss://example.com/ws?token={token}"\n', 7, "demo.rest",
         "token_reuse_margin_ms: needs an auth_frame"),
    ],
)
def test_the_catalogue_checks_a_reusable_token(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, REUSABLE))
    assert_reported(refused(path), path, line, table, text)
