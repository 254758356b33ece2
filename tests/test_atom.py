"""The Atom feed: news, project updates, phase changes and meetings, as RFC 4287 asks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser

from node.kern.meetings import model as meetings
from node.kern.projects import model as projects
from tests.helpers import add_project
from tests.meeting_helpers import add_meeting

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_xml(data: str | bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the node's own output, parsed to check it


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def add_news(db, slug: str, title: str, body: str = "Tekst.", days: float = -1, removed=False):
    """News published `days` from now: negative is past, positive is scheduled."""
    published = stamp(datetime.now(UTC) + timedelta(days=days))
    values = {
        "slug": slug,
        "title": title,
        "body": body,
        "published_at": published,
        "created_by": "Anna de Vries",
        "created_at": published,
        "updated_at": published,
        "removed_at": published if removed else None,
    }
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    db.write(lambda conn: conn.execute(f"INSERT INTO news ({columns}) VALUES ({marks})", values))


async def get_feed(client) -> ET.Element:
    response = await client.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return parse_xml(response.content)


def entry_titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{A}title") for entry in feed.findall(f"{A}entry")]


def assert_valid_atom(feed: ET.Element) -> None:
    """The rules of RFC 4287 that a reader relies on (section 4.1.1 and 4.1.2)."""
    assert feed.tag == f"{A}feed"
    for required in ("id", "title", "updated"):
        assert len(feed.findall(f"{A}{required}")) == 1, required
    assert RFC3339.match(feed.findtext(f"{A}updated"))
    assert feed.find(f"{A}author/{A}name").text  # so entries need no author of their own
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links["self"] == "http://beesd.test/feed.atom"
    assert links["alternate"] == "http://beesd.test/"
    ids = []
    for entry in feed.findall(f"{A}entry"):
        for required in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{required}")) == 1, required
            assert entry.findtext(f"{A}{required}")
        assert RFC3339.match(entry.findtext(f"{A}updated"))
        alternate = entry.find(f"{A}link[@rel='alternate']")
        assert alternate is not None and alternate.get("href").startswith("http://beesd.test/")
        content = entry.find(f"{A}content")
        assert content is None or content.get("type") == "html"
        ids.append(entry.findtext(f"{A}id"))
    assert len(ids) == len(set(ids)), "entry ids must be unique"


async def test_empty_feed_is_valid_atom(client, db):
    feed = await get_feed(client)
    assert_valid_atom(feed)
    assert feed.findtext(f"{A}id") == "http://beesd.test/"
    assert feed.findtext(f"{A}title") == "Nieuws uit Beesd"
    assert feed.findall(f"{A}entry") == []


async def test_feed_has_news_updates_and_phase_changes_newest_first(client, db, settings):
    db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('group_name', ?)",
            (json.dumps("Dorpsbelangen Beesd"),),
        )
    )
    add_news(db, "oud-nieuws", "Oud nieuws", days=-30)
    project_id, slug = add_project(db, settings, title="Speeltuin Kerkplein")
    update_id = db.write(
        projects.add_update, settings, "test", project_id, "De schop gaat erin", "Het begint."
    )
    db.write(projects.change_phase, settings, "test", project_id, "uitvoering", "Geld is er.")
    add_news(db, "vers-nieuws", "Vers nieuws", days=-1)

    def spread_in_time(conn):  # all of it happened within a second: give each its own day
        days_ago = {"Nieuw project": 10, "update": 5, "uitvoering": 2}
        when = {k: stamp(datetime.now(UTC) - timedelta(days=v)) for k, v in days_ago.items()}
        conn.execute("UPDATE project_updates SET created_at = ?", (when["update"],))
        conn.execute(
            "UPDATE phase_changes SET changed_at = CASE WHEN from_phase IS NULL THEN ? ELSE ? END",
            (when["Nieuw project"], when["uitvoering"]),
        )

    db.write(spread_in_time)

    feed = await get_feed(client)
    assert_valid_atom(feed)
    assert feed.find(f"{A}author/{A}name").text == "Dorpsbelangen Beesd"
    assert entry_titles(feed) == [
        "Vers nieuws",
        "Project Speeltuin Kerkplein is nu in de fase uitvoering",
        "Speeltuin Kerkplein: De schop gaat erin",
        "Nieuw project: Speeltuin Kerkplein",
        "Oud nieuws",
    ]
    ids = [entry.findtext(f"{A}id") for entry in feed.findall(f"{A}entry")]
    assert ids[0] == "http://beesd.test/nieuws/vers-nieuws"
    assert ids[2] == f"http://beesd.test/projecten/{slug}/updates/{update_id}"
    assert ids[1].startswith(f"http://beesd.test/projecten/{slug}#fase-")
    phase = feed.findall(f"{A}entry")[1]
    assert "Geld is er." in phase.findtext(f"{A}content")
    # Stable: the same entries keep the same ids on the next request.
    assert ids == [e.findtext(f"{A}id") for e in (await get_feed(client)).findall(f"{A}entry")]


async def test_scheduled_and_removed_news_stay_out(client, db):
    add_news(db, "gepubliceerd", "Al gepubliceerd")
    add_news(db, "gepland", "Komt volgende week", days=7)
    add_news(db, "verwijderd", "Weggehaald", removed=True)
    titles = entry_titles(await get_feed(client))
    assert titles == ["Al gepubliceerd"]


async def test_removed_projects_leave_the_feed(client, db, settings):
    project_id, _ = add_project(db, settings, title="Weg ermee")
    db.write(projects.add_update, settings, "test", project_id, "Een update", "Tekst.")
    db.write(projects.remove_project, settings, "test", project_id)
    assert entry_titles(await get_feed(client)) == []


async def test_feed_escapes_html_and_script_from_user_text(client, db):
    title = "<script>alert('x')</script> & \"Kerst\""
    add_news(db, "kerst", title, body="Kom **gezellig**.\n\n<script>alert(1)</script>")
    response = await client.get("/feed.atom")
    assert b"<script" not in response.content
    entry = parse_xml(response.content).find(f"{A}entry")
    assert entry.findtext(f"{A}title") == title  # shown as text by the reader
    html = entry.findtext(f"{A}content")
    assert "<strong>gezellig</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html


async def test_feed_stays_well_formed_with_control_characters(client, db):
    add_news(db, "raar", "Nieuws\x0b met\x00 rare\x1f tekens", body="Body\x0c.")
    feed = await get_feed(client)
    assert entry_titles(feed) == ["Nieuws met rare tekens"]


async def test_feed_holds_at_most_fifty_entries(client, db):
    for number in range(60):
        add_news(db, f"bericht-{number}", f"Bericht {number}", days=-1 - number / 100)
    titles = entry_titles(await get_feed(client))
    assert len(titles) == 50
    assert titles[0] == "Bericht 0" and titles[-1] == "Bericht 49"


async def test_meetings_are_in_the_feed_and_a_feed_reader_reads_them(client, db, settings):
    planned_id, planned = add_meeting(db, settings, days=10, title="Kernavond over de dijk")
    cancelled_id, _ = add_meeting(db, settings, days=20, title="Snoeidag in het park")
    gone_id, _ = add_meeting(db, settings, days=30, title="Dubbel ingevoerd")
    db.write(meetings.cancel_meeting, settings, "test", cancelled_id, "Te veel regen.")
    db.write(meetings.remove_meeting, settings, "test", gone_id)

    response = await client.get("/feed.atom")
    feed = feedparser.parse(response.content)

    assert not feed.bozo, feed.bozo_exception
    by_title = {entry.title: entry for entry in feed.entries}
    entry = by_title["Bijeenkomst: Kernavond over de dijk"]
    assert entry.link == f"{settings.public_url}/bijeenkomsten/{planned}"
    assert "Dorpshuis De Pluk" in entry.summary and "19:30" in entry.summary
    assert "<strong>veilig fietsen</strong>" in entry.summary
    cancelled = by_title["Gaat niet door: Snoeidag in het park"]
    assert "Te veel regen." in cancelled.summary
    assert cancelled.updated_parsed >= cancelled.published_parsed
    assert not any("Dubbel ingevoerd" in title for title in by_title)
