"""A kern shows what other kernen do on the same thema, from the gemeente's open API.

Real kern apps and the gemeente app in process: Beesd reads the list the gemeente really
publishes, so a change of that API's shape breaks this test."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from federation.store import utcnow
from node.kern.neighbours import model, refresh
from tests.markup import select, text_of


def turn_on(kern) -> None:
    kern.db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES (?, ?)",
            (model.SETTING, json.dumps(True)),
        )
    )


async def thema_page(kern, slug: str) -> str:
    transport = httpx.ASGITransport(app=kern.app)
    async with httpx.AsyncClient(transport=transport, base_url=kern.base) as http:
        response = await http.get(f"/agenda/themas/{slug}")
    assert response.status_code == 200
    return response.text


async def test_a_thema_page_shows_other_kernen_on_the_same_subject(two_kernen, real_kernen):
    beesd, heukelum = real_kernen["beesd.test"], real_kernen["heukelum.test"]
    heukelum.thema("Meer bomen tegen de hitte", actor="inwoners")
    await heukelum.deliver()
    slug = "verkeer-en-vervoer"
    now = utcnow()

    # Off by default: nothing read, nothing shown.
    assert not refresh.is_due(beesd.db, beesd.settings, now)
    assert "Andere kernen" not in await thema_page(beesd, slug)

    turn_on(beesd)
    assert refresh.is_due(beesd.db, beesd.settings, now)
    fetcher = beesd.app.state.federation.new_fetcher()
    assert await refresh.refresh(beesd.db, beesd.settings, fetcher, now)
    # The gemeente lists Beesd's own thema's: the copy is complete, the next in six hours.
    assert not refresh.is_due(beesd.db, beesd.settings, now + timedelta(hours=5))
    assert refresh.is_due(beesd.db, beesd.settings, now + timedelta(hours=6))

    page = await thema_page(beesd, slug)
    items = select(page, "#elders ~ ul li")
    # Heukelum's "Te hard rijden op de dijk" is about traffic too; its trees are not, and
    # Beesd's own thema's are never listed as another kern's.
    assert [text_of(item, "a") for item in items] == ["Te hard rijden op de dijk"]
    assert select(items[0], "a")[0]["href"] == heukelum.url(
        "/agenda/themas/te-hard-rijden-op-de-dijk"
    )
    assert "Heukelum" in text_of(items[0]) and "1 project" in text_of(items[0])
    # A thema whose subject nobody else works on shows nothing.
    assert "Andere kernen" not in await thema_page(beesd, "een-dorpshuis-voor-iedereen")


async def test_a_gemeente_that_cannot_be_read_keeps_the_last_list(two_kernen, real_kernen):
    beesd = real_kernen["beesd.test"]
    turn_on(beesd)
    now = utcnow()
    assert await refresh.refresh(
        beesd.db, beesd.settings, beesd.app.state.federation.new_fetcher(), now
    )
    before = beesd.db.scalar("SELECT count(*) FROM neighbour_themas")
    assert before >= 3

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"fout": "stuk"})

    beesd.app.state.federation.use_transport(httpx.MockTransport(broken))
    assert not await refresh.refresh(
        beesd.db, beesd.settings, beesd.app.state.federation.new_fetcher(), now
    )
    assert beesd.db.scalar("SELECT count(*) FROM neighbour_themas") == before
    fetch = model.last_fetch(beesd.db.read())
    assert "500" in fetch["error"] and fetch["fetched_at"] is not None
    # After a failure the kern asks again sooner (a minute in development mode, as here).
    assert beesd.settings.dev
    assert refresh.is_due(beesd.db, beesd.settings, now + timedelta(minutes=1))
    assert not refresh.is_due(beesd.db, beesd.settings, now + timedelta(seconds=30))


def test_entries_that_are_not_what_the_api_documents_are_left_out():
    good = {
        "naam": "Veilig  naar\nschool",
        "kernNaam": "Tuil",
        "categorie": "verkeer",
        "status": None,
        "aantalProjecten": 2,
        "_links": {"bron": {"href": "https://tuil.example/agenda/themas/veilig"}},
    }
    entries = [
        good,
        {**good, "naam": 7},
        {**good, "_links": {"bron": {"href": "javascript:alert(1)"}}},
        {**good, "_links": []},
        {**good, "aantalProjecten": True},
        "thema",
        None,
    ]
    parsed = list(refresh.parse_entries(entries))
    assert parsed[0] == model.NeighbourThema(
        "https://tuil.example/agenda/themas/veilig", "Veilig naar school", "Tuil", "verkeer", "", 2
    )
    assert len(parsed) == 2 and parsed[1].projects == 0


def paged_gemeente(pages: int, origin_of_next: str | None = None) -> httpx.MockTransport:
    """A gemeente whose API answers `pages` pages of two thema's each, linked by `next`."""

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("pagina", "1"))
        themas = [
            {
                "naam": f"Thema {number}-{n}",
                "kernNaam": "Tuil",
                "categorie": "verkeer",
                "status": None,
                "aantalProjecten": 0,
                "_links": {"bron": {"href": f"https://tuil.example/agenda/themas/{number}-{n}"}},
            }
            for n in (1, 2)
        ]
        links = {}
        if number < pages:
            origin = origin_of_next or f"{request.url.scheme}://{request.url.netloc.decode()}"
            links["next"] = {"href": f"{origin}/api/v1/themas?pagina={number + 1}"}
        return httpx.Response(200, json={"themas": themas, "_links": links})

    return httpx.MockTransport(answer)


async def test_every_page_of_the_list_is_copied(real_kernen):
    beesd = real_kernen["beesd.test"]
    turn_on(beesd)
    beesd.app.state.federation.use_transport(paged_gemeente(3))
    fetcher = beesd.app.state.federation.new_fetcher()
    assert await refresh.refresh(beesd.db, beesd.settings, fetcher, utcnow())
    names = beesd.db.execute("SELECT name FROM neighbour_themas ORDER BY name")
    assert [row[0] for row in names] == [f"Thema {p}-{n}" for p in (1, 2, 3) for n in (1, 2)]


async def test_a_next_page_elsewhere_is_not_followed(real_kernen):
    beesd = real_kernen["beesd.test"]
    turn_on(beesd)
    beesd.app.state.federation.use_transport(paged_gemeente(3, "https://elders.example"))
    fetcher = beesd.app.state.federation.new_fetcher()
    assert not await refresh.refresh(beesd.db, beesd.settings, fetcher, utcnow())
    assert "elders.example" in model.last_fetch(beesd.db.read())["error"]
    assert beesd.db.scalar("SELECT count(*) FROM neighbour_themas") == 0
