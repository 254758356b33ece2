"""The read-only open-data API of the aggregator: the kern as a filter, OpenAPI, problem+json."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate as validate_spec


def schema_of(document: dict, name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def check(document: dict, name: str, body: dict) -> None:
    OAS30Validator(schema_of(document, name), format_checker=oas30_format_checker).validate(body)


async def test_the_api_describes_itself_and_its_answers_fit(two_kernen):
    http, ids = two_kernen

    index = await http.get("/api/v1")
    spec = (await http.get("/api/v1/openapi.json")).json()

    assert index.headers["api-version"] == "1.0.0"
    validate_spec(spec)
    for path, schema in (
        ("/api/v1/kernen", "Kernen"),
        ("/api/v1/uitrol", "Uitrol"),
        (f"/api/v1/kernen/{ids['beesd.test']}", "Kern"),
        ("/api/v1/projecten", "Projecten"),
        ("/api/v1/themas", "Themas"),
        ("/api/v1/bijeenkomsten", "Bijeenkomsten"),
        ("/api/v1/partners", "Partners"),
    ):
        response = await http.get(path)
        assert response.status_code == 200, path
        check(spec, schema, response.json())
    # Inzicht sits beside the API, at the root its own server entry names.
    for path, schema in (("/inzicht.json", "Inzicht"), ("/inzicht/fasen.json", "InzichtFiguur")):
        template = path if path == "/inzicht.json" else "/inzicht/{figuur}.json"
        assert spec["paths"][template]["servers"][0]["url"].endswith("gemeente.test")
        response = await http.get(path)
        assert response.status_code == 200, path
        check(spec, schema, response.json())


async def test_projects_with_the_kern_as_a_filter(two_kernen, real_kernen):
    http, ids = two_kernen

    heukelum = (await http.get(f"/api/v1/projecten?kern={ids['heukelum.test']}")).json()
    needs = (await http.get("/api/v1/projecten?gemeenteNodig=true")).json()
    found = (await http.get("/api/v1/projecten?zoek=speeltuinen")).json()

    assert [p["titel"] for p in heukelum["projecten"]] == ["Drempels op de dijk"]
    assert [p["titel"] for p in needs["projecten"]] == ["Zebrapad bij de school"]
    zebrapad = real_kernen["beesd.test"].objects["Zebrapad bij de school"]
    assert needs["projecten"][0]["_links"]["bron"]["href"] == zebrapad
    assert [p["titel"] for p in found["projecten"]] == ["Nieuwe speeltuin"]


async def test_paging_links(two_kernen):
    http, _ids = two_kernen
    body = (await http.get("/api/v1/projecten?paginaGrootte=1&pagina=2&sorteer=naam")).json()
    assert body["aantalPaginas"] == 3 and body["projecten"][0]["titel"] == "Nieuwe speeltuin"
    assert "pagina=3" in body["_links"]["next"]["href"]
    assert "paginaGrootte=1" in body["_links"]["prev"]["href"]


async def test_themas_filtered_and_paged(two_kernen):
    http, ids = two_kernen
    every = (await http.get("/api/v1/themas")).json()
    names = [t["naam"] for t in every["themas"]]
    assert every["totaal"] == len(names) >= 3 and every["aantalPaginas"] == 1
    assert {
        "Verkeer en vervoer",
        "Een dorpshuis voor iedereen",
        "Te hard rijden op de dijk",
    } <= set(names)
    assert every["themas"] == sorted(
        every["themas"], key=lambda t: (t["categorie"], t["kernNaam"].lower(), t["naam"].lower())
    )
    verkeer = next(t for t in every["themas"] if t["naam"] == "Verkeer en vervoer")
    assert verkeer["kernNaam"] == "Beesd" and verkeer["aantalProjecten"] == 1

    heukelum = (await http.get(f"/api/v1/themas?kern={ids['heukelum.test']}")).json()
    assert {t["kernNaam"] for t in heukelum["themas"]} == {"Heukelum"}
    category = verkeer["categorie"]
    one = (await http.get(f"/api/v1/themas?categorie={category}")).json()
    assert {t["categorie"] for t in one["themas"]} == {category}
    assert "Verkeer en vervoer" in [t["naam"] for t in one["themas"]]

    pages = []
    url = "/api/v1/themas?paginaGrootte=1"
    while url:
        body = (await http.get(url)).json()
        assert body["paginaGrootte"] == 1 and body["aantalPaginas"] == every["totaal"]
        pages += body["themas"]
        url = body["_links"].get("next", {}).get("href", "").removeprefix("http://gemeente.test")
    assert pages == every["themas"]


@pytest.mark.parametrize(
    "query", ["kern=99", "categorie=x", "paginaGrootte=501", "pagina=0", "onbekend=1"]
)
async def test_wrong_thema_parameters_are_a_problem(two_kernen, query):
    http, _ids = two_kernen
    response = await http.get(f"/api/v1/themas?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"]


@pytest.mark.parametrize(
    "query",
    ["kern=99", "fase=klaar", "paginaGrootte=500", "onbekend=1", "gemeenteNodig=ja", "thema=x"],
)
async def test_wrong_parameters_are_a_problem(two_kernen, query):
    http, _ids = two_kernen
    response = await http.get(f"/api/v1/projecten?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalidParams"]


async def test_an_unchanged_answer_is_a_304_and_unknown_paths_are_404(two_kernen):
    http, _ids = two_kernen
    first = await http.get("/api/v1/kernen")
    again = await http.get("/api/v1/kernen", headers={"If-None-Match": first.headers["etag"]})
    missing = await http.get("/api/v1/nergens")
    trailing = await http.get("/api/v1/kernen/")

    assert again.status_code == 304
    assert missing.status_code == trailing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_roll_out_lists_every_kern_of_the_municipality(two_kernen):
    http, ids = two_kernen
    body = (await http.get("/api/v1/uitrol")).json()
    assert body["gemeente"] == "West Betuwe" and body["totaal"] == 26
    by_name = {kern["naam"]: kern for kern in body["kernen"]}
    assert by_name["Beesd"]["stand"] == "pilot" and by_name["Beesd"]["kern"] == ids["beesd.test"]
    assert by_name["Heukelum"]["soort"] == "stadje"
    assert by_name["Meteren"] == {
        "naam": "Meteren",
        "soort": "dorp",
        "inwoners": 5600,
        "breedtegraad": 51.864,
        "lengtegraad": 5.281,
        "stand": "nog_niet",
        "kern": None,
    }
