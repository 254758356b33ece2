"""Inzicht's exports as Dutch spreadsheet programs read them, and a time axis without gaps."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from gemeente_helpers import follow_kern

from node.gemeente import insight
from node.gemeente.insight_export import csv_cell, figure_csv


def read_back(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_numbers_get_a_decimal_comma_and_text_never_runs_as_a_formula():
    figure = insight.Figure(
        "proef",
        "Proef",
        "",
        [("kern", "Kern"), ("dagen", "Dagen"), ("geld", "Bedrag (euro)"), ("n", "Aantal")],
        [
            {"kern": "Ideeën; en meer", "dagen": 4.5, "geld": 125050, "n": 3},
            {"kern": '=HYPERLINK("x")', "dagen": None, "geld": 7, "n": 0},
        ],
        money=frozenset({"geld"}),
    )

    table = read_back(figure_csv(figure))

    assert table[0] == ["Kern", "Dagen", "Bedrag (euro)", "Aantal"]
    assert table[1] == ["Ideeën; en meer", "4,5", "1250,50", "3"]
    assert table[2] == ['\'=HYPERLINK("x")', "", "0,07", "0"]
    assert csv_cell(2.0) == "2" and csv_cell(0.25) == "0,25" and csv_cell("-1") == "'-1"


async def test_every_quarter_is_on_the_time_axis_and_the_csv_says_the_same(
    gemeente_app, staff, beesd
):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    finished = {"vroeg": "2025-02-10", "laat": "2025-11-30", "ook-laat": "2025-12-01"}
    for slug, day in finished.items():
        project = beesd.project(
            slug,
            fase="afgerond",
            faseGeschiedenis=[
                {"naar": "idee", "datum": "2024-12-01"},
                {"van": "idee", "naar": "afgerond", "datum": day},
            ],
        )
        assert (await beesd.push(http, beesd.publish("Create", project))).status_code == 202

    rows = (await http.get("/inzicht/afgerond.json")).json()["rijen"]
    exported = read_back((await http.get("/inzicht/afgerond.csv")).text)

    now = datetime.now(UTC).date()
    expected = insight.quarters_between((2025, 1), (now.year, (now.month - 1) // 3 + 1))
    assert [r["kwartaal"] for r in rows] == [f"{y} K{q}" for y, q in expected]
    counts = {r["kwartaal"]: r["afgerond"] for r in rows}
    assert counts["2025 K1"] == 1 and counts["2025 K4"] == 2
    assert counts["2025 K2"] == counts["2025 K3"] == 0, "empty quarters are shown as zero"
    assert exported[0] == ["Kwartaal", "Afgerond"]
    assert {r[0]: int(r[1]) for r in exported[1:]} == counts


def test_quarters_between_crosses_years():
    assert insight.quarters_between((2024, 3), (2025, 2)) == [
        (2024, 3),
        (2024, 4),
        (2025, 1),
        (2025, 2),
    ]
    assert insight.quarters_between((2025, 2), (2025, 2)) == [(2025, 2)]
