"""Inzicht on money: what projects asked and were granted, per source, per kern and per year.

The amounts are what each kern published with its projects (the `budget` of a Project): euro
cents, whole numbers. A project counts once, in the year it started (its startdatum), or the
year the gemeente first saw it when the group gave no start date. A project without amounts
is left out; one with amounts but no source counts under "Bron onbekend", so old projects
from before the sources still add up.

* geld-per-bron: per source of the fixed list (zeros included), "anders" taken together;
* geld-per-kern: per kern the gemeente follows;
* geld-per-jaar: every year from the first to this one, the empty ones as zero;
* geld: year by kern by source, with the group's own words for "anders": the table to pivot
  in a spreadsheet.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from node import vocabulary
from node.gemeente.insight import Figure, kern_names
from node.web.i18n import _

MONEY = frozenset({"gevraagd", "toegekend"})
UNKNOWN = "onbekend"


@dataclass
class Budget:
    kern_id: int
    year: int
    source: str
    other: str
    requested: int | None
    granted: int | None


@dataclass
class Sum:
    projects: int = 0
    requested: int = 0
    granted: int = 0

    def add(self, budget: Budget) -> None:
        self.projects += 1
        self.requested += budget.requested or 0
        self.granted += budget.granted or 0

    def row(self) -> dict[str, int]:
        return {"projecten": self.projects, "gevraagd": self.requested, "toegekend": self.granted}


def budgets(conn: sqlite3.Connection) -> list[Budget]:
    found = conn.execute(
        """SELECT p.kern_id, substr(coalesce(p.startdatum, p.published_at), 1, 4),
                  p.budget_source, p.budget_source_other, p.requested, p.granted
           FROM gemeente_projects p JOIN gemeente_kernen k ON k.id = p.kern_id
           WHERE k.stopped_at IS NULL
             AND (p.requested IS NOT NULL OR p.granted IS NOT NULL)"""
    )
    return [
        Budget(kern_id, int(year), source or UNKNOWN, other, requested, granted)
        for kern_id, year, source, other, requested, granted in found
        if year and year.isdigit()
    ]


def source_label(source: str) -> str:
    if source == UNKNOWN:
        return _("Bron onbekend")
    return vocabulary.label(vocabulary.BUDGET_SOURCES, source)


def _columns(first: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        first,
        ("projecten", _("Projecten")),
        ("gevraagd", _("Gevraagd (euro)")),
        ("toegekend", _("Toegekend (euro)")),
    ]


def per_source(found: list[Budget]) -> Figure:
    sums: dict[str, Sum] = defaultdict(Sum)
    for budget in found:
        sums[budget.source].add(budget)
    # Every listed source, also without money: a row that is missing reads like an oversight.
    # A source a newer kern knows and this gemeente does not is shown as it came.
    order = list(vocabulary.BUDGET_SOURCES)
    order += sorted(s for s in sums if s not in vocabulary.BUDGET_SOURCES and s != UNKNOWN)
    if UNKNOWN in sums:
        order.append(UNKNOWN)
    # No amounts at all: "no data yet", not a table of zeros.
    rows = [{"bron": source_label(s), **sums[s].row()} for s in order] if found else []
    return Figure(
        "geld-per-bron",
        _("Geld per bron"),
        _("Hoeveel geld projecten vroegen en kregen, per bron van het geld."),
        _columns(("bron", _("Bron"))),
        rows,
        _("Bedragen zoals de kernen ze bij hun projecten publiceren."),
        money=MONEY,
    )


def per_kern(found: list[Budget], names: list[tuple[int, str]]) -> Figure:
    sums: dict[int, Sum] = defaultdict(Sum)
    for budget in found:
        sums[budget.kern_id].add(budget)
    rows = [{"kern": name, **sums[kern_id].row()} for kern_id, name in names] if found else []
    return Figure(
        "geld-per-kern",
        _("Geld per kern"),
        _("Hoeveel geld de projecten van elke kern vroegen en kregen."),
        _columns(("kern", _("Kern"))),
        rows,
        money=MONEY,
    )


def per_year(found: list[Budget], now: datetime) -> Figure:
    sums: dict[int, Sum] = defaultdict(Sum)
    for budget in found:
        sums[budget.year].add(budget)
    years = range(min(sums), max(*sums, now.year) + 1) if sums else range(0)
    rows = [{"jaar": str(year), **sums[year].row()} for year in years]
    return Figure(
        "geld-per-jaar",
        _("Geld per jaar"),
        _("Hoeveel geld projecten vroegen en kregen, per jaar waarin het project begon."),
        _columns(("jaar", _("Jaar"))),
        rows,
        _("Elk jaar staat erin, ook als er geen geld was."),
        money=MONEY,
    )


def detail(found: list[Budget], names: list[tuple[int, str]]) -> Figure:
    named = dict(names)
    sums: dict[tuple[int, int, str, str], Sum] = defaultdict(Sum)
    for budget in found:
        if budget.kern_id in named:
            sums[(budget.year, budget.kern_id, budget.source, budget.other)].add(budget)
    ordered = sorted(sums.items(), key=lambda item: (item[0][0], named[item[0][1]].casefold()))
    rows = [
        {
            "jaar": str(year),
            "kern": named[kern_id],
            "bron": source_label(source),
            "toelichting": other or None,
            **total.row(),
        }
        for (year, kern_id, source, other), total in ordered
    ]
    return Figure(
        "geld",
        _("Geld per jaar, kern en bron"),
        _("Alle bedragen uitgesplitst, om zelf verder te rekenen in een spreadsheet."),
        [
            ("jaar", _("Jaar")),
            ("kern", _("Kern")),
            ("bron", _("Bron")),
            ("toelichting", _("Toelichting bij anders")),
            ("projecten", _("Projecten")),
            ("gevraagd", _("Gevraagd (euro)")),
            ("toegekend", _("Toegekend (euro)")),
        ],
        rows,
        _("Een project telt mee in het jaar waarin het begon."),
        money=MONEY,
    )


def money_figures(conn: sqlite3.Connection, now: datetime) -> list[Figure]:
    found = budgets(conn)
    names = kern_names(conn)
    return [per_source(found), per_kern(found, names), per_year(found, now), detail(found, names)]
