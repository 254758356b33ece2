"""Bijeenkomsten in the open-data API: the list by time and thema, one meeting, errors, ETags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from node.kern.agenda import model as agenda
from node.kern.api.openapi import openapi_document
from node.kern.meetings import display as meeting_display
from node.kern.meetings import model as meetings
from tests.conftest import BASE_URL
from tests.meeting_helpers import add_meeting, sign_up
from tests.test_api import (
    WHO,
    assert_problem,
    check_against_document,
    get_json,
    href,
    thema_values,
    uncached_client,  # noqa: F401 (a fixture)
)

BASE = "/api/v1"


@pytest.fixture
def agenda_of_meetings(db, settings) -> dict[str, str]:
    """Meetings on every side of now: coming, cancelled, removed, over, with and without thema."""
    groen = db.write(agenda.save_thema, settings, WHO, thema_values("Groen"))
    groen_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (groen,))
    slugs = {}
    _, slugs["morgen"] = add_meeting(db, settings, 1, title="Snoeidag", thema_ids=[groen_id])
    _, slugs["volgende_week"] = add_meeting(db, settings, 7, title="Dorpsavond")
    cancelled_id, slugs["afgelast"] = add_meeting(db, settings, 3, title="Wandeling")
    db.write(meetings.cancel_meeting, settings, WHO, cancelled_id, "De gids is ziek.")
    removed_id, slugs["weg"] = add_meeting(db, settings, 2, title="Dubbel ingevoerd")
    db.write(meetings.remove_meeting, settings, WHO, removed_id)
    _, slugs["vorige_maand"] = add_meeting(db, settings, -30, title="Oude avond")
    _, slugs["gisteren"] = add_meeting(db, settings, -1, title="Boomfeestdag", thema_ids=[groen_id])
    return slugs


def slugs_of(body: dict) -> list[str]:
    return [item["slug"] for item in body["bijeenkomsten"]]


# --- The list -------------------------------------------------------------------------------


async def test_coming_meetings_are_the_default_next_first_cancelled_marked_removed_gone(
    client, agenda_of_meetings
):
    s = agenda_of_meetings
    body = await get_json(client, f"{BASE}/bijeenkomsten")
    assert slugs_of(body) == [s["morgen"], s["afgelast"], s["volgende_week"]]
    assert body["totaal"] == 3 and body["aantalPaginas"] == 1
    cancelled = body["bijeenkomsten"][1]
    assert cancelled["status"] == "geannuleerd"
    assert cancelled["redenAnnulering"] == "De gids is ziek."
    assert {item["status"] for item in body["bijeenkomsten"][::2]} == {"gepland"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("wanneer=komend", ["morgen", "afgelast", "volgende_week"]),
        ("wanneer=voorbij", ["gisteren", "vorige_maand"]),
        (
            "wanneer=alles",
            ["vorige_maand", "gisteren", "morgen", "afgelast", "volgende_week"],
        ),
        ("thema=groen", ["morgen"]),
        ("thema=groen&wanneer=voorbij", ["gisteren"]),
        ("thema=groen&wanneer=alles", ["gisteren", "morgen"]),
    ],
)
async def test_meetings_filter_on_time_and_thema(client, agenda_of_meetings, query, expected):
    body = await get_json(client, f"{BASE}/bijeenkomsten?{query}")
    assert slugs_of(body) == [agenda_of_meetings[name] for name in expected]
    assert body["totaal"] == len(expected)


async def test_past_meetings_are_marked_afgelopen(client, agenda_of_meetings):
    body = await get_json(client, f"{BASE}/bijeenkomsten?wanneer=voorbij")
    assert {item["status"] for item in body["bijeenkomsten"]} == {"afgelopen"}


async def test_items_are_the_public_shape_with_links_and_never_who_signed_up(
    client, db, settings, agenda_of_meetings
):
    meeting_id = db.scalar(
        "SELECT id FROM meetings WHERE slug = ?", (agenda_of_meetings["morgen"],)
    )
    sign_up(db, settings, meeting_id, people=3, name="Gerda Geheim", phone="0611111111")
    response = await client.get(f"{BASE}/bijeenkomsten?thema=groen")
    assert "Gerda Geheim" not in response.text and "0611111111" not in response.text
    (item,) = response.json()["bijeenkomsten"]
    public = meetings.meeting_public(settings, db.read(), meeting_id)
    assert {k: v for k, v in item.items() if k != "_links"} == public
    assert item["aantalAanmeldingen"] == 3
    assert item["_links"] == {
        "self": {"href": href(f"/bijeenkomsten/{agenda_of_meetings['morgen']}")},
        "themas": [{"href": href("/themas/groen")}],
        "projecten": [],
    }
    detail = await get_json(client, item["_links"]["self"]["href"].removeprefix(BASE_URL))
    assert detail == item


async def test_paging_links_walk_every_meeting_once_and_keep_the_filter(client, db, settings):
    made = [add_meeting(db, settings, -days)[1] for days in range(1, 6)]
    path = f"{BASE}/bijeenkomsten?wanneer=voorbij&paginaGrootte=2"
    seen, pages = [], []
    while path:
        body = await get_json(client, path)
        pages.append(body)
        seen += slugs_of(body)
        path = body["_links"].get("next", {}).get("href", "").removeprefix(BASE_URL)
    assert seen == made  # the latest first, each once
    assert [len(p["bijeenkomsten"]) for p in pages] == [2, 2, 1]
    page = href("/bijeenkomsten?wanneer=voorbij&pagina={}&paginaGrootte=2")
    assert pages[1]["_links"] == {
        "self": {"href": page.format(2)},
        "first": {"href": page.format(1)},
        "last": {"href": page.format(3)},
        "prev": {"href": page.format(1)},
        "next": {"href": page.format(3)},
    }


async def test_default_page_links_leave_out_what_was_not_given(client, db, settings):
    for days in range(1, 23):
        add_meeting(db, settings, days)
    body = await get_json(client, f"{BASE}/bijeenkomsten")
    assert len(body["bijeenkomsten"]) == 20 and body["paginaGrootte"] == 20
    assert body["_links"]["next"]["href"] == href("/bijeenkomsten?pagina=2")
    past_the_end = await get_json(client, f"{BASE}/bijeenkomsten?pagina=9")
    assert past_the_end["bijeenkomsten"] == [] and past_the_end["totaal"] == 22
    assert past_the_end["_links"]["prev"]["href"] == href("/bijeenkomsten?pagina=2")


# --- One meeting, errors --------------------------------------------------------------------


async def test_one_meeting_cancelled_or_over_is_still_there(client, agenda_of_meetings):
    cancelled = await get_json(client, f"{BASE}/bijeenkomsten/{agenda_of_meetings['afgelast']}")
    assert cancelled["status"] == "geannuleerd"
    over = await get_json(client, f"{BASE}/bijeenkomsten/{agenda_of_meetings['gisteren']}")
    assert over["status"] == "afgelopen"


async def test_unknown_or_removed_meeting_is_404_problem(client, agenda_of_meetings):
    body = assert_problem(await client.get(f"{BASE}/bijeenkomsten/bestaat-niet"), 404)
    assert "bestaat-niet" in body["detail"]
    assert_problem(await client.get(f"{BASE}/bijeenkomsten/{agenda_of_meetings['weg']}"), 404)
    assert_problem(await client.get(f"{BASE}/bijeenkomsten/"), 404)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("wanneer=morgen", ["wanneer"]),
        ("wanneer=", ["wanneer"]),
        ("wanneer=KOMEND", ["wanneer"]),
        ("wanneer=komend&wanneer=voorbij", ["wanneer"]),
        ("thema=bestaat-niet", ["thema"]),
        ("pagina=0", ["pagina"]),
        ("pagina=abc", ["pagina"]),
        ("paginaGrootte=101", ["paginaGrootte"]),
        ("fase=idee", ["fase"]),
        ("wanneer=gisteren&pagina=-1&paginaGrootte=0", ["pagina", "paginaGrootte", "wanneer"]),
    ],
)
async def test_invalid_meeting_parameters_answer_400_with_invalid_params(
    client, agenda_of_meetings, query, names
):
    body = assert_problem(await client.get(f"{BASE}/bijeenkomsten?{query}"), 400)
    assert sorted(p["name"] for p in body["invalidParams"]) == names
    for invalid in body["invalidParams"]:
        assert invalid["reason"].endswith(".") and len(invalid["reason"]) > 10


async def test_unknown_when_names_the_choices(client):
    body = assert_problem(await client.get(f"{BASE}/bijeenkomsten?wanneer=morgen"), 400)
    assert "komend, voorbij, alles" in body["invalidParams"][0]["reason"]


async def test_a_detail_takes_no_parameters(client, agenda_of_meetings):
    path = f"{BASE}/bijeenkomsten/{agenda_of_meetings['morgen']}?wanneer=komend"
    body = assert_problem(await client.get(path), 400)
    assert [p["name"] for p in body["invalidParams"]] == ["wanneer"]


# --- The OpenAPI document -------------------------------------------------------------------


async def test_every_meeting_response_matches_its_documented_schema(
    client, db, settings, agenda_of_meetings
):
    meeting_id = db.scalar(
        "SELECT id FROM meetings WHERE slug = ?", (agenda_of_meetings["gisteren"],)
    )
    db.write(meetings.save_minutes, settings, WHO, meeting_id, "We hebben *veel* gesnoeid.")
    document = openapi_document(settings)
    paths = {
        f"{BASE}/bijeenkomsten": 200,
        f"{BASE}/bijeenkomsten?wanneer=alles&paginaGrootte=2&pagina=2": 200,
        f"{BASE}/bijeenkomsten?wanneer=voorbij&thema=groen": 200,
        f"{BASE}/bijeenkomsten?pagina=99": 200,
        f"{BASE}/bijeenkomsten?wanneer=nooit": 400,
        f"{BASE}/bijeenkomsten/bestaat-niet": 404,
        f"{BASE}/bijeenkomsten/{agenda_of_meetings['weg']}": 404,
    }
    for name in ("morgen", "afgelast", "gisteren", "vorige_maand"):
        paths[f"{BASE}/bijeenkomsten/{agenda_of_meetings[name]}"] = 200
    for path, status in paths.items():
        response = await client.get(path)
        assert response.status_code == status, path
        check_against_document(document, path, response)
    verslag = await get_json(client, f"{BASE}/bijeenkomsten/{agenda_of_meetings['gisteren']}")
    assert verslag["verslag"] == "We hebben *veel* gesnoeid."


# --- ETags ----------------------------------------------------------------------------------


async def test_meeting_etag_gives_304_until_a_meeting_changes(
    uncached_client,  # noqa: F811
    db,
    settings,
    agenda_of_meetings,
):
    client = uncached_client
    path = f"{BASE}/bijeenkomsten"
    etag = (await client.get(path)).headers["etag"]
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 304
    meeting_id = db.scalar(
        "SELECT id FROM meetings WHERE slug = ?", (agenda_of_meetings["morgen"],)
    )
    db.write(meetings.cancel_meeting, settings, WHO, meeting_id, "Het stormt.")
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["bijeenkomsten"][0]["status"] == "geannuleerd"


async def test_meeting_etag_changes_when_a_meeting_ends_without_any_write(
    uncached_client,  # noqa: F811
    monkeypatch,
    agenda_of_meetings,
):
    """'afgelopen' and komend/voorbij follow the clock: an old tag must not get a 304 then."""
    client = uncached_client
    path = f"{BASE}/bijeenkomsten/{agenda_of_meetings['morgen']}"
    first = await client.get(path)
    assert first.json()["status"] == "gepland"
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    # The clock of the listings (meetings) and of a meeting's status (meeting_display).
    monkeypatch.setattr(meetings, "now", lambda: later)
    monkeypatch.setattr(meeting_display, "now", lambda: later)
    again = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert again.json()["status"] == "afgelopen"
    listed = await get_json(client, f"{BASE}/bijeenkomsten?wanneer=voorbij")
    assert agenda_of_meetings["morgen"] in slugs_of(listed)
