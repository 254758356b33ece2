"""Signing in to beheer: hashing, rate limits, sessions, CSRF and cross-site requests."""

from __future__ import annotations

from argon2 import PasswordHasher

from node.web import auth
from tests.conftest import ADMIN_PASSWORD, login


async def test_passwords_are_stored_as_argon2id(db):
    stored = db.scalar("SELECT password_hash FROM users WHERE username = 'anna'")
    assert stored.startswith("$argon2id$")
    assert ADMIN_PASSWORD not in stored


async def test_wrong_password_is_refused_in_dutch_without_telling_which_part(client):
    for username in ("anna", "niemand"):
        response = await client.post(
            "/beheer/inloggen", data={"username": username, "password": "fout"}
        )
        assert response.status_code == 400
        assert "De gebruikersnaam of het wachtwoord klopt niet." in response.text
        assert f'value="{username}"' in response.text, "the user name is kept"


async def test_login_attempts_are_rate_limited(client):
    for _ in range(5):
        await client.post("/beheer/inloggen", data={"username": "anna", "password": "fout"})
    response = await client.post(
        "/beheer/inloggen", data={"username": "anna", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 429
    assert "te vaak" in response.text


async def test_login_only_follows_local_next_addresses(client):
    response = await client.post(
        "/beheer/inloggen?volgende=https://kwaad.example/",
        data={"username": "anna", "password": ADMIN_PASSWORD},
    )
    assert response.headers["location"] == "/beheer"


async def test_a_disabled_user_is_signed_out_at_once(admin, db):
    client, _ = admin
    assert (await client.get("/beheer")).status_code == 200
    db.write(lambda c: c.execute("UPDATE users SET disabled = 1 WHERE username = 'anna'"))
    assert (await client.get("/beheer")).status_code == 303


async def test_first_login_must_change_the_one_time_password(client, db):
    from node.web import auth

    db.write(lambda c: auth.create_user(c, "nieuw", "Nieuw", "redacteur", "eenmalig-wachtwoord-1"))
    await client.post(
        "/beheer/inloggen", data={"username": "nieuw", "password": "eenmalig-wachtwoord-1"}
    )
    response = await client.get("/beheer/themas")
    assert response.headers["location"] == "/beheer/wachtwoord"
    page = await client.get("/beheer/wachtwoord")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    short = await client.post(
        "/beheer/wachtwoord",
        data={"current": "eenmalig-wachtwoord-1", "new": "kort", "repeat": "kort", "csrf": csrf},
    )
    assert short.status_code == 400 and "Gebruik minstens 12 tekens." in short.text
    ok = await client.post(
        "/beheer/wachtwoord",
        data={
            "current": "eenmalig-wachtwoord-1",
            "new": "een goede lange zin",
            "repeat": "een goede lange zin",
            "csrf": csrf,
        },
    )
    assert ok.status_code == 303
    assert (await client.get("/beheer/themas")).status_code == 200


async def test_cross_site_posts_are_refused_before_anything_happens(client, db):
    # A project to support, made directly.
    from node.settings import load_settings  # noqa: F401
    from tests.helpers import add_project

    response = await client.post(
        "/beheer/inloggen",
        data={"username": "anna", "password": ADMIN_PASSWORD},
        headers={"Origin": "https://kwaad.example"},
    )
    assert response.status_code == 403
    response = await client.post(
        "/beheer/inloggen", data={}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    response = await client.post(
        "/beheer/inloggen",
        data={"username": "anna", "password": ADMIN_PASSWORD},
        headers={"Origin": "http://beesd.test", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303
    assert add_project  # imported for symmetry with other tests


async def test_logout_needs_the_token(admin):
    client, csrf = admin
    await client.post("/beheer/uitloggen", data={"csrf": "vals"})
    assert (await client.get("/beheer")).status_code == 200
    await client.post("/beheer/uitloggen", data={"csrf": csrf})
    assert (await client.get("/beheer")).status_code == 303


async def test_beheer_is_never_served_from_the_cache(admin, client):
    client, _ = admin
    assert "Beheer van Beesd" in (await client.get("/beheer")).text
    client.cookies.clear()
    assert (await client.get("/beheer")).status_code == 303


async def test_login_helper_works_for_the_editor(client):
    assert await login(client, "piet", "test-wachtwoord-redactie")


async def test_new_passwords_use_owasp_argon2id_parameters(db):
    stored = db.scalar("SELECT password_hash FROM users WHERE username = 'anna'")
    assert "$argon2id$v=19$m=7168,t=5,p=1$" in stored


def test_an_unknown_name_is_checked_with_the_same_settings_as_a_known_one():
    # Equal settings, equal time: the form does not tell which user names exist.
    assert not auth._hasher.check_needs_rehash(auth._DUMMY_HASH)
    assert auth._DUMMY_HASH.split("$")[3] == auth.hash_password("x").split("$")[3]


async def test_a_hash_of_older_settings_is_made_anew_at_the_next_sign_in(client, db):
    older = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(ADMIN_PASSWORD)
    db.write(lambda conn: conn.execute(
        "UPDATE users SET password_hash = ? WHERE username = 'anna'", (older,)
    ))  # fmt: skip
    wrong = {"username": "anna", "password": "niet-het-wachtwoord"}
    assert (await client.post("/beheer/inloggen", data=wrong)).status_code == 400
    assert db.scalar("SELECT password_hash FROM users WHERE username = 'anna'") == older

    assert await login(client, "anna", ADMIN_PASSWORD)
    renewed = db.scalar("SELECT password_hash FROM users WHERE username = 'anna'")
    assert "$m=7168,t=5,p=1$" in renewed
    assert auth.verify_password(renewed, ADMIN_PASSWORD)
    client.cookies.clear()
    assert await login(client, "anna", ADMIN_PASSWORD)
    assert db.scalar("SELECT password_hash FROM users WHERE username = 'anna'") == renewed


async def test_a_redacteur_gets_the_403_page_on_a_beheerders_page(editor):
    client, _ = editor
    response = await client.get("/beheer/gebruikers")
    assert response.status_code == 403
    assert "Dit mag niet" in response.text
    assert "U heeft geen toestemming voor deze pagina of actie." in response.text
    # The full page of the site, rendered by the app's handler, not a bare message.
    assert 'class="bloei-footer"' in response.text


async def test_a_cross_site_post_gets_the_dutch_refusal(client):
    response = await client.post(
        "/beheer/inloggen", data={}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert "Dit formulier kwam niet van deze site." in response.text
    api = await client.post("/api/v1/projecten", headers={"Origin": "https://kwaad.example"})
    assert api.status_code == 403
    assert api.headers["content-type"] == "application/problem+json"
