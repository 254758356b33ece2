"""Fixtures for the gemeente tests: a gemeente node (app, database, signed-in staff) and two
fake kernen it can reach through an in-process router. Helpers live in gemeente_helpers.py."""

from __future__ import annotations

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, FakeKern, Router, gemeente_folder, kern_transport, login

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
