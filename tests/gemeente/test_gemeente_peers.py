"""The gemeente's inbox takes what Mastodon, GoToSocial, Misskey, Pixelfed, Mobilizon and Gancio
send (tests/federation/fixtures/peers.py) as they expect: a follow is accepted and answered, an
account's Delete ends its follow, content from anyone but a followed kern is refused with a
problem+json 403, and nothing ends in a 500. Signed by the fixtures' own signer, not Bloei's.
"""

from __future__ import annotations

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL

from federation import followers
from tests.federation.fixtures.peers import Peer, PeerServers, all_peers

ACTOR = f"{GEMEENTE_URL}/actor"
PROBLEM = "application/problem+json"
REACTIE_ID = f"{GEMEENTE_URL}/reacties/1"


@pytest.fixture(params=all_peers(), ids=lambda peer: peer.software)
def peer(request) -> Peer:
    return request.param


@pytest.fixture
def network(gemeente_app, router, peer) -> PeerServers:
    servers = PeerServers([peer])
    router.add(peer.host, httpx.MockTransport(servers.handler))
    return servers


async def post(http, peer: Peer, activity: dict, path: str = "/actor/inbox") -> httpx.Response:
    headers, body = peer.signed_post(GEMEENTE_URL + path, activity)
    return await http.post(path, content=body, headers=headers)


@pytest.fixture
async def follower(gemeente, peer, network) -> Peer:
    response = await post(gemeente, peer, peer.follow(ACTOR))
    assert response.status_code == 202, response.text
    return peer


async def test_a_follow_is_accepted_and_answered_at_the_peers_inbox(
    gemeente, gemeente_app, gemeente_db, peer, network
):
    follow = peer.follow(ACTOR)
    response = await post(gemeente, peer, follow, path="/inbox")
    assert response.status_code == 202, response.text
    assert followers.is_follower(gemeente_db.read(), peer.actor_id)
    assert network.unsigned_gets == []

    report = await gemeente_app.state.federation.deliver()

    assert report.failed == 0
    [accept] = network.posted(peer.inbox)
    assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]


async def test_an_undo_and_a_delete_of_the_account_end_the_follow(
    gemeente, gemeente_db, follower, network
):
    undo = await post(gemeente, follower, follower.undo_follow(ACTOR))
    assert undo.status_code == 202, undo.text
    assert not followers.is_follower(gemeente_db.read(), follower.actor_id)

    again = await post(gemeente, follower, follower.follow(ACTOR, number=2))
    assert again.status_code == 202, again.text
    network.gone.add(follower.actor_id)
    deleted = await post(gemeente, follower, follower.delete_self())
    assert deleted.status_code == 202, deleted.text
    assert followers.get_follower(gemeente_db.read(), follower.actor_id) is None


async def test_a_followers_like_is_taken_and_its_reply_refused_with_a_problem(gemeente, follower):
    like = await post(gemeente, follower, follower.like(REACTIE_ID))
    assert like.status_code == 202, like.text

    for activity in (follower.reply(REACTIE_ID), follower.announce(REACTIE_ID)):
        refused = await post(gemeente, follower, activity)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.json()["detail"] == "not_a_followed_kern"


async def test_an_update_of_a_followers_account_is_refused_whole(gemeente, gemeente_db, follower):
    # The gemeente takes an actor's Update only from a kern it follows (its name may change);
    # a follower's own server sends it to that account's followers, not here.
    response = await post(gemeente, follower, follower.update_self("Nieuwe naam"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    stored = gemeente_db.one(
        "SELECT document FROM federation_remote_actors WHERE actor_id = ?", (follower.actor_id,)
    )
    assert '"Nieuwe naam"' not in stored["document"]


async def test_a_stranger_may_only_start_a_follow(gemeente, peer, network):
    response = await post(gemeente, peer, peer.like(REACTIE_ID))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["detail"] == "unknown_sender"


async def test_a_delete_of_an_account_never_met_is_answered_gone(gemeente, peer, network):
    network.gone.update({peer.actor_id, *peer.extra_documents})
    response = await post(gemeente, peer, peer.delete_self())
    assert response.status_code == 410
    assert response.headers["content-type"].startswith(PROBLEM)
