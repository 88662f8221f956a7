"""A generic fake exchange, scripted by ccxt's capture and the documented replies.

Unlike the hand-written kinds, this fake knows nothing about any exchange. It
is built from two pieces of data that come from outside wsauth:

* a ccxt 4.5.90 capture (``tests/fixtures/ccxt/<stem>-N.json``): what ccxt
  sent — the REST call, the socket URL, the handshake headers, the auth frames
  and the private subscribe frames;
* a script: which frames to answer with (the documented success / failure /
  not_auth frames of ``tests/fixtures/replies/``).

It checks what a client sends against the capture and records every
difference in ``problems`` (it never raises into the server):

* REST: method and path, header names, the body's shape (form keys, or JSON
  shape); then it answers with the reply ccxt was served (``rest_reply``,
  with its headers where they carry something: ``rest_headers``).
* Handshake: the socket path, the query parameter names, the handshake
  header names. A refused upgrade (``refuse_upgrade``) is answered with that
  HTTP status after the checks.
* Frames: the n-th frame of a connection is compared with the n-th frame ccxt
  sent (auth frames, then subscribe frames): same keys, nesting, list lengths
  and value types everywhere.

Header, query, body and frame *values* are compared exactly wherever they do
not depend on the clock, the nonce, a request id, a random id or the secret.
Which leaves those are is read from the captures themselves: a leaf is exact
when it is equal in two captures made with the same credentials at two
different clocks (``reference`` and ``variance``; request ids and the random
ids ccxt drew excepted) and, for the REST call and the frames, in the capture
with the other credentials at the same clock (``other_credentials``: a
signature's recovery id, GRVT's ``v``, may repeat across two clocks by
chance), or when it is the token or challenge the capture used (the fake
serves the same ones) or one of the credentials' own values. Everything else is compared by type (and must
not be empty where ccxt's is not). Values that differ between the two captures
and look like signatures (text of 16 characters or more) are remembered in
``signatures`` for the leak check, as what the client sent there.

Stages: the frames that carry authentication are answered with the scripted
verdicts, in order: stage 0 is the auth frame (if ccxt sent one), the next
stage the signed subscribe frames (if ccxt's carried credentials). Every other
frame is not answered. With ``greets`` (a token in the URL, nothing signed in
any frame: KuCoin) stage 0 is the greeting, sent as soon as the socket opens.
A stage whose verdict is ``None`` sends its frames and no verdict (signed
subscribes the exchange does not acknowledge: Backpack, LBank).

REST: the reply ccxt was served, with any socket URL on the exchange's host
moved to this fake (``_served``: KuCoin's bullet names its instance server);
``rest_refusal`` = (status, body) answers a documented refusal instead.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from ._base import ConnState, Fake, Frame, parse

# Where a request and its reply carry the request's id. A documented reply
# carries the id of the request it answered, not the one this client sent: the
# fake puts the id of the frame it answers there (a real server echoes it).
ECHOED_IDS = ("id", "req_id", "reqid", "request_id", "requestId", "cid")


def leaves(value: Any, at: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from leaves(inner, (*at, index))
    else:
        yield at, value


def at_path(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return _MISSING
    return value


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def same(a: Any, b: Any) -> bool:
    """JSON equality with types: true is not 1, 1 is not 1.0 or "1"."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


# A clock value is one of these units of the capture's clock (s, ms, µs, ns).
_CLOCK_UNITS = (0.001, 1.0, 1000.0, 1_000_000.0)
CLOCK_TOLERANCE_MS = 10_000  # between the client signing and the fake checking


class Clock:
    """The two captures' clocks, to tell a value that moves with the clock.

    A number (or digit text) that differs between the captures by exactly the
    clocks' difference in some unit (an expiry ``now + 10 s`` in seconds, a
    millisecond timestamp, a microsecond nonce) is ccxt's value carried to the
    fake's clock: what the client sent must be within CLOCK_TOLERANCE_MS of
    it. A nonce the capture chose (not the clock) is left out.
    """

    def __init__(self, reference_ms: int, variance_ms: int, nonces: Iterable[Any]) -> None:
        self.reference_ms, self.variance_ms = reference_ms, variance_ms
        clock_like = {reference_ms, reference_ms // 1000, reference_ms * 1000, variance_ms, variance_ms // 1000, variance_ms * 1000}
        self.nonces = [int(n) for n in nonces if _number(n) is not None and int(n) not in clock_like]

    def check(self, ref: Any, var: Any, got: Any) -> str | None:
        v1, v3, g = _number(ref), _number(var), _number(got)
        if v1 is None or v3 is None or v1 == v3:
            return None
        if any(abs(v1 - nonce) < 1_000_000 for nonce in self.nonces):
            return None  # the capture's own nonce, not the clock
        slope = (v3 - v1) / (self.variance_ms - self.reference_ms)
        if not any(abs(slope - unit) <= unit * 1e-6 + 1e-9 for unit in _CLOCK_UNITS):
            return None  # moves, but not with the clock alone
        if g is None:
            return "a clock value where ccxt sends one, got no number"
        predicted = v1 + slope * (time.time() * 1000 - self.reference_ms)
        if abs(g - predicted) > CLOCK_TOLERANCE_MS * slope + 1:
            return f"off the clock: {g}, ccxt's value carried to now is about {predicted:.0f}"
        return None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) >= 9:
        return int(value)
    return None


def _decoded_jwts(text: str) -> str:
    """The JSON parts of every JWT in ``text`` ("Bearer <jwt>" too), decoded."""
    parts = []
    for word in text.split():
        for segment in word.split(".")[:2] if word.count(".") == 2 else ():
            try:
                parts.append(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                pass
    return "\n".join(parts)


class Expected:
    """One part of ccxt's capture (a frame, a header set) and what of it is exact."""

    def __init__(
        self,
        reference: Any,
        variance: Any,
        exact_values: Iterable[Any],
        ids: Iterable[Any],
        clock: Clock | None = None,
        caller: Any = None,
        other: Any = _MISSING,
    ) -> None:
        self.reference = reference
        self.variance = variance
        # The same part of the capture with the other credentials, same clock
        # (where given): a leaf that changes with them depends on the secret.
        self.other = other
        self.exact_values = [v for v in exact_values if v is not None]
        self.ids = {str(v) for v in ids if v is not None}
        self.clock = clock
        # What the client was given to send as it is (a caller's subscribe
        # frame): a clock value kept from it is the caller's, not the client's.
        self.caller = caller

    def is_exact(self, path: tuple[Any, ...]) -> bool:
        ref = at_path(self.reference, path)
        if isinstance(ref, (int, str)) and not isinstance(ref, bool) and str(ref) in self.ids:
            return False  # a request id or random id: the client's to choose
        if isinstance(ref, str) and any(id_ in _decoded_jwts(ref) for id_ in self.ids if len(id_) >= 16):
            return False  # a JWT holding a random id ccxt drew (Upbit's uuid nonce)
        if same(ref, at_path(self.variance, path)) and (
            self.other is _MISSING or same(ref, at_path(self.other, path))
        ):
            return True
        return any(same(ref, value) for value in self.exact_values)

    def compare(self, got: Any, where: str) -> list[str]:
        return self._compare(self.reference, got, (), where)

    def _compare(self, ref: Any, got: Any, path: tuple[Any, ...], where: str) -> list[str]:
        here = f"{where}{''.join(f'[{step!r}]' for step in path)}"
        if isinstance(ref, dict):
            if not isinstance(got, dict):
                return [f"{here}: ccxt sends an object, got {type(got).__name__}"]
            problems = []
            if ref.keys() != got.keys():
                problems.append(
                    f"{here}: keys differ from ccxt's: missing {sorted(ref.keys() - got.keys())}, "
                    f"extra {sorted(got.keys() - ref.keys())}"
                )
            for key in ref.keys() & got.keys():
                problems += self._compare(ref[key], got[key], (*path, key), where)
            return problems
        if isinstance(ref, list):
            if not isinstance(got, list) or len(got) != len(ref):
                return [f"{here}: ccxt sends a list of {len(ref)}, got {_kind(got)}"]
            problems = []
            for index, (r, g) in enumerate(zip(ref, got)):
                problems += self._compare(r, g, (*path, index), where)
            return problems
        if type(got) is not type(ref):
            return [f"{here}: ccxt sends a {type(ref).__name__}, got {type(got).__name__}"]
        if self.is_exact(path):
            if not same(ref, got):
                return [f"{here}: not the reference's value (compared exactly: it depends on neither clock, nonce, id nor secret)"]
            return []
        if self.clock is not None and not same(got, at_path(self.caller, path)):
            off = self.clock.check(ref, at_path(self.variance, path), got)
            if off is not None:
                return [f"{here}: {off}"]
        if isinstance(ref, str) and ref and not got:
            return [f"{here}: empty where the reference sends a value"]
        return []


def _kind(value: Any) -> str:
    return f"a list of {len(value)}" if isinstance(value, list) else type(value).__name__


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


class ScriptedFake(Fake):
    """Built by :func:`scripted_fake`, not through ``start_fake``."""

    kind = "scripted"
    ttl_closes_connection = False

    def __init__(
        self,
        *,
        reference: dict[str, Any],
        variance: dict[str, Any],
        ws_path: str,
        rest_reply: Any = None,
        rest_headers: list[tuple[str, str]] | None = None,
        stage_of: list[int | None],
        script: dict[int, tuple[list[Frame], Frame | None]],
        hold_stage: int | None = None,
        on_connect: list[Frame] | None = None,
        refuse_upgrade: int | None = None,
        callers: list[Any] | None = None,
        greets: bool = False,
        rest_refusal: tuple[int, Any] | None = None,
        other_credentials: dict[str, Any] | None = None,
    ) -> None:
        rest = reference["rest"]
        self.ws_path = ws_path  # type: ignore[misc]
        self.rest_path = urlsplit(rest[0]["url"]).path if rest else None  # type: ignore[misc]
        super().__init__()
        used = reference["used"]
        self.reference, self.variance = reference, variance
        self.other_credentials = other_credentials
        # The token and challenge served, and the credentials' own values
        # (an API key sent as it is): exact wherever they appear.
        self._exact = [used["token"], used["challenge"], *(v for v in reference.get("credentials", {}).values() if isinstance(v, str))]
        # Request ids, the random ids and the nonce ccxt drew (frozen in its
        # capture, so equal in captures 1 and 3: LBank's echostr): the client's to choose.
        self._ids = [used["request_id"], *used["request_ids"], *used.get("uuids", ()), used["nonce"]]
        self._clock = Clock(used["now_ms"], variance["used"]["now_ms"], [used["nonce"], variance["used"]["nonce"]])
        self.callers = list(callers or ())
        self.rest_reply = rest_reply
        self.rest_headers = list(rest_headers or ())  # the reply's headers (GRVT's session)
        self.stage_of = stage_of
        self.script = script
        self.hold_stage = hold_stage
        self.on_connect = list(on_connect or ())
        self.refuse_upgrade = refuse_upgrade
        self.greets = greets
        self.rest_refusal = rest_refusal
        self.problems: list[str] = []
        self.handshakes = 0  # upgrade requests, refused ones included
        self.holding = asyncio.Event()  # the held stage's frame arrived, nothing answered yet
        self.release = asyncio.Event()
        self.verdicts_sent = 0
        self._note(used["token"])

    # --------------------------------------------------------------- checks

    def _expected(self, reference: Any, variance: Any, caller: Any = None, other: Any = _MISSING) -> Expected:
        return Expected(reference, variance, self._exact, self._ids, self._clock, caller, other)

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def _note_received(self, reference: Any, variance: Any, got: Any) -> None:
        """Remember what the client sent where ccxt's value depends on the secret."""
        for path, value in leaves(reference):
            if isinstance(value, str) and len(value) >= 16 and not same(value, at_path(variance, path)):
                self._note(at_path(got, path) if not isinstance(at_path(got, path), _Missing) else None)

    # ----------------------------------------------------------------- REST

    def _rest_request(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if urlsplit(target).path != self.rest_path:
            self._problem(f"REST: path {urlsplit(target).path!r}, ccxt calls {self.rest_path!r}")
        return super()._rest_request(method, target, headers, body)

    def _served(self, value: Any) -> Any:
        """ccxt's REST reply, with any socket URL on the exchange's host moved here."""
        if isinstance(value, dict):
            return {k: self._served(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._served(v) for v in value]
        origin = "wss://" + urlsplit(self.reference["ws_url"]).netloc
        if isinstance(value, str) and value.startswith(origin):
            return "ws://" + urlsplit(self.ws_url).netloc + value[len(origin):]
        return value

    def _rest(self, method: str, target: str, headers: dict[str, str], body: str) -> Any:
        if self.rest_refusal is not None:
            return self.rest_refusal
        with self._lock:
            first = len(self.rest_seen) == 1
        if first:
            ref, var = self.reference["rest"][0], self.variance["rest"][0]
            if method != ref["method"]:
                self._problem(f"REST: method {method}, ccxt calls {ref['method']}")
            sent = _lower(headers)
            ref_headers, var_headers = _lower(ref["headers"] or {}), _lower(var["headers"] or {})
            missing = sorted(set(ref_headers) - set(sent))
            if missing:
                self._problem(f"REST: header(s) {missing} missing (ccxt sends {sorted(ref_headers)})")
            other = self.other_credentials["rest"][0] if self.other_credentials else None
            other_headers = _lower(other["headers"] or {}) if other else _MISSING
            expected = self._expected(ref_headers, var_headers, other=other_headers)
            self.problems += expected.compare({k: sent.get(k, "") for k in ref_headers}, "REST headers")
            self._note_received(ref_headers, var_headers, sent)
            self.problems += self._body_problems(ref["body"] or "", var["body"] or "", body, other["body"] or "" if other else None)
        return 200, self._served(copy.deepcopy(self.rest_reply)), self.rest_headers

    def _body_problems(self, ref: str, var: str, got: str, other: str | None = None) -> list[str]:
        if not ref:
            return [] if not got else [f"REST: a body where ccxt sends none ({len(got)} characters)"]
        try:
            ref_json, var_json = json.loads(ref), json.loads(var)
        except ValueError:
            ref_form, got_form = dict(parse_qsl(ref, keep_blank_values=True)), dict(parse_qsl(got, keep_blank_values=True))
            if sorted(ref_form) != sorted(got_form):
                return [f"REST body: form keys {sorted(got_form)}, ccxt sends {sorted(ref_form)}"]
            return []
        try:
            got_json = json.loads(got)
        except ValueError:
            return ["REST body: not JSON, ccxt sends JSON"]
        other_json = json.loads(other) if other else _MISSING
        return self._expected(ref_json, var_json, other=other_json).compare(got_json, "REST body")

    # ------------------------------------------------------------ handshake

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        ref_url, var_url = self.reference["ws_url"], self.variance["ws_url"]
        got_path = urlsplit(request.path).path or "/"
        ref_path = urlsplit(ref_url).path or "/"
        token = self.reference["used"]["token"]
        var_path = urlsplit(var_url).path or "/"
        if token and self.variance["used"]["token"]:
            var_path = var_path.replace(self.variance["used"]["token"], token)
        if ref_path == var_path:  # holds nothing but constants, the account id and the served token
            if got_path != ref_path:
                self._problem(f"socket path {got_path!r}, ccxt opens {ref_path!r}")
                return conn.respond(404, "Not Found\n")
        elif got_path.count("/") != ref_path.count("/"):
            self._problem(f"socket path has {got_path.count('/')} segments, ccxt's {ref_path.count('/')}")
            return conn.respond(404, "Not Found\n")
        ref_query, got_query = _query(ref_url), _query(request.path)
        if sorted(ref_query) != sorted(got_query):
            self._problem(f"socket query parameters {sorted(got_query)}, ccxt sends {sorted(ref_query)}")
        else:
            self.problems += self._expected(ref_query, _query(var_url)).compare(got_query, "socket query")
            self._note_received(ref_query, _query(var_url), got_query)
        ref_headers = _lower(self.reference["ws_headers"])
        var_headers = _lower(self.variance["ws_headers"])
        sent = {k.lower(): v for k, v in request.headers.raw_items()}
        missing = sorted(set(ref_headers) - set(sent))
        if missing:
            self._problem(f"handshake header(s) {missing} missing (ccxt sends {sorted(ref_headers)})")
        else:
            self.problems += self._expected(ref_headers, var_headers).compare(
                {k: sent[k] for k in ref_headers}, "handshake headers"
            )
            self._note_received(ref_headers, var_headers, sent)
        if self.refuse_upgrade is not None:
            return conn.respond(self.refuse_upgrade, "Unauthorized\n")
        return None

    # ------------------------------------------------------------ websocket

    async def _on_connect(self, cs: ConnState) -> None:
        cs.extra["received"] = 0
        for frame in self.on_connect:
            await self._send(cs, frame)
        if self.greets:
            await self._answer(cs, 0, None)

    async def _answer(self, cs: ConnState, stage: int, data: Any) -> None:
        """The scripted frames and verdict of a stage (held first where asked)."""
        if stage == self.hold_stage:
            self.holding.set()
            await self.release.wait()
        if stage not in self.script:
            return
        before, verdict = self.script[stage]
        for frame in before:
            await self._send(cs, frame)
        if verdict is None:  # this stage is not acknowledged
            return
        sent_id = next((data[k] for k in ECHOED_IDS if isinstance(data, dict) and k in data), None)
        if isinstance(verdict, dict) and sent_id is not None:
            verdict = {k: (sent_id if k in ECHOED_IDS else v) for k, v in verdict.items()}
        await self._send(cs, verdict)
        self.verdicts_sent += 1

    async def _on_message(self, cs: ConnState, message: str | bytes) -> None:
        index = cs.extra["received"]
        cs.extra["received"] = index + 1
        data = parse(message)
        expected = self.reference["frames"] + self.reference["subscribe_frames"]
        variance = self.variance["frames"] + self.variance["subscribe_frames"]
        if index >= len(expected):
            self._problem(f"frame {index}: ccxt sends only {len(expected)} frame(s) to authenticate and subscribe")
            return
        label = "auth frame" if index < len(self.reference["frames"]) else "subscribe frame"
        subscribe = index - len(self.reference["frames"])
        caller = self.callers[subscribe] if 0 <= subscribe < len(self.callers) else None
        others = self.other_credentials["frames"] + self.other_credentials["subscribe_frames"] if self.other_credentials else []
        other = others[index] if index < len(others) else _MISSING
        self.problems += self._expected(expected[index], variance[index], caller, other).compare(data, f"{label} {index}")
        self._note_received(expected[index], variance[index], data)
        stage = self.stage_of[index]
        if stage is not None:
            await self._answer(cs, stage, data)


@contextlib.asynccontextmanager
async def scripted_fake(**settings: Any) -> AsyncIterator[ScriptedFake]:
    """Start a ScriptedFake on loopback; stop it (and every thread/task) on exit."""
    fake = ScriptedFake(**settings)
    try:
        await fake._start()
        yield fake
    finally:
        fake.release.set()
        await fake._stop()
