"""Notices by mail on a kern: each beheerder chooses per subject between a mail at once, one
mail a day or none; the mails reach a real SMTP server on 127.0.0.1 (aiosmtpd), each with the
address where the thing is handled, and the daily mail is sent once a day over simulated days."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from helpers import add_project
from markup import select
from meeting_helpers import add_meeting, sign_up
from test_mailer import SmtpServer, smtp_settings

from node.app import open_database
from node.kern.ideas import model as ideas
from node.kern.projects import model as projects
from node.mail import mailer, notices
from node.web.templating import create_environment
from tests.conftest import BASE_URL, EDITOR_PASSWORD, login

PAGE = "/beheer/account/meldingen"
ANNA = "anna@beesd.example"
CONTACT = "groep@beesd.example"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def give_addresses(db) -> None:
    def addresses(conn):
        conn.execute("UPDATE users SET email = ? WHERE username = 'anna'", (ANNA,))
        conn.execute(
            "INSERT INTO site (key, value) VALUES ('contact_email', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f'"{CONTACT}"',),
        )

    db.write(addresses)


async def choose(client, token: str, **modes: str):
    data = {
        "csrf": token,
        "reacties": "direct",
        "berichten": "direct",
        "ideeen": "direct",
        "vrijwilligers": "direct",
        "aanmeldingen": "direct",
        **modes,
    }
    return await client.post(PAGE, data=data)


def deliver(db, settings, smtp, now: datetime) -> list:
    """Send what the queue holds to the real SMTP server, as the worker's mail job does."""
    while mailer.process_next(db, smtp_settings(settings, smtp.port), now=now):
        pass
    return smtp.messages


def to_anna(messages) -> list:
    return [m for m in messages if m["To"] == ANNA]


async def test_the_page_shows_the_choices_and_keeps_a_new_one(admin, db):
    client, token = admin
    account = await client.get("/beheer/account")
    assert select(account.text, f'a[href="{PAGE}"]')
    page = await client.get(PAGE)
    assert page.status_code == 200
    # The defaults: at once, except sign-ups, which come in the daily mail.
    assert select(page.text, 'input[name="ideeen"][value="direct"][checked]')
    assert select(page.text, 'input[name="aanmeldingen"][value="dagelijks"][checked]')

    saved = await choose(client, token, ideeen="geen", vrijwilligers="dagelijks")
    assert saved.status_code == 303 and saved.headers["location"] == PAGE + "#melding"
    page = await client.get(PAGE)
    assert select(page.text, 'input[name="ideeen"][value="geen"][checked]')
    assert select(page.text, 'input[name="vrijwilligers"][value="dagelijks"][checked]')
    logged = db.one("SELECT * FROM audit_log WHERE action = 'user.notices'")
    assert logged["username"] == "anna" and "ideeen=geen" in logged["summary"]


async def test_an_unknown_choice_is_refused_in_dutch_and_nothing_is_kept(admin, db):
    client, token = admin
    refused = await choose(client, token, ideeen="elk-uur")
    assert refused.status_code == 400
    assert "Kies een van de drie mogelijkheden." in refused.text
    assert db.scalar("SELECT count(*) FROM notification_preferences") == 0
    expired = await client.post(PAGE, data={"csrf": "fout", "ideeen": "geen"})
    assert expired.status_code == 400
    assert db.scalar("SELECT count(*) FROM notification_preferences") == 0


async def test_a_redacteur_gets_no_notices_and_cannot_choose(client, db):
    token = await login(client, "piet", EDITOR_PASSWORD)
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "Alleen beheerders krijgen meldingen per mail." in page.text
    assert not select(page.text, 'input[type="radio"]')
    refused = await choose(client, token)
    assert refused.status_code == 403
    assert db.scalar("SELECT count(*) FROM notification_preferences") == 0


async def test_a_new_idea_mails_at_once_with_the_link_where_it_is_handled(
    admin, db, settings, smtp
):
    give_addresses(db)
    idea_id, _token = db.write(
        ideas.submit_idea,
        settings,
        "Een bankje bij de kerk",
        "Om even te zitten.",
        "Jan",
        "jan@x.nl",
    )
    messages = deliver(db, settings, smtp, datetime.now(UTC))

    # Jan hears that his idea arrived (mail_effects.py); the group hears of the idea.
    assert sorted(m["To"] for m in messages) == sorted([ANNA, CONTACT, "jan@x.nl"])
    text = to_anna(messages)[0].get_content()
    assert f"{BASE_URL}/beheer/ideeen/{idea_id}" in text
    # The sender's details stay in beheer.
    assert "jan@x.nl" not in text


async def test_none_means_no_mail_but_the_group_address_still_hears(admin, db, settings, smtp):
    client, token = admin
    give_addresses(db)
    await choose(client, token, ideeen="geen")
    db.write(ideas.submit_idea, settings, "Meer groen", "Bomen op het plein.")
    messages = deliver(db, settings, smtp, datetime.now(UTC))
    assert [m["To"] for m in messages] == [CONTACT]
    assert db.scalar("SELECT count(*) FROM notification_digest_items") == 0


async def test_the_daily_mail_comes_once_a_day_over_simulated_days(admin, db, settings, smtp):
    client, token = admin
    give_addresses(db)
    await choose(client, token, vrijwilligers="dagelijks", aanmeldingen="dagelijks")
    project_id, _slug = add_project(db, settings)
    meeting_id, _meeting = add_meeting(db, settings, title="Dorpsavond")
    db.write(projects.add_volunteer, project_id, "Kees", "kees@x.nl", "Ik help graag.")
    sign_up(db, settings, meeting_id, name="Jan Bos")
    templates = create_environment()
    day_one = datetime(2030, 3, 4, 7, 0, tzinfo=UTC)

    # Nothing at once for anna: both wait for the daily mail.
    assert to_anna(deliver(db, settings, smtp, day_one)) == []
    assert notices.run_digests(db, settings, templates, now=day_one) == 1
    assert notices.run_digests(db, settings, templates, now=day_one + timedelta(hours=3)) == 0
    daily = to_anna(deliver(db, settings, smtp, day_one))
    assert len(daily) == 1
    text = daily[0].get_content()
    assert "Nieuwe vrijwilligers voor een project" in text
    assert f"{BASE_URL}/beheer/projecten/{project_id}/vrijwilligers" in text
    assert f"{BASE_URL}/beheer/bijeenkomsten/{meeting_id}/aanmeldingen" in text
    assert f"{BASE_URL}{PAGE}" in text
    assert "Kees" not in text and "Jan Bos" not in text

    # Later that day a second volunteer: it waits for tomorrow, also across a restart.
    db.write(projects.add_volunteer, project_id, "Els", "els@x.nl", "")
    later = day_one + timedelta(hours=10)
    assert notices.run_digests(db, settings, templates, now=later) == 0
    restarted = open_database(settings)
    try:
        assert notices.run_digests(restarted, settings, templates, now=later) == 0
        day_two = day_one + timedelta(days=1)
        assert notices.run_digests(restarted, settings, templates, now=day_two) == 1
        assert notices.run_digests(restarted, settings, templates, now=day_two) == 0
    finally:
        restarted.close()
    second = to_anna(deliver(db, settings, smtp, day_one + timedelta(days=1)))[1:]
    assert len(second) == 1
    assert re.search(r"1 nieuwe melding", second[0]["Subject"])
    assert "Nieuwe vrijwilliger voor Veilig oversteken bij de school" in second[0].get_content()

    # A day without news: no mail at all.
    assert notices.run_digests(db, settings, templates, now=day_one + timedelta(days=2)) == 0


async def test_a_sign_up_without_an_address_is_told_too(admin, db, settings, smtp):
    client, token = admin
    give_addresses(db)
    await choose(client, token, aanmeldingen="direct")
    meeting_id, _slug = add_meeting(db, settings, title="Kernavond")
    sign_up(db, settings, meeting_id, name="Zonder Mail")
    told = to_anna(deliver(db, settings, smtp, datetime.now(UTC)))
    assert len(told) == 1 and "Kernavond" in told[0]["Subject"]
    assert f"{BASE_URL}/beheer/bijeenkomsten/{meeting_id}/aanmeldingen" in told[0].get_content()
