"""The outbox: signed activities in order, paged newest first, and read after a position."""

from datetime import timedelta

import pytest
from federation_helpers import NOW, local_identity, open_store

from federation import followers, outbox, vocabulary
from federation.proofs import verify_document

OUTBOX = "https://beesd.example/actor/outbox"


@pytest.fixture
def identity():
    return local_identity()


@pytest.fixture
def db(tmp_path):
    return open_store(tmp_path / "node.db")


def note(identity, number):
    obj = {
        "id": f"https://beesd.example/nieuws/{number}",
        "type": "Note",
        "content": f"Bericht {number}",
    }
    return vocabulary.create(
        identity.actor_id,
        obj,
        activity_id=f"{identity.actor_id}/activities/{number}",
        published=NOW + timedelta(minutes=number),
    )


def publish_many(db, identity, count):
    def write(conn):
        return [outbox.publish(conn, identity, note(identity, n), NOW) for n in range(1, count + 1)]

    return db.write(write)


def keys_of(identity):
    return lambda method: {identity.proof_key_id: identity.keys.ed25519.public_key()}.get(method)


def test_a_published_activity_carries_a_proof_that_verifies(db, identity):
    [entry] = publish_many(db, identity, 1)
    stored = outbox.get_activity(db.conn, entry.activity_id)
    assert stored == entry.document
    assert stored["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert verify_document(stored, keys_of(identity)) == identity.proof_key_id


def test_a_changed_activity_no_longer_verifies(db, identity):
    [entry] = publish_many(db, identity, 1)
    tampered = {**entry.document, "object": {**entry.document["object"], "content": "Anders"}}
    with pytest.raises(Exception, match="bad_signature"):
        verify_document(tampered, keys_of(identity))


def test_only_the_local_actor_publishes_in_its_outbox(db, identity):
    foreign = {**note(identity, 1), "actor": "https://elders.example/actor"}
    with pytest.raises(ValueError):
        db.write(lambda conn: outbox.publish(conn, identity, foreign, NOW))


def test_nothing_is_published_when_the_transaction_fails(db, identity):
    def write(conn):
        outbox.publish(conn, identity, note(identity, 1), NOW)
        raise RuntimeError("the change itself failed")

    with pytest.raises(RuntimeError):
        db.write(write)
    assert outbox.last_position(db.conn) == 0


def test_the_collection_names_its_size_newest_position_and_first_page(db, identity):
    publish_many(db, identity, 3)
    doc = outbox.respond(db.conn, OUTBOX, {})
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 3
    assert doc["lastPosition"] == 3
    assert doc["first"] == OUTBOX + "?page=true"


def test_pages_are_newest_first_and_link_older_and_newer_pages(db, identity):
    publish_many(db, identity, 5)
    first = outbox.respond(db.conn, OUTBOX, {"page": "true", "size": "2"})
    assert [a["id"][-1] for a in first["orderedItems"]] == ["5", "4"]
    assert "prev" not in first
    assert first["next"] == OUTBOX + "?before=4"
    second = outbox.respond(db.conn, OUTBOX, {"before": "4", "size": "2"})
    assert [a["id"][-1] for a in second["orderedItems"]] == ["3", "2"]
    assert second["prev"] == OUTBOX + "?before=6"  # the page of 5 and 4
    last = outbox.respond(db.conn, OUTBOX, {"before": "2", "size": "2"})
    assert [a["id"][-1] for a in last["orderedItems"]] == ["1"] and "next" not in last
    assert last["prev"] == OUTBOX + "?before=4"


def test_catch_up_after_a_position_is_oldest_first_and_ends_where_it_says(db, identity):
    publish_many(db, identity, 5)
    page = outbox.respond(db.conn, OUTBOX, {"after": "2", "size": "2"})
    assert [a["id"][-1] for a in page["orderedItems"]] == ["3", "4"]
    assert page["lastPosition"] == 4 and page["next"] == OUTBOX + "?after=4"
    rest = outbox.respond(db.conn, OUTBOX, {"after": "4"})
    assert [a["id"][-1] for a in rest["orderedItems"]] == ["5"]
    assert rest["lastPosition"] == 5 and "next" not in rest
    empty = outbox.respond(db.conn, OUTBOX, {"after": "5"})
    assert empty["orderedItems"] == [] and empty["lastPosition"] == 5


def test_catch_up_from_zero_sees_every_activity_once(db, identity):
    publish_many(db, identity, 7)
    seen, after = [], 0
    while True:
        page = outbox.catch_up_page(db.conn, OUTBOX, after, size=3)
        seen += [a["id"] for a in page["orderedItems"]]
        after = page["lastPosition"]
        if "next" not in page:
            break
    assert seen == [f"{identity.actor_id}/activities/{n}" for n in range(1, 8)]


@pytest.mark.parametrize(
    "query",
    [
        {"after": "x"},
        {"before": "-1"},
        {"page": "false"},
        {"size": "0"},
        {"size": "101"},
        {"after": "1", "before": "2"},
        {"cursor": "1"},
    ],
)
def test_bad_outbox_queries_are_refused(db, query):
    with pytest.raises(outbox.OutboxQueryError):
        outbox.respond(db.conn, OUTBOX, query)


def test_fan_out_merges_shared_inboxes_and_skips_followers_not_accepted(db, identity):
    def follow(conn):
        for n, (inbox, shared, state) in enumerate(
            [
                ("https://m.example/users/a/inbox", "https://m.example/inbox", "accepted"),
                ("https://m.example/users/b/inbox", "https://m.example/inbox", "accepted"),
                ("https://gemeente.example/actor/inbox", None, "accepted"),
                ("https://wacht.example/inbox", None, "pending"),
                ("https://nee.example/inbox", None, "rejected"),
            ]
        ):
            followers.save_follower(conn, f"https://x{n}.example/actor", inbox, shared, state, NOW)

    db.write(follow)
    [entry] = publish_many(db, identity, 1)
    inboxes = [
        r[0]
        for r in db.conn.execute(
            "SELECT inbox FROM federation_deliveries WHERE activity_id = ? ORDER BY inbox",
            (entry.activity_id,),
        )
    ]
    assert inboxes == ["https://gemeente.example/actor/inbox", "https://m.example/inbox"]


def test_resigning_after_a_rotation_makes_old_activities_verify_with_the_new_key(db, identity):
    from federation_helpers import key_pair

    from federation.identity import LocalIdentity

    publish_many(db, identity, 2)
    rotated = LocalIdentity(identity.actor_id, key_pair("rotated"))
    assert db.write(outbox.resign, rotated, NOW) == 2
    for entry in outbox.entries_after(db.conn, 0):
        verify_document(entry.document, keys_of(rotated))
