"""Events from elsewhere: a followed agenda's events on the public meetings page, when turned on.

The kern stores the events of actors it follows (received.py); here a Gancio-shaped Event, as a
followed regional agenda sends it, is stored the way the inbox stores it, and the page is read
through HTML as a visitor reads it.
"""

from __future__ import annotations

from tests.elsewhere_helpers import store_event_from_elsewhere
from tests.markup import parse


def _store(db, slug: str, name: str, days: int, **extra) -> None:
    db.write(lambda conn: store_event_from_elsewhere(conn, slug, name, days, **extra))


async def test_events_from_elsewhere_show_only_when_the_group_turns_it_on(admin, db):
    client, csrf = admin
    _store(db, "concert", "Zomerconcert", days=5)
    _store(db, "voorbij", "Al geweest", days=-3)
    _store(db, "afgelast", "Afgelast feest", days=6, status="CANCELLED")

    page = await client.get("/bijeenkomsten")
    assert page.status_code == 200 and "Zomerconcert" not in page.text  # off by default

    response = await client.post("/beheer/federatie/elders", data={"shown": "y", "csrf": csrf})
    assert response.status_code == 303
    html = parse((await client.get("/bijeenkomsten")).text)
    section = html.find("section", attrs={"aria-labelledby": "elders-titel"})
    assert section is not None and section.find("h2").get_text() == "Van elders"
    [item] = section.find_all("li")
    text = " ".join(item.get_text(" ").split())
    assert "Van elders: Regio-agenda" in text and "Het Klooster, Markt 1, Geldermalsen" in text
    assert item.find("a")["href"] == "https://agenda.example/event/concert"

    await client.post("/beheer/federatie/elders", data={"csrf": csrf})
    assert "Zomerconcert" not in (await client.get("/bijeenkomsten")).text


async def test_the_setting_needs_a_valid_form(admin, db):
    client, _ = admin
    response = await client.post("/beheer/federatie/elders", data={"shown": "y", "csrf": "nee"})
    assert response.status_code == 400


async def test_beheer_says_how_a_regional_agenda_adds_this_kern(admin, settings):
    """Gancio trusts a kern by its account address (docs/FEDERATION.md, FEP-2677)."""
    client, _ = admin
    html = parse((await client.get("/beheer/federatie")).text)
    facts = html.find("dl", class_="bloei-facts")
    [address] = [dd.get_text() for dd in facts.find_all("dd") if dd.get_text().startswith("@")]
    assert address.startswith(f"@{settings.slug}@")
    hint = facts.find_next_sibling("p")
    assert "Gancio" in hint.get_text() and "adres van deze kern" in hint.get_text()
