"""A kern reaches followers that read only one signature scheme: RFC 9421 first, draft-cavage
after a refusal, remembered per host. Real receivers on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from receivers import FastInbox, Received

from federation import followers
from federation.addresses import AddressPolicy
from federation.signatures import SignatureError, verify_request
from federation.store import utcnow
from node.kern.agenda import model as agenda

REFUSED = (401, b"signature verification failed")


def thema(number: int) -> dict:
    return {
        "title": f"Thema {number}",
        "description": "Te hard rijden op de Dorpsstraat.",
        "priority": "middel",
        "status": "loopt",
        "actor": "samen",
        "actor_other": "",
    }


class Verifiers:
    """Answers as a server that reads one scheme, checked with the kern's public key."""

    def __init__(self, identity) -> None:
        self.key_id = identity.main_key_id
        self.public_key = identity.keys.rsa.public_key()

    def cavage_only(self, request: Received) -> tuple[int, bytes]:
        if "signature-input" in request.headers:
            return REFUSED
        try:
            verify_request("POST", request.path, request.headers, request.body, self._key)
        except SignatureError:
            return REFUSED
        return 202, b""

    def rfc9421_only(self, request: Received) -> tuple[int, bytes]:
        if "signature-input" not in request.headers:
            return REFUSED
        url = f"http://{request.headers['host']}{request.path}"
        message = httpx.Request("POST", url, headers=request.headers, content=request.body)
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=MappingKeyResolver(
                public_keys={self.key_id: self.public_key}, private_keys={}
            ),
        )
        verifier.verify(message)  # raises when it does not verify: the test shows it
        return 202, b""

    def _key(self, key_id: str):
        return self.public_key if key_id == self.key_id else None


@pytest.fixture
def receivers(app):
    verifiers = Verifiers(app.state.federation.publisher.identity)
    cavage, rfc9421 = FastInbox(verifiers.cavage_only), FastInbox(verifiers.rfc9421_only)
    yield cavage, rfc9421
    cavage.close()
    rfc9421.close()


async def test_a_kern_reaches_followers_that_read_only_one_signature_scheme(
    settings, db, app, receivers
):
    cavage, rfc9421 = receivers
    federation = app.state.federation
    federation.policy = AddressPolicy(dev=True)

    def follow(conn) -> None:
        for number, inbox in enumerate((cavage.url, rfc9421.url)):
            actor = inbox.replace("/inbox", f"/actor-{number}")
            followers.save_follower(conn, actor, inbox, None, "accepted", utcnow())

    db.write_quiet(follow)
    db.write(agenda.save_thema, settings, "test", thema(1))
    assert (await federation.deliver()).done == 2
    db.write(agenda.save_thema, settings, "test", thema(2))
    assert (await federation.deliver()).done == 2
    # Each follower took both; the draft-cavage one was knocked on twice only the first time
    assert [a["type"] for a in cavage.received] == ["Create", "Create"]
    assert [a["type"] for a in rfc9421.received] == ["Create", "Create"]
    assert ["signature-input" in r.headers for r in cavage.requests] == [True, False, False]
    assert ["signature-input" in r.headers for r in rfc9421.requests] == [True, True]
