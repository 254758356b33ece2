"""The Dutch dates and amounts of node/web/dutch_format.py read exactly as Babel writes them
from CLDR, for every form the code and templates use: the module only saves the memory of
Babel's locale database, never changes a text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

from node.web import i18n
from node.web.dutch_format import STYLES, euro_text, format_moment

ROOT = Path(__file__).resolve().parent.parent
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The patterns the Python code passes (meetings, dutch_datetime's default).
CODE_PATTERNS = ["d MMMM y", "EEEE d MMMM y", "d MMMM y 'om' HH:mm"]


def template_patterns() -> set[str]:
    """Every pattern a template hands to the datumtijd filter."""
    found = set()
    for template in (ROOT / "templates").rglob("*.html"):
        found.update(re.findall(r'datumtijd\("([^"]*)"\)', template.read_text(encoding="utf-8")))
    return found


def moments() -> list[datetime]:
    """Every month and weekday, both sides of both clock changes, midnight and late evening."""
    start = datetime(2025, 12, 28, 0, 0, tzinfo=UTC)
    found = [start + timedelta(days=day, hours=day % 24, minutes=day % 60) for day in range(420)]
    found += [datetime(2026, 3, 29, hour, 30, tzinfo=UTC) for hour in range(4)]
    found += [datetime(2026, 10, 25, hour, 30, tzinfo=UTC) for hour in range(4)]
    found += [datetime(2026, 12, 31, 23, 30, tzinfo=UTC)]
    return found


def test_templates_use_only_patterns_the_module_writes():
    patterns = template_patterns()
    assert patterns, "the templates name at least one pattern"
    for pattern in patterns:
        format_moment(datetime(2026, 3, 3, 19, 30), pattern)


@pytest.mark.parametrize("pattern", sorted({*CODE_PATTERNS, *template_patterns()}))
def test_every_pattern_reads_as_babel_writes_it(pattern):
    for moment in moments():
        expected = format_datetime(moment, pattern, tzinfo=AMSTERDAM, locale="nl_NL")
        assert i18n.dutch_datetime(moment, pattern) == expected, moment
        local = moment.astimezone(AMSTERDAM)
        assert format_moment(local, pattern) == format_datetime(local, pattern, locale="nl_NL")


def test_stored_text_and_naive_moments_are_utc_shown_in_dutch_time():
    assert i18n.dutch_datetime("2026-07-01T17:30:00+00:00") == "1 juli 2026 om 19:30"
    assert i18n.dutch_datetime(datetime(2026, 1, 1, 23, 30)) == "2 januari 2026 om 00:30"


@pytest.mark.parametrize("style", sorted(STYLES))
def test_date_styles_read_as_babel_writes_them(style):
    for moment in moments():
        day = moment.date()
        assert i18n.dutch_date(day, style) == format_date(day, format=style, locale="nl_NL")
    assert i18n.dutch_date("2026-03-03T10:00:00+00:00") == "3 maart 2026"
    assert i18n.dutch_date(date(2026, 3, 3), "full") == "dinsdag 3 maart 2026"


def test_euros_read_as_babel_writes_them():
    for cents in [0, 5, 99, 100, 123450, -1230, 123456789, -1, 10**11, *range(0, 200_000, 997)]:
        assert euro_text(cents) == format_currency(cents / 100, "EUR", locale="nl_NL"), cents
    assert i18n.euro(None) == ""


def test_an_unknown_field_is_refused_not_guessed():
    with pytest.raises(ValueError):
        format_moment(date(2026, 3, 3), "d MMM y")
    assert format_moment(date(2026, 3, 3), "d 'van' MMMM, ''y''") == "3 van maart, '2026'"
