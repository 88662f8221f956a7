"""Where things are, for every test wherever it stands."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PACKAGE = ROOT / "generated" / "wsauth"
TEMPLATES = ROOT / "templates"
