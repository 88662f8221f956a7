"""The entry hash (in every header, and the generator cache's key) changes
when any value of the entry's catalogue data changes: otherwise a change to,
say, the signature table would leave the module unregenerated and
``--check`` satisfied."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.catalogue import digest, load

ROOT = Path(__file__).resolve().parents[1]
RAW = tomllib.loads((ROOT / "exchanges.toml").read_text(encoding="utf-8"))
TABLES = {entry.id: RAW[entry.id] for entry in load(ROOT / "exchanges.toml")}


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return str(value) + "x"


@pytest.mark.parametrize("entry_id", sorted(TABLES))
def test_changing_any_value_or_key_of_an_entry_changes_its_hash(entry_id: str) -> None:
    table = TABLES[entry_id]
    before = digest(table)
    leaves = list(_leaves(table))
    assert len(leaves) >= 5  # an empty walk would pass vacuously
    for path in leaves:
        edited = copy.deepcopy(table)
        parent = edited
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = _changed(parent[path[-1]])
        assert digest(edited) != before, f"{entry_id}: changing {'.'.join(map(str, path))} keeps the hash"
        if isinstance(path[-1], str):  # a renamed key is a change too
            renamed = copy.deepcopy(table)
            parent = renamed
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1] + "_"] = parent.pop(path[-1])
            assert digest(renamed) != before, f"{entry_id}: renaming {'.'.join(map(str, path))} keeps the hash"


def test_the_header_states_the_entry_hash() -> None:
    for entry in load(ROOT / "exchanges.toml"):
        first = (ROOT / "generated" / "wsauth" / f"{entry.id}.py").read_text(encoding="utf-8").splitlines()[0]
        assert f"(entry hash {digest(TABLES[entry.id])})" in first
