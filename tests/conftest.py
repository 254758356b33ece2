"""Shared fixtures: a fresh kern node in a temporary folder, and clients for it."""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from node.app import create_app, open_database
from node.settings import create_secret, load_settings, write_config
from node.web import auth

ADMIN_PASSWORD = "test-wachtwoord-beheer"
EDITOR_PASSWORD = "test-wachtwoord-redactie"
BASE_URL = "http://beesd.test"


def make_data_dir(path: Path, name: str = "Beesd", url: str = BASE_URL, **extra) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    write_config(
        path, {"role": "kern", "name": name, "slug": name.lower(), "public_url": url, **extra}
    )
    create_secret(path)
    return path


def is_loopback_name(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Traffic in tests goes to loopback only: any other name fails to resolve, at once, as on
    a machine without a network, so code that would reach out is caught instead of waiting."""
    resolve = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback_name(name):
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve loopback only, not {name}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture(scope="session")
def template_node(tmp_path_factory) -> Path:
    """One migrated node with two users, copied for each test: Argon2 is slow on purpose."""
    folder = make_data_dir(tmp_path_factory.mktemp("template") / "beesd")
    database = open_database(load_settings(folder))

    def users(conn):
        auth.create_user(
            conn, "anna", "Anna de Vries", "beheerder", ADMIN_PASSWORD, must_change_password=False
        )
        auth.create_user(
            conn, "piet", "Piet Jansen", "redacteur", EDITOR_PASSWORD, must_change_password=False
        )

    database.write(users)
    database.close()
    return folder


@pytest.fixture
def settings(tmp_path, template_node):
    folder = tmp_path / "beesd"
    shutil.copytree(template_node, folder)
    return load_settings(folder)


@pytest.fixture
def db(settings):
    database = open_database(settings)
    yield database
    database.close()


@pytest.fixture
def app(settings, db):
    return create_app(settings, db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


async def login(
    http: httpx.AsyncClient, username: str = "anna", password: str = ADMIN_PASSWORD
) -> str:
    """Sign in and return the session's CSRF token, read from a beheer page."""
    response = await http.post(
        "/beheer/inloggen", data={"username": username, "password": password}
    )
    assert response.status_code == 303, response.text
    page = await http.get("/beheer/wachtwoord")
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF token on a beheer page"
    return match.group(1)


@pytest.fixture
async def admin(client) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    token = await login(client)
    yield client, token


@pytest.fixture
async def editor(client) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    token = await login(client, "piet", EDITOR_PASSWORD)
    yield client, token
