"""Inzicht's figures as files: CSV that Dutch spreadsheet programs open right, and JSON.

The CSV follows what Excel and LibreOffice Calc with Dutch settings expect when a file is
opened by double-clicking it, without an import dialogue:

* `;` between fields: with Dutch regional settings the list separator is `;`, because the
  comma is the decimal sign; a comma-separated file lands in one column.
* a decimal comma (`4,5`): with a point, Dutch Excel reads 4.5 as text or as a date (4 May).
  Amounts get two decimals and no thousands separator (`1250,50`), which both programs read
  as a number under Dutch settings.
* UTF-8 with a byte order mark: without the mark Excel assumes the old Windows code page and
  garbles "ë" in "Ideeën".
* dates as ISO 8601 (`2026-03-31`): both programs recognise it as a date in any locale,
  while `31-03-2026` is a date only under Dutch settings (and day and month swap elsewhere);
  ISO also sorts right as text.
* a text that starts with `=`, `+`, `-` or `@` gets a leading apostrophe: text written by
  a kern must never run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from node.gemeente.insight import Figure

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any, money: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if money and isinstance(value, int):
        return f"{value / 100:.2f}".replace(".", ",")  # cents to euros
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:f}".rstrip("0").rstrip(".").replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def figure_csv(figure: Figure) -> str:
    """The figure as CSV text, byte order mark included; rows end in CRLF (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([name for _key, name in figure.columns])
    for row in figure.rows:
        writer.writerow([csv_cell(row[key], key in figure.money) for key, _name in figure.columns])
    return "\ufeff" + out.getvalue()


def figure_json(figure: Figure) -> dict[str, Any]:
    return {
        "titel": figure.title,
        "uitleg": figure.description,
        "kolommen": [
            {"sleutel": key, "naam": name, **({"eenheid": "cent"} if key in figure.money else {})}
            for key, name in figure.columns
        ],
        "rijen": figure.rows,
    }
