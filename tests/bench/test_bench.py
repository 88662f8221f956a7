"""The benchmark command runs and prints its numbers (no timing is asserted:
numbers come from `python -m bench`, not from the suite)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _bench(tmp_path: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path / "results.json"), *args],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_imports_section_prints_both_imports_over_the_floor(tmp_path: Path) -> None:
    out = _bench(tmp_path, "--only", "imports", "--import-runs", "1")
    assert re.search(r"`import wsauth\.bybit` \(installed\) vs floor.*\| [+-]\d+\.\d\d .*\| [+-]\d+\.\d\d ", out), out
    assert re.search(r"`import bybit` \(vendored lone file.*\| [+-]\d+\.\d\d .*\| [+-]\d+\.\d\d ", out), out


def test_per_entry_section_prints_a_ratio_for_one_entry(tmp_path: Path) -> None:
    out = _bench(tmp_path, "--only", "entries", "--entries", "bybit")
    assert re.search(r"^\| bybit \| auth_message \| authenticate \| [\d.]+ \| [\d.]+ \| \d+\.\d\d \[", out, re.M), out
