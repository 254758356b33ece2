"""docs/FEDERATION.md keeps up with the code: every type and term sent or accepted is documented.

The lists come from the code (vocabulary.py and the inbox's built-in dispatch table), so adding
a type or a term without documenting it fails here. The node adds its own handlers to the
table; `accepted_types` is the one place to extend when it does.
"""

import json
import re
from pathlib import Path

import pytest

from federation import follows, vocabulary
from federation.inbox import OPEN_TYPES
from tests.jsonld.strict import problems, require_contexts

DOC = (Path(__file__).resolve().parents[2] / "docs" / "FEDERATION.md").read_text()
HEADINGS = {m.group(1) for m in re.finditer(r"^#+ .*?`([^`]+)`", DOC, re.MULTILINE)}
TABLE_TERMS = {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", DOC, re.MULTILINE)}
JSON_BLOCKS = re.findall(r"```json\n(.*?)```", DOC, re.DOTALL)


def accepted_types() -> set[str]:
    """Activity types the inbox's table dispatches on ("Undo:Follow" counts Undo and Follow)."""
    keys = follows.default_handlers().types()
    return {part for key in keys for part in key.split(":")} | set(OPEN_TYPES)


def test_every_activity_type_sent_or_accepted_has_its_own_section():
    missing = sorted((set(vocabulary.ACTIVITY_TYPES) | accepted_types()) - HEADINGS)
    assert not missing, f"add a section to docs/FEDERATION.md for: {missing}"


def test_every_bloei_object_type_has_its_own_section():
    missing = sorted(set(vocabulary.BLOEI_TYPES) - HEADINGS)
    assert not missing, f"add a section to docs/FEDERATION.md for: {missing}"


def test_every_standard_object_type_is_named():
    missing = [t for t in vocabulary.OBJECT_TYPES if f"`{t}`" not in DOC]
    assert not missing, f"name these types in docs/FEDERATION.md: {missing}"


def test_every_bloei_property_is_in_the_properties_table():
    missing = sorted(set(vocabulary.BLOEI_PROPERTIES) - TABLE_TERMS)
    assert not missing, f"add these properties to the table in docs/FEDERATION.md: {missing}"


def test_the_documented_context_is_the_one_the_code_sends():
    block = DOC.split("<!-- bloei-context -->", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == vocabulary.bloei_context()


@pytest.mark.parametrize("number", range(len(JSON_BLOCKS)))
def test_every_example_is_json_and_uses_only_defined_terms(number):
    example = json.loads(JSON_BLOCKS[number])
    if isinstance(example, dict) and ("@context" in example or "type" in example):
        assert vocabulary.undefined_terms(example) == set()


def test_every_term_of_the_context_is_listed_with_its_meaning():
    first_cells = re.findall(r"^\| ([^|]+) \|", DOC, re.MULTILINE)
    listed = {name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)}
    context = vocabulary.bloei_context()
    prefixes = {k for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    missing = sorted(set(context) - prefixes - listed)
    assert not missing, f"list these terms with their meaning in docs/FEDERATION.md: {missing}"
    assert [p for p in prefixes if f"`{p}`" not in DOC] == []


@pytest.mark.parametrize("number", range(len(JSON_BLOCKS)))
def test_every_example_with_a_context_reads_cleanly_as_json_ld(number):
    require_contexts()
    example = json.loads(JSON_BLOCKS[number])
    if isinstance(example, dict) and "@context" in example:
        assert problems(example) == []
