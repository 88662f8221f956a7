"""Load ``exchanges.toml`` and validate it against a closed schema.

Every problem is collected with its file, table and line, and reported
together; nothing is ever defaulted to another exchange's recipe.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import values

FLOWS = ("direct", "pre_auth", "inline", "challenge")
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")
HEADER_NAME = re.compile(r"[A-Za-z0-9-]+\Z")

# The keys each part of a table may hold: (required, optional).
KeySpec = tuple[set[str], set[str]]  # (required, optional)
VARIANT_KEYS: KeySpec = (
    {"flow", "reference", "ws_url", "reply"},
    {
        "reference_url", "environments", "market_types", "expires_after_ms", "nonce",
        "signature", "auth_frame", "subscribe_auth", "rest", "ws_url_with_token",
        "session_ttl_ms", "keepalive_ms",
    },
)
ENTRY_KEYS: KeySpec = ({"default_market", "markets"}, set())
SIGNATURE_KEYS: KeySpec = ({"message", "hash", "key", "encoding"}, {"prefix", "digest_first", "query"})
REST_KEYS: KeySpec = ({"method", "url", "headers", "body", "token"}, set())
REPLY_KEYS: KeySpec = ({"success", "failure", "reason"}, {"code", "ttl", "ttl_unit", "data", "request_id"})

# What each flow's template renders, so what its table must and must not hold.
FLOW_PARTS = {
    "direct": ({"auth_frame"}, {"subscribe_auth", "rest", "ws_url_with_token"}),
    "inline": ({"subscribe_auth"}, {"auth_frame", "rest", "ws_url_with_token"}),
    "pre_auth": ({"rest"}, {"auth_frame"}),
    "challenge": ({"auth_frame", "subscribe_auth"}, {"rest", "ws_url_with_token"}),
}
HASHES = ("sha256", "sha384", "sha512")
KEY_FORMS = ("raw", "base64")
ENCODINGS = ("hex", "hex_upper", "base64")
NONCES = ("now_ms", "now_s", "increasing_ms")
TTL_UNITS = ("ms", "s")
REFERENCES = ("ccxt", "docs")


@dataclass(frozen=True)
class Signature:
    message: str
    hash: str
    key: str
    encoding: str
    prefix: str = ""
    digest_first: str | None = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rest:
    method: str
    url: str
    headers: dict[str, str]
    body: str
    token: str


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


@dataclass(frozen=True)
class Variant:
    """One way of authenticating: a whole exchange, or one of its markets."""

    market: str | None  # None for a single-variant entry
    flow: str
    reference: str
    reference_url: str | None
    ws_url: str
    environments: dict[str, str]
    market_types: list[str]
    reply: Reply
    expires_after_ms: int | None = None
    nonce: str | None = None
    signature: Signature | None = None
    auth_frame: dict[str, Any] | None = None
    subscribe_auth: dict[str, Any] | None = None
    rest: Rest | None = None
    ws_url_with_token: str | None = None
    session_ttl_ms: int | None = None
    keepalive_ms: int | None = None

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

    @property
    def multi_market(self) -> bool:
        return self.default_market is not None


class CatalogueError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Lines:
    """Find the line a table or key was written on (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.tables: dict[str, int] = {}
        self.keys: dict[tuple[str, str], int] = {}
        current = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            header = re.match(r"\[([^\[\]]+)\]", line)
            if header:
                current = header.group(1).strip().replace('"', "")
                self.tables.setdefault(current, number)
                continue
            key = re.match(r'"?([A-Za-z0-9_.-]+)"?\s*=', line)
            if key:
                self.keys.setdefault((current, key.group(1)), number)

    def of(self, table: str, key: str | None = None) -> int:
        parts = table.split(".")
        while parts:
            here = ".".join(parts)
            if key is not None and (here, key) in self.keys:
                return self.keys[(here, key)]
            if here in self.tables and key is None:
                return self.tables[here]
            # an inline table: report the line of the key that opened it
            if len(parts) > 1 and (".".join(parts[:-1]), parts[-1]) in self.keys:
                return self.keys[(".".join(parts[:-1]), parts[-1])]
            key = None
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
        required, optional = allowed
        ok = True
        for key in sorted(set(data) - required - optional):
            self.error(table, key, f"unknown key (allowed: {', '.join(sorted(required | optional))})")
            ok = False
        for key in sorted(required - set(data)):
            self.error(table, None, f"missing key {key!r}")
            ok = False
        return ok

    def typed(self, table: str, key: str | None, value: object, kind: type | tuple[type, ...]) -> bool:
        if isinstance(value, bool) and kind is int or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(table, key, f"expected {names}, got {type(value).__name__}")
            return False
        return True

    def choice(self, table: str, key: str, value: object, options: tuple[str, ...]) -> bool:
        if value not in options:
            self.error(table, key, f"{value!r} is not one of {', '.join(options)}")
            return False
        return True

    def template(self, table: str, key: str, data: object) -> list[str]:
        """Validate every template string in ``data``; return the names used."""
        try:
            values.literal(data)
            return values.fields_in(data)
        except values.TemplateError as exc:
            self.error(table, key, str(exc))
            return []

    def url(self, table: str, key: str, value: object, schemes: tuple[str, ...]) -> None:
        if self.typed(table, key, value, str) and not str(value).startswith(schemes):
            self.error(table, key, f"must start with {' or '.join(schemes)}")


def _predicates(check: _Checker, table: str, key: str, data: object) -> list[dict[str, Any]]:
    if not check.typed(table, key, data, list):
        return []
    assert isinstance(data, list)
    for alternative in data:
        if not check.typed(table, key, alternative, dict):
            continue
        for path, expected in alternative.items():
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
            check.typed(table, key, data[key], str)
    reason = data.get("reason", [])
    if check.typed(table, "reason", reason, list):
        for item in reason:
            check.typed(table, "reason", item, str)
    if "ttl_unit" in data:
        check.choice(table, "ttl_unit", data["ttl_unit"], TTL_UNITS)
    return Reply(
        success=_predicates(check, table, "success", data.get("success", [])),
        failure=_predicates(check, table, "failure", data.get("failure", [])),
        reason=list(reason) if isinstance(reason, list) else [],
        code=data.get("code"),
        ttl=data.get("ttl"),
        ttl_unit=data.get("ttl_unit", "ms"),
        data=data.get("data"),
        request_id=data.get("request_id"),
    )


def _signature(check: _Checker, table: str, data: object) -> tuple[Signature | None, list[str]]:
    if not check.typed(table, "signature", data, dict):
        return None, []
    assert isinstance(data, dict)
    if not check.keys(table + ".signature", data, SIGNATURE_KEYS):
        return None, []
    sub = table + ".signature"
    check.choice(sub, "hash", data["hash"], HASHES)
    check.choice(sub, "key", data["key"], KEY_FORMS)
    check.choice(sub, "encoding", data["encoding"], ENCODINGS)
    if "digest_first" in data:
        check.choice(sub, "digest_first", data["digest_first"], HASHES)
    query = data.get("query", {})
    if check.typed(sub, "query", query, dict):
        for name, value in query.items():
            check.typed(sub, "query", value, str)
    names = [*check.template(sub, "message", data["message"]), *check.template(sub, "prefix", data.get("prefix", ""))]
    query_names = check.template(sub, "query", query)
    if "query" in names and not query:
        check.error(sub, "message", "{query} needs a signature.query table")
    if query and "query" not in names:
        check.error(sub, "query", "the message does not sign {query}")
    signature = Signature(
        message=data["message"], hash=data["hash"], key=data["key"], encoding=data["encoding"],
        prefix=data.get("prefix", ""), digest_first=data.get("digest_first"), query=dict(query),
    )
    return signature, names + query_names


def _variant(check: _Checker, table: str, market: str | None, data: dict[str, Any]) -> Variant | None:
    if not check.keys(table, data, VARIANT_KEYS):
        return None
    flow = data["flow"]
    if not check.choice(table, "flow", flow, FLOWS):
        return None
    needed, forbidden = FLOW_PARTS[flow]
    for key in sorted(needed - set(data)):
        check.error(table, None, f"flow {flow!r} needs {key!r}")
    for key in sorted(forbidden & set(data)):
        check.error(table, key, f"flow {flow!r} does not use {key!r}")
    check.choice(table, "reference", data["reference"], REFERENCES)
    if data["reference"] == "docs" and "reference_url" not in data:
        check.error(table, None, "a docs reference needs reference_url")
    if "reference_url" in data:
        check.url(table, "reference_url", data["reference_url"], ("https://",))
    check.url(table, "ws_url", data["ws_url"], ("wss://", "ws://"))
    environments = data.get("environments", {})
    if check.typed(table, "environments", environments, dict):
        for name, url in environments.items():
            if not IDENTIFIER.match(name):
                check.error(table, "environments", f"{name!r} is not a lower-case identifier")
            check.url(table, "environments", url, ("wss://", "ws://"))
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
        check.choice(table, "nonce", data["nonce"], NONCES)

    used: dict[str, list[str]] = {}  # where each name is used -> names
    signature: Signature | None = None
    signed: list[str] = []
    if "signature" in data:
        signature, signed = _signature(check, table, data["signature"])
    for key in ("auth_frame", "subscribe_auth"):
        if key in data and check.typed(table, key, data[key], dict):
            used[key] = check.template(table, key, data[key])
    rest = None
    if "rest" in data and check.typed(table, "rest", data["rest"], dict):
        raw = data["rest"]
        if check.keys(table + ".rest", raw, REST_KEYS):
            sub = table + ".rest"
            check.choice(sub, "method", raw["method"], ("GET", "POST", "PUT"))
            check.url(sub, "url", raw["url"], ("https://", "http://"))
            if check.typed(sub, "headers", raw["headers"], dict):
                for name in raw["headers"]:
                    if not HEADER_NAME.match(name):
                        check.error(sub, "headers", f"{name!r} is not a header name")
            check.typed(sub, "body", raw["body"], str)
            check.typed(sub, "token", raw["token"], str)
            used["rest"] = [*check.template(sub, "headers", raw["headers"]), *check.template(sub, "body", raw["body"])]
            rest = Rest(raw["method"], raw["url"], dict(raw["headers"]), raw["body"], raw["token"])
            if "token" in used["rest"]:
                check.error(sub, "headers", "the REST call cannot use {token}: it is what the call returns")
    if "ws_url_with_token" in data:
        check.typed(table, "ws_url_with_token", data["ws_url_with_token"], str)
        names = check.template(table, "ws_url_with_token", data["ws_url_with_token"])
        if "token" not in names:
            check.error(table, "ws_url_with_token", "must embed {token}")
        used["ws_url_with_token"] = names

    # Values the catalogue names must be defined by it, and be known where used.
    all_names = set(signed).union(*used.values()) if used else set(signed)
    if "signature" in all_names and signature is None:
        check.error(table, None, "{signature} is used but there is no signature table")
    if signature is not None and "signature" not in all_names:
        check.error(table, "signature", "the signature is computed but never sent")
    if all_names & {"expires_ms", "expires_s"} and "expires_after_ms" not in data:
        check.error(table, None, "{expires_ms}/{expires_s} need expires_after_ms")
    if "nonce" in all_names and "nonce" not in data:
        check.error(table, None, "{nonce} needs a nonce source (nonce = ...)")
    if "body" in all_names and rest is None:
        check.error(table, None, "{body} needs a rest table")
    if "rest_path" in all_names and rest is None:
        check.error(table, None, "{rest_path} needs a rest table")
    for key in ("expires_after_ms", "nonce"):
        if key in data and not ({"expires_after_ms": {"expires_ms", "expires_s"}, "nonce": {"nonce"}}[key] & all_names):
            check.error(table, key, "set but never used")
    subscribe_names = set(used.get("subscribe_auth", []))
    if "signature" in subscribe_names:
        subscribe_names.update(signed)
    elsewhere = set(signed) - subscribe_names if "signature" in subscribe_names else set(signed)
    for key, names in used.items():
        if key != "subscribe_auth":
            elsewhere.update(names)
    for name in sorted(elsewhere):
        if values.VALUES[name].subscribe_only:
            check.error(table, None, f"{{{name}}} is only known inside build_subscribe_auth")

    reply = _reply(check, table, data["reply"])
    if reply is None:
        return None
    return Variant(
        market=market,
        flow=flow,
        reference=data["reference"],
        reference_url=data.get("reference_url"),
        ws_url=data["ws_url"],
        environments=dict(sorted(environments.items())) if isinstance(environments, dict) else {},
        market_types=list(market_types) if isinstance(market_types, list) else [],
        reply=reply,
        expires_after_ms=data.get("expires_after_ms"),
        nonce=data.get("nonce"),
        signature=signature,
        auth_frame=data.get("auth_frame"),
        subscribe_auth=data.get("subscribe_auth"),
        rest=rest,
        ws_url_with_token=data.get("ws_url_with_token"),
        session_ttl_ms=data.get("session_ttl_ms"),
        keepalive_ms=data.get("keepalive_ms"),
    )


def digest(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def load(path: Path) -> list[Entry]:
    """Parse and validate the catalogue; raise CatalogueError listing every problem."""
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError([f"{path}: {exc}"]) from None
    check = _Checker(path, text)
    entries = []
    for exchange, data in raw.items():
        if not IDENTIFIER.match(exchange):
            check.error(exchange, None, "an exchange id must match [a-z][a-z0-9_]*")
            continue
        if not check.typed(exchange, None, data, dict):
            continue
        variants: list[Variant | None]
        default_market = None
        if "markets" in data or "default_market" in data:
            if not check.keys(exchange, data, ENTRY_KEYS):
                continue
            default_market = data["default_market"]
            markets = data["markets"]
            if not check.typed(exchange, "markets", markets, dict):
                continue
            for market in markets:
                if not IDENTIFIER.match(market):
                    check.error(f"{exchange}.markets.{market}", None, "a market type must match [a-z][a-z0-9_]*")
            if default_market not in markets:
                check.error(exchange, "default_market", f"{default_market!r} is not one of its markets")
            variants = [
                _variant(check, f"{exchange}.markets.{market}", market, table)
                for market, table in sorted(markets.items())
                if IDENTIFIER.match(market) and check.typed(f"{exchange}.markets", market, table, dict)
            ]
        else:
            variants = [_variant(check, exchange, None, data)]
        if all(v is not None for v in variants):
            entries.append(Entry(exchange, [v for v in variants if v is not None], default_market, digest(data)))
    if check.problems:
        raise CatalogueError(check.problems)
    return sorted(entries, key=lambda entry: entry.id)
