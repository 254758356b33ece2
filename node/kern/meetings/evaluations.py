"""A short anonymous evaluation after a meeting: how was it, what went well, what could be
better ("evaluatie- en reflectiemomenten" in the council's presentation).

Anyone who was there may answer, without an account, from the start of the meeting until
EVALUATION_DAYS after its end. One answer per browser and meeting: the browser's random
token is kept only as a keyed hash (as with support, node/kern/supporting.py), and a second
answer from the same browser replaces the first. The figures (how many answered, the average
score) are part of the meeting's public shape and federate with it; what people wrote is read
by the group in beheer only, because a resident may name a neighbour in a free text.

An answer does not publish an Update by itself (thirty people answering on the evening would
send thirty); `publish_settled_figures`, a background job, sends one Update per meeting once
no answer came for QUIET_MINUTES, as sign-ups only publish when a meeting fills up.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from node.db import Database
from node.kern.meetings import model as meetings
from node.settings import Settings
from node.web.auth import now

EVALUATION_DAYS = 30
SCORES = (1, 2, 3, 4, 5)
MAX_TEXT = 1000
EVALUATOR = "inwoner"
QUIET_MINUTES = 30


def evaluation_window(row, at: datetime | None = None) -> str:
    """'open', 'not_yet' (before it starts), 'closed' (a month after) or 'cancelled'."""
    if row["status"] == "geannuleerd":
        return "cancelled"
    moment = at or datetime.now(UTC)
    if moment < datetime.fromisoformat(row["starts_at"]):
        return "not_yet"
    if moment > datetime.fromisoformat(row["ends_at"]) + timedelta(days=EVALUATION_DAYS):
        return "closed"
    return "open"


def save_evaluation(
    conn: sqlite3.Connection,
    meeting_id: int,
    evaluator: str,
    score: int,
    went_well: str,
    could_be_better: str,
) -> bool:
    """Keep one browser's evaluation; True when it replaced an earlier one of that browser."""
    if score not in SCORES:
        raise ValueError("score out of range")
    replaced = (
        conn.execute(
            "SELECT 1 FROM meeting_evaluations WHERE meeting_id = ? AND evaluator = ?",
            (meeting_id, evaluator),
        ).fetchone()
        is not None
    )
    conn.execute(
        """INSERT INTO meeting_evaluations
               (meeting_id, evaluator, score, went_well, could_be_better, created_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (meeting_id, evaluator) DO UPDATE SET score = excluded.score,
               went_well = excluded.went_well, could_be_better = excluded.could_be_better,
               created_at = excluded.created_at""",
        (
            meeting_id,
            evaluator,
            score,
            went_well[:MAX_TEXT],
            could_be_better[:MAX_TEXT],
            now(),
        ),
    )
    return replaced


def evaluations_of(db: Database, meeting_id: int) -> list[sqlite3.Row]:
    """Every answer for the group, newest first; never who gave it."""
    return db.execute(
        """SELECT score, went_well, could_be_better, created_at FROM meeting_evaluations
           WHERE meeting_id = ? ORDER BY created_at DESC, id DESC""",
        (meeting_id,),
    )


def score_counts(db: Database, meeting_id: int) -> dict[int, int]:
    """How many gave each score, 1 to 5, zeros included (for a bar per score)."""
    counts = dict.fromkeys(SCORES, 0)
    for score, count in db.execute(
        "SELECT score, count(*) FROM meeting_evaluations WHERE meeting_id = ? GROUP BY score",
        (meeting_id,),
    ):
        counts[score] = count
    return counts


def publish_settled_figures(
    conn: sqlite3.Connection, settings: Settings, at: datetime | None = None
) -> int:
    """An Update for every meeting whose figures changed and whose answers then stayed quiet
    for QUIET_MINUTES; how many. A changed text alone changes nothing public."""
    quiet_since = ((at or datetime.now(UTC)) - timedelta(minutes=QUIET_MINUTES)).isoformat(
        timespec="seconds"
    )
    changed = conn.execute(
        """SELECT e.meeting_id, count(*), sum(e.score) FROM meeting_evaluations e
           JOIN meetings m ON m.id = e.meeting_id AND m.removed_at IS NULL
           LEFT JOIN meeting_evaluation_figures f ON f.meeting_id = e.meeting_id
           GROUP BY e.meeting_id
           HAVING max(e.created_at) < ?
              AND (max(f.published_count) IS NULL OR max(f.published_count) != count(*)
                   OR max(f.published_sum) != sum(e.score))""",
        (quiet_since,),
    ).fetchall()
    for meeting_id, answers, total in changed:
        meetings.record_meeting_change(conn, settings, EVALUATOR, meeting_id)
        conn.execute(
            """INSERT INTO meeting_evaluation_figures (meeting_id, published_count, published_sum)
               VALUES (?, ?, ?) ON CONFLICT (meeting_id) DO UPDATE
               SET published_count = excluded.published_count,
                   published_sum = excluded.published_sum""",
            (meeting_id, answers, total),
        )
    return len(changed)


def run_publishing(db: Database, settings: Settings) -> int:
    """The background job's step: publish what settled, in one write."""
    return db.write(publish_settled_figures, settings)
