"""What every module holds: its records, its input checks, its reply readers.

Real source, type-checked where it stands (``mypy --strict templates/helpers``).
The generator pastes everything below the ``# ---`` line into each module and
then drops what that module does not use; the stand-ins above it exist only so
that this file stands on its own.
"""

from __future__ import annotations

import json as _json
import time as _time
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence

EXCHANGE: _Final[str] = "example"
MARKET_TYPES: _Final[tuple[str, ...]] = ()
DEFAULT_MARKET: _Final[str] = ""
# --- pasted into each module below this line ---
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any as _Any, Final as _Final, Literal as _Literal, Protocol as _Protocol, TypedDict as _TypedDict, TypeVar as _TypeVar, cast as _cast, dataclass_transform as _dataclass_transform

    _T = _TypeVar("_T")
    # Reply patterns: each a mapping of key paths to what a verdict holds there.
    _Patterns = tuple[dict[tuple[str, ...], object], ...]

    class Opts(_TypedDict, total=False):
        now_ms: int
        nonce: int | str
        request_id: int | str
        market_type: str
        token: str
        challenge: str

    class ReplyState(_TypedDict, total=False):
        request_id: int | str
        market_type: str

    # The few methods of cryptography's key classes used here (typed without it).
    class _PublicKey(_Protocol):
        def public_bytes_raw(self) -> bytes: ...

    class _Ed25519Key(_Protocol):
        def sign(self, data: bytes, /) -> bytes: ...
        def public_key(self) -> _PublicKey: ...

    class _RsaKey(_Protocol):
        def sign(self, data: bytes, padding: object, algorithm: object, /) -> bytes: ...

    class _Curve(_Protocol):
        @property
        def name(self) -> str: ...

    class _EcKey(_Protocol):
        @property
        def curve(self) -> _Curve: ...
        def sign(self, data: bytes, signature_algorithm: object, /) -> bytes: ...

    # Wallet signing (helpers/wallet.py): coincurve's and cryptography's
    # secp256k1 keys, and EIP-712 type definitions.
    class _CoincurvePublicKey(_Protocol):
        def format(self, compressed: bool = ...) -> bytes: ...

    class _CoincurvePrivateKey(_Protocol):
        public_key: _CoincurvePublicKey

        def sign_recoverable(self, message: bytes, hasher: None = ...) -> bytes: ...

    class _CryptographyPublicNumbers(_Protocol):
        x: int
        y: int

    class _CryptographyPublicKey(_Protocol):
        def public_numbers(self) -> _CryptographyPublicNumbers: ...

    class _CryptographyPrivateKey(_Protocol):
        def sign(self, data: bytes, signature_algorithm: object, /) -> bytes: ...
        def public_key(self) -> _CryptographyPublicKey: ...

    _Eip712Types = _Mapping[str, _Sequence[_Mapping[str, str]]]

    @_dataclass_transform(frozen_default=True, kw_only_default=True)
    def _record(cls: type[_T]) -> type[_T]: ...

else:  # the checker's types; at run time plain dicts (importing typing costs ~6 ms)
    Opts = ReplyState = dict

    def _cast(kind: object, value: object) -> object:  # typing.cast, without importing typing
        return value

    def _record(cls: type) -> type:
        return _slotted_record(cls)


class WsAuthInputError(ValueError):
    """Bad input, reported before anything is signed or sent; never holds a secret."""


def _slotted_record(cls: type) -> type:
    """What @dataclass(frozen=True, slots=True, kw_only=True) makes of a class
    (the checker is told so, through dataclass_transform) without importing
    dataclasses (~10 ms). Only the fields given are stored: one left at its
    default stays an empty slot, read through unset() (a PreAuth, of fifteen
    fields and three given, builds in half the time). repr() shows _SHOWN only."""
    own = vars(cls)
    names = tuple(own.get("__annotations__", {}))
    defaults = {name: own[name] for name in names if name in own}
    shown, fieldset = own.get("_SHOWN", names), frozenset(names)
    required = fieldset - defaults.keys()
    put = object.__setattr__  # past the frozen __setattr__ below

    def init(self: object, **fields: object) -> None:
        if not (required <= fields.keys() <= fieldset):
            wrong = sorted(fields.keys() - fieldset)
            problem = "got an unexpected" if wrong else "missing"
            name = (wrong or sorted(required - fields.keys()))[0]
            raise TypeError(f"{cls.__name__}() {problem} keyword argument {name!r}")
        for name, value in fields.items():
            put(self, name, value)

    def unset(self: object, name: str) -> object:  # asked only for an empty slot
        if name in defaults:
            return defaults[name]
        raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")

    def frozen(self: object, name: str, value: object) -> None:
        raise AttributeError(f"{cls.__name__} is immutable")

    def values(self: object) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in names)

    def show(self: object) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{cls.__name__}({fields}{', ...' if len(shown) < len(names) else ''})"

    made = {
        "__init__": init, "__getattr__": unset, "__setattr__": frozen, "__repr__": show, "__slots__": names,
        "__eq__": lambda self, other: type(other) is type(self) and values(self) == values(other),
        "__hash__": lambda self: hash(values(self)),
    }
    body = {key: value for key, value in own.items() if key not in defaults and key not in ("__dict__", "__weakref__")}
    return type(cls.__name__, cls.__bases__, {**made, **body})


@_record
class AuthReply:
    """The server's verdict: its text, its code, the session lifetime it states."""

    _SHOWN = ("ok", "reason", "code", "ttl_ms")
    ok: bool
    reason: str | None = None
    code: str | None = None
    ttl_ms: int | None = None
    data: object = None


@_record
class Environment:
    """An environment other than production (testnet, demo ...): its socket
    and every other value it changes; None where it is production's
    (config_with refuses an environment that leaves a REST URL or a signed
    chain id to production)."""

    ws_url: str
    rest_url: str | None = None
    chain_id: int | None = None
    starknet_chain_id: str | None = None


@_record
class Config:
    """Where to connect and the exchange's constants; None where unused."""

    ws_url: str
    environments: _Mapping[str, Environment]
    rest_url: str | None = None
    # The chain ids signed: an EVM chain's (GRVT's EIP-712), a Starknet chain's (Paradex's SNIP-12).
    chain_id: int | None = None
    starknet_chain_id: str | None = None
    expires_after_ms: int | None = None
    session_ttl_ms: int | None = None
    keepalive_ms: int | None = None
    # Read by wsauth.session: a signed subscribe answered only to refuse it, or
    # never; a socket that greets (KuCoin UTA) before the auth frame is sent; the
    # exchange's own ping, sent as often as the greeting says, with a fresh ping_id.
    unanswered_subscribes: _Literal["refusals", "never"] | None = None
    auth_after_greeting: bool = False
    ping: _Mapping[str, object] | None = None
    ping_id: str | None = None
    greeting_ping_interval_path: tuple[str, ...] | None = None


_OPTION_TYPES: _Final[dict[str, tuple[type, ...]]] = {
    "now_ms": (int,), "nonce": (int, str), "request_id": (int, str),
    "market_type": (str,), "token": (str,), "challenge": (str,),
}


def _fail(what: str) -> WsAuthInputError:
    return WsAuthInputError(f"{EXCHANGE}: {what}")


def _options(opts: Opts | None, config: object = None) -> Opts:
    """The options, checked; and, where given, that the config is this
    module's (a dict passed where config goes is options in the wrong place)."""
    if config is not None and not isinstance(config, Config):
        raise _misplaced("config", "this module's Config (CONFIG, or config_with(...))", config)
    if opts is None:
        return {}
    if type(opts) is not dict and not isinstance(opts, _Mapping):  # dict: the fast path
        raise _misplaced("opts", "a mapping of options (now_ms, nonce ...)", opts)
    if not opts.keys() <= _OPTION_TYPES.keys():
        unknown = sorted(set(opts) - _OPTION_TYPES.keys())
        raise _fail(f"unknown option {unknown[0]!r}; known: {', '.join(_OPTION_TYPES)}")
    # Each value's type is checked where it is read (_now_ms, _option_*).
    market = opts.get("market_type")
    if market is not None and (type(market) is not str or market not in MARKET_TYPES):
        known = ", ".join(MARKET_TYPES) or "none"
        raise _fail(f"market_type {market!r} is not one of: {known}")
    return opts


def _credential(value: str | None, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(f"credentials.{name} is missing or empty")
    if value[0].isspace() or value[-1].isspace():
        raise _fail(f"credentials.{name} has leading or trailing whitespace")
    # Keys and ids are sent in headers, and unescaped in URLs and form bodies
    # (as the exchanges' own clients send them): no key or id they issue holds
    # these characters, which would forge a header, add a field, end the query
    # or climb the path there.
    if not value.isprintable():
        raise _fail(f"credentials.{name} has a control character")
    if name in ("api_key", "uid") and ("&" in value or "#" in value or "?" in value):
        raise _fail(f"credentials.{name} holds one of & # ?")
    if name == "uid" and ("/" in value or "%" in value or "\\" in value):
        raise _fail(f"credentials.{name} holds one of / % \\")
    return value


def _wrong_type(name: str) -> WsAuthInputError:
    kinds = " or ".join(kind.__name__ for kind in _OPTION_TYPES[name])
    return _fail(f"opts[{name!r}] must be {kinds}")


def _option_text(options: Opts, name: str) -> str:
    value = options.get(name)
    if value is None:
        raise _fail(f"opts[{name!r}] is needed (what the server or the REST call returned)")
    if type(value) is not str:
        raise _wrong_type(name)
    if not value:
        raise _fail(f"opts[{name!r}] is empty")
    return value


def _option_id(options: Opts, name: str, default: int) -> int | str:
    """A nonce or request id: the caller's, or the default."""
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _wrong_type(name)
    return value


def _now_ms(options: Opts) -> int:
    value = options.get("now_ms")
    if value is None:
        return _time.time_ns() // 1_000_000
    if type(value) is not int:
        raise _wrong_type("now_ms")
    return value


def _configured(value: _T | None, name: str) -> _T:
    if value is None:
        raise _fail(f"config.{name} is not set for this market")
    return value


def _market(market: object) -> str:
    if market is None:
        return DEFAULT_MARKET
    if not isinstance(market, str) or market not in MARKET_TYPES:
        raise _fail(f"market_type {market!r} is not one of: {', '.join(MARKET_TYPES)}")
    return market


def _misplaced(name: str, expected: str, given: object) -> TypeError:
    kind = type(given).__name__
    return TypeError(f"{EXCHANGE}: {name} must be {expected}, not {kind}; pass options as opts=...")


def _configs(config: object) -> None:
    """A multi-market module's config is a mapping of market type to Config."""
    if not isinstance(config, _Mapping) or not all(isinstance(one, Config) for one in config.values()):
        raise _misplaced("config", "this module's CONFIG (one Config per market type)", config)


def _market_config(config: object, market: str) -> Config:
    """The chosen market's Config (checked here, where it is read: the fast path)."""
    one = config.get(market) if isinstance(config, _Mapping) else None
    if isinstance(one, Config):
        return one
    _configs(config)
    raise _fail(f"config has no entry for market_type {market!r}")


def _json_object(response: object) -> _Mapping[str, object] | None:
    try:
        if isinstance(response, (bytes, bytearray)):
            response = bytes(response).decode("utf-8")
        if isinstance(response, str):
            response = _json.loads(response)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return response if isinstance(response, _Mapping) else None


def _json_batch(response: object) -> list[_Mapping[str, object]]:
    """The messages of a frame that carries a JSON array of them (or one)."""
    if isinstance(response, (bytes, bytearray, str)):
        try:
            response = _json.loads(bytes(response).decode("utf-8") if not isinstance(response, str) else response)
        except (ValueError, RecursionError):
            return []
    if isinstance(response, _Mapping):
        return [response]
    if isinstance(response, list):
        return [item for item in response if isinstance(item, _Mapping)]
    return []


def _get(frame: _Mapping[str, object], path: tuple[str, ...]) -> object:
    value: object = frame
    for key in path:
        if not isinstance(value, _Mapping):
            return None
        value = value.get(key)
    return value


def _same(value: object, expected: object) -> bool:
    # JSON true is not 1 and "0" is not 0: compare types too.
    return type(value) is type(expected) and value == expected


def _text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else None


def _first_text(frame: _Mapping[str, object], paths: tuple[tuple[str, ...], ...]) -> str | None:
    return next((text for path in paths if (text := _text(_get(frame, path)))), None)


def _lifetime_ms(value: object, scale: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        lifetime = int(float(value) * scale)
    except (ValueError, OverflowError):
        return None
    return lifetime if lifetime > 0 else None


def _matches(frame: _Mapping[str, object], patterns: _Patterns) -> bool:
    """True when every path of one pattern holds what it expects: a value
    (type and all), a tuple of such values, or {"present": true|false}."""
    return any(all(_holds(_get(frame, path), expected) for path, expected in pattern.items()) for pattern in patterns)


def _holds(value: object, expected: object) -> bool:
    if isinstance(expected, dict):
        return (value is not None) is expected["present"]
    if isinstance(expected, tuple):
        return any(_same(value, one) for one in expected)
    return _same(value, expected)
