"""Two-step sign-in: TOTP codes (RFC 6238) after the password, recovery codes, switching off."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from node.web import two_step
from tests.conftest import ADMIN_PASSWORD, CSRF_RE, login

# RFC 6238, appendix B: the SHA-1 rows, for the 20-byte ASCII key "12345678901234567890".
RFC_6238_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
CODE_RE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


@pytest.mark.parametrize(("unix_time", "expected"), RFC_6238_SHA1)
def test_codes_match_the_rfc_6238_test_vectors(unix_time, expected):
    assert two_step.code_at(RFC_6238_SECRET, unix_time, digits=8) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC_6238_SHA1)
def test_six_digit_codes_are_accepted_at_their_time_and_one_step_either_side(unix_time, expected):
    six = expected[-6:]  # the same HOTP value, modulo 10^6 instead of 10^8
    step = unix_time // 30
    for moment in (unix_time, unix_time - 30, unix_time + 30):
        assert two_step.matching_step(RFC_6238_SECRET, six, 0, now=moment) == step
    assert two_step.matching_step(RFC_6238_SECRET, six, 0, now=unix_time + 90) is None
    assert two_step.matching_step(RFC_6238_SECRET, six, step, now=unix_time) is None


class Phone:
    """The authenticator app, on a clock the test moves on by one step for every code."""

    def __init__(self, monkeypatch):
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC).timestamp()
        self.secret = ""
        monkeypatch.setattr(two_step, "clock", lambda: self.now)

    def code(self) -> str:
        self.now += 30
        return pyotp.TOTP(self.secret).at(int(self.now))


@pytest.fixture
def phone(monkeypatch) -> Phone:
    return Phone(monkeypatch)


async def switch_on(client, db, phone: Phone, username: str = "anna") -> list[str]:
    page = await client.get("/beheer/account/tweestaps")
    assert page.status_code == 200
    csrf = CSRF_RE.search(page.text).group(1)
    phone.secret = db.scalar(
        "SELECT two_step_pending_secret FROM users WHERE username = ?", (username,)
    )
    assert two_step.grouped(phone.secret) in page.text
    assert 'src="data:image/svg+xml' in page.text
    answer = await client.post(
        "/beheer/account/tweestaps", data={"csrf": csrf, "code": phone.code()}
    )
    assert answer.status_code == 200, answer.text
    return CODE_RE.findall(answer.text)


async def sign_in_with_password(client, password: str = ADMIN_PASSWORD, username: str = "anna"):
    client.cookies.clear()
    response = await client.post(
        "/beheer/inloggen?volgende=/beheer/themas",
        data={"username": username, "password": password},
    )
    assert response.status_code == 303
    return response


async def test_switching_on_needs_a_right_first_code_and_gives_ten_recovery_codes(admin, db, phone):
    client, csrf = admin
    page = await client.get("/beheer/account/tweestaps")
    phone.secret = db.scalar("SELECT two_step_pending_secret FROM users WHERE username = 'anna'")
    wrong = await client.post("/beheer/account/tweestaps", data={"csrf": csrf, "code": "000000"})
    assert wrong.status_code == 400 and "Deze code klopt niet" in wrong.text
    assert page.text.count(two_step.grouped(phone.secret)) == 1

    codes = await switch_on(client, db, phone)
    assert len(codes) == len(set(codes)) == 10
    stored = [row["code_hash"] for row in db.execute("SELECT code_hash FROM recovery_codes")]
    assert sorted(stored) == sorted(two_step.recovery_hash(code) for code in codes)
    assert not any(code in str(stored) for code in codes)
    assert db.scalar("SELECT action FROM audit_log ORDER BY id DESC") == "user.two_step_on"
    assert "Staat aan sinds" in (await client.get("/beheer/account")).text


async def test_sign_in_asks_the_code_after_the_password(admin, db, phone):
    client, _ = admin
    await switch_on(client, db, phone)
    response = await sign_in_with_password(client)
    assert response.headers["location"].startswith("/beheer/inloggen/code")
    assert (await client.get("/beheer")).status_code == 303, "the password alone is not enough"
    form = await client.get(response.headers["location"])
    assert "code van 6 cijfers" in form.text

    wrong = await client.post(response.headers["location"], data={"code": "123456"})
    assert wrong.status_code == 400 and "Deze code klopt niet" in wrong.text
    code = phone.code()
    right = await client.post(response.headers["location"], data={"code": code})
    assert right.status_code == 303 and right.headers["location"] == "/beheer/themas"
    assert (await client.get("/beheer")).status_code == 200
    login_line = db.one("SELECT * FROM audit_log WHERE action = 'user.login' ORDER BY id DESC")
    assert login_line["summary"] == "password and app code"

    # The same code never works twice, even within its half minute.
    await sign_in_with_password(client)
    replay = await client.post("/beheer/inloggen/code", data={"code": code})
    assert replay.status_code == 400


async def test_a_recovery_code_works_once(admin, db, phone):
    client, _ = admin
    codes = await switch_on(client, db, phone)
    await sign_in_with_password(client)
    used = await client.post("/beheer/inloggen/code", data={"code": codes[3].upper()})
    assert used.status_code == 303
    assert "nog 9 herstelcodes" in (await client.get("/beheer/themas")).text
    await sign_in_with_password(client)
    again = await client.post("/beheer/inloggen/code", data={"code": codes[3]})
    assert again.status_code == 400
    assert (await client.get("/beheer")).status_code == 303


async def test_wrong_codes_are_throttled_per_account(admin, db, phone, settings):
    client, _ = admin
    await switch_on(client, db, phone)
    await sign_in_with_password(client)
    for _ in range(settings.login_attempts):
        wrong = await client.post("/beheer/inloggen/code", data={"code": "000000"})
        assert wrong.status_code == 400
    refused = await client.post("/beheer/inloggen/code", data={"code": phone.code()})
    assert refused.status_code == 429 and "te vaak" in refused.text
    assert (await client.get("/beheer")).status_code == 303


async def test_the_code_step_expires_after_a_few_minutes(admin, db, phone):
    client, _ = admin
    await switch_on(client, db, phone)
    await sign_in_with_password(client)
    old = (datetime.now(UTC) - timedelta(minutes=11)).isoformat(timespec="seconds")
    db.write(
        lambda c: c.execute("UPDATE login_sessions SET created_at = ? WHERE awaiting_code", (old,))
    )
    late = await client.post("/beheer/inloggen/code", data={"code": phone.code()})
    assert late.status_code == 303 and late.headers["location"].startswith("/beheer/inloggen?")


async def test_the_code_page_without_a_password_first_sends_one_to_sign_in(client):
    response = await client.post("/beheer/inloggen/code", data={"code": "123456"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/beheer/inloggen?")


async def test_switching_off_needs_the_password_and_a_code(admin, db, phone):
    client, _ = admin
    await switch_on(client, db, phone)
    await sign_in_with_password(client)
    await client.post("/beheer/inloggen/code", data={"code": phone.code()})
    csrf = CSRF_RE.search((await client.get("/beheer/account/tweestaps")).text).group(1)
    off = "/beheer/account/tweestaps/uitzetten"

    no_password = await client.post(
        off, data={"csrf": csrf, "password": "fout", "code": phone.code()}
    )
    assert no_password.status_code == 400 and "wachtwoord klopt niet" in no_password.text
    no_code = await client.post(
        off, data={"csrf": csrf, "password": ADMIN_PASSWORD, "code": "000000"}
    )
    assert no_code.status_code == 400
    assert db.scalar("SELECT two_step_secret FROM users WHERE username = 'anna'")

    done = await client.post(
        off, data={"csrf": csrf, "password": ADMIN_PASSWORD, "code": phone.code()}
    )
    assert done.status_code == 303
    assert db.scalar("SELECT two_step_secret FROM users WHERE username = 'anna'") == ""
    assert db.scalar("SELECT count(*) FROM recovery_codes") == 0
    assert db.scalar("SELECT action FROM audit_log ORDER BY id DESC") == "user.two_step_off"
    response = await sign_in_with_password(client)
    assert response.headers["location"] == "/beheer/themas"


async def test_an_editor_can_use_two_step_sign_in_too(client, db, phone):
    await login(client, "piet", "test-wachtwoord-redactie")
    await switch_on(client, db, phone, "piet")
    response = await sign_in_with_password(client, "test-wachtwoord-redactie", "piet")
    assert response.headers["location"].startswith("/beheer/inloggen/code")
    done = await client.post(response.headers["location"], data={"code": phone.code()})
    assert done.status_code == 303
