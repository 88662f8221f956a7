"""generated/ is committed: it must be exactly what the catalogue renders."""

from __future__ import annotations

import difflib
from pathlib import Path

from generator.__main__ import main
from generator.catalogue import load_all
from generator.tree import render_tree
from tests.paths import ROOT



def test_generated_tree_matches_the_catalogue() -> None:
    entries, unsupported = load_all(ROOT / "exchanges.toml")
    rendered = render_tree(entries, unsupported=unsupported)
    on_disk = {
        str(path.relative_to(ROOT / "generated")): path.read_text(encoding="utf-8")
        for path in (ROOT / "generated").rglob("*")
        if path.is_file() and (path.suffix == ".py" or path.name == "py.typed") and "__pycache__" not in path.parts
    }
    problems = []
    for name in sorted(rendered.keys() | on_disk.keys()):
        old, new = on_disk.get(name), rendered.get(name)
        if old != new:
            problems.append(
                "".join(difflib.unified_diff(
                    (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
                    f"generated/{name} (committed)", f"generated/{name} (rendered)",
                )) or f"generated/{name}: {'not rendered by the catalogue' if new is None else 'missing'}"
            )
    assert not problems, "\n".join(problems) + "\n\nRegenerate with: python -m generator"


def test_rendering_is_deterministic() -> None:
    entries, unsupported = load_all(ROOT / "exchanges.toml")
    first, second = render_tree(entries, unsupported=unsupported), render_tree(entries, unsupported=unsupported)
    assert first == second
    for name, text in first.items():
        assert "\r" not in text, name
        assert text == "" or text.endswith("\n"), name


def test_one_entry_regenerated_keeps_the_package_whole(tmp_path: Path) -> None:
    # `python -m generator --exchange ID` after adding an entry: the package
    # files that name every entry (wsauth.EXCHANGES, the listing) and the
    # runtime are written too, or the new entry would be missing from them.
    assert main(["--exchange", "bybit", "--out", str(tmp_path), "--no-cache"]) == 0
    for name in ("wsauth/bybit.py", "tests/test_bybit.py", "wsauth/__init__.py", "wsauth/_listing.py", "wsauth/session.py"):
        written = (tmp_path / name).read_text(encoding="utf-8")
        assert written == (ROOT / "generated" / name).read_text(encoding="utf-8"), name
    assert not (tmp_path / "wsauth" / "okx.py").exists()  # and no other entry
