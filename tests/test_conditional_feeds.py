"""Conditional requests for the kern's feeds: the calendar, one meeting's calendar and the Atom
feed answer 304 without a body to what calendar apps and feed readers send (RFC 9110 §13)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from node.app import create_app
from node.kern.api import atom
from node.kern.meetings import calendar
from node.kern.meetings import model as meetings
from node.web.conditional import etag_listed, parse_http_date
from tests.conftest import BASE_URL
from tests.idea_helpers import add_news
from tests.meeting_helpers import add_meeting

FEEDS = ("/bijeenkomsten.ics", "/bijeenkomsten/{slug}/kalender.ics", "/feed.atom")


@pytest.fixture
async def uncached(settings, db):
    """A node without the anonymous page cache, so every request reaches the feed itself."""
    app = create_app(settings.with_changes(page_cache=False), db)
    # The plain bodies and their strong tags; gzip and its weak tags: tests/test_compression.py.
    plain = {"Accept-Encoding": "identity"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=plain) as http:
        yield http


@pytest.fixture
def meeting(db, settings) -> tuple[int, str]:
    return add_meeting(db, settings, days=10, title="Inloopavond")


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def last_modified(response: httpx.Response) -> datetime:
    return parsedate_to_datetime(response.headers["last-modified"])


async def first_fetch(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.content
    return response


def assert_not_modified(response: httpx.Response, first: httpx.Response) -> None:
    assert response.status_code == 304
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["etag"] == first.headers["etag"]
    assert response.headers["last-modified"] == first.headers["last-modified"]


# --- Validators and 304 on every feed -------------------------------------------------------


@pytest.mark.parametrize("feed", FEEDS)
async def test_every_feed_has_a_strong_etag_and_last_modified(uncached, meeting, feed):
    path = feed.format(slug=meeting[1])
    first = await first_fetch(uncached, path)
    assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["etag"])  # strong: no W/
    assert first.headers["last-modified"].endswith(" GMT")
    assert last_modified(first) <= datetime.now(UTC)
    again = await first_fetch(uncached, path)
    assert again.headers["etag"] == first.headers["etag"]
    assert again.content == first.content


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "W/{etag}",  # a weak copy of the tag still matches: If-None-Match compares weakly
        '"iets-anders", {etag}',
        '"iets-anders",W/{etag} , "nog-een"',
        "*",
    ],
)
async def test_if_none_match_as_clients_send_it_gives_304(uncached, meeting, feed, if_none_match):
    path = feed.format(slug=meeting[1])
    first = await first_fetch(uncached, path)
    header = if_none_match.format(etag=first.headers["etag"])
    assert_not_modified(await uncached.get(path, headers={"If-None-Match": header}), first)


@pytest.mark.parametrize("feed", FEEDS)
async def test_an_other_etag_gets_the_whole_feed(uncached, meeting, feed):
    path = feed.format(slug=meeting[1])
    first = await first_fetch(uncached, path)
    tag = first.headers["etag"]
    for header in ('"iets-anders"', 'W/"iets-anders"', tag[:-2] + '"', tag.strip('"')):
        response = await uncached.get(path, headers={"If-None-Match": header})
        assert response.status_code == 200 and response.content == first.content, header


@pytest.mark.parametrize("feed", FEEDS)
async def test_if_modified_since_not_older_than_last_modified_gives_304(uncached, meeting, feed):
    path = feed.format(slug=meeting[1])
    first = await first_fetch(uncached, path)
    changed = last_modified(first)
    for since in (first.headers["last-modified"], http_date(datetime.now(UTC))):
        response = await uncached.get(path, headers={"If-Modified-Since": since})
        assert_not_modified(response, first)
    older = await uncached.get(
        path, headers={"If-Modified-Since": http_date(changed - timedelta(seconds=1))}
    )
    assert older.status_code == 200 and older.content == first.content


@pytest.mark.parametrize(
    "since",
    [
        "gisteren",
        "",
        "Sun, 31 Feb 2026 08:49:37 GMT",
        "1733333333",
        "Sun, 06 Nov 99999 08:49:37 GMT",
        "x" * 5000,
    ],
)
async def test_a_malformed_if_modified_since_is_ignored(uncached, meeting, since):
    first = await first_fetch(uncached, "/bijeenkomsten.ics")
    response = await uncached.get("/bijeenkomsten.ics", headers={"If-Modified-Since": since})
    assert response.status_code == 200 and response.content == first.content


async def test_an_if_modified_since_in_the_future_is_ignored(uncached, meeting):
    tomorrow = http_date(datetime.now(UTC) + timedelta(days=1))
    response = await uncached.get("/feed.atom", headers={"If-Modified-Since": tomorrow})
    assert response.status_code == 200


async def test_older_date_forms_are_understood(uncached, meeting):
    await first_fetch(uncached, "/bijeenkomsten.ics")
    now = datetime.now(UTC)
    for since in (now.strftime("%A, %d-%b-%y %H:%M:%S GMT"), now.strftime("%a %b %e %H:%M:%S %Y")):
        response = await uncached.get("/bijeenkomsten.ics", headers={"If-Modified-Since": since})
        assert response.status_code == 304, since


async def test_if_none_match_wins_over_if_modified_since(uncached, meeting):
    first = await first_fetch(uncached, "/bijeenkomsten.ics")
    fresh_date = first.headers["last-modified"]
    stale_tag = await uncached.get(
        "/bijeenkomsten.ics",
        headers={"If-None-Match": '"iets-anders"', "If-Modified-Since": fresh_date},
    )
    assert stale_tag.status_code == 200
    long_ago = http_date(datetime(2001, 1, 1, tzinfo=UTC))
    fresh_tag = await uncached.get(
        "/bijeenkomsten.ics",
        headers={"If-None-Match": first.headers["etag"], "If-Modified-Since": long_ago},
    )
    assert fresh_tag.status_code == 304


async def test_head_is_conditional_too(uncached, meeting):
    first = await first_fetch(uncached, "/feed.atom")
    response = await uncached.head("/feed.atom", headers={"If-None-Match": first.headers["etag"]})
    assert response.status_code == 304


async def test_the_calendars_keep_their_caching_headers_on_a_304(uncached, meeting):
    first = await first_fetch(uncached, "/bijeenkomsten.ics")
    response = await uncached.get(
        "/bijeenkomsten.ics", headers={"If-None-Match": first.headers["etag"]}
    )
    assert response.headers["cache-control"] == first.headers["cache-control"]


async def test_through_the_page_cache_the_same_tag_still_gives_304(client, meeting):
    first = await first_fetch(client, "/bijeenkomsten.ics")
    again = await client.get("/bijeenkomsten.ics", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("feed", ["/bijeenkomsten.ics", "/feed.atom"])
async def test_the_page_cache_answers_a_weak_tag_or_a_date_as_the_feed_does(client, meeting, feed):
    first = await first_fetch(client, feed)
    await client.get(feed)  # now stored in the page cache
    weak = await client.get(feed, headers={"If-None-Match": "W/" + first.headers["etag"]})
    by_date = await client.get(feed, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert (weak.status_code, weak.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")


# --- A change is a new body, a new tag and a later date -------------------------------------


async def polled(client: httpx.AsyncClient, path: str, first: httpx.Response) -> httpx.Response:
    """What a calendar app gets when it polls again with both validators it kept."""
    return await client.get(
        path,
        headers={
            "If-None-Match": first.headers["etag"],
            "If-Modified-Since": first.headers["last-modified"],
        },
    )


async def polled_by_date(
    client: httpx.AsyncClient, path: str, first: httpx.Response
) -> httpx.Response:
    """A client that keeps only the date."""
    return await client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})


@pytest.mark.parametrize("feed", FEEDS)
async def test_a_changed_meeting_changes_every_feed_that_shows_it(
    uncached, db, settings, meeting, feed
):
    meeting_id, slug = meeting
    path = feed.format(slug=slug)
    first = await first_fetch(uncached, path)
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "De zaal is dicht.")
    for ask in (polled, polled_by_date):
        response = await ask(uncached, path, first)
        assert response.status_code == 200, ask.__name__
        assert response.headers["etag"] != first.headers["etag"]
        assert last_modified(response) > last_modified(first)
        assert "De zaal is dicht." in response.text.replace("\r\n ", "")
    assert (await polled(uncached, path, response)).status_code == 304


async def test_a_meeting_taken_off_the_site_changes_the_calendar(uncached, db, settings, meeting):
    other_id, _ = add_meeting(db, settings, days=20, title="Dubbel")
    first = await first_fetch(uncached, "/bijeenkomsten.ics")
    db.write(meetings.remove_meeting, settings, "test", other_id)
    for ask in (polled, polled_by_date):
        response = await ask(uncached, "/bijeenkomsten.ics", first)
        assert response.status_code == 200, ask.__name__
        assert "Dubbel" not in response.text


async def test_a_change_that_leaves_no_time_behind_still_moves_last_modified(uncached, db, meeting):
    """The group's name is in the calendar's description; the site table keeps no times."""
    first = await first_fetch(uncached, "/bijeenkomsten.ics")

    def rename(conn):
        conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('group_name', ?)",
            ('"Dorpsraad Nieuw-Beesd"',),
        )

    db.write(rename)
    response = await polled_by_date(uncached, "/bijeenkomsten.ics", first)
    assert response.status_code == 200
    assert "Dorpsraad Nieuw-Beesd" in response.text.replace("\r\n ", "")
    assert last_modified(response) > last_modified(first)
    assert (await polled(uncached, "/bijeenkomsten.ics", response)).status_code == 304


async def test_an_unrelated_change_keeps_the_single_calendar_as_it_was(
    uncached, db, settings, meeting
):
    path = f"/bijeenkomsten/{meeting[1]}/kalender.ics"
    first = await first_fetch(uncached, path)
    add_meeting(db, settings, days=30, title="Iets anders")
    assert_not_modified(await polled(uncached, path, first), first)
    assert_not_modified(await polled_by_date(uncached, path, first), first)


# --- The parsing itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "listed"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x",W/"abc"', True),
        (" * ", True),
        ('"abcd"', False),
        ("abc", False),
        ('"x, abc"', False),  # one tag with a comma inside, not two
        ("", False),
    ],
)
def test_if_none_match_lists_are_read_as_rfc_9110_writes_them(header, listed):
    assert etag_listed(header, '"abc"') is listed


def test_http_dates_in_all_three_forms():
    moment = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    for text in (
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ):
        assert parse_http_date(text) == moment
    assert parse_http_date("6 november 1994") is None


# --- A poll at the same version makes no new body -------------------------------------------


@pytest.fixture
def renders(monkeypatch) -> dict[str, int]:
    """How often each feed's body was made."""
    counts = {"calendar": 0, "single": 0, "atom": 0}

    def counting(name, make):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return make(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(calendar, "feed", counting("calendar", calendar.feed))
    monkeypatch.setattr(calendar, "single", counting("single", calendar.single))
    monkeypatch.setattr(atom, "build_feed", counting("atom", atom.build_feed))
    return counts


@pytest.mark.parametrize(
    ("feed", "kind"),
    [
        ("/bijeenkomsten.ics", "calendar"),
        ("/bijeenkomsten/{slug}/kalender.ics", "single"),
        ("/feed.atom", "atom"),
    ],
)
async def test_a_poll_that_changes_nothing_makes_no_body(
    uncached, db, settings, meeting, renders, feed, kind
):
    path = feed.format(slug=meeting[1])
    first = await first_fetch(uncached, path)
    assert renders[kind] == 1
    for ask in (polled, polled_by_date):
        assert_not_modified(await ask(uncached, path, first), first)
    assert renders[kind] == 1
    # A client without this body gets it from memory while the data stays as it was.
    other = await uncached.get(path, headers={"If-None-Match": '"iets-anders"'})
    assert other.status_code == 200 and other.content == first.content
    assert renders[kind] == 1
    db.write(meetings.cancel_meeting, settings, "test", meeting[0], "Storm.")
    assert (await polled(uncached, path, first)).status_code == 200
    assert renders[kind] == 2


def test_the_calendar_version_moves_when_its_first_meeting_grows_too_old(db, settings):
    add_meeting(db, settings, days=-300, title="Lang geleden")
    before = meetings.calendar_version(db, meetings.calendar_since())
    a_year_later = meetings.utc_iso(datetime.now(UTC) + timedelta(days=100))
    later = meetings.calendar_version(db, a_year_later)
    assert later != before
    assert meetings.calendar_changed_at(db, a_year_later) > datetime.now(UTC) - timedelta(days=1)


def test_the_feed_version_moves_when_scheduled_news_comes_out(db, settings):
    add_news(db, settings, hours_from_now=2, title="Later")
    now = datetime.now(UTC)
    assert atom.feed_version(db, now) != atom.feed_version(db, now + timedelta(hours=3))
    assert atom.changed_at(db, now + timedelta(hours=3)) > now + timedelta(hours=1)
