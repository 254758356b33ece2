"""Conditional requests for the kern's federation documents and open-data API: the actor, the
outbox (collection and pages), the follow counts and /api/v1 answer 304 without a body to a
client that already has the current answer (RFC 9110 §13), and never to one that does not."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from federation import followers
from node.app import create_app
from node.kern.api.openapi import BASE
from node.web import activitypub
from node.web.conditional import settled_last_modified
from tests.conftest import BASE_URL
from tests.helpers import add_thema

ANNA = "https://mastodon.test/users/anna"
BERT = "https://mastodon.test/users/bert"
# Documents that change only with the data version, so they carry Last-Modified too.
VERSIONED = (
    "/actor",
    "/actor/outbox",
    "/actor/outbox?page=true",
    "/actor/outbox?page=true&size=2",
    "/actor/outbox?after=0",
    f"{BASE}/themas",
    f"{BASE}/projecten",
)


@pytest.fixture(params=[False, True], ids=["app", "page-cache"])
async def http(request, settings, db):
    """The node answering itself, and through the anonymous page cache in front of it: both
    must follow the same rules."""
    app = create_app(settings.with_changes(page_cache=request.param), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c


def age_last_change(db, seconds: int = 10) -> None:
    """As if the last change were `seconds` ago: an answer only dates a change whose second
    is over (node/web/conditional.py), and tests do not wait."""
    db.write_quiet(
        lambda conn: conn.execute(
            "UPDATE meta SET value = value - ? WHERE key = 'data_changed_at'", (seconds,)
        )
    )


def change_what_it_shows(db, settings, path: str) -> None:
    if path == "/actor":
        description = json.dumps("Het dorp aan de Linge.")
        db.write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO site (key, value) VALUES ('group_description', ?)",
                (description,),
            )
        )
    else:
        add_thema(db, settings, title="Wonen")


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


async def first(http: httpx.AsyncClient, path: str) -> httpx.Response:
    response = await http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    return response


@pytest.mark.parametrize("path", VERSIONED)
async def test_200_then_304_then_a_change_then_200(http, db, settings, path):
    add_thema(db, settings, title="Verkeer")
    add_thema(db, settings, title="Groen")
    age_last_change(db)
    response = await first(http, path)
    etag = response.headers["etag"]
    stamp = response.headers["last-modified"]
    assert parsedate_to_datetime(stamp) <= datetime.now(UTC)

    again = await http.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["last-modified"] == stamp
    by_date = await http.get(path, headers={"If-Modified-Since": stamp})
    assert by_date.status_code == 304

    change_what_it_shows(db, settings, path)
    changed = await http.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.content
    assert changed.headers["etag"] != etag
    # Sent right after the change, this date may not be newer yet: the ETag alone decides.
    later = await http.get(path, headers={"If-Modified-Since": stamp})
    assert later.status_code == 200 and later.content


@pytest.mark.parametrize("path", VERSIONED)
@pytest.mark.parametrize("form", ["W/{etag}", '"iets-anders", W/{etag}', "{etag}, W/{etag}"])
async def test_if_none_match_compares_weakly(http, db, settings, path, form):
    add_thema(db, settings, title="Verkeer")
    etag = (await first(http, path)).headers["etag"].removeprefix("W/")
    response = await http.get(path, headers={"If-None-Match": form.format(etag=etag)})
    assert response.status_code == 304


@pytest.mark.parametrize("path", VERSIONED)
async def test_an_unknown_tag_or_an_older_date_gets_the_body(http, db, settings, path):
    add_thema(db, settings, title="Verkeer")
    age_last_change(db)
    response = await first(http, path)
    stamp = parsedate_to_datetime(response.headers["last-modified"])
    other = await http.get(path, headers={"If-None-Match": '"iets-anders"'})
    assert other.status_code == 200 and other.content
    older = await http.get(path, headers={"If-Modified-Since": http_date(stamp - timedelta(1))})
    assert older.status_code == 200 and older.content
    # If-None-Match decides when both are sent (RFC 9110 §13.2.2).
    both = await http.get(
        path,
        headers={"If-None-Match": '"iets-anders"', "If-Modified-Since": http_date(stamp)},
    )
    assert both.status_code == 200


def test_the_date_of_a_change_is_only_sent_once_its_second_is_over():
    """A second change in the same second would carry the same date, and a client's
    If-Modified-Since would miss it; without the date the ETag still decides."""
    changed = datetime(2026, 12, 4, 12, 0, 0, 500_000, tzinfo=UTC)
    assert settled_last_modified(changed, changed + timedelta(milliseconds=400)) is None
    whole = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    assert settled_last_modified(changed, whole + timedelta(seconds=1)) == whole
    assert settled_last_modified(None, whole) is None


async def test_the_api_does_not_answer_if_none_match_star_before_it_knows(http):
    response = await http.get(f"{BASE}/themas/onbekend", headers={"If-None-Match": "*"})
    assert response.status_code == 404


async def test_a_bad_outbox_question_is_still_refused(http):
    for bad in ("?after=x", "?wat=1", "?size=1000", "?page=nee", "?after=1&before=2"):
        response = await http.get(f"/actor/outbox{bad}", headers={"If-None-Match": "*"})
        assert response.status_code == 400, bad


@pytest.mark.parametrize("path", ["/actor/followers", "/actor/following"])
async def test_follow_counts_revalidate_and_see_changes_the_data_version_misses(http, db, path):
    """Follows are written without a data-version bump: the count is counted each time, its
    ETag decides, and the page cache keeps no copy."""

    def follow(actor: str):
        def write(conn):
            now = datetime.now(UTC)
            if path.endswith("followers"):
                followers.save_follower(conn, actor, f"{actor}/inbox", None, "accepted", now)
            else:
                followers.save_following(
                    conn, actor, f"{actor}/inbox", f"{actor}#follow", now, state="accepted"
                )

        db.write_quiet(write)

    follow(ANNA)
    response = await first(http, path)
    assert response.headers["cache-control"] == "no-cache, private"
    assert re.fullmatch(r'(W/)?"[0-9a-f]{32}"', response.headers["etag"])
    etag = response.headers["etag"]
    again = await http.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304

    follow(BERT)
    changed = await http.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["totalItems"] == 2


async def test_the_actor_is_made_once_per_change_and_then_served_from_memory(
    settings, db, monkeypatch
):
    """With the page cache off too: until the data version moves, the kept body is sent
    again as it was, and a change makes it anew."""
    made = []
    real_bytes = activitypub.activity_bytes

    def counted(document):
        made.append(document.get("id"))
        return real_bytes(document)

    monkeypatch.setattr(activitypub, "activity_bytes", counted)
    app = create_app(settings.with_changes(page_cache=False), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        bodies = [(await c.get("/actor")).content for _ in range(3)]
        assert bodies[0] == bodies[1] == bodies[2]
        change_what_it_shows(db, settings, "/actor")
        changed = (await c.get("/actor")).content
    assert changed != bodies[0]
    assert len(made) == 2
