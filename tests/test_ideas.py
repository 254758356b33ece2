"""Residents send ideas without an account; only what the group publishes becomes public."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time

import httpx

from node.kern.ideas import model as ideas
from node.kern.ideas.pages import IDEAS_PER_PAGE, form_stamp, stamp_problem
from tests.conftest import BASE_URL
from tests.idea_helpers import (
    IDEA,
    SENDER_EMAIL,
    SENDER_NAME,
    add_idea,
    add_published_idea,
    events_of,
    idea_form,
    token_of,
)
from tests.markup import field_error, field_value, link_targets, select, texts

SCRIPT = "<script>alert(1)</script>"


def count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


# --- Sending an idea --------------------------------------------------------------------


async def test_a_sent_idea_is_stored_as_new_and_nowhere_public(client, db, settings):
    form = await client.get("/ideeen/nieuw")
    assert form.status_code == 200 and select(form.text, 'form input[name="started"]')

    response = await client.post("/ideeen/nieuw", data=idea_form(settings))

    assert response.status_code == 303
    token = token_of(response)
    row = db.one("SELECT * FROM ideas")
    assert row["status"] == "nieuw"
    assert (row["name"], row["contact"]) == (SENDER_NAME, SENDER_EMAIL)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(dict(row)), "only the hash of the token is stored"
    # Not public anywhere: list, own address, search, events.
    assert IDEA["title"] not in (await client.get("/ideeen")).text
    assert (await client.get(f"/ideeen/{row['slug']}")).status_code == 404
    found = link_targets((await client.get("/zoeken?q=bankje speeltuin")).text)
    assert not [href for href in found if href.startswith("/ideeen/")]
    assert count(db, "search_index") == 0
    assert events_of(db, "Idee") == []


async def test_publishing_makes_an_idea_public_searchable_and_recorded(admin, db, app, settings):
    client, csrf = admin
    idea_id, _token = add_idea(db, app, settings)

    response = await client.post(f"/beheer/ideeen/{idea_id}/publiceren", data={"csrf": csrf})

    assert response.status_code == 303
    slug = db.scalar("SELECT slug FROM ideas WHERE id = ?", (idea_id,))
    assert slug == "een-bankje-bij-de-speeltuin"
    assert IDEA["title"] in (await client.get("/ideeen")).text
    page = await client.get(f"/ideeen/{slug}")
    assert page.status_code == 200 and "Misschien twee bankjes?" in page.text
    results = (await client.get("/zoeken?q=bankjes")).text
    assert f"/ideeen/{slug}" in link_targets(results)
    [event] = events_of(db, "Idee")
    assert event["verb"] == "Create" and event["object_id"] == f"{BASE_URL}/ideeen/{slug}"


async def test_the_sender_follows_the_idea_through_the_personal_link(client, db, app, settings):
    response = await client.post("/ideeen/nieuw", data=idea_form(settings))
    status_url, _, spot = response.headers["location"].partition("#")
    assert spot == "idee-melding", "the redirect points at the confirmation"

    page = await client.get(status_url)
    assert page.status_code == 200
    assert "We hebben uw idee ontvangen" in page.text
    assert page.headers["cache-control"].startswith("no-store")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert f"{BASE_URL}{status_url}" in page.text, "the page shows its own address to keep"

    idea_id = db.scalar("SELECT id FROM ideas")
    slug = db.write(ideas.publish_idea, settings, "test", idea_id)
    db.write(ideas.answer_idea, settings, "test", idea_id, "Goed plan, we **gaan** kijken.")
    page = await client.get(status_url)
    assert "Uw idee staat op de site" in page.text and f"/ideeen/{slug}" in link_targets(page.text)
    assert "gaan" in texts(page.text, "main strong")


async def test_unknown_or_malformed_tokens_are_404(client, db, app, settings):
    add_idea(db, app, settings)
    for token in ("x" * 43, "kort", "a" * 200, "%3Cscript%3E"):
        assert (await client.get(f"/ideeen/status/{token}")).status_code == 404, token


async def test_the_time_check_refuses_fast_and_stale_forms_and_keeps_the_fields(
    client, db, settings
):
    cases = [
        (idea_form(settings, seconds_ago=1), "U verstuurde het formulier erg snel"),
        (idea_form(settings, seconds_ago=2 * 24 * 3600), "Het formulier stond te lang open"),
        (idea_form(settings, started="12345.vervalst"), "Het formulier stond te lang open"),
        ({k: v for k, v in idea_form(settings).items() if k != "started"}, "te lang open"),
    ]
    for data, message in cases:
        response = await client.post("/ideeen/nieuw", data=data)
        assert response.status_code == 400, message
        assert message in response.text
        assert "Misschien twee bankjes?" in response.text and SENDER_EMAIL in response.text
        # A fresh stamp: whoever sends the form again a little later gets through.
        stamp = re.search(r'name="started" type="hidden" value="([^"]+)"', response.text)
        stamp = stamp or re.search(r'type="hidden" name="started" value="([^"]+)"', response.text)
        assert stamp_problem(settings.secret_key, stamp.group(1), at=time.time() + 5) is None
    assert count(db, "ideas") == 0 and count(db, "mail_queue") == 0


def test_a_stamp_signed_with_another_key_is_refused(settings):
    stamp = form_stamp("een-andere-sleutel", at=time.time() - 60)
    assert stamp_problem(settings.secret_key, stamp) is not None
    assert (
        stamp_problem(settings.secret_key, form_stamp(settings.secret_key, time.time() - 60))
        is None
    )


async def test_bots_filling_the_hidden_field_store_nothing(client, db, settings):
    response = await client.post("/ideeen/nieuw", data=idea_form(settings, website="http://spam"))
    assert response.status_code == 303 and response.headers["location"] == "/ideeen#melding"
    assert count(db, "ideas") == 0 and count(db, "mail_queue") == 0


async def test_too_many_ideas_from_one_address_are_refused(client, db, settings):
    for number in range(10):
        response = await client.post(
            "/ideeen/nieuw", data=idea_form(settings, title=f"Idee {number}")
        )
        assert response.status_code == 303
    response = await client.post("/ideeen/nieuw", data=idea_form(settings, title="Nog een"))
    assert response.status_code == 429
    assert "te veel ideeën van uw adres" in response.text
    assert "Nog een" in response.text, "what was typed is kept"
    assert count(db, "ideas") == 10


async def test_form_errors_get_a_dutch_message_per_field_and_keep_the_rest(client, db, settings):
    cases = [
        ({"title": ""}, "title", "Vul een titel in."),
        ({"body": "   "}, "body", "Vul uw idee in."),
        ({"title": "x" * 121}, "title", "Gebruik hoogstens 120 tekens."),
        ({"body": "y" * 5001}, "body", "Gebruik hoogstens 5000 tekens."),
        ({"name": "n" * 101}, "name", "Gebruik hoogstens 100 tekens."),
        ({"contact": "jan@@example"}, "contact", "Vul een geldig e-mailadres in"),
        ({"contact": "jan@example"}, "contact", "Vul een geldig e-mailadres in"),
        ({"contact": "a,jan@example.nl"}, "contact", "Vul een geldig e-mailadres in"),
        ({"contact": "jan@example.nl; piet@x.nl"}, "contact", "Vul een geldig e-mailadres in"),
        ({"contact": "bel me"}, "contact", "Vul een geldig e-mailadres of telefoonnummer in"),
    ]
    for change, field_id, message in cases:
        response = await client.post("/ideeen/nieuw", data=idea_form(settings, **change))
        assert response.status_code == 400, change
        assert message in field_error(response.text, field_id), change
        assert "Controleer wat u heeft ingevuld" in response.text
        assert f"#{field_id}" in link_targets(response.text), "the summary links to the field"
        assert select(response.text, f"#{field_id}"), "the summary's link leads to the field"
        if field_id != "name":
            assert field_value(response.text, "name") == SENDER_NAME, "the name typed is kept"
    assert count(db, "ideas") == 0


async def test_name_and_contact_are_optional_and_a_phone_number_is_fine(client, db, settings):
    assert (
        await client.post("/ideeen/nieuw", data=idea_form(settings, name="", contact=""))
    ).status_code == 303
    assert (
        await client.post("/ideeen/nieuw", data=idea_form(settings, contact="+31 6 1234 5678"))
    ).status_code == 303
    assert count(db, "ideas") == 2


async def test_script_in_an_idea_is_escaped_on_every_page(client, db, app, settings):
    response = await client.post("/ideeen/nieuw", data=idea_form(settings, title="", body=SCRIPT))
    assert SCRIPT not in response.text and "&lt;script&gt;" in response.text
    _id, token, slug = add_published_idea(db, app, settings, title=f"Titel {SCRIPT}", body=SCRIPT)
    for path in ("/ideeen", f"/ideeen/{slug}", f"/ideeen/status/{token}"):
        page = (await client.get(path)).text
        assert SCRIPT not in page, path
        assert "&lt;script&gt;" in page, path


async def test_a_title_on_one_line_keeps_newlines_out_of_the_mail_subject(client, db, settings):
    await client.post("/ideeen/nieuw", data=idea_form(settings, title="Bankje\r\nBcc: x@y.nl"))
    assert db.scalar("SELECT title FROM ideas") == "Bankje Bcc: x@y.nl"


# --- The notice to the group ------------------------------------------------------------


def set_contact_email(db, address: str) -> None:
    db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('contact_email', ?)",
            (f'"{address}"',),
        )
    )


async def test_the_group_gets_a_notice_without_the_senders_details(client, db, settings):
    set_contact_email(db, "groep@beesd.example")

    def emails(conn):
        conn.execute("UPDATE users SET email = 'anna@beesd.example' WHERE username = 'anna'")
        conn.execute("UPDATE users SET email = 'piet@beesd.example' WHERE username = 'piet'")

    db.write(emails)
    await client.post("/ideeen/nieuw", data=idea_form(settings, contact=SENDER_EMAIL))

    # The group's notices; the sender's own confirmation is tests/test_idea_sender_mails.py's.
    mails = db.execute("SELECT * FROM mail_queue WHERE purpose = 'idea.new' ORDER BY to_address")
    assert [m["to_address"] for m in mails] == ["anna@beesd.example", "groep@beesd.example"]
    for mail in mails:
        assert mail["purpose"] == "idea.new"
        assert IDEA["title"] in mail["subject"]
        idea_id = db.scalar("SELECT id FROM ideas")
        assert f"{BASE_URL}/beheer/ideeen/{idea_id}" in mail["body"]
        for secret in (SENDER_EMAIL, SENDER_NAME):
            assert secret not in mail["subject"] and secret not in mail["body"]


async def test_no_notice_to_a_disabled_beheerder_or_twice_to_one_address(client, db, settings):
    set_contact_email(db, "Anna@Beesd.example")

    def emails(conn):
        conn.execute("UPDATE users SET email = 'anna@beesd.example' WHERE username = 'anna'")
        auth_row = "INSERT INTO users (username, display_name, email, role, password_hash, disabled, created_at) VALUES ('oud', 'Oud', 'oud@beesd.example', 'beheerder', 'x', 1, '2026-01-01')"
        conn.execute(auth_row)

    db.write(emails)
    await client.post("/ideeen/nieuw", data=idea_form(settings))
    notices = db.execute("SELECT to_address FROM mail_queue WHERE purpose = 'idea.new'")
    assert [m["to_address"] for m in notices] == ["Anna@Beesd.example"]


# --- Answer, support, project -----------------------------------------------------------


async def test_the_answer_is_shown_with_the_idea_and_in_the_list(client, db, app, settings):
    idea_id, _token, slug = add_published_idea(db, app, settings)
    db.write(ideas.answer_idea, settings, "test", idea_id, f"We bespreken het in maart. {SCRIPT}")
    page = (await client.get(f"/ideeen/{slug}")).text
    assert "We bespreken het in maart." in page and SCRIPT not in page
    assert "We bespreken het in maart." in (await client.get("/ideeen")).text
    assert [e["verb"] for e in events_of(db, "Idee")] == ["Create", "Update"]


async def test_support_counts_one_person_once(client, db, app, settings):
    _id, _token, slug = add_published_idea(db, app, settings)
    first = await client.post(f"/ideeen/{slug}/steun")
    await client.post(f"/ideeen/{slug}/steun")
    assert first.status_code == 303 and first.headers["location"] == f"/ideeen/{slug}#steun-melding"
    assert count(db, "idea_supports") == 1
    page = (await client.get(f"/ideeen/{slug}")).text
    assert "1 inwoner steunt dit idee." in page


async def test_an_unpublished_idea_cannot_be_supported(client, db, app, settings):
    add_idea(db, app, settings)
    slug = db.scalar("SELECT slug FROM ideas")
    assert (await client.post(f"/ideeen/{slug}/steun")).status_code == 404
    assert count(db, "idea_supports") == 0


async def test_many_residents_supporting_at_once_are_all_counted(app, db, settings):
    _id, _token, slug = add_published_idea(db, app, settings)

    async def one_resident(number: int) -> int:
        # Each from home: at most a few supports per address count (node/kern/supporting.py).
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{number + 1}", 5000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as resident:
            response = await resident.post(f"/ideeen/{slug}/steun")
            await resident.post(f"/ideeen/{slug}/steun")  # a double click
            return response.status_code

    statuses = await asyncio.gather(*(one_resident(n) for n in range(40)))
    assert set(statuses) == {303}
    assert count(db, "idea_supports") == 40


async def test_support_from_threads_at_once_loses_nothing(db, app, settings):
    from concurrent.futures import ThreadPoolExecutor

    idea_id, _token, _slug = add_published_idea(db, app, settings)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda n: db.write(ideas.add_support, idea_id, f"p{n % 50}"), range(200))
        )
    assert results.count(True) == 50 and count(db, "idea_supports") == 50


async def test_making_a_project_keeps_the_link_both_ways(admin, db, app, settings):
    client, csrf = admin
    idea_id, token, slug = add_published_idea(db, app, settings)

    response = await client.post(f"/beheer/ideeen/{idea_id}/project", data={"csrf": csrf})

    assert response.status_code == 303
    project = db.one("SELECT * FROM projects")
    assert project["title"] == IDEA["title"] and project["phase"] == "idee"
    assert project["trekker_name"] == "", "the sender is not made trekker"
    assert db.scalar("SELECT project_id FROM ideas WHERE id = ?", (idea_id,)) == project["id"]
    assert ideas.idea_for_project(db, project["id"])["slug"] == slug
    page = (await client.get(f"/ideeen/{slug}")).text
    project_path = f"/projecten/{project['slug']}"
    assert "Dit idee is nu een project." in page and project_path in link_targets(page)
    status = (await client.get(f"/ideeen/status/{token}")).text
    assert project_path in link_targets(status)
    snapshot = events_of(db, "Idee")[-1]["snapshot"]
    assert f"{BASE_URL}/projecten/{project['slug']}" in snapshot
    # Twice is refused, and nothing new is made.
    again = await client.post(f"/beheer/ideeen/{idea_id}/project", data={"csrf": csrf})
    assert again.status_code == 400 and "al een project gemaakt" in again.text
    assert count(db, "projects") == 1


async def test_the_list_shows_ideas_a_page_at_a_time(client, db, app, settings):
    for number in range(IDEAS_PER_PAGE + 6):
        add_published_idea(db, app, settings, title=f"Idee nummer {number:02d}")
    add_idea(db, app, settings, title="Idee nog niet gepubliceerd")
    newest = [f"{n:02d}" for n in range(IDEAS_PER_PAGE + 5, -1, -1)]

    first = (await client.get("/ideeen")).text
    assert re.findall(r"Idee nummer (\d\d)</a>", first) == newest[:IDEAS_PER_PAGE]
    assert f"{IDEAS_PER_PAGE + 6} ideeën op de site." in first
    assert "Pagina 1 van 2" in first and 'rel="prev"' not in first
    assert link_targets(first, 'a[rel="next"]') == ["/ideeen?pagina=2#ideeen-titel"]
    [nav] = select(first, 'nav[aria-label="Pagina’s met ideeën"]')
    assert "Volgende pagina" in nav.get_text()

    second = (await client.get("/ideeen?pagina=2")).text
    assert re.findall(r"Idee nummer (\d\d)</a>", second) == newest[IDEAS_PER_PAGE:]
    assert "<title>Ideeën, pagina 2" in second and 'rel="next"' not in second
    assert link_targets(second, 'a[rel="prev"]') == ["/ideeen#ideeen-titel"]
    assert "nog niet gepubliceerd" not in first + second

    for wrong in ("3", "0", "abc", "-1", "1" * 30):
        response = await client.get(f"/ideeen?pagina={wrong}")
        assert response.status_code == 400 and "Dit paginanummer bestaat niet" in response.text
        assert "Idee nummer" not in response.text


async def test_one_page_of_ideas_has_no_page_links(client, db, app, settings):
    add_published_idea(db, app, settings)
    page = (await client.get("/ideeen")).text
    assert IDEA["title"] in page and "1 idee op de site." in page
    assert "Pagina 1 van" not in page
    assert not select(page, 'nav[aria-label="Pagina’s met ideeën"]')
