"""Generator speed: a cold regeneration against black alone, a warm --check,
a run after one entry changed, and synthetic catalogues of growing size.

Everything runs on copies in a temporary folder, never on the repository's
generated/ or its cache.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import black

from generator.cache import Cache
from generator.catalogue import load
from generator.render import BLACK_MODE, Renderer
from generator.tree import PACKAGE_FILES, render_tree

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO / "exchanges.toml"
COLD_TARGET = 1.5  # cold run / black alone
WARM_TARGET = 0.1  # warm --check and one-entry run / cold run


def _cli(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "generator", *args], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    return statistics.median(values)


def cold_against_black(runs: int) -> dict[str, Any]:
    """In one process, interleaved: the whole tree rendered with no cache, and
    black alone formatting the same rendered (unformatted) sources."""
    entries = load(CATALOGUE)
    renderer = Renderer()
    sources = [renderer.module_source(e) for e in entries] + [renderer.test_source(e) for e in entries]
    sources += [renderer.package_source(name, entries) for name in PACKAGE_FILES]
    ours, floor = [], []
    for _ in range(runs):
        started = time.perf_counter()
        render_tree(entries, cache=Cache(None))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        for source in sources:
            black.format_str(source, mode=BLACK_MODE)
        floor.append(time.perf_counter() - started)
    ratio = _median([o / f for o, f in zip(ours, floor)])
    return {"files": len(sources), "ours_s": _median(ours), "black_alone_s": _median(floor),
            "ratio": ratio, "pass": ratio <= COLD_TARGET}


def command_line(runs: int) -> dict[str, Any]:
    """Wall time of `python -m generator` as a user runs it (interpreter start
    included): cold, warm --check, and after one entry changed."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        catalogue = work / "exchanges.toml"
        shutil.copy(CATALOGUE, catalogue)
        out = work / "generated"
        args = ("--catalogue", str(catalogue), "--out", str(out))
        cold = [_cli(*args, "--no-cache") for _ in range(runs)]
        _cli(*args)  # fill the cache
        warm = [_cli(*args, "--check") for _ in range(runs)]
        text = catalogue.read_text(encoding="utf-8")
        one = []
        for n in range(runs):
            # A value never rendered before, so the changed entry always misses.
            start = text.index("expires_after_ms = ", text.index("\n[bybit]\n"))
            end = text.index("\n", start)
            changed = text[:start] + f"expires_after_ms = {20000 + n}" + text[end:]
            catalogue.write_text(changed, encoding="utf-8")
            one.append(_cli(*args))
    result = {"cold_s": _median(cold), "warm_check_s": _median(warm), "one_entry_s": _median(one)}
    for key in ("warm_check", "one_entry"):
        result[f"{key}_ratio"] = result[f"{key}_s"] / result["cold_s"]
        result[f"{key}_pass"] = result[f"{key}_ratio"] <= WARM_TARGET
    return result


def synthetic(sizes: tuple[int, ...]) -> dict[str, Any]:
    """Catalogues of N entries (the real ones, copied under new ids): load and
    validate, render cold, and --check warm; per-entry cost should stay flat."""
    base = CATALOGUE.read_text(encoding="utf-8")
    ids = [e.id for e in load(CATALOGUE)]
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            parts = []
            for copy in range(-(-size // len(ids))):
                # Renaming every table header and market table of each entry.
                renamed = re.sub(r"^\[(\w+)", lambda m: f"[{m.group(1)}_{copy:04d}", base, flags=re.M)
                parts.append(renamed)
            catalogue = work / "exchanges.toml"
            catalogue.write_text("\n".join(parts), encoding="utf-8")
            started = time.perf_counter()
            entries = load(catalogue)[:size]
            loaded = time.perf_counter() - started
            cache = Cache(work / ".cache")
            started = time.perf_counter()
            render_tree(entries, cache=cache)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            render_tree(entries, cache=Cache(work / ".cache"))
            warm = time.perf_counter() - started
        rows.append({"entries": size, "load_s": loaded, "cold_s": cold, "warm_s": warm,
                     "cold_ms_per_entry": cold / size * 1000, "warm_ms_per_entry": warm / size * 1000})
    first, last = rows[0], rows[-1]
    growth = last["cold_ms_per_entry"] / first["cold_ms_per_entry"]
    return {"rows": rows, "per_entry_growth": growth, "linear": growth <= 1.25}


def measure(quick: bool) -> dict[str, Any]:
    runs = 3 if quick else 5
    sizes = (10, 30, 100) if quick else (100, 300, 1000)
    print("generator: cold vs black alone ...", file=sys.stderr)
    report = {"cold_vs_black": cold_against_black(runs)}
    print("generator: command line cold / warm --check / one entry ...", file=sys.stderr)
    report["command_line"] = command_line(runs)
    print(f"generator: synthetic catalogues {sizes} (the largest takes minutes) ...", file=sys.stderr)
    report["synthetic"] = synthetic(sizes)
    return report


def _mark(ok: bool) -> str:
    return "pass" if ok else "**MISS**"


def render(report: dict[str, Any]) -> list[str]:
    c, cli, syn = report["cold_vs_black"], report["command_line"], report["synthetic"]
    lines = [
        "### Generator speed",
        "",
        "| measure | value | target | result |",
        "|---|---:|---|---|",
        f"| cold render of {c['files']} files, in process (no cache) | {c['ours_s']:.2f} s | | |",
        f"| black alone on the same rendered sources | {c['black_alone_s']:.2f} s | | |",
        f"| cold / black alone (median of interleaved pairs) | {c['ratio']:.2f}× | ≤ {COLD_TARGET}× | {_mark(c['pass'])} |",
        f"| `python -m generator --no-cache` (wall, cold) | {cli['cold_s']:.2f} s | | |",
        f"| `python -m generator --check`, nothing changed (wall) | {cli['warm_check_s']:.2f} s "
        f"({cli['warm_check_ratio']:.3f}× cold) | ≤ {WARM_TARGET}× cold | {_mark(cli['warm_check_pass'])} |",
        f"| `python -m generator` after one entry changed (wall) | {cli['one_entry_s']:.2f} s "
        f"({cli['one_entry_ratio']:.3f}× cold) | ≤ {WARM_TARGET}× cold | {_mark(cli['one_entry_pass'])} |",
        "",
        "| synthetic entries | load + validate | cold render | ms / entry | warm (cached) | ms / entry |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in syn["rows"]:
        lines.append(
            f"| {row['entries']} | {row['load_s']:.2f} s | {row['cold_s']:.1f} s | {row['cold_ms_per_entry']:.0f} "
            f"| {row['warm_s']:.2f} s | {row['warm_ms_per_entry']:.1f} |")
    lines += ["", f"Cold cost per entry from the smallest to the largest catalogue: ×{syn['per_entry_growth']:.2f} "
                  f"({'linear' if syn['linear'] else 'NOT linear'}: per-entry cost within 25%).", ""]
    return lines
