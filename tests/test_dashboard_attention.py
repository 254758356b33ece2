"""The beheer dashboard says what waits for the kern: each item a count with a link to the
page where it is done, and "Er wacht niets op u" when nothing does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from node.app import create_app
from node.kern.agenda import model as agenda
from tests.conftest import BASE_URL, login
from tests.helpers import add_project, add_thema
from tests.idea_helpers import add_idea, add_published_idea
from tests.markup import link_targets, select, select_one, text_of
from tests.meeting_helpers import add_meeting, sign_up

VOLUNTEER = {"name": "Jan Bos", "contact": "jan@example.org", "message": "", "consent": "y"}


@pytest.fixture
async def beheer(settings, db):
    """A beheerder signed in on a kern whose mail is set up, so only real work shows."""
    mailing = settings.with_changes(smtp_host="127.0.0.1", smtp_from="noreply@beesd.test")
    app = create_app(mailing, db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        await login(http)
        yield http


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


async def items(http: httpx.AsyncClient) -> dict[str, list[tuple[str, str, str]]]:
    """Per kind: (count, link, text) of each item in the dashboard's list."""
    page = (await http.get("/beheer")).text
    section = select_one(page, "section.bloei-attention")
    found: dict[str, list[tuple[str, str, str]]] = {}
    for li in select(section, "li.bloei-attention__item"):
        link = select_one(li, "a")
        found.setdefault(str(li["data-kind"]), []).append(
            (text_of(li, ".bloei-attention__count"), str(link["href"]), text_of(link))
        )
    return found


async def test_nothing_waiting_says_so(beheer):
    page = (await beheer.get("/beheer")).text
    section = select_one(page, "section.bloei-attention")
    assert "Er wacht niets op u." in text_of(section)
    assert select(section, "li") == []


async def test_mail_not_set_up_is_an_item(admin):
    client, _ = admin
    assert (await items(client))["mail_not_set_up"] == [
        ("1", "/beheer/mail", "Naar de mail-instellingen")
    ]
    page = (await client.get("/beheer")).text
    assert text_of(page, 'li[data-kind="mail_not_set_up"]').startswith("1 Mail is niet ingesteld.")


async def test_mail_given_up_recently_is_counted(beheer, db):
    for given_up in (ago(1), ago(2), ago(40)):
        db.write(
            lambda c, g=given_up: c.execute(
                """INSERT INTO mail_queue (purpose, to_address, subject, body, created_at,
                       next_try_at, tries, last_error, given_up_at)
                   VALUES ('rsvp.confirm', 'a@example.nl', 'x', 'y', ?, ?, 5, 'weg', ?)""",
                (g, g, g),
            )
        )
    assert (await items(beheer))["mail_failed"] == [
        ("2", "/beheer/mail", "mails konden niet worden bezorgd")
    ]


async def test_new_ideas_wait_for_review(beheer, db, app, settings):
    add_idea(db, app, settings)
    add_idea(db, app, settings, title="Een boom op het plein")
    add_published_idea(db, app, settings, title="Al beoordeeld")
    assert (await items(beheer))["ideas_new"] == [
        ("2", "/beheer/ideeen", "nieuwe ideeën wachten op beoordeling")
    ]


async def test_new_volunteers_per_project(beheer, db, settings):
    project_id, slug = add_project(db, settings)
    for name in ("Jan Bos", "Els Dekker"):
        response = await beheer.post(
            f"/projecten/{slug}/vrijwilliger", data={**VOLUNTEER, "name": name}
        )
        assert response.status_code == 303
    old_id, old_slug = add_project(db, settings, title="Oud project")
    await beheer.post(f"/projecten/{old_slug}/vrijwilliger", data=VOLUNTEER)
    db.write(
        lambda c: c.execute(
            "UPDATE volunteers SET created_at = ? WHERE project_id = ?", (ago(30), old_id)
        )
    )
    assert (await items(beheer))["volunteers_new"] == [
        (
            "2",
            f"/beheer/projecten/{project_id}/vrijwilligers",
            "nieuwe vrijwilligers voor Veilig oversteken bij de school",
        )
    ]


async def test_people_on_a_waiting_list_for_a_coming_meeting(beheer, db, settings):
    meeting_id, _ = add_meeting(db, settings, title="Dorpsavond", capacity=2)
    sign_up(db, settings, meeting_id, people=2)
    sign_up(db, settings, meeting_id, people=1, name="Els Dekker")
    sign_up(db, settings, meeting_id, people=2, name="Kees Smit")
    past_id, _ = add_meeting(db, settings, days=-3, title="Voorbij", capacity=1)
    db.write(
        lambda c: c.execute(
            """INSERT INTO rsvps (meeting_id, name, people, status, token_hash, created_at,
                   updated_at) VALUES (?, 'X', 1, 'wachtlijst', 'h', ?, ?)""",
            (past_id, ago(5), ago(5)),
        )
    )
    found = await items(beheer)
    assert found["waiting_list"] == [
        (
            "3",
            f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen",
            "personen op de wachtlijst voor Dorpsavond",
        )
    ]


async def test_a_past_meeting_without_verslag(beheer, db, settings):
    past_id, _ = add_meeting(db, settings, days=-3, title="Dorpsavond maart")
    done_id, _ = add_meeting(db, settings, days=-10, title="Met verslag")
    db.write(
        lambda c: c.execute(
            "UPDATE meetings SET minutes = 'Besproken.', minutes_published_at = ? WHERE id = ?",
            (ago(9), done_id),
        )
    )
    add_meeting(db, settings, days=5, title="Nog niet geweest")
    assert (await items(beheer))["minutes_missing"] == [
        (
            "1",
            f"/beheer/bijeenkomsten/{past_id}/verslag",
            "bijeenkomst zonder verslag: Dorpsavond maart",
        )
    ]
    page = (await beheer.get(f"/beheer/bijeenkomsten/{past_id}/verslag")).status_code
    assert page == 200


async def test_projects_without_news_for_three_months(beheer, db, settings):
    stale_id, _ = add_project(db, settings, title="Stil project")
    fresh_id, _ = add_project(db, settings, title="Vers project")
    done_id, _ = add_project(db, settings, title="Klaar project")
    db.write(
        lambda c: c.execute(
            "UPDATE projects SET updated_at = ? WHERE id IN (?, ?, ?)",
            (ago(120), stale_id, fresh_id, done_id),
        )
    )
    db.write(lambda c: c.execute("UPDATE phase_changes SET changed_at = ?", (ago(120),)))
    db.write(
        lambda c: c.execute(
            """INSERT INTO project_updates (project_id, title, body, published_on, created_at,
                   created_by) VALUES (?, 'Nieuws', 'Tekst', '2026-01-01', ?, 'test')""",
            (fresh_id, ago(10)),
        )
    )
    db.write(lambda c: c.execute("UPDATE projects SET phase = 'afgerond' WHERE id = ?", (done_id,)))
    found = await items(beheer)
    assert found["project_stale"] == [
        (
            "1",
            f"/beheer/projecten/{stale_id}",
            "project al drie maanden niet bijgewerkt: Stil project",
        )
    ]


async def test_a_kernagenda_older_than_half_a_year(beheer, db, settings):
    add_thema(db, settings)
    db.write(agenda.publish_version, settings, "test", "Najaar", "")
    assert "agenda_old" not in await items(beheer)
    db.write(lambda c: c.execute("UPDATE agenda_versions SET published_at = ?", (ago(200),)))
    found = await items(beheer)
    assert found["agenda_old"] == [
        (
            "1",
            "/beheer/versies/nieuw",
            "kernagenda ouder dan een half jaar: publiceer een nieuwe versie",
        )
    ]
    assert "/beheer/versies/nieuw" in link_targets((await beheer.get("/beheer")).text)


async def test_an_editor_sees_mail_not_set_up_without_a_link_to_beheerder_pages(editor):
    client, _ = editor
    page = (await client.get("/beheer")).text
    item = select_one(page, 'li[data-kind="mail_not_set_up"]')
    assert select(item, "a") == []
    assert text_of(item).startswith("1 Mail is niet ingesteld.")


async def test_titles_in_items_are_escaped_once(beheer, db, settings):
    add_meeting(db, settings, days=-2, title="Avond <b>& meer</b>")
    page = (await beheer.get("/beheer")).text
    item = select_one(page, 'li[data-kind="minutes_missing"]')
    assert text_of(item, "a") == "bijeenkomst zonder verslag: Avond <b>& meer</b>"
    assert select(item, "b") == []
