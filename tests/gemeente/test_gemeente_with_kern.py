"""The aggregator with a real kern node, both in-process and talking through ASGI: the kern's
own publishing, signatures and proofs, as the gemeente reads them."""

from __future__ import annotations

import re

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, Router, login
from helpers import add_project, add_thema

from node.app import create_app
from node.gemeente import kernen


@pytest.fixture
def kern_app(settings, db):
    """Beesd (tests/conftest.py) in development mode, with this gemeente as its gemeente."""
    kern_settings = settings.with_changes(
        dev=True, gemeente_actor=GEMEENTE_URL + "/actor", background_jobs=False
    )
    return create_app(kern_settings, db)


@pytest.fixture
def wired(kern_app, gemeente_app, router):
    both = Router(
        {
            "beesd.test": httpx.ASGITransport(app=kern_app),
            "gemeente.test": httpx.ASGITransport(app=gemeente_app),
        }
    )
    kern_app.state.federation.use_transport(both)
    gemeente_app.state.federation.use_transport(both)
    return kern_app, gemeente_app


async def test_the_gemeente_follows_a_real_kern_and_sees_its_changes(wired, gemeente, settings, db):
    kern_app, gemeente_app = wired
    kern_fed, fed = kern_app.state.federation, gemeente_app.state.federation
    token = await login(gemeente)

    added = await gemeente.post(
        "/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test"}
    )
    assert added.status_code == 303, added.text
    await fed.deliver()  # the Follow
    await kern_fed.deliver()  # the kern's Accept

    kern = kernen.list_kernen(gemeente_app.state.db.read())[0]
    assert kern["state"] == "actief"

    add_thema(db, settings, title="Verkeer en vervoer")
    thema_slug = db.scalar("SELECT slug FROM themas")
    add_project(db, settings, thema_slugs=[thema_slug], title="Veilig oversteken")
    report = await kern_fed.deliver()
    assert report.failed == 0 and report.done >= 2

    page = await gemeente.get("/projecten?thema=verkeer&gemeente=ja")
    assert "Veilig oversteken" in page.text

    # Deliveries that got lost: the pull brings what push missed, without duplicates.
    add_project(db, settings, title="Bankjes bij de vijver")
    db.write_quiet(lambda conn: conn.execute("DELETE FROM federation_deliveries"))
    pulled = await fed.pull_now(kern["id"])

    assert pulled.ok and pulled.refused == 0 and pulled.applied >= 1
    titles = {r[0] for r in gemeente_app.state.db.execute("SELECT name FROM gemeente_projects")}
    assert titles == {"Veilig oversteken", "Bankjes bij de vijver"}
    kern = kernen.get(gemeente_app.state.db.read(), kern["id"])
    assert kern["lag"] == 0

    # A reactie of the gemeente reaches the kern, which keeps it (its gemeente_actor).
    project_id = gemeente_app.state.db.scalar(
        "SELECT object_id FROM gemeente_projects WHERE name = 'Veilig oversteken'"
    )
    page = await gemeente.get(f"/beheer/reactie?op={project_id}")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    sent = await gemeente.post(
        f"/beheer/reactie?op={project_id}", data={"csrf": token, "text": "Komt in maart."}
    )
    assert sent.status_code == 303
    report = await fed.deliver()
    assert report.done == 1, report
    kept = db.one("SELECT type, actor_id, document FROM received_objects WHERE type = 'Reactie'")
    assert kept is not None and kept["actor_id"] == GEMEENTE_URL + "/actor"
    assert project_id in kept["document"]
