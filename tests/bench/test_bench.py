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


def test_per_entry_section_measures_the_wallet_entries(tmp_path: Path) -> None:
    # aster's listen key reaches the socket URL in the scenario's repair of
    # ccxt's watch_balance; grvt's session (the gravity cookie and the
    # X-Grvt-Account-Id header, ours' token) reaches the handshake in ccxt's
    # authenticate, not in the sign-in that only stores it in options.
    out = _bench(tmp_path, "--only", "entries", "--entries", "aster,grvt")
    for entry, method in (("aster-spot", "watch_balance"), ("aster-swap", "watch_balance"), ("grvt", "authenticate")):
        assert re.search(rf"^\| {entry} \| pre_auth \| {method} \| [\d.]+ \| [\d.]+ \| \d+\.\d\d \[", out, re.M), out
