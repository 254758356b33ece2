"""The personal link kept and mailed, and what the pages promise about mail.

A node without mail set-up never says a mail was sent; with mail set up (a real SMTP server
on 127.0.0.1, aiosmtpd) the personal link and the idea sender's news arrive by mail.
"""

from __future__ import annotations

import re

import httpx
import pytest

from node.app import create_app
from node.kern.ideas import model as ideas
from node.mail import mailer
from tests.conftest import BASE_URL
from tests.idea_helpers import SENDER_EMAIL, idea_form, token_of
from tests.markup import select
from tests.meeting_helpers import add_meeting
from tests.test_mailer import SmtpServer, smtp_settings

RESIDENT = {"name": "Marieke de Wit", "email": "", "phone": "", "people": "1", "website": ""}
PERSONAL = re.compile(r"^(/aanmelding/[A-Za-z0-9_-]{43})#aanmelding-melding$")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings, smtp):
    return smtp_settings(settings, smtp.port)


@pytest.fixture
async def mail_client(mail_settings, db):
    """A node whose mail is set up, pointing at the test's SMTP server."""
    app = create_app(mail_settings, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


def deliver(db, settings) -> None:
    for _ in range(50):
        if not mailer.process_next(db, settings):
            break


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


async def sign_up(http, slug: str, **changes) -> str:
    response = await http.post(f"/bijeenkomsten/{slug}/aanmelden", data={**RESIDENT, **changes})
    assert response.status_code == 303
    match = PERSONAL.match(response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


# --- Without mail set up ----------------------------------------------------------------------


async def test_without_mail_the_page_never_says_a_mail_was_sent(client, db, settings):
    _, slug = add_meeting(db, settings, capacity=10)
    personal = await sign_up(client, slug, email="marieke@example.org")
    page = (await client.get(personal)).text
    assert "U bent aangemeld. Welkom!" in page
    assert "We hebben u een e-mail gestuurd" not in page
    assert "De link staat ook in de e-mail" not in page
    assert "Deze site kan nu geen e-mail versturen" in page
    # Nor is a link offered by mail that could not leave.
    assert 'name="actie" value="mailen"' not in page


async def test_the_personal_link_is_shown_to_keep_and_copy_without_javascript(client, db, settings):
    _, slug = add_meeting(db, settings, capacity=10)
    personal = await sign_up(client, slug)
    response = await client.get(personal)
    [feedback] = select(response.text, "#aanmelding-melding")
    assert feedback["role"] == "status" and feedback["tabindex"] == "-1"
    assert "Bewaar deze link" in response.text
    [field] = select(response.text, "input#persoonlijke-link")
    assert field["value"] == f"{BASE_URL}{personal}"
    assert field.has_attr("readonly")
    # The button is the script's to show; without it the field is there to select.
    [button] = select(response.text, "button[data-copy=persoonlijke-link]")
    assert button.has_attr("hidden")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    script = await client.get("/static/kopieer.js")
    assert script.status_code == 200 and "clipboard" in script.text
    # Other pages still run no script at all.
    assert "script-src 'none'" in (await client.get("/")).headers["content-security-policy"]


async def test_without_mail_the_forms_promise_no_mail(client, db, settings):
    _, slug = add_meeting(db, settings, capacity=10)
    meeting = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "krijgt u een bevestiging" not in meeting
    assert "U krijgt een e-mail om uw aanmelding te bevestigen" not in meeting
    assert "Deze site kan op dit moment geen e-mail versturen." in meeting
    assert "Bewaar die" in meeting
    idea = (await client.get("/ideeen/nieuw")).text
    assert "Dan krijgt u die link ook per e-mail" not in idea


async def test_with_mail_the_forms_say_what_the_mail_brings(mail_client, db, settings):
    _, slug = add_meeting(db, settings, capacity=10)
    meeting = (await mail_client.get(f"/bijeenkomsten/{slug}")).text
    assert "Met een e-mailadres krijgt u een bevestiging" in meeting
    assert "geen e-mail versturen" not in meeting
    idea = (await mail_client.get("/ideeen/nieuw")).text
    assert "Dan krijgt u die link ook per e-mail" in idea


async def test_the_waiting_list_is_explained_plainly(client, db, settings):
    _, slug = add_meeting(db, settings, capacity=1)
    await sign_up(client, slug)
    personal = await sign_up(client, slug)
    page = (await client.get(personal)).text
    assert "Wat betekent de wachtlijst?" in page
    assert "U heeft nog geen plaats." in page
    assert "u hoeft niets te doen" in page
    assert "Zonder dat bericht bent u nog niet aangemeld" not in page


async def test_beheer_is_told_when_mail_is_not_set_up(admin):
    client, _csrf = admin
    page = (await client.get("/beheer")).text
    [warning] = select(page, 'li[data-kind="mail_not_set_up"]')
    assert "/beheer/mail" in str(warning)


# --- With mail set up -------------------------------------------------------------------------


async def test_a_resident_without_an_address_gets_the_link_mailed(
    mail_client, db, settings, mail_settings, smtp
):
    _, slug = add_meeting(db, settings, capacity=10)
    personal = await sign_up(mail_client, slug)
    page = (await mail_client.get(personal)).text
    assert 'name="actie" value="mailen"' in page

    # A wrong address is refused in Dutch, and nothing is queued
    wrong = await mail_client.post(personal, data={"actie": "mailen", "email": "marieke@"})
    assert wrong.status_code == 400
    assert "Vul een geldig e-mailadres in" in wrong.text
    assert db.scalar("SELECT count(*) FROM mail_queue") == 0

    sent = await mail_client.post(
        personal, data={"actie": "mailen", "email": "marieke@example.org"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{personal}#bewaar-melding"
    after = (await mail_client.get(sent.headers["location"])).text
    [feedback] = select(after, "#bewaar-melding")
    assert "marieke@example.org" in feedback.get_text() and feedback["role"] == "status"
    # The form is gone: the address is known now.
    assert 'name="actie" value="mailen"' not in after

    deliver(db, mail_settings)
    [message] = smtp.messages
    assert message["To"] == "marieke@example.org"
    assert str(message["Subject"]).strip().startswith("Uw persoonlijke link: ")
    assert f"{BASE_URL}{personal}" in body_of(message)

    # Asking again changes nothing and sends nothing
    again = await mail_client.post(personal, data={"actie": "mailen", "email": "ander@example.org"})
    assert again.status_code == 400
    assert db.scalar("SELECT count(*) FROM mail_queue") == 1
    assert db.scalar("SELECT email FROM rsvps") == "marieke@example.org"


async def test_asking_for_the_link_by_mail_is_rate_limited(mail_client, db, settings):
    from node.kern.meetings.pages import LINK_MAIL_LIMIT

    _, slug = add_meeting(db, settings, capacity=50)
    links = [await sign_up(mail_client, slug) for _ in range(LINK_MAIL_LIMIT[0] + 1)]
    for personal in links[:-1]:
        response = await mail_client.post(
            personal, data={"actie": "mailen", "email": "marieke@example.org"}
        )
        assert response.status_code == 303
    refused = await mail_client.post(
        links[-1], data={"actie": "mailen", "email": "marieke@example.org"}
    )
    assert refused.status_code == 429
    assert "te vaak geprobeerd" in refused.text
    assert db.scalar("SELECT count(*) FROM mail_queue") == LINK_MAIL_LIMIT[0]


async def test_with_mail_set_up_the_sign_up_says_a_mail_was_sent(
    mail_client, db, settings, mail_settings, smtp
):
    _, slug = add_meeting(db, settings, capacity=10)
    personal = await sign_up(mail_client, slug, email="marieke@example.org")
    page = (await mail_client.get(personal)).text
    assert "We hebben u een e-mail gestuurd." in page
    deliver(db, mail_settings)
    assert [m["To"] for m in smtp.messages] == ["marieke@example.org"]


async def test_an_idea_sender_hears_of_each_step_by_mail(
    mail_client, db, settings, mail_settings, smtp
):
    # When a resident sends an idea with their e-mail address
    response = await mail_client.post("/ideeen/nieuw", data=idea_form(settings))
    token = token_of(response)
    status_url = f"{BASE_URL}/ideeen/status/{token}"
    page = (await mail_client.get(f"/ideeen/status/{token}")).text
    assert "We sturen u ook een e-mail als er iets verandert aan uw idee." in page
    idea_id = db.scalar("SELECT id FROM ideas")

    # And the group publishes it, answers it and makes it a project
    db.write(ideas.publish_idea, mail_settings, "anna", idea_id)
    db.write(ideas.answer_idea, mail_settings, "anna", idea_id, "We bespreken het in maart.")
    db.write(ideas.answer_idea, mail_settings, "anna", idea_id, "We bespreken het in maart.")
    project_slug = db.write(ideas.make_project, mail_settings, "anna", idea_id)
    deliver(db, mail_settings)

    # Then the sender got four mails, each saying what happened, in that order
    to_sender = [m for m in smtp.messages if m["To"] == SENDER_EMAIL]
    subjects = [str(m["Subject"]).strip().split(":")[0] for m in to_sender]
    assert subjects == [
        "Uw idee is ontvangen",
        "Uw idee staat op de site",
        "Antwoord op uw idee",
        "Uw idee is een project geworden",
    ]
    received, published, answered, project = (body_of(m) for m in to_sender)
    assert status_url in received
    slug = db.scalar("SELECT slug FROM ideas")
    assert f"{BASE_URL}/ideeen/{slug}" in published
    assert "We bespreken het in maart." in answered
    assert f"{BASE_URL}/projecten/{project_slug}" in project
    # The status link lives only in the first mail: the token is not stored.
    assert all(status_url not in body for body in (published, answered, project))


async def test_a_sender_with_a_phone_number_or_nothing_gets_no_mail(
    mail_client, db, settings, mail_settings, smtp
):
    await mail_client.post("/ideeen/nieuw", data=idea_form(settings, contact="06 12345678"))
    await mail_client.post("/ideeen/nieuw", data=idea_form(settings, contact=""))
    for idea_id in db.execute("SELECT id FROM ideas"):
        db.write(ideas.publish_idea, mail_settings, "anna", idea_id[0])
    assert db.scalar("SELECT count(*) FROM ideas WHERE status = 'gepubliceerd'") == 2
    assert db.scalar("SELECT count(*) FROM mail_queue WHERE purpose LIKE 'idea.sender%'") == 0


async def test_a_declined_idea_tells_its_sender_where_to_read_why(
    mail_client, db, settings, mail_settings, smtp
):
    await mail_client.post("/ideeen/nieuw", data=idea_form(settings))
    idea_id = db.scalar("SELECT id FROM ideas")
    db.write(ideas.decline_idea, mail_settings, "anna", idea_id, "Dit is geen zaak voor ons.")
    deliver(db, mail_settings)
    last = [m for m in smtp.messages if m["To"] == SENDER_EMAIL][-1]
    assert str(last["Subject"]).strip().startswith("Over uw idee")
    # The reason is for the sender's own page, not for a mail that may be forwarded.
    assert "Dit is geen zaak voor ons." not in body_of(last)
