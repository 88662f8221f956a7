"""The generator's cache never serves output for inputs it was not made from."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from generator.cache import Cache
from generator.catalogue import load
from generator.tree import RUNTIME_FILES, render_tree
from tests.paths import ROOT



def test_warm_run_renders_nothing_and_gives_the_same_bytes(tmp_path: Path) -> None:
    entries = [e for e in load(ROOT / "exchanges.toml") if e.id in ("bybit", "kraken")]
    cold = Cache(tmp_path)
    first = render_tree(entries, cache=cold)
    # py.typed and the runtime's verbatim copies are not rendered
    assert cold.hits == 0 and cold.misses == len(first) - 1 - len(RUNTIME_FILES)
    warm = Cache(tmp_path)
    assert render_tree(entries, cache=warm) == first
    assert warm.misses == 0


def test_a_changed_entry_renders_only_its_own_files_again(tmp_path: Path) -> None:
    entries = [e for e in load(ROOT / "exchanges.toml") if e.id in ("bybit", "kraken")]
    render_tree(entries, cache=Cache(tmp_path))
    changed = [dataclasses.replace(e, digest="0" * 12) if e.id == "kraken" else e for e in entries]
    cache = Cache(tmp_path)
    render_tree(changed, cache=cache)
    # kraken's module and test; the package files list entry ids only
    assert cache.misses == 2


def test_the_key_covers_templates_and_tool_versions(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("wsauth/x.py", "inputs", "text")
    assert cache.get("wsauth/x.py", "inputs") == "text"
    assert cache.get("wsauth/x.py", "other inputs") is None
    other_tools = Cache(tmp_path)
    other_tools._tools = "a different jinja2, libcst, black or templates/"
    assert other_tools.get("wsauth/x.py", "inputs") is None
