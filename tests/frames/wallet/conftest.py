"""tests/frames/wallet: the wallet-signing helpers (templates/helpers/wallet.py),
imported from the helper package where they stand (the source the generator
pastes into modules).

The helpers report bad input through a module-level ``_fail(what)``; the
``wallet`` fixture replaces it with this file's own factory, as a generated
module supplies its own, so every error test also proves the helpers call the
module's ``_fail`` and not something of their own."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.paths import TEMPLATES

HELPER = TEMPLATES / "helpers" / "wallet.py"


WALLET = importlib.import_module("templates.helpers.wallet")


class FakeModuleError(ValueError):
    """What a generated module's WsAuthInputError stands for here."""


def fake_fail(what: str) -> FakeModuleError:
    return FakeModuleError(f"testexchange: {what}")


@pytest.fixture
def wallet(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setattr(WALLET, "_fail", fake_fail)
    yield WALLET
