"""The REST-first engine parts an exchange of its own cannot show alone:
a session carried by the REST reply's *headers* onto the handshake
(``rest.token_headers``: GRVT's Set-Cookie and account id), a keep-alive
signed like the first call and built afresh each time (Aster's), and the
clock words ``{now_us}`` / ``{expires_ns}``.

A small catalogue (HMAC-signed, so that nothing here needs a wallet key) is
rendered, imported and driven; expected values come from the standard
library's hmac and from arithmetic on the frozen clock, never from the
module's helpers. The session end to end: tests/runtime/test_header_session.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.generator.test_catalogue import assert_reported, edited, refused, render_module, write
from wsauth.seam import Exchange, bind
from wsauth.steps import Attempt

NOW_MS = 1767225600123

# Lines: 1 [demo]  5 expires_after_ms  6 signature  7 rest  8 ws_headers  9 keepalive
SESSION = """\
[demo]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
expires_after_ms = 30000
signature = { message = "{body}", hash = "sha256", key = "raw", encoding = "hex" }
rest = { method = "POST", url = "https://example.com/login", headers = { X-Key = "{api_key}", X-Sign = "{signature}" }, body = "nonce={now_us}&expiration={expires_ns}", token_cookies = ["gravity"], token_headers = ["X-Account-Id"], error_message = "e" }
ws_headers = { Origin = "https://example.com" }
keepalive = { method = "PUT", headers = { X-Key = "{api_key}", X-Sign = "{signature}" }, body = "{body}" }
keepalive_ms = 60000
[demo.reply]
success = []
failure = [{ e = "expired" }]
reason = ["e"]
"""

REPLY_HEADERS = [
    ("Content-Type", "application/json"),
    ("Set-Cookie", "gravity=abc123; Path=/; Expires=Wed, 02 Dec 2026 00:00:00 GMT; HttpOnly; Secure"),
    ("x-account-id", "4724219064482495"),  # HTTP names ignore case
]
SESSION_TOKEN = {"Cookie": "gravity=abc123", "X-Account-Id": "4724219064482495"}


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    tmp = tmp_path_factory.mktemp("rest_session")
    return render_module(tmp, write(tmp, SESSION), "demo")


def _hmac(body: str, secret: str = "s") -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


def test_microseconds_and_nanoseconds_come_from_the_clock(module: ModuleType) -> None:
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": NOW_MS})
    # nonce: the ms clock in µs (as ccxt's aster draws it); expiration: 30 s on, in ns (GRVT's).
    body = f"nonce={NOW_MS * 1000}&expiration={(NOW_MS + 30000) * 1_000_000}"
    assert pre.request.body == body
    assert pre.request.headers == {"X-Key": "k", "X-Sign": _hmac(body)}


def test_the_session_is_read_from_the_reply_headers(module: ModuleType) -> None:
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": NOW_MS})
    assert pre.token_cookies == ("gravity",) and pre.token_headers == ("X-Account-Id",) and pre.token_path == ()
    token = pre.read_token(200, b'{"status": "success"}', REPLY_HEADERS)
    assert json.loads(token) == SESSION_TOKEN
    # Until the session is known the handshake headers are not; then they carry it.
    assert pre.ws_headers is None
    after = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": NOW_MS, "token": token})
    assert after.ws_headers == {"Origin": "https://example.com", **SESSION_TOKEN}
    # Only the cookie named ("Only pass gravity=<value>", GRVT's help centre), as its name=value pair.
    two = [("Set-Cookie", "rm=true; Path=/"), ("Set-Cookie", "gravity=x; HttpOnly"), ("X-Account-Id", "1")]
    assert json.loads(pre.read_token(200, b"{}", two))["Cookie"] == "gravity=x"


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        ([("X-Account-Id", "1")], "gravity cookie"),
        ([("Set-Cookie", "rm=true"), ("X-Account-Id", "1")], "gravity cookie"),
        ([("Set-Cookie", "gravity=; Path=/"), ("X-Account-Id", "1")], "gravity cookie"),  # an empty value
        ([("Set-Cookie", "gravity=abc")], "X-Account-Id header"),
        ([("Set-Cookie", "gravity=abc"), ("X-Account-Id", " ")], "X-Account-Id header"),
    ],
)
def test_a_reply_without_the_session_headers_is_the_exchanges_error(
    module: ModuleType, headers: list[tuple[str, str]], missing: str
) -> None:
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": NOW_MS})
    with pytest.raises(module.ExchangeError) as error:
        pre.read_token(200, b'{"status": "success"}', headers)
    assert error.value.status == 200 and error.value.message == f"no {missing} in the reply"


def test_a_refusal_is_read_before_any_header(module: ModuleType) -> None:
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": NOW_MS})
    with pytest.raises(module.ExchangeError) as error:
        pre.read_token(401, b'{"e": "bad signature"}', REPLY_HEADERS)
    assert error.value.status == 401


@pytest.mark.parametrize(
    "token",
    ["gravity=abc123", "[]", '{"Cookie": "gravity=abc123"}', '{"Cookie": "g=1", "X-Account-Id": 1}',
     '{"Cookie": "g=1", "X-Account-Id": "1", "Other": "x"}', '{"Cookie": "", "X-Account-Id": "1"}'],
)
def test_a_token_that_is_not_such_a_session_is_refused_naming_its_shape(module: ModuleType, token: str) -> None:
    with pytest.raises(module.WsAuthInputError) as error:
        module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": NOW_MS, "token": token})
    message = str(error.value)
    assert message.startswith("demo: opts['token'] must be the session") and '"Cookie": "..."' in message
    assert "abc123" not in message and "secret" not in message


def _exchange(module: ModuleType) -> Exchange[object]:
    bound: Exchange[object] = bind(module)
    return bound


def test_the_keepalive_is_signed_afresh_on_each_clock(module: ModuleType) -> None:
    credentials = module.Credentials(api_key="k", secret="s")
    attempt = Attempt(_exchange(module), credentials, {"now_ms": NOW_MS})
    assert attempt.pre_auth() is not None
    attempt.took_rest_reply(200, b'{"status": "success"}', REPLY_HEADERS)
    assert attempt.ws_headers == {"Origin": "https://example.com", **SESSION_TOKEN}
    bodies = []
    for later in (NOW_MS + 60000, NOW_MS + 120000):
        keepalive = attempt.keepalive({"now_ms": later})
        assert keepalive is not None
        body = f"nonce={later * 1000}&expiration={(later + 30000) * 1_000_000}"
        assert (keepalive.method, keepalive.body) == ("PUT", body)
        assert keepalive.headers == {"X-Key": "k", "X-Sign": _hmac(body)}
        bodies.append(keepalive.body)
    assert bodies[0] != bodies[1]


# --- the catalogue's checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        ('token_cookies = ["gravity"]', 'token = "t", token_cookies = ["gravity"]', 7, "demo.rest",
         "from the reply's JSON (token) or from its headers (token_cookies, token_headers): one of them"),
        ('token_cookies = ["gravity"], token_headers = ["X-Account-Id"], ', "", 7, "demo.rest", "one of them"),
        ('token_headers = ["X-Account-Id"]', "token_headers = []", 7, "demo.rest", "token_headers: names nothing"),
        ('token_headers = ["X-Account-Id"]', 'token_headers = ["X-Account-Id", "x-account-id"]', 7, "demo.rest",
         "token_headers: 'x-account-id' is named twice"),
        ('token_headers = ["X-Account-Id"]', 'token_headers = ["X Account"]', 7, "demo.rest",
         "token_headers: 'X Account' is not a header name"),
        ('token_headers = ["X-Account-Id"]', 'token_headers = ["Set-Cookie"]', 7, "demo.rest",
         "token_headers: name the cookies the reply sets in token_cookies"),
        ('token_cookies = ["gravity"]', 'token_cookies = ["grav ity"]', 7, "demo.rest",
         "token_cookies: 'grav ity' is not a cookie name"),
        ('Origin = "https://example.com"', 'Origin = "{token}"', 8, "demo",
         "ws_headers: cannot use {token}: the session is the reply's headers"),
        ("expires_after_ms = 30000\n", "", 1, "demo", "{expires_ms}/{expires_s}/{expires_ns} need expires_after_ms"),
        # A wallet signature's parts and the key's address exist only where a wallet key signs.
        ('Origin = "https://example.com"', 'Origin = "{signature_v}"', 1, "demo",
         "{signature_r}/{signature_s}/{signature_v} are a wallet signature's parts: they need a wallet signature"),
        ('Origin = "https://example.com"', 'Origin = "{address_lower}"', 1, "demo",
         "{address}/{wallet_subaccount} are the wallet key's: they need a wallet signature"),
    ],
)
def test_the_catalogue_checks_a_header_session(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, SESSION))
    assert_reported(refused(path), path, line, table, text)
