"""Beheer of mail: set up or not, the queue, retrying, a test mail; beheerders only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from node.app import create_app
from node.mail import mailer
from node.mail.queue import queue_mail
from tests.conftest import BASE_URL, EDITOR_PASSWORD, login
from tests.test_mailer import REFUSED, SmtpServer, smtp_settings

PASSWORD = "heel-geheim-smtp-wachtwoord"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
async def mail_admin(settings, db, smtp) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A beheerder signed in on a node whose mail goes to the test SMTP server."""
    # The test server has no AUTH: a password without a user name is kept, never used.
    configured = smtp_settings(settings, smtp.port).with_changes(smtp_password=PASSWORD)
    app = create_app(configured, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL
    ) as client:
        yield client, await login(client)


async def test_without_smtp_the_node_works_and_beheer_says_mail_is_not_set_up(admin, client, db):
    http, csrf = admin
    assert (await client.get("/")).status_code == 200
    page = await http.get("/beheer/mail")
    assert page.status_code == 200
    assert "Mail is niet ingesteld." in page.text
    # A test mail is refused with the reason, and nothing is queued
    response = await http.post(
        "/beheer/mail/test", data={"address": "anna@example.nl", "csrf": csrf}
    )
    assert response.status_code == 400
    assert "Mail is nog niet ingesteld" in response.text
    assert db.scalar("SELECT count(*) FROM mail_queue") == 0


async def test_the_mail_page_shows_the_server_but_never_the_password(mail_admin, smtp):
    http, _csrf = mail_admin
    page = await http.get("/beheer/mail")
    assert page.status_code == 200
    assert f"127.0.0.1:{smtp.port}" in page.text and "noreply@beesd.test" in page.text
    assert "niet ingesteld" not in page.text
    assert PASSWORD not in page.text


async def test_a_test_mail_is_sent_at_once_to_a_valid_address(mail_admin, smtp, db):
    http, csrf = mail_admin
    for address in ("", "geen-adres", "a@b"):
        response = await http.post("/beheer/mail/test", data={"address": address, "csrf": csrf})
        assert response.status_code == 400, address
    assert smtp.messages == []
    response = await http.post(
        "/beheer/mail/test", data={"address": "anna@example.nl", "csrf": csrf}
    )
    assert response.status_code == 303
    assert [m["To"] for m in smtp.messages] == ["anna@example.nl"]
    assert "Testmail van Beesd" in smtp.messages[0]["Subject"]
    page = await http.get("/beheer/mail")
    assert "De testmail is verstuurd" in page.text
    audit = db.one("SELECT * FROM audit_log WHERE action = 'mail.test'")
    assert audit["username"] == "anna" and "anna@example.nl" not in tuple(audit)


async def test_a_test_mail_needs_the_csrf_token(mail_admin, smtp, db):
    http, _csrf = mail_admin
    response = await http.post("/beheer/mail/test", data={"address": "anna@example.nl"})
    assert response.status_code == 400
    assert smtp.messages == [] and db.scalar("SELECT count(*) FROM mail_queue") == 0


async def test_a_failed_test_mail_shows_the_servers_answer(mail_admin, smtp):
    http, csrf = mail_admin
    await http.post("/beheer/mail/test", data={"address": REFUSED, "csrf": csrf})
    page = await http.get("/beheer/mail")
    assert "De testmail kon niet worden verstuurd: 550" in page.text
    assert "Opnieuw proberen" in page.text


async def test_a_given_up_mail_can_be_retried(mail_admin, smtp, db, settings):
    http, csrf = mail_admin
    mail_id = db.write(
        lambda conn: queue_mail(conn, "rsvp.confirm", "piet@example.nl", "Bevestiging", "Hoi")
    )
    db.write(
        lambda conn: conn.execute(
            """UPDATE mail_queue SET given_up_at = next_try_at, tries = 9,
               last_error = '421 even niet' WHERE id = ?""",
            (mail_id,),
        )
    )
    page = await http.get("/beheer/mail")
    assert "421 even niet" in page.text and f"/beheer/mail/{mail_id}/opnieuw" in page.text
    # Without the token nothing changes
    await http.post(f"/beheer/mail/{mail_id}/opnieuw", data={})
    assert db.one("SELECT given_up_at FROM mail_queue WHERE id = ?", (mail_id,))[0]
    response = await http.post(f"/beheer/mail/{mail_id}/opnieuw", data={"csrf": csrf})
    assert response.status_code == 303
    retried = db.one("SELECT * FROM mail_queue WHERE id = ?", (mail_id,))
    assert retried["given_up_at"] is None and retried["retry_since"]
    # The worker then sends it, with a fresh retry window
    assert mailer.process_next(db, smtp_settings(settings, smtp.port)) == 1
    assert [m["To"] for m in smtp.messages] == ["piet@example.nl"]
    assert db.one("SELECT action FROM audit_log WHERE action = 'mail.retry'")
    assert (await http.post("/beheer/mail/9999/opnieuw", data={"csrf": csrf})).status_code == 404


async def test_mail_beheer_is_for_beheerders_only(client):
    await login(client, "piet", EDITOR_PASSWORD)
    assert (await client.get("/beheer/mail")).status_code == 403
    assert (await client.post("/beheer/mail/test", data={"address": "x@y.nl"})).status_code == 403
