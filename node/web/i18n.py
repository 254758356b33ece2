"""gettext for every text a person reads. Dutch is the source language of the UI.

Messages are written in Dutch at language level B1 and marked with `_()` (Python) or
`{% trans %}` / `_()` (templates), so `make messages` can extract them into a catalogue
that translators turn into other languages (Frisian, English, ...).
"""

from __future__ import annotations

import gettext as _gettext
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from node.web.dutch_format import STYLES, euro_text, format_moment

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "bloei"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_translations: _gettext.NullTranslations = _gettext.translation(
    DOMAIN, localedir=LOCALE_DIR, languages=["nl"], fallback=True
)


def translations() -> _gettext.NullTranslations:
    return _translations


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def lazy(message: str) -> str:
    """Mark a message for extraction where it must be translated later, at use."""
    return message


def dutch_date(value, style: str = "long") -> str:
    """'3 maart 2026' (long) or 'dinsdag 3 maart 2026' (full)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_moment(value, STYLES.get(style, style))


def dutch_datetime(value, fmt: str = "d MMMM y 'om' HH:mm") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    # A moment without a zone is UTC, as stored; it is shown in Dutch time.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_moment(value.astimezone(AMSTERDAM), fmt)


def euro(cents: int | None) -> str:
    if cents is None:
        return ""
    return euro_text(cents)
