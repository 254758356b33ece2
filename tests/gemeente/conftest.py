"""Fixtures for the gemeente tests: a gemeente node (app, database, signed-in staff) and two
fake kernen it can reach through an in-process router. Helpers live in gemeente_helpers.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from gemeente_helpers import (
    GEMEENTE_URL,
    FakeKern,
    Router,
    follow_kern,
    gemeente_folder,
    kern_transport,
    login,
)

from node.app import create_app, open_database
from node.settings import load_settings


@pytest.fixture
def gemeente_settings(tmp_path):
    return load_settings(gemeente_folder(tmp_path))


@pytest.fixture
def gemeente_db(gemeente_settings):
    database = open_database(gemeente_settings)
    yield database
    database.close()


@pytest.fixture
def beesd() -> FakeKern:
    return FakeKern("beesd.test", "Beesd")


@pytest.fixture
def heukelum() -> FakeKern:
    return FakeKern("heukelum.test", "Heukelum")


@pytest.fixture
def router(beesd, heukelum) -> Router:
    return Router({"beesd.test": kern_transport(beesd), "heukelum.test": kern_transport(heukelum)})


@pytest.fixture
def gemeente_app(gemeente_settings, gemeente_db, router):
    app = create_app(gemeente_settings, gemeente_db)
    app.state.federation.use_transport(router)
    router.add("gemeente.test", httpx.ASGITransport(app=app))
    return app


@pytest.fixture
async def gemeente(gemeente_app):
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as http:
        yield http


@pytest.fixture
async def staff(gemeente):
    token = await login(gemeente)
    return gemeente, token


@pytest.fixture
async def two_kernen(gemeente_app, staff, beesd, heukelum):
    """Beesd and Heukelum followed, each with thema's, projects and meetings, all pushed."""
    http, token = staff
    ids = {}
    soon = datetime.now(UTC) + timedelta(days=3)
    for kern in (beesd, heukelum):
        ids[kern.host] = await follow_kern(gemeente_app, http, token, kern)
    verkeer = beesd.thema("verkeer", "Verkeer en vervoer", wieIsAanZet="gemeente")
    ontmoeten = beesd.thema("dorpshuis", "Een dorpshuis voor iedereen", wieIsAanZet="inwoners")
    rijden = heukelum.thema("hard-rijden", "Te hard rijden op de dijk", wieIsAanZet="samen")
    activities = [
        beesd.publish("Create", verkeer),
        beesd.publish("Create", ontmoeten),
        beesd.publish(
            "Create",
            beesd.project(
                "zebrapad",
                name="Zebrapad bij de school",
                fase="uitvoering",
                behoeften=["besluit_gemeente"],
                themas=[verkeer["id"]],
            ),
        ),
        beesd.publish(
            "Create",
            beesd.project(
                "speeltuin",
                name="Nieuwe speeltuin",
                summary="Speeltoestellen voor jonge kinderen",
                fase="idee",
                themas=[ontmoeten["id"]],
                updated="2025-01-01T10:00:00Z",
            ),
        ),
        beesd.publish("Create", beesd.meeting("dorpsavond", soon, name="Dorpsavond Beesd")),
        heukelum.publish("Create", rijden),
        heukelum.publish(
            "Create",
            heukelum.project(
                "drempels", name="Drempels op de dijk", fase="verkenning", themas=[rijden["id"]]
            ),
        ),
        heukelum.publish(
            "Create",
            heukelum.meeting("rietput", soon + timedelta(days=1), name="Wandeling Rietput"),
        ),
        heukelum.publish(
            "Create",
            heukelum.meeting(
                "afgelast",
                soon + timedelta(days=2),
                name="Afgelaste avond",
                geannuleerd=True,
                annuleringsreden="Te weinig aanmeldingen",
            ),
        ),
    ]
    for activity in activities:
        kern = beesd if activity["actor"] == beesd.id else heukelum
        assert (await kern.push(http, activity)).status_code == 202
    return http, ids
