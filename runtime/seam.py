"""The seam between wsauth's runtime and the exchange modules.

The runtime (``wsauth.session``, ``wsauth.plan``) reads a module only through
the Protocols below: what every generated module exposes, whatever its flow.
They name attributes and methods only (read-only properties, so that a
module's narrower field type -- ``request: RestRequest`` where it is never
None -- still fits), never how a module builds its records.

A module with one market has ``CONFIG: Config``; one with several has
``CONFIG: Mapping[str, Config]`` and ``DEFAULT_MARKET``. The two shapes are
two Protocols, told apart by ``isinstance(module.CONFIG, Mapping)`` in one
place (``bind``); everything after works on an ``Exchange``: one module, one
market, one configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Generic, Literal, Protocol, TypedDict, TypeGuard, TypeVar, overload, runtime_checkable

__all__ = [
    "AuthReply", "Config", "Credentials", "Environment", "Exchange", "ExchangeError", "MultiMarketModule", "Opts", "PreAuth",
    "ReplyState", "RestRequest", "SingleMarketModule", "bind", "bind_any", "config_with",
]


class Opts(TypedDict, total=False):
    """The options every module's callbacks take (its own ``Opts`` has the same keys)."""

    now_ms: int
    nonce: int | str
    request_id: int | str
    market_type: str
    token: str
    challenge: str


class ReplyState(TypedDict, total=False):
    request_id: int | str
    market_type: str


class Credentials(Protocol):
    @property
    def api_key(self) -> str: ...


class Environment(Protocol):
    """An environment other than production: its socket and every other
    Config field it changes (None: production's, which config_with refuses
    where production has a REST URL or a chain id)."""

    @property
    def ws_url(self) -> str: ...
    @property
    def rest_url(self) -> str | None: ...
    @property
    def chain_id(self) -> int | None: ...
    @property
    def starknet_chain_id(self) -> str | None: ...


class Config(Protocol):
    """Every module's Config: a field it has no value for is None."""

    @property
    def ws_url(self) -> str: ...
    @property
    def environments(self) -> Mapping[str, Environment]: ...
    @property
    def rest_url(self) -> str | None: ...
    @property
    def chain_id(self) -> int | None: ...
    @property
    def starknet_chain_id(self) -> str | None: ...
    @property
    def expires_after_ms(self) -> int | None: ...
    @property
    def session_ttl_ms(self) -> int | None: ...
    @property
    def keepalive_ms(self) -> int | None: ...
    @property
    def unanswered_subscribes(self) -> Literal["refusals", "never"] | None: ...
    @property
    def auth_after_greeting(self) -> bool: ...
    # The exchange's own ping frame, paced by the greeting (KuCoin's UTA
    # welcome states pingInterval): ping_id is the field given a fresh id.
    @property
    def ping(self) -> Mapping[str, object] | None: ...
    @property
    def ping_id(self) -> str | None: ...
    @property
    def greeting_ping_interval_path(self) -> tuple[str, ...] | None: ...


# What config_with copies: every field of Config, by name.
CONFIG_FIELDS = (
    "ws_url", "environments", "rest_url", "chain_id", "starknet_chain_id",
    "expires_after_ms", "session_ttl_ms", "keepalive_ms", "unanswered_subscribes",
    "auth_after_greeting", "ping", "ping_id", "greeting_ping_interval_path",
)


class RestRequest(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> str: ...


@runtime_checkable
class ExchangeError(Protocol):
    """A module's ExchangeError (an Exception): the exchange refused a REST call.
    Runtime-checkable: the runtime catches Exception around the module's
    readers and tells an exchange's refusal by this shape."""

    @property
    def status(self) -> int: ...
    @property
    def code(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...


class PreAuth(Protocol):
    """What a module's pre_auth returns: the REST call before the socket
    (None for a signed handshake), and how to open the socket."""

    @property
    def request(self) -> RestRequest | None: ...
    @property
    def token_path(self) -> tuple[str, ...]: ...
    @property
    def token_cookies(self) -> tuple[str, ...]: ...
    @property
    def token_headers(self) -> tuple[str, ...]: ...
    @property
    def ws_url(self) -> str | None: ...
    @property
    def ws_headers(self) -> Mapping[str, str] | None: ...
    @property
    def keepalive(self) -> RestRequest | None: ...
    @property
    def keepalive_ms(self) -> int | None: ...
    @property
    def close(self) -> RestRequest | None: ...
    @property
    def error_code_path(self) -> tuple[str, ...] | None: ...
    @property
    def error_message_path(self) -> tuple[str, ...] | None: ...
    @property
    def ws_url_path(self) -> tuple[str, ...] | None: ...
    @property
    def ping_interval_path(self) -> tuple[str, ...] | None: ...
    @property
    def ping(self) -> Mapping[str, object] | None: ...
    @property
    def greets(self) -> bool: ...
    # How long (ms) after the call its token may open later connections of
    # the same session; None: a new call for each connection.
    @property
    def token_reusable_ms(self) -> int | None: ...
    def error(self, status: int, body: str | bytes, /) -> ExchangeError | None: ...
    # headers: every header of the reply, as (name, value) pairs in order (a
    # Set-Cookie may come more than once); read where token_cookies and
    # token_headers name them (the token is then the JSON object of the
    # handshake headers they become, as plan's --token takes it).
    def read_token(self, status: int, body: str | bytes, headers: Sequence[tuple[str, str]] = (), /) -> str: ...


class AuthReply(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def code(self) -> str | None: ...
    @property
    def ttl_ms(self) -> int | None: ...
    @property
    def data(self) -> object: ...


Frame = Mapping[str, object]
C = TypeVar("C", bound=Credentials)
K = TypeVar("K", bound=Config)


class SingleMarketModule(Protocol[C, K]):
    """A module with one CONFIG (bybit, kraken, ...)."""

    @property
    def EXCHANGE(self) -> str: ...
    @property
    def PATTERN(self) -> str: ...
    @property
    def MARKET_TYPES(self) -> tuple[str, ...]: ...
    @property
    def CONFIG(self) -> K: ...
    @property
    def Credentials(self) -> Callable[..., C]: ...
    def pre_auth(self, credentials: C, config: K, opts: Opts | None = None, /) -> PreAuth | None: ...
    def build_auth_message(self, credentials: C, config: K, opts: Opts | None = None, /) -> Frame | None: ...
    def build_subscribe_auth(
        self, credentials: C, config: K, channel: str | None = None, symbols: Sequence[str] | None = None, *,
        opts: Opts | None = None,
    ) -> Frame | None: ...
    def handle_auth_response(self, response: object, state: ReplyState | None = None, /) -> AuthReply | None: ...


class MultiMarketModule(Protocol[C, K]):
    """A module with one Config per market type (binance, gate, ...)."""

    @property
    def EXCHANGE(self) -> str: ...
    @property
    def PATTERN(self) -> str: ...
    @property
    def MARKET_TYPES(self) -> tuple[str, ...]: ...
    @property
    def DEFAULT_MARKET(self) -> str: ...
    @property
    def CONFIG(self) -> Mapping[str, K]: ...
    @property
    def Credentials(self) -> Callable[..., C]: ...
    def pre_auth(self, credentials: C, config: Mapping[str, K], opts: Opts | None = None, /) -> PreAuth | None: ...
    def build_auth_message(self, credentials: C, config: Mapping[str, K], opts: Opts | None = None, /) -> Frame | None: ...
    def build_subscribe_auth(
        self, credentials: C, config: Mapping[str, K], channel: str | None = None,
        symbols: Sequence[str] | None = None, *, opts: Opts | None = None,
    ) -> Frame | None: ...
    def handle_auth_response(self, response: object, state: ReplyState | None = None, /) -> AuthReply | None: ...


class Exchange(Generic[C]):
    """One module, one market, one configuration: the callbacks without
    their config argument, and the Config the runtime reads."""

    name: str
    pattern: str
    market: str | None  # the caller's market_type (None: the module's default)

    @property
    def config(self) -> Config:
        """This market's Config."""
        raise NotImplementedError

    def credentials(self, **fields: str | None) -> C:
        raise NotImplementedError

    def pre_auth(self, credentials: C, opts: Opts) -> PreAuth | None:
        raise NotImplementedError

    def build_auth_message(self, credentials: C, opts: Opts) -> Frame | None:
        raise NotImplementedError

    def build_subscribe_auth(
        self, credentials: C, channel: str | None, symbols: Sequence[str] | None, opts: Opts
    ) -> Frame | None:
        raise NotImplementedError

    def handle_auth_response(self, response: object, state: ReplyState) -> AuthReply | None:
        raise NotImplementedError

    def with_config(self, **changes: object) -> Exchange[C]:
        """The same exchange with some Config fields changed (the socket a
        REST reply names)."""
        raise NotImplementedError


def _changed(config: K, changes: Mapping[str, object]) -> K:
    """A new Config of the module's own class, built with keyword arguments
    (modules' records may be dataclasses, named tuples or slotted classes)."""
    unknown = sorted(set(changes) - set(CONFIG_FIELDS))
    if unknown:
        raise TypeError(f"Config has no field {unknown[0]!r}")
    make: Callable[..., K] = type(config)
    fields: dict[str, object] = {name: _field(config, name) for name in CONFIG_FIELDS}
    return make(**{**fields, **changes})


def _field(config: Config, name: str) -> object:
    """One Config field by name, read through the Protocol (no probing: every
    name in CONFIG_FIELDS is a field of every module's Config)."""
    readers: dict[str, Callable[[Config], object]] = {
        "ws_url": lambda c: c.ws_url,
        "environments": lambda c: c.environments,
        "rest_url": lambda c: c.rest_url,
        "chain_id": lambda c: c.chain_id,
        "starknet_chain_id": lambda c: c.starknet_chain_id,
        "expires_after_ms": lambda c: c.expires_after_ms,
        "session_ttl_ms": lambda c: c.session_ttl_ms,
        "keepalive_ms": lambda c: c.keepalive_ms,
        "unanswered_subscribes": lambda c: c.unanswered_subscribes,
        "auth_after_greeting": lambda c: c.auth_after_greeting,
        "ping": lambda c: c.ping,
        "ping_id": lambda c: c.ping_id,
        "greeting_ping_interval_path": lambda c: c.greeting_ping_interval_path,
    }
    return readers[name](config)


class _Single(Exchange[C], Generic[C, K]):
    def __init__(self, module: SingleMarketModule[C, K], config: K, market: str | None) -> None:
        self._module, self._config = module, config
        self.name, self.pattern, self.market = module.EXCHANGE, module.PATTERN, market

    @property
    def config(self) -> Config:
        return self._config

    def credentials(self, **fields: str | None) -> C:
        return self._module.Credentials(**fields)

    def pre_auth(self, credentials: C, opts: Opts) -> PreAuth | None:
        return self._module.pre_auth(credentials, self._config, opts)

    def build_auth_message(self, credentials: C, opts: Opts) -> Frame | None:
        return self._module.build_auth_message(credentials, self._config, opts)

    def build_subscribe_auth(
        self, credentials: C, channel: str | None, symbols: Sequence[str] | None, opts: Opts
    ) -> Frame | None:
        return self._module.build_subscribe_auth(credentials, self._config, channel, symbols, opts=opts)

    def handle_auth_response(self, response: object, state: ReplyState) -> AuthReply | None:
        return self._module.handle_auth_response(response, state)

    def with_config(self, **changes: object) -> Exchange[C]:
        return _Single(self._module, _changed(self._config, changes), self.market)


class _Multi(Exchange[C], Generic[C, K]):
    def __init__(self, module: MultiMarketModule[C, K], config: Mapping[str, K], market: str | None) -> None:
        self._module, self._configs = module, config
        self._key = market or module.DEFAULT_MARKET
        self.name, self.pattern, self.market = module.EXCHANGE, module.PATTERN, market

    @property
    def config(self) -> Config:
        if self._key not in self._configs:  # the module's callbacks say so first, in their words
            known = ", ".join(self._configs) or "none"
            raise ValueError(f"{self.name}: no market type {self._key!r} (known: {known})")
        return self._configs[self._key]

    def credentials(self, **fields: str | None) -> C:
        return self._module.Credentials(**fields)

    def pre_auth(self, credentials: C, opts: Opts) -> PreAuth | None:
        return self._module.pre_auth(credentials, self._configs, opts)

    def build_auth_message(self, credentials: C, opts: Opts) -> Frame | None:
        return self._module.build_auth_message(credentials, self._configs, opts)

    def build_subscribe_auth(
        self, credentials: C, channel: str | None, symbols: Sequence[str] | None, opts: Opts
    ) -> Frame | None:
        return self._module.build_subscribe_auth(credentials, self._configs, channel, symbols, opts=opts)

    def handle_auth_response(self, response: object, state: ReplyState) -> AuthReply | None:
        return self._module.handle_auth_response(response, state)

    def with_config(self, **changes: object) -> Exchange[C]:
        one = _changed(self._configs[self._key], changes)
        return _Multi(self._module, {**self._configs, self._key: one}, self.market)


def _multi(module: MultiMarketModule[C, K] | SingleMarketModule[C, K]) -> TypeGuard[MultiMarketModule[C, K]]:
    return isinstance(module.CONFIG, Mapping)


def _single(module: MultiMarketModule[C, K] | SingleMarketModule[C, K]) -> TypeGuard[SingleMarketModule[C, K]]:
    return not isinstance(module.CONFIG, Mapping)


@overload
def bind(
    module: MultiMarketModule[C, K], config: Mapping[str, K] | None = None, market: str | None = None
) -> Exchange[C]: ...
@overload
def bind(module: SingleMarketModule[C, K], config: K | None = None, market: str | None = None) -> Exchange[C]: ...
def bind(
    module: MultiMarketModule[C, K] | SingleMarketModule[C, K],
    config: Mapping[str, K] | K | None = None,
    market: str | None = None,
) -> Exchange[C]:
    """The module with ``config`` (its CONFIG by default) for ``market``."""
    return bind_any(module, config, market)


def bind_any(
    module: MultiMarketModule[C, K] | SingleMarketModule[C, K],
    config: Mapping[str, K] | K | None = None,
    market: str | None = None,
) -> Exchange[C]:
    """``bind`` for callers that hold either shape (Session's own overloads)."""
    if _multi(module) and (config is None or isinstance(config, Mapping)):
        return _Multi(module, module.CONFIG if config is None else config, market)
    if _single(module) and not isinstance(config, Mapping):
        return _Single(module, module.CONFIG if config is None else config, market)
    raise TypeError(f"{module.EXCHANGE}: config must have the shape of the module's CONFIG")


def _environment(exchange: Exchange[C], environment: str | None, changes: dict[str, object]) -> dict[str, object]:
    if environment is None:
        return changes
    environments = exchange.config.environments
    if environment not in environments:
        known = ", ".join(environments) or "none"
        raise ValueError(f"{exchange.name}: no environment {environment!r} (known: {known})")
    chosen = environments[environment]
    # An environment is whole or refused: where production has a REST URL or
    # a signed chain id and the environment names none, a test key would
    # reach the production host (or sign for the production chain). Refused,
    # unless the caller names that value too.
    production = exchange.config
    if production.rest_url is not None and chosen.rest_url is None and "rest_url" not in changes:
        raise ValueError(
            f"{exchange.name}: environment {environment!r} names only its socket; the REST calls would still go to "
            f"{production.rest_url.partition('://')[2].partition('/')[0]} (production): pass rest_url= for {environment!r} as well"
        )
    chains = {
        "chain_id": (production.chain_id, chosen.chain_id),
        "starknet_chain_id": (production.starknet_chain_id, chosen.starknet_chain_id),
    }
    for name, (signed, named_there) in chains.items():
        if signed is not None and named_there is None and name not in changes:
            raise ValueError(
                f"{exchange.name}: environment {environment!r} names no chain id; it would sign for production's "
                f"({signed}): pass {name}= for {environment!r} as well"
            )
    named = {
        "ws_url": chosen.ws_url, "rest_url": chosen.rest_url, "chain_id": chosen.chain_id,
        "starknet_chain_id": chosen.starknet_chain_id,
    }
    return {**{name: value for name, value in named.items() if value is not None}, **changes}


@overload
def config_with(
    module: MultiMarketModule[C, K], *, environment: str | None = None, market_type: str | None = None,
    **changes: object,
) -> Mapping[str, K]: ...
@overload
def config_with(
    module: SingleMarketModule[C, K], *, environment: str | None = None, market_type: str | None = None,
    **changes: object,
) -> K: ...
# mypy 2.4 reports this implementation as not accepting overload 1's
# parameters, which it does (same names, same kinds): a false positive on an
# implementation over a union of generic Protocols with **kwargs.
def config_with(  # type: ignore[misc]
    module: MultiMarketModule[C, K] | SingleMarketModule[C, K],
    *,
    environment: str | None = None,
    market_type: str | None = None,
    **changes: object,
) -> Mapping[str, K] | K:
    """The module's CONFIG with one of its environments (testnet, demo)
    and/or other values (ws_url, rest_url, keepalive_ms, ...), shaped as the
    module's callbacks take it."""
    if _multi(module):
        key = market_type or module.DEFAULT_MARKET
        multi = _Multi(module, module.CONFIG, key)
        one = _changed(module.CONFIG[key], _environment(multi, environment, changes))
        return {**module.CONFIG, key: one}
    if _single(module):
        single = _Single(module, module.CONFIG, market_type)
        return _changed(module.CONFIG, _environment(single, environment, changes))
    raise AssertionError(module.EXCHANGE)
