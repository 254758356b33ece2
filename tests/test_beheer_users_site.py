"""Beheer of accounts, the audit log and the site's own texts and colours."""

from __future__ import annotations

import re


async def test_beheerder_adds_a_user_who_gets_a_one_time_password(admin, db):
    client, csrf = admin
    data = {
        "username": "Marieke",
        "display_name": "Marieke van Dam",
        "email": "",
        "role": "redacteur",
        "csrf": csrf,
    }
    response = await client.post("/beheer/gebruikers/nieuw", data=data)
    assert response.status_code == 200
    password = re.search(r"<code>([^<]+)</code>", response.text).group(1)
    row = db.one("SELECT * FROM users WHERE username = 'marieke'")
    assert row["must_change_password"] == 1 and password not in row["password_hash"]
    assert db.one("SELECT * FROM audit_log WHERE action = 'user.create'")["username"] == "anna"


async def test_user_form_errors(admin, db):
    client, csrf = admin
    base = {
        "username": "kees",
        "display_name": "Kees",
        "email": "",
        "role": "redacteur",
        "csrf": csrf,
    }
    for change, message in [
        ({"username": "a b"}, "Gebruik 2 tot 40 kleine letters"),
        ({"username": "anna"}, "Deze gebruikersnaam bestaat al."),
        ({"display_name": ""}, "Vul een naam in."),
        ({"email": "geen-adres"}, "Vul een geldig e-mailadres in"),
        ({"email": "a,kees@example.nl"}, "Vul een geldig e-mailadres in"),
        ({"role": "koning"}, "Kies een rol uit de lijst."),
    ]:
        response = await client.post("/beheer/gebruikers/nieuw", data={**base, **change})
        assert response.status_code == 400, change
        assert message in response.text, change
    assert db.scalar("SELECT count(*) FROM users") == 2


async def test_the_last_beheerder_cannot_be_disabled_or_demoted(admin, db):
    client, csrf = admin
    anna = db.scalar("SELECT id FROM users WHERE username = 'anna'")
    for data in ({"actie": "uitzetten"}, {"actie": "rol", "rol": "redacteur"}):
        response = await client.post(
            f"/beheer/gebruikers/{anna}", data={**data, "csrf": csrf}, follow_redirects=True
        )
        assert "minstens één actieve beheerder" in response.text
    assert db.one("SELECT role, disabled FROM users WHERE id = ?", (anna,))[:] == ("beheerder", 0)


async def test_disable_and_reset_password_of_another_user(admin, db):
    client, csrf = admin
    piet = db.scalar("SELECT id FROM users WHERE username = 'piet'")
    await client.post(f"/beheer/gebruikers/{piet}", data={"actie": "uitzetten", "csrf": csrf})
    assert db.scalar("SELECT disabled FROM users WHERE id = ?", (piet,)) == 1
    response = await client.post(
        f"/beheer/gebruikers/{piet}", data={"actie": "wachtwoord", "csrf": csrf}
    )
    assert "<code>" in response.text
    assert db.scalar("SELECT must_change_password FROM users WHERE id = ?", (piet,)) == 1
    bad = await client.post(
        f"/beheer/gebruikers/{piet}", data={"actie": "ontploffen", "csrf": csrf}
    )
    assert bad.status_code == 400


async def test_audit_log_shows_who_did_what(admin):
    client, csrf = admin
    page = (await client.get("/beheer/logboek")).text
    assert "user.login" in page and "anna" in page
    assert (await client.get("/beheer/logboek?pagina=nul")).status_code == 400


async def test_site_texts_and_colours(admin, client):
    client, csrf = admin
    data = {
        "group_name": "Kerngroep Heukelum",
        "contact_email": "kerngroep@heukelum.example",
        "colour_primary": "#7a1f5c",
        "colour_accent": "#ffd166",
        "csrf": csrf,
    }
    response = await client.post("/beheer/site", data=data)
    assert response.status_code == 303
    assert "Kerngroep Heukelum" in (await client.get("/over")).text
    assert "#7a1f5c" in (await client.get("/huisstijl.css")).text
    for change, message in [
        ({"colour_primary": "rood"}, "Vul een kleur in als #1f6f43"),
        ({"colour_primary": "#ffff00"}, "de contrastverhouding is 1,07 : 1"),
        ({"colour_primary": "#ffff00", "colour_primary_text": "#777777"}, "is 4,17 : 1"),
        ({"colour_accent": "#000033"}, "Donkere tekst is op deze kleur slecht te lezen"),
        ({"contact_email": "a@"}, "Vul een geldig e-mailadres in"),
        ({"contact_email": "groep@example.nl, a@example.nl"}, "Vul een geldig e-mailadres in"),
        ({"group_name": "x" * 101}, "100"),
    ]:
        response = await client.post("/beheer/site", data={**data, **change})
        assert response.status_code == 400, change
        assert message in response.text, change
