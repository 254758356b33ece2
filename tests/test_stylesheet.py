"""The site stylesheet parses as its authors meant: every block that opens also closes.

A block left open swallows every rule after it: an unclosed `@media (max-width: 30rem)` made
all later rules apply on small phones only, with no error anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "templates" / "static"


@pytest.mark.parametrize("sheet", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_every_block_of_the_stylesheet_is_closed(sheet: Path):
    # Comments go, their line breaks stay: the line numbers in a failure are the file's own.
    source = sheet.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), source, flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for char in line:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, f"{sheet.name}:{number} closes a block that was not open"
    assert depth == 0, f"{sheet.name} leaves {depth} block(s) open"
