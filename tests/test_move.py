"""Moving a kern: export, import at a new address, and the Move its old actor announces."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from node import migrate
from node.app import open_database
from node.cli import main
from node.kern.federation import actor as kern_actor
from node.settings import load_settings


@pytest.fixture
def old_node(tmp_path: Path) -> Path:
    data = tmp_path / "old"
    args = ["init", "--name", "Beesd", "--url", "https://beesd.example", "--data", str(data)]
    assert main(args) == 0
    (data / "media" / "foto.jpg").write_bytes(b"\xff\xd8 photo")
    return data


def actor_document(folder: Path) -> dict:
    settings = load_settings(folder)
    db = open_database(settings)
    try:
        return kern_actor.document(db.read(), settings, db.services["publisher"])
    finally:
        db.close()


def rows(folder: Path, sql: str, params: tuple = ()) -> list:
    with sqlite3.connect(folder / "bloei.db") as conn:
        return conn.execute(sql, params).fetchall()


def test_export_and_import_at_a_new_address(old_node, tmp_path, capsys):
    # bloei init noted the actor as followers will first see it (a later change is announced).
    assert rows(old_node, "SELECT count(*) FROM meta WHERE key = 'actor_profile_digest'") == [(1,)]
    archive = tmp_path / "beesd-export.tar.gz"
    assert main(["export", str(archive), "--data", str(old_node)]) == 0
    new = tmp_path / "new"
    url = "https://beesd.nieuw.example"
    assert main(["import", str(archive), "--data", str(new), "--url", url]) == 0

    assert load_settings(new).public_url == url
    assert (new / "media" / "foto.jpg").read_bytes() == b"\xff\xd8 photo"
    for name in ("keys", "secret.key"):
        old_files = sorted(p.relative_to(old_node) for p in (old_node / name).rglob("*"))
        new_files = sorted(p.relative_to(new) for p in (new / name).rglob("*"))
        assert old_files == new_files
    for path in (old_node / "keys").rglob("*"):
        if path.is_file():
            assert (new / path.relative_to(old_node)).read_bytes() == path.read_bytes()
    assert rows(new, "SELECT username FROM users") == rows(old_node, "SELECT username FROM users")

    document = actor_document(new)
    assert document["id"] == url + "/actor"
    assert document["alsoKnownAs"] == ["https://beesd.example/actor"]
    assert (
        document["publicKey"]["publicKeyPem"]
        == actor_document(old_node)["publicKey"]["publicKeyPem"]
    )
    assert "alsoKnownAs" not in actor_document(old_node)


def test_import_refuses_a_folder_that_holds_a_node(old_node, tmp_path, capsys):
    archive = tmp_path / "export.tar.gz"
    assert main(["export", str(archive), "--data", str(old_node)]) == 0
    assert main(["import", str(archive), "--data", str(old_node)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_move_checks_the_new_actor_and_announces_it(old_node, tmp_path):
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_node, archive)
    new = tmp_path / "new"
    migrate.import_node(archive, new, "https://beesd.nieuw.example")
    new_document = actor_document(new)
    settings = load_settings(old_node)
    old_id = migrate.actor_id(settings)

    async def fetch(url):
        return url, new_document

    async def fetch_other(url):
        return url, {**new_document, "alsoKnownAs": []}

    with pytest.raises(migrate.MoveError, match="alsoKnownAs"):
        asyncio.run(migrate.confirmed_target(old_id, new_document["id"], fetch_other))
    target = asyncio.run(migrate.confirmed_target(old_id, new_document["id"], fetch))

    db = open_database(settings)
    try:
        move_id = migrate.announce_move(db, settings, target.id)
        stored = db.one(
            "SELECT type, document FROM federation_outbox WHERE activity_id = ?", (move_id,)
        )
    finally:
        db.close()
    assert stored["type"] == "Move"
    assert f'"target":"{target.id}"' in stored["document"].replace(" ", "")
    assert actor_document(old_node)["movedTo"] == target.id


# --- the history moves along -------------------------------------------------------------------

OLD_URL = "https://beesd.example"
NEW_URL = "https://beesd.nieuw.example"


def strings(value):
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def proof_keys(document: dict) -> dict:
    from federation.keys import decode_multikey

    return {m["id"]: decode_multikey(m["publicKeyMultibase"]) for m in document["assertionMethod"]}


@pytest.fixture
def busy_node(old_node: Path) -> Path:
    """The old node with Beesd's sample data, a thema and a project, and a queued delivery."""
    from helpers import add_project, add_thema

    from node.kern.sample import load_sample

    settings = load_settings(old_node)
    db = open_database(settings)
    try:
        load_sample(db, settings)
        add_thema(db, settings, title="Verhuizen")
        add_project(db, settings, title="Bankje bij de kerk")
        db.write(
            lambda conn: conn.execute(
                """INSERT INTO federation_deliveries
                       (activity_id, inbox, body, next_try_at, created_at)
                   VALUES ('x', 'https://gemeente.example/inbox', x'7b7d', '2026', '2026')"""
            )
        )
    finally:
        db.close()
    return old_node


def imported(busy_node: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(busy_node, archive)
    new = tmp_path / "new"
    migrate.import_node(archive, new, NEW_URL)
    return new


def test_the_history_moves_to_the_new_address_signed_again(busy_node, tmp_path):
    from federation.proofs import verify_document
    from federation.rebase import Rebase

    before = rows(busy_node, "SELECT position, activity_id, type FROM federation_outbox")
    new = imported(busy_node, tmp_path)
    after = rows(
        new, "SELECT position, activity_id, type, object_id, document FROM federation_outbox"
    )
    old_base = Rebase.between(OLD_URL, NEW_URL)

    # Same positions, same activities, every id now under the new address.
    assert len(before) == len(after) > 50
    for (position, old_id, kind), (new_position, new_id, new_kind, object_id, text) in zip(
        before, after, strict=True
    ):
        assert (new_position, new_kind) == (position, kind)
        assert new_id == old_base.id(old_id) and new_id.startswith(NEW_URL + "/")
        document = json.loads(text)
        assert not [s for s in strings(document) if old_base.covers(s)]
        assert document["id"] == new_id and document["actor"] == NEW_URL + "/actor"
        # ... signed again with the kern's own key, under its new key id.
        keys = proof_keys(actor_document(new))
        assert verify_document(document, keys.get) == NEW_URL + "/actor#ed25519-key"
        if object_id:
            assert object_id.startswith(NEW_URL + "/")
    assert not rows(new, f"SELECT 1 FROM events WHERE snapshot LIKE '%{OLD_URL}/%'")
    assert not rows(new, f"SELECT 1 FROM events WHERE object_id LIKE '{OLD_URL}%'")
    assert not rows(new, f"SELECT 1 FROM agenda_versions WHERE snapshot LIKE '%{OLD_URL}/%'")
    # The audit log is never rewritten: it says what happened, at the address of the time.
    assert rows(new, f"SELECT 1 FROM audit_log WHERE object_id LIKE '{OLD_URL}/%'")
    # What the old node still had to deliver stays with the old node.
    assert rows(new, "SELECT count(*) FROM federation_deliveries WHERE status = 'pending'") == [
        (0,)
    ]
    assert rows(new, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == [
        ("kern.verhuisd",)
    ]
    # Mail addresses on the old domain are not ids: left as they were.
    assert rows(new, "SELECT value FROM site WHERE key = 'contact_email'") == rows(
        busy_node, "SELECT value FROM site WHERE key = 'contact_email'"
    )


def test_a_change_after_the_move_updates_the_same_object_one_position_on(busy_node, tmp_path):
    from helpers import PROJECT

    from node.kern.projects import model as projects

    newest = rows(busy_node, "SELECT max(position) FROM federation_outbox")[0][0]
    new = imported(busy_node, tmp_path)
    settings = load_settings(new)
    db = open_database(settings)
    try:
        project_id, slug = db.one(
            "SELECT id, slug FROM projects WHERE title = 'Bankje bij de kerk'"
        )
        changed = {**PROJECT, "title": "Bankje bij de kerk", "summary": "Nu met leuning."}
        db.write(projects.save_project, settings, "test", changed, [], project_id)
    finally:
        db.close()
    object_id = f"{NEW_URL}/projecten/{slug}"
    kinds = rows(new, "SELECT type FROM federation_outbox WHERE object_id = ?", (object_id,))
    # Created before the move, at the old address; changed after it, under the same id.
    assert kinds == [("Create",), ("Update",)]
    # Followers hear of the new actor through the Move: its first start sends no Update.
    db = open_database(settings)
    try:
        assert (
            db.write(kern_actor.announce_profile_change, settings, db.services["publisher"]) is None
        )
    finally:
        db.close()
    # The position after the last exported one is the old node's Move.
    first_new = rows(
        new, "SELECT min(position) FROM federation_outbox WHERE position > ?", (newest,)
    )
    assert first_new == [(newest + 2,)]


def outbox_fetch(folder: Path):
    """A fetch that answers the actor and its outbox pages from a node's own data."""
    from urllib.parse import parse_qs, urlsplit

    from federation import outbox

    document = actor_document(folder)

    async def fetch(url):
        if url == document["id"]:
            return url, document
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        with sqlite3.connect(folder / "bloei.db") as conn:
            page = outbox.catch_up_page(
                conn, document["outbox"], int(query["after"]), int(query["size"])
            )
        return url, json.loads(json.dumps(page, default=str))

    return document, fetch


def check_and_move(old: Path, new: Path) -> str:
    from federation.actors import RemoteActor

    document, fetch = outbox_fetch(new)
    target = RemoteActor.from_document(document)
    settings = load_settings(old)
    db = open_database(settings)
    try:
        position = asyncio.run(
            migrate.check_history(db.read(), migrate.actor_id(settings), target, fetch)
        )
        return migrate.announce_move(db, settings, target.id, expected_position=position)
    finally:
        db.close()


def test_move_checks_the_new_node_holds_the_whole_history(busy_node, tmp_path):
    new = imported(busy_node, tmp_path)
    move_id = check_and_move(busy_node, new)
    newest = rows(busy_node, "SELECT max(position), activity_id FROM federation_outbox")
    assert newest[0][1] == move_id
    # The Move took the position the import left free.
    assert rows(new, "SELECT 1 FROM federation_outbox WHERE position = ?", (newest[0][0],)) == []
    with pytest.raises(migrate.MoveError, match="already moved"):
        check_and_move(busy_node, new)


def test_move_refuses_when_the_old_node_changed_after_the_export(busy_node, tmp_path):
    from helpers import add_thema

    new = imported(busy_node, tmp_path)
    settings = load_settings(busy_node)
    db = open_database(settings)
    try:
        add_thema(db, settings, title="Na de export")
    finally:
        db.close()
    with pytest.raises(migrate.MoveError, match="export again"):
        check_and_move(busy_node, new)
    assert rows(busy_node, "SELECT count(*) FROM federation_outbox WHERE type = 'Move'") == [(0,)]


def test_move_refuses_when_a_change_comes_between_check_and_move(busy_node, tmp_path):
    from helpers import add_thema

    settings = load_settings(busy_node)
    db = open_database(settings)
    try:
        position = db.scalar("SELECT max(position) FROM federation_outbox")
        add_thema(db, settings, title="Net op tijd")
        with pytest.raises(migrate.MoveError, match="run bloei move again"):
            migrate.announce_move(db, settings, NEW_URL + "/actor", expected_position=position)
    finally:
        db.close()


def test_a_failed_import_leaves_no_half_moved_node(busy_node, tmp_path, monkeypatch):
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(busy_node, archive)
    new = tmp_path / "new"

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(migrate, "rehome", broken)
    with pytest.raises(RuntimeError):
        migrate.import_node(archive, new, NEW_URL)
    assert not new.exists()
    monkeypatch.undo()
    assert migrate.import_node(archive, new, NEW_URL).public_url == NEW_URL


def test_a_second_move_keeps_every_former_actor(busy_node, tmp_path):
    new = imported(busy_node, tmp_path)
    archive = tmp_path / "again.tar.gz"
    migrate.export_node(new, archive)
    third = tmp_path / "third"
    migrate.import_node(archive, third, "https://beesd.nl")
    assert actor_document(third)["alsoKnownAs"] == [OLD_URL + "/actor", NEW_URL + "/actor"]
    assert not rows(third, f"SELECT 1 FROM federation_outbox WHERE document LIKE '%{NEW_URL}/%'")
    # And back to where it began: the first address is its own again, not a former one.
    archive = tmp_path / "back.tar.gz"
    migrate.export_node(third, archive)
    back = tmp_path / "back"
    migrate.import_node(archive, back, OLD_URL)
    document = actor_document(back)
    assert document["id"] == OLD_URL + "/actor"
    assert document["alsoKnownAs"] == [NEW_URL + "/actor", "https://beesd.nl/actor"]


def test_reacties_from_before_the_move_stay_with_their_project(busy_node, tmp_path):
    from node.kern.conversation import model as gemeente_messages

    gemeente = "https://gemeente.example/actor"
    slug = rows(busy_node, "SELECT slug FROM projects WHERE title = 'Bankje bij de kerk'")[0][0]
    reactie = {
        "id": "https://gemeente.example/reacties/1",
        "type": ["Note", "Reactie"],
        "attributedTo": gemeente,
        "inReplyTo": f"{OLD_URL}/projecten/{slug}",
        "content": "<p>We kijken ernaar.</p>",
        "published": "2026-11-20T10:00:00Z",
    }
    with sqlite3.connect(busy_node / "bloei.db") as conn:
        conn.execute(
            """INSERT INTO received_objects (object_id, actor_id, activity_id, type, document,
                   received_at, updated_at) VALUES (?, ?, ?, 'Reactie', ?, '2026', '2026')""",
            (reactie["id"], gemeente, reactie["id"] + "/create", json.dumps(reactie)),
        )
    new = imported(busy_node, tmp_path)
    settings = load_settings(new, environ={"BLOEI_GEMEENTE_ACTOR": gemeente})
    db = open_database(settings)
    try:
        found = gemeente_messages.reacties_for(db, settings, f"{NEW_URL}/projecten/{slug}")
    finally:
        db.close()
    assert [str(r["content"]) for r in found] == ["<p>We kijken ernaar.</p>"]


def test_a_conversation_with_the_gemeente_moves_along(busy_node, tmp_path):
    from node.kern.conversation import threads

    gemeente = "https://gemeente.example/actor"
    slug = rows(busy_node, "SELECT slug FROM projects WHERE title = 'Bankje bij de kerk'")[0][0]
    reactie = {
        "id": "https://gemeente.example/reacties/1",
        "type": ["Note", "Reactie"],
        "attributedTo": gemeente,
        "inReplyTo": f"{OLD_URL}/projecten/{slug}",
        "content": "<p>Waar moet het bankje staan?</p>",
        "published": "2026-11-20T10:00:00Z",
    }
    with sqlite3.connect(busy_node / "bloei.db") as conn:
        conn.execute(
            """INSERT INTO received_objects (object_id, actor_id, activity_id, type, document,
                   received_at, updated_at) VALUES (?, ?, ?, 'Reactie', ?, '2026-11-20', '2026')""",
            (reactie["id"], gemeente, reactie["id"] + "/create", json.dumps(reactie)),
        )
        conn.execute(
            """INSERT INTO gemeente_answers (object_id, activity_id, reactie_id, about, content,
                   author, published) VALUES (?, ?, ?, ?, 'Bij de kerk.', 'Anna', '2026-11-21')""",
            (
                f"{OLD_URL}/antwoorden/1",
                f"{OLD_URL}/actor/activities/1",
                reactie["id"],
                reactie["inReplyTo"],
            ),
        )
    new = imported(busy_node, tmp_path)
    settings = load_settings(new, environ={"BLOEI_GEMEENTE_ACTOR": gemeente})
    db = open_database(settings)
    try:
        found = threads.conversations(db, settings)
        answer = db.one("SELECT object_id, about FROM gemeente_answers")
    finally:
        db.close()
    assert [(c["about_id"], c["about"]["path"], c["state"]) for c in found] == [
        (f"{NEW_URL}/projecten/{slug}", f"/projecten/{slug}", "wacht_op_gemeente")
    ]
    assert [a["content"] for a in found[0]["reacties"][0]["answers"]] == ["Bij de kerk."]
    assert tuple(answer) == (f"{NEW_URL}/antwoorden/1", f"{NEW_URL}/projecten/{slug}")


# --- nothing is sent by both nodes -------------------------------------------------------------

GEMEENTE = "https://gemeente.example/actor"
GEMEENTE_INBOX = "https://gemeente.example/inbox"


def add_follower(folder: Path, actor: str = GEMEENTE, inbox: str = GEMEENTE_INBOX) -> None:
    with sqlite3.connect(folder / "bloei.db") as conn:
        conn.execute(
            """INSERT INTO federation_followers (actor_id, inbox, state, created_at, updated_at)
               VALUES (?, ?, 'accepted', '2026', '2026')""",
            (actor, inbox),
        )


def queue(folder: Path, subject: str, lease_until: str | None = None) -> None:
    from node.mail.queue import queue_mail

    with sqlite3.connect(folder / "bloei.db") as conn:
        mail_id = queue_mail(conn, "rsvp.confirm", "anna@example.org", subject, "Tot dan!")
        conn.execute("UPDATE mail_queue SET lease_until = ? WHERE id = ?", (lease_until, mail_id))


def claimable(folder: Path, now) -> list[str]:
    """The subjects a mail worker on this node would take (all leases run out by `now`)."""
    from node.mail import mailer

    db = open_database(load_settings(folder))
    try:
        return [row["subject"] for row in mailer.claim_due(db, now)]
    finally:
        db.close()


def test_the_export_takes_queued_mail_along_and_the_old_node_no_longer_sends_it(
    old_node, tmp_path, capsys
):
    later = datetime.now(UTC) + timedelta(days=1)
    queue(old_node, "Waiting")
    # Being sent by a worker right now: the old node finishes it, the export leaves it.
    queue(old_node, "Being sent", lease_until=(later - timedelta(hours=1)).isoformat())
    archive = tmp_path / "export.tar.gz"
    assert main(["export", str(archive), "--data", str(old_node)]) == 0
    assert "1 queued mails go with the export" in capsys.readouterr().out
    # Queued at the old node after the export (it kept running): not in the export.
    queue(old_node, "After the export")
    new = tmp_path / "new"
    assert main(["import", str(archive), "--data", str(new), "--url", NEW_URL]) == 0

    assert claimable(old_node, later) == ["Being sent", "After the export"]
    assert claimable(new, later) == ["Waiting"]


def test_an_import_at_the_same_address_takes_the_mail_over_too(old_node, tmp_path):
    queue(old_node, "Waiting")
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_node, archive)
    new = tmp_path / "new"
    migrate.import_node(archive, new)
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert claimable(old_node, later) == []
    assert claimable(new, later) == ["Waiting"]
    assert rows(new, "SELECT count(*) FROM meta WHERE key = 'exported_at'") == [(0,)]


def test_importing_the_export_back_over_the_old_node_undoes_the_hand_over(old_node, tmp_path):
    queue(old_node, "Waiting")
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_node, archive)
    assert claimable(old_node, datetime.now(UTC) + timedelta(minutes=1)) == []
    assert main(["import", str(archive), "--data", str(old_node), "--force"]) == 0
    assert claimable(old_node, datetime.now(UTC) + timedelta(minutes=1)) == ["Waiting"]
    assert rows(old_node, "SELECT count(*) FROM meta WHERE key = 'exported_at'") == [(0,)]


def test_a_failed_export_leaves_the_mail_with_the_old_node(old_node, tmp_path, monkeypatch):
    from node.backup import BackupError

    queue(old_node, "Waiting")

    def full(*args, **kwargs):
        raise BackupError("no space left on the disk")

    monkeypatch.setattr(migrate, "create_backup", full)
    with pytest.raises(BackupError):
        migrate.export_node(old_node, tmp_path / "export.tar.gz")
    assert claimable(old_node, datetime.now(UTC) + timedelta(minutes=1)) == ["Waiting"]
    assert rows(old_node, "SELECT count(*) FROM meta WHERE key = 'exported_at'") == [(0,)]


def test_mail_handed_over_is_removed_from_the_old_node_after_the_retention_period(
    old_node, tmp_path
):
    from node.kern.privacy import model as privacy

    queue(old_node, "Waiting")
    migrate.export_node(old_node, tmp_path / "export.tar.gz")
    settings = load_settings(old_node)
    db = open_database(settings)
    try:
        later = datetime.now(UTC) + timedelta(days=settings.privacy_retention_days + 1)
        privacy.run_retention(db, settings, later)
    finally:
        db.close()
    assert rows(old_node, "SELECT count(*) FROM mail_queue") == [(0,)]


class Receivers:
    """Other servers as an httpx.MockTransport: every POST kept, answered with `status`."""

    def __init__(self, status: int = 202):
        self.status = status
        self.posts: list[tuple[str, dict]] = []

    def handler(self, request):
        import httpx

        self.posts.append((str(request.url), json.loads(request.content)))
        return httpx.Response(self.status)

    def activity_ids(self) -> list[str]:
        return [activity["id"] for _inbox, activity in self.posts]


def deliver_round(folder: Path, receivers: Receivers) -> None:
    import httpx

    from federation.addresses import AddressPolicy
    from node.kern.federation.runtime import KernFederation

    settings = load_settings(folder)
    db = open_database(settings)
    try:
        federation = KernFederation(
            settings,
            db,
            db.services["publisher"],
            policy=AddressPolicy(dev=True),
            transport=httpx.MockTransport(receivers.handler),
        )
        asyncio.run(federation.deliver())
    finally:
        db.close()


def test_an_exported_node_delivers_only_its_move_and_what_it_queued_before(old_node, tmp_path):
    from helpers import add_thema

    from federation import delivery

    add_follower(old_node)
    settings = load_settings(old_node)
    db = open_database(settings)
    try:
        add_thema(db, settings, title="Voor de export")
        before = db.scalar("SELECT activity_id FROM federation_deliveries")
    finally:
        db.close()
    migrate.export_node(old_node, tmp_path / "export.tar.gz")
    db = open_database(settings)
    try:
        # After the export: an Accept to someone new, and the Move.
        later = "https://anna.example/activities/accept-1"
        db.write(
            lambda conn: delivery.enqueue(
                conn, later, b"{}", ["https://anna.example/inbox"], datetime.now(UTC)
            )
        )
        move = migrate.announce_move(db, settings, NEW_URL + "/actor")
    finally:
        db.close()
    receivers = Receivers()
    deliver_round(old_node, receivers)
    assert sorted(receivers.activity_ids()) == sorted([before, move])
    held = rows(
        old_node,
        "SELECT status, last_error FROM federation_deliveries WHERE activity_id = ?",
        (later,),
    )
    assert held[0][0] == "failed" and "bloei export" in held[0][1]


# --- a change at the new address before the move -----------------------------------------------


def test_a_refusal_before_the_followers_took_the_move_is_retried_and_released_by_their_follow(
    old_node, tmp_path
):
    from helpers import add_thema

    from federation.actors import RemoteActor
    from federation.dispatch import InboxContext
    from node.kern.federation.runtime import KernFederation

    add_follower(old_node)
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_node, archive)
    new = tmp_path / "new"
    migrate.import_node(archive, new, NEW_URL)
    settings = load_settings(new)
    db = open_database(settings)
    try:
        add_thema(db, settings, title="Op het nieuwe adres")
    finally:
        db.close()
    # The gemeente does not know the new actor before it read the Move: 403.
    refused = Receivers(status=403)
    deliver_round(new, refused)
    # One delivery, knocked on twice: a 403 may be a refused RFC 9421 signature
    assert len(refused.posts) == 2 and len(set(refused.activity_ids())) == 1
    assert rows(new, "SELECT status, tries, last_status FROM federation_deliveries") == [
        ("pending", 1, 403)
    ]

    # It took the Move and follows the new actor: what was held is due at once.
    db = open_database(settings)
    try:
        federation = KernFederation(settings, db, db.services["publisher"])
        gemeente = RemoteActor.from_document(
            {"id": GEMEENTE, "type": "Application", "inbox": GEMEENTE_INBOX}
        )
        follow = {
            "id": "https://gemeente.example/activities/follow-2",
            "type": "Follow",
            "actor": GEMEENTE,
            "object": NEW_URL + "/actor",
        }
        handler = federation.handlers.handler_for(follow)
        db.write(
            lambda conn: handler(
                InboxContext(
                    conn, follow, gemeente, db.services["publisher"].identity, datetime.now(UTC)
                )
            )
        )
    finally:
        db.close()
    accepted = Receivers()
    deliver_round(new, accepted)
    kinds = sorted(activity["type"] for _inbox, activity in accepted.posts)
    assert kinds == ["Accept", "Create"]
    # From now on a refusal from that inbox is final again.
    assert rows(new, "SELECT value FROM meta WHERE key = 'move_awaited'")[0][0].endswith(
        '"actors": []}'
    )
    db = open_database(settings)
    try:
        add_thema(db, settings, title="Na de verhuizing")
    finally:
        db.close()
    deliver_round(new, Receivers(status=403))
    assert rows(
        new, "SELECT status FROM federation_deliveries WHERE status != 'done' ORDER BY id"
    ) == [("failed",)]


def now():
    return datetime.now(UTC)


# --- the commands as the guide names them ------------------------------------------------------


def test_import_again_over_an_earlier_import_with_force(old_node, tmp_path, capsys):
    archive = tmp_path / "export.tar.gz"
    assert main(["export", str(archive), "--data", str(old_node)]) == 0
    new = tmp_path / "new"
    assert main(["import", str(archive), "--data", str(new), "--url", NEW_URL]) == 0
    capsys.readouterr()
    assert main(["import", str(archive), "--data", str(new), "--url", NEW_URL]) == 1
    assert "use --force" in capsys.readouterr().err
    assert main(["import", str(archive), "--data", str(new), "--url", NEW_URL, "--force"]) == 0
    assert actor_document(new)["alsoKnownAs"] == [OLD_URL + "/actor"]


def test_an_import_over_an_earlier_one_does_not_send_its_mail_again(old_node, tmp_path):
    queue(old_node, "Waiting")
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_node, archive)
    new = tmp_path / "new"
    migrate.import_node(archive, new, NEW_URL)
    later = datetime.now(UTC) + timedelta(minutes=1)
    # The first import's node sent it ...
    with sqlite3.connect(new / "bloei.db") as conn:
        conn.execute("UPDATE mail_queue SET sent_at = '2026-12-01T10:00:00+00:00'")
    # ... and the old node, which changed after the export, is exported again.
    again = tmp_path / "again.tar.gz"
    migrate.export_node(old_node, again)
    migrate.import_node(again, new, NEW_URL, force=True)
    assert claimable(new, later) == []
    assert rows(new, "SELECT subject, sent_at FROM mail_queue") == [
        ("Waiting", "2026-12-01T10:00:00+00:00")
    ]


def test_move_to_a_development_node_names_the_dev_option(old_node, capsys):
    assert main(["move", "--to", "http://127.0.0.1:9/actor", "--data", str(old_node)]) == 1
    error = capsys.readouterr().err
    assert "development mode" in error and "add --dev" in error


def test_worker_once_exits_1_and_names_the_deliveries_it_gave_up(old_node, capsys):
    from helpers import add_thema

    add_follower(old_node, "http://127.0.0.1:9/actor", "http://127.0.0.1:9/inbox")
    settings = load_settings(old_node)
    db = open_database(settings)
    try:
        add_thema(db, settings, title="Naar een testnode")
    finally:
        db.close()
    # Not in development mode: plain http to 127.0.0.1 is refused for good.
    assert main(["worker", "--once", "--data", str(old_node)]) == 1
    error = capsys.readouterr().err
    assert "Gave up delivering" in error and "http://127.0.0.1:9/inbox" in error
    assert "development mode" in error and "add --dev" in error


def test_worker_once_exits_1_and_names_the_mail_it_gave_up(old_node, monkeypatch, capsys):
    from node.mail.queue import queue_mail
    from tests.test_mailer import REFUSED, SmtpServer

    smtp = SmtpServer().start()
    try:
        for name, value in {
            "BLOEI_SMTP_HOST": "127.0.0.1",
            "BLOEI_SMTP_PORT": str(smtp.port),
            "BLOEI_SMTP_FROM": "noreply@beesd.test",
            "BLOEI_SMTP_STARTTLS": "false",
        }.items():
            monkeypatch.setenv(name, value)
        with sqlite3.connect(old_node / "bloei.db") as conn:
            queue_mail(conn, "rsvp.confirm", REFUSED, "Tot dinsdag", "Welkom!")
        assert main(["worker", "--once", "--data", str(old_node)]) == 1
    finally:
        smtp.stop()
    error = capsys.readouterr().err
    assert "Gave up mail 1 (rsvp.confirm)" in error and REFUSED in error and "550" in error


# --- the guide's steps with real processes -----------------------------------------------------


@pytest.mark.processes
def test_moving_host_as_the_guide_says_sends_everything_once_and_loses_nothing(tmp_path):
    """Gemeente, Beesd and Asperen (which follows Beesd) as real processes; Beesd moves as
    docs/hosting.md says, with a mail still queued and a project made at the new address
    before `bloei move`. No BLOEI_DEV: the commands take --dev, as serve does."""
    from process_helpers import PASSWORD, Node, running, wait_for

    from node.mail.queue import queue_mail
    from tests.test_mailer import SmtpServer

    smtp = SmtpServer().start()
    gemeente = Node(tmp_path / "gemeente", "Gemeente West Betuwe", role="gemeente")
    kern_env = {
        "BLOEI_GEMEENTE_ACTOR": gemeente.actor,
        "BLOEI_DELIVERY_RETRY_SECONDS": "1",
        "BLOEI_SMTP_HOST": "127.0.0.1",
        "BLOEI_SMTP_PORT": str(smtp.port),
        "BLOEI_SMTP_FROM": "noreply@beesd.test",
        "BLOEI_SMTP_STARTTLS": "false",
    }
    old = Node(tmp_path / "oud" / "beesd", "Beesd", **kern_env)
    new = Node(tmp_path / "nieuw" / "beesd", "Beesd", **kern_env)
    asperen = Node(tmp_path / "asperen", "Asperen", BLOEI_DELIVERY_RETRY_SECONDS="1")
    try:
        with running(gemeente, old, asperen):
            address = f"@beesd@127.0.0.1:{old.port}"
            response = gemeente.post("/beheer/kernen", address=address, rollout="pilot")
            assert response.status_code == 303, response.text
            response = asperen.post("/beheer/federatie/volgen", address=address)
            assert response.status_code == 303, response.text
            for node in (gemeente, asperen):
                wait_for(
                    lambda node=node: (
                        node.query("SELECT state FROM federation_following") == [("accepted",)]
                    ),
                    10,
                    f"Beesd to accept {node.name}",
                )

            # The old site is stopped with a confirmation mail still in its queue.
            old.stop()
            with sqlite3.connect(old.folder / "bloei.db") as conn:
                queue_mail(conn, "rsvp.confirm", "anna@example.org", "Tot dinsdag", "Welkom!")
            archive = tmp_path / "beesd-export.tar.gz"
            done = old.cli("export", str(archive))
            assert done.returncode == 0, done.stderr
            assert "1 queued mails go with the export" in done.stdout
            # Imported twice, as after "export and import again": the second time with --force.
            for extra in ((), ("--force",)):
                done = new.cli("import", str(archive), "--url", new.url, *extra)
                assert done.returncode == 0, done.stderr
            refused = new.cli("import", str(archive), "--url", new.url)
            assert refused.returncode == 1 and "use --force" in refused.stderr
            new.launch()
            try:
                new.wait_until_up()
                new.sign_in_with(PASSWORD)
                # The new node sends the mail the export took along.
                wait_for(lambda: len(smtp.messages) == 1, 20, "the queued mail to be sent")

                # A project made at the new address before the move: the followers do not
                # know the new actor yet and refuse it.
                title = "Bankjes langs de Linge"
                response = new.post(
                    "/beheer/projecten/nieuw",
                    title=title,
                    summary="Om even uit te rusten.",
                    phase="idee",
                    needs=["besluit_gemeente"],
                )
                assert response.status_code == 303, response.text
                wait_for(
                    lambda: new.query(
                        "SELECT 1 FROM federation_deliveries WHERE last_status = 403"
                    ),
                    10,
                    "a follower to refuse the new actor",
                )

                done = old.cli("move", "--dev", "--to", new.actor)
                assert done.returncode == 0, done.stderr
                assert "run bloei worker --dev to deliver" in done.stdout
                done = old.cli("worker", "--once", "--dev")
                assert done.returncode == 0, done.stderr

                # Both followers took the Move, followed the new actor, and got the project.
                slug = new.query("SELECT slug FROM projects WHERE title = ?", (title,))[0][0]
                project = f"{new.url}/projecten/{slug}"
                wait_for(lambda: has_received(asperen, project), 20, "the project to reach Asperen")
                wait_for(
                    lambda: gemeente.query(
                        "SELECT 1 FROM gemeente_projects WHERE object_id = ?", (project,)
                    ),
                    20,
                    "the project to reach the gemeente",
                )
                # The old node ran its mail job and sent nothing: the mail went out once.
                assert len(smtp.messages) == 1
                assert old.query("SELECT sent_at FROM mail_queue") == [(None,)]
                assert new.query("SELECT count(*) FROM mail_queue WHERE sent_at IS NOT NULL") == [
                    (1,)
                ]
            finally:
                new.stop()
                if new.http is not None:
                    new.http.close()
    finally:
        smtp.stop()


def has_received(node, object_id: str) -> bool:
    found = node.query("SELECT 1 FROM received_objects WHERE object_id = ?", (object_id,))
    return bool(found)
