"""The closed vocabulary of values a catalogue template may name, and the
compiler from catalogue templates to Python expressions.

A catalogue string such as ``"GET/realtime{expires_ms}"`` never reaches the
generated source as text: its literal parts go through ``repr`` and its fields
must be names listed here, which become local variables of the generated
function. What each name means in code lives in ``templates/values.py.jinja``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Value:
    type: str  # the Python type of the local variable
    needs: tuple[str, ...] = ()  # values its definition reads (derived ones: see Variant.needs)
    # The statement(s) defining it inside a callback: Jinja text rendered with
    # ``v`` (the Variant), ``config`` (reads a Config field) and the filters.
    # Helpers it calls live in templates/helpers/ and reach only the modules
    # that call them (generator/prune.py); so do the imports.
    code: str = ""
    subscribe_only: bool = False  # only known inside build_subscribe_auth


@dataclass(frozen=True)
class Nonce:
    """A source of the catalogue's ``nonce`` key. A caller's opts["nonce"]
    always wins, so that every output is reproducible."""

    code: str
    needs: tuple[str, ...] = ()


NONCES: Mapping[str, Nonce] = {
    "now_ms": Nonce('nonce = _option_id(options, "nonce", now_ms)', ("now_ms",)),
    "now_s": Nonce('nonce = _option_id(options, "nonce", now_ms // 1000)', ("now_ms",)),
    # Strictly increasing per API key, process-wide.
    "increasing_ms": Nonce(
        'nonce = _option_id(options, "nonce", 0) if "nonce" in options else _next_nonce(api_key, now_ms)',
        ("now_ms", "api_key"),
    ),
    # 16 random bytes as hex (LBank's echostr, a CDP JWT's nonce).
    "random_hex": Nonce('nonce = _option_id(options, "nonce", 0) if "nonce" in options else _secrets.token_hex(16)'),
    # A random number of up to 9 decimal digits, as ccxt's rand_number(9)
    # draws it (Polymarket's session-key message and CreateProxy salt).
    "random_9_digits": Nonce('nonce = _option_id(options, "nonce", 0) if "nonce" in options else _secrets.randbelow(1_000_000_000)'),
    # A random UUID (Bitstamp).
    "uuid4": Nonce('nonce = _option_id(options, "nonce", 0) if "nonce" in options else str(_uuid.uuid4())'),
}
# The values whose definition reads the callback's options.
READS_OPTIONS = frozenset({"now_ms", "nonce", "request_id", "token", "challenge"})

_SIGN = '{{ v.prefix or "_" }}sign'

# Listed in definition order: every value comes after the values it needs.
VALUES: Mapping[str, Value] = {
    "api_key": Value("str", code='api_key = _credential(credentials.api_key, "api_key")'),
    # For exchanges that take the secret itself in a frame.
    "secret": Value("str", code='secret = _credential(credentials.secret, "secret")'),
    "password": Value("str", code='password = _credential(credentials.password, "password")'),
    "uid": Value("str", code='uid = _credential(credentials.uid, "uid")'),
    # The account identity an exchange signs (BitoPro's e-mail).
    "login": Value("str", code='login = _credential(credentials.login, "login")'),
    # The wallet the exchange names next to the key, as given (checked: 0x and
    # 40 hex digits, a mixed-case one with its EIP-55 checksum).
    "wallet_address": Value("str", code="wallet_address = _wallet_address(credentials.wallet_address)"),
    # The EIP-55 address of credentials.private_key (a secp256k1 key): the
    # wallet that signs. See helpers/wallet.py.
    "address": Value("str", code='address = {{ v.prefix or "_" }}address(credentials)'),
    # A subaccount as a bytes32 (Nado's "sender"): the signing wallet's 20
    # bytes, then the subaccount name (credentials.uid, "default" when not
    # given) in at most 12 bytes, zero-padded; 0x and lower-case hex.
    # The same address in lower case, as ccxt writes it where it is signed
    # as text (Aster's user and signer; GRVT's login body).
    "address_lower": Value("str", ("address",), "address_lower = address.lower()"),
    "wallet_subaccount": Value("str", ("address",), "wallet_subaccount = _wallet_subaccount(address, credentials.uid)"),
    # The Starknet account a STARK key signs for (Paradex's account address),
    # credentials.uid as StarkNet writes it: 0x and lower-case hex without
    # leading zeros (checked: hex below 2^251). See helpers/stark.py.
    "starknet_account": Value("str", ("uid",), 'starknet_account = _starknet_address(uid, "credentials.uid")'),
    "now_ms": Value("int", code="now_ms = _now_ms(options)"),
    "now_s": Value("int", ("now_ms",), "now_s = now_ms // 1000"),
    # Microseconds (Aster's v3 nonce): the millisecond clock times 1000, as ccxt draws it.
    "now_us": Value("int", ("now_ms",), "now_us = now_ms * 1000"),
    "expires_ms": Value("int", ("now_ms",), 'expires_ms = now_ms + {{ config("expires_after_ms") }}'),
    "expires_s": Value("int", ("now_ms",), 'expires_s = (now_ms + {{ config("expires_after_ms") }}) // 1000'),
    # Nanoseconds (GRVT's signature expiration).
    "expires_ns": Value("int", ("now_ms",), 'expires_ns = (now_ms + {{ config("expires_after_ms") }}) * 1_000_000'),
    "iso_s": Value("str", ("now_ms",), "iso_s = _iso_seconds(now_ms)"),
    # ISO 8601 UTC with milliseconds and "Z".
    "iso_ms": Value("str", ("now_ms",), "iso_ms = _iso_milliseconds(now_ms)"),
    # Needs: what its source reads (NONCES).
    "nonce": Value("int | str", code="{{ nonces[v.nonce].code }}"),
    "request_id": Value("int | str", ("now_ms",), 'request_id = _option_id(options, "request_id", now_ms)'),
    "token": Value("str", code='token = _option_text(options, "token")'),
    # The token as the object it is where rest.token_carries names values it
    # carries beside the reply's (Polymarket's {"proxy", "secret"}): checked
    # to hold exactly those names, then the reply's, in that order.
    "token_fields": Value("dict[str, str]", ("token",), "token_fields = _token_fields(token, {{ v.token_fields | pyrepr }})"),
    # The address of the session key the wallet key derives (session_key):
    # 0x and lower-case hex, as ccxt writes Polymarket's proxy. Needs: the
    # fields of the session_key message. See helpers/wallet.py.
    "session_address": Value(
        "str", code='session_address = {{ v.prefix or "_" }}session_address(credentials, ({{ v.session_key | pytext }}).encode())'
    ),
    "challenge": Value("str", code='challenge = _option_text(options, "challenge")', subscribe_only=True),
    "channel": Value(
        "str",
        code='if not isinstance(channel, str) or not channel:\n    raise _fail("build_subscribe_auth needs the channel it signs")',
        subscribe_only=True,
    ),
    "symbols_csv": Value(
        "str",
        code=(
            "if isinstance(symbols, str):\n"
            "    # A str is a Sequence[str] to mypy, and would sign \"B,T,C\".\n"
            '    raise _fail("symbols must be a list of market ids, not one string")\n'
            'symbols_csv = ",".join(symbols or ())'
        ),
        subscribe_only=True,
    ),
    "ws_url": Value("str", code="ws_url = config.ws_url"),
    "ws_host": Value("str", code="ws_host = _url_parts(config.ws_url)[0]"),
    "ws_path": Value("str", code="ws_path = _url_parts(config.ws_url)[1]"),
    "rest_path": Value("str", code='rest_path = _url_parts({{ config("rest_url") }})[1]'),
    # The chain ids the environment signs (Config's: production's, or the
    # ones config_with's environment names): an EVM chain's number (GRVT's
    # EIP-712 domain, Paradex's STARK-key message) and a Starknet chain's
    # name (Paradex's SNIP-12 domain).
    "chain_id": Value("int", code='chain_id = {{ config("chain_id") }}'),
    "starknet_chain_id": Value("str", code='starknet_chain_id = {{ config("starknet_chain_id") }}'),
    # Needs: the fields of signature.query. Sorted by name, as exchanges sign it.
    "query": Value(
        "str",
        code=(
            "query = _urlencode(({% for key, value in v.signature.query | dictsort(case_sensitive=true) %}"
            "({{ key | pyrepr }}, {{ value | pytext }}), {% endfor %}))"
        ),
    ),
    # Needs: the fields of socket_query; URL-encoded in the catalogue's order.
    "socket_query": Value(
        "str",
        code=(
            "socket_query = _urlencode(({% for key, value in v.socket_query.items() %}"
            "({{ key | pyrepr }}, {{ value | pytext }}), {% endfor %}))"
        ),
    ),
    # Needs: the fields of payload.json.
    "payload": Value(
        "str",
        code=(
            "{% if v.payload.separators == 'compact' %}"
            "payload = _COMPACT_TEXT.encode({{ v.payload.json | pyliteral }})"
            "{% else %}payload = _json.dumps({{ v.payload.json | pyliteral }}){% endif %}"
            "{% if v.payload.encoding == 'base64' %}{{ '\\n' }}"
            "payload = _binascii.b2a_base64(payload.encode(), newline=False).decode(){% endif %}"
        ),
    ),
    # Needs: the fields of rest.body.
    "body": Value("str", code="body = {{ v.rest.body | pytext }}"),
    # Base64 of the body's UTF-8 (WhiteBIT's X-TXC-PAYLOAD).
    "body_base64": Value("str", ("body",), "body_base64 = _binascii.b2a_base64(body.encode(), newline=False).decode()"),
    # Needs: the fields of jwt.header and jwt.claims.
    "jwt_input": Value(
        "str",
        code='jwt_input = {{ v.jwt.header | b64url_json }} + "." + {{ v.jwt.claims | b64url_json }}',
    ),
    # Needs: the fields of the signed message.
    # Its signer also takes what the STARK key depends on (Variant.signer_reads).
    "signature": Value(
        "str", code=f"signature = {_SIGN}(credentials, {{{{ signed_bytes }}}}{{% for name in v.signer_reads %}}, {{{{ name }}}}{{% endfor %}})"
    ),
    # The password (passphrase) signed with the signature table's recipe: KuCoin's API key v2.
    "signed_password": Value("str", ("password",), f"signed_password = {_SIGN}(credentials, password.encode())"),
    "jwt": Value("str", ("jwt_input", "signature"), 'jwt = jwt_input + "." + signature'),
    # A wallet signature's parts where an exchange sends them apart (GRVT):
    # r and s as 0x and 64 hex digits, v the int 27/28. Read from the 0x r s v
    # text the wallet signature is.
    "signature_r": Value("str", ("signature",), 'signature_r = "0x" + signature[2:66]'),
    "signature_s": Value("str", ("signature",), 'signature_s = "0x" + signature[66:130]'),
    "signature_v": Value("int", ("signature",), "signature_v = int(signature[130:], 16)"),
}


class TemplateError(ValueError):
    """A catalogue template names something outside the vocabulary."""


@dataclass(frozen=True)
class Part:
    literal: str
    field: str | None
    as_text: bool  # "!s": the decimal text of the value


def parse(template: str) -> list[Part]:
    """Split a template into literal text and named fields, validating both."""
    if not isinstance(template, str):
        raise TemplateError(f"{template!r}: expected a string")
    parts: list[Part] = []
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"{template!r}: {exc}") from None
    for literal, field, spec, conversion in pieces:
        if field is not None:
            if field not in VALUES:
                known = ", ".join(VALUES)
                raise TemplateError(f"{template!r}: unknown value {{{field}}} (known: {known})")
            if spec:
                raise TemplateError(f"{template!r}: format specs are not supported")
            if conversion not in (None, "s"):
                raise TemplateError(f"{template!r}: only the !s conversion is supported")
        if parts and parts[-1].field is None:  # "{{" splits literal text: rejoin it
            parts[-1] = Part(parts[-1].literal + literal, field, conversion == "s")
        else:
            parts.append(Part(literal, field, conversion == "s"))
    return parts


def fields(template: str) -> list[str]:
    return [p.field for p in parse(template) if p.field is not None]


def expression(template: str) -> str:
    """The Python expression for a template string.

    A template that is exactly one field keeps the value's own type (an int
    stays an int in a frame); anything else is text concatenated from
    repr()-quoted literals and str() of the fields.
    """
    parts = parse(template)
    if len(parts) == 1 and parts[0].literal == "" and parts[0].field is not None:
        only = parts[0]
        assert only.field is not None
        if only.as_text and VALUES[only.field].type != "str":
            return f"str({only.field})"
        return only.field
    code = []
    for part in parts:
        if part.literal:
            code.append(repr(part.literal))
        if part.field is not None:
            is_text = VALUES[part.field].type == "str"
            code.append(part.field if is_text else f"str({part.field})")
    return " + ".join(code) if code else repr("")


def text(template: str) -> str:
    """The Python expression for a template where text is needed (a signed
    message, a header, a body, a URL): a lone int field becomes its digits."""
    code = expression(template)
    parts = parse(template)
    if len(parts) == 1 and parts[0].literal == "" and parts[0].field is not None:
        if VALUES[parts[0].field].type != "str" and not code.startswith("str("):
            return f"str({code})"
    return code


def literal(data: object) -> str:
    """Python source for a JSON-like catalogue value whose strings are templates."""
    if isinstance(data, str):
        return expression(data)
    if isinstance(data, bool) or isinstance(data, int):
        return repr(data)
    if isinstance(data, float):
        if data != data or data in (float("inf"), float("-inf")):
            raise TemplateError(f"{data!r} is not a JSON number")
        return repr(data)
    if isinstance(data, list):
        return "[" + ", ".join(literal(item) for item in data) + "]"
    if isinstance(data, dict):
        items = (f"{key!r}: {literal(value)}" for key, value in data.items())
        return "{" + ", ".join(items) + "}"
    raise TemplateError(f"unsupported value {data!r}")


def fields_in(data: object) -> list[str]:
    """Every value a JSON-like template names, in order of appearance."""
    if isinstance(data, str):
        return fields(data)
    if isinstance(data, list):
        return [name for item in data for name in fields_in(item)]
    if isinstance(data, dict):
        return [name for value in data.values() for name in fields_in(value)]
    return []


def closure(names: Iterable[str], extra_needs: Mapping[str, Iterable[str]]) -> list[str]:
    """The values to define, in definition order, so that ``names`` exist."""
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in wanted:
            continue
        wanted.add(name)
        stack.extend(VALUES[name].needs)
        stack.extend(extra_needs.get(name, ()))
    # Vocabulary order, except that a derived value (payload, signature) may
    # need another one listed after it: each name comes after what it needs,
    # otherwise in vocabulary order (the catalogue rejects cycles).
    order = list(VALUES)
    needs = {name: set(VALUES[name].needs) | set(extra_needs.get(name, ())) for name in wanted}
    done: list[str] = []
    while len(done) < len(wanted):
        ready = next(n for n in order if n in wanted and n not in done and needs[n] <= set(done))
        done.append(ready)
    return done


# The imports the vocabulary's code and the templates' signers call on (the
# helpers' own are in templates/helpers/); generator/prune.py drops the ones a
# module does not use.
CODE_IMPORTS = (
    "import base64 as _base64",
    "import binascii as _binascii",
    "import hashlib as _hashlib",
    "import hmac as _hmac",
    "import json as _json",
    "import secrets as _secrets",
    "import uuid as _uuid",
    "from collections.abc import Sequence as _Sequence",
    "from functools import lru_cache as _lru_cache",
    "from urllib.parse import urlencode as _urlencode",
)
