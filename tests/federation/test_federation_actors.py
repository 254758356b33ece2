"""Actor documents, WebFinger, NodeInfo, and reading other servers' actors."""

import pytest
from federation_helpers import local_identity, profile_for

from federation import actors
from federation.keys import decode_multikey, load_public_key
from federation.vocabulary import MULTIKEY_V1


@pytest.fixture
def identity():
    return local_identity()


@pytest.fixture
def profile(identity):
    return actors.ActorProfile(
        routes=actors.ActorRoutes.under("https://beesd.example"),
        username="beesd",
        name="Beesd",
        summary="<p>Kernagenda van Beesd</p>",
        url="https://beesd.example/",
        icon_url="https://beesd.example/static/logo.png",
    )


def test_a_kern_is_a_group_with_every_endpoint_and_both_keys(identity, profile):
    doc = actors.actor_document(profile, identity.public_keys())
    assert doc["type"] == "Group" and doc["id"] == "https://beesd.example/actor"
    assert doc["preferredUsername"] == "beesd" and doc["name"] == "Beesd"
    for name in ("inbox", "outbox", "followers", "following"):
        assert doc[name] == f"https://beesd.example/actor/{name}"
    assert doc["endpoints"] == {"sharedInbox": "https://beesd.example/inbox"}
    assert doc["icon"]["url"].endswith("logo.png") and doc["url"] == "https://beesd.example/"
    assert doc["publicKey"]["id"] == identity.main_key_id
    assert doc["publicKey"]["owner"] == doc["id"]
    rsa_key = load_public_key(doc["publicKey"]["publicKeyPem"])
    assert rsa_key.public_numbers() == identity.keys.rsa.public_key().public_numbers()
    [multikey] = doc["assertionMethod"]
    assert multikey["id"] == "https://beesd.example/actor#ed25519-key"
    assert multikey["type"] == "Multikey" and multikey["controller"] == doc["id"]
    assert decode_multikey(multikey["publicKeyMultibase"]) == identity.keys.ed25519.public_key()
    assert MULTIKEY_V1 in doc["@context"]


def test_the_gemeente_is_an_organization_and_nothing_else_is_allowed(identity):
    assert profile_for(identity, "gemeente", "Organization").kind == "Organization"
    with pytest.raises(ValueError):
        profile_for(identity, "anna", "Person")


def test_webfinger_round_trips_on_its_subject(profile):
    jrd = actors.webfinger(profile, "acct:BEESD@Beesd.Example")
    assert jrd["subject"] == "acct:beesd@beesd.example"
    assert actors.webfinger(profile, jrd["subject"]) == jrd
    assert actors.webfinger(profile, "https://beesd.example/actor") == jrd
    assert jrd["aliases"] == ["https://beesd.example/actor", "https://beesd.example/"]
    assert actors.actor_id_from_jrd(jrd) == "https://beesd.example/actor"


def test_webfinger_knows_no_one_else(profile):
    assert actors.webfinger(profile, "acct:tricht@beesd.example") is None
    assert actors.webfinger(profile, "acct:beesd@tricht.example") is None
    assert actors.webfinger(profile, "nonsense") is None


def test_account_addresses_parse_in_every_usual_spelling():
    for text in ("@beesd@beesd.example", "acct:beesd@Beesd.example", "beesd@beesd.example"):
        assert actors.parse_acct(text) == ("beesd", "beesd.example")
    with pytest.raises(ValueError):
        actors.parse_acct("https://beesd.example/")
    assert actors.webfinger_url("@beesd@beesd.example") == (
        "https://beesd.example/.well-known/webfinger?resource=acct:beesd@beesd.example"
    )


def test_nodeinfo_2_1_and_its_discovery_document():
    discovery = actors.nodeinfo_discovery("https://beesd.example/")
    assert discovery["links"] == [
        {
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": "https://beesd.example/nodeinfo/2.1",
        }
    ]
    info = actors.nodeinfo("0.1.0", local_posts=12, metadata={"nodeName": "Beesd"})
    assert info["version"] == "2.1" and info["software"]["name"] == "bloei"
    assert info["protocols"] == ["activitypub"] and info["openRegistrations"] is False
    assert info["usage"]["localPosts"] == 12 and info["metadata"]["nodeName"] == "Beesd"


def test_a_remote_actor_is_read_with_its_keys(identity, profile):
    doc = actors.actor_document(profile, identity.public_keys())
    remote = actors.RemoteActor.from_document(doc, fetched_from="https://beesd.example/actor")
    assert remote.inbox == doc["inbox"] and remote.delivery_inbox == doc["endpoints"]["sharedInbox"]
    assert set(remote.keys) == {identity.main_key_id, identity.proof_key_id}


def test_a_remote_actor_served_from_another_origin_or_claiming_foreign_keys_is_refused(
    identity, profile
):
    doc = actors.actor_document(profile, identity.public_keys())
    with pytest.raises(actors.ActorError):
        actors.RemoteActor.from_document(doc, fetched_from="https://evil.example/actor")
    doc["publicKey"]["id"] = "https://gemeente.example/actor#main-key"
    assert (
        "https://gemeente.example/actor#main-key" not in actors.RemoteActor.from_document(doc).keys
    )
    with pytest.raises(actors.ActorError):
        actors.RemoteActor.from_document({**doc, "type": "Note"})
    with pytest.raises(actors.ActorError):
        actors.RemoteActor.from_document({**doc, "inbox": "https://elders.example/inbox"})
