"""Fixtures for the gemeente tests: a gemeente node (app, database, signed-in staff), two real
kern apps (`real_kernen`, `two_kernen`; tests/gemeente/real_kern.py) and two fake kernen for
protocol and hostile-input tests, all reached through an in-process router. Helpers live in
gemeente_helpers.py."""

from __future__ import annotations

import httpx
import pytest
from gemeente_helpers import (
    GEMEENTE_URL,
    FakeKern,
    Router,
    gemeente_folder,
    kern_transport,
    login,
)
from real_kern import RealKern, follow, soon

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
def real_kernen(tmp_path, router, gemeente_app) -> dict[str, RealKern]:
    """Beesd and Heukelum as real kern apps, in place of the fake ones on the router."""
    made = {
        "beesd.test": RealKern(tmp_path, "beesd.test", "Beesd"),
        "heukelum.test": RealKern(tmp_path, "heukelum.test", "Heukelum"),
    }
    for host, kern in made.items():
        router.add(host, kern.transport())
        kern.use_transport(router)
    yield made
    for kern in made.values():
        kern.close()


@pytest.fixture
async def two_kernen(gemeente_app, staff, real_kernen):
    """Beesd and Heukelum followed, each with thema's, projects and meetings they published
    and delivered themselves."""
    http, token = staff
    beesd, heukelum = real_kernen["beesd.test"], real_kernen["heukelum.test"]
    ids = {
        host: await follow(gemeente_app, http, token, kern) for host, kern in real_kernen.items()
    }
    verkeer = beesd.thema("Verkeer en vervoer", actor="gemeente")
    ontmoeten = beesd.thema("Een dorpshuis voor iedereen", actor="inwoners")
    rijden = heukelum.thema("Te hard rijden op de dijk", actor="samen")
    beesd.project(
        "Zebrapad bij de school",
        themas=(verkeer,),
        phase="uitvoering",
        needs=["besluit_gemeente"],
    )
    beesd.project(
        "Nieuwe speeltuin",
        themas=(ontmoeten,),
        summary="Speeltoestellen voor jonge kinderen",
        updated_at="2025-01-01T10:00:00+00:00",
    )
    beesd.meeting("Dorpsavond Beesd", soon(3))
    heukelum.project("Drempels op de dijk", themas=(rijden,), phase="verkenning")
    heukelum.meeting("Wandeling Rietput", soon(4))
    heukelum.meeting("Afgelaste avond", soon(5), cancelled="Te weinig aanmeldingen")
    for kern in (beesd, heukelum):
        await kern.deliver()
    return http, ids
