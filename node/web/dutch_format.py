"""Dutch dates and euro amounts in the few forms the pages use, without a locale database.

Babel formats these too, but its first date loads the whole Dutch CLDR locale (the names of
every territory, language, currency and time zone): some 4 MB that stay in every process,
a twentieth of a kern's memory budget. The pages need month and day names, a handful of
date patterns and euro amounts; tests compare every form here with Babel's own output
(tests/test_dutch_format.py), so the text stays the same.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
# Babel's names for CLDR's standard date formats, as far as they are used.
STYLES = {"long": "d MMMM y", "full": "EEEE d MMMM y"}
NBSP = "\xa0"

# A CLDR pattern, piece by piece: a quoted literal ('' is one apostrophe), a field this
# module knows, other text, or a letter it does not know (which is refused, not guessed).
_PIECE = re.compile(r"'((?:[^']|'')*)'|(EEEE|MMMM|HH|mm|d|y)|([^'A-Za-z]+)|(.)")
_FIELDS = {
    "EEEE": lambda moment: DAYS[moment.weekday()],
    "MMMM": lambda moment: MONTHS[moment.month - 1],
    "d": lambda moment: str(moment.day),
    "y": lambda moment: str(moment.year),
    "HH": lambda moment: f"{moment.hour:02d}",
    "mm": lambda moment: f"{moment.minute:02d}",
}


@functools.lru_cache(maxsize=64)
def _pieces(pattern: str) -> tuple[tuple[str, str], ...]:
    pieces = []
    for match in _PIECE.finditer(pattern):
        quoted, field, text, unknown = match.groups()
        if unknown is not None:
            raise ValueError(f"date pattern {pattern!r}: {unknown!r} is not supported here")
        if field is not None:
            pieces.append(("field", field))
        else:
            literal = text if text is not None else quoted.replace("''", "'")
            pieces.append(("text", literal or "'"))
    return tuple(pieces)


def format_moment(moment: date | datetime, pattern: str) -> str:
    """`moment` by a CLDR pattern of the fields above, as it stands (no time-zone change)."""
    return "".join(
        _FIELDS[value](moment) if kind == "field" else value for kind, value in _pieces(pattern)
    )


def euro_text(cents: int) -> str:
    """'€ 1.234,50' with a no-break space, as CLDR's nl_NL writes euros."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"€{NBSP}{sign}{whole:,}".replace(",", ".") + f",{rest:02d}"
