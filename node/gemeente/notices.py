"""Telling gemeente staff of new things from the kernen: an answer of a kern, a new project,
a colleague's new conversation with a kern; each person as they chose (a mail at once, the
daily mail, or nothing; node/web/notification_preferences.py).

The read model and the reactie pages only write their rows and send nothing. This hook runs
before every write commits (`Database.before_commit`, attached at wiring time): it looks at
the rows added to the watched tables since the last mark (`gemeente_notice_marks`), hands
them to node/mail/notices.py and moves the marks, in the same transaction; so the rows and
the mails about them are kept together or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import jinja2

from node.db import Database
from node.mail import notices
from node.settings import Settings
from node.web.i18n import _, ngettext

# More new rows than this in one write (a newly followed kern brings all its projects at
# once) become one notice that counts them, instead of a mail each.
MAX_SINGLE = 3
MAX_TEXT = 2000


@dataclass(frozen=True)
class Source:
    key: str  # the mark's name, and the topic
    sql: str  # the new rows: id > ?, in id order


SOURCES = (
    Source(
        "antwoorden",
        """SELECT a.id, a.about, a.content, k.name AS kern,
                  coalesce(o.name, a.about) AS name
           FROM gemeente_kern_answers a JOIN gemeente_kernen k ON k.id = a.kern_id
           LEFT JOIN gemeente_objects o ON o.object_id = a.about
           WHERE a.id > ? ORDER BY a.id""",
    ),
    Source(
        "projecten",
        """SELECT p.id, p.object_id AS about, p.summary AS content, k.name AS kern, p.name
           FROM gemeente_projects p JOIN gemeente_kernen k ON k.id = p.kern_id
           WHERE p.id > ? ORDER BY p.id""",
    ),
    # A conversation is new when a reactie is the gemeente's first about that project or thema.
    Source(
        "gesprekken",
        """SELECT r.id, r.in_reply_to AS about, r.content, k.name AS kern, r.author,
                  coalesce(o.name, r.in_reply_to) AS name
           FROM gemeente_reacties r JOIN gemeente_kernen k ON k.id = r.kern_id
           LEFT JOIN gemeente_objects o ON o.object_id = r.in_reply_to
           WHERE r.id > ? AND r.kind = 'Reactie' AND NOT EXISTS (
               SELECT 1 FROM gemeente_reacties e
               WHERE e.in_reply_to = r.in_reply_to AND e.kind = 'Reactie' AND e.id < r.id)
           ORDER BY r.id""",
    ),
)


class GemeenteNotices:
    def __init__(self, settings: Settings, templates: jinja2.Environment):
        self.settings = settings
        self.templates = templates
        self.describe: dict[str, Callable[[sqlite3.Row], notices.Notice]] = {
            "antwoorden": self._answer,
            "projecten": self._project,
            "gesprekken": self._conversation,
        }

    def hook(self, conn: sqlite3.Connection) -> None:
        for source in SOURCES:
            found = conn.execute(
                "SELECT last_id FROM gemeente_notice_marks WHERE source = ?", (source.key,)
            ).fetchone()
            mark = found[0] if found else 0
            new = conn.execute(source.sql, (mark,)).fetchall()
            if not new:
                continue
            conn.execute(
                """INSERT INTO gemeente_notice_marks (source, last_id) VALUES (?, ?)
                   ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id""",
                (source.key, new[-1]["id"]),
            )
            if len(new) > MAX_SINGLE:
                notices.notify(conn, self.settings, self.templates, self._many(source.key, new))
                continue
            for row in new:
                skip = self._author_of(conn, row) if source.key == "gesprekken" else None
                notice = self.describe[source.key](row)
                notices.notify(conn, self.settings, self.templates, notice, skip_user=skip)

    def _url(self, about: str) -> str:
        return self.settings.url(f"/beheer/reactie?op={quote(about, safe='')}")

    def _answer(self, row: sqlite3.Row) -> notices.Notice:
        facts = {"kern": row["kern"], "name": " ".join(row["name"].split())}
        return notices.Notice(
            topic="antwoorden",
            subject=_("%(kern)s antwoordde over %(name)s") % facts,
            text=_("%(kern)s antwoordde op een reactie van de gemeente over %(name)s:") % facts
            + "\n\n"
            + row["content"][:MAX_TEXT],
            title=_("%(kern)s antwoordde over %(name)s") % facts,
            url=self._url(row["about"]),
        )

    def _project(self, row: sqlite3.Row) -> notices.Notice:
        facts = {"kern": row["kern"], "name": " ".join(row["name"].split())}
        return notices.Notice(
            topic="projecten",
            subject=_("Nieuw project in %(kern)s: %(name)s") % facts,
            text=_("%(kern)s heeft een nieuw project: %(name)s.") % facts
            + ("\n\n" + row["content"][:MAX_TEXT] if row["content"] else ""),
            title=_("Nieuw project in %(kern)s: %(name)s") % facts,
            url=self._url(row["about"]),
        )

    def _conversation(self, row: sqlite3.Row) -> notices.Notice:
        facts = {
            "kern": row["kern"],
            "name": " ".join(row["name"].split()),
            "author": row["author"],
        }
        return notices.Notice(
            topic="gesprekken",
            subject=_("Nieuw gesprek met %(kern)s over %(name)s") % facts,
            text=_("%(author)s reageerde namens de gemeente op %(name)s van %(kern)s:") % facts
            + "\n\n"
            + row["content"][:MAX_TEXT],
            title=_("Nieuw gesprek met %(kern)s over %(name)s") % facts,
            url=self._url(row["about"]),
        )

    def _many(self, key: str, new: list[sqlite3.Row]) -> notices.Notice:
        titles = "\n".join(f"- {row['kern']}: {' '.join(row['name'].split())}" for row in new)
        count = len(new)
        headline = {
            "antwoorden": ngettext(
                "%(num)s nieuw antwoord van kernen", "%(num)s nieuwe antwoorden van kernen", count
            ),
            "projecten": ngettext(
                "%(num)s nieuw project van kernen", "%(num)s nieuwe projecten van kernen", count
            ),
            "gesprekken": ngettext(
                "%(num)s nieuw gesprek met kernen", "%(num)s nieuwe gesprekken met kernen", count
            ),
        }[key] % {"num": count}
        path = "/projecten" if key == "projecten" else "/beheer/werklijst"
        return notices.Notice(
            topic=key,
            subject=headline,
            text=headline + ":\n\n" + titles[:MAX_TEXT],
            title=headline,
            url=self.settings.url(path),
        )

    @staticmethod
    def _author_of(conn: sqlite3.Connection, row: sqlite3.Row) -> int | None:
        """Who wrote the reactie needs no notice of it (reacties keep the display name)."""
        found = conn.execute(
            "SELECT id FROM users WHERE display_name = ? ORDER BY id LIMIT 1", (row["author"],)
        ).fetchone()
        return found[0] if found else None


def attach_notices(db: Database, settings: Settings, templates: jinja2.Environment) -> None:
    db.before_commit(GemeenteNotices(settings, templates).hook)
