"""Erasure reaches the signed history: what is withdrawn or removed leaves the outbox too.

A follower reads the outbox over HTTP from the start, page by page, and each activity at its
own URL; the whole of it is searched for what must be gone. Deliveries go to a follower that
is an httpx.MockTransport, in production mode (https, public addresses only).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import sqlite_utils
from PIL import Image

from federation import followers, proofs, vocabulary
from federation.addresses import AddressPolicy
from node.app import open_database
from node.gemeente import schema as gemeente_schema
from node.kern.federation import erasure
from node.kern.federation import schema as kern_federation_schema
from node.kern.ideas import model as ideas
from node.kern.news import model as news
from node.kern.projects import model as projects
from tests.federation.federation_helpers import resolver
from tests.helpers import PROJECT, add_project
from tests.idea_helpers import IDEA, NEWS, add_news, add_published_idea
from tests.test_photos import image_bytes, upload

FOLLOWER = "https://gemeente.example/actor"
FOLLOWER_INBOX = "https://gemeente.example/inbox"
AS_JSON = {"Accept": "application/activity+json"}
TREKKER = PROJECT["trekker_name"]


class Follower:
    """A follower's server: what the kern POSTs to it."""

    def __init__(self) -> None:
        self.posts: list[dict] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and str(request.url) == FOLLOWER_INBOX:
            self.posts.append(json.loads(request.content))
            return httpx.Response(202)
        return httpx.Response(404)

    def received(self, kind: str) -> list[dict]:
        return [post for post in self.posts if post["type"] == kind]


@pytest.fixture
def follower(app, db) -> Follower:
    fake = Follower()
    federation = app.state.federation
    federation.use_transport(httpx.MockTransport(fake.handler))
    federation.policy = AddressPolicy(resolver=resolver())

    def follow(conn):
        followers.save_follower(
            conn, FOLLOWER, f"{FOLLOWER}/inbox", FOLLOWER_INBOX, "accepted", datetime.now(UTC)
        )

    db.write_quiet(follow)
    return fake


async def deliver(app) -> None:
    report = await app.state.federation.deliver()
    assert report.failed == 0 and report.retrying == 0


async def read_history(client: httpx.AsyncClient) -> list[dict]:
    """Everything a follower can read: the outbox both ways, and each activity at its URL."""
    documents, url = [], "/actor/outbox?after=0"
    while url:
        page = (await client.get(url)).json()
        documents.extend(page["orderedItems"])
        url = page.get("next")
    newest_first, url = [], "/actor/outbox?page=true"
    while url:
        page = (await client.get(url)).json()
        newest_first.extend(page["orderedItems"])
        url = page.get("next")
    assert sorted(a["id"] for a in newest_first) == sorted(a["id"] for a in documents)
    for activity in list(documents):
        path = activity["id"].removeprefix(str(client.base_url))
        single = await client.get(path, headers=AS_JSON)
        assert single.status_code == 200
        documents.append(single.json())
    return documents + newest_first


def all_text(db, history: list[dict]) -> str:
    """The history as served, and what the kern still holds to send or serve."""
    stored = [r["document"] for r in db.execute("SELECT document FROM federation_outbox")]
    bodies = [
        bytes(r["body"]).decode() for r in db.execute("SELECT body FROM federation_deliveries")
    ]
    return json.dumps(history, ensure_ascii=False) + "".join(stored) + "".join(bodies)


async def assert_proofs_verify(client: httpx.AsyncClient, history: list[dict]) -> None:
    actor = (await client.get("/actor")).json()
    keys = {m["id"]: m["publicKeyMultibase"] for m in actor["assertionMethod"]}
    for activity in history:
        assert proofs.verify_document(activity, keys.get) == actor["assertionMethod"][0]["id"]


def about(history: list[dict], object_id: str) -> list[dict]:
    return [a for a in history if vocabulary.id_of(a.get("object")) == object_id]


# --- a name whose consent was withdrawn --------------------------------------------------------


async def test_withdrawn_consent_takes_the_name_out_of_the_whole_outbox(
    db, settings, app, client, follower
):
    # Given a project with its trekker's name, published, changed and delivered.
    project_id, slug = add_project(db, settings)
    db.write(projects.add_update, settings, "test", project_id, "Nieuws", "Het gaat goed.", None)
    await deliver(app)
    assert all(post["object"]["trekker"] == TREKKER for post in follower.posts)
    cached = (await client.get("/actor/outbox?page=true")).text
    assert TREKKER in cached  # and the page cache holds it

    # When the trekker withdraws consent.
    values = {**PROJECT, "trekker_consent": False}
    db.write(projects.save_project, settings, "test", values, [], project_id)
    await deliver(app)

    # Then the name is nowhere in what anyone can read, nor in what waits to be sent.
    history = await read_history(client)
    assert TREKKER not in all_text(db, history)
    project_url = settings.url(f"/projecten/{slug}")
    assert {a["type"] for a in about(history, project_url)} == {"Create", "Update"}
    # Every rewritten activity still verifies with the kern's published key.
    await assert_proofs_verify(client, history)
    # And the follower got an Update without the name.
    last = follower.received("Update")[-1]
    assert last["object"]["id"] == project_url and "trekker" not in last["object"]


async def test_erasing_a_person_takes_their_trekker_name_out_of_the_history(
    admin, db, settings, app, follower
):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    await deliver(app)

    response = await client.post(
        "/beheer/privacy/verwijderen", data={"csrf": csrf, "query": TREKKER.upper()}
    )
    assert response.status_code == 200 and TREKKER in response.text  # shown before it goes
    response = await client.post(
        "/beheer/privacy/verwijderen", data={"csrf": csrf, "query": TREKKER, "bevestigd": "ja"}
    )
    assert response.status_code == 303
    await deliver(app)

    row = projects.get_project_by_id(db, project_id)
    assert (row["trekker_name"], row["trekker_consent"]) == ("", 0)
    history = await read_history(client)
    assert TREKKER not in all_text(db, history)
    snapshots = [r["snapshot"] for r in db.execute("SELECT snapshot FROM events")]
    assert not any(TREKKER in snapshot for snapshot in snapshots)
    await assert_proofs_verify(client, history)
    update = follower.received("Update")[-1]
    assert update["object"]["id"] == settings.url(f"/projecten/{slug}")
    assert "trekker" not in update["object"]


# --- removed objects ---------------------------------------------------------------------------


async def assert_tombstoned(client, db, follower, object_id: str, gone: str) -> None:
    history = await read_history(client)
    assert gone not in all_text(db, history)
    carrying = [a for a in about(history, object_id) if a["type"] != "Delete"]
    assert carrying, "the earlier activities keep their place"
    assert all(a["object"]["type"] == "Tombstone" for a in carrying)
    assert {a["object"]["id"] for a in carrying} == {object_id}
    await assert_proofs_verify(client, history)
    [delete] = [d for d in follower.received("Delete") if d["object"]["id"] == object_id]
    assert delete["object"]["type"] == "Tombstone"
    assert (await client.get(object_id, headers=AS_JSON)).status_code == 410


async def test_a_removed_idea_leaves_only_tombstones(db, settings, app, client, follower):
    text = "Ouders willen graag zitten terwijl de kinderen spelen."
    idea_id, _token, slug = add_published_idea(db, app, settings)
    await deliver(app)
    assert text in json.dumps(follower.posts, ensure_ascii=False)
    assert IDEA["body"].startswith(text)

    db.write(ideas.remove_idea, settings, "test", idea_id)
    await deliver(app)

    await assert_tombstoned(client, db, follower, settings.url(f"/ideeen/{slug}"), text)


async def test_removed_news_leaves_only_tombstones_also_in_its_announce(
    db, settings, app, client, follower
):
    slug = add_news(db, settings)
    news_id = db.scalar("SELECT id FROM news WHERE slug = ?", (slug,))
    url = settings.url(f"/nieuws/{slug}")
    assert {a["type"] for a in about(await read_history(client), url)} == {"Create", "Announce"}

    db.write(news.remove_news, settings, "test", news_id)
    await deliver(app)

    await assert_tombstoned(client, db, follower, url, NEWS["body"])


async def test_a_removed_project_takes_its_history_and_photo_along(
    admin, db, settings, app, follower
):
    client, csrf = admin
    project_id, slug = add_project(db, settings, description="Een tekst die weg moet.")
    photo = image_bytes(Image.new("RGB", (40, 30), "green"), "PNG")
    assert (await upload(client, csrf, project_id, photo)).status_code == 303
    name = projects.get_project_by_id(db, project_id)["photo"]
    assert (await client.get(f"/media/{name}")).status_code == 200
    await deliver(app)

    response = await client.post(f"/beheer/projecten/{project_id}/verwijderen", data={"csrf": csrf})
    assert response.status_code == 303
    await deliver(app)

    assert list(settings.media_dir.iterdir()) == []
    assert (await client.get(f"/media/{name}")).status_code == 404
    await assert_tombstoned(client, db, follower, settings.url(f"/projecten/{slug}"), name)
    assert "Een tekst die weg moet." not in all_text(db, await read_history(client))


async def test_a_removed_photo_leaves_the_earlier_activities(admin, db, settings, app, follower):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    photo = image_bytes(Image.new("RGB", (40, 30), "green"), "PNG")
    assert (await upload(client, csrf, project_id, photo)).status_code == 303
    name = projects.get_project_by_id(db, project_id)["photo"]
    await deliver(app)
    assert name in json.dumps(follower.received("Update"))

    response = await client.post(
        f"/beheer/projecten/{project_id}/foto/verwijderen", data={"csrf": csrf}
    )
    assert response.status_code == 303
    await deliver(app)

    assert (await client.get(f"/media/{name}")).status_code == 404
    history = await read_history(client)
    assert name not in all_text(db, history)
    await assert_proofs_verify(client, history)
    update = follower.received("Update")[-1]
    assert update["object"]["id"] == settings.url(f"/projecten/{slug}")
    assert "attachment" not in update["object"]


async def test_the_privacy_statement_says_what_happens_to_shared_data(client):
    page = (await client.get("/over/privacy")).text
    assert "ook uit alles wat we eerder over het project hebben gedeeld" in page
    assert "om dat bericht op te volgen" in page


# --- a data folder from before erasure ----------------------------------------------------------


def test_a_data_folder_from_before_is_brought_in_line_once_when_opened(db, settings, monkeypatch):
    # Given a history written without erasure: a withdrawn name and a removed project with
    # its photo still on disk.
    with monkeypatch.context() as old_code:
        old_code.setattr(erasure, "redact_history", lambda *args: 0)
        old_code.setattr(erasure, "tombstone_history", lambda *args: 0)
        project_id, _slug = add_project(db, settings)
        values = {**PROJECT, "trekker_consent": False}
        db.write(projects.save_project, settings, "test", values, [], project_id)
        removed_id, removed_slug = add_project(db, settings, title="Weg ermee")
        db.write(projects.remove_project, settings, "test", removed_id)
    photo = "0123456789abcdef0123456789abcdef.jpg"
    settings.media_dir.mkdir(exist_ok=True)
    (settings.media_dir / photo).write_bytes(b"jpeg")
    db.write(
        lambda conn: conn.execute("UPDATE projects SET photo = ? WHERE id = ?", (photo, removed_id))
    )
    db.write(lambda conn: conn.execute("DELETE FROM meta WHERE key = ?", (erasure.CAUGHT_UP_KEY,)))
    assert TREKKER in all_text(db, [])
    db.close()

    # When the folder is opened by this version.
    reopened = open_database(settings)
    try:
        # Then the history holds neither the name nor the removed project, and still verifies.
        assert TREKKER not in all_text(reopened, [])
        removed_url = settings.url(f"/projecten/{removed_slug}")
        for row in reopened.execute("SELECT document FROM federation_outbox"):
            activity = json.loads(row["document"])
            if vocabulary.id_of(activity["object"]) == removed_url:
                assert activity["object"]["type"] == "Tombstone"
        assert not (settings.media_dir / photo).exists()
        assert reopened.scalar("SELECT photo FROM projects WHERE id = ?", (removed_id,)) is None
        assert reopened.scalar("SELECT value FROM meta WHERE key = ?", (erasure.CAUGHT_UP_KEY,))
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("step", "table"),
    [
        (kern_federation_schema._deleted_copies, "received_objects"),
        (gemeente_schema._deleted_copies, "gemeente_objects"),
    ],
)
def test_copies_deleted_before_keep_only_their_tombstone_after_the_migration(step, table):
    db = sqlite_utils.Database(memory=True)
    db.execute(f"CREATE TABLE {table} (object_id TEXT, document TEXT, deleted INTEGER)")
    db.execute(
        f"INSERT INTO {table} VALUES ('https://beek.example/ideeen/x', '{{\"name\": \"Geheim\"}}', 1),"
        f" ('https://beek.example/ideeen/y', '{{\"name\": \"Blijft\"}}', 0)"
    )

    step(db)

    documents = [json.loads(r[0]) for r in db.execute(f"SELECT document FROM {table}")]
    assert documents == [
        {"id": "https://beek.example/ideeen/x", "type": "Tombstone"},
        {"name": "Blijft"},
    ]


async def test_a_replaced_photo_leaves_the_history_and_the_new_one_stays(
    admin, db, settings, app, follower
):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    green = image_bytes(Image.new("RGB", (40, 30), "green"), "PNG")
    red = image_bytes(Image.new("RGB", (40, 30), "red"), "PNG")
    assert (await upload(client, csrf, project_id, green, alt="Groen")).status_code == 303
    first = projects.get_project_by_id(db, project_id)["photo"]
    db.write(projects.add_update, settings, "test", project_id, "Nieuws", "Het gaat goed.", None)

    assert (await upload(client, csrf, project_id, red, alt="Rood")).status_code == 303
    second = projects.get_project_by_id(db, project_id)["photo"]

    history = await read_history(client)
    assert first not in all_text(db, history)
    latest = (await client.get(f"/projecten/{slug}", headers=AS_JSON)).json()
    assert [item["url"] for item in latest["attachment"]] == [settings.url(f"/media/{second}")]
    await assert_proofs_verify(client, history)
