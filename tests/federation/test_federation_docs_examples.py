"""The marked JSON examples of docs/FEDERATION.md are what the code really sends.

tests/federation/docs_examples.py makes each one from a kern with known data; after a change to
what the node sends, rewrite the blocks with `python -m tests.federation.docs_examples --write`.
"""

from __future__ import annotations

import pytest

from tests.federation import docs_examples

MARKED = docs_examples.marked_blocks(docs_examples.DOC.read_text())


@pytest.fixture(scope="module")
def generated() -> dict:
    return docs_examples.generate()


def test_the_doc_marks_the_generated_examples(generated):
    assert set(MARKED) == set(generated)


@pytest.mark.parametrize("name", sorted(MARKED))
def test_each_marked_example_is_what_the_code_sends(generated, name):
    assert MARKED[name] == generated[name], (
        f"docs/FEDERATION.md's example {name!r} drifted from the code: "
        "run python -m tests.federation.docs_examples --write"
    )


def test_rewriting_changes_only_the_marked_blocks(generated):
    text = docs_examples.DOC.read_text()
    drifted = {name: {"changed": True} for name in generated}
    rewritten = docs_examples.rewrite(text, drifted)
    assert docs_examples.marked_blocks(rewritten) == drifted
    unmarked = docs_examples.MARK_RE.sub("", text)
    assert docs_examples.MARK_RE.sub("", rewritten) == unmarked
