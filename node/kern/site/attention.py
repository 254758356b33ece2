"""What waits for the kern: the list at the top of the beheer dashboard.

Each item is a count with the one page where it is done, so a beheerder who signs in once a
week sees what to do first without opening every section. Only facts the database already
holds are used: an item disappears by itself once the work is done there (the idea judged,
the verslag written, the new version published).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from node.db import Database
from node.kern.conversation import threads
from node.kern.ideas import model as ideas
from node.kern.learning import agenda_reminder
from node.mail.mailer import given_up_recently, smtp_configured
from node.settings import Settings
from node.vocabulary import ACTIVE_PHASES

# A project in one of the active phases without any change for this long needs a word.
STALE_PROJECT_DAYS = 92
# Volunteers who signed up this recently are shown as new.
NEW_VOLUNTEER_DAYS = 14


@dataclass(frozen=True)
class Attention:
    """One thing waiting: what (`kind`, worded by the template), how many, and where to go."""

    kind: str
    count: int
    href: str
    title: str = ""


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def needs_attention(
    db: Database, settings: Settings, at: datetime | None = None
) -> list[Attention]:
    """Everything that waits for the kern now, most pressing first."""
    at = at or datetime.now(UTC)
    items: list[Attention] = []
    if not smtp_configured(settings):
        items.append(Attention("mail_not_set_up", 1, "/beheer/mail"))
    failed = given_up_recently(db, at)
    if failed:
        items.append(Attention("mail_failed", failed, "/beheer/mail"))
    waiting = threads.waiting_for_kern(db, settings)
    if waiting:
        items.append(Attention("gemeente_waiting", len(waiting), "/beheer/gemeente"))
    new_ideas = ideas.count_new_ideas(db)
    if new_ideas:
        items.append(Attention("ideas_new", new_ideas, "/beheer/ideeen"))
    items.extend(_new_volunteers(db, at))
    items.extend(_waiting_lists(db, at))
    items.extend(_meetings_without_minutes(db, at))
    items.extend(_stale_projects(db, at))
    if agenda_reminder.stale_since(db.read(), at) is not None:
        items.append(Attention("agenda_old", 1, "/beheer/versies/nieuw"))
    return items


def _new_volunteers(db: Database, at: datetime) -> list[Attention]:
    rows = db.execute(
        """SELECT p.id, p.title, count(*) AS number FROM volunteers v
           JOIN projects p ON p.id = v.project_id
           WHERE v.contact_removed_at IS NULL AND p.removed_at IS NULL AND v.created_at >= ?
           GROUP BY p.id ORDER BY max(v.created_at) DESC""",
        (_stamp(at - timedelta(days=NEW_VOLUNTEER_DAYS)),),
    )
    return [
        Attention(
            "volunteers_new", r["number"], f"/beheer/projecten/{r['id']}/vrijwilligers", r["title"]
        )
        for r in rows
    ]


def _waiting_lists(db: Database, at: datetime) -> list[Attention]:
    """Coming meetings with people on the waiting list: more places, or a word to them?"""
    rows = db.execute(
        """SELECT m.id, m.title, sum(r.people) AS number FROM meetings m
           JOIN rsvps r ON r.meeting_id = m.id AND r.status = 'wachtlijst'
           WHERE m.removed_at IS NULL AND m.status = 'gepland' AND m.starts_at >= ?
           GROUP BY m.id ORDER BY m.starts_at""",
        (_stamp(at),),
    )
    return [
        Attention(
            "waiting_list", r["number"], f"/beheer/bijeenkomsten/{r['id']}/aanmeldingen", r["title"]
        )
        for r in rows
    ]


def _meetings_without_minutes(db: Database, at: datetime) -> list[Attention]:
    rows = db.execute(
        """SELECT id, title FROM meetings
           WHERE removed_at IS NULL AND status = 'gepland' AND ends_at < ?
             AND minutes_published_at IS NULL AND trim(minutes) = ''
           ORDER BY starts_at DESC""",
        (_stamp(at),),
    )
    return [
        Attention("minutes_missing", 1, f"/beheer/bijeenkomsten/{r['id']}/verslag", r["title"])
        for r in rows
    ]


def _stale_projects(db: Database, at: datetime) -> list[Attention]:
    """Active projects with no change, update or phase step for STALE_PROJECT_DAYS."""
    marks = ", ".join("?" for _ in ACTIVE_PHASES)
    rows = db.execute(
        f"""SELECT p.id, p.title FROM projects p
            WHERE p.removed_at IS NULL AND p.phase IN ({marks})
              AND max(
                  p.updated_at,
                  coalesce((SELECT max(u.created_at) FROM project_updates u
                            WHERE u.project_id = p.id), ''),
                  coalesce((SELECT max(c.changed_at) FROM phase_changes c
                            WHERE c.project_id = p.id), '')
              ) < ?
            ORDER BY p.updated_at""",
        (*ACTIVE_PHASES, _stamp(at - timedelta(days=STALE_PROJECT_DAYS))),
    )
    return [Attention("project_stale", 1, f"/beheer/projecten/{r['id']}", r["title"]) for r in rows]
