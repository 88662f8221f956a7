"""Per-entry auth build: every catalogue entry (each market of a multi-market
entry) against ccxt 4.5.90's own method(s) for it, one ratio per entry.

ours
    Of the generated module's ``pre_auth``, ``build_auth_message`` and
    ``build_subscribe_auth``, those whose result carries what must match
    (below; a challenge request that only names the key is left out), called as
    ``wsauth.plan`` calls them, with the scenario's credentials and ``opts``
    pinning now_ms, nonce, request id, market, token and challenge (the inputs
    of tests/fixtures/ccxt/<entry>-1.json), so its per-call validation is
    included.

ccxt
    Found, not hand-picked. The entry's whole ccxt flow runs once as
    tests/reference/ccxt_capture.py runs it (frozen clock, in-memory socket,
    canned REST) with a profiler recording the arguments of every call into
    ccxt's exchange code (``ccxt/pro/*.py``, ``ccxt/async_support/*.py``, not
    ``base/``; and a method the scenario's repair installs, ``Entry.patch``:
    ccxt's own body with one ccxt bug mended, such as aster's watch_balance).
    Wherever ccxt signs (``hmac``, ``rsa``, ``eddsa``, ``ecdsa``, ``jwt``),
    hands a frame to its socket (``watch``, ``watch_multiple``,
    ``Client.send``), creates a socket client (``client`` for a new url: the
    handshake's headers go into it from ``options['ws']``) or makes a REST
    call (``fetch``), the innermost exchange method on the stack is a
    candidate (``sign``, ``authenticate``, ``subscribe_private``,
    ``watch_balance``...). Each candidate is called again, unmodified, with
    its recorded arguments, on a second exchange built like the capture's; the
    network edge is replaced there: ``watch``, ``watch_multiple`` and
    ``Client.send`` return a settled future, ``fetch`` returns the capture's
    canned reply, its headers handed to ccxt's ``handle_errors`` as ccxt's own
    fetch does (so a REST call inside a method costs ccxt's
    ``request``/``fetch2`` bookkeeping, ``sign`` and ``handle_errors``, not a
    socket). A coroutine is driven step by step until it returns or waits on
    an unresolved future (the server's verdict), then closed; an exception
    after the frame was handed on (ccxt reading the stub's empty result) ends
    the call. Candidates are tried innermost first (``sign`` before the method
    that calls it), and one is kept when it produces a value ours produces
    that the ones kept before it do not. A kept method that another kept
    method still calls in the steady state is dropped (it would be timed
    twice).

What must match: every value ours derives from the secret (what ``wsauth.plan``
masks: signatures, signed timestamps, JWTs), found in what ccxt's kept methods
hand on, return or store; the server's token (listen key, WS token; a session
given as a JSON object, GRVT's cookie and account-id header: each of its
values), where ours puts it in a URL, header or frame, found in what ccxt hands
on (not merely in the REST reply it returns or the options it stores it in);
and the API key where ours makes a REST call (a listen key's request is signed
by the key alone) or signs nothing at all. Ours is checked equal to the
capture (tests/conformance.assert_matches_capture) and ccxt's kept methods must
produce all of the above on each of three consecutive calls, before any
timing.

State between two calls, reset outside the timed window: the capture's
draw recorders (uuid, nonce, request id) and every ``options`` key the methods
write (ccxt's nonce counter, a cached JWT, signature or wallet address: ccxt
would reuse them, ours builds each time, so ccxt is made to build each time
too); and, only where
ccxt signs a handshake when it creates the client (weex, extended, kucoin's
negotiation...), its clients. The level used is reported per entry.

Timing: one call = ours' callbacks once, or ccxt's kept methods once, timed
alone with ``perf_counter_ns`` (the clock's own cost subtracted); gc off during
a sample; a sample = N calls (N so that the slower side's sample lasts about
--entry-sample-ms) and its value the median of their times, so that a call the
machine preempted does not move it; samples alternate ours/ccxt, the order
flipping each sample; µs per call = median over samples; ratio = median over
samples of (ours / ccxt) of adjacent samples. No JSON encoding of the
result on either side (ccxt encodes JSON inside a signature, e.g. a JWT, with
orjson, its own dependency; ours with the standard library).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import gc
import importlib
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any, Callable
from unittest import mock

import ccxt  # type: ignore[import-untyped]
from ccxt.async_support.base.exchange import Exchange as _AsyncExchange  # type: ignore[import-untyped]
from ccxt.async_support.base.ws.client import Client as _WsClient  # type: ignore[import-untyped]
from ccxt.async_support.base.ws.future import Future as _CcxtFuture  # type: ignore[import-untyped]

from tests.conformance import assert_matches_capture
from tests.reference import ccxt_capture as cap
from wsauth import EXCHANGES
from wsauth.plan import plan

perf_counter_ns = time.perf_counter_ns

_CCXT_DIR = os.path.dirname(ccxt.__file__)
_EXCHANGE_DIRS = (os.path.join(_CCXT_DIR, "pro") + os.sep, os.path.join(_CCXT_DIR, "async_support") + os.sep)
_BASE_DIR = os.path.join(_CCXT_DIR, "async_support", "base") + os.sep
_REPO_DIR = str(Path(__file__).resolve().parents[1])
_SIGNERS = ("hmac", "rsa", "eddsa", "ecdsa", "jwt")
_CALLBACKS = ("pre_auth", "build_auth_message", "build_subscribe_auth")
# The state a message handler expects from the request it answers, set up
# (untimed) before each call: krakenfutures' handle_authenticate settles the
# 'challenge' future that authenticate() left on the client.
SETUP: dict[str, Callable[[Any], None]] = {
    "krakenfutures": lambda ex: ex.client(ex.urls["api"]["ws"]).future("challenge"),
}
RESET_LEVELS = ("draws, options written", "draws, options written, clients dropped")
_MISSING = object()


class EntryError(RuntimeError):
    """One entry cannot be benchmarked as designed (reported, not fatal)."""


_exchange_file_cache: dict[str, bool] = {}


def _is_exchange_code(filename: str) -> bool:
    hit = _exchange_file_cache.get(filename)
    if hit is None:
        hit = filename.startswith(_EXCHANGE_DIRS) and not filename.startswith(_BASE_DIR)
        _exchange_file_cache[filename] = hit
    return hit


# ---------------------------------------------------------------------------
# recording: which ccxt methods build the auth, with which arguments
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _ClientRef:
    url: str


def _snap(value: Any) -> Any:
    """A copy of plain data; a ws Client by its url; anything else as is."""
    if isinstance(value, dict):
        return {k: _snap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_snap(v) for v in value)
    if isinstance(value, _WsClient):
        return _ClientRef(value.url)
    return value


@dataclass
class Step:
    name: str  # the exchange method (looked up by name on the replay exchange)
    code: Any  # its code object (checked against the replay's method)
    owner: str  # the ccxt file and line it lives at
    args: list[tuple[str, Any]]  # (parameter, recorded value) in order
    varargs: str | None
    varkw: str | None
    why: list[str] = field(default_factory=list)  # signer / socket / REST calls seen under it

    def label(self) -> str:
        return f"{self.name}({', '.join(n for n, _ in self.args)})"


def _repairs(entry: Any) -> frozenset[CodeType]:
    """The code of the methods a scenario's repair (``Entry.patch``: ccxt's
    own body with one ccxt bug mended) installs on the exchange: ccxt's
    exchange code too."""
    if entry.patch is None:
        return frozenset()
    found: set[CodeType] = set()
    todo = [entry.patch.__code__]
    while todo:
        for const in todo.pop().co_consts:
            if isinstance(const, CodeType) and const not in found:
                found.add(const)
                todo.append(const)
    return frozenset(found)


class _Recorder:
    def __init__(self, repairs: frozenset[CodeType] = frozenset()) -> None:
        self.repairs = repairs
        self.snaps: dict[Any, dict[str, Any]] = {}  # frame -> args at its first 'call'
        self.steps: dict[Any, Step] = {}  # frame -> step, in order of first sight

    def profile(self, frame, event, arg):  # sys.setprofile hook
        if event == "call" and frame not in self.snaps and (
                _is_exchange_code(frame.f_code.co_filename) or frame.f_code in self.repairs):
            code = frame.f_code
            n = code.co_argcount + code.co_kwonlyargcount
            names = list(code.co_varnames[:n])
            varargs = varkw = None
            if code.co_flags & 0x04:
                varargs = code.co_varnames[n]
                n += 1
            if code.co_flags & 0x08:
                varkw = code.co_varnames[n]
            local = frame.f_locals
            self.snaps[frame] = {
                "args": [(name, _snap(local.get(name))) for name in names if name != "self"],
                "varargs": varargs and _snap(local.get(varargs)),
                "varkw": varkw and _snap(local.get(varkw)),
                "vnames": (varargs, varkw),
            }

    def note(self, why: str) -> None:
        frame: FrameType | None = sys._getframe(2)
        while frame is not None and frame not in self.snaps:
            frame = frame.f_back
        if frame is None:
            return
        step = self.steps.get(frame)
        if step is None:
            snap = self.snaps[frame]
            code = frame.f_code
            args = list(snap["args"])
            varargs, varkw = snap["vnames"]
            if varargs:
                args.append((varargs, snap["varargs"]))
            if varkw:
                args.append((varkw, snap["varkw"]))
            where = _REPO_DIR if code in self.repairs else _CCXT_DIR
            step = Step(code.co_name, code, f"{os.path.relpath(code.co_filename, where)}:{code.co_firstlineno}",
                        args, varargs, varkw)
            self.steps[frame] = step
        if why not in step.why:
            step.why.append(why)


@contextlib.contextmanager
def _recording(rec: _Recorder):
    def wrap(owner, name, static: bool):
        original = owner.__dict__[name]
        func = original.__func__ if isinstance(original, staticmethod) else original

        if static:
            def wrapper(*args, **kwargs):
                rec.note(name)
                return func(*args, **kwargs)
            return mock.patch.object(owner, name, staticmethod(wrapper))

        def method(self, *args, **kwargs):
            rec.note(name)
            return func(self, *args, **kwargs)
        return mock.patch.object(owner, name, method)

    with contextlib.ExitStack() as stack:
        for name in _SIGNERS:
            owner = next(k for k in _AsyncExchange.__mro__ if name in k.__dict__)
            stack.enter_context(wrap(owner, name, isinstance(owner.__dict__[name], staticmethod)))
        for name in ("watch", "watch_multiple"):
            owner = next(k for k in _AsyncExchange.__mro__ if name in k.__dict__)
            stack.enter_context(wrap(owner, name, False))
        stack.enter_context(wrap(_WsClient, "send", False))
        # a new client: ccxt builds its handshake (options['ws'] headers) into it
        client = _AsyncExchange.client

        def new_client(self, url):
            if url not in (self.clients or {}):
                rec.note("client")
            return client(self, url)
        stack.enter_context(mock.patch.object(_AsyncExchange, "client", new_client))
        stack.enter_context(wrap(cap._Session, "fetch", False))
        previous = sys.getprofile()
        sys.setprofile(rec.profile)
        try:
            yield
        finally:
            sys.setprofile(previous)


# ---------------------------------------------------------------------------
# replay: those methods again, on a fresh exchange, network edge stubbed
# ---------------------------------------------------------------------------


def _settled() -> Any:
    future = _CcxtFuture()
    future.set_result(None)
    return future


def _drive(coro: Any) -> Any:
    """Run a coroutine until it returns or waits on an unresolved future (the
    server's reply, which never comes here); then close it."""
    try:
        while True:
            waited = coro.send(None)
            if waited is not None and not waited.done():
                # as a Task would on taking it; a reused future is awaited again next call
                waited._asyncio_future_blocking = False
                coro.close()
                return None
    except StopIteration as stop:
        return stop.value


class _Replay:
    """A fresh exchange for one entry, and ccxt's kept methods called on it."""

    def __init__(self, session: cap._Session) -> None:
        self.session = session
        self.entry = session.entry
        self.ex = cap._make_exchange(session)
        self.outputs: list[Any] = []
        self.recording = False
        self.settled = _settled()
        self.called: list[Any] = []  # exchange code objects entered (while profiling)
        ex = self.ex
        outputs = self.outputs
        settled = self.settled

        def watch(url, message_hash, message=None, subscribe_hash=None, subscription=None):
            if self.recording:
                outputs.append({"watch_url": url, "message": _snap(message)})
            return settled

        def watch_multiple(url, message_hashes, message=None, subscribe_hashes=None, subscription=None):
            if self.recording:
                outputs.append({"watch_url": url, "message": _snap(message)})
            return settled

        entry = self.entry

        async def fetch(url, method="GET", headers=None, body=None):
            if self.recording:
                outputs.append({"rest": {"url": url, "method": method, "headers": _snap(headers), "body": body}})
            return cap.serve_rest(ex, entry, session, url, method, headers, body)

        ex.watch = watch
        ex.watch_multiple = watch_multiple
        ex.fetch = fetch
        self.raised = 0  # calls that ended in an exception (after emitting, or verification fails)
        self.pristine: dict[str, Any] = {}
        self.written: set[str] = set()  # option keys the replayed methods store

    def start(self) -> None:
        self.pristine = self.options_snapshot()

    # -- state between calls (never timed) --
    def reset(self, level: int) -> None:
        s = self.session
        s.nonce_draws.clear()
        s.request_id_draws.clear()
        s.uuid_draws.clear()
        s.random_draws.clear()
        options = self.ex.options
        for key in self.written:  # a cached token or signature, ccxt's nonce counter
            if key in self.pristine:
                options[key] = copy.deepcopy(self.pristine[key])
            else:
                options.pop(key, None)
        if level >= 1:
            self.ex.clients.clear()
        setup = SETUP.get(self.entry.entry)
        if setup is not None:
            setup(self.ex)

    def options_snapshot(self) -> dict[str, Any]:
        return {k: _snap(v) for k, v in self.ex.options.items()}

    def options_changed(self, before: dict[str, Any]) -> dict[str, Any]:
        """What a call stored in ccxt's options (a signature kept for a later frame)."""
        changed = {k: v for k, v in self.options_snapshot().items() if before.get(k, _MISSING) != v}
        return {"options": changed}

    def callable_for(self, step: Step) -> Callable[[], Callable[[], Any]]:
        """step -> a preparer; the preparer (untimed) resolves client arguments
        and returns the call to time."""
        method: Any = getattr(self.ex, step.name, None)
        # a bound method, or a repaired one the scenario set on the instance
        func = getattr(method, "__func__", method)
        if getattr(func, "__code__", None) is not step.code:
            raise EntryError(f"{step.owner} {step.name} is not an exchange method the replay can call by name")
        is_coro = asyncio.iscoroutinefunction(func)
        ex = self.ex
        positional_names = [n for n, _ in step.args if n not in (step.varargs, step.varkw)]
        values = dict(step.args)
        has_client = any(isinstance(v, _ClientRef) for v in values.values())

        def resolve(v: Any) -> Any:
            return ex.client(v.url) if isinstance(v, _ClientRef) else v

        def prepare() -> Callable[[], Any]:
            args = [resolve(values[n]) for n in positional_names] if has_client else [values[n] for n in positional_names]
            if step.varargs:
                args += list(values[step.varargs] or ())
            kwargs = dict(values[step.varkw] or {}) if step.varkw else {}
            # An exception after the frame is handed on (ccxt reading the
            # stubbed watch's empty result) ends the call; verification
            # proves the values were emitted before it.
            if is_coro:
                def call() -> Any:
                    try:
                        return _drive(method(*args, **kwargs))
                    except Exception:  # noqa: BLE001
                        self.raised += 1
                        return None
            else:
                def call() -> Any:
                    try:
                        return method(*args, **kwargs)
                    except Exception:  # noqa: BLE001
                        self.raised += 1
                        return None
            return call

        return prepare

    def emitted(self, clients_before: set[int]) -> list[Any]:
        """What the ccxt side handed on, plus the handshake headers of each
        client the call created (a signed handshake is built into the client)."""
        out = list(self.outputs)
        for client in self.ex.clients.values():
            if id(client) in clients_before:
                continue
            options = client.options if isinstance(client.options, dict) else {}
            out.append({"client_url": client.url, "client_headers": _snap(options.get("headers")),
                        "client_cookies": _snap(options.get("cookies"))})
        return out


# ---------------------------------------------------------------------------
# one entry
# ---------------------------------------------------------------------------


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in [str(k), *_leaves(v)]]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _leaves(v)]
    return [] if value is None else [str(value)]


def _secret_dependent(revealed: Any, masked: Any) -> list[str]:
    """The leaves wsauth.plan masks: what ours derives from a secret."""
    if isinstance(revealed, dict) and isinstance(masked, dict):
        return [x for k in revealed for x in _secret_dependent(revealed[k], masked.get(k))]
    if isinstance(revealed, list) and isinstance(masked, list) and len(revealed) == len(masked):
        return [x for r, m in zip(revealed, masked) for x in _secret_dependent(r, m)]
    return [] if revealed == masked else [str(revealed)]


def _token_parts(token: str | None) -> list[str]:
    """The server's token as ours is given it: one value (a listen key, a WS
    token), or a JSON object of several (a session cookie and an account-id
    header, each one put where the server's reply named it)."""
    if not token:
        return []
    try:
        fields = json.loads(token)
    except ValueError:
        return [token]
    if not isinstance(fields, dict):
        return [token]
    return [str(v) for v in fields.values() if v not in (None, "")]


@dataclass(frozen=True)
class Expect:
    """A value ours produces that ccxt's methods must produce too."""

    value: str
    # the server's token is an input, not work: only a frame, URL, header or
    # request ccxt hands on counts, not the REST reply it returns or stores
    emitted_only: bool = False


@dataclass
class Seen:
    emitted: list[str]  # leaves of what was handed to the socket / REST, handshake headers
    kept: list[str]  # leaves of return values and values stored in options


def _seen(emitted: list[Any], kept: list[Any]) -> Seen:
    return Seen(_leaves(emitted), _leaves(kept))


def _uncovered(expected: list[Expect], seen: Seen) -> list[Expect]:
    def found(e: Expect) -> bool:
        return any(e.value in t for t in seen.emitted) or (
            not e.emitted_only and any(e.value in t for t in seen.kept))
    return [e for e in expected if not found(e)]


def ours_request(capture: dict) -> bool:
    """Whether our pre_auth makes a REST call for this entry."""
    module = importlib.import_module(f"wsauth.{capture['entry']}")
    used = capture["used"]
    credentials = module.Credentials(**{k: v for k, v in capture["credentials"].items() if v is not None})
    opts: dict[str, Any] = {"now_ms": used["now_ms"]}
    if capture["market_type"] is not None:
        opts["market_type"] = capture["market_type"]
    for name in ("nonce", "token", "challenge", "request_id"):
        if used[name] is not None:
            opts[name] = used[name]
    pre = module.pre_auth(credentials, opts=opts)
    return pre is not None and pre.request is not None


@dataclass
class Prepared:
    name: str  # scenario stem, e.g. gate-spot
    entry: str
    market_type: str | None
    ours_calls: list[str]
    ours: Callable[[], Any]
    ccxt_steps: list[Step]
    ccxt_prepare: list[Callable[[], Callable[[], Any]]]
    reset: Callable[[], None]
    reset_level: int
    expected: list[Expect]
    replay: _Replay


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    slots = [n for k in type(value).__mro__ for n in getattr(k, "__slots__", ()) if not n.startswith("__")]
    if slots and not isinstance(value, (str, bytes, int, float, tuple, list, dict)):
        return {n: _plain(getattr(value, n, None)) for n in slots}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _ours(capture: dict, expected: list[Expect]) -> tuple[list[str], Callable[[], Any], dict, Any]:
    used = capture["used"]
    module = importlib.import_module(f"wsauth.{capture['entry']}")
    credentials = module.Credentials(**{k: v for k, v in capture["credentials"].items() if v is not None})
    now = used["now_ms"]
    opts: dict[str, Any] = {"now_ms": now, "nonce": now if used["nonce"] is None else used["nonce"]}
    for name in ("request_id", "token", "challenge"):
        if used[name] is not None:
            opts[name] = used[name]
    if capture["market_type"] is not None:
        opts["market_type"] = capture["market_type"]
    channel, symbols = used["channel"], used["symbols"]
    pre, auth, sub = module.pre_auth, module.build_auth_message, module.build_subscribe_auth
    produced = {
        "pre_auth": pre(credentials, opts=opts),
        "build_auth_message": auth(credentials, opts=opts),
        "build_subscribe_auth": sub(credentials, channel=channel, symbols=symbols, opts=opts),
    }
    # the callbacks whose output carries a value derived from the secret (a
    # challenge request that only names the key is not the auth build)
    calls = [name for name in _CALLBACKS if produced[name] is not None
             and len(_uncovered(expected, _seen([_plain(produced[name])], []))) < len(expected)]
    use = tuple(calls)
    # one closure per combination, so that the timed call does no dispatch
    if use == ("pre_auth",):
        def ours():
            return pre(credentials, opts=opts)
    elif use == ("build_auth_message",):
        def ours():
            return auth(credentials, opts=opts)
    elif use == ("build_subscribe_auth",):
        def ours():
            return sub(credentials, channel=channel, symbols=symbols, opts=opts)
    elif use == ("pre_auth", "build_auth_message"):
        def ours():
            return pre(credentials, opts=opts), auth(credentials, opts=opts)
    elif use == ("pre_auth", "build_subscribe_auth"):
        def ours():
            return pre(credentials, opts=opts), sub(credentials, channel=channel, symbols=symbols, opts=opts)
    elif use == ("build_auth_message", "build_subscribe_auth"):
        def ours():
            return auth(credentials, opts=opts), sub(credentials, channel=channel, symbols=symbols, opts=opts)
    else:
        def ours():
            return (pre(credentials, opts=opts), auth(credentials, opts=opts),
                    sub(credentials, channel=channel, symbols=symbols, opts=opts))
    return calls, ours, opts, module


def scenario_names() -> list[str]:
    """Every entry-market the capture drives: its first scenario's stem."""
    return [s["name"][:-2] for s in cap.SCENARIOS if s["name"].endswith("-1")]


def uncaptured() -> list[str]:
    """Catalogue entries with no ccxt counterpart in the capture."""
    captured = {key[0] for key in cap.ENTRIES}
    return [name for name in EXCHANGES if name not in captured]


def prepare(name: str, loop: asyncio.AbstractEventLoop, stack: contextlib.ExitStack) -> Prepared:
    kwargs = next(s["kwargs"] for s in cap.SCENARIOS if s["name"] == f"{name}-1")
    capture = json.loads((cap.FIXTURE_DIR / f"{name}-1.json").read_text(encoding="utf-8"))
    assert_matches_capture(capture)  # ours == what ccxt sent, for these inputs

    used = capture["used"]
    creds = {k: v for k, v in capture["credentials"].items() if v is not None}
    common = dict(now_ms=used["now_ms"], nonce=used["nonce"], request_id=used["request_id"],
                  market_type=capture["market_type"], channel=used["channel"], symbols=used["symbols"],
                  token=used["token"], challenge=used["challenge"])
    signed = _secret_dependent(plan(capture["entry"], creds, reveal=True, **common),
                                 plan(capture["entry"], creds, reveal=False, **common))
    values: list[Expect] = []
    for value in signed:
        # a URL, header or frame that carries the server's token (a listen
        # key, a session cookie) counts as that token, which ccxt must hand on too
        parts = [part for part in _token_parts(used["token"]) if part in value]
        for e in [Expect(part, True) for part in parts] or [Expect(value)]:
            if e not in values:
                values.append(e)
    if (ours_request(capture) or not values) and creds.get("api_key"):
        # a REST request with the bare key (a listen key's), or no signature at
        # all: the key itself, handed on, is the auth (a wallet entry has no key)
        values.append(Expect(creds["api_key"]))
    expected = values
    calls, ours, _opts, _module = _ours(capture, expected)

    entry = cap.ENTRIES[(kwargs["entry"], kwargs["market_type"])]
    session = cap._Session(entry, kwargs["now_ms"], dict(kwargs["credentials"]), kwargs.get("nonce"),
                           kwargs.get("request_id"), kwargs.get("token"), kwargs.get("challenge"))
    stack.enter_context(cap._patched(session))  # frozen clock, blocked network: kept through timing

    # 1. the whole ccxt flow once, recording where it signs, sends and calls REST
    rec = _Recorder(_repairs(entry))
    with _recording(rec):
        loop.run_until_complete(cap._capture_async(session))
    if session.errors:
        raise EntryError(f"ccxt's flow failed: {session.errors[0]}")
    candidates = list(rec.steps.values())
    rec.snaps.clear()

    # 2. a fresh exchange; each candidate replayed once, noting what it calls
    for lst in (session.frames, session.subscribe_frames, session.rest, session.connections):
        lst.clear()
    replay = _Replay(session)
    stack.callback(lambda: _close(replay, loop))
    # ccxt needs a running loop (its clients and futures): the rest runs inside one
    return loop.run_until_complete(_select(name, kwargs, calls, ours, expected, candidates, replay, stack))


def _run_steps(replay: _Replay, preparers: list, profile_codes: set | None = None) -> tuple[Seen, list[set]]:
    """One call of the kept methods, recording what they emit; with
    profile_codes, also which of those codes each one calls."""
    replay.outputs.clear()
    before = replay.options_snapshot()
    clients_before = {id(c) for c in replay.ex.clients.values()}
    returned, inner = [], []
    replay.recording = True
    try:
        for p in preparers:
            call = p()
            called: set = set()
            if profile_codes is not None:
                def hook(frame, event, arg, _called=called):
                    if event == "call" and frame.f_code in profile_codes:
                        _called.add(frame.f_code)
                sys.setprofile(hook)
            try:
                returned.append(_snap(call()))
            finally:
                sys.setprofile(None)
            inner.append(called)
    finally:
        replay.recording = False
    changed = replay.options_changed(before)["options"]
    # options['ws'] is what ccxt's next client opens its handshake with: handed on
    handshake = {"options.ws": changed.pop("ws")} if "ws" in changed else {}
    return _seen(replay.emitted(clients_before) + [handshake], [returned, changed]), inner


async def _select(name, kwargs, calls, ours, expected, candidates, replay, stack) -> Prepared:
    # ccxt sets its loop when it opens its HTTP session, which is stubbed here
    replay.ex.asyncio_loop = asyncio.get_running_loop()
    await replay.ex.load_markets()  # the markets task, settled once
    replay.start()
    settled = replay.settled

    def client_send(self, message):
        if replay.recording:
            replay.outputs.append({"client_url": self.url, "message": _snap(message)})
        return settled

    stack.enter_context(mock.patch.object(_WsClient, "send", client_send))

    # 2. each candidate once on the fresh exchange: what it emits, what it calls
    codes = {step.code for step in candidates}
    tried: list[tuple[Step, Callable, set, Seen]] = []
    for step in candidates:
        try:
            preparer = replay.callable_for(step)
        except EntryError:
            continue  # a closure: its enclosing method is a candidate too, or the entry fails below
        replay.reset(1)
        before = replay.options_snapshot()
        try:
            outputs, inner = _run_steps(replay, [preparer], codes - {step.code})
        except Exception as exc:  # noqa: BLE001 - a candidate the fresh exchange cannot run
            step.why.append(f"replay raised {exc!r}")
            continue
        replay.written |= {k for k, v in replay.options_snapshot().items() if before.get(k, _MISSING) != v}
        if os.environ.get("WSAUTH_BENCH_DEBUG"):
            print(step.label(), outputs, file=sys.stderr)
        tried.append((step, preparer, inner[0], outputs))
    # innermost first (the method that signs before the method that calls it);
    # keep each that emits a signed value the ones before it do not
    depth = {step.code: sum(step.code in inner for _, _, inner, _ in tried) for step, _, _, _ in tried}
    tried.sort(key=lambda t: -depth[t[0].code])
    kept: list[tuple[Step, Callable]] = []
    covered: set[Expect] = set()
    for step, preparer, _inner, outputs in tried:
        adds = {v for v in expected if v not in covered and not _uncovered([v], outputs)}
        if adds:
            kept.append((step, preparer))
            covered |= adds
    missing = [v for v in expected if v not in covered]
    if missing:
        seen = "; ".join(f"{s.label()} [{', '.join(s.why)}] at {s.owner}" for s in candidates) or "none"
        raise EntryError(f"no ccxt method found that emits {[e.value for e in missing[:3]]} "
                         f"(candidates: {seen})")

    # 3. the least reset between calls under which three calls in a row each
    # emit them all; then drop a kept method that another kept one still calls
    # in that steady state (it would be timed twice)
    while True:
        preparers = [p for _, p in kept]
        for level in range(len(RESET_LEVELS)):
            replay.reset(1)
            ok = True
            for _ in range(3):
                outputs, _ = _run_steps(replay, preparers)
                if _uncovered(expected, outputs):
                    ok = False
                    break
                replay.reset(level)
            if ok:
                break
        else:
            raise EntryError("ccxt's replay stops emitting the signed values after the first call, "
                             "whatever is reset")
        kept_codes = {s.code for s, _ in kept}
        replay.reset(level)
        _, inner = _run_steps(replay, preparers, kept_codes)
        twice = {code for i, called in enumerate(inner) for code in called if code is not kept[i][0].code}
        if os.environ.get("WSAUTH_BENCH_DEBUG"):
            print("level", level, "kept", [s.name for s, _ in kept], "twice", [c.co_name for c in twice], file=sys.stderr)
        if not twice:
            break
        kept = [(s, p) for s, p in kept if s.code not in twice]
    replay.reset(level)
    return Prepared(name=name, entry=kwargs["entry"], market_type=kwargs["market_type"], ours_calls=calls,
                    ours=ours, ccxt_steps=[s for s, _ in kept], ccxt_prepare=preparers,
                    reset=lambda: replay.reset(level), reset_level=level, expected=expected, replay=replay)


def _close(replay: _Replay, loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(Exception):
        loop.run_until_complete(replay.ex.close())
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------


def _clock_cost(n: int = 20000) -> float:
    best = []
    for _ in range(5):
        total = 0
        for _ in range(n):
            t0 = perf_counter_ns()
            t1 = perf_counter_ns()
            total += t1 - t0
        best.append(total / n)
    return statistics.median(best)


def _sample_ours(fn: Callable[[], Any], n: int) -> list[int]:
    out = []
    for _ in range(n):
        t0 = perf_counter_ns()
        fn()
        t1 = perf_counter_ns()
        out.append(t1 - t0)
    return out


def _sample_ccxt(p: Prepared, n: int) -> list[int]:
    out = []
    reset = p.reset
    preparers = p.ccxt_prepare
    if len(preparers) == 1:
        prep = preparers[0]
        for _ in range(n):
            reset()
            call = prep()
            t0 = perf_counter_ns()
            call()
            t1 = perf_counter_ns()
            out.append(t1 - t0)
        return out
    for _ in range(n):
        reset()
        calls = [prep() for prep in preparers]
        t0 = perf_counter_ns()
        for call in calls:
            call()
        t1 = perf_counter_ns()
        out.append(t1 - t0)
    return out


def _timed(fn: Callable[[int], list[int]], n: int) -> float:
    """One sample: the median of its n calls' times (a call the machine
    preempted does not move it, as it would a mean)."""
    gc.disable()
    try:
        return statistics.median(fn(n))
    finally:
        gc.enable()


async def time_entry(p: Prepared, samples: int, sample_ms: float, clock_ns: float) -> dict[str, Any]:
    ours = lambda n: _sample_ours(p.ours, n)  # noqa: E731
    theirs = lambda n: _sample_ccxt(p, n)  # noqa: E731
    for fn in (ours, theirs):  # warm up
        _timed(fn, 50)
    per = max(_timed(ours, 200), _timed(theirs, 200))
    n = max(20, int(sample_ms * 1e6 / max(per, 1.0)))
    raw: dict[str, list[float]] = {"ours": [], "ccxt": []}
    for i in range(samples):
        order = (("ours", ours), ("ccxt", theirs)) if i % 2 == 0 else (("ccxt", theirs), ("ours", ours))
        for name, fn in order:
            raw[name].append(max(_timed(fn, n) - clock_ns, 1.0))
        await asyncio.sleep(0)  # what ccxt scheduled (nothing, normally) runs outside the samples
    ratios = [o / c for o, c in zip(raw["ours"], raw["ccxt"])]
    q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
    return {
        "calls_per_sample": n,
        "samples": samples,
        "ours_us": statistics.median(raw["ours"]) / 1000,
        "ccxt_us": statistics.median(raw["ccxt"]) / 1000,
        "ratio": statistics.median(ratios),
        "ratio_p25": q[0],
        "ratio_p75": q[2],
        "raw_ns_per_call": raw,
    }


def measure(names: list[str], samples: int, sample_ms: float, progress: Callable[[str], None]) -> dict[str, Any]:
    started = time.perf_counter()
    clock_ns = _clock_cost()
    rows: dict[str, Any] = {}
    for name in names:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            with contextlib.ExitStack() as stack:
                try:
                    p = prepare(name, loop, stack)
                except AssertionError as exc:
                    rows[name] = {"error": f"ours differs from ccxt's capture: {str(exc)[:200]}"}
                    progress(f"  {name}: NOT MEASURED: {rows[name]['error']}")
                    continue
                except (EntryError, cap.CaptureError) as exc:
                    rows[name] = {"error": str(exc)}
                    progress(f"  {name}: NOT MEASURED: {exc}")
                    continue
                timing = loop.run_until_complete(time_entry(p, samples, sample_ms, clock_ns))
                rows[name] = {
                    "entry": p.entry,
                    "market_type": p.market_type,
                    "ours": " + ".join(p.ours_calls),
                    "ccxt": [f"{s.label()} at {s.owner} [{', '.join(w for w in s.why if not w.startswith('replay'))}]"
                             for s in p.ccxt_steps],
                    "ccxt_methods": " + ".join(s.name for s in p.ccxt_steps),
                    "reset_between_calls": RESET_LEVELS[p.reset_level],
                    "signed_values_checked": len(p.expected),
                    **timing,
                }
                progress(f"  {name}: ours {timing['ours_us']:.1f} µs, ccxt {timing['ccxt_us']:.1f} µs, "
                         f"ratio {timing['ratio']:.2f}")
                if timing["ratio"] > 1.0:
                    progress(f"  {name}: MISS (ours slower than ccxt): profiling ours")
                    rows[name]["profile_ours"] = _profile(p.ours, 5000)
        finally:
            asyncio.set_event_loop(None)
            loop.close()
    misses = [f"{k} ({r['ratio']:.2f}x)" for k, r in rows.items() if "error" not in r and r["ratio"] > 1.0]
    failed = [k for k, r in rows.items() if "error" in r]
    if misses:
        progress(f"entries: MISS: ours is slower than ccxt for {len(misses)}: {', '.join(misses)}")
    if failed:
        progress(f"entries: NOT MEASURED: {', '.join(failed)}")
    return {"clock_ns": clock_ns, "rows": rows, "uncaptured": uncaptured(),
            "elapsed_s": time.perf_counter() - started}


def _profile(fn: Callable[[], Any], calls: int) -> list[str]:
    """cProfile of ours' callbacks (tottime), paths shortened."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(10)
    lines = [ln.rstrip() for ln in out.getvalue().splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    repo = str(Path(__file__).resolve().parents[1]) + os.sep
    stdlib = os.path.dirname(os.__file__) + os.sep
    return [ln.replace(repo, "").replace(stdlib, "<stdlib>/") for ln in lines[start:] if ln.strip()]


def select(spec: str | None) -> list[str]:
    """--entries a,b: entry ids (every market) or entry-market stems."""
    names = scenario_names()
    if not spec:
        return names
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    out: list[str] = []
    for w in wanted:
        hits = [n for n in names if n == w or cap.SCENARIOS and any(
            s["name"] == f"{n}-1" and s["kwargs"]["entry"] == w for s in cap.SCENARIOS)]
        if not hits and w in uncaptured():
            raise SystemExit(f"bench: --entries: {w} has no ccxt {cap.CCXT_VERSION} counterpart to compare with")
        if not hits:
            raise SystemExit(f"bench: --entries: no captured entry {w!r}; known: {', '.join(names)}")
        out += [h for h in hits if h not in out]
    return out


def render(report: dict[str, Any], ccxt_version: str, samples: int, sample_ms: float) -> list[str]:
    rows = report["rows"]
    measured = {k: r for k, r in rows.items() if "error" not in r}
    misses = {k: r for k, r in measured.items() if r["ratio"] > 1.0}
    lines = [
        f"### Auth build per entry: ours against ccxt {ccxt_version}'s own method(s) "
        f"({len(measured)} entry-markets; µs per call: median over {samples} interleaved samples of about "
        f"{sample_ms:g} ms of each sample's median call; ratio = median of per-sample ours/ccxt, [p25–p75]; section took "
        f"{report.get('elapsed_s', 0):.0f} s)",
        "",
    ]
    if misses:
        listed = ", ".join(f"{k} ({r['ratio']:.2f}×)" for k, r in misses.items())
        lines += [f"**MISS: ours is slower than ccxt for {len(misses)} of {len(measured)}: {listed}**", ""]
    else:
        lines += [f"No miss: ours is faster than ccxt for all {len(measured)} measured.", ""]
    lines += [
        "| entry | ours (callbacks) | ccxt (methods) | ours µs | ccxt µs | ours/ccxt | result |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for name, r in rows.items():
        if "error" in r:
            lines.append(f"| {name} | | | | | | **NOT MEASURED**: {r['error'][:160]} |")
            continue
        mark = "pass" if r["ratio"] <= 1.0 else "**MISS**"
        reset = "" if r["reset_between_calls"] == RESET_LEVELS[0] else " ¹"
        lines.append(
            f"| {name} | {r['ours'].replace('build_', '')} | {r['ccxt_methods']}{reset} | {r['ours_us']:.1f} | "
            f"{r['ccxt_us']:.1f} | {r['ratio']:.2f} [{r['ratio_p25']:.2f}–{r['ratio_p75']:.2f}] | {mark} |")
    lines.append("")
    if any(r.get("reset_between_calls") == RESET_LEVELS[1] for r in measured.values()):
        lines += ["¹ ccxt's clients are dropped between calls (untimed): its method signs only "
                  "when it creates the client.", ""]
    profiled = {k: r["profile_ours"] for k, r in measured.items() if r.get("profile_ours")}
    if profiled:
        lines += ["#### cProfile of ours where ours is slower than ccxt (tottime; cProfile inflates calls)", ""]
        for k, text in profiled.items():
            lines += [f"{k}:", "", "```", *text, "```", ""]
    if report["uncaptured"]:
        lines += [f"Not compared (no ccxt {ccxt_version} counterpart in tests/reference/ccxt_capture.py; "
                  f"see tests/reference/RECIPES.md): {', '.join(report['uncaptured'])}.", ""]
    lines += [f"The ccxt method(s) timed for each entry, where they live and why they were picked "
              "(the signer, socket or REST call seen under them) are in the JSON report "
              "(`entries.rows.<entry>.ccxt`).", ""]
    return lines
