"""Reacties both ways between the gemeente and a real kern: both apps in process, talking
through ASGI, so what crosses the wire is the documents each really publishes."""

from __future__ import annotations

import re

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, Router, login
from helpers import add_project, add_thema

from node.app import create_app

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def kern_app(settings, db):
    """Beesd (tests/conftest.py) in development mode, with this gemeente as its gemeente."""
    kern_settings = settings.with_changes(
        dev=True, gemeente_actor=GEMEENTE_URL + "/actor", background_jobs=False
    )
    return create_app(kern_settings, db)


@pytest.fixture
async def kern(kern_app):
    transport = httpx.ASGITransport(app=kern_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://beesd.test") as http:
        yield http


@pytest.fixture
async def linked(kern_app, gemeente_app, gemeente, settings, db):
    """The gemeente follows Beesd, which has a thema and a project on it, both delivered."""
    both = Router(
        {
            "beesd.test": httpx.ASGITransport(app=kern_app),
            "gemeente.test": httpx.ASGITransport(app=gemeente_app),
        }
    )
    kern_app.state.federation.use_transport(both)
    gemeente_app.state.federation.use_transport(both)
    token = await login(gemeente)
    added = await gemeente.post(
        "/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test"}
    )
    assert added.status_code == 303, added.text
    await gemeente_app.state.federation.deliver()  # the Follow
    await kern_app.state.federation.deliver()  # the Accept
    thema_slug = add_thema(db, settings, title="Verkeer en vervoer")
    _id, project_slug = add_project(db, settings, thema_slugs=[thema_slug])
    report = await kern_app.state.federation.deliver()
    assert report.failed == 0 and report.done >= 2
    return {
        "thema": settings.url(f"/agenda/themas/{thema_slug}"),
        "project": settings.url(f"/projecten/{project_slug}"),
        "thema_path": f"/agenda/themas/{thema_slug}",
        "project_path": f"/projecten/{project_slug}",
    }


async def send_reactie(gemeente_app, gemeente, object_id: str, text: str) -> None:
    """Gemeente staff react on a kern's project or thema, and the reactie is delivered."""
    page = await gemeente.get(f"/beheer/reactie?op={object_id}")
    assert page.status_code == 200, page.text
    token = CSRF_RE.search(page.text).group(1)
    sent = await gemeente.post(
        f"/beheer/reactie?op={object_id}", data={"csrf": token, "text": text}
    )
    assert sent.status_code == 303, sent.text
    report = await gemeente_app.state.federation.deliver()
    assert report.done == 1 and report.failed == 0, report


async def test_a_reactie_on_a_thema_reaches_the_kern_and_shows_on_both_sides(
    linked, gemeente_app, gemeente, kern, db
):
    await send_reactie(gemeente_app, gemeente, linked["thema"], "We plannen een schouw in mei.")

    kept = db.one("SELECT document FROM received_objects WHERE type = 'Reactie'")
    assert kept is not None and f'"inReplyTo": "{linked["thema"]}"' in kept["document"]
    thema_page = await kern.get(linked["thema_path"])
    assert thema_page.status_code == 200
    assert "Reactie van de gemeente" in thema_page.text
    assert "We plannen een schouw in mei." in thema_page.text
    trail = await gemeente.get(f"/beheer/reactie?op={linked['thema']}")
    assert "We plannen een schouw in mei." in trail.text and "bezorgd" in trail.text
