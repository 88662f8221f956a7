"""The mutation list cannot rot: every mistake still applies to the current
tree (its old text occurs exactly once, inside its table where one is named),
changes something, and says what it stands for; names are unique."""

from __future__ import annotations

import pytest

from tests.mutations import MUTATIONS, Mutation
from tests.paths import ROOT


def test_the_list_covers_every_group() -> None:
    assert len(MUTATIONS) >= 60
    assert {m.group for m in MUTATIONS} == {"catalogue", "templates", "generator", "generated", "session"}
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_each_mutation_applies_to_the_current_tree(mutation: Mutation) -> None:
    text = (ROOT / mutation.file).read_text(encoding="utf-8")
    mutated = mutation.apply(text)
    assert mutated != text and mutation.old != mutation.new
    assert mutation.why and mutation.run
    assert not mutation.regen or mutation.regenerates
