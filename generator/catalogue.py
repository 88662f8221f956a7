"""Load ``exchanges.toml`` and validate it against a closed schema.

Every problem is collected with its file, table and line, and reported
together; nothing is ever defaulted to another exchange's recipe.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import signatures, values
from .flows import FLOWS
from .signatures import named

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")
HEADER_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")  # HTTP token characters used in practice (LBank: echostr, signature_method)

KeySpec = tuple[set[str], set[str]]  # the keys a table may hold: (required, optional)
ENTRY_KEYS: KeySpec = ({"default_market", "markets"}, set())
# An exchange wsauth cannot do correctly: no module, the reason in the README.
UNSUPPORTED_KEYS: KeySpec = ({"unsupported"}, {"reference_url"})
HANDSHAKE = ("ws_headers", "socket_url", "socket_query")

# The signature vocabulary, by family (generator/signatures.py: each word's
# meaning, docstring words and code).
HASHES = named(signatures.HASHES, "hmac")  # HMAC with credentials.secret (signature.key)
ALGORITHMS = named(signatures.HASHES, "key")  # credentials.private_key, through cryptography
WALLET_ALGORITHMS = named(signatures.HASHES, "wallet")  # a secp256k1 (Ethereum) key in hex
STARK_ALGORITHMS = named(signatures.HASHES, "stark")  # the STARK key ground from one
KEY_FORMS = tuple(signatures.SECRET_KEYS)
PRIVATE_KEY_FORMS = tuple(signatures.PRIVATE_KEY_FORMS)
WALLET_KEY_FORMS = named(signatures.PRIVATE_KEY_FORMS, "wallet")
ENCODINGS = named(signatures.ENCODINGS, "digest")
WALLET_ENCODINGS = named(signatures.ENCODINGS, "wallet")
STARK_ENCODINGS = named(signatures.ENCODINGS, "stark")
# How a signature made with a key (not an HMAC) may be written.
RAW_ENCODINGS = tuple(name for name, e in signatures.ENCODINGS.items() if e.of_raw is not None)
DIGESTS_FIRST = HASHES + ("md5",)  # the message's own digest, signed instead of it
DIGEST_FIRST_ENCODINGS = ("raw", "hex_upper")  # hex_upper: LBank signs the upper-case hex MD5
# The JWT "alg" each signature algorithm writes in the JWT header.
JWT_ALGS = {name: h.jwt_alg for name, h in signatures.HASHES.items() if h.jwt_alg}
TTL_UNITS = ("ms", "s")
PAYLOAD_SEPARATORS = ("compact", "spaced")  # JSON as ccxt's json() / Python's json.dumps writes it
PAYLOAD_ENCODINGS = ("text", "base64")
REFERENCES = ("ccxt", "docs")


@dataclass(frozen=True)
class Signature:
    hash: str
    encoding: str
    message: str = ""  # every hash but eip712, which signs the typed_data table
    key: str | None = None  # HMAC: how credentials.secret becomes the key
    prefix: str = ""
    digest_first: str | None = None
    digest_first_encoding: str = "raw"
    query: dict[str, str] = field(default_factory=dict)
    private_key: tuple[str, ...] = ()  # ALGORITHMS: the forms credentials.private_key may take
    # Wallet signatures: the exchange also accepts a key it registered for the
    # wallet (Derive's session keys), so the key's address is not checked
    # against credentials.wallet_address. Otherwise a wallet_address that is
    # given must be the key's own address.
    delegates: bool = False

    @property
    def asymmetric(self) -> bool:
        return self.hash in ALGORITHMS + WALLET_ALGORITHMS + STARK_ALGORITHMS

    @property
    def wallet(self) -> bool:
        """Signed with a secp256k1 (Ethereum) key: helpers/wallet.py."""
        return self.hash in WALLET_ALGORITHMS

    @property
    def stark(self) -> bool:
        """Signed with a STARK key derived from a secp256k1 key: helpers/stark.py
        (beside helpers/wallet.py)."""
        return self.hash in STARK_ALGORITHMS


@dataclass(frozen=True)
class TypedData:
    """EIP-712 typed data (signature.hash = "eip712", and a snip12 signature's
    stark_key), or SNIP-12 revision 0 typed data (what a snip12 signature
    signs): the domain and message are templates; types maps each struct name
    to its fields, in order."""

    domain: dict[str, Any]
    types: dict[str, list[dict[str, str]]]
    primary_type: str
    message: dict[str, Any]
    account: str | None = None  # SNIP-12 only: the account the message is bound to (a template)


@dataclass(frozen=True)
class Jwt:
    """A JSON Web Token: header and claims templates, signed by the signature table."""

    header: dict[str, Any]
    claims: dict[str, Any]


@dataclass(frozen=True)
class Payload:
    """A JSON document sent as text ({payload}): inside a frame, or base64 in a header."""

    json: dict[str, Any]
    separators: str
    encoding: str


@dataclass(frozen=True)
class FollowUp:
    """A REST call on the same URL after the first: a keep-alive, a close."""

    method: str
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Rest:
    method: str
    url: str
    headers: dict[str, str]
    body: str
    token: str | None = None  # where the reply's JSON holds the token
    # Or: the session the reply carries in its headers, put on the handshake
    # as it came: the cookies it sets by name (GRVT's gravity, sent back as
    # one Cookie header) and other headers (GRVT's X-Grvt-Account-Id).
    token_cookies: list[str] | None = None
    token_headers: list[str] | None = None
    # Values the call itself computed that the token carries beside the
    # reply's (Polymarket's session proxy address beside the secret issued
    # for it), templates: the token is then the JSON object of these and the
    # reply's token under its own name ({token_fields}), so that the frame
    # names what this call registered, whatever clock or nonce it is built on.
    token_carries: dict[str, str] | None = None
    error_code: str | None = None  # where an error reply holds its code
    error_message: str | None = None  # and its message
    url_query: str | None = None  # the URL's query string (after "?"), a template: signed requests
    ws_url: str | None = None  # where the reply holds the socket URL (KuCoin's instance server)
    ping_interval: str | None = None  # and how often, in ms, the socket wants a ping frame
    # The token may be reused by later connections of the same session until
    # its lifetime (the call's {expires_ms}: now + expires_after_ms) less this
    # margin (ms), instead of a call per connection (Polymarket's week-long
    # proxy, as ccxt caches it); None: a call per connection.
    token_reuse_margin_ms: int | None = None


@dataclass(frozen=True)
class Reply:
    success: list[dict[str, Any]]
    failure: list[dict[str, Any]]
    reason: list[str]
    code: str | None = None
    ttl: str | None = None
    ttl_unit: str = "ms"
    data: str | None = None
    request_id: str | None = None
    batched: bool = False  # every server message is a JSON array of messages


@dataclass(frozen=True)
class Environment:
    """An environment other than production (testnet, demo ...): its socket
    and every other value it changes, each None where it is production's.
    The catalogue writes one as its socket URL alone, or as a table of these
    fields; an environment of a variant that makes a REST call names its
    REST URL, and one of a variant that signs a chain id names its own."""

    ws_url: str
    rest_url: str | None = None  # the pre-auth REST call's whole URL (same path as rest.url)
    chain_id: int | None = None  # the {chain_id} it signs (GRVT's testnet: 326)
    starknet_chain_id: str | None = None  # the {starknet_chain_id} it signs (Paradex's testnet)


@dataclass(frozen=True)
class Variant:
    """One way of authenticating: a whole exchange, or one of its markets."""

    market: str | None  # None for a single-variant entry
    flow: str
    reference: str
    ws_url: str
    reply: Reply
    reference_url: str | None = None
    environments: dict[str, Environment] = field(default_factory=dict)
    # The chain ids production signs, each environment naming its own:
    # {chain_id} (an EVM chain's number: GRVT's EIP-712 domain and login body,
    # the L1 chain of Paradex's STARK-key message) and {starknet_chain_id}
    # (a Starknet chain's name: Paradex's SNIP-12 domain).
    chain_id: int | None = None
    starknet_chain_id: str | None = None
    market_types: list[str] = field(default_factory=list)
    expires_after_ms: int | None = None
    nonce: str | None = None
    signature: Signature | None = None
    auth_frame: dict[str, Any] | None = None
    subscribe_auth: dict[str, Any] | None = None
    rest: Rest | None = None
    keepalive: FollowUp | None = None
    close: FollowUp | None = None
    ws_url_with_token: str | None = None
    session_ttl_ms: int | None = None
    ping_frame: dict[str, Any] | None = None
    keepalive_ms: int | None = None
    ws_headers: dict[str, str] | None = None  # handshake headers (text templates)
    socket_url: str | None = None  # the socket to open, a template starting with {ws_url}
    socket_query: dict[str, str] | None = None  # {socket_query}: URL-encoded, in this order
    payload: Payload | None = None
    jwt: Jwt | None = None
    # The socket greets first (KuCoin's UTA welcome): the auth frame is sent
    # only once the greeting has arrived (direct flow only: generator/flows.py).
    auth_after_greeting: bool = False
    # Where that greeting states how often (ms) the socket wants ping_frame
    # (KuCoin's UTA welcome: pingInterval); direct flow only.
    greeting_ping_interval: str | None = None
    typed_data: TypedData | None = None  # what an eip712 or snip12 signature signs
    # snip12: the EIP-712 typed data whose signature by credentials.private_key
    # gives the STARK key (constants only)
    stark_key: TypedData | None = None
    # A session key (Polymarket's proxy) derived from the wallet key: the
    # wallet key (signature.hash eip191 or eip712) signs the Keccak-256 of this
    # message's UTF-8 itself (no EIP-191 prefix: ccxt 4.5.90 polymarket.py
    # sign_message), and the Keccak-256 of that signature's text (0x r s v, in
    # signature.encoding) is the session's secp256k1 key. {session_address}
    # is its address, 0x and lower-case hex; the key itself never leaves the
    # function that derives it.
    session_key: str | None = None
    # The value graph, built once here and read by the renderer: the values
    # each derived value reads (beyond values.VALUES' own needs), and the
    # values each part of the table names.
    needs: dict[str, list[str]] = field(default_factory=dict)
    parts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def token_fields(self) -> tuple[str, ...]:
        """The names of the object the token is where the REST call's token
        carries values beside the reply's: those, then the reply's own name."""
        rest = self.rest
        if rest is None or rest.token_carries is None or rest.token is None:
            return ()
        return (*rest.token_carries, rest.token.split(".")[-1])

    @property
    def ws_headers_need_token(self) -> bool:
        """The handshake headers carry what the REST call returned."""
        return self.ws_headers is not None and "token" in values.fields_in(self.ws_headers)

    @property
    def follow_ups_need_token(self) -> bool:
        """The keep-alive or close call carries what the REST call returned
        (built once the token is known; None before)."""
        return any(
            call is not None and "token" in values.fields(call.body) + values.fields_in(call.headers)
            for call in (self.keepalive, self.close)
        )

    @property
    def greeting_ping(self) -> tuple[dict[str, Any], str | None] | None:
        """The ping frame a greeting's interval paces (Config.ping, sent by
        wsauth.session): its constant fields, and the field given a fresh text
        id each time, if any; None where no greeting states an interval."""
        if self.greeting_ping_interval is None or self.ping_frame is None:
            return None
        ids = [key for key, value in self.ping_frame.items() if value == "{request_id!s}"]
        return {k: v for k, v in self.ping_frame.items() if k not in ids}, (ids[0] if ids else None)

    @property
    def unanswered_subscribes(self) -> str | None:
        """Signed subscribes no frame acknowledges (no documented success
        reply): the server answers one only to refuse it ("refusals") or not
        at all ("never"); None where a verdict answers them (or none is signed)."""
        if not self.subscribe_auth or self.reply.success:
            return None
        return "refusals" if self.reply.failure else "never"

    @property
    def handshake(self) -> bool:
        """pre_auth says how to open the socket (headers or URL), with no REST call."""
        return self.rest is None and (self.ws_headers is not None or self.socket_url is not None)

    @property
    def signer_reads(self) -> list[str]:
        """The values the signing function takes besides the credentials and
        the message: what the stark_key typed data names (Paradex's L1 chain
        id, which the STARK key depends on)."""
        if self.stark_key is None:
            return []
        named = set(values.fields_in(self.stark_key.domain) + values.fields_in(self.stark_key.message))
        return [name for name in values.VALUES if name in named]

    @property
    def prefix(self) -> str:
        """The name prefix of this variant's private functions."""
        return "" if self.market is None else f"_{self.market}_"


@dataclass(frozen=True)
class Entry:
    id: str
    variants: list[Variant]
    default_market: str | None
    digest: str  # short hash of the entry's catalogue data
    source: str = "exchanges.toml"  # the catalogue's file name, for headers

    @property
    def multi_market(self) -> bool:
        return self.default_market is not None


@dataclass(frozen=True)
class Unsupported:
    """An exchange the catalogue names but wsauth does not authenticate, and why."""

    id: str
    reason: str
    reference_url: str | None = None


def _schema(record: type, not_keys: frozenset[str] = frozenset()) -> KeySpec:
    """The keys a catalogue table may hold, read from the record it becomes:
    a field without a default is required. One home: add a field, and the
    schema, the checks and the renderer all see it."""
    found = [f for f in fields(record) if f.name not in not_keys]
    required = {f.name for f in found if f.default is MISSING and f.default_factory is MISSING}
    return required, {f.name for f in found} - required


# A variant's market comes from its table's place; needs and parts are derived.
VARIANT_KEYS = _schema(Variant, frozenset({"market", "needs", "parts"}))
ENVIRONMENT_KEYS = _schema(Environment)
SIGNATURE_KEYS = _schema(Signature)
JWT_KEYS = _schema(Jwt)
REST_KEYS = _schema(Rest)
FOLLOW_UP_KEYS = _schema(FollowUp)  # keepalive / close
REPLY_KEYS = _schema(Reply)
PAYLOAD_KEYS = _schema(Payload)
TYPED_DATA_KEYS = _schema(TypedData)
# EIP-712's domain fields and their types (a domain holds a subset, in this order).
EIP712_DOMAIN = {"name": "string", "version": "string", "chainId": "uint256", "verifyingContract": "address", "salt": "bytes32"}
# SNIP-12 revision 0: the StarkNetDomain fields, in the order they are hashed,
# and the field types helpers/stark.py encodes (a felt, a felt array, a struct).
SNIP12_DOMAIN = ("name", "chainId", "version")
SNIP12_TYPE = re.compile(r"(?:felt|[A-Z][A-Za-z0-9_]*)\*?\Z")
EIP712_TYPE = re.compile(r"(?:u?int(?:8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?|bytes(?:[1-9]|[12][0-9]|3[0-2])?|address|bool|string|[A-Z][A-Za-z0-9_]*)(?:\[[0-9]*\])*\Z")


class CatalogueError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_SEGMENT = r'(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_DOTTED = re.compile(rf"\s*({_SEGMENT}(?:\s*\.\s*{_SEGMENT})*)\s*")


def _segments(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(_SEGMENT, dotted)]


class _Lines:
    """Find the line a table or key was written on (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.tables: dict[str, int] = {}
        self.keys: dict[tuple[str, str], int] = {}
        current: list[str] = []
        open_string: str | None = None  # inside a multi-line string: no keys here
        # TOML lines end at \n only (str.splitlines would also split at U+2028).
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip()
            if open_string is not None:
                if open_string in line:
                    open_string = None
                continue
            header = re.match(rf"\[\s*({_SEGMENT}(?:\s*\.\s*{_SEGMENT})*)\s*\]", line)
            if header:
                current = _segments(header.group(1))
                for depth in range(1, len(current) + 1):  # [a.b.c] also opens a and a.b
                    self.tables.setdefault(".".join(current[:depth]), number)
                continue
            key = re.match(rf"({_SEGMENT}(?:\s*\.\s*{_SEGMENT})*)\s*=(.*)", line)
            if key:
                path = current + _segments(key.group(1))
                for depth in range(len(current) + 1, len(path) + 1):
                    self.keys.setdefault((".".join(path[: depth - 1]), path[depth - 1]), number)
                for quotes in ('"""', "'''"):
                    if key.group(2).count(quotes) % 2 == 1:
                        open_string = quotes

    def of(self, table: str, key: str | None = None) -> int:
        if key is not None and (table, key) in self.keys:
            return self.keys[(table, key)]
        parts = table.split(".")
        while parts:
            here, parent, last = ".".join(parts), ".".join(parts[:-1]), parts[-1]
            if here in self.tables:
                return self.tables[here]
            if (parent, last) in self.keys:  # an inline table: the line of its key
                return self.keys[(parent, last)]
            parts.pop()
        return 1


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _Lines(text)
        self.problems: list[str] = []

    def error(self, table: str, key: str | None, message: str) -> None:
        line = self.lines.of(table, key)
        where = f"[{table}]" + (f" {key}" if key else "")
        self.problems.append(f"{self.path}:{line}: {where}: {message}")

    def keys(self, table: str, data: dict[str, Any], allowed: KeySpec) -> bool:
        """Report unknown and missing keys; True when every required key is there."""
        required, optional = allowed
        for key in sorted(set(data) - required - optional):
            self.error(table, key, f"unknown key (allowed: {', '.join(sorted(required | optional))})")
        for key in sorted(required - set(data)):
            self.error(table, None, f"missing key {key!r}")
        return required <= set(data)

    def table(self, parent: str, key: str, data: object, spec: KeySpec) -> dict[str, Any] | None:
        """A sub-table with all its required keys (unknown keys are reported), or None."""
        if not self.typed(parent, key, data, dict):
            return None
        assert isinstance(data, dict)
        return data if self.keys(f"{parent}.{key}", data, spec) else None

    def typed(self, table: str, key: str | None, value: object, kind: type | tuple[type, ...]) -> bool:
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(table, key, f"expected {names}, got {type(value).__name__}")
            return False
        return True

    def choice(self, table: str, key: str, value: object, options: tuple[str, ...]) -> bool:
        if not isinstance(value, str) or value not in options:
            self.error(table, key, f"{value!r} is not one of {', '.join(options)}")
            return False
        return True

    def template(self, table: str, key: str, data: object) -> list[str] | None:
        """Validate every template string in ``data``: the names used, or None."""
        try:
            values.literal(data)
            return values.fields_in(data)
        except values.TemplateError as exc:
            self.error(table, key, str(exc))
            return None

    def text(self, table: str, key: str, data: object) -> list[str] | None:
        """A template where text is needed: a string, validated."""
        if not self.typed(table, key, data, str):
            return None
        return self.template(table, key, data)

    def url(self, table: str, key: str, value: object, schemes: tuple[str, ...]) -> None:
        if self.typed(table, key, value, str) and not str(value).startswith(schemes):
            self.error(table, key, f"must start with {' or '.join(schemes)}")

    def keypath(self, table: str, key: str, value: object) -> None:
        if self.typed(table, key, value, str) and not all(str(value).split(".")):
            self.error(table, key, f"{value!r} is not a dotted path of keys")


def _predicates(check: _Checker, table: str, key: str, data: object) -> list[dict[str, Any]]:
    if not check.typed(table, key, data, list):
        return []
    assert isinstance(data, list)
    for alternative in data:
        if not check.typed(table, key, alternative, dict):
            continue
        for path, expected in alternative.items():
            check.keypath(table, key, path)
            if isinstance(expected, dict):
                if set(expected) != {"present"} or not isinstance(expected["present"], bool):
                    check.error(table, key, f"{path!r}: a table must be {{ present = true|false }}")
            elif isinstance(expected, list):
                for item in expected:
                    check.typed(table, key, item, (str, int, bool))
            else:
                check.typed(table, key, expected, (str, int, bool))
    return data


def _reply(check: _Checker, table: str, data: object) -> Reply | None:
    if not check.typed(table, "reply", data, dict):
        return None
    assert isinstance(data, dict)
    table = f"{table}.reply"
    check.keys(table, data, REPLY_KEYS)
    for key in ("code", "ttl", "data", "request_id"):
        if key in data:
            check.keypath(table, key, data[key])
    reason = data.get("reason", [])
    if check.typed(table, "reason", reason, list):
        for item in reason:
            check.keypath(table, "reason", item)
    if "ttl_unit" in data:
        check.choice(table, "ttl_unit", data["ttl_unit"], TTL_UNITS)
    if "batched" in data:
        check.typed(table, "batched", data["batched"], bool)
    return Reply(
        success=_predicates(check, table, "success", data.get("success", [])),
        failure=_predicates(check, table, "failure", data.get("failure", [])),
        reason=list(reason) if isinstance(reason, list) else [],
        code=data.get("code"),
        ttl=data.get("ttl"),
        ttl_unit=data.get("ttl_unit", "ms"),
        data=data.get("data"),
        request_id=data.get("request_id"),
        batched=data.get("batched") is True,
    )


def _signature(check: _Checker, table: str, data: object) -> tuple[Signature | None, dict[str, list[str]]]:
    """The signature, and the names each derived value it defines reads."""
    sub = table + ".signature"
    data = check.table(table, "signature", data, SIGNATURE_KEYS)
    if data is None:
        return None, {}
    check.choice(sub, "hash", data["hash"], HASHES + ALGORITHMS + WALLET_ALGORITHMS + STARK_ALGORITHMS)
    wallet = data["hash"] in WALLET_ALGORITHMS
    stark = data["hash"] in STARK_ALGORITHMS
    typed = data["hash"] in ("eip712",) + STARK_ALGORITHMS  # signs the typed_data table
    forms: tuple[str, ...] = ()
    if data["hash"] in ALGORITHMS + WALLET_ALGORITHMS + STARK_ALGORITHMS:
        if "key" in data:
            check.error(sub, "key", f"{data['hash']} signs with credentials.private_key: use private_key, not key")
        if "private_key" not in data:
            check.error(sub, None, f"{data['hash']} needs private_key: the forms of key it accepts")
        else:
            forms = _key_forms(check, sub, data["hash"], data["private_key"])
    else:
        if "private_key" in data:
            check.error(sub, "private_key", "an HMAC signs with credentials.secret: use key, not private_key")
        if "key" not in data:
            check.error(sub, None, "missing key 'key'")
        else:
            check.choice(sub, "key", data["key"], KEY_FORMS)
    if check.choice(sub, "encoding", data["encoding"], ENCODINGS + WALLET_ENCODINGS + STARK_ENCODINGS):
        if data["hash"] in ALGORITHMS and data["encoding"] not in RAW_ENCODINGS:
            *others, last = RAW_ENCODINGS
            check.error(sub, "encoding", f"a {data['hash']} signature is encoded as {', '.join(others)} or {last}")
        elif (wallet, stark) != (data["encoding"] in WALLET_ENCODINGS, data["encoding"] in STARK_ENCODINGS):
            want = ", ".join(WALLET_ENCODINGS if wallet else STARK_ENCODINGS if stark else ENCODINGS)
            check.error(sub, "encoding", f"a {data['hash']} signature is encoded as one of {want}")
    if "delegates" in data and check.typed(sub, "delegates", data["delegates"], bool) and not wallet:
        check.error(sub, "delegates", "only a wallet signature (eip191, eip712) has a wallet to delegate from")
    if typed and "message" in data:
        check.error(sub, "message", f"an {data['hash']} signature signs the typed_data table, not a message")
    elif not typed and "message" not in data:
        check.error(sub, None, "missing key 'message'")
    if wallet or stark:
        for key in ("digest_first", "query") + (("prefix",) if typed else ()):
            if key in data:
                check.error(sub, key, f"not used by a {data['hash']} signature")
    if "digest_first" in data:
        check.choice(sub, "digest_first", data["digest_first"], DIGESTS_FIRST)
    if "digest_first_encoding" in data:
        check.choice(sub, "digest_first_encoding", data["digest_first_encoding"], DIGEST_FIRST_ENCODINGS)
        if "digest_first" not in data:
            check.error(sub, "digest_first_encoding", "set but there is no digest_first")
    message = check.text(sub, "message", data.get("message", ""))
    prefix = check.text(sub, "prefix", data.get("prefix", ""))
    query = data.get("query", {})
    query_names: list[str] | None = []
    if check.typed(sub, "query", query, dict):
        for value in query.values():
            if not check.typed(sub, "query", value, str):
                query_names = None
        if query_names is not None:
            query_names = check.template(sub, "query", query)
    if message is None or prefix is None or query_names is None:
        return None, {}
    signed = message + prefix
    if "query" in signed and not query:
        check.error(sub, "message", "{query} needs a signature.query table")
    if query and "query" not in signed:
        check.error(sub, "query", "the message does not sign {query}")
    signature = Signature(
        message=data.get("message", ""), hash=data["hash"], key=data.get("key"), encoding=data["encoding"],
        prefix=data.get("prefix", ""), digest_first=data.get("digest_first"),
        digest_first_encoding=data.get("digest_first_encoding", "raw"), query=dict(query),
        private_key=forms, delegates=data.get("delegates") is True,
    )
    return signature, {"signature": signed, "query": query_names}


def _key_forms(check: _Checker, table: str, algorithm: str, forms: object) -> tuple[str, ...]:
    """The forms of private key an asymmetric signature accepts."""
    if not check.typed(table, "private_key", forms, list):
        return ()
    assert isinstance(forms, list)
    if not forms:
        check.error(table, "private_key", "lists no form of key")
    for form in forms:
        if not check.choice(table, "private_key", form, PRIVATE_KEY_FORMS):
            continue
        if algorithm in WALLET_ALGORITHMS + STARK_ALGORITHMS:
            if form not in WALLET_KEY_FORMS:
                check.error(table, "private_key", f"a {algorithm} key (secp256k1) is {', '.join(WALLET_KEY_FORMS)}")
        elif form in WALLET_KEY_FORMS:
            check.error(table, "private_key", f"{form!r} is a secp256k1 wallet key; a {algorithm} key is not")
        elif form != "pem" and algorithm != "ed25519":
            check.error(table, "private_key", f"{form!r} is an Ed25519 seed; a {algorithm} key is PEM")
    if len(set(map(str, forms))) != len(forms):
        check.error(table, "private_key", "lists a form twice")
    return tuple(forms)


def _jwt(check: _Checker, table: str, data: object, signature: object) -> tuple[Jwt | None, list[str] | None]:
    """The JWT table, and the names its header and claims read."""
    sub = table + ".jwt"
    data = check.table(table, "jwt", data, JWT_KEYS)
    if data is None:
        return None, None
    names: list[str] | None = []
    for key in ("header", "claims"):
        if not check.typed(sub, key, data[key], dict):
            names = None
            continue
        found = check.template(sub, key, data[key])
        if found is None or names is None:
            names = None
        else:
            names += found
            if {"jwt_input", "jwt", "signature"} & set(found):
                check.error(sub, key, "a JWT cannot contain itself or its signature")
    header = data["header"]
    if isinstance(header, dict):
        if not isinstance(signature, dict) or "hash" not in signature:
            check.error(table, "jwt", "a JWT needs a signature table (message = \"{jwt_input}\")")
        elif header.get("alg") != JWT_ALGS.get(signature["hash"]):
            want = JWT_ALGS.get(signature["hash"])
            check.error(sub, "header", f"alg must be {want!r} for hash {signature['hash']!r}" if want else f"hash {signature['hash']!r} cannot sign a JWT")
        if header.get("typ", "JWT") != "JWT":
            check.error(sub, "header", "typ must be 'JWT' when given")
    if isinstance(signature, dict):
        if signature.get("message") != "{jwt_input}":
            check.error(table + ".signature", "message", "with a jwt table the signature signs exactly \"{jwt_input}\"")
        if signature.get("encoding") != "base64url":
            check.error(table + ".signature", "encoding", "a JWT signature is base64url")
    if names is None:
        return None, None
    return Jwt(dict(header), dict(data["claims"])), names


def _typed_data(
    check: _Checker, table: str, data: object, standard: str = "eip712", key: str = "typed_data"
) -> tuple[TypedData | None, list[str] | None]:
    """The typed data a signature signs (``standard``: "eip712", or "snip12"
    for SNIP-12 revision 0, bound to its ``account``), and the names its
    domain, message and account read."""
    sub = f"{table}.{key}"
    data = check.table(table, key, data, TYPED_DATA_KEYS)
    if data is None:
        return None, None
    snip12 = standard == "snip12"
    pattern, domain_fields = (SNIP12_TYPE, SNIP12_DOMAIN) if snip12 else (EIP712_TYPE, tuple(EIP712_DOMAIN))
    ok = check.typed(sub, "primary_type", data["primary_type"], str)
    if snip12 != ("account" in data):
        check.error(sub, "account", "a SNIP-12 message is bound to an account: give it" if snip12 else "only SNIP-12 typed data has an account")
        ok = False
    types = data["types"]
    if check.typed(sub, "types", types, dict):
        for builtin in ("EIP712Domain", "StarkNetDomain"):
            if builtin in types:
                check.error(sub, "types", f"{builtin} comes from the domain's fields: do not list it")
        for name, struct in types.items():
            if not re.fullmatch(r"[A-Z][A-Za-z0-9_]*", name):
                check.error(sub, "types", f"{name!r} is not a struct name")
            if not check.typed(sub, "types", struct, list) or not struct:
                check.error(sub, "types", f"{name!r} must list its fields")
                ok = False
                continue
            for item in struct:
                if not isinstance(item, dict) or set(item) != {"name", "type"} or not all(isinstance(v, str) for v in item.values()):
                    check.error(sub, "types", f"{name!r}: each field is {{ name = \"...\", type = \"...\" }}")
                    ok = False
                elif not pattern.match(item["type"]) or (item["type"][:1].isupper() and item["type"].partition("[")[0].rstrip("*") not in types):
                    kind = "a SNIP-12 (revision 0)" if snip12 else "an EIP-712"
                    check.error(sub, "types", f"{name!r}.{item['name']}: {item['type']!r} is not {kind} type")
                    ok = False
    else:
        ok = False
    if ok and data["primary_type"] not in types:
        check.error(sub, "primary_type", f"{data['primary_type']!r} is not one of the types")
        ok = False
    names: list[str] | None = []
    for part in ("domain", "message"):
        if not check.typed(sub, part, data[part], dict):
            names = None
            continue
        found = check.template(sub, part, data[part])
        names = None if found is None or names is None else names + found
    if snip12 and "account" in data:
        account = check.text(sub, "account", data["account"])
        names = None if account is None or names is None else names + account
    domain = data["domain"]
    if isinstance(domain, dict):
        for field_name in domain:
            if field_name not in domain_fields:
                kind = "a SNIP-12 StarkNetDomain" if snip12 else "an EIP-712 domain"
                check.error(sub, "domain", f"{field_name!r} is not {kind} field ({', '.join(domain_fields)})")
                ok = False
        if snip12 and ok and sorted(domain) != sorted(domain_fields):
            check.error(sub, "domain", f"a StarkNetDomain holds {', '.join(domain_fields)}")
            ok = False
    if ok and isinstance(data["message"], dict):
        fields_of = [item["name"] for item in types[data["primary_type"]]]
        if sorted(data["message"]) != sorted(fields_of):
            check.error(sub, "message", f"must hold exactly the fields of {data['primary_type']}: {', '.join(fields_of)}")
            ok = False
    if names is None or not ok:
        return None, None
    typed = TypedData(
        dict(domain), {name: [dict(item) for item in struct] for name, struct in types.items()},
        data["primary_type"], dict(data["message"]), data.get("account"),
    )
    return typed, names


def _rest(check: _Checker, table: str, data: object) -> tuple[Rest | None, dict[str, list[str]]]:
    """The REST call, and the names its headers and its body read."""
    sub = table + ".rest"
    data = check.table(table, "rest", data, REST_KEYS)
    if data is None:
        return None, {}
    check.choice(sub, "method", data["method"], ("GET", "POST", "PUT"))
    check.url(sub, "url", data["url"], ("https://", "http://"))
    in_headers = "token_cookies" in data or "token_headers" in data
    if ("token" in data) == in_headers:
        check.error(sub, None, "the token comes from the reply's JSON (token) or from its headers (token_cookies, token_headers): one of them")
    if "token" in data:
        check.keypath(sub, "token", data["token"])
    carried: list[str] | None = []
    if "token_carries" in data:
        carries = data["token_carries"]
        if "token" not in data:
            check.error(sub, "token_carries", "carries values beside the reply's token: it needs token (where the reply's JSON holds it)")
        if not check.typed(sub, "token_carries", carries, dict) or not carries:
            if carries == {}:
                check.error(sub, "token_carries", "names nothing")
            carried = None
        else:
            if isinstance(data.get("token"), str) and data["token"].split(".")[-1] in carries:
                check.error(sub, "token_carries", f"{data['token'].split('.')[-1]!r} is the reply's token's own name")
            if all(check.typed(sub, "token_carries", value, str) for value in carries.values()):
                carried = check.template(sub, "token_carries", carries)
            else:
                carried = None
    for key in ("token_cookies", "token_headers"):
        if key in data:
            _reply_names(check, sub, key, data[key])
    for key in ("error_code", "error_message", "ws_url", "ping_interval"):
        if key in data:
            check.keypath(sub, key, data[key])
    margin = data.get("token_reuse_margin_ms", 1)
    if check.typed(sub, "token_reuse_margin_ms", margin, int) and margin <= 0:
        check.error(sub, "token_reuse_margin_ms", "must be positive")
    headers = _headers(check, sub, data["headers"])
    body = check.text(sub, "body", data["body"])
    url_query = check.text(sub, "url_query", data["url_query"]) if "url_query" in data else []
    if headers is None or body is None or url_query is None or carried is None:
        return None, {}
    if "token" in carried:
        check.error(sub, "token_carries", "cannot use {token}: it is what the call returns")
    if isinstance(data["url"], str) and "?" in data["url"] and "url_query" in data:
        check.error(sub, "url_query", "the url already has a query string")
    if "token" in headers + body + url_query:
        where = "headers" if "token" in headers else "body" if "token" in body else "url_query"
        check.error(sub, where, "cannot use {token}: it is what the call returns")
    rest = Rest(
        data["method"], data["url"], dict(data["headers"]), data["body"], data.get("token"),
        list(data["token_cookies"]) if "token_cookies" in data else None,
        list(data["token_headers"]) if "token_headers" in data else None,
        dict(data["token_carries"]) if "token_carries" in data else None,
        data.get("error_code"), data.get("error_message"), data.get("url_query"),
        data.get("ws_url"), data.get("ping_interval"), data.get("token_reuse_margin_ms"),
    )
    # The body is always sent: what it names is used even when no header signs it.
    return rest, {"rest": headers + url_query + carried + ["body"], "body": body}


def _reply_names(check: _Checker, table: str, key: str, names: object) -> None:
    """Cookie or header names of the reply, at least one, none twice (HTTP
    header names ignore case); a Set-Cookie is read through token_cookies."""
    if not check.typed(table, key, names, list) or not names:
        if names == []:
            check.error(table, key, "names nothing")
        return
    assert isinstance(names, list)
    seen: set[str] = set()
    for name in names:
        if not check.typed(table, key, name, str):
            continue
        if not HEADER_NAME.match(name):
            check.error(table, key, f"{name!r} is not a {'cookie' if key == 'token_cookies' else 'header'} name")
        elif name.lower() in seen:
            check.error(table, key, f"{name!r} is named twice")
        elif key == "token_headers" and name.lower() in ("set-cookie", "cookie"):
            check.error(table, key, "name the cookies the reply sets in token_cookies")
        seen.add(name.lower())


def _headers(check: _Checker, table: str, headers: object, key: str = "headers") -> list[str] | None:
    """HTTP headers: valid names, text templates; the values they read."""
    if not check.typed(table, key, headers, dict):
        return None
    assert isinstance(headers, dict)
    names: list[str] | None = []
    for name, value in headers.items():
        if not HEADER_NAME.match(name):
            check.error(table, key, f"{name!r} is not a header name")
        found = check.text(table, key, value)
        names = None if found is None or names is None else names + found
    return names


def _payload(check: _Checker, table: str, data: object) -> tuple[Payload | None, list[str] | None]:
    """The {payload} JSON document: the names its values read."""
    sub = table + ".payload"
    data = check.table(table, "payload", data, PAYLOAD_KEYS)
    if data is None:
        return None, None
    check.choice(sub, "separators", data["separators"], PAYLOAD_SEPARATORS)
    check.choice(sub, "encoding", data["encoding"], PAYLOAD_ENCODINGS)
    if not check.typed(sub, "json", data["json"], dict):
        return None, None
    names = check.template(sub, "json", data["json"])
    if names is None:
        return None, None
    return Payload(dict(data["json"]), data["separators"], data["encoding"]), names


def _follow_up(check: _Checker, table: str, key: str, data: object) -> tuple[FollowUp | None, list[str] | None]:
    """A keep-alive or close call: the names its headers and body read."""
    sub = f"{table}.{key}"
    data = check.table(table, key, data, FOLLOW_UP_KEYS)
    if data is None:
        return None, None
    check.choice(sub, "method", data["method"], ("POST", "PUT", "DELETE"))
    names = _headers(check, sub, data["headers"])
    body = check.text(sub, "body", data["body"])
    if names is None or body is None:
        return None, None
    return FollowUp(data["method"], dict(data["headers"]), data["body"]), names + body


def _cycle(derived: dict[str, list[str]]) -> str | None:
    """A derived value (signature, query, body) that depends on itself."""
    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for name in derived.get(start, []):
            if name == target or (name not in seen and reaches(name, target, seen | {name})):
                return True
        return False

    return next((name for name in derived if reaches(name, name, set())), None)


# What a part may name where the token is reused (rest.token_reuse_margin_ms):
# the token as the call returned it, and the frame's own id.
_REUSABLE_TOKEN_NAMES = frozenset({"token", "token_fields", "request_id"})


def _check_reuse(
    check: _Checker, table: str, data: dict[str, Any], uses: dict[str, list[str]], derived: dict[str, list[str]]
) -> None:
    """A token reused by later connections (rest.token_reuse_margin_ms) must
    carry its lifetime and be sent as it came: the call signs {expires_ms}
    (its expiry: now + expires_after_ms, which the margin must leave time
    in), nothing keeps it alive or releases it (such a token is the
    connection's), and no part signs anything per connection beside it."""
    sub, key = table + ".rest", "token_reuse_margin_ms"
    if "expires_ms" not in _expand(uses.get("rest", []), derived):
        check.error(sub, key, "the token's lifetime is the call's {expires_ms} (now + expires_after_ms): the call names none")
    margin, lifetime = data["rest"]["token_reuse_margin_ms"], data.get("expires_after_ms")
    if isinstance(margin, int) and isinstance(lifetime, int) and margin >= lifetime:
        check.error(sub, key, f"leaves no time to reuse the token: expires_after_ms is {lifetime}")
    if "auth_frame" not in data:
        check.error(sub, key, "needs an auth_frame: its verdict is how a reused token is found refused (and provisioned anew)")
    for part in ("keepalive", "close"):
        if part in data:
            check.error(sub, key, f"a token with a {part} call is the connection's: it is not reused")
    for part in ("auth_frame", "subscribe_auth", "ws_headers", "ws_url_with_token"):
        extra = sorted(set(uses.get(part, [])) - _REUSABLE_TOKEN_NAMES)
        if extra:
            check.error(sub, key, f"{part} names {{{extra[0]}}}: a reused token is sent as it came, nothing signed per connection")


def _expand(names: list[str], derived: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack += derived.get(name, []) + list(values.VALUES[name].needs)
    return seen


# The chain ids a variant may sign, and their types.
CHAIN_KEYS: dict[str, type] = {"chain_id": int, "starknet_chain_id": str}


def _check_chain(check: _Checker, table: str, key: str, name: str, value: object, kind: type) -> None:
    """A chain id: a positive int, or a Starknet chain's name (a short string)."""
    if not check.typed(table, key, value, kind):
        return
    if isinstance(value, int) and value <= 0:
        check.error(table, key, f"{name}: must be positive")
    if isinstance(value, str) and not re.fullmatch(r"[A-Z0-9_]{1,31}", value):
        check.error(table, key, f"{name}: a Starknet chain id is a short string of capitals, digits and _")


def _environments(check: _Checker, table: str, data: dict[str, Any]) -> dict[str, Environment]:
    """The variant's environments: a socket URL, or a table that also names
    what else the environment changes. Whole or an error: a variant that
    makes a REST call or signs a chain id may not leave it to production."""
    found: dict[str, Environment] = {}
    given = data.get("environments", {})
    if not check.typed(table, "environments", given, dict):
        return found
    rest = data.get("rest")
    rest_url = rest.get("url") if isinstance(rest, dict) else None
    for name, spec in given.items():
        sub = f"{table}.environments"
        if not IDENTIFIER.match(name):
            check.error(table, "environments", f"{name!r} is not a lower-case identifier")
        if isinstance(spec, str):
            check.url(table, "environments", spec, ("wss://", "ws://"))
            spec = {"ws_url": spec}
        else:
            spec = check.table(sub, name, spec, ENVIRONMENT_KEYS)
            if spec is None:
                continue
            check.url(sub, name, spec["ws_url"], ("wss://", "ws://"))
        if "rest_url" in spec:
            check.url(sub, name, spec["rest_url"], ("https://", "http://"))
            if not isinstance(rest_url, str):
                check.error(sub, name, "rest_url: the variant makes no REST call")
            elif isinstance(spec["rest_url"], str) and urlsplit(spec["rest_url"]).path != urlsplit(rest_url).path:
                check.error(sub, name, f"rest_url: must call rest.url's path ({urlsplit(rest_url).path})")
        for key, kind in CHAIN_KEYS.items():
            if key in spec:
                if key not in data:
                    check.error(sub, name, f"{key}: the variant signs no such chain id (no {key} key)")
                else:
                    _check_chain(check, sub, name, key, spec[key], kind)
            elif key in data:
                check.error(sub, name, f"must name its {key}: the variant signs one, and production's is not this environment's")
        found[name] = Environment(
            ws_url=spec["ws_url"], rest_url=spec.get("rest_url"), chain_id=spec.get("chain_id"),
            starknet_chain_id=spec.get("starknet_chain_id"),
        )
    return found


def _variant(check: _Checker, table: str, market: str | None, data: dict[str, Any]) -> Variant | None:
    before = len(check.problems)
    complete = check.keys(table, data, VARIANT_KEYS)
    flow = data.get("flow")
    if "flow" in data and check.choice(table, "flow", flow, tuple(FLOWS)):
        for key in sorted(FLOWS[str(flow)].needs - set(data)):
            check.error(table, None, f"flow {flow!r} needs {key!r}")
        for key in sorted(FLOWS[str(flow)].forbids & set(data)):
            check.error(table, key, f"flow {flow!r} does not use {key!r}")
    if "reference" in data:
        check.choice(table, "reference", data["reference"], REFERENCES)
        if data["reference"] == "docs" and "reference_url" not in data:
            check.error(table, None, "a docs reference needs reference_url")
    if "reference_url" in data:
        check.url(table, "reference_url", data["reference_url"], ("https://",))
    if "ws_url" in data:
        check.url(table, "ws_url", data["ws_url"], ("wss://", "ws://"))
    environments = _environments(check, table, data)
    for key, kind in CHAIN_KEYS.items():
        if key in data:
            _check_chain(check, table, key, key, data[key], kind)
    market_types = data.get("market_types", [])
    if market is not None and market_types:
        check.error(table, "market_types", "a market table is itself one market type")
    if check.typed(table, "market_types", market_types, list):
        for name in market_types:
            check.typed(table, "market_types", name, str)
    for key in ("expires_after_ms", "session_ttl_ms", "keepalive_ms"):
        if key in data and check.typed(table, key, data[key], int) and data[key] <= 0:
            check.error(table, key, "must be positive")
    if "nonce" in data:
        check.choice(table, "nonce", data["nonce"], tuple(values.NONCES))
    greeting = data.get("auth_after_greeting", True)
    if check.typed(table, "auth_after_greeting", greeting, bool) and not greeting:
        check.error(table, "auth_after_greeting", "false is the default: leave the key out")
    if "greeting_ping_interval" in data:
        check.keypath(table, "greeting_ping_interval", data["greeting_ping_interval"])
        if not data.get("auth_after_greeting"):
            check.error(table, "greeting_ping_interval", "needs auth_after_greeting = true: only then is the greeting read")

    # Which values each part names, and what the derived values read.
    uses: dict[str, list[str]] = {}
    derived: dict[str, list[str]] = {}
    valid = True  # every template parsed: only then are cross-checks meaningful
    signature = rest = None
    if "signature" in data:
        signature, found = _signature(check, table, data["signature"])
        derived |= found
        valid &= signature is not None
    typed_data = stark_key = None
    signs = data["signature"].get("hash") if isinstance(data.get("signature"), dict) else None
    if "typed_data" in data:
        typed_data, typed_names = _typed_data(check, table, data["typed_data"], "snip12" if signs in STARK_ALGORITHMS else "eip712")
        valid &= typed_data is not None
        if signs not in ("eip712",) + STARK_ALGORITHMS:
            check.error(f"{table}.typed_data", None, "only an eip712 or snip12 signature signs typed data")
        elif typed_names is not None and signature is not None:
            derived["signature"] = derived.get("signature", []) + typed_names
    elif signs in ("eip712",) + STARK_ALGORITHMS:
        check.error(table, None, f"an {signs} signature needs a typed_data table: what it signs")
    if "stark_key" in data:
        stark_key, key_names = _typed_data(check, table, data["stark_key"], "eip712", "stark_key")
        valid &= stark_key is not None
        if signs not in STARK_ALGORITHMS:
            check.error(f"{table}.stark_key", None, "only a snip12 signature signs with a STARK key")
        if key_names and set(key_names) - {"chain_id"}:
            check.error(f"{table}.stark_key", None, "the STARK key is one per wallet key and chain: its typed data names no value but {chain_id}")
        elif key_names and signature is not None:
            derived["signature"] = derived.get("signature", []) + key_names
    elif signs in STARK_ALGORITHMS:
        check.error(table, None, "a snip12 signature needs a stark_key table: what the wallet key signs to give the STARK key")
    if "session_key" in data:
        names = check.text(table, "session_key", data["session_key"])
        valid &= names is not None
        if signs not in WALLET_ALGORITHMS:
            check.error(table, "session_key", "a session key is derived from a wallet key: it needs a wallet signature (eip191, eip712)")
        if names is not None:
            derived["session_address"] = names
    jwt = None
    if "jwt" in data:
        jwt, jwt_names = _jwt(check, table, data["jwt"], data.get("signature"))
        valid &= jwt is not None
        if jwt_names is not None:
            derived["jwt_input"] = jwt_names
    if data.get("nonce") in values.NONCES:
        derived["nonce"] = list(values.NONCES[data["nonce"]].needs)
    if "rest" in data:
        rest, found = _rest(check, table, data["rest"])
        if rest is not None:
            uses["rest"], derived["body"] = found["rest"], found["body"]
        valid &= rest is not None
    follow_ups: dict[str, FollowUp | None] = {}
    for key in ("keepalive", "close"):
        if key in data:
            follow_ups[key], names = _follow_up(check, table, key, data[key])
            valid &= names is not None
            uses[key] = names or []
    for key in ("auth_frame", "subscribe_auth", "ping_frame"):
        if key in data and check.typed(table, key, data[key], dict):
            names = check.template(table, key, data[key])
            valid &= names is not None
            uses[key] = names or []
    payload = None
    if "payload" in data:
        payload, names = _payload(check, table, data["payload"])
        valid &= names is not None
        derived["payload"] = names or []
    if "ws_headers" in data:
        names = _headers(check, table, data["ws_headers"], "ws_headers")
        valid &= names is not None
        uses["ws_headers"] = names or []
    if "socket_url" in data:
        names = check.text(table, "socket_url", data["socket_url"])
        if names is not None and not str(data["socket_url"]).startswith("{ws_url}"):
            check.error(table, "socket_url", "must start with {ws_url} (so that environments and fakes still apply)")
        valid &= names is not None
        uses["socket_url"] = names or []
    if "socket_query" in data:
        query = data["socket_query"]
        if check.typed(table, "socket_query", query, dict) and all(
            check.typed(table, "socket_query", value, str) for value in query.values()
        ):
            names = check.template(table, "socket_query", query)
            valid &= names is not None
            derived["socket_query"] = names or []
        else:
            valid = False
    if "ws_url_with_token" in data:
        names = check.text(table, "ws_url_with_token", data["ws_url_with_token"])
        if names is not None and "token" not in names:
            check.error(table, "ws_url_with_token", "must embed {token}")
        valid &= names is not None
        uses["ws_url_with_token"] = names or []

    if valid:
        loop = _cycle(derived)
        if loop is not None:
            check.error(table, "signature" if loop != "body" else "rest", f"{{{loop}}} depends on itself")
        else:
            _check_uses(check, table, data, uses, derived)

    if flow == "handshake" and not {"ws_headers", "socket_url"} & set(data):
        check.error(table, None, "flow 'handshake' needs ws_headers or socket_url: what signs the handshake")
    reply = _reply(check, table, data["reply"]) if "reply" in data else None
    if len(check.problems) > before or not complete or reply is None:
        return None
    return Variant(
        market=market,
        flow=data["flow"],
        reference=data["reference"],
        reference_url=data.get("reference_url"),
        ws_url=data["ws_url"],
        environments=dict(sorted(environments.items())),
        chain_id=data.get("chain_id"),
        starknet_chain_id=data.get("starknet_chain_id"),
        market_types=list(market_types),
        reply=reply,
        expires_after_ms=data.get("expires_after_ms"),
        nonce=data.get("nonce"),
        signature=signature,
        auth_frame=data.get("auth_frame"),
        subscribe_auth=data.get("subscribe_auth"),
        rest=rest,
        keepalive=follow_ups.get("keepalive"),
        close=follow_ups.get("close"),
        ws_url_with_token=data.get("ws_url_with_token"),
        session_ttl_ms=data.get("session_ttl_ms"),
        keepalive_ms=data.get("keepalive_ms"),
        ping_frame=data.get("ping_frame"),
        ws_headers=dict(data["ws_headers"]) if "ws_headers" in data else None,
        socket_url=data.get("socket_url"),
        socket_query=dict(data["socket_query"]) if "socket_query" in data else None,
        payload=payload,
        jwt=jwt,
        auth_after_greeting=data.get("auth_after_greeting", False),
        greeting_ping_interval=data.get("greeting_ping_interval"),
        typed_data=typed_data,
        stark_key=stark_key,
        session_key=data.get("session_key"),
        needs=derived,
        parts=uses,
    )


def _check_uses(
    check: _Checker, table: str, data: dict[str, Any], uses: dict[str, list[str]], derived: dict[str, list[str]]
) -> None:
    """Every value a part names is defined by the catalogue and known there."""
    used = set().union(*(_expand(names, derived) for names in uses.values())) if uses else set()
    if "signature" in used and "signature" not in data:
        check.error(table, None, "{signature} is used but there is no signature table")
    if "signed_password" in used and "signature" not in data:
        check.error(table, None, "{signed_password} is signed with the signature table's recipe: there is none")
    if "signature" in data and "signature" not in used:
        check.error(table, "signature", "the signature is computed but never sent")
    expiries = {"expires_ms", "expires_s", "expires_ns"}
    if used & expiries and "expires_after_ms" not in data:
        check.error(table, None, "{expires_ms}/{expires_s}/{expires_ns} need expires_after_ms")
    if "expires_after_ms" in data and not used & expiries:
        check.error(table, "expires_after_ms", "set but never used")
    signature = data.get("signature")
    if used & {"address", "wallet_subaccount"} and not (isinstance(signature, dict) and signature.get("hash") in WALLET_ALGORITHMS):
        check.error(table, None, "{address}/{wallet_subaccount} are the wallet key's: they need a wallet signature (eip191, eip712)")
    if "starknet_account" in used and not (isinstance(signature, dict) and signature.get("hash") in STARK_ALGORITHMS):
        check.error(table, None, "{starknet_account} is the account a STARK key signs for: it needs a snip12 signature")
    if used & {"signature_r", "signature_s", "signature_v"} and not (isinstance(signature, dict) and signature.get("hash") in WALLET_ALGORITHMS):
        check.error(table, None, "{signature_r}/{signature_s}/{signature_v} are a wallet signature's parts: they need a wallet signature (eip191, eip712)")
    for key in CHAIN_KEYS:
        if key in used and key not in data:
            check.error(table, None, f"{{{key}}} needs {key}: production's chain id")
        if key in data and key not in used:
            check.error(table, key, f"set but never signed ({{{key}}})")
    if "session_address" in used and "session_key" not in data:
        check.error(table, None, "{session_address} is a session key's: it needs a session_key message")
    if "session_key" in data and "session_address" not in used:
        check.error(table, "session_key", "set but never used")
    carries = isinstance(data.get("rest"), dict) and "token_carries" in data["rest"]
    for part, names in sorted(uses.items()):
        if "token_fields" in _expand(names, derived) and (not carries or part in ("rest", "keepalive", "close")):
            check.error(table, part, "cannot use {token_fields}: " + (
                "it is what the call returns" if carries else "it needs rest.token_carries (the values the token carries)"))
    if carries and "token" in uses.get("auth_frame", []) + uses.get("subscribe_auth", []):
        check.error(table, "auth_frame", "the token carries rest.token_carries: name {token_fields}, not {token}")
    if "nonce" in used and "nonce" not in data:
        check.error(table, None, "{nonce} needs a nonce source (nonce = ...)")
    if "nonce" in data and "nonce" not in used:
        check.error(table, "nonce", "set but never used")
    if used & {"jwt_input", "jwt"} and "jwt" not in data:  # {jwt} alone: nothing derives it without the table
        check.error(table, None, "{jwt_input}/{jwt} need a jwt table")
    if "jwt" in data and "jwt" not in used:
        check.error(table, "jwt", "the JWT is built but never sent")
    if isinstance(data.get("rest"), dict) and {"token_cookies", "token_headers"} & set(data["rest"]):
        for part, names in sorted(uses.items()):
            if "token" in _expand(names, derived):
                check.error(table, part, "cannot use {token}: the session is the reply's headers, carried onto the handshake as they are")
    # The PreAuth is built again with the token only where the socket URL or
    # its headers embed it (runtime/steps.py took_rest_reply): only then may
    # the keep-alive and close calls name it (Binance.US's listenKey=).
    rebuilt = "ws_url_with_token" in data or "token" in _expand(uses.get("ws_headers", []), derived)
    for part in ("keepalive", "close", "ping_frame"):
        if "token" in uses.get(part, []) and not (rebuilt and part != "ping_frame"):
            check.error(table, part, "cannot use {token}: it is built with the first call")
    ping_interval = isinstance(data.get("rest"), dict) and "ping_interval" in data["rest"]
    greeting_ping = "greeting_ping_interval" in data
    if "ping_frame" in data and not (ping_interval or greeting_ping):
        check.error(table, "ping_frame", "needs rest.ping_interval or greeting_ping_interval: how often to send it")
    if ping_interval and "ping_frame" not in data:
        check.error(table, "rest", "ping_interval is read but there is no ping_frame to send")
    if greeting_ping and "ping_frame" not in data:
        check.error(table, "greeting_ping_interval", "is read but there is no ping_frame to send")
    if greeting_ping and isinstance(data.get("ping_frame"), dict):
        # Sent as it stands by wsauth.session (Config.ping), but for a fresh
        # text id in at most one top-level field.
        ids = [key for key, value in data["ping_frame"].items() if value == "{request_id!s}"]
        constant = all(
            isinstance(value, (bool, int)) or (isinstance(value, str) and not {"{", "}"} & set(value))
            for key, value in data["ping_frame"].items() if key not in ids
        )
        if len(ids) > 1 or not constant:
            check.error(table, "ping_frame", 'a greeting\'s ping frame holds plain values and at most one "{request_id!s}" (a fresh id per ping)')
    if isinstance(data.get("rest"), dict) and "token_reuse_margin_ms" in data["rest"]:
        _check_reuse(check, table, data, uses, derived)
    if "keepalive" in data and "keepalive_ms" not in data:
        check.error(table, "keepalive", "needs keepalive_ms: how often to call it")
    if isinstance(data.get("keepalive_ms"), int) and "keepalive" not in data:
        check.error(table, "keepalive_ms", "set but there is no keepalive call")
    for name in ("body", "body_base64", "rest_path"):
        if name in used and "rest" not in data:
            check.error(table, None, f"{{{name}}} needs a rest table")
    for name in ("payload", "socket_query"):
        if name in used and name not in data:
            check.error(table, None, f"{{{name}}} needs a {name} table")
        if name in data and name not in used:
            check.error(table, name, "set but never used")
    for part in HANDSHAKE if "rest" not in data else ():  # after a REST call, {token} is its answer
        if "token" in _expand(uses.get(part, []), derived):
            check.error(table, part, "cannot use {token}: no pre-auth call returns one before the handshake")
    for part, names in sorted(uses.items()):
        if part == "subscribe_auth":
            continue
        for name in sorted(_expand(names, derived)):
            if values.VALUES[name].subscribe_only:
                check.error(table, part, f"{{{name}}} is only known inside build_subscribe_auth")


def digest(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def load(path: Path) -> list[Entry]:
    """Parse and validate the catalogue; raise CatalogueError listing every problem."""
    return load_all(path)[0]


def load_all(path: Path) -> tuple[list[Entry], list[Unsupported]]:
    """The entries and the exchanges marked unsupported, validated together."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError([f"{path}: {exc.strerror or exc}"]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError([f"{path}: {exc}"]) from None
    check = _Checker(path, text)
    entries, unsupported = [], []
    for exchange, data in raw.items():
        if not IDENTIFIER.match(exchange):
            check.error(exchange, None, "an exchange id must match [a-z][a-z0-9_]*")
            continue
        if not check.typed(exchange, None, data, dict):
            continue
        if "unsupported" in data:
            marked = _unsupported(check, exchange, data)
            if marked is not None:
                unsupported.append(marked)
            continue
        if "markets" in data or "default_market" in data:
            variants = _markets(check, exchange, data)
            default_market = data.get("default_market")
        else:
            variants, default_market = [_variant(check, exchange, None, data)], None
        if variants and all(v is not None for v in variants):
            found = [v for v in variants if v is not None]
            entries.append(Entry(exchange, found, default_market, digest(data), path.name))
    if check.problems:
        raise CatalogueError(check.problems)
    return sorted(entries, key=lambda entry: entry.id), sorted(unsupported, key=lambda marked: marked.id)


def _unsupported(check: _Checker, exchange: str, data: dict[str, Any]) -> Unsupported | None:
    """A table holding only the reason: nothing is rendered for it."""
    before = len(check.problems)
    check.keys(exchange, data, UNSUPPORTED_KEYS)
    reason = data["unsupported"]
    if check.typed(exchange, "unsupported", reason, str) and (not reason.strip() or "\n" in reason):
        check.error(exchange, "unsupported", "the reason must be one non-empty line")
    if "reference_url" in data:
        check.url(exchange, "reference_url", data["reference_url"], ("https://",))
    if len(check.problems) > before:
        return None
    return Unsupported(exchange, reason, data.get("reference_url"))


def _markets(check: _Checker, exchange: str, data: dict[str, Any]) -> list[Variant | None]:
    """An exchange that authenticates differently per market type."""
    complete = check.keys(exchange, data, ENTRY_KEYS)
    markets = data.get("markets", {})
    if not check.typed(exchange, "markets", markets, dict):
        return []
    variants = []
    for market, table in sorted(markets.items()):
        where = f"{exchange}.markets.{market}"
        if not IDENTIFIER.match(market):
            check.error(where, None, "a market type must match [a-z][a-z0-9_]*")
        elif check.typed(f"{exchange}.markets", market, table, dict):
            variants.append(_variant(check, where, market, table))
    default = data.get("default_market")
    if "default_market" in data and check.typed(exchange, "default_market", default, str) and default not in markets:
        check.error(exchange, "default_market", f"{default!r} is not one of its markets")
    return variants if complete else []
