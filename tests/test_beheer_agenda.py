"""Beheer of the kernagenda: thema's, versions, and every way a form can be wrong."""

from __future__ import annotations

import json

from tests.helpers import THEMA, add_thema

GOOD = {k: v for k, v in THEMA.items()}


async def test_beheerder_adds_a_thema_that_residents_then_see(admin, db):
    client, csrf = admin
    response = await client.post("/beheer/themas/nieuw", data={**GOOD, "csrf": csrf})
    assert response.status_code == 303
    assert "Verkeer en vervoer" in (await client.get("/agenda")).text
    event = db.one("SELECT * FROM events ORDER BY id DESC LIMIT 1")
    assert event["verb"] == "Create" and event["object_type"] == "Thema"
    assert event["object_id"] == "http://beesd.test/agenda/themas/verkeer-en-vervoer"
    assert json.loads(event["snapshot"])["status"] == "loopt"
    audit = db.one("SELECT * FROM audit_log WHERE action = 'thema.create'")
    assert audit["username"] == "anna"


async def test_redacteur_may_edit_content_but_not_users(editor, db, settings):
    client, csrf = editor
    slug = add_thema(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    response = await client.post(
        f"/beheer/themas/{thema_id}", data={**GOOD, "status": "afgerond", "csrf": csrf}
    )
    assert response.status_code == 303
    assert db.scalar("SELECT status FROM themas WHERE id = ?", (thema_id,)) == "afgerond"
    assert db.scalar("SELECT slug FROM themas WHERE id = ?", (thema_id,)) == slug
    assert (await client.get("/beheer/gebruikers")).status_code == 403
    assert (await client.get("/beheer/site")).status_code == 403


async def test_empty_thema_form_keeps_fields_and_explains_in_dutch(admin, db):
    client, csrf = admin
    data = {**GOOD, "title": "", "description": "Mijn lange uitleg", "csrf": csrf}
    response = await client.post("/beheer/themas/nieuw", data=data)
    assert response.status_code == 400
    assert "Vul een titel in." in response.text
    assert "Mijn lange uitleg" in response.text, "what the user typed is kept"
    assert 'href="#title"' in response.text, "the error summary links to the field"
    assert db.scalar("SELECT count(*) FROM themas") == 0


async def test_thema_form_refuses_bad_choices_overlong_text_and_control_characters(admin, db):
    client, csrf = admin
    cases = [
        ({"priority": "superhoog"}, "Kies een prioriteit uit de lijst."),
        ({"status": "klaar"}, "Kies een status uit de lijst."),
        ({"actor": "iedereen"}, "Kies uit de lijst wie aan zet is."),
        ({"actor": "anderen", "actor_other": ""}, "Schrijf op welke partij aan zet is"),
        ({"title": "x" * 121}, "Gebruik hoogstens 120 tekens."),
        ({"title": "   "}, "Vul een titel in."),
        ({"description": "nul\x00byte"}, None),
    ]
    for change, message in cases:
        response = await client.post("/beheer/themas/nieuw", data={**GOOD, **change, "csrf": csrf})
        if message is None:
            # Control characters are dropped by the field filter, not refused.
            assert response.status_code == 303
            assert "\x00" not in db.scalar(
                "SELECT description FROM themas ORDER BY id DESC LIMIT 1"
            )
            continue
        assert response.status_code == 400, change
        assert message in response.text, change
    assert db.scalar("SELECT count(*) FROM themas") == 1


async def test_html_in_a_thema_title_is_shown_as_text(admin):
    client, csrf = admin
    await client.post(
        "/beheer/themas/nieuw", data={**GOOD, "title": "<script>alert(1)</script>", "csrf": csrf}
    )
    page = (await client.get("/agenda")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_form_without_the_session_token_changes_nothing(admin, db):
    client, _csrf = admin
    response = await client.post("/beheer/themas/nieuw", data={**GOOD, "csrf": "vals"})
    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.text
    assert "Verkeer en vervoer" in response.text, "fields are kept"
    assert db.scalar("SELECT count(*) FROM themas") == 0


async def test_remove_thema_keeps_it_in_published_versions(admin, db, settings):
    client, csrf = admin
    slug = add_thema(db, settings)
    await client.post(
        "/beheer/versies/nieuw", data={"title": "Najaar 2025", "introduction": "", "csrf": csrf}
    )
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    response = await client.post(f"/beheer/themas/{thema_id}/verwijderen", data={"csrf": csrf})
    assert response.status_code == 303
    assert "Verkeer en vervoer" not in (await client.get("/agenda")).text.split("</h1>")[1]
    assert (await client.get(f"/agenda/themas/{slug}")).status_code == 404
    assert "Verkeer en vervoer" in (await client.get("/agenda/versies/najaar-2025")).text
    assert db.one("SELECT verb FROM events ORDER BY id DESC LIMIT 1")["verb"] == "Delete"


async def test_publishing_versions_keeps_every_one(admin, db, settings):
    client, csrf = admin
    add_thema(db, settings)
    for title in ("Najaar 2025", "Voorjaar 2026"):
        response = await client.post(
            "/beheer/versies/nieuw", data={"title": title, "introduction": "", "csrf": csrf}
        )
        assert response.status_code == 303
    page = (await client.get("/agenda/versies")).text
    assert "Najaar 2025" in page and "Voorjaar 2026" in page
    assert "Er is niets veranderd" in (await client.get("/agenda/versies/voorjaar-2026")).text
    response = await client.post("/beheer/versies/nieuw", data={"title": "", "csrf": csrf})
    assert response.status_code == 400 and "Vul een naam" in response.text


async def test_every_beheer_page_needs_a_login(client):
    for path in (
        "/beheer",
        "/beheer/themas",
        "/beheer/themas/nieuw",
        "/beheer/versies/nieuw",
        "/beheer/gebruikers",
        "/beheer/logboek",
        "/beheer/site",
    ):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/beheer/inloggen"), path
    response = await client.post("/beheer/themas/nieuw", data=GOOD)
    assert response.status_code == 303
