"""One rule for numbers that come from outside: query strings, form fields and paths.

Python is generous with numbers: `str.isdigit` accepts "²" and "٣", `int()` accepts Arabic-
Indic digits and refuses strings over 4,300 digits with a ValueError, and `Decimal()` reads
"NaN" and "Infinity". SQLite stores at most a signed 64-bit integer. What a visitor types
therefore passes through here: ASCII digits only, a bounded length, a bounded range, and for
amounts a finite decimal with at most two places. Anything else is `None`, and the caller
says in Dutch what was wrong.
"""

from __future__ import annotations

import re
from decimal import Decimal

from starlette.convertors import Convertor, register_url_convertor

# The largest id SQLite can store is 2**63 - 1 (19 digits); 18 digits always fit.
MAX_ID = 10**18 - 1
ID_PATTERN = "[0-9]{1,18}"

_INTEGER = re.compile(r"-?[0-9]+")
# Euros and cents: at most twelve digits before the point and two after it.
_AMOUNT = re.compile(r"-?(?:[0-9]{1,12}(?:\.[0-9]{1,2})?|\.[0-9]{1,2})")


def parse_int(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """The whole number `text` spells in ASCII digits when it lies in [low, high], else None."""
    if text is None or len(text) > len(str(high)) + 1 or not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_id(text: str | None) -> int | None:
    """A row id from outside: 1 up to what fits in SQLite, else None."""
    return parse_int(text, 1, MAX_ID)


def parse_amount(text: str | None) -> Decimal | None:
    """A finite amount with at most two decimals after a point ("1500.50", ".50"), else None.

    Only the plain notation: no exponent, no NaN or Infinity, no digits of other scripts.
    """
    if text is None or not _AMOUNT.fullmatch(text):
        return None
    return Decimal(text)


def ascii_digits(text: str) -> str:
    """Only the ASCII digits of `text` (for phone numbers and the like)."""
    return "".join(c for c in text if "0" <= c <= "9")


class IdConvertor(Convertor[int]):
    """`{name:id}` in a route path: an id of at most 18 ASCII digits.

    Starlette's own `:int` matches any number of digits, so /kernen/9223372036854775808
    reached SQLite and failed there; with this convertor a too long id is simply not a
    path of the app, and the answer is 404.
    """

    regex = ID_PATTERN

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        number = int(value)
        if not 0 <= number <= MAX_ID:
            raise ValueError(f"{value} is not an id")
        return str(number)


def register_convertors() -> None:
    """Make `{name:id}` known to route paths. Starlette keeps one registry per process, so
    calling this again is harmless; the route tables call it before they build their paths."""
    register_url_convertor("id", IdConvertor())
