"""The gemeente's beheer of outgoing mail: the same page as a kern's, for the gemeente's own
queue (staff notices, reminders, daily mails), against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, login

from node.app import create_app
from node.mail import mailer
from node.mail.queue import queue_mail
from tests.markup import text_of
from tests.test_mailer import REFUSED, SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(gemeente_settings, smtp):
    return gemeente_settings.with_changes(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from="noreply@gemeente.test",
        smtp_starttls=False,
    )


@pytest.fixture
async def http(mail_settings, gemeente_db):
    app = create_app(mail_settings, gemeente_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=GEMEENTE_URL
    ) as client:
        yield client


def given_up_mail(db, to_address: str, days_ago: float = 1) -> int:
    """A staff notice the queue gave up on, as it stands after its retry window."""

    def queue(conn) -> int:
        mail_id = queue_mail(conn, "notice.staff", to_address, "Nieuwe reactie", "Tekst")
        moment = mailer.stamp(mailer.utc_now() - timedelta(days=days_ago))
        conn.execute(
            """UPDATE mail_queue SET tries = 9, last_error = ?, given_up_at = ?, next_try_at = ?
               WHERE id = ?""",
            ("550 mailbox unavailable", moment, moment, mail_id),
        )
        return mail_id

    return db.write(queue)


async def test_a_gemeente_beheerder_finds_mail_in_the_menu_and_sees_the_server(http, smtp):
    await login(http)
    start = await http.get("/beheer")
    assert 'href="/beheer/mail"' in start.text
    page = await http.get("/beheer/mail")
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"127.0.0.1:{smtp.port}" in text and "noreply@gemeente.test" in text
    assert "Geen fouten." in text


async def test_a_medewerker_has_no_mail_page(http):
    await login(http, "mo")
    assert 'href="/beheer/mail"' not in (await http.get("/beheer")).text
    assert (await http.get("/beheer/mail")).status_code == 403


async def test_a_test_mail_reaches_the_smtp_server_or_shows_its_refusal(http, smtp, gemeente_db):
    csrf = await login(http)
    response = await http.post("/beheer/mail/test", data={"address": "a@b", "csrf": csrf})
    assert response.status_code == 400
    response = await http.post(
        "/beheer/mail/test", data={"address": "gerda@westbetuwe.test", "csrf": csrf}
    )
    assert response.status_code == 303
    assert [m["To"] for m in smtp.messages] == ["gerda@westbetuwe.test"]
    assert "De testmail is verstuurd" in (await http.get("/beheer/mail")).text

    await http.post("/beheer/mail/test", data={"address": REFUSED, "csrf": csrf})
    page = text_of((await http.get("/beheer/mail")).text)
    assert "De testmail kon niet worden verstuurd" in page
    assert REFUSED in page  # in the list of last failures, with the server's answer
    assert gemeente_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'mail.test'") == 2


async def test_a_given_up_mail_warns_on_the_start_page_and_is_sent_again(
    http, smtp, gemeente_db, mail_settings
):
    csrf = await login(http)
    assert "kon niet worden verstuurd" not in (await http.get("/beheer")).text
    given_up_mail(gemeente_db, "old@westbetuwe.test", days_ago=30)  # old trouble: no warning
    assert "kon niet worden verstuurd" not in (await http.get("/beheer")).text
    mail_id = given_up_mail(gemeente_db, "mo@westbetuwe.test")
    start = text_of((await http.get("/beheer")).text)
    assert "1 mail kon niet worden verstuurd." in start

    page = text_of((await http.get("/beheer/mail")).text)
    assert "550 mailbox unavailable" in page and "Opgegeven op" in page
    response = await http.post(f"/beheer/mail/{mail_id}/opnieuw", data={"csrf": csrf})
    assert response.status_code == 303
    assert "Het bericht staat weer in de wachtrij" in (await http.get("/beheer/mail")).text
    mailer.process_next(gemeente_db, mail_settings, only_id=mail_id)
    assert [m["To"] for m in smtp.messages] == ["mo@westbetuwe.test"]
    assert gemeente_db.one("SELECT sent_at FROM mail_queue WHERE id = ?", (mail_id,))["sent_at"]
    # Retrying a mail that is not given up changes nothing.
    response = await http.post(f"/beheer/mail/{mail_id}/opnieuw", data={"csrf": csrf})
    assert "al verstuurd" in (await http.get("/beheer/mail")).text


async def test_without_smtp_the_start_page_says_mail_is_not_set_up(staff):
    http, _csrf = staff
    start = text_of((await http.get("/beheer")).text)
    assert "Mail is niet ingesteld." in start
