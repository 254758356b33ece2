"""gettext for every text a person reads. Dutch is the source language of the UI.

Messages are written in Dutch at language level B1 and marked with `_()` (Python) or
`{% trans %}` / `_()` (templates), so `make messages` can extract them into a catalogue
that translators turn into other languages (Frisian, English, ...).
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "bloei"
LOCALE = "nl_NL"

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
    return format_date(value, format=style, locale=LOCALE)


def dutch_datetime(value, fmt: str = "d MMMM y 'om' HH:mm") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, fmt, tzinfo=ZoneInfo("Europe/Amsterdam"), locale=LOCALE)


def euro(cents: int | None) -> str:
    if cents is None:
        return ""
    return format_currency(cents / 100, "EUR", locale=LOCALE)
