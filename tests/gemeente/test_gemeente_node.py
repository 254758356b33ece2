"""A gemeente node: `bloei init --role gemeente`, its Organization actor, staff accounts."""

from __future__ import annotations

import re
import sqlite3

from gemeente_helpers import GEMEENTE_URL

from node.cli import main
from node.settings import load_settings


def test_init_makes_a_gemeente_with_keys_and_a_beheerder(tmp_path, capsys):
    data = tmp_path / "gemeente"

    code = main(
        [
            "init", "--role", "gemeente", "--name", "Gemeente West Betuwe",
            "--url", "https://bloei.westbetuwe.example", "--slug", "gemeente",
            "--admin", "gerda", "--data", str(data),
        ]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0, out
    settings = load_settings(data)
    assert (settings.role, settings.slug) == ("gemeente", "gemeente")
    assert (data / "keys" / "rsa-private.pem").exists()
    assert "https://bloei.westbetuwe.example/actor" in out
    conn = sqlite3.connect(data / "bloei.db")
    assert conn.execute("SELECT username, role FROM users").fetchall() == [("gerda", "beheerder")]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"gemeente_kernen", "gemeente_projects", "federation_following"} <= tables
    assert "projects" not in tables  # no kern tables in an aggregator


def test_user_add_knows_the_gemeentes_roles(tmp_path, capsys):
    data = tmp_path / "gemeente"
    main(["init", "--role", "gemeente", "--name", "West Betuwe", "--url", "https://g.example",
          "--data", str(data)])  # fmt: skip
    capsys.readouterr()

    assert main(["user", "add", "mo", "--role", "medewerker", "--data", str(data)]) == 0
    assert main(["user", "add", "piet", "--role", "redacteur", "--data", str(data)]) == 1

    assert "no role redacteur: use beheerder or medewerker" in capsys.readouterr().err


async def test_the_actor_is_an_organization_found_by_webfinger(gemeente):
    actor = await gemeente.get("/actor")
    finger = await gemeente.get("/.well-known/webfinger?resource=acct:gemeente@gemeente.test")
    info = await gemeente.get("/nodeinfo/2.1")
    outbox = await gemeente.get("/actor/outbox")
    unknown = await gemeente.get("/.well-known/webfinger?resource=acct:beesd@gemeente.test")

    document = actor.json()
    assert actor.headers["content-type"].startswith("application/activity+json")
    assert document["type"] == "Organization"
    assert document["id"] == GEMEENTE_URL + "/actor"
    assert document["inbox"] == GEMEENTE_URL + "/actor/inbox"
    assert document["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert document["assertionMethod"][0]["type"] == "Multikey"
    assert finger.json()["links"][0]["href"] == document["id"]
    assert info.json()["metadata"]["role"] == "gemeente"
    assert outbox.json()["totalItems"] == 0
    assert unknown.status_code == 404


async def test_login_speaks_to_medewerkers(gemeente):
    page = await gemeente.get("/beheer/inloggen")
    assert "Inloggen voor medewerkers" in page.text
    assert "inwonersgroep" not in page.text


async def test_a_beheerder_adds_a_medewerker_and_it_is_logged(staff, gemeente_app):
    http, token = staff

    form = await http.get("/beheer/gebruikers/nieuw")
    added = await http.post(
        "/beheer/gebruikers/nieuw",
        data={"csrf": token, "username": "sanne", "display_name": "Sanne", "role": "medewerker"},
    )
    redacteur = await http.post(
        "/beheer/gebruikers/nieuw",
        data={"csrf": token, "username": "kees", "display_name": "Kees", "role": "redacteur"},
    )

    assert "Medewerker" in form.text and "Redacteur" not in form.text
    assert added.status_code == 200 and re.search(r"[a-z0-9]{4}-[a-z0-9]{4}", added.text)
    assert redacteur.status_code == 400
    db = gemeente_app.state.db
    assert db.scalar("SELECT role FROM users WHERE username = 'sanne'") == "medewerker"
    log = await http.get("/beheer/logboek")
    assert "user.create" in log.text


async def test_the_last_beheerder_cannot_be_made_medewerker(staff, gemeente_app):
    http, token = staff
    me = gemeente_app.state.db.scalar("SELECT id FROM users WHERE username = 'gerda'")

    response = await http.post(
        f"/beheer/gebruikers/{me}", data={"csrf": token, "actie": "rol", "rol": "medewerker"}
    )
    page = await http.get(response.headers["location"])

    assert "minstens één actieve beheerder" in page.text


async def test_beheer_forms_need_the_session_token(staff, beesd):
    http, _token = staff
    response = await http.post("/beheer/kernen", data={"csrf": "fout", "address": "@b@b.test"})
    assert response.status_code == 400 and "verlopen" in response.text


async def test_cross_site_posts_are_refused(gemeente):
    response = await gemeente.post(
        "/beheer/kernen", data={"address": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
