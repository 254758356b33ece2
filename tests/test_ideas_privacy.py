"""The sender of an idea is never public: walk every page, the search, the events and the API."""

from __future__ import annotations

import json

from node.kern.ideas import model as ideas
from tests.conftest import BASE_URL
from tests.idea_helpers import (
    SENDER_EMAIL,
    SENDER_NAME,
    SENDER_PHONE,
    add_idea,
    add_published_idea,
)
from tests.markup import link_targets

SKIP = ("/beheer", "/static", "/media", "/huisstijl.css", "/favicon.ico")


async def walk_site(client, starts: list[str], limit: int = 300) -> dict[str, str]:
    """Every public page reachable by links from the starts, with its text."""
    queue, seen = list(starts), {}
    while queue and len(seen) < limit:
        path = queue.pop()
        if path in seen or path.startswith(SKIP):
            continue
        response = await client.get(path)
        seen[path] = response.text
        if response.headers.get("content-type", "").startswith("text/html"):
            hrefs = link_targets(response.text, "[href]")
            queue += [href.split("#")[0] for href in hrefs if href.startswith("/")]
    return seen


def api_links(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in api_links(v)]
    if isinstance(value, list):
        return [s for v in value for s in api_links(v)]
    if isinstance(value, str) and value.startswith(f"{BASE_URL}/api/v1"):
        return [value.removeprefix(BASE_URL)]
    return []


async def walk_api(client) -> dict[str, str]:
    queue, seen = ["/api/v1"], {}
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        response = await client.get(path)
        seen[path] = response.text
        if path != "/api/v1/openapi.json" and response.status_code == 200:
            queue += api_links(response.json())
    return seen


async def test_the_sender_is_in_no_page_search_event_or_api(client, db, app, settings):
    # Given ideas in every state, one of them answered and made into a project
    published_id, _token, slug = add_published_idea(
        db, app, settings, title="Bankjes bij de vijver"
    )
    db.write(ideas.answer_idea, settings, "test", published_id, "Goed idee, we gaan aan de slag.")
    db.write(ideas.make_project, settings, "test", published_id)
    add_published_idea(db, app, settings, title="Bloembakken", contact=SENDER_PHONE)
    declined_id, _ = add_idea(db, app, settings, title="Afgewezen plan")
    db.write(ideas.decline_idea, settings, "test", declined_id, "Niet haalbaar.")
    add_idea(db, app, settings, title="Nog te bekijken")

    # When someone walks the whole public site and the API
    pages = await walk_site(
        client,
        ["/", "/ideeen", "/nieuws", f"/zoeken?q={SENDER_NAME}", f"/zoeken?q={SENDER_EMAIL}"],
    )
    api = await walk_api(client)

    # Then the walk saw the ideas and the project, but never who sent them
    assert f"/ideeen/{slug}" in pages and "/ideeen/bloembakken" in pages
    project_slug = db.scalar("SELECT slug FROM projects")
    assert f"/projecten/{project_slug}" in pages
    assert len(api) > 3
    for path in (f"/zoeken?q={SENDER_NAME}", f"/zoeken?q={SENDER_EMAIL}"):
        # The search page repeats the query; what matters is that nothing is found.
        assert "0 resultaten voor" in pages.pop(path), path
    for path, text in {**pages, **api}.items():
        for secret in (SENDER_NAME, SENDER_EMAIL, SENDER_PHONE):
            assert secret not in text, (secret, path)
        for private_title in ("Afgewezen plan", "Nog te bekijken", "Niet haalbaar."):
            assert private_title not in text, (private_title, path)
    # ... nor in the search index, or in any event federation will send
    index = json.dumps([dict(r) for r in db.execute("SELECT * FROM search_index")])
    events = json.dumps([dict(r) for r in db.execute("SELECT * FROM events")], ensure_ascii=False)
    for secret in (SENDER_NAME, SENDER_EMAIL, SENDER_PHONE, "Afgewezen plan", "Nog te bekijken"):
        assert secret not in index and secret not in events, secret
    assert "Bankjes bij de vijver" in events, "the published idea was recorded"


def test_idea_public_has_no_field_for_the_sender(settings):
    row = {
        "slug": "s",
        "title": "t",
        "body": "b",
        "name": SENDER_NAME,
        "contact": SENDER_EMAIL,
        "answer": "",
        "project_slug": None,
        "supporters": 0,
        "published_at": "2026-11-01T10:00:00+00:00",
        "token_hash": "geheim",
        "decline_reason": "",
    }
    text = json.dumps(ideas.idea_public(settings, row))
    assert SENDER_NAME not in text and SENDER_EMAIL not in text and "geheim" not in text
