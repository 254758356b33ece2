"""The aggregator with a real kern node, both in-process and talking through ASGI: the kern's
own publishing, signatures and proofs, as the gemeente reads them."""

from __future__ import annotations

import re

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, Router, login
from helpers import PROJECT, add_project, add_thema
from idea_helpers import IDEA, add_published_idea

from node.app import create_app
from node.gemeente import kernen
from node.kern.ideas import model as ideas
from node.kern.projects import model as projects


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


def gemeente_dump(gemeente_app) -> str:
    """Everything the gemeente's database holds, as text."""
    return "\n".join(gemeente_app.state.db.read().iterdump()).casefold()


async def test_the_gemeente_replaces_and_removes_its_copy_when_the_kern_erases(
    wired, gemeente, settings, db
):
    kern_app, gemeente_app = wired
    kern_fed, fed = kern_app.state.federation, gemeente_app.state.federation
    token = await login(gemeente)
    await gemeente.post("/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test"})
    await fed.deliver()
    await kern_fed.deliver()

    # Given a project with its trekker's name and a published idea, copied by the gemeente.
    project_id, _slug = add_project(db, settings)
    idea_id, _token, idea_slug = add_published_idea(db, kern_app, settings)
    assert (await kern_fed.deliver()).failed == 0
    trekker, idea_text = PROJECT["trekker_name"], IDEA["body"].split("\n")[0]
    assert trekker.casefold() in gemeente_dump(gemeente_app)
    assert idea_text.casefold() in gemeente_dump(gemeente_app)

    # When the trekker withdraws consent and the idea is removed.
    values = {**PROJECT, "trekker_consent": False}
    db.write(projects.save_project, settings, "test", values, [], project_id)
    db.write(ideas.remove_idea, settings, "test", idea_id)
    report = await kern_fed.deliver()
    assert report.failed == 0 and report.done == 2  # the Update and the Delete

    # Then the gemeente holds neither: its copy was replaced, and removed.
    dump = gemeente_dump(gemeente_app)
    assert trekker.casefold() not in dump and "amrani" not in dump
    assert idea_text.casefold() not in dump
    idea = gemeente_app.state.db.one(
        "SELECT deleted, document FROM gemeente_objects WHERE object_id = ?",
        (settings.url(f"/ideeen/{idea_slug}"),),
    )
    assert idea["deleted"] == 1 and '"Tombstone"' in idea["document"]
    # And a pull of the kern's history brings nothing of it back.
    kern = kernen.list_kernen(gemeente_app.state.db.read())[0]
    gemeente_app.state.db.write_quiet(lambda conn: conn.execute("DELETE FROM gemeente_activities"))
    gemeente_app.state.db.write_quiet(
        lambda conn: conn.execute("UPDATE gemeente_kernen SET position = 0")
    )
    pulled = await fed.pull_now(kern["id"])
    assert pulled.ok and pulled.refused == 0
    dump = gemeente_dump(gemeente_app)
    assert trekker.casefold() not in dump and idea_text.casefold() not in dump
