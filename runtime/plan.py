"""``wsauth plan`` (its command line: ``wsauth.cli``): print, as one JSON object, everything one module
would send to authenticate and open one private subscription.

Nothing is sent. Values derived from a secret (signatures, signed headers) and
the secrets and tokens themselves are masked unless ``--reveal`` is given.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Mapping, Sequence
from types import ModuleType

from . import EXCHANGES, UNSUPPORTED
from .seam import C, Exchange, Opts, bind, config_with
from .steps import Attempt

MASK = "***"
SECRET_FIELDS = ("secret", "password", "private_key")


def load(exchange: str) -> ModuleType:
    if exchange in UNSUPPORTED:
        raise ValueError(f"{exchange} is not supported: {UNSUPPORTED[exchange]}")
    if exchange not in EXCHANGES:
        raise ValueError(f"unknown exchange {exchange!r}; known: {', '.join(EXCHANGES)}")
    return importlib.import_module(f"wsauth.{exchange}")


def _shifted(text: str) -> str:
    """The same text with every letter and digit moved on by one: a different
    secret of the same shape (base64 stays base64)."""
    out = []
    for char in text:
        if char.isdigit():
            out.append(str((int(char) + 1) % 10))
        elif "a" <= char <= "z":
            out.append(chr((ord(char) - 97 + 1) % 26 + 97))
        elif "A" <= char <= "Z":
            out.append(chr((ord(char) - 65 + 1) % 26 + 65))
        else:
            out.append(char)
    return "".join(out)


def _run(
    exchange: Exchange[C],
    credentials: C,
    opts: Opts,
    channel: str | None,
    symbols: Sequence[str] | None,
) -> dict[str, object]:
    """The sequence ``Session`` runs, without IO: the token, where one is
    needed, is the caller's ``--token``."""
    attempt = Attempt(exchange, credentials, opts)
    request = attempt.pre_auth()  # the module validates market_type first
    rest: list[dict[str, object]] = []
    if request is not None:  # None: no REST call, or the handshake itself is signed
        rest.append({"method": request.method, "url": request.url, "headers": dict(request.headers), "body": request.body})
    frame = attempt.auth_message()
    subscribe = attempt.subscribe_auth(channel, symbols)
    keepalive = attempt.keepalive(opts)
    every_ms = attempt.pre.keepalive_ms if attempt.pre is not None else None
    ping = attempt.ping(opts.get("request_id", 1))
    return {
        "exchange": exchange.name,
        "pattern": exchange.pattern,
        "rest": rest,
        "ws_url": attempt.ws_url,
        "ws_headers": dict(attempt.ws_headers),
        "frames": [] if frame is None else [frame],
        "subscribe_auth": None if subscribe is None else dict(subscribe),
        # What keeps the session alive once open: the REST call and how often
        # (a listen key's), and the exchange's own ping frame, whose interval
        # the REST reply or the socket's greeting states (KuCoin).
        "keepalive": None if keepalive is None else {
            "method": keepalive.method, "url": keepalive.url, "headers": dict(keepalive.headers),
            "body": keepalive.body, "every_ms": every_ms,
        },
        "ping": ping,
    }


def _mask_url(value: str, other: str) -> str | None:
    """A signed socket URL with only its secret-dependent query values masked;
    None when the two URLs differ elsewhere."""
    base, _, query = value.partition("?")
    other_base, _, other_query = other.partition("?")
    pairs, other_pairs = query.split("&"), other_query.split("&")
    if base != other_base or len(pairs) != len(other_pairs):
        return None
    out = []
    for pair, other_pair in zip(pairs, other_pairs):
        name, equals, _ = pair.partition("=")
        if pair != other_pair and (not equals or name != other_pair.partition("=")[0]):
            return None
        out.append(pair if pair == other_pair else f"{name}={MASK}")
    return base + "?" + "&".join(out)


def _mask(value: object, other: object, hidden: Sequence[str]) -> object:
    """``value`` with every leaf that changes with the secret masked, and
    every known secret or token blanked wherever it appears."""
    if isinstance(value, str) and isinstance(other, str) and value != other and "?" in value:
        masked = _mask_url(value, other)
        if masked is not None:
            value = other = masked
    if isinstance(value, dict) and isinstance(other, dict):
        return {k: _mask(v, other.get(k), hidden) for k, v in value.items()}
    if isinstance(value, list) and isinstance(other, list) and len(value) == len(other):
        return [_mask(v, o, hidden) for v, o in zip(value, other)]
    if value != other:
        return MASK
    if isinstance(value, str):
        for text in hidden:
            value = value.replace(text, MASK)
    return value


def _session_values(token: str | None) -> list[str]:
    """The values of a session the REST reply's headers carry (a token that
    is a JSON object of handshake headers, GRVT's cookie and account id):
    each is as secret as the token."""
    try:
        session = json.loads(token or "")
    except ValueError:
        return []
    return [value for value in session.values() if isinstance(value, str) and value] if isinstance(session, dict) else []


def plan(
    exchange: str,
    credentials: Mapping[str, str | None],
    *,
    now_ms: int | None = None,
    nonce: int | str | None = None,
    request_id: int | str | None = None,
    market_type: str | None = None,
    channel: str | None = None,
    symbols: Sequence[str] | None = None,
    token: str | None = None,
    challenge: str | None = None,
    reveal: bool = False,
    environment: str | None = None,
) -> dict[str, object]:
    module = load(exchange)
    config = None if environment is None else config_with(module, environment=environment, market_type=market_type)
    bound = bind(module, config, market=market_type)
    # Pin the clock so that both renderings below agree on it, and on every
    # nonce drawn from it: without --nonce the module draws its own from its
    # source (seconds, µs, a uint32 GRVT signs ...), as it would in a session.
    pinned_now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    opts: Opts = {"now_ms": pinned_now}
    if nonce is not None:
        opts["nonce"] = nonce
    if request_id is not None:
        opts["request_id"] = request_id
    if market_type is not None:
        opts["market_type"] = market_type
    if token is not None:
        opts["token"] = token
    if challenge is not None:
        opts["challenge"] = challenge
    result = _run(bound, bound.credentials(**credentials), opts, channel, symbols)
    if reveal:
        return result
    shifted: tuple[str, ...] = SECRET_FIELDS
    other_opts = opts
    if credentials.get("private_key"):
        # A shifted key (or its PEM password) is no key at all: sign a second
        # later with another nonce instead, so that whatever the key signs
        # differs. Timestamps and nonces are masked too, which hides more
        # than needed but never a signature.
        shifted = ("secret",)
        other_opts = {**opts, "now_ms": pinned_now + 1000}
        if nonce is not None:
            other_opts["nonce"] = nonce + 1 if isinstance(nonce, int) else _shifted(nonce)
    # Credentials are built afresh with the shifted fields (a module's
    # Credentials may be any frozen class: nothing is replaced in place).
    changed = {name: _shifted(credentials[name] or "") for name in shifted if credentials.get(name)}
    other = _run(bound, bound.credentials(**{**credentials, **changed}), other_opts, channel, symbols)
    hidden = [v for k, v in credentials.items() if k in SECRET_FIELDS and v]
    hidden += [v for v in (token,) if v] + _session_values(token)
    masked = _mask(result, other, hidden)
    assert isinstance(masked, dict)
    return masked
