"""A kern that has moved (`bloei move`): people go to the new address, input is refused, and
the federation endpoints keep answering while the old server retries its deliveries."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest

from federation.addresses import AddressPolicy
from node import migrate
from node.app import open_database
from node.kern.moving.moved import new_base
from node.web.middleware import PageCacheMiddleware
from tests.conftest import BASE_URL, login
from tests.federation.federation_helpers import resolver
from tests.helpers import THEMA, add_project
from tests.idea_helpers import idea_form
from tests.meeting_helpers import add_meeting
from tests.test_federation_web import FakeServers, mastodon_follow, post_inbox

NEW_BASE = "https://beesd.nl"
NEW_ACTOR = f"{NEW_BASE}/actor"
RESIDENT = {"name": "Jan Bos", "email": "jan@example.org", "phone": "", "people": "2"}
MESSAGE = (
    "Je bericht is niet verstuurd. De kernagenda van Beesd staat nu op beesd.nl. "
    "Probeer het daar opnieuw."
)


def counts(db) -> dict[str, int]:
    """Rows of what residents and beheer add, and the data version every write bumps."""
    tables = ("rsvps", "ideas", "themas", "projects", "mail_queue", "events")
    found = {table: db.scalar(f"SELECT count(*) FROM {table}") for table in tables}
    return {**found, "data_version": db.data_version()}


def write_moved_to(settings, value: str) -> None:
    """As another process would: its own connection, and no bump of the data version."""
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('moved_to', ?)", (value,))


def page_cache(app) -> PageCacheMiddleware:
    layer = app.middleware_stack
    while not isinstance(layer, PageCacheMiddleware):
        layer = layer.app
    return layer


@pytest.fixture
def moved(db, settings) -> str:
    """The kern has announced its move, as `bloei move` does."""
    return migrate.announce_move(db, settings, NEW_ACTOR)


# --- before the move ---------------------------------------------------------------------------


async def test_before_the_move_everything_answers_as_usual(client, db, settings):
    _, slug = add_project(db, settings)
    _, meeting = add_meeting(db, settings)
    for path in ("/", f"/projecten/{slug}", "/api/v1/projecten"):
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/beheer")).status_code == 303
    response = await client.post(f"/bijeenkomsten/{meeting}/aanmelden", data=RESIDENT)
    assert response.status_code == 303
    assert db.scalar("SELECT count(*) FROM rsvps") == 1
    assert "movedTo" not in (await client.get("/actor")).json()


# --- reading: a redirect to the same path and query at the new address ------------------------


async def test_pages_api_and_beheer_send_people_to_the_new_address(client, db, settings):
    _, slug = add_project(db, settings)
    signed_in = await login(client)
    assert signed_in
    migrate.announce_move(db, settings, NEW_ACTOR)
    for path in (
        "/",
        f"/projecten/{slug}",
        "/projecten?fase=idee&thema=verkeer",
        "/zoeken?q=zebrapad%20school",
        "/api/v1/projecten?fase=idee",
        "/feed.atom",
        "/beheer",
        "/beheer/projecten/1",
        "/media/foto.jpg",
    ):
        for method in ("GET", "HEAD"):
            response = await client.request(method, path)
            assert response.status_code == 301, (method, path)
            assert response.headers["location"] == NEW_BASE + path, (method, path)
    api = await client.get("/api/v1/projecten")
    assert api.headers["access-control-allow-origin"] == "*"


async def test_the_page_cache_never_serves_a_page_from_before_the_move(app, client, settings):
    assert (await client.get("/over?tab=1")).status_code == 200
    assert (await client.get("/over?tab=1")).status_code == 200
    assert page_cache(app).hits == 1, "the page was stored and served from the cache"

    # Written without bumping the data version: the stored page is still "fresh".
    write_moved_to(settings, NEW_ACTOR)
    response = await client.get("/over?tab=1")
    assert response.status_code == 301
    assert response.headers["location"] == f"{NEW_BASE}/over?tab=1"
    assert page_cache(app).hits == 1


async def test_a_move_by_another_process_is_noticed_without_a_restart(client, settings):
    assert (await client.get("/agenda")).status_code == 200
    other = open_database(settings)
    try:
        migrate.announce_move(other, settings, NEW_ACTOR)
    finally:
        other.close()
    response = await client.get("/agenda")
    assert response.status_code == 301
    assert response.headers["location"] == f"{NEW_BASE}/agenda"


# --- writing: refused, nothing stored ----------------------------------------------------------


async def test_an_rsvp_and_an_idea_are_refused_in_dutch_and_nothing_is_stored(client, db, settings):
    _, meeting = add_meeting(db, settings)
    form = idea_form(settings)
    migrate.announce_move(db, settings, NEW_ACTOR)
    before = counts(db)

    rsvp = await client.post(f"/bijeenkomsten/{meeting}/aanmelden", data=RESIDENT)
    idea = await client.post("/ideeen/nieuw", data=form)
    # Refused before the route is looked at: no idea needs to exist for this one.
    support = await client.post("/ideeen/een-bankje/steun", data={})

    for response in (rsvp, idea, support):
        assert response.status_code == 410
        assert response.headers["content-type"].startswith("text/html")
        assert "Deze site is verhuisd" in response.text
        assert MESSAGE in response.text
        assert response.headers["cache-control"] == "no-store"
    assert counts(db) == before


async def test_the_refusal_is_an_accessible_page_with_a_way_on(client, db, settings, moved):
    _, meeting = add_meeting(db, settings)
    referer = f"{BASE_URL}/bijeenkomsten/{meeting}"
    response = await client.post(
        f"/bijeenkomsten/{meeting}/aanmelden", data=RESIDENT, headers={"Referer": referer}
    )
    page = response.text
    assert '<html lang="nl">' in page
    assert re.search(r"<title>Deze site is verhuisd · [^<]+</title>", page)
    assert '<main id="inhoud"' in page and 'href="#inhoud"' in page
    assert page.count("<h1>") == 1
    assert "<form" not in page, "a search here would redirect to another host, which CSP blocks"
    # The way on names where it goes, and leads to the same meeting at the new address.
    link = re.search(r'<a class="bloei-button" href="([^"]+)">([^<]+)</a>', page)
    assert link.groups() == (f"{NEW_BASE}/bijeenkomsten/{meeting}", "Naar de nieuwe site van Beesd")
    # Without a page of this site to go back to: the new home page.
    other = await client.post("/ideeen/nieuw", data={}, headers={"Referer": "https://elders.nl/"})
    assert f'href="{NEW_BASE}/"' in other.text
    # The stylesheets the page uses are still served here, not redirected to another host.
    for asset in ("/static/bloei.css", "/huisstijl.css"):
        assert (await client.get(asset)).status_code == 200, asset


async def test_beheer_edits_are_refused_too(client, db, settings):
    csrf = await login(client)
    migrate.announce_move(db, settings, NEW_ACTOR)
    before = counts(db)
    response = await client.post("/beheer/themas/nieuw", data={**THEMA, "csrf": csrf})
    assert response.status_code == 410
    assert "Deze site is verhuisd" in response.text
    assert counts(db) == before


async def test_an_api_write_is_a_problem_document(client, db, moved):
    before = counts(db)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/api/v1/projecten?x=1", json={"title": "Nee"})
        assert response.status_code == 410, method
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 410 and problem["title"] == "Deze site is verhuisd"
        assert problem["detail"] == MESSAGE
        assert problem["location"] == f"{NEW_BASE}/api/v1/projecten?x=1"
    assert counts(db) == before


# --- federation: as before ---------------------------------------------------------------------


async def test_the_actor_its_collections_and_discovery_still_answer(client, db, moved):
    actor = await client.get("/actor")
    assert actor.status_code == 200
    assert actor.json()["movedTo"] == NEW_ACTOR
    outbox = await client.get("/actor/outbox")
    assert outbox.status_code == 200
    assert outbox.headers["content-type"].startswith("application/activity+json")
    page = await client.get("/actor/outbox?page=true")
    assert "Move" in [item["type"] for item in page.json()["orderedItems"]]
    assert (await client.get("/actor/followers")).status_code == 200
    assert (await client.get(moved.removeprefix(BASE_URL))).status_code == 200
    webfinger = await client.get("/.well-known/webfinger?resource=acct:beesd@beesd.test")
    assert webfinger.status_code == 200
    assert webfinger.json()["subject"] == "acct:beesd@beesd.test"
    assert (await client.get("/.well-known/nodeinfo")).status_code == 200
    assert (await client.get("/nodeinfo/2.1")).status_code == 200


async def test_the_inbox_still_takes_deliveries(app, client, db, moved):
    federation = app.state.federation
    federation.use_transport(httpx.MockTransport(FakeServers().handler))
    federation.policy = AddressPolicy(resolver=resolver())
    response = await post_inbox(client, mastodon_follow())
    assert response.status_code == 202
    # The shared inbox is a federation address as well: it answers, not with 410.
    unsigned = await client.post("/inbox", json=mastodon_follow(2))
    assert unsigned.status_code not in (301, 410)
    assert unsigned.headers["content-type"] == "application/problem+json"


# --- where the new address is ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moved_to", "expected"),
    [
        ("https://beesd.nl/actor", "https://beesd.nl"),
        ("https://host.nl/beesd/actor", "https://host.nl/beesd"),
        # Not a Bloei actor path: the new host's origin, where the path is tried.
        ("https://social.example/users/beesd", "https://social.example"),
        # Back to this site, or nothing usable: no redirect, which would loop or go nowhere.
        (f"{BASE_URL}/actor", None),
        (f"{BASE_URL}/users/beesd", None),
        ("acct:beesd@beesd.nl", None),
    ],
)
def test_the_new_base_address(moved_to, expected):
    assert new_base(f"{BASE_URL}/actor", BASE_URL, moved_to) == expected


async def test_a_move_back_to_itself_changes_nothing(client, settings):
    write_moved_to(settings, f"{BASE_URL}/actor")
    assert (await client.get("/")).status_code == 200
