"""What every runtime test shares: nothing it runs resolves a non-loopback
address, and no log record, exception or repr it sees holds a secret
(tests/session_checks.py has both fixtures and says how to seed them); and a
package rendered from a two-entry catalogue whose second entry is marked
unsupported, for the paths the real catalogue no longer takes."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import ROOT
from tests.session_checks import leaks, loopback_only

__all__ = ["Unsupported", "leaks", "loopback_only", "unsupported"]


@dataclass(frozen=True)
class Unsupported:
    """A rendered package (``root`` holds ``wsauth/``) listing ``name`` as unsupported for ``reason``."""

    root: Path
    name: str
    reason: str

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """``python -m wsauth ARGS`` with this package first on the path."""
        return subprocess.run(
            [sys.executable, "-m", "wsauth", *map(str, args)],
            capture_output=True, text=True, timeout=120, cwd=self.root, env={"PYTHONPATH": str(self.root)},
        )


@pytest.fixture(scope="session")
def unsupported(tmp_path_factory: pytest.TempPathFactory) -> Unsupported:
    """bybit's table from the catalogue, and an exchange marked unsupported."""
    catalogue = (ROOT / "exchanges.toml").read_text(encoding="utf-8")
    start = catalogue.index("\n[bybit]\n")
    bybit = catalogue[start : catalogue.index("\n[", catalogue.index("\n[bybit.reply]\n") + 1)]
    name, reason = "notyet", "signs with a recipe no one could prove (the test's own entry)"
    root = tmp_path_factory.mktemp("unsupported")
    path = root / "exchanges.toml"
    path.write_text(f'{bybit}\n\n[{name}]\nunsupported = "{reason}"\n', encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "generator", "--catalogue", str(path), "--out", str(root / "out")],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )
    return Unsupported(root / "out", name, reason)
