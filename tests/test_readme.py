"""The README's exchange table and its commands follow the project."""

from __future__ import annotations

import re
from pathlib import Path

from generator.catalogue import load

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_rows() -> dict[str, str]:
    rows = {}
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5:
            for name in cells[0].split(","):
                rows.setdefault(name.strip(), "")
                rows[name.strip()] += " " + cells[2]
    return rows


def test_every_entry_is_in_the_table_with_its_flows() -> None:
    rows = table_rows()
    for entry in load(ROOT / "exchanges.toml"):
        assert entry.id in rows, entry.id
        for variant in entry.variants:
            assert variant.flow in rows[entry.id], (entry.id, variant.flow)


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"# Run the whole test suite.*\n(.+)\n", README)
    assert command is not None
    assert command.group(1).strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
