"""Numbers nobody should send, on the gemeente: each answers 4xx, never 500."""

from __future__ import annotations

import pytest
from markup import select

UNICODE_DIGITS = ["²", "١", "１"]
HUGE = "9" * 5000
PAST_SQLITE = str(2**63)


@pytest.mark.parametrize("number", [PAST_SQLITE, "9" * 19, HUGE])
async def test_an_id_past_what_sqlite_stores_is_not_found(two_kernen, number):
    http, _token = two_kernen
    for path in [
        f"/kernen/{number}",
        f"/beheer/kernen/{number}",
        f"/beheer/kernen/{number}/stoppen",
        f"/beheer/gebruikers/{number}",
    ]:
        response = await http.get(path)
        assert response.status_code in (404, 405), path
    api = await http.get(f"/api/v1/kernen/{number}")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("value", ["²", HUGE])
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/projecten", "pagina"),
        ("/projecten", "stil"),
        ("/projecten", "kern"),
        ("/kalender", "pagina"),
        ("/kalender", "kern"),
    ],
)
async def test_numbers_in_filters_that_are_no_numbers_are_a_message(two_kernen, path, name, value):
    http, _token = two_kernen
    response = await http.get(path, params={name: value})
    assert response.status_code in (200, 400)
    assert select(response.text, "main [class^=bloei-]")  # a page of the site, not an error


@pytest.mark.parametrize("value", [*UNICODE_DIGITS, HUGE, PAST_SQLITE])
@pytest.mark.parametrize("name", ["kern", "pagina", "stilSindsMaanden"])
async def test_numbers_in_the_api_that_are_no_numbers_are_a_problem(two_kernen, name, value):
    http, _token = two_kernen
    response = await http.get("/api/v1/projecten", params={name: value})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_reactie_page_of_a_thema_opens(two_kernen, real_kernen):
    http, _token = two_kernen
    thema = real_kernen["beesd.test"].objects["Verkeer en vervoer"]
    response = await http.get("/beheer/reactie", params={"op": thema})
    assert response.status_code == 200
    assert "Reageren op" in response.text
