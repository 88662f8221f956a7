"""A deliberately adversarial catalogue (fixtures/catalogues/hostile.toml):
one entry per flow whose every free-text field holds quotes, triple quotes,
backslashes, a newline, {{ }}, a Python payload, %s and non-ASCII.

The generator must treat all of it as data: the modules import, type-check
under mypy --strict, run nothing, and give every string back byte for byte.
Expected values come from the catalogue itself (tomllib), never from the
generator; signatures are not recomputed, only the literal parts compared.
"""

from __future__ import annotations

import ast
import json
import string
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from tests.conformance import import_file
from tests.paths import FIXTURES, ROOT

FIXTURE = FIXTURES / "catalogues" / "hostile.toml"
FLOWS = {"hostile_direct": "direct", "hostile_inline": "inline", "hostile_pre_auth": "pre_auth", "hostile_challenge": "challenge",
         "hostile_handshake": "handshake", "hostile_jwt": "direct"}
PAYLOAD = "__import__('os').system("

# Runtime inputs, themselves unfriendly: they must be inserted, never parsed.
CREDENTIALS = {
    "api_key": "key'\"{api_key}%s\\中",
    "secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM0NTY3ODk=",  # base64, so every key form accepts it
    "password": "pass\"'''{{}}\\é",
}
OPTS = {
    "now_ms": 1767225600123,
    "nonce": 42,
    "request_id": "req'\"7",
    "token": "tok\"'{token}\\\n😀",
    "challenge": "chal'\"{challenge}%s\\",
}
CHANNEL = "orders'\"{channel}"
SYMBOLS = ["BTC-USDT", "é'\"\\"]


@dataclass(frozen=True)
class Generated:
    catalogue: dict[str, Any]  # the catalogue as tomllib reads it
    out: Path
    marker: Path  # what the payload would create if it ever ran
    modules: dict[str, ModuleType]


def _import(path: Path) -> ModuleType:
    return import_file(path, f"_hostile_{path.stem}")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("hostile")
    marker = root / "pwned"
    catalogue = root / "hostile.toml"
    text = FIXTURE.read_text(encoding="utf-8")
    assert text.count("@MARKER@") > 50  # the payload really is everywhere
    catalogue.write_text(text.replace("@MARKER@", str(marker)), encoding="utf-8")
    out = root / "out"
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--catalogue", str(catalogue), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "generating ran the payload"
    modules = {name: _import(out / "wsauth" / f"{name}.py") for name in FLOWS}
    return Generated(tomllib.loads(catalogue.read_text(encoding="utf-8")), out, marker, modules)


# --- an independent reading of the catalogue ------------------------------------


class _AnyText:
    """Stands for a signature: any non-empty text (it is never recomputed)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other != ""

    def __repr__(self) -> str:
        return "<any signature>"


SIGNATURE = _AnyText()


def runtime_values(catalogue: dict[str, Any], entry: str, module: ModuleType) -> dict[str, object]:
    """What each catalogue value is for OPTS, CREDENTIALS, CHANNEL and SYMBOLS."""
    table = catalogue[entry]
    now_ms = OPTS["now_ms"]
    assert isinstance(now_ms, int)
    expires_ms = now_ms + table.get("expires_after_ms", 0)
    values: dict[str, object] = {
        **CREDENTIALS, **OPTS,
        "now_s": now_ms // 1000, "expires_ms": expires_ms, "expires_s": expires_ms // 1000,
        "channel": CHANNEL, "symbols_csv": ",".join(SYMBOLS), "ws_url": table["ws_url"],
        "signature": SIGNATURE,
    }
    query = table.get("signature", {}).get("query", {})
    values["query"] = urlencode(sorted((key, expand(value, values)) for key, value in query.items()))
    return values


def expand(data: object, values: dict[str, object]) -> object:
    """A catalogue template filled in: a string that is exactly one "{name}"
    keeps the value's type; anything else is text, "{{" and "}}" being braces.
    Keys are not templates."""
    if isinstance(data, str):
        pieces = list(string.Formatter().parse(data))
        if len(pieces) == 1 and pieces[0][0] == "" and pieces[0][1] is not None:
            _, name, _, conversion = pieces[0]
            assert name is not None
            return str(values[name]) if conversion == "s" else values[name]
        assert "{signature}" not in data, "only a lone {signature} can be compared"
        return data.format_map(values)
    if isinstance(data, list):
        return [expand(item, values) for item in data]
    if isinstance(data, dict):
        return {key: expand(value, values) for key, value in data.items()}
    return data


def assert_same(actual: object, expected: object, where: str = "frame") -> None:
    """Equal, with the same types and the same key order (what JSON will send)."""
    if expected is SIGNATURE:
        assert expected == actual, where
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert list(actual) == list(expected), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_same(got, want, f"{where}[{index}]")
    else:
        assert type(actual) is type(expected) and actual == expected, f"{where}: {actual!r} != {expected!r}"


def credentials(module: ModuleType) -> Any:
    return module.Credentials(**CREDENTIALS)


# --- the generated source -----------------------------------------------------------


def test_every_string_field_of_the_fixture_is_hostile() -> None:
    catalogue = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))
    assert {name: table["flow"] for name, table in catalogue.items()} == FLOWS
    # Choices from a closed list, and header names (a closed alphabet), are exempt.
    exempt = {"flow", "reference", "nonce", "hash", "key", "encoding", "digest_first", "method", "ttl_unit", "separators", "alg", "typ"}

    def values(data: object, key: str = "") -> list[str]:
        if isinstance(data, str):
            return [] if key in exempt else [data]
        if isinstance(data, list):
            return [s for item in data for s in values(item, key)]
        if isinstance(data, dict):
            return [s for k, v in data.items() for s in values(v, k)]
        return []

    def keys(data: object) -> list[str]:
        if isinstance(data, list):
            return [k for item in data for k in keys(item)]
        if isinstance(data, dict) and set(data) != {"present"}:  # { present = true } is schema
            return [k for k, v in data.items() for k in [k, *keys(v)]]
        return []

    texts = values(catalogue)
    for table in catalogue.values():
        texts += keys([table.get("auth_frame"), table.get("subscribe_auth"), table["reply"]["success"], table["reply"]["failure"]])
        texts += keys(table.get("signature", {}).get("query", {}))
        texts += [k for k in keys([table.get("jwt", {}).get("header"), table.get("jwt", {}).get("claims")]) if k not in ("alg", "typ")]
        texts += keys([table.get("socket_query", {}), table.get("payload", {}).get("json", {})])
        texts += keys(table.get("ping_frame", {}))
    assert len(texts) > 100
    for text in texts:
        if text == "{{}}" or (text.startswith("{") and text.endswith("}") and text.count("{") == 1):
            continue  # pure braces, or a lone "{name}": nothing else literal in it
        for needle in ("'", '"', "'''", '"""', "\\", "\n", "{{ }}", PAYLOAD, "%s", "é", "中", "😀"):
            assert needle in text, (text, needle)
    # A trailing backslash is the classic quoting bug.
    assert sum(text.endswith("\\") for text in texts) > 50


def test_generated_modules_run_nothing_from_the_catalogue(generated: Generated) -> None:
    for path in sorted(generated.out.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert "__import__" not in names and "system" not in attributes, path
        if path.stem in FLOWS:
            # ... while the payload is there, as data
            constants = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            assert any(PAYLOAD in text for text in constants), path


def test_modules_pass_mypy_strict(generated: Generated) -> None:
    files = [str(generated.out / "wsauth" / f"{name}.py") for name in FLOWS]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-site-packages", *files],
        cwd=generated.out, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout
    assert f"Success: no issues found in {len(files)} source files" in result.stdout


# --- configuration -------------------------------------------------------------------


@pytest.mark.parametrize("entry", FLOWS)
def test_config_strings_come_out_byte_for_byte(generated: Generated, entry: str) -> None:
    table, module = generated.catalogue[entry], generated.modules[entry]
    assert module.EXCHANGE == entry and module.PATTERN == FLOWS[entry]
    assert module.CONFIG.ws_url == table["ws_url"]
    assert {name: env.ws_url for name, env in module.CONFIG.environments.items()} == table["environments"]
    assert module.MARKET_TYPES == tuple(table["market_types"])
    if "rest" in table:
        assert module.CONFIG.rest_url == table["rest"]["url"]


@pytest.mark.parametrize("entry", FLOWS)
def test_a_hostile_market_type_is_accepted_as_given(generated: Generated, entry: str) -> None:
    module = generated.modules[entry]
    market = generated.catalogue[entry]["market_types"][0]
    module.pre_auth(credentials(module), opts={**OPTS, "market_type": market})  # accepted
    with pytest.raises(module.WsAuthInputError):
        module.pre_auth(credentials(module), opts={**OPTS, "market_type": market.rstrip("\\")})


# --- frames -------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["hostile_direct", "hostile_challenge"])
def test_auth_frame_literals_and_keys_come_out_byte_for_byte(generated: Generated, entry: str) -> None:
    module = generated.modules[entry]
    values = runtime_values(generated.catalogue, entry, module)
    frame = module.build_auth_message(credentials(module), opts=OPTS)
    assert_same(frame, expand(generated.catalogue[entry]["auth_frame"], values))
    assert json.loads(json.dumps(frame)) == frame


@pytest.mark.parametrize("entry", ["hostile_inline", "hostile_pre_auth", "hostile_challenge"])
def test_subscribe_auth_literals_and_keys_come_out_byte_for_byte(generated: Generated, entry: str) -> None:
    module = generated.modules[entry]
    values = runtime_values(generated.catalogue, entry, module)
    fields = module.build_subscribe_auth(credentials(module), channel=CHANNEL, symbols=SYMBOLS, opts=OPTS)
    assert_same(fields, expand(generated.catalogue[entry]["subscribe_auth"], values))


def test_jwt_header_and_claims_come_out_byte_for_byte(generated: Generated) -> None:
    import base64
    import hashlib
    import hmac

    table, module = generated.catalogue["hostile_jwt"], generated.modules["hostile_jwt"]
    values = runtime_values(generated.catalogue, "hostile_jwt", module)
    values["jwt"] = SIGNATURE  # the token: taken apart below
    frame = module.build_auth_message(credentials(module), opts=OPTS)
    assert_same(frame, expand(table["auth_frame"], values))
    (token,) = [value for key, value in frame.items() if key.startswith("token ")]
    header, claims, signature = token.split(".")

    def decoded(part: str) -> object:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    assert_same(decoded(header), expand(table["jwt"]["header"], values), "header")
    assert_same(decoded(claims), expand(table["jwt"]["claims"], values), "claims")
    # HS256 per RFC 7515, with the standard library (not the module's signer).
    digest = hmac.new(CREDENTIALS["secret"].encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert signature == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_direct_query_keys_and_values_come_out_byte_for_byte(generated: Generated) -> None:
    # {query} is the signature.query table, url-encoded in name order.
    module = generated.modules["hostile_direct"]
    values = runtime_values(generated.catalogue, "hostile_direct", module)
    frame = module.build_auth_message(credentials(module), opts=OPTS)
    (sent,) = [value for key, value in frame.items() if key.startswith("query ")]
    query = generated.catalogue["hostile_direct"]["signature"]["query"]
    assert parse_qsl(sent, strict_parsing=True) == sorted((key, expand(value, values)) for key, value in query.items())


def test_rest_call_carries_the_literal_text(generated: Generated) -> None:
    table, module = generated.catalogue["hostile_pre_auth"], generated.modules["hostile_pre_auth"]
    values = runtime_values(generated.catalogue, "hostile_pre_auth", module)
    pre = module.pre_auth(credentials(module), opts=OPTS)
    assert pre.request.method == table["rest"]["method"]
    assert pre.request.url == table["rest"]["url"] + "?" + expand(table["rest"]["url_query"], values)
    # Where the REST reply names the socket and its ping, and the ping frame itself.
    assert pre.ws_url_path == tuple(table["rest"]["ws_url"].split("."))
    assert pre.ping_interval_path == tuple(table["rest"]["ping_interval"].split("."))
    assert_same(pre.ping, expand(table["ping_frame"], values), "ping frame")
    assert_same(dict(pre.request.headers), expand(table["rest"]["headers"], values), "headers")
    assert_same(pre.request.body, expand(table["rest"]["body"], values), "body")
    assert pre.token_path == tuple(table["rest"]["token"].split("."))
    assert_same(pre.ws_url, expand(table["ws_url_with_token"], values), "ws_url")
    assert module.CONFIG.session_ttl_ms == table["session_ttl_ms"]
    assert module.CONFIG.keepalive_ms == table["keepalive_ms"] == pre.keepalive_ms
    for call in ("keepalive", "close"):
        request = getattr(pre, call)
        assert request.method == table[call]["method"] and request.url == table["rest"]["url"]
        assert_same(dict(request.headers), expand(table[call]["headers"], values), f"{call} headers")
        assert_same(request.body, expand(table[call]["body"], values), f"{call} body")


def test_handshake_headers_url_and_payload_carry_the_literal_text(generated: Generated) -> None:
    import base64

    table, module = generated.catalogue["hostile_handshake"], generated.modules["hostile_handshake"]
    values = runtime_values(generated.catalogue, "hostile_handshake", module)
    pre = module.pre_auth(credentials(module), opts=OPTS)
    assert pre.request is None
    payload = base64.b64decode(pre.ws_headers["X-Payload"]).decode()
    assert payload == json.dumps(expand(table["payload"]["json"], values))  # Python's spacing, ASCII escapes
    assert list(pre.ws_headers) == list(table["ws_headers"])
    assert pre.ws_headers["X-Literal"] == expand(table["ws_headers"]["X-Literal"], values)
    assert pre.ws_headers["X-Sign"] == SIGNATURE
    query = urlencode([(key, expand(value, values)) for key, value in table["socket_query"].items()])  # catalogue order
    assert pre.ws_url == expand(table["socket_url"], {**values, "socket_query": query})
    assert module.build_auth_message(credentials(module), opts=OPTS) is None


def test_flows_without_a_callback_return_none(generated: Generated) -> None:
    direct, inline = generated.modules["hostile_direct"], generated.modules["hostile_inline"]
    assert direct.pre_auth(credentials(direct), opts=OPTS) is None
    assert direct.build_subscribe_auth(credentials(direct), channel=CHANNEL, symbols=SYMBOLS, opts=OPTS) is None
    assert inline.build_auth_message(credentials(inline), opts=OPTS) is None


# --- replies --------------------------------------------------------------------------------

REASON = "reason '\"\"\"\\\n{{ }}%s é 中 😀"
CODE = "code '\"\\{}"


def nested(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A server frame holding each value at its dotted path."""
    frame: dict[str, Any] = {}
    for dotted, value in pairs:
        *parents, last = dotted.split(".")
        node = frame
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return frame


def matching(alternative: dict[str, Any]) -> list[tuple[str, object]]:
    """(path, value) pairs that satisfy one predicate alternative."""
    pairs: list[tuple[str, object]] = []
    for path, expected in alternative.items():
        if isinstance(expected, dict):
            if expected["present"]:
                pairs.append((path, "there"))
        elif isinstance(expected, list):
            pairs.append((path, expected[-1]))
        else:
            pairs.append((path, expected))
    return pairs


def lookup(frame: dict[str, Any], dotted: str) -> object:
    value: Any = frame
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


CATALOGUE = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))


def reply_cases(*verdicts: str) -> list[Any]:
    return [
        pytest.param(entry, verdict, index, id=f"{entry}-{verdict}-{index}")
        for entry in FLOWS
        for verdict in verdicts
        for index, _ in enumerate(CATALOGUE[entry]["reply"][verdict])
    ]


@pytest.mark.parametrize(("entry", "verdict", "index"), reply_cases("success"))
def test_success_reply_with_hostile_predicates_is_recognised(generated: Generated, entry: str, verdict: str, index: int) -> None:
    reply_table, module = generated.catalogue[entry]["reply"], generated.modules[entry]
    pairs = matching(reply_table[verdict][index])
    for name, value in (("code", CODE), ("ttl", 30), ("data", {"held": REASON})):
        if name in reply_table and reply_table[name] not in dict(pairs):
            pairs.append((reply_table[name], value))
    state: dict[str, object] = {}
    if "request_id" in reply_table:
        pairs.append((reply_table["request_id"], OPTS["request_id"]))
        state["request_id"] = OPTS["request_id"]
    frame = nested(pairs)
    reply = module.handle_auth_response(json.dumps(frame), state)
    assert reply is not None and reply.ok, frame
    assert reply.code == (CODE if "code" in reply_table else None)
    assert reply.ttl_ms == (30_000 if "ttl" in reply_table else None)
    assert reply.data == (lookup(frame, reply_table["data"]) if "data" in reply_table else None)
    if "request_id" in reply_table:
        assert module.handle_auth_response(json.dumps(frame), {"request_id": "another request"}) is None


@pytest.mark.parametrize(("entry", "verdict", "index"), reply_cases("failure"))
def test_failure_reply_with_hostile_predicates_is_recognised(generated: Generated, entry: str, verdict: str, index: int) -> None:
    reply_table, module = generated.catalogue[entry]["reply"], generated.modules[entry]
    reason_path = reply_table["reason"][-1]  # the last fallback: the earlier ones are absent
    frame = nested(matching(reply_table[verdict][index]) + [(reason_path, REASON)])
    reply = module.handle_auth_response(json.dumps(frame).encode(), None)
    assert reply is not None and not reply.ok, frame
    assert reply.reason == REASON


@pytest.mark.parametrize(("entry", "verdict", "index"), reply_cases("success", "failure"))
def test_a_near_miss_of_a_hostile_predicate_is_not_a_reply(generated: Generated, entry: str, verdict: str, index: int) -> None:
    # The same frame with every expected string one character longer.
    module = generated.modules[entry]
    pairs = matching(generated.catalogue[entry]["reply"][verdict][index])
    missed = [(path, value + "!" if isinstance(value, str) and value != "there" else value) for path, value in pairs]
    assert missed != pairs
    assert module.handle_auth_response(json.dumps(nested(missed)), None) is None


def test_the_payload_never_ran(generated: Generated) -> None:
    # Generated, imported, and every callback called: still no marker.
    for entry, module in generated.modules.items():
        module.pre_auth(credentials(module), opts=OPTS)
        module.build_auth_message(credentials(module), opts=OPTS)
        module.build_subscribe_auth(credentials(module), channel=CHANNEL, symbols=SYMBOLS, opts=OPTS)
        module.handle_auth_response(json.dumps(nested(matching(generated.catalogue[entry]["reply"]["success"][0]))))
    assert not generated.marker.exists()
