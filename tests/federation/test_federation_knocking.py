"""Double knocking: deliveries and fetches are signed with RFC 9421 first and with
draft-cavage when a server refuses that, and each host's answer is remembered. The servers are
real ones on 127.0.0.1; the RFC 9421 signatures are checked with the independent
`http_message_signatures` package."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from federation_helpers import NOW, local_identity, open_store
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from receivers import FastInbox, Received

from federation import delivery
from federation.addresses import AddressPolicy
from federation.fetch import Fetcher
from federation.knocking import DoubleKnockAuth, SchemeMemory, host_key
from federation.signatures import SCHEME_CAVAGE, SCHEME_RFC9421, SignatureError, verify_request

POLICY = AddressPolicy(dev=True)
IDENTITY = local_identity()
UNAUTHORIZED = (401, b'{"error": "Verification failed"}')


def scheme_of(request: Received) -> str:
    return SCHEME_RFC9421 if "signature-input" in request.headers else SCHEME_CAVAGE


def cavage_verifies(request: Received) -> bool:
    """Our own verifier, for draft-cavage (its interop is tested elsewhere)."""
    try:
        verify_request(
            request.method,
            request.path,
            request.headers,
            request.body,
            lambda key_id: IDENTITY.keys.rsa.public_key(),
        )
    except SignatureError:
        return False
    return True


def rfc9421_verifies(request: Received) -> bool:
    """The independent package's verifier, for RFC 9421."""
    url = f"http://{request.headers['host']}{request.path}"
    message = httpx.Request(request.method, url, headers=request.headers, content=request.body)
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={IDENTITY.main_key_id: IDENTITY.keys.rsa.public_key()}, private_keys={}
        ),
    )
    [result] = verifier.verify(message)
    assert result.parameters["keyid"] == IDENTITY.main_key_id
    covered = set(result.covered_components)
    assert {'"@method"', '"@target-uri"'} <= covered
    assert request.method == "GET" or '"content-digest"' in covered
    return True


def cavage_only(request: Received) -> tuple[int, bytes]:
    # As Mastodon before 4.4: a Signature header without keyId is no signature it reads.
    if scheme_of(request) == SCHEME_CAVAGE and cavage_verifies(request):
        return (202 if request.method == "POST" else 200), b""
    return UNAUTHORIZED


def rfc9421_only(request: Received) -> tuple[int, bytes]:
    if scheme_of(request) == SCHEME_RFC9421 and rfc9421_verifies(request):
        return (202 if request.method == "POST" else 200), b""
    return UNAUTHORIZED


def both(request: Received) -> tuple[int, bytes]:
    verifies = rfc9421_verifies if scheme_of(request) == SCHEME_RFC9421 else cavage_verifies
    return ((202 if request.method == "POST" else 200), b"") if verifies(request) else UNAUTHORIZED


@pytest.fixture
def servers():
    started = {name: FastInbox(answer) for name, answer in SERVERS.items()}
    yield started
    for server in started.values():
        server.close()


SERVERS = {"cavage": cavage_only, "rfc9421": rfc9421_only, "both": both}


@pytest.fixture
def db(tmp_path):
    return open_store(tmp_path / "node.db")


def knocking(db) -> DoubleKnockAuth:
    return DoubleKnockAuth(IDENTITY.http_auth, SchemeMemory(db))


def queue(db, inboxes, number: int) -> None:
    activity = {
        "id": f"{IDENTITY.actor_id}/activities/{number}",
        "type": "Create",
        "actor": IDENTITY.actor_id,
        "object": {"id": f"https://beesd.example/nieuws/{number}", "type": "Note"},
    }
    db.write(delivery.send, IDENTITY, activity, inboxes, NOW)


def deliver(db, auth) -> delivery.Report:
    async def go():
        async with httpx.AsyncClient() as client:
            return await delivery.deliver_due(db, auth, client, policy=POLICY)

    return asyncio.run(go())


def remembered(db) -> dict[str, str]:
    return dict(db.conn.execute("SELECT host, scheme FROM federation_signature_schemes"))


def host_of(server: FastInbox) -> str:
    return host_key(httpx.URL(server.url))


def test_deliveries_knock_with_rfc9421_then_draft_cavage_and_remember_what_worked(db, servers):
    inboxes = [server.url for server in servers.values()]
    queue(db, inboxes, 1)
    # Every server takes the first delivery: RFC 9421, or draft-cavage after a refusal
    assert deliver(db, knocking(db)).done == 3
    assert [scheme_of(r) for r in servers["cavage"].requests] == [SCHEME_RFC9421, SCHEME_CAVAGE]
    assert [scheme_of(r) for r in servers["rfc9421"].requests] == [SCHEME_RFC9421]
    assert [scheme_of(r) for r in servers["both"].requests] == [SCHEME_RFC9421]
    assert remembered(db) == {
        host_of(servers["cavage"]): SCHEME_CAVAGE,
        host_of(servers["rfc9421"]): SCHEME_RFC9421,
        host_of(servers["both"]): SCHEME_RFC9421,
    }
    # The next delivery knocks once, with what worked, also for a worker started afresh
    queue(db, inboxes, 2)
    assert deliver(db, knocking(db)).done == 3
    assert [scheme_of(r) for r in servers["cavage"].requests[2:]] == [SCHEME_CAVAGE]
    assert [scheme_of(r) for r in servers["rfc9421"].requests[1:]] == [SCHEME_RFC9421]
    for server in servers.values():
        assert [a["id"] for a in server.received] == [
            f"{IDENTITY.actor_id}/activities/1",
            f"{IDENTITY.actor_id}/activities/2",
        ]


def test_a_host_that_stops_taking_the_remembered_scheme_gets_the_other_again(db, servers):
    cavage = servers["cavage"]
    SchemeMemory(db).remember(host_of(cavage), SCHEME_RFC9421)
    queue(db, [cavage.url], 1)
    assert deliver(db, knocking(db)).done == 1
    assert remembered(db) == {host_of(cavage): SCHEME_CAVAGE}


@pytest.mark.parametrize(
    "refusal, knocks, done",
    [
        ((400, b"Bad Request: invalid signature"), 2, 1),
        ((400, b"Bad Request: the object has no id"), 1, 0),
        ((403, b""), 2, 1),
    ],
)
def test_a_refusal_that_names_the_signature_is_knocked_again(db, refusal, knocks, done):
    def answer(request: Received) -> tuple[int, bytes]:
        if scheme_of(request) == SCHEME_RFC9421:
            return refusal
        return (202, b"") if cavage_verifies(request) else UNAUTHORIZED

    server = FastInbox(answer)
    try:
        queue(db, [server.url], 1)
        assert deliver(db, knocking(db)).done == done
        assert len(server.requests) == knocks
    finally:
        server.close()


def test_a_server_that_takes_neither_is_knocked_twice_and_the_delivery_retried(db):
    server = FastInbox(lambda request: UNAUTHORIZED)
    try:
        queue(db, [server.url], 1)
        assert deliver(db, knocking(db)).retrying == 1
        assert [scheme_of(r) for r in server.requests] == [SCHEME_RFC9421, SCHEME_CAVAGE]
        assert remembered(db) == {}
    finally:
        server.close()


def test_signed_fetches_knock_the_same_way(db, servers):
    auth = knocking(db)

    async def fetch_twice(url: str) -> None:
        async with httpx.AsyncClient() as client:
            fetcher = Fetcher(client, POLICY, auth)
            for _ in range(2):
                final, document = await fetcher.get_json(url)
                assert document["type"] == "Note"

    for server in servers.values():
        asyncio.run(fetch_twice(server.url))
    assert [scheme_of(r) for r in servers["cavage"].requests] == [
        SCHEME_RFC9421,
        SCHEME_CAVAGE,
        SCHEME_CAVAGE,
    ]
    assert [scheme_of(r) for r in servers["rfc9421"].requests] == [SCHEME_RFC9421] * 2
    assert [scheme_of(r) for r in servers["both"].requests] == [SCHEME_RFC9421] * 2
