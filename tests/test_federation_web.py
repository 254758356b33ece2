"""The kern's federation addresses, inbox, deliveries and beheer, in-process.

Other servers are an httpx.MockTransport (`FakeServers`): a Mastodon account shaped like
Mastodon's own payloads, and a second Bloei kern. Names resolve to a public address through an
injected resolver, so the node runs in production mode (https only, public addresses only).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from federation import addresses, delivery, followers, vocabulary
from federation.addresses import AddressPolicy
from federation.fetch import FetchError
from federation.keys import PublicKeyInfo
from federation.signatures import sign_cavage, verify_request
from node.app import create_app
from node.kern.federation import received
from tests.conftest import BASE_URL
from tests.federation.federation_helpers import Remote, key_pair, resolver
from tests.helpers import THEMA, add_thema
from tests.idea_helpers import add_news
from tests.meeting_helpers import add_meeting

ACTOR = f"{BASE_URL}/actor"
INBOX = f"{BASE_URL}/actor/inbox"
AS_JSON = {"Accept": "application/activity+json"}
LD_JSON = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}

# A Mastodon account, as Mastodon 4 publishes it.
ANNA = "https://mastodon.example/users/anna"
ANNA_KEYS = key_pair("mastodon.example")


def anna_document() -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers", "toot": "http://joinmastodon.org/ns#"},
        ],
        "id": ANNA,
        "type": "Person",
        "following": f"{ANNA}/following",
        "followers": f"{ANNA}/followers",
        "inbox": f"{ANNA}/inbox",
        "outbox": f"{ANNA}/outbox",
        "preferredUsername": "anna",
        "name": "Anna",
        "url": "https://mastodon.example/@anna",
        "manuallyApprovesFollowers": False,
        "publicKey": {
            "id": f"{ANNA}#main-key",
            "owner": ANNA,
            "publicKeyPem": PublicKeyInfo.of(ANNA_KEYS).rsa_pem,
        },
        "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
    }  # fmt: skip


def mastodon_follow(number: int = 1) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ANNA}#follows/{number}",
        "type": "Follow",
        "actor": ANNA,
        "object": ACTOR,
    }


class FakeServers:
    """Every other server: documents served by URL, and what the kern POSTs to them. Like
    Mastodon before 4.4, they read only draft-cavage signatures: a POST signed with RFC 9421
    is refused (and kept in `refused`), the kern's second knock is taken (`posts`)."""

    def __init__(self) -> None:
        self.documents: dict[str, dict] = {ANNA: anna_document()}
        self.posts: list[httpx.Request] = []
        self.refused: list[httpx.Request] = []
        self.gets: list[httpx.Request] = []
        self.answer = 202

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "signature-input" in request.headers:
            self.refused.append(request)
            return httpx.Response(401, json={"error": "Verification failed"})
        if request.method == "POST":
            self.posts.append(request)
            return httpx.Response(self.answer)
        self.gets.append(request)
        url = str(request.url).split("#")[0]
        if url not in self.documents:
            return httpx.Response(404)
        media = "application/jrd+json" if "/.well-known/" in url else "application/activity+json"
        return httpx.Response(200, json=self.documents[url], headers={"Content-Type": media})

    def posted(self, to: str) -> list[dict]:
        return [json.loads(r.content) for r in self.posts if str(r.url) == to]


@pytest.fixture
def servers(app) -> FakeServers:
    fake = FakeServers()
    federation = app.state.federation
    federation.use_transport(httpx.MockTransport(fake.handler))
    federation.policy = AddressPolicy(resolver=resolver())
    return fake


def signed_by(
    activity: dict | bytes,
    keys=ANNA_KEYS,
    key_id: str = f"{ANNA}#main-key",
    now: datetime | None = None,
    url: str = INBOX,
) -> tuple[dict, bytes]:
    body = activity if isinstance(activity, bytes) else delivery.encode(activity)
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_cavage(
            "POST", url, key_id, keys.rsa, body=body, headers=headers, now=now or datetime.now(UTC)
        )
    )
    return headers, body


async def post_inbox(client, activity, **options) -> httpx.Response:
    headers, body = signed_by(activity, **options)
    return await client.post("/actor/inbox", content=body, headers=headers)


def jobs(db, inbox: str | None = None) -> list[dict]:
    found = db.execute("SELECT inbox, body FROM federation_deliveries ORDER BY id")
    return [json.loads(j["body"]) for j in found if inbox is None or j["inbox"] == inbox]


# --- discovery ---------------------------------------------------------------------------------


async def test_webfinger_finds_the_kern_and_answers_the_same_for_its_own_subject(client):
    response = await client.get("/.well-known/webfinger?resource=acct:Beesd@beesd.test")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    jrd = response.json()
    assert jrd["subject"] == "acct:beesd@beesd.test"
    assert {"rel": "self", "type": "application/activity+json", "href": ACTOR} in jrd["links"]
    again = await client.get("/.well-known/webfinger", params={"resource": jrd["subject"]})
    assert again.json() == jrd


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?resource=acct:anders@beesd.test", 404),
        ("?resource=acct:beesd@elders.test", 404),
        ("", 400),
    ],
)
async def test_webfinger_answers_others_with_a_problem(client, query, status):
    response = await client.get(f"/.well-known/webfinger{query}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_nodeinfo_says_which_software_runs_here(client, db, settings):
    add_thema(db, settings)
    discovery = (await client.get("/.well-known/nodeinfo")).json()
    [link] = discovery["links"]
    assert link["href"] == f"{BASE_URL}/nodeinfo/2.1"
    response = await client.get("/nodeinfo/2.1")
    assert "schema/2.1#" in response.headers["content-type"]
    info = response.json()
    assert info["software"]["name"] == "bloei" and info["protocols"] == ["activitypub"]
    assert info["usage"]["localPosts"] == 1 and info["metadata"]["role"] == "kern"


async def test_the_actor_is_a_group_with_both_keys(client, app):
    response = await client.get("/actor")
    assert response.headers["content-type"] == "application/activity+json"
    actor = response.json()
    identity = app.state.federation.publisher.identity
    assert actor["type"] == "Group" and actor["id"] == ACTOR
    assert actor["preferredUsername"] == "beesd"
    assert actor["inbox"] == INBOX and actor["endpoints"]["sharedInbox"] == f"{BASE_URL}/inbox"
    assert actor["publicKey"]["publicKeyPem"] == identity.public_keys().rsa_pem
    assert actor["assertionMethod"][0]["id"] == f"{ACTOR}#ed25519-key"
    assert actor["manuallyApprovesFollowers"] is False


# --- content negotiation -----------------------------------------------------------------------


async def test_an_object_page_answers_with_its_object_to_activitypub_clients(client, db, settings):
    slug = add_thema(db, settings)
    path = f"/agenda/themas/{slug}"

    for accept in (AS_JSON, LD_JSON):
        response = await client.get(path, headers=accept)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/activity+json"
        assert "Accept" in [name.strip() for name in response.headers["vary"].split(",")]
        thema = response.json()
        assert thema["id"] == settings.url(path) and thema["type"] == ["Page", "Thema"]
        assert thema["@context"] == vocabulary.CONTEXT
    # The page cache keys on Accept: the HTML of the same address is still the page.
    page = await client.get(path)
    assert page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    home = await client.get("/", headers=AS_JSON)
    assert home.json()["id"] == ACTOR


async def test_a_removed_object_answers_gone_with_its_tombstone(client, db, settings):
    from node.kern.agenda import model as agenda

    slug = add_thema(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    db.write(agenda.remove_thema, settings, "test", thema_id)
    response = await client.get(f"/agenda/themas/{slug}", headers=AS_JSON)
    assert response.status_code == 410
    assert response.json()["type"] == "Tombstone"
    missing = await client.get("/projecten/bestaat-niet", headers=AS_JSON)
    assert missing.status_code == 404


# --- the outbox and collections ----------------------------------------------------------------


async def test_the_outbox_pages_catches_up_and_refuses_what_it_does_not_know(client, db, settings):
    for number in range(3):
        add_thema(db, settings, title=f"Thema {number}")
    collection = (await client.get("/actor/outbox")).json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 3
    newest = (await client.get("/actor/outbox?page=true&size=2")).json()
    assert [a["object"]["name"] for a in newest["orderedItems"]] == ["Thema 2", "Thema 1"]
    after = (await client.get("/actor/outbox?after=1")).json()
    assert [a["object"]["name"] for a in after["orderedItems"]] == ["Thema 1", "Thema 2"]
    assert after["lastPosition"] == 3
    for bad in ("?after=x", "?wat=1", "?size=1000"):
        response = await client.get(f"/actor/outbox{bad}")
        assert response.status_code == 400, bad
    activity = newest["orderedItems"][0]
    one = await client.get(activity["id"].removeprefix(BASE_URL))
    assert one.json() == activity
    assert (await client.get("/actor/activities/onbekend")).status_code == 404


async def test_the_followers_collection_shows_a_count_and_is_always_revalidated(client, db):
    def add(conn):
        followers.save_follower(conn, ANNA, f"{ANNA}/inbox", None, "accepted", datetime.now(UTC))

    db.write_quiet(add)
    response = await client.get("/actor/followers")
    assert response.json()["totalItems"] == 1
    # Follows do not bump the data version: no copy in the page cache, a 304 by its ETag.
    assert response.headers["cache-control"] == "no-cache, private"
    assert (await client.get("/actor/following")).json()["totalItems"] == 0


# --- a Mastodon account follows the kern -------------------------------------------------------


async def test_a_mastodon_follow_is_accepted_and_new_meetings_and_news_are_announced(
    client, db, settings, servers
):
    # Given a Follow shaped like Mastodon's.
    response = await post_inbox(client, mastodon_follow())
    assert response.status_code == 202

    # Then an Accept of that Follow waits for Anna's own inbox.
    [accept] = jobs(db, f"{ANNA}/inbox")
    assert accept["type"] == "Accept" and accept["object"]["id"] == f"{ANNA}#follows/1"
    assert followers.is_follower(db.read(), ANNA)
    # The actor was fetched with a signed GET (authorized fetch), RFC 9421 first.
    assert '("@method" "@target-uri" "@authority")' in servers.gets[0].headers["signature-input"]

    # When the kern publishes a meeting, a bericht and a thema.
    _, meeting = add_meeting(db, settings)
    news_slug = add_news(db, settings)
    add_thema(db, settings)

    # Then the server's shared inbox gets Create and Announce of the meeting and the bericht.
    sent = jobs(db, "https://mastodon.example/inbox")
    assert [(a["type"], a["object"]["id"]) for a in sent] == [
        ("Create", settings.url(f"/bijeenkomsten/{meeting}")),
        ("Announce", settings.url(f"/bijeenkomsten/{meeting}")),
        ("Create", settings.url(f"/nieuws/{news_slug}")),
        ("Announce", settings.url(f"/nieuws/{news_slug}")),
        ("Create", settings.url("/agenda/themas/verkeer-en-vervoer")),
    ]


async def test_deliveries_are_signed_the_way_mastodon_checks_them(
    client, app, db, settings, servers
):
    await post_inbox(client, mastodon_follow())
    add_news(db, settings)

    report = await app.state.federation.deliver()

    assert report.done == 3 and report.failed == 0
    actor = (await client.get("/actor")).json()
    public_key = load_pem_public_key(actor["publicKey"]["publicKeyPem"].encode())
    for request in servers.posts:
        # Checked by hand, as Mastodon does, not with federation/'s own verifier.
        fields = dict(
            part.split("=", 1) for part in request.headers["signature"].replace('"', "").split(",")
        )
        assert fields["keyId"] == f"{ACTOR}#main-key" and fields["algorithm"] == "rsa-sha256"
        assert fields["headers"] == "(request-target) host date digest"
        body_hash = base64.b64encode(hashlib.sha256(request.content).digest()).decode()
        assert request.headers["digest"] == f"SHA-256={body_hash}"
        lines = [
            f"(request-target): post {request.url.raw_path.decode()}",
            f"host: {request.headers['host']}",
            f"date: {request.headers['date']}",
            f"digest: {request.headers['digest']}",
        ]
        public_key.verify(
            base64.b64decode(fields["signature"] + "=" * (-len(fields["signature"]) % 4)),
            "\n".join(lines).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        assert request.headers["content-type"] == "application/activity+json"
    assert db.scalar("SELECT count(*) FROM federation_deliveries WHERE status = 'done'") == 3


async def test_a_follow_signed_with_rfc_9421_by_another_implementation_is_accepted(
    client, db, servers
):
    body = delivery.encode(mastodon_follow(2))
    request = httpx.Request(
        "POST", INBOX, content=body, headers={"Content-Type": "application/activity+json"}
    )
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={f"{ANNA}#main-key": ANNA_KEYS.rsa}
        ),
    )
    signer.sign(
        request,
        key_id=f"{ANNA}#main-key",
        covered_component_ids=("@method", "@target-uri", "content-digest"),
        body=body,
    )
    response = await client.post("/actor/inbox", content=body, headers=dict(request.headers))
    assert response.status_code == 202, response.text
    assert followers.is_follower(db.read(), ANNA)


async def test_the_inbox_refuses_unsigned_tampered_stale_and_oversized_requests(
    client, db, servers
):
    follow = mastodon_follow()
    unsigned = await client.post("/actor/inbox", json=follow)
    assert unsigned.status_code == 401 and unsigned.json()["detail"] == "unsigned"
    headers, body = signed_by(follow)
    tampered = await client.post(
        "/inbox", content=body.replace(b"follows/1", b"follows/2"), headers=headers
    )
    assert tampered.status_code == 401 and tampered.json()["detail"] == "tampered"
    stale = await post_inbox(client, follow, now=datetime.now(UTC) - timedelta(hours=2))
    assert stale.status_code == 401 and stale.json()["detail"] == "stale"
    huge = await post_inbox(client, {**follow, "padding": "x" * (1024 * 1024)})
    assert huge.status_code == 413
    assert not followers.is_follower(db.read(), ANNA)


async def test_a_replayed_follow_is_answered_once(client, db, servers):
    headers, body = signed_by(mastodon_follow())
    first = await client.post("/actor/inbox", content=body, headers=headers)
    again = await client.post("/actor/inbox", content=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert len(jobs(db, f"{ANNA}/inbox")) == 1


# --- approving follows by hand -----------------------------------------------------------------


async def test_with_manual_approval_a_follow_waits_for_a_beheerder(admin, db, servers):
    client, csrf = admin
    response = await client.post(
        "/beheer/federatie/goedkeuren", data={"follow_approval": "manual", "csrf": csrf}
    )
    assert response.status_code == 303
    assert (await client.get("/actor")).json()["manuallyApprovesFollowers"] is True

    assert (await post_inbox(client, mastodon_follow())).status_code == 202
    assert followers.get_follower(db.read(), ANNA).state == "pending"
    assert jobs(db) == []
    page = await client.get("/beheer/federatie")
    assert "wacht op goedkeuring" in page.text and "Anna" in page.text

    response = await client.post(
        "/beheer/federatie/volgers", data={"actor": ANNA, "action": "accepteren", "csrf": csrf}
    )
    assert response.status_code == 303
    assert followers.get_follower(db.read(), ANNA).state == "accepted"
    [accept] = jobs(db, f"{ANNA}/inbox")
    assert accept["type"] == "Accept"
    assert db.one("SELECT * FROM audit_log WHERE action = 'federatie.volger.accepteren'")


async def test_the_gemeente_is_accepted_even_with_manual_approval(settings, db):
    gemeente = Remote("gemeente.example")
    app = create_app(
        settings.with_changes(gemeente_actor=gemeente.id, follow_approval="manual"), db
    )
    fake = FakeServers()
    fake.documents[gemeente.id] = gemeente.document()
    app.state.federation.use_transport(httpx.MockTransport(fake.handler))
    app.state.federation.policy = AddressPolicy(resolver=resolver())
    follow = gemeente.activity("Follow", ACTOR)
    _target, headers, body = gemeente.signed_post(INBOX, follow, now=datetime.now(UTC))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.post("/actor/inbox", content=body, headers=headers)
    assert response.status_code == 202
    assert followers.get_follower(db.read(), gemeente.id).state == "accepted"


# --- content from kernen this kern follows -----------------------------------------------------


@pytest.fixture
def beek(db, servers) -> Remote:
    """Another kern this kern follows (accepted)."""
    kern = Remote("beek.example", "beek", "Group")
    servers.documents[kern.id] = kern.document()

    def follow(conn):
        followers.save_following(
            conn,
            kern.id,
            kern.inbox,
            f"{ACTOR}/activities/f1",
            datetime.now(UTC),
            state="accepted",
        )

    db.write_quiet(follow)
    return kern


def thema_of(kern: Remote, name: str = "Wonen", host: str | None = None) -> dict:
    return {
        "id": f"https://{host or kern.host}/agenda/themas/wonen",
        "type": ["Page", "Thema"],
        "name": name,
        "attributedTo": kern.id,
    }


async def send(client, kern: Remote, kind: str, obj, number: int) -> httpx.Response:
    activity = kern.activity(kind, obj, number)
    _target, headers, body = kern.signed_post(INBOX, activity, now=datetime.now(UTC))
    return await client.post("/actor/inbox", content=body, headers=headers)


async def test_what_a_followed_kern_publishes_is_kept_and_changes_only_by_its_owner(
    client, db, beek, servers
):
    assert (await send(client, beek, "Create", thema_of(beek), 1)).status_code == 202
    assert received.get(db.read(), thema_of(beek)["id"])["name"] == "Wonen"
    assert (await send(client, beek, "Update", thema_of(beek, "Wonen!"), 2)).status_code == 202
    assert received.get(db.read(), thema_of(beek)["id"])["name"] == "Wonen!"

    # Another kern we follow may not create or change Beek's objects.
    mierlo = Remote("mierlo.example", "mierlo", "Group")
    servers.documents[mierlo.id] = mierlo.document()
    db.write_quiet(
        lambda conn: followers.save_following(
            conn, mierlo.id, mierlo.inbox, "x", datetime.now(UTC), state="accepted"
        )
    )
    foreign = thema_of(beek, "Gekaapt")
    assert (await send(client, mierlo, "Update", foreign, 1)).status_code == 403
    assert (await send(client, mierlo, "Delete", foreign["id"], 2)).status_code == 403
    assert received.get(db.read(), foreign["id"])["name"] == "Wonen!"

    # Beek may delete its own.
    assert (await send(client, beek, "Delete", foreign["id"], 3)).status_code == 202
    assert received.get(db.read(), foreign["id"])["deleted"] == 1
    assert received.count(db.read()) == 0


async def test_a_removed_object_keeps_only_its_tombstone_and_a_replaced_create_brings_nothing(
    client, db, beek
):
    thema = thema_of(beek, "Wonen bij de Linge")
    assert (await send(client, beek, "Create", thema, 1)).status_code == 202
    assert (await send(client, beek, "Delete", thema["id"], 2)).status_code == 202
    kept = received.get(db.read(), thema["id"])
    assert kept["deleted"] == 1 and "Wonen bij de Linge" not in kept["document"]

    # Beek erased it from its history: the stored Create now carries a Tombstone.
    tombstone = {"id": f"https://{beek.host}/agenda/themas/oud", "type": "Tombstone"}
    assert (await send(client, beek, "Create", tombstone, 3)).status_code == 202
    assert (await send(client, beek, "Announce", tombstone, 4)).status_code == 202
    assert received.get(db.read(), tombstone["id"]) is None


async def test_content_from_someone_the_kern_does_not_follow_is_not_kept(client, db, servers):
    await post_inbox(client, mastodon_follow())  # Anna follows the kern; it does not follow her
    note = {"id": f"{ANNA}/statuses/1", "type": "Note", "content": "Hallo", "attributedTo": ANNA}
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ANNA}/statuses/1/activity",
        "type": "Create",
        "actor": ANNA,
        "object": note,
    }
    assert (await post_inbox(client, create)).status_code == 202
    assert received.get(db.read(), note["id"]) is None
    stranger = Remote("stranger.example", "stranger", "Group")
    servers.documents[stranger.id] = stranger.document()
    response = await send(client, stranger, "Create", thema_of(stranger), 1)
    assert response.status_code == 403


async def test_a_followed_kern_that_moves_is_followed_to_its_new_address(
    client, app, db, beek, servers
):
    assert (await send(client, beek, "Create", thema_of(beek), 1)).status_code == 202
    new = Remote("beek.nieuw.example", "beek", "Group")
    new.profile = dataclasses.replace(new.profile, also_known_as=(beek.id,))
    servers.documents[new.id] = new.document()  # fetched by the kern when the Move comes

    move = beek.activity("Move", beek.id, 2, target=new.id)
    assert (await send_activity(client, beek, move)).status_code == 202

    # Following moved along, and so did the copy: an Update from the new actor changes it.
    assert followers.get_following(db.read(), beek.id) is None
    assert followers.get_following(db.read(), new.id).state == "pending"
    await app.state.federation.deliver()
    follows = [a for a in servers.posted(new.inbox) if a["type"] == "Follow"]
    assert [a["object"] for a in follows] == [new.id]
    old_id, new_id = thema_of(beek)["id"], thema_of(new)["id"]
    assert received.get(db.read(), old_id) is None
    copy = received.get(db.read(), new_id)
    assert (copy["name"], copy["actor_id"]) == ("Wonen", new.id)
    db.write_quiet(
        lambda conn: followers.set_following_state(conn, new.id, "accepted", datetime.now(UTC))
    )
    assert (await send(client, new, "Update", thema_of(new, "Wonen in Beek"), 3)).status_code == 202
    assert received.get(db.read(), new_id)["name"] == "Wonen in Beek"
    assert received.count(db.read()) == 1


async def test_a_move_the_new_actor_does_not_confirm_changes_nothing(client, db, beek, servers):
    assert (await send(client, beek, "Create", thema_of(beek), 1)).status_code == 202
    stranger = Remote("kaper.example", "beek", "Group")
    servers.documents[stranger.id] = stranger.document()  # no alsoKnownAs

    move = beek.activity("Move", beek.id, 2, target=stranger.id)
    response = await send_activity(client, beek, move)

    assert (response.status_code, response.json()["detail"]) == (403, "move_not_confirmed")
    assert followers.get_following(db.read(), beek.id).state == "accepted"
    assert followers.get_following(db.read(), stranger.id) is None
    assert received.get(db.read(), thema_of(beek)["id"])["actor_id"] == beek.id


async def test_a_move_from_someone_the_kern_does_not_follow_is_refused(client, db, servers):
    stranger = Remote("stranger.example", "stranger", "Group")
    other = Remote("elders.example", "stranger", "Group")
    other.profile = dataclasses.replace(other.profile, also_known_as=(stranger.id,))
    servers.documents[stranger.id] = stranger.document()
    servers.documents[other.id] = other.document()
    move = stranger.activity("Move", stranger.id, 1, target=other.id)
    response = await send_activity(client, stranger, move)
    assert (response.status_code, response.json()["detail"]) == (403, "unknown_sender")
    assert followers.get_following(db.read(), other.id) is None


async def send_activity(client, kern: Remote, activity: dict) -> httpx.Response:
    _target, headers, body = kern.signed_post(INBOX, activity, now=datetime.now(UTC))
    return await client.post("/actor/inbox", content=body, headers=headers)


async def test_followers_hear_when_the_kern_describes_itself_anew(admin, app, db, settings):
    from node.kern.federation import actor as kern_actor

    client, csrf = admin
    publisher = db.services["publisher"]
    db.write(kern_actor.remember_profile, settings, publisher)  # as bloei init does

    def actor_updates() -> list[dict]:
        found = db.execute(
            "SELECT document FROM federation_outbox WHERE type = 'Update' AND object_id = ?",
            (ACTOR,),
        )
        return [json.loads(r["document"]) for r in found]

    about = {"group_description": "Wij zijn de kerngroep van Beesd.", "csrf": csrf}
    assert (await client.post("/beheer/site", data=about)).status_code == 303
    (update,) = actor_updates()
    assert update["object"]["id"] == ACTOR
    assert "Wij zijn de kerngroep van Beesd." in update["object"]["summary"]
    # Saved again without a change: nothing new to tell.
    assert (await client.post("/beheer/site", data=about)).status_code == 303
    assert len(actor_updates()) == 1
    # A colour is not part of the actor: no Update either.
    colours = {**about, "colour_primary": "#7a1f5c"}
    assert (await client.post("/beheer/site", data=colours)).status_code == 303
    assert len(actor_updates()) == 1
    # Whether follows wait for approval is (manuallyApprovesFollowers).
    manual = {"follow_approval": "manual", "csrf": csrf}
    assert (await client.post("/beheer/federatie/goedkeuren", data=manual)).status_code == 303
    assert actor_updates()[-1]["object"]["manuallyApprovesFollowers"] is True
    # A new name in bloei.toml reaches followers when the node starts again.
    renamed = settings.with_changes(name="Beesd en Enspijk")
    assert kern_actor.announce_profile_change(db.read(), settings, publisher) is None
    update_id = db.write(kern_actor.announce_profile_change, renamed, publisher)
    assert update_id and actor_updates()[-1]["object"]["name"] == "Beesd en Enspijk"
    assert db.write(kern_actor.announce_profile_change, renamed, publisher) is None


async def test_a_new_name_in_the_settings_is_announced_when_the_node_starts(settings, db):
    import sqlite3

    from node.kern.federation import actor as kern_actor

    db.write(kern_actor.remember_profile, settings, db.services["publisher"])
    renamed = settings.with_changes(name="Beesd en Enspijk", background_jobs=False)
    app = create_app(renamed, db)
    async with app.router.lifespan_context(app):
        pass
    with sqlite3.connect(settings.database_path) as conn:
        found = conn.execute(
            "SELECT json_extract(document, '$.object.name') FROM federation_outbox "
            "WHERE type = 'Update' AND object_id = ?",
            (ACTOR,),
        ).fetchall()
    assert found == [("Beesd en Enspijk",)]


# --- the page cache and the data version -------------------------------------------------------


async def test_federation_bookkeeping_leaves_the_page_cache_alone(
    client, app, db, settings, servers
):
    version = db.data_version()
    await post_inbox(client, mastodon_follow())  # inbox, de-duplication, key cache, Accept
    await app.state.federation.deliver()  # claims and outcomes
    assert db.data_version() == version
    add_thema(db, settings)
    assert db.data_version() == version + 1


def test_write_quiet_commits_without_bumping_the_version(db):
    version = db.data_version()
    db.write_quiet(lambda conn: conn.execute("INSERT INTO site (key, value) VALUES ('x', '1')"))
    assert db.scalar("SELECT value FROM site WHERE key = 'x'") == "1"
    assert db.data_version() == version


# --- beheer ------------------------------------------------------------------------------------


async def test_federation_beheer_is_for_beheerders(editor):
    client, csrf = editor
    assert (await client.get("/beheer/federatie")).status_code == 403
    response = await client.post("/beheer/federatie/volgen", data={"address": "x", "csrf": csrf})
    assert response.status_code == 403


async def test_a_beheerder_follows_another_kern_by_its_address(admin, db, servers):
    client, csrf = admin
    beek = Remote("beek.example", "beek", "Group")
    servers.documents[beek.id] = beek.document()
    servers.documents[
        "https://beek.example/.well-known/webfinger?resource=acct:beek@beek.example"
    ] = {
        "subject": "acct:beek@beek.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": beek.id}],
    }

    response = await client.post(
        "/beheer/federatie/volgen", data={"address": "@beek@beek.example", "csrf": csrf}
    )

    assert response.status_code == 303, response.text
    assert followers.get_following(db.read(), beek.id).state == "pending"
    [follow] = jobs(db, beek.inbox)
    assert follow["type"] == "Follow" and follow["object"] == beek.id
    page = await client.get("/beheer/federatie")
    assert "Het volgverzoek aan Beek is verstuurd" in page.text
    assert "wacht op goedkeuring" in page.text


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("@niemand@leeg.example", "Op dit adres is geen kern of account gevonden."),
        ("https://leeg.example/iets", "Op dit adres is geen kern of account gevonden."),
        ("zomaar wat", "Vul een adres in zoals @beesd@beesd.nl"),
        ("https://mastodon.example/not-an-actor", "Op dit adres staat geen kern of account"),
        (f"{BASE_URL}/actor", "De site mag dit adres niet bereiken"),
    ],
)
async def test_an_address_that_leads_nowhere_is_explained_in_dutch(
    admin, db, servers, address, message
):
    client, csrf = admin
    servers.documents["https://mastodon.example/not-an-actor"] = {"id": "x", "type": "Note"}
    response = await client.post(
        "/beheer/federatie/volgen", data={"address": address, "csrf": csrf}
    )
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{address}"' in response.text.replace("&#34;", '"'), "the field is kept"
    assert jobs(db) == []


async def test_following_needs_the_csrf_token(admin, db, servers):
    client, _csrf = admin
    response = await client.post("/beheer/federatie/volgen", data={"address": "@a@b.example"})
    assert response.status_code == 400
    assert jobs(db) == []


async def test_a_failed_delivery_is_shown_with_its_reason_and_can_be_retried(
    admin, app, db, settings, servers
):
    client, csrf = admin
    await post_inbox(client, mastodon_follow())
    servers.answer = 410
    federation = app.state.federation
    report = await federation.deliver()
    assert report.failed == 1
    page = await client.get("/beheer/federatie")
    assert "HTTP 410" in page.text and "Mislukt" in page.text
    job_id = db.scalar("SELECT id FROM federation_deliveries WHERE status = 'failed'")

    servers.answer = 202
    response = await client.post(
        f"/beheer/federatie/bezorging/{job_id}/opnieuw", data={"csrf": csrf}
    )
    assert response.status_code == 303
    assert (await federation.deliver()).done == 1


def test_a_write_wakes_the_delivery_job_which_then_sends(app, db, settings, servers):
    federation = app.state.federation
    federation.tick()  # the first round
    assert federation.tick() is None  # nothing queued, not yet time for a round
    db.write_quiet(
        lambda conn: followers.save_follower(
            conn, ANNA, f"{ANNA}/inbox", None, "accepted", datetime.now(UTC)
        )
    )
    add_thema(db, settings, **{**THEMA, "title": "Nieuw"})
    assert federation.publisher.queued.is_set()
    report = federation.tick()
    assert report is not None and report.done == 1
    assert [a["type"] for a in servers.posted(f"{ANNA}/inbox")] == ["Create"]


# --- bloei keys rotate -------------------------------------------------------------------------


async def test_bloei_keys_rotate_resigns_the_outbox_and_tells_followers(
    client, app, db, settings, servers, capsys
):
    from federation import proofs
    from node import cli

    await post_inbox(client, mastodon_follow())
    add_thema(db, settings)
    old = (await client.get("/actor")).json()

    assert cli.main(["keys", "rotate", "--data", str(settings.data_dir)]) == 0

    assert "goes to 1 followers" in capsys.readouterr().out
    new = (await client.get("/actor")).json()
    assert new["publicKey"]["publicKeyPem"] != old["publicKey"]["publicKeyPem"]
    keys = {m["id"]: m["publicKeyMultibase"] for m in new["assertionMethod"]}
    outbox = (await client.get("/actor/outbox?after=0")).json()["orderedItems"]
    for activity in outbox:
        proofs.verify_document(activity, keys.get)
    update = outbox[-1]
    assert update["type"] == "Update" and update["object"]["id"] == ACTOR
    assert update["object"]["publicKey"] == new["publicKey"]
    assert [a["type"] for a in jobs(db, "https://mastodon.example/inbox")] == ["Create", "Update"]
    assert list((settings.keys_dir / "retired").iterdir())
    # The running app signs with the new key at once.
    report = await app.state.federation.deliver()
    assert report.done == 3
    sent = servers.posts[-1]
    verified = verify_request(
        "POST",
        sent.url.raw_path.decode(),
        sent.headers,
        sent.content,
        lambda key_id: new["publicKey"]["publicKeyPem"],
    )
    assert verified.key_id == f"{ACTOR}#main-key"


def test_every_activity_type_the_kern_accepts_is_documented(app):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "FEDERATION.md").read_text()
    headings = set(re.findall(r"^#+ .*?`([^`]+)`", doc, re.MULTILINE))
    accepted = {part for key in app.state.federation.handlers.types() for part in key.split(":")}
    assert {"Create", "Update", "Delete", "Announce", "Follow"} <= accepted
    assert accepted - headings == set()


def queue_for_anna(db, number: int = 1) -> None:
    activity = {"id": f"{ACTOR}#test/{number}", "type": "Create", "actor": ACTOR}
    db.write_quiet(
        lambda conn: delivery.enqueue(
            conn,
            activity["id"],
            delivery.encode(activity),
            ["https://mastodon.example/inbox"],
            datetime.now(UTC),
        )
    )


async def test_with_short_retries_a_push_outlasts_an_outage_of_minutes(settings, db):
    # Given the pilot's setting (retry after 2 seconds) and a receiver that is down 5 minutes
    app = create_app(settings.with_changes(delivery_retry_seconds=2), db)
    federation = app.state.federation
    fake = FakeServers()
    federation.use_transport(httpx.MockTransport(fake.handler))
    federation.policy = AddressPolicy(resolver=resolver())
    queue_for_anna(db)
    start = datetime.now(UTC)
    back_at = start + timedelta(minutes=5)
    now, waits = start, []
    # When the delivery job runs every time the job is due again
    for _round in range(200):
        fake.answer = 503 if now < back_at else 202
        await federation.deliver(now)
        job = db.one("SELECT status, next_try_at FROM federation_deliveries")
        if job["status"] != "pending":
            break
        next_try = datetime.fromisoformat(job["next_try_at"])
        waits.append((next_try - now).total_seconds())
        now = next_try
    # Then it backs off (2, 4, 8, 10 s ...) and delivers once the receiver is back
    assert job["status"] == "done"
    assert waits[:5] == [2, 4, 8, 10, 10] and max(waits) == 10
    assert back_at <= now < back_at + timedelta(seconds=11)
    await federation.aclose()


async def test_deliveries_a_killed_worker_claimed_go_out_at_the_next_start(app, db, servers):
    # Given deliveries claimed by a worker process that was then killed -9
    for number in range(3):
        queue_for_anna(db, number)
    worker = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_DIE, str(app.state.settings.database_path)],
        cwd=Path(__file__).resolve().parents[1],
    )
    assert worker.wait(timeout=30) == -signal.SIGKILL
    claimed = db.scalar("SELECT count(*) FROM federation_deliveries WHERE lease_until IS NOT NULL")
    assert claimed == 1  # one inbox: one job in flight at a time, and its lane is taken
    # When the node starts its delivery job again, well within the dead worker's lease
    report = await app.state.federation.deliver()
    # Then the deliveries go out at once
    assert report.done == 3 and len(servers.posts) == 3


CLAIM_AND_DIE = """
import os, signal, sys
from federation import delivery, store
db = store.ConnectionStore(store.open_connection(sys.argv[1]))
delivery.claim_due(db, store.utcnow(), limit=10)
os.kill(os.getpid(), signal.SIGKILL)
"""


async def test_a_name_that_rebinds_to_loopback_is_never_connected_to(app, monkeypatch):
    # Two listeners on loopback stand in for the world: 127.0.0.2 plays a public server (a
    # test-only allowance below), 127.0.0.3 the node's own network. Nothing leaves the host.
    connections = {"127.0.0.2": 0, "127.0.0.3": 0}

    def counting(address):
        def accepted(reader, writer):
            connections[address] += 1
            writer.close()

        return accepted

    public = await asyncio.start_server(counting("127.0.0.2"), "127.0.0.2", 0)
    port = public.sockets[0].getsockname()[1]
    private = await asyncio.start_server(counting("127.0.0.3"), "127.0.0.3", port)
    real_is_public = addresses.is_public_address
    monkeypatch.setattr(
        addresses, "is_public_address", lambda a: str(a) == "127.0.0.2" or real_is_public(a)
    )
    # A DNS server that answers the public address first and the private one after
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes IDNA bytes
        if name != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(name)
        address = "127.0.0.2" if len(lookups) == 1 else "127.0.0.3"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    federation = app.state.federation
    federation.policy = AddressPolicy()  # the production rules, with the system's resolver
    try:
        # The listener only hangs up, so the fetch fails; where it connected is what counts
        with pytest.raises(FetchError):
            await federation.fetcher.get_json(f"https://rebind.example:{port}/actor")
        for _ in range(500):  # the listener counts in its own task: give it a moment
            if sum(connections.values()):
                break
            await asyncio.sleep(0.01)
    finally:
        public.close()
        private.close()
        await federation.aclose()
    assert connections == {"127.0.0.2": 1, "127.0.0.3": 0}
    assert lookups == ["rebind.example"]
