"""Public pages of a kern: what a resident sees, in Dutch, with bad input answered kindly."""

from __future__ import annotations

from tests.helpers import add_project, add_thema
from tests.markup import link_targets, select, select_one, text_of, texts

PUBLIC_PAGES = [
    "/",
    "/agenda",
    "/agenda/versies",
    "/projecten",
    "/over",
    "/over/privacy",
    "/over/toegankelijkheid",
    "/zoeken",
    "/zoeken?q=verkeer",
]


async def test_every_public_page_answers_in_dutch(client, db, settings):
    add_thema(db, settings)
    for path in PUBLIC_PAGES:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert select_one(response.text, "html").get("lang") == "nl", path
        links = link_targets(response.text)
        assert links[0] == "#inhoud", "the skip link is not the first link on " + path
        assert select(response.text, "#inhoud"), "the skip link leads nowhere on " + path
        assert "/over/toegankelijkheid" in links, "accessibility statement not linked on " + path


async def test_unknown_page_is_a_dutch_404(client):
    response = await client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.text


async def test_home_shows_active_projects_by_phase_and_the_agenda(client, db, settings):
    thema = add_thema(db, settings)
    add_project(db, settings, [thema], title="Jongerenplek bij het sportpark")
    add_project(db, settings, [thema], title="Oude zaak")
    from node.kern.projects import model as projects

    old_id = db.scalar("SELECT id FROM projects WHERE title = 'Oude zaak'")
    db.write(projects.change_phase, settings, "test", old_id, "gestopt", "Geen plek gevonden.")
    page = (await client.get("/")).text
    assert "Jongerenplek bij het sportpark" in page
    assert "Oude zaak" not in page, "stopped projects are not 'happening now'"
    assert "Verkeer en vervoer" in page


async def test_home_names_five_projects_a_phase_and_counts_them_all(client, db, settings):
    thema = add_thema(db, settings)
    for number in range(7):
        add_project(db, settings, [thema], title=f"Bankje nummer {number}")
    page = (await client.get("/")).text
    idee = page.split('id="fase-idee"', 1)[1].split("</section>", 1)[0]
    assert "(7)" in idee
    # The five most recently changed, and a link to all seven.
    assert idee.count('href="/projecten/') == 5
    assert "Bankje nummer 6" in idee and "Bankje nummer 1" not in idee
    assert "Alle 7 projecten in deze fase" in idee


async def test_projects_filter_by_phase_and_thema(client, db, settings):
    verkeer = add_thema(db, settings)
    groen = add_thema(db, settings, title="Groen")
    first_id, _ = add_project(db, settings, [verkeer], title="Drempels")
    add_project(db, settings, [groen], title="Bloemenbermen")
    from node.kern.projects import model as projects

    db.write(projects.change_phase, settings, "test", first_id, "verkenning", "")
    page = (await client.get("/projecten?fase=verkenning")).text
    assert "Drempels" in page and "Bloemenbermen" not in page
    page = (await client.get(f"/projecten?thema={groen}")).text
    assert "Bloemenbermen" in page and "Drempels" not in page


async def test_a_wrong_filter_gets_a_dutch_message_not_a_crash(client):
    response = await client.get("/projecten?fase=<script>")
    assert response.status_code == 400
    assert "Deze fase bestaat niet" in response.text
    assert "<script>" not in response.text
    response = await client.get("/projecten?thema=bestaat-niet")
    assert response.status_code == 400
    assert "Dit thema bestaat niet" in response.text


async def test_project_page_shows_the_timeline_with_the_current_phase_marked(client, db, settings):
    project_id, slug = add_project(db, settings)
    from node.kern.projects import model as projects

    db.write(projects.change_phase, settings, "test", project_id, "verkenning", "Telling gedaan.")
    page = (await client.get(f"/projecten/{slug}")).text
    current = select_one(page, '[aria-current="step"]')
    assert current.name == "li" and "bloei-steps__step--current" in current["class"]
    assert text_of(current).startswith("Verkenning")
    assert "Telling gedaan." in page
    assert "Ahmed el Amrani" in page  # consent given


async def test_trekker_is_hidden_without_consent(client, db, settings):
    _, slug = add_project(db, settings, trekker_name="Geheime Trekker", trekker_consent=False)
    page = (await client.get(f"/projecten/{slug}")).text
    assert "Geheime Trekker" not in page


async def test_markdown_is_sanitised_on_the_page(client, db, settings):
    _, slug = add_project(
        db,
        settings,
        description="**Vet** <script>alert(1)</script> [klik](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    page = (await client.get(f"/projecten/{slug}")).text
    main = select_one(page, "main")
    assert "Vet" in texts(main, "strong")
    assert select(page, "script") == [] and select(main, "img") == []
    assert not [href for href in link_targets(page) if href.lower().startswith("javascript:")]
    assert select(page, "[onerror]") == []


async def test_search_is_dutch_aware(client, db, settings):
    add_project(
        db,
        settings,
        title="Speeltuinen opknappen",
        summary="Nieuwe toestellen voor het café-plein.",
    )
    for query in ("speeltuin", "SPEELTUINEN", "cafe", "toestel"):
        page = (await client.get("/zoeken", params={"q": query})).text
        assert texts(page, ".bloei-card__title") == ["Speeltuinen opknappen"], query
    page = (await client.get("/zoeken", params={"q": "zwembad"})).text
    assert texts(page, ".bloei-card__title") == []


async def test_search_survives_fts_syntax_and_overlong_queries(client, db, settings):
    add_project(db, settings)
    for query in ('"', "NEAR(", "a OR", "*", "-", "()", "^"):
        response = await client.get("/zoeken", params={"q": query})
        assert response.status_code == 200, query
    response = await client.get("/zoeken", params={"q": "x" * 500})
    assert response.status_code == 400
    assert "te lang" in response.text


async def test_version_page_lists_what_changed(client, db, settings):
    from node.kern.agenda import model as agenda

    slug = add_thema(db, settings)
    add_thema(db, settings, title="Fruitbomen", status="loopt")
    db.write(agenda.publish_version, settings, "test", "Najaar 2025", "")
    fruit_id = db.scalar("SELECT id FROM themas WHERE slug = 'fruitbomen'")
    verkeer_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    from tests.helpers import THEMA

    db.write(
        agenda.save_thema,
        settings,
        "test",
        {**THEMA, "title": "Fruitbomen", "status": "afgerond"},
        fruit_id,
    )
    db.write(
        agenda.save_thema, settings, "test", {**THEMA, "status": "eerste_successen"}, verkeer_id
    )
    add_thema(db, settings, title="Ontmoeten")
    db.write(agenda.publish_version, settings, "test", "Voorjaar 2026", "")
    page = (await client.get("/agenda/versies/voorjaar-2026")).text
    added = page.split("Nieuw op de agenda")[1]
    assert "Ontmoeten" in added.split("</ul>")[0]
    assert "Fruitbomen" in page.split("Afgerond</h3>")[1].split("</ul>")[0]
    assert "Status: van Loopt naar Eerste successen" in texts(page, ".bloei-diff__fields li")


async def test_house_style_uses_the_kern_colours(client, db):
    import json

    db.write(
        lambda c: c.execute(
            "INSERT INTO site VALUES ('colour_primary', ?)", (json.dumps("#7a1f5c"),)
        )
    )
    css = (await client.get("/huisstijl.css")).text
    assert "--bloei-color-primary: #7a1f5c" in css


async def test_security_headers_and_no_javascript(client):
    response = await client.get("/")
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text


async def test_anonymous_pages_are_cached_until_the_data_changes(client, app, db, settings):
    first = await client.get("/agenda")
    cache = next(m for m in _middlewares(app) if type(m).__name__ == "PageCacheMiddleware")
    hits = cache.hits
    again = await client.get("/agenda")
    assert again.text == first.text and cache.hits == hits + 1
    add_thema(db, settings, title="Nieuw thema na de cache")
    fresh = await client.get("/agenda")
    assert "Nieuw thema na de cache" in fresh.text


def _middlewares(app):
    layer = app.middleware_stack
    while layer is not None:
        yield layer
        layer = getattr(layer, "app", None)


async def test_favicon_is_served_not_a_404(client):
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")


async def test_projects_are_paged(client, db, settings):
    for number in range(30):
        add_project(db, settings, title=f"Project nummer {number:02d}")
    first = (await client.get("/projecten")).text
    assert "30 projecten gevonden." in first
    assert "Pagina 1 van 2" in first and "Project nummer 29" in first
    second = (await client.get("/projecten?pagina=2")).text
    assert "Project nummer 00" in second and "Project nummer 29" not in second
    for bad in ("0", "3", "abc", "-1"):
        response = await client.get(f"/projecten?pagina={bad}")
        assert response.status_code == 400, bad
        assert "Dit paginanummer bestaat niet." in response.text


async def test_cached_pages_expire_so_clock_driven_changes_show(client, app):
    await client.get("/agenda")
    cache = next(m for m in _middlewares(app) if type(m).__name__ == "PageCacheMiddleware")
    hits = cache.hits
    cache.max_age_seconds = 0
    await client.get("/agenda")
    assert cache.hits == hits, "an expired page is rendered again"


async def test_the_page_cache_stays_within_its_memory_budget(client, app):
    await client.get("/agenda")
    cache = next(m for m in _middlewares(app) if type(m).__name__ == "PageCacheMiddleware")
    cache.max_total_bytes = 20_000
    for number in range(30):
        await client.get("/zoeken", params={"q": f"woord{number}"})
    assert cache.total_bytes <= 20_000
    assert cache.total_bytes == sum(len(c) for e in cache.entries.values() for c in e[2])
    assert len(cache.entries) >= 1
