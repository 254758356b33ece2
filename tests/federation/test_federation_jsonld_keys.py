"""Proof keys are found as a JSON-LD reader finds them: through the expanded assertionMethod.

Peers write their actor documents with contexts of their own: the `sec:` prefix of the security
vocabulary, the Multikey context by URL with assertionMethod defined inline, terms renamed
inline. Each is signed here with a test key, and Bloei's key cache and the gemeente's proof
check must accept them all, and must not find a key that a strict reader would not find (the
context leaves assertionMethod undefined, the controller is someone else, another origin).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import vocabulary
from federation.jsonld import Contexts, ContextUnavailable, published_keys
from federation.keycache import KeyCache
from federation.keys import encode_multikey
from federation.proofs import ProofError, sign_document
from node.gemeente import proofcheck
from node.kern.federation.runtime import KernFederation
from tests.federation.federation_helpers import open_store
from tests.jsonld.strict import official_contexts, require_contexts

ACTOR = "https://peer.example/actor"
KEY_ID = ACTOR + "#proef-sleutel"
PRIVATE = ed25519.Ed25519PrivateKey.generate()
MULTIBASE = encode_multikey(PRIVATE.public_key())
AS = vocabulary.AS_CONTEXT
SEC = "https://w3id.org/security#"


def actor(context, keys_term: str = "assertionMethod", key: dict | None = None) -> dict:
    return {
        "@context": context,
        "id": ACTOR,
        "type": "Group",
        "inbox": ACTOR + "/inbox",
        keys_term: [
            key
            or {
                "id": KEY_ID,
                "type": "Multikey",
                "controller": ACTOR,
                "publicKeyMultibase": MULTIBASE,
            }
        ],
    }


PEERS = {
    "Bloei's own context": actor(vocabulary.ACTOR_CONTEXT),
    "sec: prefixed terms": actor(
        [AS, vocabulary.SECURITY_V1],
        "sec:assertionMethod",
        {
            "id": KEY_ID,
            "type": "sec:Multikey",
            "sec:controller": {"id": ACTOR},
            "sec:publicKeyMultibase": MULTIBASE,
        },
    ),
    "multikey/v1 by URL, assertionMethod inline": actor(
        [
            AS,
            vocabulary.MULTIKEY_V1,
            {"assertionMethod": {"@id": SEC + "assertionMethod", "@type": "@id"}},
        ]
    ),
    "security/v2 by URL": actor([AS, "https://w3id.org/security/v2", vocabulary.MULTIKEY_V1]),
    "terms renamed inline": actor(
        [
            AS,
            {
                "s": SEC,
                "sleutels": {"@id": "s:assertionMethod", "@type": "@id"},
                "Sleutel": "s:Multikey",
                "eigenaar": {"@id": "s:controller", "@type": "@id"},
                "waarde": "s:publicKeyMultibase",
            },
        ],
        "sleutels",
        {"id": KEY_ID, "type": "Sleutel", "eigenaar": ACTOR, "waarde": MULTIBASE},
    ),
}
NO_KEY = {
    "assertionMethod left undefined (the FEP-521a example's contexts)": actor(
        [AS, vocabulary.DATA_INTEGRITY_V2, vocabulary.MULTIKEY_V1]
    ),
    "controlled by another actor": actor(
        vocabulary.ACTOR_CONTEXT,
        key={
            "id": KEY_ID,
            "type": "Multikey",
            "controller": "https://peer.example/someone-else",
            "publicKeyMultibase": MULTIBASE,
        },
    ),
    "a key on another origin": actor(
        vocabulary.ACTOR_CONTEXT,
        key={
            "id": "https://elders.example/actor#key",
            "type": "Multikey",
            "controller": ACTOR,
            "publicKeyMultibase": MULTIBASE,
        },
    ),
}


class Fetcher:
    """Serves the peer's actor document, and nothing else."""

    def __init__(self, document: dict) -> None:
        self.document = document

    async def get_json(self, url: str, accept: str = "") -> tuple[str, dict]:
        if url != ACTOR:
            raise AssertionError(f"fetched {url}")
        return url, self.document


def signed_activity() -> dict:
    activity = vocabulary.create(
        ACTOR,
        {"id": ACTOR + "/notes/1", "type": "Note", "content": "Hallo"},
        activity_id=ACTOR + "/activities/1",
        published=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return sign_document(activity, PRIVATE, KEY_ID)


@pytest.mark.parametrize("name", sorted(PEERS))
def test_the_key_is_found_through_the_expanded_assertion_method(name):
    require_contexts()
    keys = published_keys(PEERS[name], ACTOR, Contexts(official_contexts()))
    assert keys == {KEY_ID: MULTIBASE}


@pytest.mark.parametrize("name", sorted(NO_KEY))
def test_no_key_where_a_strict_reader_finds_none(name):
    require_contexts()
    assert published_keys(NO_KEY[name], ACTOR, Contexts(official_contexts())) == {}


def test_a_context_that_cannot_be_loaded_is_reported():
    with pytest.raises(ContextUnavailable):
        published_keys(PEERS["Bloei's own context"], ACTOR, Contexts())


@pytest.mark.parametrize("name", sorted(PEERS))
async def test_the_gemeente_verifies_a_proof_from_each_peer(name, tmp_path):
    require_contexts()
    keys = KeyCache(
        open_store(tmp_path / "db.sqlite"),
        Fetcher(PEERS[name]),
        contexts=Contexts(official_contexts()),
    )
    await keys.fetch_actor(ACTOR, datetime.now(UTC))

    assert proofcheck.check(signed_activity(), ACTOR, keys) == KEY_ID
    tampered = {**signed_activity(), "published": "2026-12-02T00:00:00Z"}
    with pytest.raises(ProofError):
        proofcheck.check(tampered, ACTOR, keys)


@pytest.mark.parametrize("name", sorted(NO_KEY))
async def test_the_gemeente_finds_no_key_where_a_strict_reader_finds_none(name, tmp_path):
    require_contexts()
    keys = KeyCache(
        open_store(tmp_path / "db.sqlite"),
        Fetcher(NO_KEY[name]),
        contexts=Contexts(official_contexts()),
    )
    await keys.fetch_actor(ACTOR, datetime.now(UTC))

    with pytest.raises(ProofError) as refused:
        proofcheck.check(signed_activity(), ACTOR, keys)
    assert refused.value.reason == "unknown_key"


async def test_without_its_contexts_an_actor_is_read_as_plain_json(tmp_path):
    # The contexts cannot be fetched (the fetcher serves only the actor): the keys are read the
    # way most fediverse servers read them, and the proof still verifies.
    keys = KeyCache(
        open_store(tmp_path / "db.sqlite"),
        Fetcher(PEERS["Bloei's own context"]),
        contexts=Contexts(),
    )
    await keys.fetch_actor(ACTOR, datetime.now(UTC))

    assert proofcheck.check(signed_activity(), ACTOR, keys) == KEY_ID


# --- loading contexts --------------------------------------------------------------------------


class ContextServer:
    """Serves the official contexts by URL and counts the fetches; `down` makes it fail."""

    def __init__(self) -> None:
        self.documents = official_contexts()
        self.fetched: list[str] = []
        self.down = False

    async def get_json(self, url: str, accept: str = "") -> tuple[str, dict]:
        self.fetched.append(url)
        if self.down or url not in self.documents:
            raise OSError(f"cannot fetch {url}")
        return url, self.documents[url]


async def test_contexts_are_fetched_once_with_those_they_name():
    require_contexts()
    server, now = ContextServer(), [0.0]
    contexts = Contexts(clock=lambda: now[0])
    document = PEERS["security/v2 by URL"]

    await contexts.prepare(document, server.get_json)
    await contexts.prepare(document, server.get_json)

    # security/v2 names security/v1, fetched in the same round; nothing is fetched twice.
    assert sorted(server.fetched) == sorted(
        [AS, "https://w3id.org/security/v2", vocabulary.MULTIKEY_V1, vocabulary.SECURITY_V1]
    )
    assert published_keys(document, ACTOR, contexts) == {KEY_ID: MULTIBASE}


async def test_with_fetching_off_no_context_is_fetched_and_the_keys_read_as_plain_json():
    require_contexts()
    server = ContextServer()
    contexts = Contexts(fetching=False)
    document = PEERS["security/v2 by URL"]

    await contexts.prepare(document, server.get_json)

    assert server.fetched == []
    with pytest.raises(ContextUnavailable):
        published_keys(document, ACTOR, contexts)


def test_development_mode_never_fetches_contexts(settings, db):
    federation = KernFederation(settings.with_changes(dev=True), db, db.services["publisher"])
    assert not federation.contexts.fetching
    assert KernFederation(settings, db, db.services["publisher"]).contexts.fetching


async def test_a_context_that_failed_is_tried_again_an_hour_later_not_sooner():
    require_contexts()
    server, now = ContextServer(), [0.0]
    contexts = Contexts(clock=lambda: now[0])
    server.down = True
    await contexts.prepare(PEERS["Bloei's own context"], server.get_json)
    tried = len(server.fetched)

    server.down = False
    now[0] = 3599.0
    await contexts.prepare(PEERS["Bloei's own context"], server.get_json)
    assert len(server.fetched) == tried
    now[0] = 3601.0
    await contexts.prepare(PEERS["Bloei's own context"], server.get_json)
    assert published_keys(PEERS["Bloei's own context"], ACTOR, contexts) == {KEY_ID: MULTIBASE}


async def test_a_document_naming_many_contexts_costs_a_few_fetches_only():
    server = ContextServer()
    names = [f"https://contexts.example/{number}.jsonld" for number in range(500)]
    await Contexts().prepare(actor([AS, *names]), server.get_json)
    assert len(server.fetched) <= 8
