"""The open-data API under /api/v1: shapes, filters, paging, ETags, errors, privacy, OpenAPI."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate as validate_spec
from starlette.routing import Route

from node.app import create_app
from node.kern.agenda import model as agenda
from node.kern.api import endpoints as api
from node.kern.api.openapi import openapi_document
from node.kern.meetings import model as meetings
from node.kern.meetings import rsvp
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from tests.conftest import BASE_URL
from tests.meeting_helpers import MEETING, local_day, moments

BASE = "/api/v1"
WHO = "Beheerder Bertha Verborgen"
VOLUNTEER = (
    "Vera Vrijwilliger-Geheim",
    "vera.geheim@example.org",
    "Ik help graag, bel me 0612345678",
)
SUPPORTER_HASHES = ("steunhash-geheim-0001", "steunhash-geheim-0002")
TREKKER_HIDDEN = "Trekker Zonder-Toestemming"
TREKKER_SHOWN = "Trekker Met-Toestemming"
ATTENDEE = ("Rita Aanmelder-Geheim", "rita.geheim@example.org", "0687654321")


# --- Seeding through the data layer ---------------------------------------------------------


def thema_values(title: str, status: str = "nieuw", priority: str = "middel", **extra) -> dict:
    return {
        "title": title,
        "description": f"Over {title.lower()}.",
        "priority": priority,
        "status": status,
        "actor": "samen",
        "actor_other": "",
        **extra,
    }


def project_values(title: str, trekker: str = "", consent: bool = False) -> dict:
    return {
        "title": title,
        "summary": f"Samenvatting van {title.lower()}.",
        "description": "",
        "trekker_name": trekker,
        "trekker_consent": consent,
        "ladder": "coproduceren",
        "needs": ["vrijwilligers"],
        "budget_requested": 150000,
        "budget_granted": None,
        "budget_source": "kernenbudget",
        "start_date": "2026-01-15",
        "target_date": None,
    }


PARTNER = {
    "name": "Voetbalvereniging Beesd",
    "kind": "vereniging",
    "description": "De voetbalclub.",
    "website": "https://vv-beesd.example",
    "contact": "",
}


def row_id(conn, table: str, slug: str) -> int:
    return conn.execute(f"SELECT id FROM {table} WHERE slug = ?", (slug,)).fetchone()[0]


@dataclass
class Seeded:
    verkeer: str
    groen: str
    parkeren: str
    oud: str
    wonen: str
    najaar: str
    voorjaar: str
    speeltuin: str
    fietspad: str
    dorpsavond: str
    club: str


def seed(conn, settings) -> Seeded:
    """Two agenda versions with every kind of change between them, and two projects."""
    verkeer = agenda.save_thema(conn, settings, WHO, thema_values("Verkeer", "loopt", "hoog"))
    groen = agenda.save_thema(conn, settings, WHO, thema_values("Groen"))
    parkeren = agenda.save_thema(conn, settings, WHO, thema_values("Parkeren", "loopt"))
    oud = agenda.save_thema(conn, settings, WHO, thema_values("Oude kerk"))
    najaar = agenda.publish_version(conn, settings, WHO, "Najaar 2025", "De eerste.")

    def change(slug: str, **values) -> None:
        row = conn.execute("SELECT * FROM themas WHERE slug = ?", (slug,)).fetchone()
        base = thema_values(row["title"], row["status"], row["priority"])
        agenda.save_thema(conn, settings, WHO, {**base, **values}, row["id"])

    change(groen, status="afgerond")
    change(verkeer, status="eerste_successen")
    change(parkeren, description="Nieuwe uitleg over parkeren.")
    agenda.remove_thema(conn, settings, WHO, row_id(conn, "themas", oud))
    wonen = agenda.save_thema(conn, settings, WHO, thema_values("Wonen", "nieuw", "laag"))
    voorjaar = agenda.publish_version(conn, settings, WHO, "Voorjaar 2026", "De tweede.")

    speeltuin = projects.save_project(
        conn,
        settings,
        WHO,
        project_values("Speeltuin", TREKKER_SHOWN, consent=True),
        [row_id(conn, "themas", groen)],
    )
    fietspad = projects.save_project(
        conn,
        settings,
        WHO,
        project_values("Fietspad", TREKKER_HIDDEN, consent=False),
        [row_id(conn, "themas", verkeer), row_id(conn, "themas", parkeren)],
    )
    fietspad_id = row_id(conn, "projects", fietspad)
    projects.change_phase(
        conn, settings, WHO, fietspad_id, "verkenning", "Eerste gesprek", date.today()
    )
    projects.change_phase(
        conn, settings, WHO, fietspad_id, "uitvoering", "Geld is er", date.today()
    )
    projects.add_update(conn, settings, WHO, fietspad_id, "Schop in de grond", "Het begint.")
    speeltuin_id = row_id(conn, "projects", speeltuin)
    for project_id in (speeltuin_id, fietspad_id):
        projects.add_volunteer(conn, project_id, *VOLUNTEER)
        for supporter in SUPPORTER_HASHES:
            projects.add_support(conn, project_id, supporter)
    dorpsavond = meetings.create_meeting(
        conn,
        settings,
        WHO,
        {**MEETING, **moments(local_day(14)), "capacity": 40},
        [row_id(conn, "themas", groen)],
        [speeltuin_id],
    )
    rsvp.sign_up(conn, settings, row_id(conn, "meetings", dorpsavond), *ATTENDEE, 2)
    club = partners.save_partner(conn, settings, WHO, PARTNER)
    club_id = row_id(conn, "partners", club)
    partners.set_links(conn, "project", speeltuin_id, {club_id: "helpt"})
    partners.set_links(conn, "thema", row_id(conn, "themas", groen), {club_id: "aan_zet"})
    return Seeded(
        verkeer,
        groen,
        parkeren,
        oud,
        wonen,
        najaar,
        voorjaar,
        speeltuin,
        fietspad,
        dorpsavond,
        club,
    )


@pytest.fixture
def seeded(db, settings) -> Seeded:
    return db.write(seed, settings)


def add_projects(db, settings, count: int, thema: str | None = None) -> list[str]:
    def write(conn) -> list[str]:
        ids = [row_id(conn, "themas", thema)] if thema else []
        return [
            projects.save_project(conn, settings, WHO, project_values(f"Project {n}"), ids)
            for n in range(count)
        ]

    return db.write(write)


@pytest.fixture
async def uncached_client(settings, db):
    """A node without the anonymous page cache, to test the API's own ETag handling."""
    app = create_app(settings.with_changes(page_cache=False), db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def get_json(client: httpx.AsyncClient, path: str) -> dict:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["api-version"] == "1.0.0"
    assert response.headers["access-control-allow-origin"] == "*"
    return response.json()


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["api-version"] == "1.0.0"
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def href(path: str) -> str:
    return BASE_URL + BASE + path


# --- Index and shapes -----------------------------------------------------------------------


async def test_index_links_to_every_collection_and_the_openapi_document(client):
    body = await get_json(client, BASE)
    assert body["versie"] == "1.0.0"
    assert body["kern"] == "Beesd"
    assert {key: link["href"] for key, link in body["_links"].items()} == {
        "self": href(""),
        "openapi": href("/openapi.json"),
        "themas": href("/themas"),
        "agendaversies": href("/agendaversies"),
        "projecten": href("/projecten"),
        "bijeenkomsten": href("/bijeenkomsten"),
        "partners": href("/partners"),
    }


async def test_themas_list_shows_live_themas_by_priority_in_the_public_shape(
    client, settings, db, seeded
):
    body = await get_json(client, f"{BASE}/themas")
    assert [t["slug"] for t in body["themas"]] == [
        seeded.verkeer,
        seeded.groen,
        "parkeren",
        "wonen",
    ]
    assert body["totaal"] == 4
    assert body["_links"]["self"]["href"] == href("/themas")
    first = body["themas"][0]
    expected = agenda.thema_public(settings, agenda.get_thema(db, seeded.verkeer), [])
    assert {k: v for k, v in first.items() if k != "_links"} == expected
    assert first["_links"] == {
        "self": {"href": href(f"/themas/{seeded.verkeer}")},
        "projecten": {"href": href(f"/projecten?thema={seeded.verkeer}")},
    }


async def test_partners_are_listed_and_named_on_their_thema_and_project(client, seeded):
    index = await get_json(client, BASE)
    assert index["_links"]["partners"] == {"href": href("/partners")}
    listing = await get_json(client, f"{BASE}/partners")
    assert listing["totaal"] == 1
    [club] = listing["partners"]
    club_url = f"{BASE_URL}/partners/{seeded.club}"
    assert club["id"] == club_url and club["soort"] == "vereniging"
    assert club["website"] == PARTNER["website"] and club["contact"] is None
    assert club["_links"]["self"] == {"href": href(f"/partners/{seeded.club}")}
    assert await get_json(client, f"{BASE}/partners/{seeded.club}") == club
    thema = await get_json(client, f"{BASE}/themas/{seeded.groen}")
    assert thema["partners"] == [{"partner": club_url, "rol": "aan_zet"}]
    project = await get_json(client, f"{BASE}/projecten/{seeded.speeltuin}")
    assert project["partners"] == [{"partner": club_url, "rol": "helpt"}]
    missing = await client.get(f"{BASE}/partners/bestaat-niet")
    assert_problem(missing, 404)


async def test_thema_detail_and_its_projects_link(client, seeded):
    thema = await get_json(client, f"{BASE}/themas/{seeded.groen}")
    assert thema["titel"] == "Groen" and thema["status"] == "afgerond"
    linked = await get_json(client, thema["_links"]["projecten"]["href"].removeprefix(BASE_URL))
    assert [p["slug"] for p in linked["projecten"]] == [seeded.speeltuin]


async def test_versions_list_is_newest_first_without_the_themas_themselves(client, seeded):
    body = await get_json(client, f"{BASE}/agendaversies")
    versions = body["agendaversies"]
    assert [v["slug"] for v in versions] == [seeded.voorjaar, seeded.najaar]
    assert body["totaal"] == 2
    assert "themas" not in versions[0]
    assert versions[0]["aantalThemas"] == 4 and versions[1]["aantalThemas"] == 4
    assert versions[0]["_links"]["vorigeVersie"]["href"] == href(f"/agendaversies/{seeded.najaar}")
    assert "vorigeVersie" not in versions[1]["_links"]


async def test_version_detail_lists_what_changed_since_the_previous_version(client, seeded):
    body = await get_json(client, f"{BASE}/agendaversies/{seeded.voorjaar}")
    assert body["titel"] == "Voorjaar 2026" and body["inleiding"] == "De tweede."
    assert body["vorigeVersie"] == seeded.najaar
    assert {t["slug"] for t in body["themas"]} == {"verkeer", "groen", "parkeren", "wonen"}
    changes = body["wijzigingen"]
    assert [t["slug"] for t in changes["toegevoegd"]] == [seeded.wonen]
    assert [t["slug"] for t in changes["afgerond"]] == [seeded.groen]
    assert [t["slug"] for t in changes["verwijderd"]] == [seeded.oud]
    (status_change,) = changes["statusGewijzigd"]
    assert status_change["voor"]["status"] == "loopt"
    assert status_change["na"]["status"] == "eerste_successen"
    (changed,) = changes["gewijzigd"]
    assert changed["voor"]["slug"] == changed["na"]["slug"] == seeded.parkeren
    assert changed["na"]["beschrijving"] == "Nieuwe uitleg over parkeren."


async def test_the_first_version_has_everything_added_and_no_previous(client, seeded):
    body = await get_json(client, f"{BASE}/agendaversies/{seeded.najaar}")
    assert body["vorigeVersie"] is None
    assert len(body["wijzigingen"]["toegevoegd"]) == 4
    assert not any(body["wijzigingen"][k] for k in ("afgerond", "verwijderd", "gewijzigd"))


async def test_project_detail_has_phase_history_updates_and_only_a_support_count(
    client, settings, db, seeded
):
    body = await get_json(client, f"{BASE}/projecten/{seeded.fietspad}")
    assert body["fase"] == "uitvoering"
    assert [(c["van"], c["naar"]) for c in body["fasegeschiedenis"]] == [
        (None, "idee"),
        ("idee", "verkenning"),
        ("verkenning", "uitvoering"),
    ]
    assert body["fasegeschiedenis"][2] == {
        "van": "verkenning",
        "naar": "uitvoering",
        "datum": date.today().isoformat(),
        "toelichting": "Geld is er",
        "bijeenkomst": None,
    }
    assert [u["titel"] for u in body["updates"]] == ["Schop in de grond"]
    assert body["aantalSteunbetuigingen"] == 2
    assert body["trekker"] is None
    project_id = projects.get_project(db, seeded.fietspad)["id"]
    public = projects.project_public(settings, db.read(), project_id)
    assert {k: v for k, v in body.items() if k != "_links"} == public
    assert body["_links"]["themas"] == [
        {"href": href(f"/themas/{seeded.parkeren}")},
        {"href": href(f"/themas/{seeded.verkeer}")},
    ]


async def test_project_list_items_leave_out_history_and_updates(client, seeded):
    body = await get_json(client, f"{BASE}/projecten")
    assert {p["slug"] for p in body["projecten"]} == {seeded.speeltuin, seeded.fietspad}
    for item in body["projecten"]:
        assert "fasegeschiedenis" not in item and "updates" not in item
        assert item["_links"]["self"]["href"] == href(f"/projecten/{item['slug']}")
    shown = {p["slug"]: p["trekker"] for p in body["projecten"]}
    assert shown == {seeded.speeltuin: TREKKER_SHOWN, seeded.fietspad: None}


# --- Filters and paging ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fase=uitvoering", {"fietspad"}),
        ("fase=idee", {"speeltuin"}),
        ("fase=gestopt", set()),
        ("thema=groen", {"speeltuin"}),
        ("thema=parkeren", {"fietspad"}),
        ("thema=verkeer&fase=uitvoering", {"fietspad"}),
        ("thema=verkeer&fase=idee", set()),
    ],
)
async def test_projects_filter_on_phase_and_thema(client, seeded, query, expected):
    body = await get_json(client, f"{BASE}/projecten?{query}")
    assert {p["slug"] for p in body["projecten"]} == expected
    assert body["totaal"] == len(expected)


async def test_paging_links_walk_every_project_once_and_keep_the_filter(client, db, settings):
    db.write(lambda conn: agenda.save_thema(conn, settings, WHO, thema_values("Groen")))
    slugs = add_projects(db, settings, 5, thema="groen")
    add_projects(db, settings, 2)  # outside the filter
    path = f"{BASE}/projecten?thema=groen&paginaGrootte=2"
    seen, pages = [], []
    while path:
        body = await get_json(client, path)
        pages.append(body)
        seen += [p["slug"] for p in body["projecten"]]
        path = body["_links"].get("next", {}).get("href", "").removeprefix(BASE_URL)
    assert sorted(seen) == sorted(slugs)
    assert [len(p["projecten"]) for p in pages] == [2, 2, 1]
    first, middle, last = pages
    assert all(p["totaal"] == 5 and p["aantalPaginas"] == 3 for p in pages)
    assert "prev" not in first["_links"] and "next" not in last["_links"]
    page = href("/projecten?thema=groen&pagina={}&paginaGrootte=2")
    assert middle["_links"] == {
        "self": {"href": page.format(2)},
        "first": {"href": page.format(1)},
        "last": {"href": page.format(3)},
        "prev": {"href": page.format(1)},
        "next": {"href": page.format(3)},
    }


async def test_default_page_size_is_20_and_100_is_allowed(client, db, settings):
    add_projects(db, settings, 21)
    body = await get_json(client, f"{BASE}/projecten")
    assert body["paginaGrootte"] == 20 and len(body["projecten"]) == 20
    assert body["_links"]["next"]["href"] == href("/projecten?pagina=2")
    body = await get_json(client, f"{BASE}/projecten?paginaGrootte=100")
    assert len(body["projecten"]) == 21 and "next" not in body["_links"]
    body = await get_json(client, f"{BASE}/projecten?paginaGrootte=1&pagina=21")
    assert len(body["projecten"]) == 1 and body["aantalPaginas"] == 21


async def test_a_page_past_the_end_is_empty_and_points_back(client, seeded):
    body = await get_json(client, f"{BASE}/projecten?pagina=7")
    assert body["projecten"] == [] and body["totaal"] == 2
    assert body["_links"]["prev"]["href"] == href("/projecten?pagina=1")
    assert "next" not in body["_links"]


# --- Invalid parameters, unknown addresses --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/projecten?fase=bedacht", ["fase"]),
        ("/projecten?fase=", ["fase"]),
        ("/projecten?thema=bestaat-niet", ["thema"]),
        ("/projecten?thema=oude-kerk", ["thema"]),  # removed themas are gone for the API too
        ("/projecten?pagina=0", ["pagina"]),
        ("/projecten?pagina=-1", ["pagina"]),
        ("/projecten?pagina=abc", ["pagina"]),
        ("/projecten?pagina=1.5", ["pagina"]),
        ("/projecten?pagina=%D9%A3", ["pagina"]),  # an Arabic-Indic digit is still not 1..n
        ("/projecten?pagina=" + "9" * 5000, ["pagina"]),
        ("/projecten?paginaGrootte=0", ["paginaGrootte"]),
        ("/projecten?paginaGrootte=101", ["paginaGrootte"]),
        ("/projecten?paginaGrootte=1000", ["paginaGrootte"]),
        ("/projecten?pagina=1&pagina=2", ["pagina"]),
        ("/projecten?page=2", ["page"]),
        ("/projecten?fase=idee&sort=titel", ["sort"]),
        ("/projecten?pagina=0&paginaGrootte=1000&fase=x", ["fase", "pagina", "paginaGrootte"]),
        ("/themas?fase=idee", ["fase"]),
        ("/themas/verkeer?x=1", ["x"]),
        ("/agendaversies?pagina=1", ["pagina"]),
        ("/agendaversies/voorjaar-2026?x=1", ["x"]),
        ("/projecten/fietspad?x=1", ["x"]),
        ("?x=1", ["x"]),
        ("/openapi.json?format=yaml", ["format"]),
    ],
)
async def test_invalid_parameters_answer_400_with_invalid_params(client, seeded, path, names):
    body = assert_problem(await client.get(BASE + path), 400)
    assert sorted(p["name"] for p in body["invalidParams"]) == sorted(names)
    for invalid in body["invalidParams"]:
        assert set(invalid) == {"name", "reason"}
        assert invalid["reason"].endswith(".") and len(invalid["reason"]) > 10


async def test_unknown_parameter_reason_names_the_allowed_ones(client):
    body = assert_problem(await client.get(f"{BASE}/projecten?page=2"), 400)
    assert "pagina" in body["invalidParams"][0]["reason"]


@pytest.mark.parametrize("kind", ["themas", "agendaversies", "projecten"])
async def test_unknown_slug_is_404_problem(client, seeded, kind):
    body = assert_problem(await client.get(f"{BASE}/{kind}/bestaat-niet"), 404)
    assert "bestaat-niet" in body["detail"]
    assert (await client.get(f"{BASE}/themas/{seeded.oud}")).status_code == 404


def documented_paths(document: dict) -> list[str]:
    return list(document["paths"])


def concrete(path: str, seeded: Seeded) -> str:
    return (
        path.replace("themas/{slug}", f"themas/{seeded.verkeer}")
        .replace("agendaversies/{slug}", f"agendaversies/{seeded.voorjaar}")
        .replace("projecten/{slug}", f"projecten/{seeded.fietspad}")
        .replace("bijeenkomsten/{slug}", f"bijeenkomsten/{seeded.dorpsavond}")
        .replace("partners/{slug}", f"partners/{seeded.club}")
    )


async def test_trailing_slash_is_a_404_problem_not_a_redirect(client, settings, seeded):
    for path in documented_paths(openapi_document(settings)):
        url = concrete(path, seeded)
        assert (await client.get(url)).status_code == 200, url
        response = await client.get(url + "/")
        assert_problem(response, 404)
        assert "location" not in response.headers
    assert_problem(await client.get(f"{BASE}/bestaat-niet"), 404)


async def test_other_methods_answer_405_problem_with_api_version(client):
    assert_problem(await client.post(f"{BASE}/projecten"), 405)
    assert_problem(await client.delete(f"{BASE}/themas/verkeer"), 405)


async def test_errors_are_open_to_other_origins_too(client):
    for path in (f"{BASE}/projecten?pagina=0", f"{BASE}/themas/nee", f"{BASE}/nee/"):
        response = await client.get(path)
        assert response.headers["access-control-allow-origin"] == "*"
        assert "API-Version" in response.headers["access-control-expose-headers"]


# --- ETags ----------------------------------------------------------------------------------


async def test_etag_gives_304_until_the_data_changes(uncached_client, db, settings, seeded):
    client = uncached_client
    path = f"{BASE}/projecten?fase=uitvoering"
    first = await client.get(path)
    etag = first.headers["etag"]
    # Weak once the body is large enough to be compressed.
    assert re.fullmatch(r'(W/)?"\d+-[0-9a-f]{16}"', etag)
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["api-version"] == "1.0.0"
    assert again.headers["access-control-allow-origin"] == "*"
    weak_in_list = await client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak_in_list.status_code == 304

    add_projects(db, settings, 1)
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_etag_differs_per_address_and_query(uncached_client, seeded):
    tags = set()
    for path in ("/projecten", "/projecten?fase=idee", "/themas", f"/themas/{seeded.groen}"):
        tags.add((await uncached_client.get(BASE + path)).headers["etag"])
    assert len(tags) == 4
    other = await uncached_client.get(
        f"{BASE}/themas",
        headers={"If-None-Match": (await uncached_client.get(BASE)).headers["etag"]},
    )
    assert other.status_code == 200


async def test_etag_gives_304_through_the_page_cache(client, seeded):
    path = f"{BASE}/themas"
    etag = (await client.get(path)).headers["etag"]
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 304


# --- Crawling every response ----------------------------------------------------------------


def hrefs(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["href"]] if isinstance(value.get("href"), str) else []
        return found + [h for v in value.values() for h in hrefs(v)]
    if isinstance(value, list):
        return [h for v in value for h in hrefs(v)]
    return []


async def crawl(client: httpx.AsyncClient) -> dict[str, httpx.Response]:
    """Every API address reachable by links from the index, plus each page and each phase."""
    starts = [BASE, f"{BASE}/projecten?paginaGrootte=1"]
    starts += [f"{BASE}/projecten?fase={phase}" for phase in projects.PHASES]
    queue, seen = list(starts), {}
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen[path] = response = await client.get(path)
        assert response.status_code == 200, path
        if path != f"{BASE}/openapi.json":
            for link in hrefs(response.json()):
                if link.startswith(BASE_URL + BASE):
                    queue.append(link.removeprefix(BASE_URL))
    return seen


def strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


async def test_no_personal_data_anywhere_in_the_api(client, db, seeded):
    responses = await crawl(client)
    text = "\n".join(r.text for r in responses.values())
    values = {s for r in responses.values() for s in strings(r.json())}
    secrets = [*VOLUNTEER, *SUPPORTER_HASHES, TREKKER_HIDDEN, WHO, "Anna de Vries", "Piet Jansen"]
    secrets += ATTENDEE
    secrets += [row["password_hash"] for row in db.execute("SELECT password_hash FROM users")]
    for secret in secrets:
        assert secret not in text, secret
    for username in ("anna", "piet"):
        assert username not in values
    # The walk did see the projects, their counts and the trekker who agreed to be named.
    assert TREKKER_SHOWN in text
    assert f"{BASE}/projecten/{seeded.fietspad}" in responses
    assert '"aantalSteunbetuigingen":2' in text
    assert f"{BASE}/bijeenkomsten/{seeded.dorpsavond}" in responses
    assert '"aantalAanmeldingen":2' in text


# --- The OpenAPI document -------------------------------------------------------------------


async def test_openapi_document_is_valid_openapi_3_0(client):
    document = await get_json(client, f"{BASE}/openapi.json")
    assert document["openapi"].startswith("3.0.")
    assert document["info"]["version"] == "1.0.0"
    validate_spec(document)


async def test_openapi_contact_uses_the_groups_email(client, db, settings):
    def set_email(conn):
        conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('contact_email', ?)",
            ('"info@beesd.example"',),
        )

    db.write(set_email)
    document = await get_json(client, f"{BASE}/openapi.json")
    assert document["info"]["contact"]["email"] == "info@beesd.example"


def api_routes(app) -> dict[str, set[str]]:
    """Every route under /api/v1 with its methods, less the catch-all for unknown paths."""
    return {
        route.path: set(route.methods or ()) - {"HEAD"}
        for route in app.routes
        if isinstance(route, Route)
        and route.path.startswith(BASE)
        and route.endpoint is not api.unknown_path
    }


def test_every_api_route_is_documented_and_every_documented_path_exists(app, settings):
    routes = api_routes(app)
    document = openapi_document(settings)
    documented = {
        path: {method.upper() for method in item if method != "parameters"}
        for path, item in document["paths"].items()
    }
    assert routes == documented
    catch_all = [r for r in app.routes if getattr(r, "endpoint", None) is api.unknown_path]
    assert [r.path for r in catch_all] == [f"{BASE}/{{pad:path}}"]
    last_api = max(i for i, r in enumerate(app.routes) if getattr(r, "path", "").startswith(BASE))
    assert app.routes[last_api] is catch_all[0], "the catch-all must come after every API route"


def strict(schema):
    """Forbid undocumented properties, so a field the document forgot fails the test."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def template_of(path: str, document: dict) -> str:
    plain = path.split("?")[0]
    for template in document["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), plain):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def check_against_document(document: dict, path: str, response: httpx.Response) -> None:
    operation = document["paths"][template_of(path, document)]["get"]
    declared = operation["responses"][str(response.status_code)]
    if "$ref" in declared:
        declared = document["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    media_type = response.headers["content-type"]
    schema = declared["content"][media_type]["schema"]
    root = {**schema, "components": strict(document["components"])}
    OAS30Validator(root, format_checker=oas30_format_checker).validate(response.json())
    for header in declared["headers"]:
        assert header.lower() in response.headers, (path, header)


async def test_every_response_matches_its_documented_schema(client, settings, seeded):
    document = openapi_document(settings)
    responses = await crawl(client)
    assert {template_of(p, document) for p in responses} == set(document["paths"])
    errors = {
        f"{BASE}/projecten?pagina=0&x=1": 400,
        f"{BASE}/themas?x=1": 400,
        f"{BASE}/themas/bestaat-niet": 404,
        f"{BASE}/agendaversies/bestaat-niet": 404,
        f"{BASE}/projecten/bestaat-niet": 404,
        f"{BASE}/bijeenkomsten?wanneer=morgen": 400,
        f"{BASE}/bijeenkomsten/bestaat-niet": 404,
        f"{BASE}/partners/bestaat-niet": 404,
    }
    for path, status in errors.items():
        responses[path] = response = await client.get(path)
        assert response.status_code == status
    for path, response in responses.items():
        check_against_document(document, path, response)


async def test_schema_check_catches_an_undocumented_property(client, settings, seeded):
    document = openapi_document(settings)
    response = await client.get(f"{BASE}/themas/{seeded.groen}")
    body = {**response.json(), "geheim": "x"}
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    fake = httpx.Response(200, json=body, headers=headers)
    with pytest.raises(Exception, match="geheim"):
        check_against_document(document, f"{BASE}/themas/{seeded.groen}", fake)
