"""`/.well-known/security.txt` on every node, read by an independent RFC 9116 validator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sectxt import Parser

from node.app import create_app
from node.settings import SettingsError, load_settings
from tests.conftest import BASE_URL, make_data_dir


def set_contact_email(db, address: str) -> None:
    db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('contact_email', ?)",
            (json.dumps(address),),
        )
    )


async def fetch(app) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        return await http.get("/.well-known/security.txt")


async def test_a_kern_names_its_groups_address_and_a_validator_accepts_it(settings, db):
    set_contact_email(db, "kerngroep@beesd.example")
    response = await fetch(create_app(settings, db))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    parsed = Parser(response.content)
    assert parsed.is_valid(), parsed.errors
    assert parsed.lines[0]["value"] == "mailto:kerngroep@beesd.example"
    expires = datetime.fromisoformat(
        next(line for line in parsed.lines if line.get("field_name") == "expires")["value"]
    )
    assert timedelta(days=30) < expires - datetime.now(UTC) < timedelta(days=365)


async def test_the_hosts_security_contact_wins_and_an_https_node_names_its_canonical_url(
    settings, db
):
    set_contact_email(db, "kerngroep@beesd.example")
    settings = settings.with_changes(
        security_contact="https://beesd.example/melden", public_url="https://beesd.example"
    )
    response = await fetch(create_app(settings, db))
    parsed = Parser(response.content, urls=["https://beesd.example/.well-known/security.txt"])
    assert parsed.is_valid(), parsed.errors
    text = response.text
    assert "Contact: https://beesd.example/melden\n" in text
    assert "Canonical: https://beesd.example/.well-known/security.txt\n" in text
    assert "kerngroep@" not in text


async def test_without_any_contact_there_is_no_file_rather_than_one_that_leads_nowhere(
    settings, db
):
    db.write(lambda conn: conn.execute("DELETE FROM site WHERE key = 'contact_email'"))
    response = await fetch(create_app(settings, db))
    assert response.status_code == 404


async def test_the_gemeente_serves_one_too(tmp_path):
    folder = make_data_dir(
        tmp_path / "gemeente",
        name="Gemeente",
        role="gemeente",
        security_contact="security@westbetuwe.example",
    )
    app = create_app(load_settings(folder))
    try:
        response = await fetch(app)
    finally:
        app.state.db.close()
    assert response.status_code == 200
    parsed = Parser(response.content)
    assert parsed.is_valid(), parsed.errors
    assert "Contact: mailto:security@westbetuwe.example\n" in response.text


@pytest.mark.parametrize("contact", ["iemand", "a@b.nl, c@d.nl", "http://onveilig.example"])
def test_a_security_contact_that_is_no_address_is_refused_with_one_line(tmp_path, contact):
    folder = make_data_dir(tmp_path / "beesd", security_contact=contact)
    with pytest.raises(SettingsError, match="security_contact"):
        load_settings(folder)
