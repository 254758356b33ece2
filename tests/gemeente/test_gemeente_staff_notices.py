"""The gemeente's work list per staff member: gebiedsmakelaars per kern, "mijn kernen", the
reminder when something waits too long (over simulated days), and the staff's notices of a
kern's answers, new projects and new conversations; mail through a real SMTP server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
import test_gemeente_kern_threads as threads
from gemeente_helpers import GEMEENTE_URL, login
from helpers import add_project
from markup import select
from test_gemeente_kern_threads import gemeente_reactie_id, kern_answer, kern_login, send_reactie
from test_mailer import SmtpServer, smtp_settings

from node.gemeente import reminders
from node.gemeente.wiring import gemeente_templates
from node.mail import mailer, notices

# The gemeente and a real Beesd, linked, as in the threads' tests.
kern_app = threads.kern_app
kern = threads.kern
linked = threads.linked

PAGE = "/beheer/gebiedsmakelaars"
GERDA = "gerda@westbetuwe.example"
MO = "mo@westbetuwe.example"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
async def mo_client(gemeente_app):
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as http:
        yield http


def give_addresses(gemeente_db) -> None:
    def addresses(conn):
        conn.execute("UPDATE users SET email = ? WHERE username = 'gerda'", (GERDA,))
        conn.execute("UPDATE users SET email = ? WHERE username = 'mo'", (MO,))

    gemeente_db.write(addresses)


def ids(gemeente_db) -> tuple[int, int]:
    kern_id = gemeente_db.scalar("SELECT id FROM gemeente_kernen")
    mo_id = gemeente_db.scalar("SELECT id FROM users WHERE username = 'mo'")
    return kern_id, mo_id


async def assign(gemeente, kern_id: int, who: str, days: str = "5") -> httpx.Response:
    page = await gemeente.get(PAGE)
    token = CSRF_RE.search(page.text).group(1)
    return await gemeente.post(PAGE, data={"csrf": token, f"kern-{kern_id}": who, "dagen": days})


def deliver(gemeente_db, gemeente_settings, smtp, now: datetime) -> list:
    settings = smtp_settings(gemeente_settings, smtp.port)
    while mailer.process_next(gemeente_db, settings, now=now):
        pass
    return smtp.messages


def waiting_mails(messages) -> list:
    """The reminders among the mails (the staff also hear of the kern's answers)."""
    return [m for m in messages if m["Subject"].startswith("Wacht al ")]


async def test_a_beheerder_assigns_kernen_and_the_work_list_shows_mine(
    linked, kern_app, gemeente_app, gemeente, gemeente_db, kern, mo_client
):
    kern_id, mo_id = ids(gemeente_db)
    page = await gemeente.get(PAGE)
    assert page.status_code == 200
    assert select(page.text, f'select[name="kern-{kern_id}"] option[value="{mo_id}"]')

    # Checked: a staff member who does not exist, and days that are no number or too many.
    for who, days, message in (
        ("999", "5", "Kies een medewerker uit de lijst."),
        (str(mo_id), "nul", "Vul een aantal dagen in van 1 tot en met 90."),
        (str(mo_id), "91", "Vul een aantal dagen in van 1 tot en met 90."),
    ):
        refused = await assign(gemeente, kern_id, who, days)
        assert refused.status_code == 400 and message in refused.text
    assert gemeente_db.scalar("SELECT staff_user_id FROM gemeente_kernen") is None
    # Without the form's token (as every beheer form): refused, what was chosen is shown again.
    expired = await gemeente.post(
        PAGE, data={"csrf": "verlopen", f"kern-{kern_id}": str(mo_id), "dagen": "4"}
    )
    assert expired.status_code == 400 and "Het formulier is verlopen." in expired.text
    assert select(expired.text, f'option[value="{mo_id}"][selected]')
    assert select(expired.text, 'input[name="dagen"][value="4"]')
    assert gemeente_db.scalar("SELECT staff_user_id FROM gemeente_kernen") is None

    saved = await assign(gemeente, kern_id, str(mo_id), "5")
    assert saved.status_code == 303
    assert gemeente_db.scalar("SELECT staff_user_id FROM gemeente_kernen") == mo_id
    logged = [r["action"] for r in gemeente_db.execute("SELECT action FROM audit_log")]
    assert "kern.gebiedsmakelaar" in logged and "werklijst.herinnering" in logged
    again = await gemeente.get(PAGE)
    assert select(again.text, f'option[value="{mo_id}"][selected]')
    assert select(again.text, 'input[name="dagen"][value="5"]')

    # Something waits for the gemeente on Beesd.
    await send_reactie(gemeente_app, gemeente, linked["project"], "Hoe gaat het?")
    await kern_login(kern)
    await kern_answer(kern_app, kern, gemeente_reactie_id(gemeente_app, linked["project"]), "Goed.")

    everyone = await gemeente.get("/beheer/werklijst")
    assert "1 gesprek wacht op de gemeente." in everyone.text
    assert "Gebiedsmakelaar: Mo Bakker" in everyone.text
    gerdas = await gemeente.get("/beheer/werklijst?medewerker=mij")
    assert "Bij deze keuze wacht nu niets op een antwoord van de gemeente." in gerdas.text
    assert select(gerdas.text, 'select[name="medewerker"] option[value="mij"][selected]')
    nobodys = await gemeente.get("/beheer/werklijst?medewerker=niemand")
    assert "Bij deze keuze wacht nu niets" in nobodys.text
    colleague = await gemeente.get(f"/beheer/werklijst?medewerker={mo_id}")
    assert "1 gesprek wacht op de gemeente." in colleague.text
    unknown = await gemeente.get("/beheer/werklijst?medewerker=%00x")
    assert unknown.status_code == 200 and "1 gesprek wacht op de gemeente." in unknown.text

    # Mo, a medewerker, sees his kernen, and may not assign.
    await login(mo_client, "mo")
    mine = await mo_client.get("/beheer/werklijst?medewerker=mij")
    assert "1 gesprek wacht op de gemeente." in mine.text
    assert (await mo_client.get(PAGE)).status_code == 403
    assert (await mo_client.post(PAGE, data={"dagen": "3"})).status_code == 403


async def test_a_reminder_goes_once_per_threshold_to_the_gebiedsmakelaar_or_to_all(
    linked, kern_app, gemeente_app, gemeente, gemeente_db, gemeente_settings, kern, smtp
):
    give_addresses(gemeente_db)
    kern_id, mo_id = ids(gemeente_db)
    assert (await assign(gemeente, kern_id, str(mo_id), "5")).status_code == 303
    templates = gemeente_templates()
    project, thema = linked["project"], linked["thema"]
    await send_reactie(gemeente_app, gemeente, project, "Wanneer begint het?")
    await kern_login(kern)
    await kern_answer(kern_app, kern, gemeente_reactie_id(gemeente_app, project), "In mei.")
    start = datetime.now(UTC)

    def remind(days: float) -> int:
        moment = start + timedelta(days=days)
        return reminders.run_reminders(gemeente_db, gemeente_settings, templates, now=moment)

    assert remind(4) == 0
    assert remind(5.1) == 1
    assert remind(6) == 0 and remind(30) == 0
    sent = waiting_mails(deliver(gemeente_db, gemeente_settings, smtp, start + timedelta(days=6)))
    assert [m["To"] for m in sent] == [MO]
    text = sent[0].get_content()
    assert "Beesd" in sent[0]["Subject"] and "Veilig oversteken bij de school" in text
    assert f"{GEMEENTE_URL}/beheer/reactie?op={quote(project, safe='')}" in text
    assert "gebiedsmakelaar bent van Beesd" in text

    # Without a gebiedsmakelaar, everyone hears of the next one.
    assert (await assign(gemeente, kern_id, "", "5")).status_code == 303
    await send_reactie(gemeente_app, gemeente, thema, "Wie trekt dit?")
    await kern_answer(kern_app, kern, gemeente_reactie_id(gemeente_app, thema), "Anna.")
    assert remind(5.1) == 2
    later = start + timedelta(days=6)
    everyone = waiting_mails(deliver(gemeente_db, gemeente_settings, smtp, later))[1:]
    assert sorted(m["To"] for m in everyone) == [GERDA, MO]
    assert "nog geen gebiedsmakelaar" in everyone[0].get_content()

    # A lower threshold later is a new threshold: one more reminder for each.
    assert (await assign(gemeente, kern_id, str(mo_id), "3")).status_code == 303
    assert remind(5.2) == 2 and remind(5.3) == 0


async def test_staff_hear_of_answers_projects_and_conversations_as_they_chose(
    linked,
    kern_app,
    gemeente_app,
    gemeente,
    gemeente_db,
    gemeente_settings,
    kern,
    smtp,
    mo_client,
    db,
    settings,
):
    give_addresses(gemeente_db)
    token = await login(mo_client, "mo")
    chosen = await mo_client.post(
        "/beheer/account/meldingen",
        data={
            "csrf": token,
            "antwoorden": "dagelijks",
            "projecten": "dagelijks",
            "gesprekken": "dagelijks",
        },
    )
    assert chosen.status_code == 303
    project = linked["project"]

    # Gerda starts a conversation: Mo's daily mail gets it; Gerda, who wrote it, does not.
    await send_reactie(gemeente_app, gemeente, project, "Kunnen we langskomen?")
    # The kern answers: Gerda (at once, the default) gets a mail with where to answer.
    await kern_login(kern)
    await kern_answer(kern_app, kern, gemeente_reactie_id(gemeente_app, project), "Graag!")
    # A new project arrives from the kern: in the daily mail (the default) of both.
    add_project(db, settings, title="Jeu de boules baan")
    assert (await kern_app.state.federation.deliver()).failed == 0

    now = datetime.now(UTC)
    at_once = deliver(gemeente_db, gemeente_settings, smtp, now)
    assert [m["To"] for m in at_once] == [GERDA]
    assert at_once[0]["Subject"] == "Beesd antwoordde over Veilig oversteken bij de school"
    answer_text = at_once[0].get_content()
    assert "Graag!" in answer_text
    assert f"{GEMEENTE_URL}/beheer/reactie?op={quote(project, safe='')}" in answer_text

    templates = gemeente_templates()
    assert notices.run_digests(gemeente_db, gemeente_settings, templates, now=now) == 2
    sent = deliver(gemeente_db, gemeente_settings, smtp, now + timedelta(minutes=5))[1:]
    daily = {m["To"]: m.get_content() for m in sent}
    assert set(daily) == {GERDA, MO}
    assert "Nieuw project in Beesd: Jeu de boules baan" in daily[GERDA]
    assert "Nieuw gesprek met Beesd" not in daily[GERDA]
    for line in (
        "Nieuw gesprek met Beesd over Veilig oversteken bij de school",
        "Beesd antwoordde over Veilig oversteken bij de school",
        "Nieuw project in Beesd: Jeu de boules baan",
    ):
        assert line in daily[MO]
    assert f"{GEMEENTE_URL}/beheer/account/meldingen" in daily[MO]
    assert notices.run_digests(gemeente_db, gemeente_settings, templates, now=now) == 0


async def test_the_kern_group_hears_of_a_gemeentebericht(
    linked, gemeente_app, gemeente, kern_app, db, settings
):
    db.write(
        lambda conn: conn.execute("UPDATE users SET email = 'anna@beesd.example' WHERE id = 1")
    )
    page = await gemeente.get("/beheer/berichten")
    token = CSRF_RE.search(page.text).group(1)
    sent = await gemeente.post(
        "/beheer/berichten",
        data={"csrf": token, "kern": "alle", "title": "Werk aan de dijk", "text": "In juni."},
    )
    assert sent.status_code == 303
    await gemeente_app.state.federation.deliver()
    mails = db.execute("SELECT * FROM mail_queue WHERE purpose = 'gemeente.bericht'")
    assert [m["to_address"] for m in mails] == ["anna@beesd.example"]
    assert mails[0]["subject"] == "Bericht van de gemeente: Werk aan de dijk"
    assert "In juni." in mails[0]["body"]
    assert f"{settings.url('/beheer/gemeente')}" in mails[0]["body"]
