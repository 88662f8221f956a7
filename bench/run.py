"""wsauth benchmark: the auth build of every entry against ccxt, per-frame cost
against the floor, import footprint, generator speed.

    .venv/bin/python -m bench                        # everything (the generator part takes minutes)
    .venv/bin/python -m bench --quick                # smoke run (fewer samples)
    .venv/bin/python -m bench --only entries         # one section: entries|frames|imports|generator
    .venv/bin/python -m bench --only entries --entries bybit,gate-spot
    .venv/bin/python bench/run.py --out FILE         # same, JSON written to FILE

It prints a markdown table per section (machine, command, results, pass/miss
against the targets) and writes the numbers, raw samples included, as JSON
(bench/results.json unless --out is given). It is not a test and asserts no
time: it only reports.

Auth build per entry (``--only entries``): every entry-market the capture
drives, ours against ccxt 4.5.90's own method(s) for it, one ratio each, a miss
wherever ours is slower; see bench/entries.py for how ccxt's methods are found
and driven and exactly what is timed.

Per-frame cost against the floor (``--only frames``), one entry per flow:

    direct     bybit          build_auth_message   (the auth frame)
    inline     gate, spot     build_subscribe_auth (merged into the subscribe frame)
    pre_auth   kraken         pre_auth             (the signed REST request)
    challenge  krakenfutures  build_subscribe_auth (merged into the subscribe frame)

Three contenders each produce the same frame, JSON-encoded with
``json.dumps(frame)`` (stdlib, default arguments, as the README's "send
json.dumps(frame)"; the same call for all three):

* ours:  the generated module's callback, with the same frozen inputs the
  capture uses passed as ``opts`` (so its per-call option and credential
  validation is included), plus the caller's merge into its subscribe frame
  where the flow is inline/challenge;
* floor: the fewest lines of plain Python that build that frame from the same
  string credentials: one ``hmac.new``, one dict, no validation;
* ccxt:  ccxt 4.5.90's own method that builds the frame, unmodified, on an
  exchange made by tests/reference/ccxt_capture.py (credentials, markets,
  options, frozen clock, blocked network), with only the network edge
  replaced: ``exchange.watch`` (where ccxt hands the frame to its socket) is
  an instance-level stub that JSON-encodes the frame and returns a settled
  future. bybit: ``authenticate(url)``; gate: ``subscribe_private(...)`` as
  ``watch_orders`` calls it; kraken: ``sign("GetWebSocketsToken", ...)``, the
  method ``fetch2`` calls to build the signed request (fetch2's retry and
  rate-limit bookkeeping is left out, in ccxt's favour); krakenfutures:
  ``handle_authenticate`` (signs the server's challenge) then
  ``subscribe_private("open_orders", "orders")``.

Before any timing, each flow's three outputs are checked equal (as JSON
values) to each other and to what the capture records ccxt sending through its
whole flow (in-memory socket and REST), for the same fixed inputs.

Timing: ``time.perf_counter_ns`` around N frames per sample (N calibrated so
the slowest contender's sample takes about --sample-ms), the three contenders
interleaved sample by sample in rotating order, garbage collection paused
during a sample (gc.freeze() after setup); medians over the samples, and the
ratios as the median of the per-sample ratios (adjacent samples are paired).

Import footprint (``--only imports``): ``import wsauth.bybit`` (the installed
package) and a vendored lone copy of generated/wsauth/bybit.py (copied to a
temporary folder, imported as the top-level module ``bybit`` under ``-I -S`` so
that neither the package nor site-packages can be on the path), each against
the floor ``import hmac, hashlib, json`` in the same interpreter mode; target
within 2 ms and 1 MiB. Fresh interpreters (subprocess, through /bin/sh so that
ru_maxrss is the child's own), interleaved round by round, medians over
--import-runs: the import statement timed inside the child with
perf_counter_ns (interpreter start-up excluded; ``-X importtime`` was not used:
it reports no memory and its own bookkeeping inflates small imports) and the
child's peak RSS from getrusage(RUSAGE_SELF).ru_maxrss (KiB; /proc VmHWM recorded as a
cross-check). Warm bytecode caches (one unrecorded warm-up run per condition).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import cProfile
import gc
import hashlib
import hmac
import io
import json
import os
import platform
import pstats
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/run.py` puts bench/ first, not the repo
    sys.path.insert(0, str(REPO))

import ccxt  # type: ignore[import-untyped]  # noqa: E402
from ccxt.async_support.base.ws.future import Future as _CcxtFuture  # type: ignore[import-untyped]  # noqa: E402

from bench import entries as per_entry  # noqa: E402
from bench import generator_speed  # noqa: E402
from tests.reference import ccxt_capture as cap  # noqa: E402
from wsauth import bybit, gate, kraken, krakenfutures  # noqa: E402

dumps = json.dumps
perf_counter_ns = time.perf_counter_ns

FLOOR_RATIO_TARGET = 1.20
CCXT_RATIO_TARGET = 1.00
IMPORT_MS_TARGET = 2.0
IMPORT_KIB_TARGET = 1024

DEFAULT_RESULTS = REPO / "bench" / "results.json"


# ---------------------------------------------------------------------------
# the four flows
# ---------------------------------------------------------------------------


@dataclass
class Flow:
    key: str
    label: str
    scenario: str  # the capture scenario whose inputs are used
    what: dict[str, str]
    ours: Callable[[int], str]
    floor: Callable[[int], str]
    # (exchange, session, capture, sent) -> (run(n) coroutine fn, per-sample reset)
    ccxt_setup: Callable[..., tuple[Callable[[int], Awaitable[str]], Callable[[], None]]]
    reference: Callable[[dict], Any]  # capture -> the frame ccxt sent
    kwargs: dict = field(default_factory=dict)


def _scenario(name: str) -> dict:
    for s in cap.SCENARIOS:
        if s["name"] == name:
            return copy.deepcopy(s["kwargs"])
    raise SystemExit(f"bench: the capture has no scenario {name!r}")


def _flow_direct() -> Flow:
    kw = _scenario("bybit-1")
    c, now = kw["credentials"], kw["now_ms"]
    creds = bybit.Credentials(api_key=c["api_key"], secret=c["secret"])
    opts: bybit.Opts = {"now_ms": now}
    build = bybit.build_auth_message

    def ours(n: int) -> str:
        s = ""
        for _ in range(n):
            s = dumps(build(creds, opts=opts))
        return s

    key, secret = c["api_key"], c["secret"]

    def floor(n: int) -> str:
        s = ""
        for _ in range(n):
            e = str(now + 10000)
            s = dumps({"op": "auth", "args": [key, e, hmac.new(secret.encode(), ("GET/realtime" + e).encode(), hashlib.sha256).hexdigest()]})
        return s

    def ccxt_setup(ex, session, captured, sent):
        url = captured["ws_url"]
        client = ex.client(url)
        # the server's verdict, already in: authenticate() awaits this future
        client.future("authenticated").resolve(True)
        authenticate = ex.authenticate

        async def run(n: int) -> str:
            for _ in range(n):
                await authenticate(url)
            return sent[0]

        return run, lambda: None

    return Flow(
        key="direct",
        label="direct: bybit `build_auth_message`",
        scenario="bybit-1",
        what={
            "ours": "bybit.build_auth_message(credentials, opts={'now_ms': ...}) + json.dumps",
            "floor": "str(now+10000); hmac.new(secret.encode(), ..., sha256).hexdigest(); one dict + json.dumps",
            "ccxt": "ccxt.pro.bybit.authenticate(url) (unmodified; watch() stubbed to json.dumps the frame, "
                    "the auth future pre-settled) — check_required_credentials, client lookup, "
                    "milliseconds, hmac, extend",
        },
        ours=ours,
        floor=floor,
        ccxt_setup=ccxt_setup,
        reference=lambda cp: cp["frames"][0],
        kwargs=kw,
    )


def _flow_inline() -> Flow:
    kw = _scenario("gate-spot-1")
    c, now, rid = kw["credentials"], kw["now_ms"], kw["request_id"]
    channel = "spot.orders"
    creds = gate.Credentials(api_key=c["api_key"], secret=c["secret"])
    opts: gate.Opts = {"now_ms": now, "market_type": "spot"}
    build = gate.build_subscribe_auth

    def ours(n: int) -> str:
        s = ""
        for _ in range(n):
            frame = {"id": rid, "channel": channel, "event": "subscribe", "payload": ["!all"]}
            frame.update(build(creds, channel=channel, opts=opts))  # no shared keys: the deep merge is this
            s = dumps(frame)
        return s

    key, secret = c["api_key"], c["secret"]

    def floor(n: int) -> str:
        s = ""
        for _ in range(n):
            t = now // 1000
            s = dumps({"id": rid, "time": t, "channel": channel, "event": "subscribe", "auth": {"method": "api_key", "KEY": key, "SIGN": hmac.new(secret.encode(), f"channel={channel}&event=subscribe&time={t}".encode(), hashlib.sha512).hexdigest()}, "payload": ["!all"]})
        return s

    def ccxt_setup(ex, session, captured, sent):
        url = ex.get_url_by_market_type("spot")  # as watch_orders() computes it
        client = ex.client(url)
        subscribe_private = ex.subscribe_private

        async def run(n: int) -> str:
            for _ in range(n):
                # exactly watch_orders()'s call for a spot order stream
                await subscribe_private(url, "orders", ["!all"], channel, {}, False)
            return sent[0]

        def reset() -> None:
            # ccxt files each request id under client.subscriptions; the
            # capture's request-id recorder appends each draw: keep both small
            client.subscriptions.clear()
            session.request_id_draws.clear()

        return run, reset

    return Flow(
        key="inline",
        label="inline: gate spot `build_subscribe_auth`",
        scenario="gate-spot-1",
        what={
            "ours": "gate.build_subscribe_auth(credentials, channel=..., opts={'now_ms', 'market_type'}) "
                    "merged into {id, channel, event, payload} + json.dumps",
            "floor": "now//1000; hmac.new(secret.encode(), f'channel=...&event=subscribe&time=...', sha512).hexdigest(); "
                     "one dict + json.dumps",
            "ccxt": "ccxt.pro.gate.subscribe_private(url, 'orders', ['!all'], 'spot.orders', {}, False) "
                    "(unmodified, as watch_orders calls it; watch() stubbed to json.dumps the frame) — "
                    "credentials check, seconds, hmac, request_id, client lookup, extend",
        },
        ours=ours,
        floor=floor,
        ccxt_setup=ccxt_setup,
        reference=lambda cp: cp["subscribe_frames"][0],
        kwargs=kw,
    )


def _flow_pre_auth() -> Flow:
    kw = _scenario("kraken-1")
    c, now, nonce = kw["credentials"], kw["now_ms"], kw["nonce"]
    creds = kraken.Credentials(api_key=c["api_key"], secret=c["secret"])
    opts: kraken.Opts = {"now_ms": now, "nonce": nonce}
    build = kraken.pre_auth

    def ours(n: int) -> str:
        s = ""
        for _ in range(n):
            r = build(creds, opts=opts).request
            s = dumps({"method": r.method, "url": r.url, "headers": r.headers, "body": r.body})
        return s

    key, secret = c["api_key"], c["secret"]
    url = "https://api.kraken.com/0/private/GetWebSocketsToken"

    def floor(n: int) -> str:
        s = ""
        for _ in range(n):
            body = f"nonce={nonce}"
            sign = base64.b64encode(hmac.new(base64.b64decode(secret), b"/0/private/GetWebSocketsToken" + hashlib.sha256((str(nonce) + body).encode()).digest(), hashlib.sha512).digest()).decode()
            s = dumps({"method": "POST", "url": url, "headers": {"API-Key": key, "API-Sign": sign, "Content-Type": "application/x-www-form-urlencoded"}, "body": body})
        return s

    def ccxt_setup(ex, session, captured, sent):
        sign = ex.sign

        async def run(n: int) -> str:
            s = ""
            for _ in range(n):
                # what fetch2() calls for privatePostGetWebSocketsToken()
                s = dumps(sign("GetWebSocketsToken", ["private"], "POST", {}))
            return s

        def reset() -> None:
            session.nonce_draws.clear()  # the capture's nonce recorder

        return run, reset

    return Flow(
        key="pre_auth",
        label="pre_auth: kraken `pre_auth`",
        scenario="kraken-1",
        what={
            "ours": "kraken.pre_auth(credentials, opts={'now_ms', 'nonce'}).request as "
                    "{method, url, headers, body} + json.dumps",
            "floor": "body f-string; b64decode(secret); sha256; hmac.new(..., sha512); b64encode; "
                     "one dict + json.dumps",
            "ccxt": "ccxt.pro.kraken.sign('GetWebSocketsToken', ['private'], 'POST', {}) (unmodified: "
                    "credentials check, incrementing_nonce, urlencode, sha256, hmac) + json.dumps of "
                    "its {url, method, body, headers}; fetch2's bookkeeping not included",
        },
        ours=ours,
        floor=floor,
        ccxt_setup=ccxt_setup,
        reference=lambda cp: cp["rest"][0],
        kwargs=kw,
    )


def _flow_challenge() -> Flow:
    kw = _scenario("krakenfutures-1")
    c, challenge = kw["credentials"], kw["challenge"]
    feed = "open_orders"
    creds = krakenfutures.Credentials(api_key=c["api_key"], secret=c["secret"])
    opts: krakenfutures.Opts = {"challenge": challenge}
    build = krakenfutures.build_subscribe_auth

    def ours(n: int) -> str:
        s = ""
        for _ in range(n):
            frame = {"event": "subscribe", "feed": feed}
            frame.update(build(creds, channel=feed, opts=opts))
            s = dumps(frame)
        return s

    key, secret = c["api_key"], c["secret"]

    def floor(n: int) -> str:
        s = ""
        for _ in range(n):
            sign = base64.b64encode(hmac.new(base64.b64decode(secret), hashlib.sha256(challenge.encode()).digest(), hashlib.sha512).digest()).decode()
            s = dumps({"event": "subscribe", "feed": feed, "api_key": key, "original_challenge": challenge, "signed_challenge": sign})
        return s

    def ccxt_setup(ex, session, captured, sent):
        client = ex.client(ex.urls["api"]["ws"])
        # the challenge request is already out and answered: authenticate()
        # finds its subscription and the (then settled) future
        client.subscriptions["challenge"] = True
        client.future("challenge")
        handle_authenticate = ex.handle_authenticate
        subscribe_private = ex.subscribe_private
        message = {"event": "challenge", "message": challenge}

        async def run(n: int) -> str:
            for _ in range(n):
                handle_authenticate(client, message)  # signs the challenge
                await subscribe_private(feed, "orders")  # as watch_orders() calls it
            return sent[0]

        return run, lambda: None

    return Flow(
        key="challenge",
        label="challenge: krakenfutures `build_subscribe_auth`",
        scenario="krakenfutures-1",
        what={
            "ours": "krakenfutures.build_subscribe_auth(credentials, channel=..., opts={'challenge'}) "
                    "merged into {event, feed} + json.dumps",
            "floor": "b64decode(secret); sha256(challenge); hmac.new(..., sha512); b64encode; one dict + json.dumps",
            "ccxt": "ccxt.pro.krakenfutures.handle_authenticate(client, challenge reply) (signs) then "
                    "subscribe_private('open_orders', 'orders') (unmodified; watch() stubbed to json.dumps the frame)",
        },
        ours=ours,
        floor=floor,
        ccxt_setup=ccxt_setup,
        reference=lambda cp: cp["subscribe_frames"][0],
        kwargs=kw,
    )


SECTIONS = ("entries", "frames", "imports", "generator")

FLOWS: tuple[Callable[[], Flow], ...] = (_flow_direct, _flow_inline, _flow_pre_auth, _flow_challenge)
CONTENDERS = ("ours", "floor", "ccxt")


# ---------------------------------------------------------------------------
# per-frame timing
# ---------------------------------------------------------------------------


def _stats(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return {"median": statistics.median(values), "p25": q[0], "p75": q[2], "min": min(values)}


class VerificationError(RuntimeError):
    pass


async def _per_frame_async(flows: list[Flow], captures: dict[str, dict], args) -> tuple[dict, dict]:
    exchanges = []
    runners: dict[str, dict[str, tuple[Callable, bool, Callable[[], None]]]] = {}
    verification: dict[str, Any] = {}
    try:
        # -- setup and the one-off equality check, before any timing ------------
        for flow in flows:
            kw = flow.kwargs
            captured = captures[flow.key]
            entry = cap.ENTRIES[(kw["entry"], kw["market_type"])]
            session = cap._Session(entry, kw["now_ms"], dict(kw["credentials"]), kw.get("nonce"),
                                   kw.get("request_id"), kw.get("token"), kw.get("challenge"))
            ex = cap._make_exchange(session)
            exchanges.append(ex)
            sent = [""]
            settled = _CcxtFuture()
            settled.set_result(None)

            def watch(url, message_hash, message=None, subscribe_hash=None, subscription=None, _sent=sent, _done=settled):
                _sent[0] = dumps(message)
                return _done

            ex.watch = watch  # the network edge: where ccxt hands the frame to its socket
            run, reset = flow.ccxt_setup(ex, session, captured, sent)
            outputs = {"ours": flow.ours(1), "floor": flow.floor(1), "ccxt": await run(1)}
            reference = flow.reference(captured)
            decoded = {name: json.loads(text) for name, text in outputs.items()}
            bad = [name for name, value in decoded.items() if value != reference]
            verification[flow.key] = {
                "equal_to_capture": not bad,
                "reference": reference,
                "outputs": outputs,
            }
            if bad:
                raise VerificationError(
                    f"{flow.key}: {', '.join(bad)} differ(s) from the capture's frame\n"
                    f"  capture: {json.dumps(reference, sort_keys=True)}\n"
                    + "".join(f"  {n}: {json.dumps(decoded[n], sort_keys=True)}\n" for n in bad))
            runners[flow.key] = {
                "ours": (flow.ours, False, lambda: None),
                "floor": (flow.floor, False, lambda: None),
                "ccxt": (run, True, reset),
            }

        gc.collect()
        gc.freeze()  # keep ccxt's heap out of any collection during a sample

        async def once(name: str, fn, is_async: bool, reset, n: int) -> int:
            reset()
            gc.disable()
            try:
                if is_async:
                    t0 = perf_counter_ns()
                    await fn(n)
                    t1 = perf_counter_ns()
                else:
                    t0 = perf_counter_ns()
                    fn(n)
                    t1 = perf_counter_ns()
            finally:
                gc.enable()
            return t1 - t0

        results: dict[str, Any] = {}
        target_ns = args.sample_ms * 1_000_000
        for flow in flows:
            contenders = runners[flow.key]
            # warm up and calibrate: N so that the slowest contender's sample ≈ target
            slowest = 0.0
            for name, (fn, is_async, reset) in contenders.items():
                await once(name, fn, is_async, reset, 200)
                per = await once(name, fn, is_async, reset, 500) / 500
                slowest = max(slowest, per)
            n = max(100, int(target_ns / slowest))
            raw: dict[str, list[float]] = {name: [] for name in CONTENDERS}
            for i in range(args.samples):
                order = CONTENDERS[i % 3:] + CONTENDERS[:i % 3]
                for name in order:
                    fn, is_async, reset = contenders[name]
                    raw[name].append(await once(name, fn, is_async, reset, n) / n)
            us = {name: {k: v / 1000 for k, v in _stats(raw[name]).items()} for name in CONTENDERS}
            ratios = {}
            for other in ("floor", "ccxt"):
                paired = [a / b for a, b in zip(raw["ours"], raw[other])]
                ratios[f"ours/{other}"] = {
                    **_stats(paired),
                    "ratio_of_medians": us["ours"]["median"] / us[other]["median"],
                }
            fr = ratios["ours/floor"]["median"]
            cr = ratios["ours/ccxt"]["median"]
            results[flow.key] = {
                "label": flow.label,
                "scenario": flow.scenario,
                "what": flow.what,
                "frames_per_sample": n,
                "samples": args.samples,
                "us_per_frame": us,
                "ratios": ratios,
                "targets": {
                    "ours/floor": {"target": FLOOR_RATIO_TARGET, "value": fr, "pass": fr <= FLOOR_RATIO_TARGET,
                                   "margin": FLOOR_RATIO_TARGET - fr},
                    "ours/ccxt": {"target": CCXT_RATIO_TARGET, "value": cr, "pass": cr <= CCXT_RATIO_TARGET,
                                  "margin": CCXT_RATIO_TARGET - cr},
                },
                "raw_ns_per_frame": raw,
            }
        return results, verification
    finally:
        gc.unfreeze()
        for ex in exchanges:
            try:
                await ex.close()
            except Exception:  # noqa: BLE001 - teardown of a fake-network exchange
                pass
        for _ in range(5):
            await asyncio.sleep(0)


def per_frame(args) -> tuple[dict, dict]:
    flows = [make() for make in FLOWS]
    # the capture's whole ccxt flow (in-memory socket/REST), once per entry: the reference frame
    captures = {f.key: cap.capture(**f.kwargs) for f in flows}
    clock = cap._Session(cap.ENTRIES[("bybit", None)], flows[0].kwargs["now_ms"], {}, None, None, None, None)
    if len({f.kwargs["now_ms"] for f in flows}) != 1:
        raise SystemExit("bench: the scenarios use different clocks")
    with cap._patched(clock):  # frozen clock on ccxt's base class, network blocked
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(_per_frame_async(flows, captures, args))
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()


def profile_ours(flow_key: str, calls: int) -> list[str]:
    flow = next(f for f in (make() for make in FLOWS) if f.key == flow_key)
    prof = cProfile.Profile()
    prof.runcall(flow.ours, calls)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(12)
    lines = [ln.rstrip() for ln in out.getvalue().splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    stdlib = os.path.dirname(os.__file__) + os.sep
    return [ln.replace(str(REPO) + os.sep, "").replace(stdlib, "<stdlib>/") for ln in lines[start:] if ln.strip()]


# ---------------------------------------------------------------------------
# import footprint
# ---------------------------------------------------------------------------

_CHILD = """\
import sys, time, resource
{setup}
t0 = time.perf_counter_ns()
{stmt}
t1 = time.perf_counter_ns()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
{check}
hwm = -1
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
sys.stdout.write("%d %d %d\\n" % (t1 - t0, rss, hwm))
"""

# Linux records the peak RSS of the memory image a process exec()s away from
# into the ru_maxrss it reports afterwards, and subprocess's vfork/posix_spawn
# hands the child this (ccxt-sized) parent's image: every child would report
# our peak. A shell in between forks the interpreter from its own small image.
_SHELL = shutil.which("sh")
_VIA_SHELL = ["/bin/sh" if os.path.exists("/bin/sh") else _SHELL, "-c", '"$@"; exit $?', "sh"] if _SHELL else []


@dataclass
class ImportCase:
    key: str
    label: str
    isolated: bool  # -I -S
    stmt: str
    setup: str = ""
    check: str = ""


def _import_cases(vendor_dir: str) -> list[ImportCase]:
    generated = str(REPO / "generated" / "wsauth")
    return [
        ImportCase("empty", "empty interpreter", False, "pass"),
        ImportCase("empty_isolated", "empty interpreter, `-I -S`", True, "pass"),
        ImportCase("floor", "floor: `import hmac, hashlib, json`", False, "import hmac, hashlib, json"),
        ImportCase("floor_isolated", "floor, `-I -S`", True, "import hmac, hashlib, json"),
        ImportCase("installed", "`import wsauth.bybit` (installed)", False, "import wsauth.bybit",
                   check=f"assert wsauth.bybit.__file__.startswith({generated!r}), wsauth.bybit.__file__"),
        ImportCase("vendored", "`import bybit` (vendored lone file, `-I -S`)", True, "import bybit",
                   setup=f"sys.path.insert(0, {vendor_dir!r})",
                   check=f"assert bybit.__file__.startswith({vendor_dir!r}) and 'wsauth' not in sys.modules"),
        ImportCase("ccxt_pro", "`import ccxt.pro`", False, "import ccxt.pro"),
    ]


def _run_child(case: ImportCase, cwd: str, env: dict[str, str]) -> tuple[float, int, int, float]:
    argv = [sys.executable] + (["-I", "-S"] if case.isolated else []) + [
        "-c", _CHILD.format(setup=case.setup, stmt=case.stmt, check=case.check)]
    t0 = time.perf_counter()
    proc = subprocess.run(_VIA_SHELL + argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench: import case {case.key} failed:\n{proc.stderr}")
    ns, rss, hwm = proc.stdout.split()
    return int(ns) / 1e6, int(rss), int(hwm), wall * 1000


def import_footprint(args) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with tempfile.TemporaryDirectory(prefix="wsauth-bench-") as tmp:
        vendor_dir = os.path.join(tmp, "vendor")
        cwd = os.path.join(tmp, "cwd")
        os.mkdir(vendor_dir)
        os.mkdir(cwd)
        shutil.copy2(REPO / "generated" / "wsauth" / "bybit.py", os.path.join(vendor_dir, "bybit.py"))
        cases = _import_cases(vendor_dir)
        for case in cases:  # warm-up: bytecode caches written, page cache warm
            _run_child(case, cwd, env)
        raw: dict[str, dict[str, list[float]]] = {
            c.key: {"ms": [], "kib": [], "vmhwm_kib": [], "wall_ms": []} for c in cases}
        for i in range(args.import_runs):
            k = i % len(cases)
            for case in cases[k:] + cases[:k]:
                ms, kib, hwm, wall = _run_child(case, cwd, env)
                raw[case.key]["ms"].append(ms)
                raw[case.key]["kib"].append(kib)
                raw[case.key]["vmhwm_kib"].append(hwm)
                raw[case.key]["wall_ms"].append(wall)
    med = {key: {m: statistics.median(v) for m, v in r.items()} for key, r in raw.items()}
    out: dict[str, Any] = {
        "runs": args.import_runs,
        "launcher": shlex.join(_VIA_SHELL) if _VIA_SHELL else "direct (no sh: ru_maxrss may include the parent's peak)",
        "cases": {},
    }
    for case in cases:
        base = "empty_isolated" if case.isolated else "empty"
        out["cases"][case.key] = {
            "label": case.label,
            "argv_flags": ["-I", "-S"] if case.isolated else [],
            "statement": case.stmt,
            "import_ms": med[case.key]["ms"],
            "peak_rss_kib": med[case.key]["kib"],
            "vmhwm_kib": med[case.key]["vmhwm_kib"],  # cross-check: /proc/self/status VmHWM
            "process_wall_ms": med[case.key]["wall_ms"],  # parent's view, shell and startup included
            "delta_vs_empty": {"ms": med[case.key]["ms"] - med[base]["ms"],
                               "kib": med[case.key]["kib"] - med[base]["kib"]},
            "raw": raw[case.key],
        }
    targets = {}
    for ours, floor in (("installed", "floor"), ("vendored", "floor_isolated")):
        dms = med[ours]["ms"] - med[floor]["ms"]
        dkib = med[ours]["kib"] - med[floor]["kib"]
        targets[ours] = {
            "vs": floor,
            "ms_over_floor": dms, "ms_target": IMPORT_MS_TARGET, "ms_pass": dms <= IMPORT_MS_TARGET,
            "kib_over_floor": dkib, "kib_target": IMPORT_KIB_TARGET, "kib_pass": dkib <= IMPORT_KIB_TARGET,
        }
    out["targets"] = targets
    return out


# ---------------------------------------------------------------------------
# machine, report
# ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import orjson  # type: ignore[import-not-found]

        orjson_version: str | None = orjson.__version__
    except ImportError:
        orjson_version = None
    return {
        "platform": platform.platform(),
        "cpu_model": cpu or platform.processor() or "unknown",
        "logical_cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_build": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "ccxt": ccxt.__version__,
        "orjson_installed": orjson_version,
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _verdict(passed: bool, text: str) -> str:
    return f"pass ({text})" if passed else f"**MISS** ({text})"


def _ratio_cell(t: dict) -> str:
    m = t["margin"]
    return f"{t['value']:.2f} " + _verdict(t["pass"], f"{abs(m):.2f} {'under' if m >= 0 else 'over'}")


def render(report: dict) -> str:
    m = report["machine"]
    s = report["settings"]
    lines = [
        "## wsauth benchmark",
        "",
        f"- Machine: {m['platform']}; CPU: {m['cpu_model']} ({m['logical_cpus']} logical CPUs); "
        f"load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_at_start'] or [])}",
        f"- Python: {m['python']} ({m['executable']}); ccxt {m['ccxt']}"
        + (f" (orjson {m['orjson_installed']} installed: ccxt's own send path would use it; "
           "all three contenders here use stdlib json.dumps)" if m["orjson_installed"] else ""),
        f"- Command: `{report['command']}`",
        "",
    ]
    ent = report.get("entries")
    if ent:
        lines += per_entry.render(ent, m["ccxt"], s["entry_samples"], s["entry_sample_ms"])
    pf = report.get("per_frame")
    if pf:
        lines += [
            f"### Per-frame cost (µs per frame, JSON encoding included; median of {s['samples']} interleaved "
            f"samples of {min(r['frames_per_sample'] for r in pf.values())}–"
            f"{max(r['frames_per_sample'] for r in pf.values())} frames; ratios = median of per-sample ratios)",
            "",
            f"| flow | ours | floor | ccxt {m['ccxt']} | ours/floor (target ≤ {FLOOR_RATIO_TARGET:.2f}) "
            f"| ours/ccxt (target ≤ {CCXT_RATIO_TARGET:.2f}) |",
            "|---|---:|---:|---:|---|---|",
        ]
        for r in pf.values():
            us = r["us_per_frame"]
            lines.append(
                f"| {r['label']} | {us['ours']['median']:.2f} | {us['floor']['median']:.2f} | "
                f"{us['ccxt']['median']:.2f} | {_ratio_cell(r['targets']['ours/floor'])} | "
                f"{_ratio_cell(r['targets']['ours/ccxt'])} |")
        lines.append("")
    imp = report.get("import")
    if imp:
        c = imp["cases"]
        lines += [
            f"### Import footprint (fresh interpreter per run, median of {imp['runs']} interleaved runs; "
            "import timed inside the child; peak RSS = ru_maxrss of the child)",
            "",
            "| import | import ms | Δ ms vs empty | peak RSS KiB | Δ KiB vs empty |",
            "|---|---:|---:|---:|---:|",
        ]
        for case in c.values():
            lines.append(
                f"| {case['label']} | {case['import_ms']:.2f} | {case['delta_vs_empty']['ms']:+.2f} | "
                f"{case['peak_rss_kib']:.0f} | {case['delta_vs_empty']['kib']:+.0f} |")
        lines += ["", f"| over the floor (target: within {IMPORT_MS_TARGET:g} ms and {IMPORT_KIB_TARGET / 1024:g} MiB) "
                      "| Δ ms | Δ MiB |", "|---|---|---|"]
        for key, t in imp["targets"].items():
            ms_spare = t["ms_target"] - t["ms_over_floor"]
            mib_spare = (t["kib_target"] - t["kib_over_floor"]) / 1024
            lines.append(
                f"| {c[key]['label']} vs {c[t['vs']]['label']} | {t['ms_over_floor']:+.2f} "
                + _verdict(t["ms_pass"], f"{abs(ms_spare):.2f} ms {'spare' if ms_spare >= 0 else 'over'}")
                + f" | {t['kib_over_floor'] / 1024:+.2f} "
                + _verdict(t["kib_pass"], f"{abs(mib_spare):.2f} MiB {'spare' if mib_spare >= 0 else 'over'}")
                + " |")
        lines.append("")
    if pf:
        lines += ["### What each contender measures", ""]
        for r in pf.values():
            lines.append(f"- **{r['label']}** — ours: {r['what']['ours']}; floor: {r['what']['floor']}; "
                         f"ccxt: {r['what']['ccxt']}.")
        lines += ["", "Each flow's three outputs were checked equal to each other and to the frame the "
                      "capture records ccxt sending (tests/reference/ccxt_capture.py), for the same inputs, "
                      "before timing.", ""]
    if report.get("generator"):
        lines += generator_speed.render(report["generator"])
    prof = report.get("profile")
    if prof:
        lines += ["### cProfile of ours where a per-frame target is missed (tottime; cProfile inflates calls)", ""]
        for key, text in prof.items():
            lines += [f"{key}:", "", "```", *text, "```", ""]
    return "\n".join(lines)


def _command(prog: str | None, argv: list[str]) -> str:
    exe = sys.executable
    try:
        exe = os.path.relpath(exe, Path.cwd()) if Path(exe).is_relative_to(Path.cwd()) else exe
    except ValueError:
        pass
    head = [exe, "-m", "bench"] if prog == "-m bench" else [exe, os.path.relpath(__file__, Path.cwd())
                                                             if Path(__file__).is_relative_to(Path.cwd()) else __file__]
    return shlex.join(head + argv)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m bench" if prog else "bench/run.py",
        description="Per-frame cost and import footprint of wsauth vs the floor and ccxt (prints markdown, writes JSON).")
    parser.add_argument("--quick", action="store_true", help="smoke run: 9 samples of ~3 ms, 4 import runs")
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS, help=f"JSON output (default {DEFAULT_RESULTS.relative_to(REPO)})")
    parser.add_argument("--samples", type=int, help="per-frame samples per contender (default 41; quick 9)")
    parser.add_argument("--sample-ms", type=float, help="target duration of the slowest contender's sample (default 15; quick 3)")
    parser.add_argument("--import-runs", type=int, help="fresh interpreters per import case (default 21; quick 4)")
    parser.add_argument("--only", choices=SECTIONS, help="run one section only")
    parser.add_argument("--entries", metavar="A,B", help="restrict the per-entry section to these entries "
                        "(an id covers each of its markets; or id-market, e.g. gate-spot)")
    parser.add_argument("--entry-samples", type=int, help="per-entry samples per side (default 31; quick 5)")
    parser.add_argument("--entry-sample-ms", type=float, help="per-entry sample length (default 4; quick 1)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile of a flow that misses a target")
    args = parser.parse_args(argv)
    args.samples = args.samples or (9 if args.quick else 41)
    args.sample_ms = args.sample_ms or (3.0 if args.quick else 15.0)
    args.import_runs = args.import_runs or (4 if args.quick else 21)
    args.entry_samples = args.entry_samples or (5 if args.quick else 31)
    args.entry_sample_ms = args.entry_sample_ms or (1.0 if args.quick else 4.0)
    names = per_entry.select(args.entries)  # a bad --entries fails before anything runs
    if args.samples < 3 or args.import_runs < 1:
        parser.error("need at least 3 samples and 1 import run")

    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": machine(),
        "command": _command(prog, argv),
        "settings": {"samples": args.samples, "sample_ms": args.sample_ms, "import_runs": args.import_runs,
                     "quick": args.quick, "json_encoder": "json.dumps(frame)",
                     "clock": "time.perf_counter_ns"},
        "targets": {"ours/floor": f"<= {FLOOR_RATIO_TARGET}", "ours/ccxt": f"<= {CCXT_RATIO_TARGET}",
                    "import": f"within {IMPORT_MS_TARGET} ms and {IMPORT_KIB_TARGET} KiB of the floor"},
    }
    if ccxt.__version__ != cap.CCXT_VERSION:
        print(f"warning: ccxt {ccxt.__version__} installed, the comparison is meant for {cap.CCXT_VERSION}",
              file=sys.stderr)
    if args.only in (None, "entries"):
        print(f"entries: {len(names)} entry-markets, ours vs ccxt's own methods ...", file=sys.stderr)
        report["entries"] = per_entry.measure(names, args.entry_samples, args.entry_sample_ms,
                                              lambda line: print(line, file=sys.stderr))
        report["settings"]["entry_samples"] = args.entry_samples
        report["settings"]["entry_sample_ms"] = args.entry_sample_ms
    if args.only in (None, "frames"):
        print("per-frame: capturing ccxt's reference frames, verifying, timing ...", file=sys.stderr)
        try:
            report["per_frame"], report["verification"] = per_frame(args)
        except VerificationError as exc:
            print(f"bench: the contenders do not produce the same frame:\n{exc}", file=sys.stderr)
            return 2
        missed = [k for k, r in report["per_frame"].items() if not all(t["pass"] for t in r["targets"].values())]
        if missed and not args.no_profile:
            report["profile"] = {k: profile_ours(k, 2000 if args.quick else 20000) for k in missed}
    if args.only in (None, "imports"):
        print("imports: fresh interpreters ...", file=sys.stderr)
        report["import"] = import_footprint(args)
    if args.only in (None, "generator"):
        report["generator"] = generator_speed.measure(args.quick)
    report["elapsed_s"] = time.perf_counter() - started

    text = render(report)
    print(text)
    print(f"elapsed {report['elapsed_s']:.1f} s; JSON written to {args.out}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
