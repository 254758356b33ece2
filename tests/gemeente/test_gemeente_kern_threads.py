"""Reacties both ways between the gemeente and a real kern: both apps in process, talking
through ASGI, so what crosses the wire is the documents each really publishes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, Router, login
from helpers import add_project, add_thema
from markup import link_targets, links_with_text, select

from node.app import create_app

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def kern_app(settings, db):
    """Beesd (tests/conftest.py) in development mode, with this gemeente as its gemeente."""
    kern_settings = settings.with_changes(
        dev=True, gemeente_actor=GEMEENTE_URL + "/actor", background_jobs=False
    )
    return create_app(kern_settings, db)


@pytest.fixture
async def kern(kern_app):
    transport = httpx.ASGITransport(app=kern_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://beesd.test") as http:
        yield http


@pytest.fixture
async def linked(kern_app, gemeente_app, gemeente, settings, db):
    """The gemeente follows Beesd, which has a thema and a project on it, both delivered."""
    both = Router(
        {
            "beesd.test": httpx.ASGITransport(app=kern_app),
            "gemeente.test": httpx.ASGITransport(app=gemeente_app),
        }
    )
    kern_app.state.federation.use_transport(both)
    gemeente_app.state.federation.use_transport(both)
    token = await login(gemeente)
    added = await gemeente.post(
        "/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test"}
    )
    assert added.status_code == 303, added.text
    await gemeente_app.state.federation.deliver()  # the Follow
    await kern_app.state.federation.deliver()  # the Accept
    thema_slug = add_thema(db, settings, title="Verkeer en vervoer")
    _id, project_slug = add_project(db, settings, thema_slugs=[thema_slug])
    report = await kern_app.state.federation.deliver()
    assert report.failed == 0 and report.done >= 2
    return {
        "thema": settings.url(f"/agenda/themas/{thema_slug}"),
        "project": settings.url(f"/projecten/{project_slug}"),
        "thema_path": f"/agenda/themas/{thema_slug}",
        "project_path": f"/projecten/{project_slug}",
    }


async def send_reactie(
    gemeente_app, gemeente, object_id: str, text: str, close: bool = False
) -> None:
    """Gemeente staff react on a kern's project or thema, and the reactie is delivered."""
    page = await gemeente.get(f"/beheer/reactie?op={object_id}")
    assert page.status_code == 200, page.text
    data = {"csrf": CSRF_RE.search(page.text).group(1), "text": text}
    if close:
        data["afronden"] = "ja"
    sent = await gemeente.post(f"/beheer/reactie?op={object_id}", data=data)
    assert sent.status_code == 303, sent.text
    report = await gemeente_app.state.federation.deliver()
    assert report.done == 1 and report.failed == 0, report


async def test_a_reactie_on_a_thema_reaches_the_kern_and_shows_on_both_sides(
    linked, gemeente_app, gemeente, kern, db
):
    await send_reactie(gemeente_app, gemeente, linked["thema"], "We plannen een schouw in mei.")

    kept = db.one("SELECT document FROM received_objects WHERE type = 'Reactie'")
    assert kept is not None and f'"inReplyTo": "{linked["thema"]}"' in kept["document"]
    thema_page = await kern.get(linked["thema_path"])
    assert thema_page.status_code == 200
    assert "Reactie van de gemeente" in thema_page.text
    assert "We plannen een schouw in mei." in thema_page.text
    trail = await gemeente.get(f"/beheer/reactie?op={linked['thema']}")
    assert "We plannen een schouw in mei." in trail.text and "bezorgd" in trail.text


KERN_PASSWORD = "test-wachtwoord-beheer"  # anna, beheerder of Beesd (tests/conftest.py)


async def kern_login(kern: httpx.AsyncClient) -> None:
    signed_in = await kern.post(
        "/beheer/inloggen", data={"username": "anna", "password": KERN_PASSWORD}
    )
    assert signed_in.status_code == 303, signed_in.text


async def kern_answer(kern_app, kern, reactie_id: str, text: str, close: bool = False):
    """A kern beheerder answers a reactie through its beheer form; the answer is delivered."""
    form = await kern.get(f"/beheer/gemeente/antwoord?op={reactie_id}")
    assert form.status_code == 200, form.text
    data = {"csrf": CSRF_RE.search(form.text).group(1), "text": text}
    if close:
        data["afronden"] = "ja"
    sent = await kern.post(f"/beheer/gemeente/antwoord?op={reactie_id}", data=data)
    assert sent.status_code == 303, sent.text
    return await kern_app.state.federation.deliver()


def gemeente_reactie_id(gemeente_app, about: str) -> str:
    return gemeente_app.state.db.scalar(
        "SELECT object_id FROM gemeente_reacties WHERE in_reply_to = ? ORDER BY id DESC",
        (about,),
    )


async def test_a_kern_answers_a_reactie_and_the_gemeente_sees_it_in_the_thread(
    linked, kern_app, gemeente_app, gemeente, kern, settings, db
):
    project = linked["project"]
    await send_reactie(gemeente_app, gemeente, project, "Wat is de beste plek voor het zebrapad?")
    reactie_id = gemeente_reactie_id(gemeente_app, project)
    await kern_login(kern)

    listed = await kern.get("/beheer/gemeente")
    assert listed.status_code == 200
    assert "Veilig oversteken bij de school" in listed.text
    assert "Wat is de beste plek voor het zebrapad?" in listed.text
    assert "Wacht op de kern" in listed.text

    report = await kern_answer(kern_app, kern, reactie_id, "Bij de ingang van de school.")
    assert report.done == 1 and report.failed == 0, report

    # On the wire: a Note/Reactie answering the gemeente's reactie, addressed to the gemeente.
    sent = db.one(
        "SELECT document FROM federation_outbox WHERE type = 'Create' ORDER BY position DESC"
    )
    activity = json.loads(sent["document"])
    answer = activity["object"]
    assert answer["type"] == ["Note", "Reactie"]
    assert answer["inReplyTo"] == reactie_id
    assert answer["to"] == [GEMEENTE_URL + "/actor"] and activity["to"] == answer["to"]
    assert answer["attributedTo"] == settings.url("/actor")
    assert "afgerond" not in answer

    # Its id serves it to a server, and sends a person to the page where it is shown.
    path = answer["id"].removeprefix("http://beesd.test")
    served = await kern.get(path, headers={"Accept": "application/activity+json"})
    assert served.status_code == 200 and served.json()["inReplyTo"] == reactie_id
    person = await kern.get(path)
    assert person.status_code == 303
    assert person.headers["location"] == f"{project}#reacties-gemeente"

    # The kern shows it under the reactie; the gemeente stored it and shows the thread.
    page = await kern.get(linked["project_path"])
    assert "Wat is de beste plek voor het zebrapad?" in page.text
    assert "Bij de ingang van de school." in page.text
    kept = gemeente_app.state.db.one("SELECT * FROM gemeente_kern_answers")
    assert kept["object_id"] == answer["id"] and kept["reactie_id"] == reactie_id
    assert kept["about"] == project and kept["content"] == "Bij de ingang van de school."
    thread = await gemeente.get(f"/beheer/reactie?op={project}")
    assert "Bij de ingang van de school." in thread.text
    assert "Wacht op de gemeente" in thread.text

    # The gemeente answers again and closes it: afgerond on both sides.
    await send_reactie(gemeente_app, gemeente, project, "Dan leggen we het daar aan.", close=True)
    thread = await gemeente.get(f"/beheer/reactie?op={project}")
    assert "Afgerond" in thread.text
    listed = await kern.get("/beheer/gemeente")
    assert "Dan leggen we het daar aan." in listed.text and "Afgerond" in listed.text


async def test_the_kern_closes_a_thread(linked, kern_app, gemeente_app, gemeente, kern):
    thema = linked["thema"]
    await send_reactie(gemeente_app, gemeente, thema, "Zullen we de snelheid meten?")
    await kern_login(kern)

    report = await kern_answer(
        kern_app, kern, gemeente_reactie_id(gemeente_app, thema), "Is al gebeurd, dank.", True
    )

    assert report.done == 1, report
    assert gemeente_app.state.db.scalar("SELECT closes FROM gemeente_kern_answers") == 1
    thread = await gemeente.get(f"/beheer/reactie?op={thema}")
    assert "Is al gebeurd, dank." in thread.text and "Afgerond" in thread.text
    kern_id = gemeente_app.state.db.scalar("SELECT id FROM gemeente_kernen")
    kern_page = await gemeente.get(f"/kernen/{kern_id}")
    assert "(gesprek: afgerond)" in kern_page.text
    thema_page = await kern.get(linked["thema_path"])
    assert "Is al gebeurd, dank." in thema_page.text


async def test_an_empty_answer_is_refused_in_dutch_and_nothing_is_sent(
    linked, kern_app, gemeente_app, gemeente, kern, db
):
    await send_reactie(gemeente_app, gemeente, linked["project"], "Hoe staat het ervoor?")
    reactie_id = gemeente_reactie_id(gemeente_app, linked["project"])
    await kern_login(kern)
    form = await kern.get(f"/beheer/gemeente/antwoord?op={reactie_id}")
    token = CSRF_RE.search(form.text).group(1)
    before = db.scalar("SELECT count(*) FROM federation_outbox")

    empty = await kern.post(
        f"/beheer/gemeente/antwoord?op={reactie_id}", data={"csrf": token, "text": "  "}
    )
    unknown = await kern.post(
        "/beheer/gemeente/antwoord?op=http://gemeente.test/reacties/bestaat-niet",
        data={"csrf": token, "text": "Hallo"},
    )

    assert empty.status_code == 400 and "Schrijf een antwoord." in empty.text
    assert unknown.status_code == 404
    assert db.scalar("SELECT count(*) FROM gemeente_answers") == 0
    assert db.scalar("SELECT count(*) FROM federation_outbox") == before


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days, hours=1)).isoformat(timespec="microseconds")


def age(conn, about: str, days: int) -> None:
    """Move a conversation back in time: the reactie a day before the kern's answer."""
    conn.execute(
        "UPDATE gemeente_reacties SET published = ? WHERE in_reply_to = ?",
        (days_ago(days + 1), about),
    )
    conn.execute(
        "UPDATE gemeente_kern_answers SET received_at = ? WHERE about = ?",
        (days_ago(days), about),
    )


async def test_the_work_list_shows_what_waits_for_the_gemeente_per_kern_oldest_first(
    linked, kern_app, gemeente_app, gemeente, kern
):
    project, thema = linked["project"], linked["thema"]
    await send_reactie(gemeente_app, gemeente, project, "Wanneer kunt u beginnen?")
    await send_reactie(gemeente_app, gemeente, thema, "Wie is de trekker?")
    empty = await gemeente.get("/beheer/werklijst")
    assert "Er wacht nu niets op een antwoord van de gemeente." in empty.text

    await kern_login(kern)
    for about, text in ((thema, "Dat is Anna."), (project, "In het voorjaar.")):
        report = await kern_answer(kern_app, kern, gemeente_reactie_id(gemeente_app, about), text)
        assert report.done == 1, report
    # As if the thema's answer came in three days ago, the project's one day ago (each a day
    # after the reactie it answers).
    for about, days in ((thema, 3), (project, 1)):
        gemeente_app.state.db.write_quiet(age, about, days)

    start = await gemeente.get("/beheer")
    assert "2 gesprekken met kernen wachten op een antwoord van de gemeente." in start.text
    listed = await gemeente.get("/beheer/werklijst")
    assert listed.status_code == 200
    assert "2 gesprekken wachten op de gemeente." in listed.text
    assert "Beesd" in listed.text
    oldest, newer = listed.text.index("Verkeer en vervoer"), listed.text.index("Veilig oversteken")
    assert oldest < newer
    assert "3 dagen" in listed.text and "1 dag<" in listed.text
    links = links_with_text(listed.text, "Antwoorden")
    assert len(links) == 2 and all(link.startswith("/beheer/reactie?op=") for link in links)
    for link in links:
        form = await gemeente.get(link)
        assert form.status_code == 200 and select(form.text, 'form textarea[name="text"]')

    # Once the gemeente answers, or closes, it leaves the list.
    await send_reactie(gemeente_app, gemeente, project, "Fijn, we plannen het in.")
    await send_reactie(gemeente_app, gemeente, thema, "Dank u, dan is dit rond.", close=True)
    listed = await gemeente.get("/beheer/werklijst")
    assert "Er wacht nu niets op een antwoord van de gemeente." in listed.text
    assert "Naar de werklijst" not in (await gemeente.get("/beheer")).text


async def test_the_kern_dashboard_shows_new_reacties_of_the_gemeente(
    linked, kern_app, gemeente_app, gemeente, kern
):
    await kern_login(kern)
    before = await kern.get("/beheer")
    assert "Nieuwe reacties van de gemeente" not in before.text

    await send_reactie(gemeente_app, gemeente, linked["project"], "Wat heeft u nodig?")
    after = await kern.get("/beheer")
    assert "Nieuwe reacties van de gemeente" in after.text
    assert "Veilig oversteken bij de school" in after.text
    assert "/beheer/gemeente" in link_targets(after.text)
    waiting = select(after.text, '.bloei-attention li[data-kind="gemeente_waiting"]')
    assert [(w.select_one(".bloei-attention__count").get_text(), w.a["href"]) for w in waiting] == [
        ("1", "/beheer/gemeente")
    ]

    reactie_id = gemeente_reactie_id(gemeente_app, linked["project"])
    await kern_answer(kern_app, kern, reactie_id, "Een besluit over het budget.")
    answered = await kern.get("/beheer")
    assert "Nieuwe reacties van de gemeente" not in answered.text
    assert select(answered.text, '.bloei-attention li[data-kind="gemeente_waiting"]') == []


async def test_an_answer_whose_push_was_lost_arrives_with_the_pull(
    linked, kern_app, gemeente_app, gemeente, kern, db
):
    await send_reactie(gemeente_app, gemeente, linked["project"], "Kunt u het budget sturen?")
    reactie_id = gemeente_reactie_id(gemeente_app, linked["project"])
    await kern_login(kern)
    form = await kern.get(f"/beheer/gemeente/antwoord?op={reactie_id}")
    token = CSRF_RE.search(form.text).group(1)
    await kern.post(
        f"/beheer/gemeente/antwoord?op={reactie_id}",
        data={"csrf": token, "text": "Het staat in de bijlage."},
    )
    db.write_quiet(lambda conn: conn.execute("DELETE FROM federation_deliveries"))

    kern_id = gemeente_app.state.db.scalar("SELECT id FROM gemeente_kernen")
    pulled = await gemeente_app.state.federation.pull_now(kern_id)

    assert pulled.ok and pulled.refused == 0 and pulled.applied >= 1
    kept = gemeente_app.state.db.one("SELECT reactie_id, content FROM gemeente_kern_answers")
    assert tuple(kept) == (reactie_id, "Het staat in de bijlage.")


async def test_the_group_gets_a_mail_when_the_gemeente_reacts(
    linked, kern_app, gemeente_app, gemeente, db, settings
):
    db.write(
        lambda conn: conn.execute(
            "UPDATE users SET email = 'anna@beesd.example' WHERE username = 'anna'"
        )
    )

    await send_reactie(gemeente_app, gemeente, linked["project"], "Wij *bellen* u deze week.")

    mails = db.execute("SELECT * FROM mail_queue WHERE purpose = 'gemeente.reactie'")
    assert [m["to_address"] for m in mails] == ["anna@beesd.example"]
    mail = mails[0]
    assert mail["subject"] == "Reactie van de gemeente op Veilig oversteken bij de school"
    assert "Wij bellen u deze week." in mail["body"] and "<" not in mail["body"]
    reactie_id = gemeente_reactie_id(gemeente_app, linked["project"])
    assert settings.url(f"/beheer/gemeente/antwoord?op={reactie_id}") in mail["body"]
