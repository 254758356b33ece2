"""The inbox: verification, de-duplication, dispatch, and the Follow protocol."""

import json
from datetime import timedelta

import httpx
import pytest
from federation_helpers import (
    NOW,
    Remote,
    key_pair,
    local_identity,
    open_store,
    resolver,
    serve_documents,
)

from federation import delivery, followers, follows, store
from federation.addresses import AddressPolicy
from federation.dispatch import InboxRefusal
from federation.fetch import Fetcher
from federation.inbox import MAX_BODY_BYTES, BodyTooLarge, Inbox, InboxRequest, read_body
from federation.keycache import KeyCache

SHARED_INBOX = "https://beesd.example/inbox"


class Node:
    """A kern's inbox with a recording Create handler and a fake internet of actor documents."""

    def __init__(self, tmp_path, rules=None, refetch_interval=timedelta(minutes=5)):
        self.identity = local_identity()
        self.db = open_store(tmp_path / "kern.db")
        self.documents = {}
        self.requests = []
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(serve_documents(self.documents, self.requests))
        )
        fetcher = Fetcher(
            client, AddressPolicy(resolver=resolver()), auth=self.identity.http_auth()
        )
        self.keys = KeyCache(self.db, fetcher, refetch_interval=refetch_interval)
        self.created = []
        self.handlers = follows.default_handlers(rules)
        self.handlers.register("Create", lambda ctx: self.created.append(ctx.activity["id"]))
        self.inbox = Inbox(self.db, self.identity, self.keys, self.handlers)

    def publish_actor(self, remote, keys=None):
        self.documents[remote.id] = remote.document(keys)

    async def post(self, remote, activity, now=NOW, **sign):
        target, headers, body = remote.signed_post(SHARED_INBOX, activity, now=now, **sign)
        return await self.inbox.receive(InboxRequest("POST", target, headers, body), now=now)

    def follower(self, remote, state="accepted"):
        self.db.write(
            followers.save_follower, remote.id, remote.inbox, remote.shared_inbox, state, NOW
        )

    def jobs(self):
        return [
            (r["inbox"], json.loads(r["body"]))
            for r in store.rows(self.db.conn, "SELECT inbox, body FROM federation_deliveries")
        ]


@pytest.fixture
def node(tmp_path):
    return Node(tmp_path)


@pytest.fixture
def gemeente(node):
    remote = Remote("gemeente.example")
    node.publish_actor(remote)
    return remote


def note(remote, number=1):
    return remote.activity(
        "Create", {"id": f"{remote.id}/reacties/{number}", "type": "Note"}, number
    )


# --- refusals ----------------------------------------------------------------------------------


async def test_an_unsigned_request_is_refused(node, gemeente):
    body = delivery.encode(note(gemeente))
    response = await node.inbox.receive(
        InboxRequest(
            "POST",
            "/inbox",
            {"Host": "beesd.example", "Content-Type": "application/activity+json"},
            body,
        ),
        now=NOW,
    )
    assert (response.status, response.reason) == (401, "unsigned")


async def test_a_request_signed_with_another_actors_key_is_refused(node, gemeente):
    elders = Remote("elders.example", "elders", "Group")
    node.publish_actor(elders)
    node.follower(gemeente)
    response = await node.post(
        gemeente, note(gemeente), keys=elders.identity.keys, key_id=elders.identity.main_key_id
    )
    assert (response.status, response.reason) == (401, "other_key")
    assert node.created == []


async def test_a_request_signed_with_a_key_that_is_not_the_published_one_is_refused(node, gemeente):
    node.follower(gemeente)
    response = await node.post(gemeente, note(gemeente), keys=key_pair("forger"))
    assert (response.status, response.reason) == (401, "bad_signature")


async def test_a_tampered_body_is_refused(node, gemeente):
    node.follower(gemeente)
    target, headers, body = gemeente.signed_post(SHARED_INBOX, note(gemeente))
    changed = body.replace(b"Note", b"Page")
    response = await node.inbox.receive(InboxRequest("POST", target, headers, changed), now=NOW)
    assert (response.status, response.reason) == (401, "tampered")
    # A new Digest for the changed body does not help: the signature covers the old one.
    from federation.signatures import digest_header

    headers = {**headers, "Digest": digest_header(changed)}
    response = await node.inbox.receive(InboxRequest("POST", target, headers, changed), now=NOW)
    assert (response.status, response.reason) == (401, "bad_signature")
    assert node.created == []


@pytest.mark.parametrize("skew", [timedelta(hours=-2), timedelta(hours=2)])
async def test_a_stale_or_future_date_is_refused(node, gemeente, skew):
    node.follower(gemeente)
    target, headers, body = gemeente.signed_post(SHARED_INBOX, note(gemeente), now=NOW + skew)
    response = await node.inbox.receive(InboxRequest("POST", target, headers, body), now=NOW)
    assert (response.status, response.reason) == (401, "stale")


async def test_a_date_within_the_hour_is_accepted(node, gemeente):
    node.follower(gemeente)
    target, headers, body = gemeente.signed_post(
        SHARED_INBOX, note(gemeente), now=NOW - timedelta(minutes=50)
    )
    response = await node.inbox.receive(InboxRequest("POST", target, headers, body), now=NOW)
    assert response.status == 202


async def test_a_body_over_one_mebibyte_is_refused_with_413(node, gemeente):
    activity = note(gemeente)
    activity["object"]["content"] = "x" * MAX_BODY_BYTES
    response = await node.post(gemeente, activity)
    assert (response.status, response.reason) == (413, "too_large")


async def test_reading_a_streamed_body_stops_past_the_limit():
    async def stream():
        for _ in range(5):
            yield b"x" * 300_000

    with pytest.raises(BodyTooLarge):
        await read_body(stream())

    async def small():
        yield b"{}"

    assert await read_body(small()) == b"{}"


async def test_a_body_that_is_not_an_activity_is_refused(node, gemeente):
    response = await node.post(gemeente, b'["not", "an", "activity"]')
    assert response.status == 400


async def test_an_activity_id_on_another_origin_is_refused(node, gemeente):
    node.follower(gemeente)
    activity = {**note(gemeente), "id": "https://beesd.example/activities/stolen"}
    response = await node.post(gemeente, activity)
    assert (response.status, response.reason) == (400, "foreign_id")


async def test_a_stranger_may_follow_but_not_post(node, gemeente):
    response = await node.post(gemeente, note(gemeente))
    assert (response.status, response.reason) == (403, "unknown_sender")
    assert node.created == []


# --- de-duplication and dispatch ---------------------------------------------------------------


async def test_an_activity_is_dispatched_once_however_often_it_arrives(node, gemeente):
    node.follower(gemeente)
    first = await node.post(gemeente, note(gemeente))
    assert (first.status, first.reason, first.dispatched) == (202, "accepted", True)
    replay = await node.post(gemeente, note(gemeente))  # signed anew: a retry, or a replay
    assert (replay.status, replay.reason, replay.dispatched) == (202, "duplicate", False)
    target, headers, body = gemeente.signed_post(SHARED_INBOX, note(gemeente))
    for _ in range(2):  # the very same request again
        again = await node.inbox.receive(InboxRequest("POST", target, headers, body), now=NOW)
        assert again.reason == "duplicate"
    assert node.created == [note(gemeente)["id"]]


async def test_a_type_without_a_handler_is_ignored_with_202(node, gemeente):
    node.follower(gemeente)
    response = await node.post(gemeente, gemeente.activity("Like", "https://beesd.example/p/1"))
    assert (response.status, response.reason) == (202, "ignored")


async def test_a_refusing_handler_leaves_no_trace(node, gemeente):
    node.follower(gemeente)

    def refuse(ctx):
        raise InboxRefusal(403, "not from our gemeente")

    node.handlers.register("Create", refuse)
    response = await node.post(gemeente, note(gemeente))
    assert (response.status, response.reason) == (403, "not from our gemeente")
    assert node.db.conn.execute("SELECT count(*) FROM federation_seen").fetchone()[0] == 0


async def test_rfc9421_signatures_are_accepted_too(node, gemeente):
    from federation.signatures import sign_rfc9421

    node.follower(gemeente)
    body = delivery.encode(note(gemeente))
    headers = {"Host": "beesd.example", "Content-Type": "application/activity+json"}
    headers.update(
        sign_rfc9421(
            "POST",
            SHARED_INBOX,
            gemeente.identity.main_key_id,
            gemeente.identity.keys.rsa,
            body=body,
            headers=headers,
            now=NOW,
        )
    )
    response = await node.inbox.receive(InboxRequest("POST", "/inbox", headers, body), now=NOW)
    assert response.status == 202 and node.created


# --- following ---------------------------------------------------------------------------------


async def test_a_follow_is_accepted_and_the_accept_is_queued(node, gemeente):
    follow = gemeente.activity("Follow", node.identity.actor_id)
    response = await node.post(gemeente, follow)
    assert response.status == 202
    assert followers.get_follower(node.db.conn, gemeente.id).state == "accepted"
    [(inbox, accept)] = node.jobs()
    assert inbox == gemeente.inbox
    assert accept["type"] == "Accept" and accept["actor"] == node.identity.actor_id
    assert accept["object"]["id"] == follow["id"] and "proof" in accept


async def test_under_manual_approval_a_follow_waits_until_beheer_approves(tmp_path):
    node = Node(tmp_path, follows.FollowRules(policy=follows.manual_approval))
    mastodon = Remote("mastodon.example", "anna", "Group")
    node.publish_actor(mastodon)
    await node.post(mastodon, mastodon.activity("Follow", node.identity.actor_id))
    assert followers.get_follower(node.db.conn, mastodon.id).state == "pending"
    assert node.jobs() == []
    assert node.db.write(follows.approve, node.identity, mastodon.id, NOW)
    [(_, accept)] = node.jobs()
    assert accept["type"] == "Accept" and accept["object"]["actor"] == mastodon.id
    assert followers.delivery_inboxes(node.db.conn) == [mastodon.shared_inbox]


async def test_the_configured_gemeente_is_accepted_even_under_manual_approval(tmp_path):
    gemeente = Remote("gemeente.example")
    rules = follows.FollowRules(policy=follows.manual_approval, trusted=frozenset({gemeente.id}))
    node = Node(tmp_path, rules)
    node.publish_actor(gemeente)
    await node.post(gemeente, gemeente.activity("Follow", node.identity.actor_id))
    assert followers.get_follower(node.db.conn, gemeente.id).state == "accepted"
    assert [job["type"] for _, job in node.jobs()] == ["Accept"]


async def test_a_policy_can_reject_and_the_reject_is_queued(tmp_path):
    node = Node(tmp_path, follows.FollowRules(policy=lambda conn, actor: "reject"))
    gemeente = Remote("gemeente.example")
    node.publish_actor(gemeente)
    await node.post(gemeente, gemeente.activity("Follow", node.identity.actor_id))
    assert followers.get_follower(node.db.conn, gemeente.id).state == "rejected"
    assert [job["type"] for _, job in node.jobs()] == ["Reject"]


async def test_a_follow_of_someone_else_is_refused(node, gemeente):
    response = await node.post(
        gemeente, gemeente.activity("Follow", "https://elders.example/actor")
    )
    assert response.status == 422


async def test_undo_of_a_follow_removes_the_follower(node, gemeente):
    follow = gemeente.activity("Follow", node.identity.actor_id)
    await node.post(gemeente, follow)
    undo = gemeente.activity("Undo", {k: v for k, v in follow.items() if k != "@context"})
    assert (await node.post(gemeente, undo)).status == 202
    assert followers.get_follower(node.db.conn, gemeente.id) is None


async def test_undo_naming_only_the_follow_id_removes_the_follower(node, gemeente):
    follow = gemeente.activity("Follow", node.identity.actor_id)
    await node.post(gemeente, follow)
    await node.post(gemeente, gemeente.activity("Undo", follow["id"], 2))
    assert followers.get_follower(node.db.conn, gemeente.id) is None


async def test_accept_and_reject_settle_our_own_follow(node, gemeente):
    follow_id = node.db.write(follows.follow, node.identity, gemeente.remote_actor(), NOW)
    [(inbox, sent)] = node.jobs()
    assert inbox == gemeente.inbox and sent["type"] == "Follow" and sent["object"] == gemeente.id
    follow = {
        "id": follow_id,
        "type": "Follow",
        "actor": node.identity.actor_id,
        "object": gemeente.id,
    }
    assert (await node.post(gemeente, gemeente.activity("Accept", follow))).status == 202
    assert followers.get_following(node.db.conn, gemeente.id).state == "accepted"
    await node.post(gemeente, gemeente.activity("Reject", follow_id, 2))
    assert followers.get_following(node.db.conn, gemeente.id).state == "rejected"


async def test_an_accept_from_someone_we_did_not_follow_changes_nothing(node, gemeente):
    await node.post(
        gemeente, gemeente.activity("Accept", "https://beesd.example/actor/activities/x")
    )
    assert followers.list_following(node.db.conn) == []


# --- keys --------------------------------------------------------------------------------------


async def test_a_rotated_key_is_refetched_once_and_then_verifies(node, gemeente):
    node.follower(gemeente)
    assert (await node.post(gemeente, note(gemeente, 1))).status == 202  # caches the old key
    fetched = node.keys.fetches
    rotated = key_pair("gemeente-rotated")
    node.publish_actor(gemeente, rotated)
    response = await node.post(gemeente, note(gemeente, 2), keys=rotated)
    assert response.status == 202
    assert node.keys.fetches == fetched + 1


async def test_failed_checks_refetch_at_most_once_per_interval(node, gemeente):
    node.follower(gemeente)
    await node.post(gemeente, note(gemeente, 1))
    fetched = node.keys.fetches
    forger = key_pair("forger")
    for number in (2, 3, 4):
        response = await node.post(gemeente, note(gemeente, number), keys=forger)
        assert response.status == 401
    assert node.keys.fetches == fetched + 1  # the first failure refetched, the others did not
    later = NOW + timedelta(minutes=6)
    await node.post(gemeente, note(gemeente, 5), now=later, keys=forger)
    assert node.keys.fetches == fetched + 2


async def test_keys_are_parsed_once_and_kept_across_restarts(tmp_path, gemeente):
    node = Node(tmp_path)
    node.publish_actor(gemeente)
    node.follower(gemeente)
    for number in (1, 2, 3):
        await node.post(gemeente, note(gemeente, number))
    assert node.keys.fetches == 1
    assert node.keys.parses == 2  # the RSA and the Ed25519 key, once each, not per request
    restarted = Node(tmp_path)  # same database file, empty memory, nothing served
    response = await restarted.post(gemeente, note(gemeente, 4))
    assert response.status == 202 and restarted.keys.fetches == 0


async def test_an_update_of_the_senders_actor_brings_its_new_key(node, gemeente):
    node.follower(gemeente)
    await node.post(gemeente, note(gemeente, 1))
    rotated = key_pair("gemeente-rotated")
    update = gemeente.activity("Update", gemeente.document(rotated), 2)
    assert (await node.post(gemeente, update)).status == 202  # signed with the old key
    fetched = node.keys.fetches
    assert (await node.post(gemeente, note(gemeente, 3), keys=rotated)).status == 202
    assert node.keys.fetches == fetched  # no fetch needed


async def test_a_mastodon_person_can_follow_and_unfollow(node):
    """Shapes as Mastodon sends them: a Person with a shared inbox, Follow with a bare id."""
    anna = Remote("mastodon.example", "anna", "Group")
    person = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "https://mastodon.example/users/anna",
        "type": "Person",
        "preferredUsername": "anna",
        "inbox": "https://mastodon.example/users/anna/inbox",
        "outbox": "https://mastodon.example/users/anna/outbox",
        "followers": "https://mastodon.example/users/anna/followers",
        "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
        "publicKey": {
            "id": "https://mastodon.example/users/anna#main-key",
            "owner": "https://mastodon.example/users/anna",
            "publicKeyPem": anna.document()["publicKey"]["publicKeyPem"],
        },
    }
    node.documents[person["id"]] = person
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/1f6c1e0a-9d4b-4c8e-a0f5-7f8b1e2d3c4b",
        "type": "Follow",
        "actor": person["id"],
        "object": node.identity.actor_id,
    }
    key_id = person["publicKey"]["id"]
    assert (await node.post(anna, follow, key_id=key_id)).status == 202
    assert followers.delivery_inboxes(node.db.conn) == ["https://mastodon.example/inbox"]
    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/users/anna#follows/1234/undo",
        "type": "Undo",
        "actor": person["id"],
        "object": {k: v for k, v in follow.items() if k != "@context"},
    }
    assert (await node.post(anna, undo, key_id=key_id)).status == 202
    assert followers.list_followers(node.db.conn) == []


async def test_an_account_address_is_discovered_through_webfinger(node, gemeente):
    from federation import actors

    node.documents[
        "https://gemeente.example/.well-known/webfinger?resource=acct:gemeente@gemeente.example"
    ] = actors.webfinger(gemeente.profile, gemeente.profile.acct)
    found = await node.keys.discover("@gemeente@gemeente.example", NOW)
    assert found.id == gemeente.id and found.inbox == gemeente.inbox
    assert node.keys.actor(gemeente.id) == found


async def test_handlers_can_tell_whether_an_object_belongs_to_the_sender(node, gemeente):
    node.follower(gemeente)
    seen = []
    node.handlers.register(
        "Update",
        lambda ctx: seen.append((ctx.owns(ctx.object_id), ctx.owns("https://beesd.example/p/1"))),
    )
    await node.post(
        gemeente, gemeente.activity("Update", {"id": f"{gemeente.id}/reacties/1", "type": "Note"})
    )
    assert seen == [(True, False)]
