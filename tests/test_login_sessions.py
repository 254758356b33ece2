"""Sessions kept on the server: signing out ends them everywhere, limits are checked on every
request, and people see and end their own sessions."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from node.app import SESSION_COOKIE
from node.web import login_sessions
from tests.conftest import BASE_URL, EDITOR_PASSWORD, login

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture
async def second(app) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same site."""
    transport = httpx.ASGITransport(app=app, client=("192.0.2.77", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"user-agent": PHONE}
    ) as http:
        yield http


def copy_cookie(source: httpx.AsyncClient, target: httpx.AsyncClient) -> None:
    target.cookies.set(SESSION_COOKIE, source.cookies[SESSION_COOKIE])


def cookie_contents(http: httpx.AsyncClient) -> dict:
    payload = http.cookies[SESSION_COOKIE].split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def age_sessions(db, column: str, by: timedelta) -> None:
    moment = (datetime.now(UTC) - by).isoformat(timespec="seconds")
    db.write(lambda conn: conn.execute(f"UPDATE login_sessions SET {column} = ?", (moment,)))


async def test_signing_out_ends_a_copied_cookie_at_once(admin, second):
    client, csrf = admin
    copy_cookie(client, second)
    assert (await second.get("/beheer")).status_code == 200
    await client.post("/beheer/uitloggen", data={"csrf": csrf})
    assert (await second.get("/beheer")).status_code == 303


async def test_the_cookie_carries_only_the_session_token_and_the_database_only_its_hash(admin, db):
    client, _ = admin
    contents = cookie_contents(client)
    assert set(contents) == {"sid"}
    stored = db.execute("SELECT token_hash, csrf FROM login_sessions")
    assert [row["token_hash"] for row in stored] == [login_sessions.token_hash(contents["sid"])]
    assert contents["sid"] not in json.dumps([dict(row) for row in stored])


async def test_a_session_ends_after_its_lifetime_however_active(admin, db, settings):
    client, _ = admin
    age_sessions(db, "created_at", timedelta(days=settings.session_days, minutes=1))
    assert (await client.get("/beheer")).status_code == 303
    assert db.scalar("SELECT count(*) FROM login_sessions") == 0


async def test_a_session_ends_after_sitting_idle(admin, db, settings):
    client, _ = admin
    age_sessions(db, "last_seen_at", timedelta(hours=settings.session_idle_hours, minutes=1))
    assert (await client.get("/beheer")).status_code == 303


async def test_using_a_session_keeps_it_alive(admin, db, settings):
    client, _ = admin
    age_sessions(db, "last_seen_at", timedelta(hours=settings.session_idle_hours - 1))
    assert (await client.get("/beheer")).status_code == 200
    seen = datetime.fromisoformat(db.scalar("SELECT last_seen_at FROM login_sessions"))
    assert datetime.now(UTC) - seen < timedelta(hours=1)


async def test_a_new_password_ends_the_other_sessions_but_not_this_one(admin, second):
    client, csrf = admin
    await login(second)
    response = await client.post(
        "/beheer/wachtwoord",
        data={
            "current": "test-wachtwoord-beheer",
            "new": "een nieuwe lange zin",
            "repeat": "een nieuwe lange zin",
            "csrf": csrf,
        },
    )
    assert response.status_code == 303
    assert (await client.get("/beheer")).status_code == 200
    assert (await second.get("/beheer")).status_code == 303


async def test_the_account_page_lists_sessions_and_ends_one_or_all_others(app, client, second, db):
    client.headers["user-agent"] = FIREFOX
    csrf = await login(client)
    await login(second)
    page = await client.get("/beheer/account")
    assert page.status_code == 200
    assert "Firefox, Windows" in page.text and "Chrome, Android" in page.text
    assert "dit apparaat" in page.text and "192.0.2.77" in page.text

    phone_id = db.scalar("SELECT id FROM login_sessions WHERE device = 'Chrome, Android'")
    ended = await client.post("/beheer/account/sessies", data={"csrf": csrf, "sessie": phone_id})
    assert ended.status_code == 303
    assert (await second.get("/beheer")).status_code == 303
    assert (await client.get("/beheer")).status_code == 200

    await login(second)
    third = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    async with third:
        await login(third)
        await client.post("/beheer/account/sessies", data={"csrf": csrf, "sessie": "alle"})
        assert (await second.get("/beheer")).status_code == 303
        assert (await third.get("/beheer")).status_code == 303
    assert (await client.get("/beheer")).status_code == 200
    actions = [row["action"] for row in db.execute("SELECT action FROM audit_log")]
    assert actions.count("user.sessions_ended") == 2


async def test_nobody_ends_a_session_of_someone_else_through_the_account_page(client, second, db):
    await login(second)
    annas = db.scalar("SELECT id FROM login_sessions")
    csrf = await login(client, "piet", EDITOR_PASSWORD)
    await client.post("/beheer/account/sessies", data={"csrf": csrf, "sessie": annas})
    assert (await second.get("/beheer")).status_code == 200


@pytest.mark.parametrize("value", ["", "x", "-1", "9" * 40])
async def test_a_wrong_session_choice_is_a_clear_error(admin, value):
    client, csrf = admin
    response = await client.post("/beheer/account/sessies", data={"csrf": csrf, "sessie": value})
    assert response.status_code in (303, 400)


async def test_a_beheerder_ends_every_session_of_another_user(admin, second, db):
    client, csrf = admin
    await login(second, "piet", EDITOR_PASSWORD)
    piet = db.scalar("SELECT id FROM users WHERE username = 'piet'")
    response = await client.post(
        f"/beheer/gebruikers/{piet}", data={"csrf": csrf, "actie": "sessies"}
    )
    assert response.status_code == 303
    assert (await second.get("/beheer")).status_code == 303
    assert (await client.get("/beheer")).status_code == 200
    last = db.one("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (last["username"], last["action"], last["object_id"]) == (
        "anna",
        "user.sessions_ended",
        "piet",
    )


async def test_signing_in_again_in_the_same_browser_replaces_its_session(admin, db):
    client, _ = admin
    await login(client)
    await login(client)
    assert db.scalar("SELECT count(*) FROM login_sessions") == 1
    assert (await client.get("/beheer")).status_code == 200


async def test_signing_in_and_out_is_in_the_audit_log(admin, db):
    client, csrf = admin
    await client.post("/beheer/uitloggen", data={"csrf": csrf})
    actions = [row["action"] for row in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["user.login", "user.logout"]


def test_device_summaries_name_browser_and_system():
    assert login_sessions.device_summary(FIREFOX) == "Firefox, Windows"
    assert login_sessions.device_summary(PHONE) == "Chrome, Android"
    assert login_sessions.device_summary("curl/8.5") == ""
