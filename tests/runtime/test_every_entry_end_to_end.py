"""Every catalogue entry and market, end to end through ``wsauth.session.Session``
against a generic fake exchange on 127.0.0.1 (``tests/fakes/scripted.py``).

Parametrised from the catalogue, so a new entry is covered as soon as it is
added; an entry without its fixtures fails here. What drives each case comes
from outside wsauth:

* what to send: ccxt 4.5.90's capture (``tests/fixtures/ccxt/<stem>-N.json``);
  capture 1 is the reference (the session uses its credentials, the fake its
  token and challenge), capture 3 (same credentials, other clock, nonce,
  request id and token) tells which values are constants and so compared
  exactly, capture 2 (other credentials, same clock) which fields of ccxt's
  subscribe frame are credentials, i.e. what ``build_subscribe_auth`` must add;
* what the REST call answers: the reply ccxt itself was served
  (``tests/reference/ccxt_capture.py``), with the capture's token;
* the verdicts: the documented success / failure / not_auth frames
  (``tests/fixtures/replies/``).

Stages. The fake answers the frames that carry authentication: stage 0 is the
auth frame (when ccxt sends one), the next stage the subscribe frames whose
fields depend on the credentials. With one stage, each documented success
frame is tried on its own; with two (a challenge), the documented success
frames are the two answers, in order. With none (a listen key in the URL, a
signed handshake) the upgrade is the verdict and an HTTP 401 is the refusal;
except where a success is documented and the catalogue's flow is not
``handshake`` (a token in the URL: KuCoin), when the socket's greeting is the
one stage. Signed subscribes with no documented success frame (Backpack,
LBank) are never answered: the session must take silence as acceptance, and
a documented failure still refuses (where none is, the documented REST
refusals are checked instead).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator.catalogue import load
from tests.conformance import ACCOUNT_FIELDS, _without_additions, reply_cases
from tests.fakes.scripted import ScriptedFake, leaves, same, scripted_fake
from tests.reference.ccxt_capture import ENTRIES as CCXT_SCENARIOS
from tests.reference.ccxt_capture import serve_rest
from tests.session_checks import Leaks, run
from wsauth.session import AuthenticationFailed, AuthTimeout, Backoff, PreAuthFailed, Session, Subscription, config_with
from tests.paths import ROOT

CAPTURES = ROOT / "tests" / "fixtures" / "ccxt"
SDK_CAPTURES = ROOT / "tests" / "fixtures" / "sdk"
DOCS_CAPTURES = ROOT / "tests" / "fixtures" / "docs"
FAST = Backoff(first_s=0.01, max_s=0.05, attempts=2)
TIMEOUT_S = 3.0

# Entries with no ccxt capture, and why. They still run end to end, verdicts
# driven by their documented replies; what the fake expects them to send comes
# from the exchange's own SDK where one was captured the same way
# (tests/fixtures/sdk, tests/reference/sdk_capture.py), else from the
# exchange's published recipe run the same way (tests/fixtures/docs,
# tests/reference/docs_capture.py: the documented construction written with
# the standard library, checked against the published vectors), never from
# wsauth itself. Each must still be marked reference = "docs" and have no ccxt
# capture: the test fails as soon as either stops being true, so the list
# cannot go stale.
WITHOUT_CCXT_CAPTURE = {
    "bitmex": "ccxt 4.5.90 has no BitMEX WebSocket: BitMEX's published examples are the "
    "reference (tests/frames/test_published.py), and there is nothing of ccxt's to compare the session with",
    "gemini": "ccxt 4.5.90 computes Gemini's signed handshake headers and then drops them "
    "(exchanges.toml [gemini]): its capture would be a refused handshake, not a reference",
    "bitopro": "ccxt 4.5.90 computes BitoPro's signed handshake headers and then drops them "
    "(exchanges.toml [bitopro]); the docs' payload and signature vectors are the reference (tests/frames/test_published.py)",
    "bitmart": "ccxt 4.5.90 has no BitMart WebSocket: the docs' published login request is the "
    "reference (tests/frames/test_published.py)",
    "binanceus": "ccxt 4.5.90's WebSocket code sends Binance.US private-stream auth to Binance global's WS-API "
    "host (exchanges.toml [binanceus]); the docs are the reference (tests/fixtures/docs), and the listen-key call "
    "also equals ccxt's own REST method (tests/frames/test_binanceus_rest.py)",
    "binance_ed25519_logon": "ccxt 4.5.90 has no session.logon: Binance's documented request is the "
    "reference (tests/frames/test_published.py), its signature verified with the public key",
    "kucoin_uta": "ccxt 4.5.90 reaches KuCoin's UTA push socket only with a bullet token (kucoin market uta); "
    "the signed op auth frame after the welcome is kucoin-universal-sdk's (tests/frames/test_sdk_reference.py), "
    "and tests/runtime/test_greeting_first.py's fake verifies it independently",
    "coinbase_cdp_eddsa": "ccxt 4.5.90 cannot sign Coinbase Advanced Trade's WebSocket JWT with a CDP Ed25519 "
    "key (pro/coinbase.py create_ws_auth); coinbase-advanced-py's capture (tests/frames/test_sdk_reference.py) and "
    "the fake that verifies the JWT with the public key (tests/runtime/test_cdp_jwt_fake.py) are its references",
}
# Those whose pre-auth REST reply is not a ccxt scenario's: the fake answers
# with the documented reply (tests/fixtures/replies/, rest_success) carrying
# the capture's token.
DOCUMENTED_REST_REPLY = {"binanceus"}

# Documented failure frames the catalogue deliberately does not take as the
# verdict, and why: (stem, documented reason) -> why. The session must then
# time out (never report success); the test fails if the frame starts being
# judged, so the list cannot go stale.
NOT_JUDGED_FAILURES = {
    ("bydfi", "Service error"): "the documented error carries no request id, and [bydfi.reply] leaves an "
    "error without the LOGIN's id to the caller (it may answer another request)",
}


def _variants() -> list[Any]:
    params = []
    for entry in load(ROOT / "exchanges.toml"):
        for variant in entry.variants:
            stem = entry.id if variant.market is None else f"{entry.id}-{variant.market}"
            params.append(pytest.param(entry.id, variant.market, variant.reference, id=stem))
    return params


VARIANTS = _variants()


def _market_types() -> list[Any]:
    """(entry, market type) for the entries that authenticate every market
    type the same way (one variant): ccxt's capture is market-less for them."""
    return [
        pytest.param(entry.id, market_type, entry.variants[0].reference, id=f"{entry.id}[{market_type}]")
        for entry in load(ROOT / "exchanges.toml")
        if not entry.multi_market
        for market_type in entry.variants[0].market_types
    ]


MARKET_TYPES = _market_types()


@dataclass
class Case:
    stem: str
    module: ModuleType
    market: str | None
    reference: dict[str, Any]  # capture 1
    variance: dict[str, Any]  # capture 3: same credentials, other clock / nonce / ids / token
    other_credentials: dict[str, Any]  # capture 2: other credentials, same clock
    success: list[Any]
    failure: list[dict[str, Any]]
    not_auth: list[Any]
    flow: str  # the catalogue's
    greeting: list[Any]  # the documented greeting the socket sends first (KuCoin's UTA welcome)
    market_type: str | None = None  # told to the session; the variant's market by default

    @property
    def credentials(self) -> Any:
        given = {k: v for k, v in self.reference["credentials"].items() if v is not None}
        return self.module.Credentials(**given)

    def rest_reply(self) -> Any:
        if not self.reference["rest"]:
            return None
        if self.reference["entry"] in DOCUMENTED_REST_REPLY:  # the documented answer, with the reference's token
            (documented,) = reply_cases(self.stem, "rest_success")[:1]
            return json.loads(json.dumps(documented["frame"]).replace(documented["token"], self.reference["used"]["token"]))
        key = (self.reference["entry"], self.reference["market_type"])
        scenario = CCXT_SCENARIOS.get(key)
        if scenario is None or not scenario.rest:
            pytest.fail(f"{self.stem}: the capture has a REST call but ccxt_capture serves no reply for {key}")
        call = self.reference["rest"][0]
        used = self.reference["used"]
        # What ccxt_capture serves from: the capture's token, nonce, ids and
        # challenge; the clock is the fake's (an expiry in the reply is from now).
        served = SimpleNamespace(
            token=used["token"], nonce=used["nonce"], request_id=used["request_id"],
            challenge=used["challenge"], now_ms=int(time.time() * 1000),
        )
        return serve_rest(scenario, call["method"], call["url"], served)

    def subscriptions(self) -> tuple[list[Subscription], list[bool]]:
        """ccxt's subscribe frames without what depends on the credentials
        (the session adds that), and which ones carried credentials."""
        used = self.reference["used"]
        ids = {str(value) for value in [used["request_id"], *used["request_ids"]] if value is not None}
        subscriptions, signed = [], []
        for frame, other, later in zip(
            self.reference["subscribe_frames"], self.other_credentials["subscribe_frames"], self.variance["subscribe_frames"]
        ):
            stripped = json.loads(json.dumps(frame))
            removed = False
            for path, value in leaves(frame):
                if not (isinstance(value, str) and value not in ids and path):
                    continue
                if same(value, _at(other, path)) or (self.stem, tuple(path)) in ACCOUNT_FIELDS:
                    continue
                # The field that holds it: a leaf in a list (Backpack's
                # ["key", "signature", ...], XT's ["order@TOKEN"]) is the
                # list's, under the nearest object key; but only where it also
                # moves with the clock or the token (capture 3): signed or
                # issued, not a constant of the account the caller supplies
                # (Gate's user id in its futures payload).
                keys = [i for i, step in enumerate(path) if isinstance(step, str)]
                if not keys or (keys[-1] < len(path) - 1 and same(value, _at(later, path))):
                    continue
                parent = _at(stripped, path[: keys[-1]])
                if isinstance(parent, dict) and path[keys[-1]] in parent:
                    del parent[path[keys[-1]]]
                    removed = True
            subscriptions.append(Subscription(stripped, channel=used["channel"], symbols=used["symbols"]))
            signed.append(removed)
        return subscriptions, signed

    def stages(self) -> tuple[list[int | None], int]:
        """Which frame is answered by which verdict stage, and how many stages.
        Where no frame carries authentication but a success is documented and
        the upgrade is not the verdict (a token in the URL, not a signed
        handshake), the socket's greeting is stage 0 (see ``greets``)."""
        _, signed = self.subscriptions()
        auth = len(self.reference["frames"])
        stage_of: list[int | None] = [0] * auth
        subscribe_stage = 1 if auth else 0
        stage_of += [subscribe_stage if s else None for s in signed]
        count = len({s for s in stage_of if s is not None})
        if count == 0 and self.greets:
            return stage_of, 1
        return stage_of, count

    @property
    def greets(self) -> bool:
        """The verdict is the socket's greeting on connect (KuCoin's welcome):
        nothing sent carries authentication, a success is documented, and the
        catalogue does not make the upgrade itself the verdict (flow handshake)."""
        auth = bool(self.reference["frames"]) or any(self.subscriptions()[1])
        return not auth and bool(self.success) and self.flow != "handshake"

    @property
    def unanswered(self) -> bool:
        """Signed subscribes that no frame acknowledges (no documented success
        frame: Backpack answers only to refuse, LBank never). The session
        takes silence as acceptance; a documented failure still refuses."""
        return any(self.subscriptions()[1]) and not self.success

    def session(self, fake: ScriptedFake) -> Session:
        config = self.module.CONFIG
        one = config[self.market] if self.market is not None else config
        base = urlsplit(one.ws_url)
        changes = {"ws_url": fake.ws_url + (f"?{base.query}" if base.query else "")}
        if fake.rest_url is not None:
            port = urlsplit(fake.rest_url).port
            changes["rest_url"] = f"http://127.0.0.1:{port}{urlsplit(one.rest_url).path}"
        subscriptions, _ = self.subscriptions()
        return Session(
            self.module,
            self.credentials,
            subscriptions=subscriptions,
            config=config_with(self.module, market_type=self.market, **changes),
            market_type=self.market_type or self.market,
            auth_timeout_s=TIMEOUT_S,
            backoff=FAST,
        )

    def fake(self, leaks: Leaks, **settings: Any) -> Any:
        given = self.reference["credentials"]
        leaks.secrets |= {given[name] for name in ("secret", "password", "private_key") if given.get(name)}
        stage_of, _ = self.stages()
        base = urlsplit((self.module.CONFIG[self.market] if self.market else self.module.CONFIG).ws_url)
        # A socket that greets first (Config.auth_after_greeting) sends its documented greeting on connect.
        settings["on_connect"] = [*self.greeting, *settings.get("on_connect", [])]
        return scripted_fake(
            reference=self.reference,
            variance=self.variance,
            ws_path=base.path,
            rest_reply=self.rest_reply(),
            stage_of=stage_of,
            greets=self.greets,
            callers=[json.loads(json.dumps(s.frame)) for s in self.subscriptions()[0]],
            **settings,
        )


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _capture(stem: str, number: int) -> dict[str, Any]:
    path = CAPTURES / f"{stem}-{number}.json"
    if not path.exists():
        pytest.fail(
            f"{stem}: no ccxt capture {path.relative_to(ROOT)}; write it with "
            "`python -m tests.reference.ccxt_capture --write` (or list the entry in WITHOUT_CCXT_CAPTURE with the reason)"
        )
    return _without_additions(json.loads(path.read_text(encoding="utf-8")))


FLOWS = {(e.id, v.market): v.flow for e in load(ROOT / "exchanges.toml") for v in e.variants}


def case_for(entry_id: str, market: str | None, reference: str) -> Case:
    stem = entry_id if market is None else f"{entry_id}-{market}"
    if entry_id in WITHOUT_CCXT_CAPTURE:
        assert reference == "docs", f"{entry_id} is listed in WITHOUT_CCXT_CAPTURE but its reference is {reference!r}"
        assert not (CAPTURES / f"{stem}-1.json").exists(), f"{stem} has a ccxt capture now: drop it from WITHOUT_CCXT_CAPTURE"
        # The exchange's own SDK, else its published recipe, captured the same way.
        sources = [where for where in (SDK_CAPTURES, DOCS_CAPTURES) if (where / f"{stem}-1.json").exists()]
        if not sources:
            pytest.fail(
                f"{stem}: no ccxt, SDK or documented-recipe capture; add one (tests/reference/docs_capture.py) "
                "rather than expecting what wsauth itself builds"
            )
        reference_capture, other, variance = (
            json.loads((sources[0] / f"{stem}-{n}.json").read_text(encoding="utf-8")) for n in (1, 2, 3)
        )
    else:
        reference_capture, other, variance = (_capture(stem, n) for n in (1, 2, 3))
    if reference_capture["credentials"] != variance["credentials"] or reference_capture["used"]["now_ms"] == variance["used"]["now_ms"]:
        pytest.fail(f"{stem}: captures 1 and 3 must share the credentials and differ in the clock")
    if other["credentials"] == reference_capture["credentials"]:
        pytest.fail(f"{stem}: captures 1 and 2 must differ in the credentials")
    found = {kind: reply_cases(stem, kind) for kind in ("success", "failure", "not_auth", "greeting")}
    if not any(found.values()):
        pytest.fail(f"{stem}: no documented replies; add tests/fixtures/replies/<name>.json listing {stem!r} in its entries")
    module = import_module(f"wsauth.{entry_id}")
    greets_first = (module.CONFIG[market] if market is not None else module.CONFIG).auth_after_greeting
    if greets_first != bool(found["greeting"]):
        pytest.fail(f"{stem}: auth_after_greeting is {greets_first} but {len(found['greeting'])} greeting(s) documented")
    return Case(
        stem=stem,
        module=module,
        market=market,
        reference=reference_capture,
        variance=variance,
        other_credentials=other,
        success=[c["frame"] for c in found["success"]],
        failure=found["failure"],
        not_auth=[c["frame"] for c in found["not_auth"]],
        flow=FLOWS[(entry_id, market)],
        greeting=[c["frame"] for c in found["greeting"]],
    )


def no_problems(fake: ScriptedFake, stem: str, what: str) -> None:
    assert not fake.problems, f"{stem} ({what}): the session sent something ccxt does not:\n  " + "\n  ".join(fake.problems)


async def received_in_order(s: Session, frames: list[Any], stem: str) -> None:
    """The documented not_auth frames reached the caller, in order, unchanged."""
    for expected in frames:
        got = await asyncio.wait_for(s.recv(), TIMEOUT_S)
        if isinstance(expected, str):
            assert got == expected, f"{stem}: recv() gave {got!r}, expected the documented {expected!r}"
        else:
            assert isinstance(got, str) and same(json.loads(got), expected), (
                f"{stem}: recv() gave {got!r}, expected the documented frame {expected!r}"
            )


def success_scripts(case: Case, count: int) -> list[dict[int, tuple[list[Any], Any]]]:
    """One script per run: stage -> (frames sent first, the verdict; None: no answer)."""
    if case.unanswered:  # the last stage, the signed subscribes, is never acknowledged
        if len(case.success) != count - 1:
            pytest.fail(f"{case.stem}: {count - 1} answered stage(s) but {len(case.success)} documented success frames")
        script: dict[int, tuple[list[Any], Any]] = {stage: ([], frame) for stage, frame in enumerate(case.success)}
        script[count - 1] = (case.not_auth, None)
        return [script]
    if not case.success:
        pytest.fail(f"{case.stem}: {count} verdict stage(s) but no documented success frame")
    if count == 1:
        return [{0: (case.not_auth, frame)} for frame in case.success]
    if len(case.success) != count:
        pytest.fail(
            f"{case.stem}: {count} verdict stages (auth frame, then signed subscribes) but "
            f"{len(case.success)} documented success frames; cannot tell which answers which"
        )
    script = {stage: ([], frame) for stage, frame in enumerate(case.success)}
    script[count - 1] = (case.not_auth, case.success[-1])
    return [script]


@pytest.mark.parametrize("entry_id, market, reference", VARIANTS)
@run
async def test_the_documented_success_authenticates_only_once_sent(
    entry_id: str, market: str | None, reference: str, leaks: Leaks
) -> None:
    case = case_for(entry_id, market, reference)
    stage_of, count = case.stages()
    if count == 0:  # the upgrade is the verdict
        async with case.fake(leaks, script={}, on_connect=case.not_auth) as fake:
            leaks.fakes.append(fake)
            s = case.session(fake)
            try:
                await s.connect()
            finally:
                no_problems(fake, case.stem, "upgrade")
            assert s.authenticated and fake.handshakes == 1
            await received_in_order(s, case.not_auth, case.stem)
            leaks.see(s)
            await s.close()
        return
    if case.unanswered:
        await _accepted_in_silence(case, count, leaks)
        return
    for script in success_scripts(case, count):
        async with case.fake(leaks, script=script, hold_stage=count - 1) as fake:
            leaks.fakes.append(fake)
            s = case.session(fake)
            connecting = asyncio.create_task(s.connect())
            held = asyncio.create_task(fake.holding.wait())
            await asyncio.wait({connecting, held}, timeout=TIMEOUT_S * 2, return_when=asyncio.FIRST_COMPLETED)
            try:
                if connecting.done():
                    connecting.result()  # raises what the session raised
                assert held.done(), f"{case.stem}: the final stage's frame never reached the fake"
                # The fake has the frame the verdict answers, and has not answered.
                assert not connecting.done() and not s.authenticated, f"{case.stem}: authenticated before the verdict"
                fake.release.set()
                await asyncio.wait_for(connecting, TIMEOUT_S * 2)
            finally:
                held.cancel()
                no_problems(fake, case.stem, f"success {script[count - 1][1]!r:.80}")
            assert s.authenticated and fake.verdicts_sent == count
            await received_in_order(s, case.not_auth, case.stem)
            leaks.see(s, s._pre)
            await s.close()


@pytest.mark.parametrize("entry_id, market_type, reference", MARKET_TYPES)
@run
async def test_every_market_type_authenticates_alike(entry_id: str, market_type: str, reference: str, leaks: Leaks) -> None:
    case = case_for(entry_id, None, reference)
    case.market_type = market_type
    _, count = case.stages()
    script = success_scripts(case, count)[0] if count else {}
    async with case.fake(leaks, script=script) as fake:
        leaks.fakes.append(fake)
        s = case.session(fake)
        try:
            await s.connect()
        finally:
            no_problems(fake, f"{case.stem} as {market_type}", "success")
        assert s.authenticated and fake.verdicts_sent == (count - 1 if case.unanswered else count)
        leaks.see(s)
        await s.close()


@pytest.mark.parametrize("entry_id, market, reference", VARIANTS)
@run
async def test_each_documented_failure_is_refused_once_with_its_reason(
    entry_id: str, market: str | None, reference: str, leaks: Leaks
) -> None:
    case = case_for(entry_id, market, reference)
    _, count = case.stages()
    if count == 0:
        await _refused_upgrade(case, leaks)
        for failure in case.failure:
            await _failure_after_upgrade(case, failure, leaks)
        return
    if not case.failure and case.unanswered and count == 1:
        await _refused_rest_call(case, leaks)  # nothing on the socket ever answers: the REST call is the verdict
        return
    if not case.failure:
        pytest.fail(f"{case.stem}: an auth frame or signed subscribe is answered, but no failure frame is documented")
    successes = success_scripts(case, count)[0]
    for failure in case.failure:
        for stage in range(count):  # refused at the login, or at the signed subscribe
            script = {earlier: ([], successes[earlier][1]) for earlier in range(stage)}
            script[stage] = ([], failure["frame"])
            async with case.fake(leaks, script=script) as fake:
                leaks.fakes.append(fake)
                s = case.session(fake)
                if (case.stem, failure["reason"]) in NOT_JUDGED_FAILURES:
                    s.auth_timeout_s = 0.3
                    with pytest.raises(AuthTimeout):
                        await s.connect()
                    no_problems(fake, case.stem, f"unjudged failure {failure['frame']!r:.80}")
                    assert not s.authenticated
                    continue
                try:
                    with pytest.raises(AuthenticationFailed) as refused:
                        await s.connect()
                finally:
                    no_problems(fake, case.stem, f"failure {failure['frame']!r:.80}")
                leaks.see(refused.value)
                assert (refused.value.reason, refused.value.code) == (failure["reason"], failure["code"]), (
                    f"{case.stem}: refused with {refused.value.reason!r} ({refused.value.code!r}), "
                    f"documented {failure['reason']!r} ({failure['code']!r})"
                )
                assert not s.authenticated
                await asyncio.sleep(0.1)
                assert fake.handshakes == 1 and len(fake.rest_seen) <= 1, f"{case.stem}: retried after a refusal"


async def _accepted_in_silence(case: Case, count: int, leaks: Leaks) -> None:
    """Signed subscribes no frame acknowledges: authenticated once every
    frame reached the exchange and (where it answers only to refuse) none was
    refused; never by a verdict the fake did not send."""
    script = success_scripts(case, count)[0]
    expected = len(case.reference["frames"]) + len(case.reference["subscribe_frames"])
    async with case.fake(leaks, script=script) as fake:
        leaks.fakes.append(fake)
        s = case.session(fake)
        try:
            await s.connect()
            for _ in range(100):
                if len(fake.seen) >= expected:
                    break
                await asyncio.sleep(0.01)
        finally:
            no_problems(fake, case.stem, "unanswered signed subscribes")
        assert len(fake.seen) == expected, f"{case.stem}: the fake got {len(fake.seen)} of {expected} frames"
        assert s.authenticated and fake.verdicts_sent == count - 1 and fake.handshakes == 1
        await received_in_order(s, case.not_auth, case.stem)
        leaks.see(s, s._pre)
        await s.close()


async def _refused_rest_call(case: Case, leaks: Leaks) -> None:
    """No frame ever answers (LBank): each documented REST refusal is a
    PreAuthFailed (a SessionError) with the exchange's code, before any socket."""
    refusals = reply_cases(case.stem, "rest_failure")
    if not refusals:
        pytest.fail(f"{case.stem}: nothing on the socket refuses, and no REST refusal (rest_failure) is documented")
    for refusal in refusals:
        async with case.fake(leaks, script={}, rest_refusal=(refusal.get("status", 200), refusal["frame"])) as fake:
            leaks.fakes.append(fake)
            s = case.session(fake)
            with pytest.raises(PreAuthFailed) as refused:
                await s.connect()
            leaks.see(refused.value)
            assert refused.value.code == refusal["code"], f"{case.stem}: refused with {refused.value.code!r}, documented {refusal['code']!r}"
            assert fake.handshakes == 0 and len(fake.rest_seen) == 1 and not s.authenticated


async def _refused_upgrade(case: Case, leaks: Leaks) -> None:
    """No frame is a verdict: the exchange refuses the upgrade, once."""
    async with case.fake(leaks, script={}, refuse_upgrade=401) as fake:
        leaks.fakes.append(fake)
        s = case.session(fake)
        try:
            with pytest.raises(AuthenticationFailed) as refused:
                await s.connect()
        finally:
            no_problems(fake, case.stem, "refused upgrade")
        leaks.see(refused.value)
        assert "401" in (refused.value.reason or "")
        await asyncio.sleep(0.1)
        assert fake.handshakes == 1 and not s.authenticated, f"{case.stem}: retried after a refused upgrade"


async def _failure_after_upgrade(case: Case, failure: dict[str, Any], leaks: Leaks) -> None:
    """Where the upgrade authenticated, a documented failure frame (an expired
    listen key, a stream that lost its authentication) ends the session's
    authentication; it runs the whole sequence again."""
    async with case.fake(leaks, script={}) as fake:
        leaks.fakes.append(fake)
        s = case.session(fake)
        await s.connect()
        assert s.authenticated
        await fake.push(failure["frame"])
        for _ in range(100):
            if fake.handshakes >= 2 and s.authenticated:
                break
            await asyncio.sleep(0.02)
        no_problems(fake, case.stem, f"failure after the upgrade {failure['frame']!r:.80}")
        assert fake.handshakes == 2 and s.authenticated, f"{case.stem}: {failure['frame']!r} did not end the authentication"
        if case.reference["rest"]:
            assert len([call for call in fake.rest_seen if call[0] == case.reference["rest"][0]["method"]]) == 2
        leaks.see(s)
        await s.close()


def test_every_variant_and_market_type_is_covered() -> None:
    """The parametrisation is the catalogue: every variant of every entry,
    every market type of the single-variant ones."""
    entries = load(ROOT / "exchanges.toml")
    assert len(VARIANTS) == sum(len(entry.variants) for entry in entries)
    assert len({param.id for param in VARIANTS}) == len(VARIANTS)
    assert len(MARKET_TYPES) == sum(len(e.variants[0].market_types) for e in entries if not e.multi_market)
    assert {"bybit", "kraken", "krakenfutures", "gate-spot", "binance-linear", "weex-swap"} <= {p.id for p in VARIANTS}
