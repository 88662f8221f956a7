"""tests/frames/wallet: the wallet-signing helpers (templates/helpers/wallet.py),
loaded from their source file as the generator reads them.

The helpers report bad input through a module-level ``_fail(what)``; the
``wallet`` fixture replaces it with this file's own factory, as a generated
module supplies its own, so every error test also proves the helpers call the
module's ``_fail`` and not something of their own."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from tests.paths import TEMPLATES

HELPER = TEMPLATES / "helpers" / "wallet.py"


def load_helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wsauth_helpers_wallet", HELPER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


WALLET = load_helper()


class FakeModuleError(ValueError):
    """What a generated module's WsAuthInputError stands for here."""


def fake_fail(what: str) -> FakeModuleError:
    return FakeModuleError(f"testexchange: {what}")


@pytest.fixture
def wallet(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setattr(WALLET, "_fail", fake_fail)
    yield WALLET


def mypy_alone(folder: Path, *files: str) -> str:
    """mypy --strict over files copied alone into a folder, nothing installed:
    what vendoring a helper means. Its stdout, after asserting success."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-site-packages", *files],
        cwd=folder, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
