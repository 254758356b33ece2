"""Inzicht: the figures the gemeente reports to the council, computed from the read model.

Each figure is a table (columns and rows of plain values), so the page, the CSV and the JSON
export all show the same numbers; the page draws a chart beside each table (charts.py).

* fasen: projects per phase per kern;
* doorlooptijd: how long projects stay in each phase (finished stints, in days);
* afgerond: projects finished per quarter;
* bijeenkomsten: meetings per kern (held, coming, with a verslag) and the people who signed
  up for the held ones: only the count travels, names and contact details stay at the kern;
* ideeen: ideas per kern, and how many became a project;
* reactietijd: the gemeente's own response time, from the moment a project asked for a
  decision of the gemeente to the gemeente's first reactie on it.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from federation.store import parse_timestamp, timestamp
from node import vocabulary
from node.web.i18n import _


@dataclass
class Figure:
    key: str
    title: str
    description: str
    columns: list[tuple[str, str]]  # (key, Dutch heading)
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def _kern_names(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    # Not the kernen the gemeente stopped following: it holds none of their data any more.
    found = conn.execute(
        """SELECT id, name FROM gemeente_kernen WHERE stopped_at IS NULL
           ORDER BY name COLLATE NOCASE"""
    )
    return [(r[0], r[1]) for r in found]


def phases_per_kern(conn: sqlite3.Connection) -> Figure:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for kern_id, fase, n in conn.execute(
        "SELECT kern_id, fase, count(*) FROM gemeente_projects GROUP BY kern_id, fase"
    ):
        counts[kern_id][fase] = n
    columns = [("kern", _("Kern"))] + [
        (p, vocabulary.label(vocabulary.PHASES, p)) for p in vocabulary.PHASES
    ]
    columns.append(("totaal", _("Totaal")))
    rows = []
    for kern_id, name in _kern_names(conn):
        per = counts.get(kern_id, {})
        rows.append(
            {
                "kern": name,
                **{p: per.get(p, 0) for p in vocabulary.PHASES},
                "totaal": sum(per.values()),
            }
        )
    return Figure(
        "fasen",
        _("Projecten per fase per kern"),
        _("Hoeveel projecten elke kern heeft, verdeeld over de fasen."),
        columns,
        rows,
    )


def time_per_phase(conn: sqlite3.Connection) -> Figure:
    """Days between one phase change and the next, per phase left (finished stints only)."""
    stints: dict[str, list[int]] = defaultdict(list)
    previous: tuple[int, str, date] | None = None
    for project_id, naar, datum in conn.execute(
        "SELECT project_id, naar, datum FROM gemeente_phase_changes ORDER BY project_id, seq"
    ):
        day = date.fromisoformat(datum)
        if previous is not None and previous[0] == project_id:
            stints[previous[1]].append(max(0, (day - previous[2]).days))
        previous = (project_id, naar, day)
    rows = []
    for phase in vocabulary.PHASES:
        days = stints.get(phase, [])
        rows.append(
            {
                "fase": vocabulary.label(vocabulary.PHASES, phase),
                "aantal": len(days),
                "mediaanDagen": round(statistics.median(days)) if days else None,
                "gemiddeldDagen": round(statistics.fmean(days)) if days else None,
            }
        )
    return Figure(
        "doorlooptijd",
        _("Hoe lang projecten in een fase blijven"),
        _("Het aantal dagen tussen het begin van een fase en de volgende fase."),
        [
            ("fase", _("Fase")),
            ("aantal", _("Afgeronde periodes")),
            ("mediaanDagen", _("Mediaan (dagen)")),
            ("gemiddeldDagen", _("Gemiddeld (dagen)")),
        ],
        rows,
        _("Alleen fasen die al voorbij zijn tellen mee."),
    )


def finished_per_quarter(conn: sqlite3.Connection) -> Figure:
    counts: dict[str, int] = defaultdict(int)
    for (datum,) in conn.execute(
        "SELECT datum FROM gemeente_phase_changes WHERE naar = 'afgerond'"
    ):
        day = date.fromisoformat(datum)
        counts[f"{day.year} K{(day.month - 1) // 3 + 1}"] += 1
    rows = [{"kwartaal": q, "afgerond": counts[q]} for q in sorted(counts)]
    return Figure(
        "afgerond",
        _("Afgeronde projecten per kwartaal"),
        _("Hoeveel projecten in elk kwartaal de fase afgerond bereikten."),
        [("kwartaal", _("Kwartaal")), ("afgerond", _("Afgerond"))],
        rows,
    )


def meetings_per_kern(conn: sqlite3.Connection, now: datetime) -> Figure:
    stamp = timestamp(now)
    per: dict[int, dict[str, int]] = {}
    for kern_id, held, coming, minutes, cancelled in conn.execute(
        """SELECT kern_id,
                  sum(starts_at < ? AND cancelled = 0), sum(starts_at >= ? AND cancelled = 0),
                  sum(has_verslag), sum(cancelled)
           FROM gemeente_meetings GROUP BY kern_id""",
        (stamp, stamp),
    ):
        per[kern_id] = {
            "gehouden": held or 0,
            "gepland": coming or 0,
            "metVerslag": minutes or 0,
            "geannuleerd": cancelled or 0,
            "aanmeldingen": 0,
        }
    # People signed up for the meetings held: the count each kern published with them.
    for kern_id, people in conn.execute(
        """SELECT m.kern_id, sum(json_extract(o.document, '$.aanmeldingen'))
           FROM gemeente_meetings m JOIN gemeente_objects o ON o.object_id = m.object_id
           WHERE m.starts_at < ? AND m.cancelled = 0 AND o.deleted = 0
           GROUP BY m.kern_id""",
        (stamp,),
    ):
        if kern_id in per:
            per[kern_id]["aanmeldingen"] = int(people or 0)
    empty = {"gehouden": 0, "gepland": 0, "metVerslag": 0, "geannuleerd": 0, "aanmeldingen": 0}
    rows = [{"kern": name, **per.get(kern_id, empty)} for kern_id, name in _kern_names(conn)]
    return Figure(
        "bijeenkomsten",
        _("Bijeenkomsten per kern"),
        _("Hoeveel bijeenkomsten elke kern hield en plant."),
        [
            ("kern", _("Kern")),
            ("gehouden", _("Gehouden")),
            ("gepland", _("Gepland")),
            ("metVerslag", _("Met verslag")),
            ("geannuleerd", _("Gaat niet door")),
            ("aanmeldingen", _("Aanmeldingen (gehouden)")),
        ],
        rows,
        _(
            "Aanmeldingen: hoeveel mensen zich aanmeldden voor de gehouden bijeenkomsten, zoals "
            "de kern dat laatst publiceerde. Namen blijven bij de kern."
        ),
    )


def ideas_per_kern(conn: sqlite3.Connection) -> Figure:
    per = {
        r[0]: (r[1], r[2])
        for r in conn.execute(
            """SELECT kern_id, count(*),
                      sum(json_extract(document, '$.project') IS NOT NULL)
               FROM gemeente_objects WHERE type = 'Idee' AND deleted = 0 GROUP BY kern_id"""
        )
    }
    rows = []
    for kern_id, name in _kern_names(conn):
        ideas, became = per.get(kern_id, (0, 0))
        rows.append({"kern": name, "ideeen": ideas, "werdenProject": became or 0})
    return Figure(
        "ideeen",
        _("Ideeën die een project werden"),
        _("Hoeveel ideeën van inwoners elke kern publiceerde, en hoeveel een project werden."),
        [("kern", _("Kern")), ("ideeen", _("Ideeën")), ("werdenProject", _("Werden een project"))],
        rows,
    )


def response_time(conn: sqlite3.Connection, now: datetime) -> Figure:
    """Per kern: projects that asked for a decision, how many the gemeente answered, and the
    median days from asking to the gemeente's first reactie."""
    found = conn.execute(
        """SELECT p.kern_id, p.needs_since,
                  (SELECT min(r.published) FROM gemeente_reacties r
                   WHERE r.in_reply_to = p.object_id AND r.published >= p.needs_since) AS first
           FROM gemeente_projects p WHERE p.needs_since IS NOT NULL"""
    ).fetchall()
    per: dict[int, dict[str, Any]] = defaultdict(lambda: {"days": [], "waiting": 0, "asked": 0})
    for kern_id, since, first in found:
        entry = per[kern_id]
        entry["asked"] += 1
        if first:
            delta = parse_timestamp(first) - parse_timestamp(since)
            entry["days"].append(delta.total_seconds() / 86400)
        else:
            entry["waiting"] += 1
    rows = []
    for kern_id, name in _kern_names(conn):
        entry = per.get(kern_id)
        if entry is None:
            continue
        days = entry["days"]
        rows.append(
            {
                "kern": name,
                "gevraagd": entry["asked"],
                "beantwoord": len(days),
                "wachtNog": entry["waiting"],
                "mediaanDagen": round(statistics.median(days), 1) if days else None,
            }
        )
    return Figure(
        "reactietijd",
        _("Reactietijd van de gemeente"),
        _(
            "Van het moment dat een project om een besluit van de gemeente vraagt, tot de "
            "eerste reactie van de gemeente."
        ),
        [
            ("kern", _("Kern")),
            ("gevraagd", _("Projecten die vragen")),
            ("beantwoord", _("Beantwoord")),
            ("wachtNog", _("Wacht nog")),
            ("mediaanDagen", _("Mediaan (dagen)")),
        ],
        rows,
    )


def all_figures(conn: sqlite3.Connection, now: datetime) -> list[Figure]:
    return [
        phases_per_kern(conn),
        time_per_phase(conn),
        finished_per_quarter(conn),
        meetings_per_kern(conn, now),
        ideas_per_kern(conn),
        response_time(conn, now),
    ]
