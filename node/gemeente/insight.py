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
  decision of the gemeente to the gemeente's first reactie on it;
* evaluaties: how residents rated the meetings of each kern (only the figures travel);
* terugblikken: projects that ended, how many the group looked back on, and the step on the
  participatieladder they reached;
* lessen: what the groups wrote they learned, newest first, so kernen learn from each other.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from federation.store import parse_timestamp, timestamp
from node import vocabulary
from node.gemeente.readmodel import plain
from node.web.i18n import _

# How much of a lesson the table shows; the whole look back is on the kern's project page.
LESSON_LENGTH = 600


@dataclass
class Figure:
    key: str
    title: str
    description: str
    columns: list[tuple[str, str]]  # (key, Dutch heading)
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    money: frozenset[str] = frozenset()  # columns that hold euro cents


def kern_names(conn: sqlite3.Connection) -> list[tuple[int, str]]:
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
    for kern_id, name in kern_names(conn):
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


def _quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarters_between(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every quarter from `first` to `last`, both included: a time axis without gaps."""
    found = []
    year, quarter = first
    while (year, quarter) <= last:
        found.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return found


def finished_per_quarter(conn: sqlite3.Connection, now: datetime) -> Figure:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for (datum,) in conn.execute(
        "SELECT datum FROM gemeente_phase_changes WHERE naar = 'afgerond'"
    ):
        counts[_quarter(date.fromisoformat(datum))] += 1
    # Every quarter from the first one up to now, the empty ones as zero: a quarter left out
    # would bend the time axis and hide a quiet period.
    axis = quarters_between(min(counts), max(*counts, _quarter(now.date()))) if counts else []
    rows = [{"kwartaal": f"{y} K{q}", "afgerond": counts.get((y, q), 0)} for y, q in axis]
    return Figure(
        "afgerond",
        _("Afgeronde projecten per kwartaal"),
        _("Hoeveel projecten in elk kwartaal de fase afgerond bereikten."),
        [("kwartaal", _("Kwartaal")), ("afgerond", _("Afgerond"))],
        rows,
        _("Elk kwartaal staat erin, ook als er niets werd afgerond."),
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
    rows = [{"kern": name, **per.get(kern_id, empty)} for kern_id, name in kern_names(conn)]
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
    for kern_id, name in kern_names(conn):
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
    for kern_id, name in kern_names(conn):
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


def evaluations_per_kern(conn: sqlite3.Connection) -> Figure:
    """Per kern: meetings residents evaluated, how many answers, and the average score
    weighted by answers (a meeting of forty counts more than one of four)."""
    per = {
        kern_id: (meetings, answers, total)
        for kern_id, meetings, answers, total in conn.execute(
            """SELECT kern_id, count(*), sum(answers), sum(answers * score) FROM (
                   SELECT kern_id,
                          json_extract(document, '$.evaluatie.aantalAntwoorden') AS answers,
                          json_extract(document, '$.evaluatie.gemiddeldeScore') AS score
                   FROM gemeente_objects WHERE type = 'Bijeenkomst' AND deleted = 0)
               WHERE typeof(answers) = 'integer' AND answers > 0
                 AND typeof(score) IN ('integer', 'real') AND score BETWEEN 1 AND 5
               GROUP BY kern_id"""
        )
    }
    rows = []
    for kern_id, name in kern_names(conn):
        meetings, answers, total = per.get(kern_id, (0, 0, 0))
        rows.append(
            {
                "kern": name,
                "bijeenkomsten": meetings,
                "antwoorden": answers or 0,
                "gemiddeld": round(total / answers, 1) if answers else None,
            }
        )
    return Figure(
        "evaluaties",
        _("Hoe inwoners de bijeenkomsten vonden"),
        _(
            "Na een bijeenkomst kunnen bezoekers zonder naam zeggen hoe het was, van 1 (slecht) "
            "tot 5 (heel goed)."
        ),
        [
            ("kern", _("Kern")),
            ("bijeenkomsten", _("Beoordeelde bijeenkomsten")),
            ("antwoorden", _("Antwoorden")),
            ("gemiddeld", _("Gemiddeld (1 tot 5)")),
        ],
        rows,
        _("Wat bezoekers schreven, blijft bij de kern; alleen de cijfers komen hier."),
    )


def _reflections(conn: sqlite3.Connection) -> list[tuple[int, str, dict[str, Any], str]]:
    """(kern id, project name, its look back, project url) of every project with one."""
    found = []
    for kern_id, name, url, raw in conn.execute(
        """SELECT kern_id, name, url, json_extract(document, '$.terugblik')
           FROM gemeente_objects WHERE type = 'Project' AND deleted = 0
             AND json_type(document, '$.terugblik') = 'object'"""
    ):
        found.append((kern_id, name, json.loads(raw), url))
    return found


def reflections_per_kern(conn: sqlite3.Connection) -> Figure:
    """Per kern: projects that ended, how many have a look back, and the steps reached."""
    ended = dict(
        conn.execute(
            """SELECT kern_id, count(*) FROM gemeente_projects
               WHERE fase IN ('afgerond', 'gestopt') GROUP BY kern_id"""
        ).fetchall()
    )
    per: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kern_id, _name, reflection, _url in _reflections(conn):
        per[kern_id]["metTerugblik"] += 1
        step = reflection.get("bereikteTrede")
        if step in vocabulary.LADDER:
            per[kern_id][step] += 1
    rows = []
    for kern_id, name in kern_names(conn):
        counts = per.get(kern_id, {})
        rows.append(
            {
                "kern": name,
                "geeindigd": ended.get(kern_id, 0),
                "metTerugblik": counts.get("metTerugblik", 0),
                **{step: counts.get(step, 0) for step in vocabulary.LADDER},
            }
        )
    return Figure(
        "terugblikken",
        _("Terugblikken op projecten"),
        _(
            "Als een project afgerond of gestopt is, kijkt de inwonersgroep terug: wat werkte, "
            "wat leerden we, en welke trede op de participatieladder werd bereikt."
        ),
        [
            ("kern", _("Kern")),
            ("geeindigd", _("Afgerond of gestopt")),
            ("metTerugblik", _("Met terugblik")),
            *[(step, vocabulary.label(vocabulary.LADDER, step)) for step in vocabulary.LADDER],
        ],
        rows,
        _("De treden tellen de terugblikken per bereikte trede."),
    )


def lessons(conn: sqlite3.Connection) -> Figure:
    """What every group wrote it learned, newest first: kernen learn from each other."""
    names = dict(kern_names(conn))
    found = [
        (
            reflection.get("datum") if isinstance(reflection.get("datum"), str) else "",
            {
                "kern": names[kern_id],
                "project": project,
                "trede": vocabulary.label(vocabulary.LADDER, reflection.get("bereikteTrede"))
                if reflection.get("bereikteTrede") in vocabulary.LADDER
                else None,
                "geleerd": plain(reflection.get("geleerd"), LESSON_LENGTH) or None,
                "datum": reflection.get("datum")
                if isinstance(reflection.get("datum"), str)
                else None,
                "adres": url,
            },
        )
        for kern_id, project, reflection, url in _reflections(conn)
        if kern_id in names
    ]
    rows = [row for _when, row in sorted(found, key=lambda item: item[0], reverse=True)]
    return Figure(
        "lessen",
        _("Wat de kernen leerden"),
        _("Uit de terugblikken op projecten, de nieuwste eerst."),
        [
            ("kern", _("Kern")),
            ("project", _("Project")),
            ("trede", _("Bereikte trede")),
            ("geleerd", _("Wat we geleerd hebben")),
            ("datum", _("Datum")),
        ],
        rows,
    )


def all_figures(conn: sqlite3.Connection, now: datetime) -> list[Figure]:
    return [
        phases_per_kern(conn),
        time_per_phase(conn),
        finished_per_quarter(conn, now),
        meetings_per_kern(conn, now),
        ideas_per_kern(conn),
        response_time(conn, now),
        evaluations_per_kern(conn),
        reflections_per_kern(conn),
        lessons(conn),
    ]
