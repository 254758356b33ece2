"""The kern's Atom feed (RFC 4287): news, project updates, phase changes and meetings, newest
first (a meeting by when it was announced, and again when it changed or was cancelled).

Built with xml.etree, so every text is escaped by the serializer; Markdown is rendered and
sanitised (node/web/markdown.py) and then carried as escaped HTML in type="html" content.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from node.db import Database
from node.kern.meetings.model import when_text
from node.settings import Settings
from node.vocabulary import PHASES, label
from node.web.conditional import conditional_response
from node.web.i18n import _
from node.web.markdown import render_markdown

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
MAX_ENTRIES = 50
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 forbids; ElementTree would write them and leave the feed ill-formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    updated: datetime
    published: datetime
    content: str  # sanitised HTML


@dataclass(frozen=True)
class _Draft:
    """An entry before its content is made: each kind reads its newest `limit` rows, and
    only the `limit` newest of them all are kept, so Markdown is rendered for those alone."""

    id: str
    title: str
    link: str
    updated: datetime
    published: datetime
    make_content: Callable[[], str]

    def entry(self) -> Entry:
        return Entry(
            self.id, self.title, self.link, self.updated, self.published, self.make_content()
        )


def _markdown_html(text: str) -> str:
    return str(render_markdown(text))


def parse_stamp(value: str) -> datetime:
    """A stored time (UTC ISO, or a bare date) as an aware datetime in UTC."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _news(db: Database, settings: Settings, now: datetime, limit: int) -> list[_Draft]:
    # Scheduled news (published_at in the future) stays out until its time has come.
    rows = db.execute(
        """SELECT slug, title, body, published_at, updated_at FROM news
           WHERE removed_at IS NULL AND published_at <= ?
           ORDER BY published_at DESC, id DESC LIMIT ?""",
        (now.isoformat(timespec="seconds"), limit),
    )
    entries = []
    for row in rows:
        published = parse_stamp(row["published_at"])
        if published > now:  # a stamp written another way than the query expects
            continue
        url = settings.url(f"/nieuws/{quote(row['slug'])}")
        entries.append(
            _Draft(
                id=url,
                title=row["title"],
                link=url,
                updated=max(published, parse_stamp(row["updated_at"])),
                published=published,
                make_content=partial(_markdown_html, row["body"]),
            )
        )
    return entries


def _updates(db: Database, settings: Settings, now: datetime, limit: int) -> list[_Draft]:
    # The newest ids are sorted alone, then their rows read: sorting every row with its
    # text took three times as long in a large kern (see bench/README.md, "Size curves").
    rows = db.execute(
        """SELECT u.id, u.title, u.body, u.published_on, u.created_at,
                  p.slug AS project_slug, p.title AS project_title
           FROM project_updates u JOIN projects p ON p.id = u.project_id
           JOIN (SELECT u.id FROM project_updates u JOIN projects p ON p.id = u.project_id
                 WHERE p.removed_at IS NULL AND u.published_on <= ?
                 ORDER BY u.created_at DESC, u.id DESC LIMIT ?) newest ON newest.id = u.id
           ORDER BY u.created_at DESC, u.id DESC""",
        (now.date().isoformat(), limit),
    )
    entries = []
    for row in rows:
        # The update's stable address (see pages.project_update_link) is its id and link.
        url = settings.url(f"/projecten/{quote(row['project_slug'])}/updates/{row['id']}")
        created = parse_stamp(row["created_at"])
        entries.append(
            _Draft(
                id=url,
                title=f"{row['project_title']}: {row['title']}",
                link=url,
                updated=created,
                published=created,
                make_content=partial(_markdown_html, row["body"]),
            )
        )
    return entries


def _phase_changes(db: Database, settings: Settings, limit: int) -> list[_Draft]:
    rows = db.execute(
        """SELECT c.id, c.from_phase, c.to_phase, c.note, c.changed_at,
                  p.slug AS project_slug, p.title AS project_title
           FROM phase_changes c JOIN projects p ON p.id = c.project_id
           JOIN (SELECT c.id FROM phase_changes c JOIN projects p ON p.id = c.project_id
                 WHERE p.removed_at IS NULL
                 ORDER BY c.changed_at DESC, c.id DESC LIMIT ?) newest ON newest.id = c.id
           ORDER BY c.changed_at DESC, c.id DESC""",
        (limit,),
    )
    entries = []
    for row in rows:
        project_url = settings.url(f"/projecten/{quote(row['project_slug'])}")
        phase = label(PHASES, row["to_phase"]).lower()
        if row["from_phase"]:
            title = _("Project %(project)s is nu in de fase %(phase)s")
            sentence = _("Van de fase %(old)s naar de fase %(new)s.")
        else:
            title = _("Nieuw project: %(project)s")
            sentence = _("Het project begint in de fase %(new)s.")
        old = label(PHASES, row["from_phase"]).lower() if row["from_phase"] else ""
        changed = parse_stamp(row["changed_at"])
        entries.append(
            _Draft(
                id=f"{project_url}#fase-{row['id']}",
                title=title % {"project": row["project_title"], "phase": phase},
                link=f"{project_url}#fase-{row['id']}",
                updated=changed,
                published=changed,
                make_content=partial(
                    _phase_content, sentence % {"old": old, "new": phase}, row["note"]
                ),
            )
        )
    return entries


def _phase_content(sentence: str, note: str) -> str:
    content = Markup("<p>{}</p>").format(sentence)
    if note:
        content += render_markdown(note)
    return str(content)


def _meetings(db: Database, settings: Settings, now: datetime, limit: int) -> list[_Draft]:
    rows = db.execute(
        """SELECT m.slug, m.title, m.description, m.starts_at, m.ends_at, m.place_name,
                  m.place_address, m.status, m.cancel_reason, m.created_at, m.updated_at
           FROM meetings m
           JOIN (SELECT id FROM meetings WHERE removed_at IS NULL AND created_at <= ?
                 ORDER BY created_at DESC, id DESC LIMIT ?) newest ON newest.id = m.id
           ORDER BY m.created_at DESC, m.id DESC""",
        (now.isoformat(timespec="seconds"), limit),
    )
    entries = []
    for row in rows:
        url = settings.url(f"/bijeenkomsten/{quote(row['slug'])}")
        if row["status"] == "geannuleerd":
            title = _("Gaat niet door: %(title)s") % {"title": row["title"]}
        else:
            title = _("Bijeenkomst: %(title)s") % {"title": row["title"]}
        created = parse_stamp(row["created_at"])
        entries.append(
            _Draft(
                id=url,
                title=title,
                link=url,
                updated=max(created, parse_stamp(row["updated_at"])),
                published=created,
                make_content=partial(_meeting_content, row),
            )
        )
    return entries


def _meeting_content(row) -> str:
    when = when_text(row["starts_at"], row["ends_at"])
    place = ", ".join(part for part in (row["place_name"], row["place_address"]) if part)
    if row["status"] == "geannuleerd":
        content = Markup("<p><strong>{}</strong> {}</p>").format(
            _("Deze bijeenkomst gaat niet door."), row["cancel_reason"]
        )
    else:
        content = Markup("")
    content += Markup("<p>{}<br>{}</p>").format(when, place)
    content += render_markdown(row["description"])
    return str(content)


def feed_entries(
    db: Database, settings: Settings, now: datetime | None = None, limit: int = MAX_ENTRIES
) -> list[Entry]:
    """The newest `limit` entries of every kind together, newest first."""
    now = now or datetime.now(UTC)
    drafts = [
        *_news(db, settings, now, limit),
        *_updates(db, settings, now, limit),
        *_phase_changes(db, settings, limit),
        *_meetings(db, settings, now, limit),
    ]
    drafts.sort(key=lambda draft: (draft.published, draft.id), reverse=True)
    return [draft.entry() for draft in drafts[:limit]]


def changed_at(db: Database, now: datetime) -> datetime | None:
    """The newest change to what the feed shows: every change to news, projects and meetings
    (a removal too) is an event, and scheduled news and updates appear when their time comes."""
    event, news, update = db.execute(
        """SELECT
             (SELECT at FROM events ORDER BY id DESC LIMIT 1),
             (SELECT max(published_at) FROM news WHERE removed_at IS NULL AND published_at <= ?),
             (SELECT max(published_on) FROM project_updates WHERE published_on <= ?)""",
        (now.isoformat(timespec="seconds"), now.date().isoformat()),
    )[0]
    return max((parse_stamp(value) for value in (event, news, update) if value), default=None)


def feed_version(db: Database, now: datetime) -> str:
    """Changes whenever the feed may: with the data, or when scheduled news or a project
    update dated later comes out."""
    news, update = db.execute(
        """SELECT
             (SELECT min(published_at) FROM news WHERE removed_at IS NULL AND published_at > ?),
             (SELECT min(published_on) FROM project_updates WHERE published_on > ?)""",
        (now.isoformat(timespec="seconds"), now.date().isoformat()),
    )[0]
    return f"{db.data_version()}|{news}|{update}"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _xml_text(text)
    return element


def build_feed(
    entries: list[Entry], settings: Settings, title: str, author: str, now: datetime
) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_BASE: settings.url("/")})
    _add(feed, "id", settings.url("/"))
    _add(feed, "title", title)
    _add(feed, "updated", rfc3339(max((e.updated for e in entries), default=now)))
    _add(feed, "link", rel="self", type="application/atom+xml", href=settings.url("/feed.atom"))
    _add(feed, "link", rel="alternate", type="text/html", href=settings.url("/"))
    _add(_add(feed, "author"), "name", author)
    _add(feed, "generator", "Bloei")
    for entry in entries:
        element = _add(feed, "entry")
        _add(element, "id", entry.id)
        _add(element, "title", entry.title)
        _add(element, "link", rel="alternate", type="text/html", href=entry.link)
        _add(element, "updated", rfc3339(entry.updated))
        _add(element, "published", rfc3339(entry.published))
        _add(_add(element, "author"), "name", author)
        _add(element, "content", entry.content, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


async def feed(request: Request) -> Response:
    state = request.app.state
    settings = state.settings
    author = state.site().get("group_name") or settings.name
    now = datetime.now(UTC)
    # Read these first: a change landing in between then makes them too old, never too new.
    version = feed_version(state.db, now)
    changed = changed_at(state.db, now)

    def render() -> bytes:
        return build_feed(
            feed_entries(state.db, settings, now),
            settings,
            _("Nieuws uit %(kern)s") % {"kern": settings.name},
            author,
            # An empty feed is as old as the last change, so its bytes stay the same too.
            changed or now,
        )

    return conditional_response(request, render, MEDIA_TYPE, changed, version=version)
