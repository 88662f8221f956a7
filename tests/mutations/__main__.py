"""``python -m tests.mutations``: make each deliberate mistake in a scratch
copy of the repo, regenerate, run the tests that must catch it, and report
which survive. See tests/mutations/__init__.py for the list and the rules.

Exit status: 0 when every mutation is killed or is a listed equivalent; 1
when one survives unexplained, an equivalent is killed (its reason is stale),
a mutation no longer applies, or the baseline is red.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import MUTATIONS, Mutation, NotApplicable

ROOT = Path(__file__).resolve().parents[2]
# Never copied: history, the virtualenv, caches that only slow the copy.
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "*.egg-info")


def _run(argv: tuple[str, ...], cwd: Path, timeout_s: float) -> tuple[int | None, str]:
    """``python -m argv`` in the copy, importing the copy's wsauth (not the
    editable install's); (exit status, or None on timeout; the output's tail)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(cwd / "generated"), str(cwd))), PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen(
        [sys.executable, "-m", *argv], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the test's own servers too
        output, _ = process.communicate()
        return None, output[-2000:]
    except BaseException:  # interrupted: leave nothing running in the copy about to be removed
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return process.returncode, output[-2000:]


def _regenerate(mutation: Mutation, copy: Path, timeout_s: float) -> tuple[int | None, str]:
    argv: tuple[str, ...] = ("generator",)
    for entry in mutation.regen:
        argv += ("--exchange", entry)
    return _run(argv, copy, timeout_s)


def _outcome(mutation: Mutation, base: Path, scratch: Path, timeout_s: float) -> tuple[str, str]:
    """("killed" | "survived", how) for one mutation, in a fresh copy of base."""
    copy = scratch / "mutant"
    shutil.copytree(base, copy, symlinks=True)
    try:
        target = copy / mutation.file
        target.write_text(mutation.apply(target.read_text(encoding="utf-8")), encoding="utf-8")
        if mutation.regenerates:
            status, output = _regenerate(mutation, copy, timeout_s)
            if status != 0:
                return "killed", "the generator refused it: " + (output.strip().splitlines() or ["(no output)"])[-1]
        passed = []
        for command in mutation.run:
            status, output = _run(command, copy, timeout_s)
            if status is None:
                return "killed", f"timed out after {timeout_s:g} s"
            if status != 0:
                lines = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR")) or "file(s) differ" in line]
                return "killed", (lines or output.strip().splitlines()[-1:] or ["(no output)"])[0][:160]
            passed.append((output.strip().splitlines() or ["(no output)"])[-1])
        return "survived", "; ".join(passed)[:200]
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _baseline(chosen: list[Mutation]) -> list[tuple[str, ...]]:
    """Every command the mutations run, on the unmutated copy, in as few
    processes as possible: the pytest commands as two supersets (the files
    run whole, and the files run with -k under the union of their -k), the
    others as they are. A mutation is killed only by a test that passes here."""
    whole: dict[str, None] = {}
    selected: dict[str, None] = {}
    selectors: dict[str, None] = {}
    others: dict[tuple[str, ...], None] = {}
    for command in (command for m in chosen for command in m.run):
        if command[0] != "pytest":
            others[command] = None
            continue
        words = [word for word in command[1:] if word not in ("-q", "-x")]
        if "-k" in words:
            at = words.index("-k")
            selectors[f"({words[at + 1]})"] = None
            selected.update(dict.fromkeys(words[:at] + words[at + 2:]))
        else:
            whole.update(dict.fromkeys(words))
    commands = list(others)
    if whole:
        commands.append(("pytest", "-q", *whole))
    if selected:
        commands.append(("pytest", "-q", *selected, "-k", " or ".join(selectors)))
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="TEXT", help="mutations whose name contains TEXT (a group: catalogue, templates, generator, generated, session)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for each command (default 300)")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the commands on the unmutated copy first")
    parser.add_argument("--report", type=Path, help="also write the summary (markdown) to this file")
    args = parser.parse_args(argv)

    chosen = [m for m in MUTATIONS if not args.only or any(text in m.name for text in args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.name}\n    {m.file}: {m.why}" + (f"\n    equivalent: {m.equivalent}" if m.equivalent else ""))
        print(f"{len(chosen)} mutation(s)")
        return 0
    if not chosen:
        print("no mutation matches", file=sys.stderr)
        return 2
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a terminated run removes its copy too
    with tempfile.TemporaryDirectory(prefix="wsauth-mutations-") as folder:
        scratch = Path(folder)
        base = scratch / "base"
        shutil.copytree(ROOT, base, ignore=SKIP, symlinks=True)
        # The copy must be what its catalogue renders (this also warms the cache).
        status, output = _run(("generator", "--check"), base, args.timeout)
        if status != 0:
            print(f"the tree does not match the catalogue; run python -m generator first\n{output}", file=sys.stderr)
            return 1
        if not args.no_baseline:
            for command in _baseline(chosen):
                status, output = _run(command, base, args.timeout * 4)
                if status != 0:
                    print(f"baseline red: python -m {' '.join(command)}\n{output}", file=sys.stderr)
                    return 1
        results: list[tuple[Mutation, str, str]] = []
        for index, mutation in enumerate(chosen, 1):
            try:
                outcome, how = _outcome(mutation, base, scratch, args.timeout)
            except NotApplicable as exc:
                outcome, how = "error", str(exc)
            results.append((mutation, outcome, how))
            label = {"killed": "killed  ", "survived": "SURVIVED" if not mutation.equivalent else "survived", "error": "ERROR   "}[outcome]
            print(f"[{index}/{len(chosen)}] {label} {mutation.name}: {how}", flush=True)
    summary = _summary(results, time.monotonic() - started)
    print(summary)
    if args.report:
        args.report.write_text(summary, encoding="utf-8")
    bad = [m for m, outcome, _ in results if outcome == "error" or (outcome == "survived") != bool(m.equivalent)]
    return 1 if bad else 0


def _summary(results: list[tuple[Mutation, str, str]], seconds: float) -> str:
    killed = sum(outcome == "killed" for _, outcome, _ in results)
    survivors = [(m, how) for m, outcome, how in results if outcome == "survived"]
    errors = [(m, how) for m, outcome, how in results if outcome == "error"]
    stale = [m for m, outcome, _ in results if outcome == "killed" and m.equivalent]
    rate = killed / len(results) if results else 0.0
    lines = [
        "# Mutation run",
        "",
        (f"{len(results)} mutations: {killed} killed, {len(survivors)} survived, {len(errors)} not applicable; "
         f"kill rate {rate:.1%} ({seconds / 60:.1f} min)."),
        "",
    ]
    groups = dict.fromkeys(m.group for m, _, _ in results)
    lines += ["| group | mutations | killed |", "|---|---|---|"]
    for group in groups:
        rows = [outcome for m, outcome, _ in results if m.group == group]
        lines.append(f"| {group} | {len(rows)} | {rows.count('killed')} |")
    if survivors:
        lines += ["", "Survivors:"]
        lines += [f"- {m.name} ({m.file}): " + (f"equivalent: {m.equivalent}" if m.equivalent else f"NOT EXPLAINED ({m.why})")
                  for m, _ in survivors]
    if stale:
        lines += ["", "Listed as equivalent but killed (update the list):"] + [f"- {m.name}" for m in stale]
    if errors:
        lines += ["", "Not applicable (update the list):"] + [f"- {how}" for _, how in errors]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
