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
    needs: tuple[str, ...] = ()  # values its definition reads
    subscribe_only: bool = False  # only known inside build_subscribe_auth


# Listed in definition order: every value comes after the values it needs.
VALUES: Mapping[str, Value] = {
    "api_key": Value("str"),
    "secret": Value("str"),  # for exchanges that take the secret itself in a frame
    "password": Value("str"),
    "uid": Value("str"),
    "now_ms": Value("int"),
    "now_s": Value("int", ("now_ms",)),
    "expires_ms": Value("int", ("now_ms",)),
    "expires_s": Value("int", ("now_ms",)),
    "iso_s": Value("str", ("now_ms",)),
    "iso_ms": Value("str", ("now_ms",)),  # ISO 8601 UTC with milliseconds and "Z"
    "nonce": Value("int | str", ("now_ms", "api_key")),
    "request_id": Value("int | str", ("now_ms",)),
    "token": Value("str"),
    "challenge": Value("str", subscribe_only=True),
    "channel": Value("str", subscribe_only=True),
    "symbols_csv": Value("str", subscribe_only=True),
    "ws_url": Value("str"),
    "ws_host": Value("str"),
    "ws_path": Value("str"),
    "rest_path": Value("str"),
    "query": Value("str"),  # needs: the fields of signature.query
    "socket_query": Value("str"),  # needs: the fields of socket_query, in catalogue order
    "payload": Value("str"),  # needs: the fields of payload.json
    "body": Value("str"),  # needs: the fields of rest.body
    "jwt_input": Value("str"),  # needs: the fields of jwt.header and jwt.claims
    "body_base64": Value("str", ("body",)),  # base64 of the body's UTF-8 (WhiteBIT's X-TXC-PAYLOAD)
    "signature": Value("str"),  # needs: the fields of the signed message
    # The password (passphrase) signed with the signature table's recipe: KuCoin's API key v2.
    "signed_password": Value("str", ("password",)),
    "jwt": Value("str"),  # needs: jwt_input and signature
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
