"""Residents follow the kern by e-mail without an account: double opt-in, items and digests
from the recorded events, one-click unsubscribe (RFC 8058), all over a real SMTP server.

Time is moved by passing `now` to the worker's job, never by sleeping.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from node import migrate
from node.app import create_app, open_database
from node.cli import main
from node.kern.news import model as news
from node.kern.privacy import model as privacy
from node.kern.projects import model as projects
from node.kern.subscriptions import model as subscriptions
from node.kern.subscriptions import pages as subscription_pages
from node.kern.subscriptions.sending import run_subscriptions
from node.mail import mailer
from node.settings import load_settings
from node.web.templating import create_environment
from tests.conftest import BASE_URL
from tests.helpers import add_project
from tests.meeting_helpers import add_meeting
from tests.test_mailer import SmtpServer, smtp_settings

CONFIRM_RE = re.compile(r"https?://\S+(/volgen/bevestigen/[0-9]+\.[A-Za-z0-9_-]{43})")
UNSUBSCRIBE_RE = re.compile(r"^<(https?://[^>]+(/afmelden/[0-9]+\.[A-Za-z0-9_-]{43}))>$")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def templates():
    return create_environment()


def send(db, settings, smtp) -> None:
    while mailer.process_next(db, smtp_settings(settings, smtp.port)):
        pass


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def follow_form(email="Marieke@Example.nl", topic="nieuws", frequency="direct", project=""):
    return {
        "volgen-email": email,
        "volgen-topic": topic,
        "volgen-frequency": frequency,
        "volgen-project": project,
    }


def write_news(db, settings, title: str, published_at: str = "") -> str:
    values = {"title": title, "body": f"Over {title}.", "published_at": published_at}
    return db.write(news.save_news, settings, "test", values)


async def confirm_by_mail(client, message) -> None:
    path = CONFIRM_RE.search(body(message)).group(1)
    shown = await client.get(path)
    assert shown.status_code == 200
    assert "Ja, ik wil dit volgen" in shown.text
    done = await client.post(path)
    assert done.status_code == 200
    assert "U volgt nu" in done.text


async def test_subscribe_confirm_receive_and_unsubscribe_with_one_click(
    client, db, settings, smtp, templates
):
    response = await client.post("/volgen", data=follow_form())
    assert response.status_code == 303
    assert response.headers["location"] == "/nieuws#melding"
    send(db, settings, smtp)
    (confirmation,) = smtp.messages
    assert confirmation["To"] == "marieke@example.nl"
    assert "Bevestig" in confirmation["Subject"]
    # Nothing is sent before the address is confirmed, and a GET of the link confirms nothing.
    write_news(db, settings, "Eerder dan de bevestiging")
    await client.get(CONFIRM_RE.search(body(confirmation)).group(1))
    assert run_subscriptions(db, settings, templates) == 0
    assert db.scalar("SELECT confirmed_at FROM subscriptions") is None

    await confirm_by_mail(client, confirmation)
    write_news(db, settings, "Speeltuin gaat open")
    assert run_subscriptions(db, settings, templates) == 1
    send(db, settings, smtp)
    item = smtp.messages[-1]
    assert len(smtp.messages) == 2
    assert "Speeltuin gaat open" in item["Subject"]
    assert "Eerder dan de bevestiging" not in body(item)
    assert f"{BASE_URL}/nieuws/speeltuin-gaat-open" in body(item)
    # RFC 8058: an https address in List-Unsubscribe and the One-Click marker beside it.
    assert item["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url, path = UNSUBSCRIBE_RE.match(item["List-Unsubscribe"].strip()).groups()
    assert url in body(item)

    # The mail program's POST: no cookie, no CSRF token, from another site, no page between.
    transport = httpx.ASGITransport(app=client._transport.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as mail_program:
        gone = await mail_program.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "https://mail.example.org",
            },
        )
    assert gone.status_code == 200
    assert "U bent afgemeld" in gone.text
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0

    write_news(db, settings, "Na het afmelden")
    assert run_subscriptions(db, settings, templates) == 0
    send(db, settings, smtp)
    assert len(smtp.messages) == 2
    # A second click (the resident after the mail program) still says it is done.
    again = await client.post(path)
    assert again.status_code == 200
    assert "U bent afgemeld" in again.text


async def test_every_subscription_mail_carries_the_unsubscribe_headers(client, db, settings, smtp):
    await client.post("/volgen", data=follow_form(topic="bijeenkomsten"))
    send(db, settings, smtp)
    (confirmation,) = smtp.messages
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url, path = UNSUBSCRIBE_RE.match(confirmation["List-Unsubscribe"].strip()).groups()
    # A GET (a link checker, a mail scanner) only asks; it unsubscribes nobody.
    shown = await client.get(path)
    assert shown.status_code == 200
    assert "Ja, meld mij af" in shown.text
    assert db.scalar("SELECT count(*) FROM subscriptions") == 1


async def test_an_unconfirmed_subscription_gets_nothing_and_is_deleted_when_the_link_expires(
    client, db, settings, templates
):
    await client.post("/volgen", data=follow_form())
    write_news(db, settings, "Niet voor onbevestigden")
    assert run_subscriptions(db, settings, templates) == 0
    later = datetime.now(UTC) + timedelta(hours=subscriptions.CONFIRM_HOURS + 1)
    run_subscriptions(db, settings, templates, now=later)
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0
    (mail,) = db.execute("SELECT body FROM mail_queue WHERE purpose = 'subscription.confirm'")
    path = CONFIRM_RE.search(mail["body"]).group(1)
    assert (await client.get(path)).status_code == 404


async def test_the_weekly_digest_gathers_the_items_of_the_week_in_one_mail(
    client, db, settings, smtp, templates
):
    await client.post("/volgen", data=follow_form(frequency="wekelijks"))
    send(db, settings, smtp)
    await confirm_by_mail(client, smtp.messages[0])
    write_news(db, settings, "Eerste bericht")
    write_news(db, settings, "Tweede bericht")
    assert run_subscriptions(db, settings, templates) == 0, "no mail per item"
    in_a_week = datetime.now(UTC) + timedelta(days=7, minutes=1)
    assert run_subscriptions(db, settings, templates, now=in_a_week) == 1
    send(db, settings, smtp)
    digest = smtp.messages[-1]
    assert "overzicht" in digest["Subject"]
    assert "Eerste bericht" in body(digest) and "Tweede bericht" in body(digest)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A week without news sends no empty digest.
    assert run_subscriptions(db, settings, templates, now=in_a_week + timedelta(days=8)) == 0


async def test_a_scheduled_bericht_is_mailed_only_when_it_is_published(
    client, db, settings, templates
):
    db.write(subscriptions.subscribe, settings, "jan@example.org", "nieuws", "direct")
    db.write(subscriptions.confirm, db.scalar("SELECT id FROM subscriptions"))
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    write_news(db, settings, "Morgen pas", news.utc_stamp(tomorrow))
    assert run_subscriptions(db, settings, templates) == 0
    assert run_subscriptions(db, settings, templates, now=tomorrow + timedelta(minutes=1)) == 1
    (mail,) = db.execute("SELECT * FROM mail_queue WHERE purpose = 'subscription.item'")
    assert "Morgen pas" in mail["subject"]


async def test_following_one_project_brings_its_updates_and_nothing_else(
    client, db, settings, templates
):
    project_id, slug = add_project(db, settings)
    other_id, _other = add_project(db, settings, title="Ander project")
    page = await client.get(f"/projecten/{slug}")
    assert 'name="volgen-project" value="' + slug + '"' in page.text
    response = await client.post("/volgen", data=follow_form(topic="project", project=slug))
    assert response.headers["location"] == f"/projecten/{slug}#melding"
    db.write(subscriptions.confirm, db.scalar("SELECT id FROM subscriptions"))
    db.write(projects.add_update, settings, "test", other_id, "Elders", "Niet dit project.")
    db.write(projects.add_update, settings, "test", project_id, "Eerste paal", "De bouw begint.")
    assert run_subscriptions(db, settings, templates) == 1
    (mail,) = db.execute("SELECT * FROM mail_queue WHERE purpose = 'subscription.item'")
    assert "Eerste paal" in mail["subject"]
    assert "De bouw begint." in mail["body"]


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        (follow_form(email="geen-adres"), 400, "Vul een geldig e-mailadres in"),
        (follow_form(email=""), 400, "Vul uw e-mailadres in."),
        (follow_form(frequency="elk uur"), 400, "Kies hoe vaak u mail wilt krijgen."),
        (follow_form(topic="project", project="bestaat-niet"), 404, "bestaat niet"),
    ],
)
async def test_the_form_says_what_is_wrong_and_keeps_what_was_typed(
    client, db, form, status, message
):
    response = await client.post("/volgen", data=form)
    assert response.status_code == status
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0
    assert db.scalar("SELECT count(*) FROM mail_queue") == 0
    assert message in response.text
    if form["volgen-email"] and status == 400:
        assert f'value="{form["volgen-email"]}"' in response.text


async def test_the_follow_form_is_on_the_news_meetings_and_follow_pages(client):
    for path in ("/nieuws", "/bijeenkomsten", "/volgen"):
        page = await client.get(path)
        assert page.status_code == 200
        assert 'action="/volgen"' in page.text, path


async def test_asking_again_tells_nothing_and_confirms_the_new_choice(client, db, settings, smtp):
    await client.post("/volgen", data=follow_form())
    first = await client.post("/volgen", data=follow_form(frequency="wekelijks"))
    assert first.status_code == 303
    assert db.scalar("SELECT count(*) FROM subscriptions") == 1
    send(db, settings, smtp)
    assert len(smtp.messages) == 2
    # The first link no longer works: the newer mail replaced it.
    old = CONFIRM_RE.search(body(smtp.messages[0])).group(1)
    assert (await client.get(old)).status_code == 404
    await confirm_by_mail(client, smtp.messages[1])
    assert db.scalar("SELECT frequency FROM subscriptions") == "wekelijks"


async def test_subscribers_are_found_exported_and_erased_as_personal_data(client, db, settings):
    await client.post("/volgen", data=follow_form())
    found = db.write(privacy.find_person, "marieke@example.nl")
    assert [row["topic"] for row in found.subscriptions] == ["nieuws"]
    exported = privacy.export_person(found, settings)
    assert exported["subscriptions"][0]["email"] == "marieke@example.nl"
    db.write(lambda conn: privacy.delete_person(conn, "MARIEKE@example.nl", settings=settings))
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0
    assert db.scalar("SELECT count(*) FROM mail_queue") == 0


async def test_only_the_group_sees_who_follows(client, db, settings, editor):
    db.write(subscriptions.subscribe, settings, "geheim@example.org", "nieuws", "direct")
    db.write(subscriptions.confirm, db.scalar("SELECT id FROM subscriptions"))
    http, _token = editor
    page = await http.get("/beheer/volgers")
    assert page.status_code == 200
    assert "Nieuws" in page.text
    assert "geheim@example.org" not in page.text, "addresses are for beheerders only"
    await http.post("/beheer/uitloggen", data={"csrf": _token})
    for path in ("/nieuws", "/volgen", "/api/v1/nieuws", "/beheer/volgers"):
        response = await client.get(path)
        assert "geheim@example.org" not in response.text


async def test_a_beheerder_sees_the_addresses(admin, db, settings):
    db.write(subscriptions.subscribe, settings, "geheim@example.org", "bijeenkomsten", "direct")
    http, _token = admin
    page = await http.get("/beheer/volgers")
    assert "geheim@example.org" in page.text
    assert "nog niet" in page.text


async def test_a_beheerder_takes_a_follower_off_the_list(admin, db, settings, smtp):
    db.write(subscriptions.subscribe, settings, "stop@example.org", "nieuws", "direct")
    subscription_id = db.scalar("SELECT id FROM subscriptions")
    db.write(subscriptions.confirm, subscription_id)
    http, token = admin
    path = f"/beheer/volgers/{subscription_id}/verwijderen"
    refused = await http.post(path, data={"csrf": "fout"})
    assert refused.status_code == 303
    assert db.scalar("SELECT count(*) FROM subscriptions") == 1, "no change without the token"
    done = await http.post(path, data={"csrf": token}, follow_redirects=True)
    assert "stop@example.org krijgt hierover geen mail meer." in done.text
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0
    audit = db.one("SELECT action, summary FROM audit_log ORDER BY id DESC LIMIT 1")
    assert (audit["action"], audit["summary"]) == ("volger.verwijderd", "nieuws")
    again = await http.post(path, data={"csrf": token}, follow_redirects=True)
    assert "stond al niet meer op de lijst" in again.text
    write_news(db, settings, "Niemand hoort dit")
    run_subscriptions(db, settings, create_environment())
    send(db, settings, smtp)
    assert [m["To"] for m in smtp.messages] == ["stop@example.org"], "only the confirmation"
    assert (
        await http.post("/beheer/volgers/abc/verwijderen", data={"csrf": token})
    ).status_code == 404


async def test_only_a_beheerder_takes_a_follower_off_the_list(editor, db, settings):
    db.write(subscriptions.subscribe, settings, "blijf@example.org", "nieuws", "direct")
    subscription_id = db.scalar("SELECT id FROM subscriptions")
    http, token = editor
    response = await http.post(
        f"/beheer/volgers/{subscription_id}/verwijderen", data={"csrf": token}
    )
    assert response.status_code == 403
    assert db.scalar("SELECT count(*) FROM subscriptions") == 1


async def test_followers_move_along_and_an_old_unsubscribe_link_works_at_the_new_address(
    tmp_path,
):
    old = tmp_path / "old"
    assert (
        main(["init", "--name", "Beesd", "--url", "https://beesd.example", "--data", str(old)]) == 0
    )
    old_settings = load_settings(old)
    old_db = open_database(old_settings)
    try:
        made = old_db.write(
            subscriptions.subscribe, old_settings, "verhuis@example.org", "nieuws", "direct"
        )
        old_db.write(subscriptions.confirm, made.id)
        row = old_db.one("SELECT * FROM subscriptions WHERE id = ?", (made.id,))
        mailed = subscriptions.unsubscribe_path(
            subscriptions.link_token(old_settings, subscriptions.UNSUBSCRIBE, row)
        )
    finally:
        old_db.close()
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_settings, archive)
    new = tmp_path / "new"
    new_url = "https://beesd.nieuw.example"
    migrate.import_node(archive, new, new_url)

    new_settings = load_settings(new)
    new_db = open_database(new_settings)
    try:
        assert new_db.scalar("SELECT email FROM subscriptions") == "verhuis@example.org"
        transport = httpx.ASGITransport(app=create_app(new_settings, new_db))
        async with httpx.AsyncClient(transport=transport, base_url=new_url) as http:
            response = await http.post(mailed, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert new_db.scalar("SELECT count(*) FROM subscriptions") == 0
    finally:
        new_db.close()


async def test_a_new_meeting_goes_to_those_who_follow_the_meetings_only(
    client, db, settings, smtp, templates
):
    for email, topic in (("agenda@example.org", "bijeenkomsten"), ("nieuws@example.org", "nieuws")):
        made = db.write(subscriptions.subscribe, settings, email, topic, "direct")
        db.write(subscriptions.confirm, made.id)
    _meeting_id, slug = add_meeting(db, settings, title="Dorpsavond")
    assert run_subscriptions(db, settings, templates) == 1
    # Run again, as after a restart: nothing is mailed twice.
    assert run_subscriptions(db, settings, templates) == 0
    send(db, settings, smtp)
    (mail,) = [m for m in smtp.messages if "Bevestig" not in m["Subject"]]
    assert mail["To"] == "agenda@example.org"
    assert "Dorpsavond" in mail["Subject"]
    assert f"/bijeenkomsten/{slug}" in body(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "token",
    ["x", "1.abc", "0." + "A" * 43, "99999999999999999999." + "A" * 43, "1." + "A" * 43, "%00"],
)
async def test_a_link_that_is_wrong_or_made_up_is_a_page_not_an_error(client, db, settings, token):
    db.write(subscriptions.subscribe, settings, "echt@example.org", "nieuws", "direct")
    confirm = await client.get(f"/volgen/bevestigen/{token}")
    assert confirm.status_code == 404
    assert "Deze link werkt niet meer" in confirm.text
    assert (await client.post(f"/volgen/bevestigen/{token}")).status_code == 404
    assert (await client.get(f"/afmelden/{token}")).status_code == 200
    assert (await client.post(f"/afmelden/{token}")).status_code == 200
    assert db.scalar("SELECT count(*) FROM subscriptions WHERE confirmed_at IS NULL") == 1


async def test_the_privacy_statement_says_what_following_keeps_and_for_how_long(client):
    page = await client.get("/over/privacy")
    assert "per e-mail" in page.text
    assert f"binnen {subscriptions.CONFIRM_HOURS} uur" in page.text


async def test_one_address_gets_a_few_confirmation_mails_an_hour_and_the_page_says_the_same(
    client, db
):
    limit = subscription_pages.ADDRESS_LIMIT[0]
    for frequency in ["direct", "wekelijks"] * limit:
        response = await client.post(
            "/volgen", data=follow_form(email="Doelwit@Example.org", frequency=frequency)
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/nieuws#melding"
    assert db.scalar("SELECT count(*) FROM mail_queue") == limit
    other = await client.post("/volgen", data=follow_form(email="ander@example.org"))
    assert other.status_code == 303
    assert db.scalar("SELECT count(*) FROM mail_queue") == limit + 1


def test_the_host_shows_exports_and_erases_a_follower_with_bloei_privacy(db, settings, capsys):
    made = db.write(
        subscriptions.subscribe, settings, "host@example.org", "bijeenkomsten", "direct"
    )
    db.write(subscriptions.confirm, made.id)
    data = ["--data", str(settings.data_dir)]
    assert main(["privacy", "show", "host@example.org", *data]) == 0
    assert "volgt per e-mail: bijeenkomsten (direct)" in capsys.readouterr().out
    assert main(["privacy", "export", "host@example.org", *data]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["subscriptions"][0]["follows"] == "bijeenkomsten"
    assert main(["privacy", "erase", "host@example.org", *data]) == 0
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0
