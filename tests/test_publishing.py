"""Publishing: every recorded change becomes a signed activity in the same transaction.

Given / When / Then, through the same data functions as beheer; the outbox is read over HTTP
the way a follower reads it.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from federation import followers, proofs, vocabulary
from federation.store import timestamp
from node.app import open_database
from node.db import Database
from node.kern import sample
from node.kern.agenda import model as agenda
from node.kern.federation import publishing
from node.kern.ideas import model as ideas
from node.kern.meetings import model as meetings
from node.kern.news import model as news
from node.kern.projects import model as projects
from node.kern.schema import kern
from node.schema import core
from tests.helpers import THEMA, add_project, add_thema
from tests.idea_helpers import add_idea, add_news, add_published_idea
from tests.meeting_helpers import add_meeting, sign_up

ACTIVITY_JSON = {"Accept": "application/activity+json"}


def outbox_rows(db) -> list[dict]:
    return [
        json.loads(row["document"])
        for row in db.execute("SELECT document FROM federation_outbox ORDER BY position")
    ]


def of_object(db, object_id: str) -> list[dict]:
    return [a for a in outbox_rows(db) if vocabulary.id_of(a.get("object")) == object_id]


def proof_resolver(document: dict):
    """Keys by id from an actor document's assertionMethod, as a follower would use them."""
    keys = {m["id"]: m["publicKeyMultibase"] for m in document["assertionMethod"]}
    return keys.get


async def walk_outbox(client: httpx.AsyncClient) -> list[dict]:
    """Every activity, by following the pages from the collection, newest first."""
    collection = (await client.get("/actor/outbox")).json()
    url, items = collection["first"], []
    while url:
        page = (await client.get(url)).json()
        items.extend(page["orderedItems"])
        url = page.get("next")
    assert len(items) == collection["totalItems"]
    return items


# --- one transaction ---------------------------------------------------------------------------


def test_a_change_and_its_activity_commit_together(db, settings):
    slug = add_thema(db, settings)

    url = settings.url(f"/agenda/themas/{slug}")
    [activity] = of_object(db, url)
    assert activity["type"] == "Create"
    assert activity["actor"] == settings.url("/actor")
    assert activity["object"]["type"] == ["Page", "Thema"]
    event_id = db.scalar("SELECT max(id) FROM events")
    assert publishing.last_published_event(db.read()) == event_id


def test_a_failing_write_leaves_neither_change_nor_activity(db, settings):
    before = (db.scalar("SELECT count(*) FROM events"), len(outbox_rows(db)))

    def save_then_fail(conn):
        agenda.save_thema(conn, settings, "test", THEMA)
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        db.write(save_then_fail)

    assert (db.scalar("SELECT count(*) FROM events"), len(outbox_rows(db))) == before
    assert db.scalar("SELECT count(*) FROM themas") == 0


def test_when_publishing_fails_the_change_is_not_saved_either(db, settings):
    publisher = db.services["publisher"]

    class Broken:
        @property
        def current(self):
            raise OSError("the keys cannot be read")

    publisher.node_identity = Broken()
    with pytest.raises(OSError):
        add_thema(db, settings)
    assert db.scalar("SELECT count(*) FROM themas") == 0
    assert db.scalar("SELECT count(*) FROM federation_outbox") == 0


def test_activities_are_queued_for_every_follower_in_the_same_write(db, settings):
    def follow(conn):
        now = datetime.now(UTC)
        followers.save_follower(
            conn, "https://gemeente.example/actor", "https://gemeente.example/actor/inbox",
            "https://gemeente.example/inbox", "accepted", now,
        )  # fmt: skip

    db.write_quiet(follow)
    slug = add_thema(db, settings)

    [activity] = of_object(db, settings.url(f"/agenda/themas/{slug}"))
    jobs = db.execute("SELECT activity_id, inbox, body FROM federation_deliveries")
    assert [(j["activity_id"], j["inbox"]) for j in jobs] == [
        (activity["id"], "https://gemeente.example/inbox")
    ]
    assert json.loads(jobs[0]["body"]) == activity


# --- what each kind of object becomes ----------------------------------------------------------


def test_every_kind_of_change_becomes_create_update_or_delete(db, settings, app):
    slug = add_thema(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    db.write(agenda.save_thema, settings, "test", {**THEMA, "status": "afgerond"}, thema_id)
    assert of_object(db, settings.url(f"/agenda/themas/{slug}"))[1]["object"]["themaStatus"] == (
        "afgerond"
    )
    db.write(agenda.remove_thema, settings, "test", thema_id)

    kinds = [a["type"] for a in of_object(db, settings.url(f"/agenda/themas/{slug}"))]
    assert kinds == ["Create", "Update", "Delete"]
    delete = of_object(db, settings.url(f"/agenda/themas/{slug}"))[-1]
    assert delete["object"]["type"] == "Tombstone"
    assert delete["object"]["formerType"] == ["Page", "Thema"]
    # Once removed, the earlier activities carry the Tombstone too (node/kern/federation/erasure.py).
    earlier = of_object(db, settings.url(f"/agenda/themas/{slug}"))[:-1]
    assert [a["object"] for a in earlier] == [delete["object"]] * 2


def test_a_meeting_is_an_event_with_readable_time_and_place_and_is_announced(db, settings):
    _, slug = add_meeting(db, settings, days=20, capacity=40)
    url = settings.url(f"/bijeenkomsten/{slug}")

    create, announce = of_object(db, url)
    event = create["object"]
    assert create["type"] == "Create" and announce["type"] == "Announce"
    # A plain Event (Gancio and Mobilizon compare `type` with the string), Bloei's type in `kind`.
    assert event["type"] == "Event" and event["kind"] == "Bijeenkomst"
    assert vocabulary.types_of(event) == ("Event", "Bijeenkomst")
    assert event["name"] == "Dorpsavond over verkeer"
    assert event["url"] == url and event["attributedTo"] == settings.url("/actor")
    assert event["location"] == {
        "type": "Place",
        "name": "Dorpshuis De Pluk",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "Dorpsstraat 1",
            "postalCode": "4153 AA",
            "addressLocality": "Beesd",
            "addressCountry": "NL",
        },
    }
    assert event["timezone"] == "Europe/Amsterdam"
    start = datetime.fromisoformat(event["startTime"].replace("Z", "+00:00"))
    local = start.astimezone(meetings.AMSTERDAM)
    assert local.strftime("%H:%M") == "19:30"
    assert event["endTime"] > event["startTime"]
    # Date, time and place in Dutch: "Zondag 13 december 2026, 19:30–21:30, Dorpshuis De Pluk".
    assert str(local.day) in event["summary"] and "19:30" in event["summary"]
    assert "Dorpshuis De Pluk" in event["summary"]
    assert event["summary"][0].isupper()
    assert event["capaciteit"] == 40 and event["geannuleerd"] is False
    # The same places in Mobilizon's terms: in all, left, taken.
    assert event["maximumAttendeeCapacity"] == 40
    assert event["remainingAttendeeCapacity"] == 40 and event["participantCount"] == 0
    assert event["attachment"] == [] and isinstance(event["content"], str)
    assert event["to"] == [vocabulary.PUBLIC]
    # Mastodon wants the object itself in the Announce, not the Create.
    assert announce["object"]["id"] == url and announce["object"]["type"] == event["type"]


def test_news_is_a_note_that_mastodon_can_show_and_is_announced(db, settings):
    slug = add_news(db, settings)
    create, announce = of_object(db, settings.url(f"/nieuws/{slug}"))

    note = create["object"]
    assert note["type"] == ["Note", "Bericht"]
    assert note["content"].startswith("<p><strong>Dorpsschouw op zaterdag</strong></p>")
    assert "summary" not in note  # Mastodon would show a summary as a content warning
    assert announce["type"] == "Announce" and announce["object"]["id"] == note["id"]


def test_only_new_meetings_and_news_are_announced(db, settings):
    add_thema(db, settings)
    add_project(db, settings)
    news_slug = add_news(db, settings)
    news_id = db.scalar("SELECT id FROM news WHERE slug = ?", (news_slug,))
    db.write(
        news.save_news, settings, "test", {**_news_values(db, news_id), "title": "Anders"}, news_id
    )

    announced = [a["object"]["id"] for a in outbox_rows(db) if a["type"] == "Announce"]
    assert announced == [settings.url(f"/nieuws/{news_slug}")]


def _news_values(db, news_id: int) -> dict:
    row = db.one("SELECT * FROM news WHERE id = ?", (news_id,))
    return {key: row[key] for key in news.NEWS_FIELDS}


def test_projects_and_versions_carry_bloei_terms_beside_a_standard_type(db, settings):
    thema = add_thema(db, settings)
    project_id, slug = add_project(db, settings, thema_slugs=[thema])
    db.write(projects.change_phase, settings, "test", project_id, "verkenning", "Besproken.", None)
    db.write(agenda.publish_version, settings, "test", "Voorjaar 2026", "Wat we afspraken.")

    project = of_object(db, settings.url(f"/projecten/{slug}"))[-1]["object"]
    assert project["type"] == ["Page", "Project"]
    assert project["fase"] == "verkenning"
    assert [c["naar"] for c in project["faseGeschiedenis"]] == ["idee", "verkenning"]
    assert project["faseGeschiedenis"][1]["type"] == "FaseWijziging"
    assert project["budget"] == {
        "type": "Budget",
        "aangevraagd": 150000,
        "valuta": "EUR",
    }
    assert project["themas"] == [settings.url(f"/agenda/themas/{thema}")]
    assert project["trekker"] == "Ahmed el Amrani"  # with consent
    version = of_object(db, settings.url("/agenda/versies/voorjaar-2026"))[0]["object"]
    assert version["type"] == ["Page", "AgendaVersie"]
    assert version["themas"][0]["type"] == ["Page", "Thema"]
    for activity in outbox_rows(db):
        assert vocabulary.undefined_terms(activity) == set(), activity["type"]


def test_a_published_idea_is_a_note_without_its_sender(db, settings, app):
    _, _, slug = add_published_idea(db, app, settings)
    [create] = of_object(db, settings.url(f"/ideeen/{slug}"))
    assert create["object"]["type"] == ["Note", "Idee"]
    text = json.dumps(create)
    assert "Fatima" not in text and "fatima.yilmaz@example.org" not in text


def test_an_unpublished_idea_is_not_published(db, settings, app):
    add_idea(db, app, settings)
    assert [a for a in outbox_rows(db) if "ideeen" in json.dumps(a)] == []


# --- scheduled news ----------------------------------------------------------------------------


async def test_a_scheduled_bericht_is_published_when_it_comes_due_not_before(db, settings, app):
    slug = add_news(db, settings, hours_from_now=3)
    url = settings.url(f"/nieuws/{slug}")
    assert of_object(db, url) == []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
        response = await client.get(f"/nieuws/{slug}", headers=ACTIVITY_JSON)
        assert response.status_code == 404

        # When: the delivery job runs after the publish time.
        await app.state.federation.deliver(datetime.now(UTC) + timedelta(hours=4))

        kinds = [a["type"] for a in of_object(db, url)]
        assert kinds == ["Create", "Announce"]
        response = await client.get(f"/nieuws/{slug}", headers=ACTIVITY_JSON)
        assert response.status_code == 200 and response.json()["id"] == url


def test_a_scheduled_bericht_removed_before_its_time_is_never_published(db, settings):
    slug = add_news(db, settings, hours_from_now=3)
    news_id = db.scalar("SELECT id FROM news WHERE slug = ?", (slug,))
    db.write(news.remove_news, settings, "test", news_id)
    publisher = db.services["publisher"]
    later = datetime.now(UTC) + timedelta(hours=4)
    db.write(publishing.publish_due, publisher, later)
    assert of_object(db, settings.url(f"/nieuws/{slug}")) == []
    assert db.scalar("SELECT count(*) FROM publishing_deferred") == 0


# --- proofs ------------------------------------------------------------------------------------


async def test_every_activity_in_the_outbox_has_a_proof_that_verifies(db, settings, app):
    sample.load_sample(db, settings)
    add_meeting(db, settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
        actor = (await client.get("/actor")).json()
        items = await walk_outbox(client)

    resolve = proof_resolver(actor)
    assert len(items) > 50
    for item in items:
        assert proofs.verify_document(item, resolve) == settings.url("/actor#ed25519-key")
    tampered = {**items[0], "actor": "https://elders.example/actor"}
    with pytest.raises(proofs.ProofError):
        proofs.verify_document(tampered, resolve)


# --- no personal data --------------------------------------------------------------------------

RESIDENTS = [
    ("Jan Bos", "jan.bos@example.org", "06 11111111"),
    ("Marieke Ploeg", "marieke.ploeg@example.org", "0345-123456"),
    ("Kees van Wijk", "kees@vanwijk.example", "06 22222222"),
]


async def test_a_busy_kern_has_no_personal_data_anywhere_in_its_outbox(db, settings, app):
    # Given a busy kern: the sample, meetings with RSVPs, volunteers and ideas with contact.
    sample.load_sample(db, settings)
    meeting_id, meeting_slug = add_meeting(db, settings, capacity=2)
    for name, email, phone in RESIDENTS:
        sign_up(db, settings, meeting_id, name=name, email=email, phone=phone)
    project_id = db.scalar("SELECT id FROM projects ORDER BY id LIMIT 1")
    for name, email, phone in RESIDENTS:
        db.write(projects.add_volunteer, project_id, name, f"{email} {phone}", "Ik help graag.")
    for number, (name, email, _phone) in enumerate(RESIDENTS):
        idea_id, _, _ = add_published_idea(
            db, app, settings, title=f"Idee nummer {number}", name=name, contact=email
        )
        db.write(ideas.answer_idea, settings, "test", idea_id, "Dank u wel!")
    db.write(
        meetings.cancel_meeting,
        settings,
        "test",
        meeting_id,
        "De zaal is dicht.",
    )
    db.write(projects.add_update, settings, "test", project_id, "Nieuws", "Het gaat goed.", None)

    personal = {value for resident in RESIDENTS for value in resident}
    for table, columns in (
        ("rsvps", ("name", "email", "phone")),
        ("volunteers", ("name", "contact")),
        ("ideas", ("name", "contact")),
    ):
        for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}"):
            personal.update(value for value in row if value)
    personal -= {""}
    assert len(personal) >= 10

    # When a follower reads the whole outbox, every page, both ways.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
        items = await walk_outbox(client)
        caught_up, url = [], "/actor/outbox?after=0"
        while url:
            page = (await client.get(url)).json()
            caught_up.extend(page["orderedItems"])
            url = page.get("next")
        objects = []
        for path in (f"/bijeenkomsten/{meeting_slug}", "/ideeen/idee-nummer-0"):
            objects.append((await client.get(path, headers=ACTIVITY_JSON)).text)

    # Then not one name, address or number is in it.
    assert len(items) == len(caught_up) > 60
    text = json.dumps(items, ensure_ascii=False) + json.dumps(caught_up) + "".join(objects)
    found = sorted(value for value in personal if value in text)
    assert found == []
    # And every property in it is one docs/FEDERATION.md defines.
    assert set().union(*(vocabulary.undefined_terms(item) for item in items)) == set()


# --- older data folders ------------------------------------------------------------------------


def test_an_older_data_folder_gets_keys_and_publishes_its_backlog(settings):
    # Given a folder from before federation: no keys, and changes recorded but not published.
    shutil.rmtree(settings.keys_dir, ignore_errors=True)
    old = Database(settings.database_path).open([core, kern])
    old.write(agenda.save_thema, settings, "test", THEMA)
    old.close()

    # When it is opened by this version.
    db = open_database(settings)
    try:
        # Then it has keys, and the change is in the outbox.
        assert (settings.keys_dir / "rsa-private.pem").exists()
        [create] = [a for a in outbox_rows(db) if a["type"] == "Create"]
        assert create["object"]["name"] == THEMA["title"]
        assert db.scalar("SELECT count(*) FROM events") == 1
    finally:
        db.close()


def test_publishing_time_is_the_writes_own(db, settings):
    publisher = db.services["publisher"]
    moment = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    publisher.clock = lambda: moment
    add_thema(db, settings)
    [activity] = outbox_rows(db)
    assert activity["published"] == "2026-11-29T12:00:00Z"
    assert db.scalar("SELECT published FROM federation_outbox") == timestamp(moment)


async def test_a_meeting_publishes_how_many_signed_up_never_who(db, settings, app):
    from node.kern.meetings import model as meetings

    meeting_id, slug = add_meeting(db, settings, capacity=3)
    sign_up(db, settings, meeting_id, people=2, name="Geheime Gast", email="gast@example.org")
    sign_up(db, settings, meeting_id, people=1, name="Tweede Gast")  # now full: Update sent
    url = settings.url(meetings.meeting_path(slug))
    latest = of_object(db, url)[-1]["object"]
    assert latest["aanmeldingen"] == 3
    text = json.dumps(outbox_rows(db))
    assert "Geheime Gast" not in text and "gast@example.org" not in text
