"""A kern's inbox takes what Mastodon, GoToSocial, Misskey, Pixelfed, Mobilizon and Gancio send
(fixtures/peers.py), as those servers expect: 202 for what it accepts, a problem+json 4xx for
what it refuses, never a 500, and the deliveries it owes them (an Accept) go out.

Every request here is signed by the fixtures' own signer (`cryptography` following the
draft-cavage text, or `http-message-signatures` for RFC 9421), never by Bloei's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from federation import followers, follows
from federation.actors import RemoteActor
from federation.addresses import AddressPolicy
from federation.store import utcnow
from node.kern.federation import received
from tests.conftest import BASE_URL
from tests.federation.federation_helpers import resolver
from tests.federation.fixtures.peers import Peer, PeerServers, all_peers, mastodon
from tests.meeting_helpers import add_meeting

ACTOR = f"{BASE_URL}/actor"
PROBLEM = "application/problem+json"


@pytest.fixture(params=all_peers(), ids=lambda peer: peer.software)
def peer(request) -> Peer:
    return request.param


@pytest.fixture
def network(app, peer) -> PeerServers:
    servers = PeerServers([peer])
    federation = app.state.federation
    federation.use_transport(httpx.MockTransport(servers.handler))
    federation.policy = AddressPolicy(resolver=resolver())
    return servers


async def post(client, peer: Peer, activity: dict, path: str = "/actor/inbox") -> httpx.Response:
    headers, body = peer.signed_post(BASE_URL + path, activity)
    return await client.post(path, content=body, headers=headers)


@pytest.fixture
async def follower(client, peer, network) -> Peer:
    """The peer follows the kern (accepted)."""
    response = await post(client, peer, peer.follow(ACTOR))
    assert response.status_code == 202, response.text
    return peer


@pytest.fixture
def meeting_id(db, settings) -> str:
    _, slug = add_meeting(db, settings)
    return settings.url(f"/bijeenkomsten/{slug}")


def kept_objects(db) -> int:
    return db.scalar("SELECT count(*) FROM received_objects")


# --- following ---------------------------------------------------------------------------------


async def test_a_follow_is_accepted_and_the_accept_reaches_the_peers_own_inbox(
    client, app, db, peer, network
):
    follow = peer.follow(ACTOR)
    response = await post(client, peer, follow)

    assert response.status_code == 202, response.text
    found = followers.get_follower(db.read(), peer.actor_id)
    assert found is not None and found.state == "accepted"
    assert (found.inbox, found.shared_inbox) == (peer.inbox, peer.shared_inbox)
    # The actor (and a key document of its own, if any) was fetched with a signed GET.
    assert network.unsigned_gets == []

    report = await app.state.federation.deliver()

    assert report.failed == 0
    [accept] = network.posted(peer.inbox)
    assert accept["type"] == "Accept" and accept["actor"] == ACTOR
    assert accept["object"]["id"] == follow["id"]


async def test_a_follow_through_the_shared_inbox_is_accepted_too(client, db, peer, network):
    response = await post(client, peer, peer.follow(ACTOR), path="/inbox")
    assert response.status_code == 202, response.text
    assert followers.is_follower(db.read(), peer.actor_id)


async def test_an_undo_of_the_follow_ends_it(client, db, follower):
    response = await post(client, follower, follower.undo_follow(ACTOR))
    assert response.status_code == 202, response.text
    assert followers.get_follower(db.read(), follower.actor_id) is None


async def test_a_follow_of_someone_else_is_refused_with_a_problem(client, db, peer, network):
    response = await post(client, peer, peer.follow(f"{BASE_URL}/iemand-anders"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert followers.get_follower(db.read(), peer.actor_id) is None


# --- what followers send about the kern's objects ----------------------------------------------


@pytest.mark.parametrize("kind", ["like", "announce", "reply"])
async def test_a_followers_like_announce_or_reply_is_taken_and_not_kept(
    client, db, follower, meeting_id, kind
):
    activity = getattr(follower, kind)(meeting_id)
    response = await post(client, follower, activity)
    assert response.status_code == 202, response.text
    # Content is kept only from kernen this kern follows and its gemeente.
    assert kept_objects(db) == 0


async def test_a_like_from_a_stranger_is_refused_with_a_problem(
    client, db, peer, network, meeting_id
):
    response = await post(client, peer, peer.like(meeting_id))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["detail"] == "unknown_sender"


# --- the peer's own account --------------------------------------------------------------------


async def test_an_update_of_the_peers_account_refreshes_the_copy(client, app, db, follower):
    response = await post(client, follower, follower.update_self("Nieuwe naam"))
    assert response.status_code == 202, response.text
    stored = db.one(
        "SELECT document FROM federation_remote_actors WHERE actor_id = ?", (follower.actor_id,)
    )
    assert json.loads(stored["document"])["name"] == "Nieuwe naam"


async def test_a_delete_of_a_gone_account_removes_its_follow(client, app, db, follower, network):
    network.gone.add(follower.actor_id)
    response = await post(client, follower, follower.delete_self())
    assert response.status_code == 202, response.text
    assert followers.get_follower(db.read(), follower.actor_id) is None
    # Nothing is delivered to it any more.
    assert follower.actor_id not in {f.actor_id for f in followers.list_followers(db.read())}


async def test_a_delete_of_an_account_never_met_is_answered_gone_so_it_is_not_retried(
    client, db, peer, network
):
    network.gone.add(peer.actor_id)
    for url in peer.extra_documents:
        network.gone.add(url)
    response = await post(client, peer, peer.delete_self())
    # Mastodon retries a 401 for days; a 410 it does not.
    assert response.status_code == 410
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["detail"] == "gone"


async def test_an_unknown_key_that_is_not_gone_stays_a_401(client, peer, network):
    network.documents.clear()
    response = await post(client, peer, peer.delete_self())
    assert response.status_code == 401 and response.json()["detail"] == "unknown_key"


async def test_a_move_of_a_follower_is_taken_and_keeps_the_follow(client, db, follower, network):
    new = mastodon("nieuw.example", "verhuisd")
    new.document["alsoKnownAs"] = [follower.actor_id]
    network.add(new)
    response = await post(client, follower, follower.move_to(new.actor_id))
    assert response.status_code == 202, response.text
    # The kern follows nobody here: a follower's move is for its own followers to act on.
    assert followers.is_follower(db.read(), follower.actor_id)


# --- deliveries to them ------------------------------------------------------------------------


async def test_the_kerns_news_reaches_each_follower_where_it_takes_it(
    client, app, db, settings, follower, network, meeting_id
):
    network.posts.clear()
    report = await app.state.federation.deliver()
    assert report.failed == 0
    sent = network.posted(follower.delivery_inbox)
    assert meeting_id in {a["object"]["id"] for a in sent if isinstance(a["object"], dict)}
    assert received.count(db.read()) == 0


# --- the kern follows them ---------------------------------------------------------------------


@pytest.fixture
def followed(app, db, peer, network) -> dict:
    """The kern asked to follow the peer, as a beheerder does; the Follow it sent."""
    identity = app.state.federation.publisher.identity
    actor = RemoteActor.from_document(peer.document)
    follow_id = db.write(follows.follow, identity, actor, utcnow())
    return {"id": follow_id, "type": "Follow", "actor": ACTOR, "object": peer.actor_id}


async def test_the_kerns_follow_reaches_the_peer_and_its_accept_settles_it(
    client, app, db, peer, network, followed
):
    report = await app.state.federation.deliver()
    assert report.failed == 0
    [sent] = network.posted(peer.inbox)
    assert sent["type"] == "Follow" and sent["object"] == peer.actor_id

    response = await post(client, peer, peer.answer("Accept", followed))

    assert response.status_code == 202, response.text
    assert followers.get_following(db.read(), peer.actor_id).state == "accepted"


async def test_a_reject_of_the_kerns_follow_settles_it_as_rejected(client, db, peer, followed):
    response = await post(client, peer, peer.answer("Reject", followed))
    assert response.status_code == 202, response.text
    assert followers.get_following(db.read(), peer.actor_id).state == "rejected"


async def test_a_followed_agendas_event_is_on_the_meetings_page_once_the_group_turns_it_on(
    admin, app, db, peer, followed
):
    client, csrf = admin
    await post(client, peer, peer.answer("Accept", followed))
    visitor = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    response = await client.post("/beheer/federatie/elders", data={"shown": "y", "csrf": csrf})
    assert response.status_code == 303
    # A visitor's page is cached now; the event must show on it all the same.
    assert "Repair Café" not in (await visitor.get("/bijeenkomsten")).text
    create = peer.event()
    start = datetime.now(UTC) + timedelta(days=10)
    create["object"]["startTime"] = start.isoformat(timespec="seconds")
    create["object"]["endTime"] = (start + timedelta(hours=3)).isoformat(timespec="seconds")

    assert (await post(client, peer, create)).status_code == 202

    page = (await visitor.get("/bijeenkomsten")).text
    assert "Van elders" in page and "Repair Café in het dorpshuis" in page
    delete = peer.activity("Delete", create["object"]["id"], 2)
    assert (await post(client, peer, delete)).status_code == 202
    assert "Repair Café in het dorpshuis" not in (await visitor.get("/bijeenkomsten")).text
    await visitor.aclose()


async def test_an_event_from_a_followed_server_is_kept_and_shown_in_beheer(
    admin, db, peer, followed
):
    client, _csrf = admin
    await post(client, peer, peer.answer("Accept", followed))
    create = peer.event()

    response = await post(client, peer, create)

    assert response.status_code == 202, response.text
    kept = received.get(db.read(), create["object"]["id"])
    assert kept is not None and kept["name"] == "Repair Café in het dorpshuis"
    page = await client.get("/beheer/federatie")
    assert page.status_code == 200 and "Repair Café in het dorpshuis" in page.text
