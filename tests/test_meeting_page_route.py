"""The meeting page helps a resident get there: its poster, a route to its address, and
after the meeting its verslag instead of a sign-up form."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.markup import link_targets, select, select_one, text_of
from tests.meeting_helpers import add_meeting


async def test_a_coming_meeting_links_a_route_planner_with_its_address(client, db, settings):
    _, slug = add_meeting(
        db, settings, place_name="Dorpshuis", place_address="Kerkweg 2 & 4, Beesd"
    )
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    route = select_one(page, 'a[href^="https://www.openstreetmap.org/directions"]')
    address = urlsplit(str(route["href"]))
    assert parse_qs(address.query) == {"to": ["Kerkweg 2 & 4, Beesd"]}
    assert text_of(route).startswith("Route plannen")
    assert route.get("target") is None and "noreferrer" in route["rel"]
    # no embedded map, no script, nothing loaded from elsewhere
    assert select(page, "iframe") == [] and select(page, "script[src]") == []
    assert f"/bijeenkomsten/{slug}/poster" in link_targets(page)


async def test_no_route_without_an_address(client, db, settings):
    _, slug = add_meeting(db, settings, place_name="Bij de kerk", place_address="")
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert select(page, 'a[href*="openstreetmap"]') == []


async def test_a_past_meeting_shows_its_verslag_and_no_sign_up(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, days=-7)
    db.write(
        lambda c: c.execute(
            "UPDATE meetings SET minutes = 'We kozen **drie** plekken.', "
            "minutes_published_at = '2026-01-01T10:00:00+00:00' WHERE id = ?",
            (meeting_id,),
        )
    )
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "We kozen drie plekken." in text_of(page, "#verslag")
    assert select(page, "#aanmelden") == [] and select(page, "form[action$='/aanmelden']") == []
    assert select(page, 'a[href*="openstreetmap"]') == []
