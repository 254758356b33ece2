"""The Bloei vocabulary is written once (node/vocabulary.py) and both roles label with it."""

from __future__ import annotations

from node import vocabulary
from node.gemeente import labels as gemeente_labels


def tables(module) -> dict[str, dict]:
    return {n: v for n, v in vars(module).items() if n.isupper() and isinstance(v, dict)}


def test_the_gemeente_keeps_no_copy_of_a_shared_table():
    shared = {frozenset(table): name for name, table in tables(vocabulary).items()}
    copies = [
        f"{name} copies vocabulary.{shared[frozenset(table)]}"
        for name, table in tables(gemeente_labels).items()
        if frozenset(table) in shared
    ]
    assert copies == []


def test_label_shows_an_unknown_value_as_it_came_and_nothing_for_none():
    assert vocabulary.label(vocabulary.PHASES, "uitvoering") == "Uitvoering"
    assert vocabulary.label(vocabulary.PHASES, "nieuwe_fase") == "nieuwe_fase"
    assert vocabulary.label(vocabulary.WHO_ACTS, None) == ""
    assert vocabulary.label(vocabulary.WHO_ACTS, "") == ""
