"""The gemeente's staff have the same account page, sessions and two-step sign-in as a kern."""

from __future__ import annotations

import httpx
import pyotp
from gemeente_helpers import CSRF_RE, GEMEENTE_URL, STAFF_PASSWORD, login

from node.web import two_step


async def test_a_medewerker_switches_on_two_step_sign_in_and_uses_it(
    gemeente_app, gemeente_db, monkeypatch
):
    moment = [1_800_000_000.0]
    monkeypatch.setattr(two_step, "clock", lambda: moment[0])
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as mo:
        await login(mo, "mo")
        account = await mo.get("/beheer/account")
        assert account.status_code == 200 and "Waar u bent ingelogd" in account.text
        page = await mo.get("/beheer/account/tweestaps")
        secret = gemeente_db.scalar(
            "SELECT two_step_pending_secret FROM users WHERE username = 'mo'"
        )
        code = pyotp.TOTP(secret).at(int(moment[0]))
        confirmed = await mo.post(
            "/beheer/account/tweestaps",
            data={"csrf": CSRF_RE.search(page.text).group(1), "code": code},
        )
        assert confirmed.status_code == 200 and "herstelcodes" in confirmed.text

        mo.cookies.clear()
        response = await mo.post(
            "/beheer/inloggen", data={"username": "mo", "password": STAFF_PASSWORD}
        )
        assert response.headers["location"].startswith("/beheer/inloggen/code")
        moment[0] += 30
        signed_in = await mo.post(
            response.headers["location"], data={"code": pyotp.TOTP(secret).at(int(moment[0]))}
        )
        assert signed_in.status_code == 303
        assert (await mo.get("/beheer")).status_code == 200


async def test_a_gemeente_beheerder_ends_the_sessions_of_a_medewerker(staff, gemeente_app):
    gerda, csrf = staff
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as mo:
        await login(mo, "mo")
        mo_id = gemeente_app.state.db.scalar("SELECT id FROM users WHERE username = 'mo'")
        ended = await gerda.post(
            f"/beheer/gebruikers/{mo_id}", data={"csrf": csrf, "actie": "sessies"}
        )
        assert ended.status_code == 303
        assert (await mo.get("/beheer")).status_code == 303
