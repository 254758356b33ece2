"""draft-cavage-http-signatures-12 as Mastodon uses it: signing, verifying, and refusing."""

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from federation.keys import generate_ed25519_key, generate_rsa_key, public_key_pem
from federation.signatures import (
    HttpSignatureAuth,
    SignatureError,
    cavage_signing_string,
    check_request,
    digest_header,
    parse_cavage_signature,
    sign_cavage,
    verify_request,
    verify_request_async,
)

VECTORS = Path(__file__).parent / "vectors"
CAVAGE = json.loads((VECTORS / "draft-cavage-12.json").read_text())
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
INBOX = "https://beesd.example/inbox"
KEY_ID = "https://gemeente.example/actor#main-key"
BODY = b'{"type": "Follow", "actor": "https://gemeente.example/actor"}'


@pytest.fixture(scope="module")
def rsa_key():
    return generate_rsa_key(2048)


@pytest.fixture(scope="module")
def other_rsa_key():
    return generate_rsa_key(2048)


def keys_of(**by_id):
    return lambda key_id: by_id.get(key_id)


def signed_post(rsa_key, body=BODY, now=NOW, url=INBOX):
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_cavage("POST", url, KEY_ID, rsa_key, body=body, headers=headers, now=now))
    return headers


def verify(headers, body=BODY, key=None, method="POST", target="/inbox", **options):
    options.setdefault("now", NOW)
    return verify_request(method, target, headers, body, lambda _key_id: key, **options)


def reason_of(headers, body=BODY, key=None, **options) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(headers, body, key, **options)
    return caught.value.reason


# --- the draft's own test values (Appendix C) -----------------------------------------------------


@pytest.mark.parametrize("name", list(CAVAGE["tests"]))
def test_appendix_c_signatures_verify(name):
    """Given the draft's request and signature, our signing string and verifier agree."""
    test = CAVAGE["tests"][name]
    request = CAVAGE["request"]
    headers = {**request["headers"], "Signature": test["signatureHeader"]}
    pending = check_request(
        request["method"],
        request["target"],
        headers,
        request["body"].encode(),
        now=CAVAGE_NOW,
        required=(),
    )
    assert pending.signature_base.decode() == test["signingString"]
    verified = pending.verify(CAVAGE["publicKeyPem"])
    assert (verified.scheme, verified.key_id, verified.algorithm) == (
        "draft-cavage",
        "Test",
        "rsa-v1_5-sha256",
    )
    assert verified.created == CAVAGE_NOW


@pytest.mark.parametrize("name", list(CAVAGE["tests"]))
def test_appendix_c_signatures_are_reproduced_exactly(name):
    """RSA PKCS#1 v1.5 is deterministic, so our signer must give the published bytes."""
    test = CAVAGE["tests"][name]
    request = CAVAGE["request"]
    expected = parse_cavage_signature(test["signatureHeader"])
    covered = expected.get("headers", "date").split()
    key = serialization.load_pem_private_key(CAVAGE["privateKeyPem"].encode(), None)
    url = "https://example.com" + request["target"]
    added = sign_cavage(
        "POST",
        url,
        "Test",
        key,
        body=request["body"].encode(),
        headers=request["headers"],
        covered=covered,
    )
    produced = parse_cavage_signature(added["Signature"])
    assert produced["signature"] == expected["signature"]
    assert produced["headers"] == " ".join(covered)
    assert added["Digest"] == request["headers"]["Digest"]


def test_the_default_test_also_passes_the_default_policy_when_asked_for_date_only():
    test = CAVAGE["tests"]["C.1 Default Test"]
    request = CAVAGE["request"]
    headers = {**request["headers"], "Signature": test["signatureHeader"]}
    verified = verify_request(
        "POST",
        request["target"],
        headers,
        request["body"].encode(),
        keys_of(Test=CAVAGE["publicKeyPem"]),
        now=CAVAGE_NOW,
        required=("date",),
    )
    assert verified.covered == ("date",)


def test_the_all_headers_test_passes_our_default_policy():
    test = CAVAGE["tests"]["C.3 All Headers Test"]
    request = CAVAGE["request"]
    headers = {**request["headers"], "Signature": test["signatureHeader"]}
    verified = verify_request(
        "POST",
        request["target"],
        headers,
        request["body"].encode(),
        keys_of(Test=CAVAGE["publicKeyPem"]),
        now=CAVAGE_NOW,
    )
    assert "digest" in verified.covered


# --- our own requests ---------------------------------------------------------------------------


def test_a_post_is_signed_as_mastodon_expects(rsa_key):
    headers = signed_post(rsa_key)
    params = parse_cavage_signature(headers["Signature"])
    assert params["keyId"] == KEY_ID
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest"
    assert headers["Host"] == "beesd.example"
    assert headers["Date"] == "Sun, 29 Nov 2026 12:00:00 GMT"
    assert headers["Digest"] == digest_header(BODY)
    assert headers["Digest"].startswith("SHA-256=")

    verified = verify(headers, key=rsa_key.public_key())
    assert verified.key_id == KEY_ID
    assert verified.covered == ("(request-target)", "host", "date", "digest")


def test_the_signing_string_is_the_one_the_draft_describes(rsa_key):
    headers = signed_post(rsa_key, url="https://beesd.example:8443/inbox?page=2")
    text = cavage_signing_string(
        "POST", "/inbox?page=2", headers, ("(request-target)", "host", "date", "digest"), {}
    )
    assert text == (
        "(request-target): post /inbox?page=2\n"
        "host: beesd.example:8443\n"
        "date: Sun, 29 Nov 2026 12:00:00 GMT\n"
        f"digest: {digest_header(BODY)}"
    )
    params = parse_cavage_signature(headers["Signature"])
    rsa_key.public_key().verify(
        base64.b64decode(params["signature"]),
        text.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_a_get_signs_request_target_host_and_date_without_digest(rsa_key):
    added = sign_cavage("GET", "https://beesd.example/outbox?page=1", KEY_ID, rsa_key, now=NOW)
    assert "Digest" not in added
    assert parse_cavage_signature(added["Signature"])["headers"] == "(request-target) host date"
    verified = verify(
        added, body=b"", key=rsa_key.public_key(), method="GET", target="/outbox?page=1"
    )
    assert verified.covered == ("(request-target)", "host", "date")


def test_a_get_may_sign_accept_too(rsa_key):
    headers = {"Accept": "application/activity+json"}
    covered = ("(request-target)", "host", "date", "accept")
    headers |= sign_cavage("GET", INBOX, KEY_ID, rsa_key, headers=headers, now=NOW, covered=covered)
    verified = verify(headers, body=b"", key=public_key_pem(rsa_key), method="GET")
    assert verified.covered[-1] == "accept"
    headers["Accept"] = "text/html"
    assert reason_of(headers, body=b"", key=rsa_key.public_key(), method="GET") == "bad_signature"


def test_hs2019_with_an_rsa_key_is_read_as_rsa_sha256(rsa_key):
    headers = signed_post(rsa_key)
    headers["Signature"] = headers["Signature"].replace('"rsa-sha256"', '"hs2019"')
    verified = verify(headers, key=rsa_key.public_key())
    assert verified.algorithm == "rsa-v1_5-sha256"


def test_a_signature_without_algorithm_lets_the_key_decide(rsa_key):
    headers = signed_post(rsa_key)
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256",', "")
    assert verify(headers, key=rsa_key.public_key()).algorithm == "rsa-v1_5-sha256"


def test_an_ed25519_key_signs_as_hs2019():
    key = generate_ed25519_key()
    headers = sign_cavage("POST", INBOX, KEY_ID, key, body=BODY, now=NOW)
    assert parse_cavage_signature(headers["Signature"])["algorithm"] == "hs2019"
    assert verify(headers, key=key.public_key()).algorithm == "ed25519"


def test_the_authorization_header_form_is_accepted(rsa_key):
    headers = signed_post(rsa_key)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert verify(headers, key=rsa_key.public_key()).key_id == KEY_ID


def test_header_names_and_repeated_fields_are_read_case_insensitively(rsa_key):
    headers = [(name.upper(), value) for name, value in signed_post(rsa_key).items()]
    assert verify(headers, key=rsa_key.public_key()).key_id == KEY_ID


async def test_an_async_resolver_is_awaited(rsa_key):
    async def resolve(key_id):
        return public_key_pem(rsa_key) if key_id == KEY_ID else None

    headers = signed_post(rsa_key)
    verified = await verify_request_async("POST", "/inbox", headers, BODY, resolve, now=NOW)
    assert verified.key_id == KEY_ID


# --- refusals -----------------------------------------------------------------------------------


def test_a_tampered_body_fails_on_the_digest(rsa_key):
    headers = signed_post(rsa_key)
    assert reason_of(headers, body=BODY.replace(b"Follow", b"Undo"), key=rsa_key.public_key()) == (
        "bad_digest"
    )


def test_a_digest_recomputed_for_a_tampered_body_fails_on_the_signature(rsa_key):
    headers = signed_post(rsa_key)
    tampered = BODY.replace(b"Follow", b"Undo")
    headers["Digest"] = digest_header(tampered)
    assert reason_of(headers, body=tampered, key=rsa_key.public_key()) == "bad_signature"


def test_a_tampered_header_fails(rsa_key):
    headers = signed_post(rsa_key)
    headers["Host"] = "heukelum.example"
    assert reason_of(headers, key=rsa_key.public_key()) == "bad_signature"


def test_a_tampered_target_fails(rsa_key):
    headers = signed_post(rsa_key)
    assert reason_of(headers, key=rsa_key.public_key(), target="/other/inbox") == "bad_signature"


def test_the_wrong_key_fails(rsa_key, other_rsa_key):
    headers = signed_post(rsa_key)
    assert reason_of(headers, key=other_rsa_key.public_key()) == "bad_signature"


def test_a_key_of_the_wrong_type_fails(rsa_key):
    headers = signed_post(rsa_key)
    assert reason_of(headers, key=generate_ed25519_key().public_key()) == "bad_signature"


def test_an_unknown_key_fails(rsa_key):
    assert reason_of(signed_post(rsa_key), key=None) == "unknown_key"


def test_an_unreadable_key_fails_as_unknown(rsa_key):
    assert reason_of(signed_post(rsa_key), key="not a key") == "unknown_key"


def test_a_stale_date_fails(rsa_key):
    headers = signed_post(rsa_key, now=NOW - timedelta(hours=1, seconds=1))
    assert reason_of(headers, key=rsa_key.public_key()) == "stale"


def test_a_date_from_the_future_fails(rsa_key):
    headers = signed_post(rsa_key, now=NOW + timedelta(hours=2))
    assert reason_of(headers, key=rsa_key.public_key()) == "stale"


def test_the_allowed_skew_is_configurable(rsa_key):
    headers = signed_post(rsa_key, now=NOW - timedelta(minutes=10))
    assert verify(headers, key=rsa_key.public_key()).created == NOW - timedelta(minutes=10)
    assert reason_of(headers, key=rsa_key.public_key(), max_skew=timedelta(minutes=5)) == "stale"


def test_a_missing_digest_fails(rsa_key):
    headers = signed_post(rsa_key)
    del headers["Digest"]
    assert reason_of(headers, key=rsa_key.public_key()) == "missing"


def test_a_body_signed_without_digest_fails(rsa_key):
    """A GET-style signature cannot carry a body: the body would not be covered."""
    headers = sign_cavage("POST", INBOX, KEY_ID, rsa_key, now=NOW)
    assert reason_of(headers, key=rsa_key.public_key()) == "missing"
    headers["Digest"] = digest_header(BODY)
    assert reason_of(headers, key=rsa_key.public_key()) == "insufficient"


def test_a_signature_without_request_target_or_date_is_insufficient(rsa_key):
    headers = {"Content-Type": "application/json"}
    headers |= sign_cavage(
        "POST", INBOX, KEY_ID, rsa_key, body=BODY, now=NOW, covered=("host", "date", "digest")
    )
    assert reason_of(headers, key=rsa_key.public_key()) == "insufficient"
    headers = sign_cavage(
        "POST",
        INBOX,
        KEY_ID,
        rsa_key,
        body=BODY,
        now=NOW,
        covered=("(request-target)", "host", "digest"),
    )
    assert reason_of(headers, key=rsa_key.public_key()) == "insufficient"


def test_an_unsigned_request_fails():
    assert reason_of({"Host": "beesd.example", "Date": "Sun, 29 Nov 2026 12:00:00 GMT"}) == (
        "missing"
    )


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ('keyId="k",algorithm="hmac-sha256",headers="date",signature="AAAA"', "unsupported"),
        ('keyId="k",headers="date"', "malformed"),
        ('keyId="k",signature="not base64!"', "malformed"),
        ('keyId="k" signature="AAAA"', "malformed"),
        ('keyId="k",keyId="j",signature="AAAA"', "malformed"),
    ],
)
def test_malformed_or_unsupported_signature_headers_fail(signature, reason):
    headers = {"Host": "beesd.example", "Date": "Sun, 29 Nov 2026 12:00:00 GMT"}
    headers["Signature"] = signature
    assert reason_of(headers, body=b"", required=()) == reason


def test_a_malformed_date_fails(rsa_key):
    headers = signed_post(rsa_key)
    headers["Date"] = "yesterday"
    assert reason_of(headers, key=rsa_key.public_key()) == "malformed"


# --- httpx.Auth ---------------------------------------------------------------------------------


def capture_transport(captured: list):
    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202)

    return httpx.MockTransport(handler)


def test_the_httpx_auth_signs_a_post_that_our_verifier_accepts(rsa_key):
    captured: list[httpx.Request] = []
    auth = HttpSignatureAuth(KEY_ID, rsa_key, clock=lambda: NOW)
    with httpx.Client(transport=capture_transport(captured), auth=auth) as client:
        response = client.post(INBOX, content=BODY, headers={"Content-Type": "application/json"})
    assert response.status_code == 202
    request = captured[0]
    assert request.headers["digest"] == digest_header(BODY)
    verified = verify_request(
        request.method,
        request.url.raw_path.decode(),
        request.headers,
        request.content,
        keys_of(**{KEY_ID: rsa_key.public_key()}),
        now=NOW,
    )
    assert verified.covered == ("(request-target)", "host", "date", "digest")


async def test_the_httpx_auth_signs_async_gets(rsa_key):
    captured: list[httpx.Request] = []
    auth = HttpSignatureAuth(KEY_ID, rsa_key)
    transport = capture_transport(captured)
    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        await client.get("https://beesd.example/outbox?page=true")
    request = captured[0]
    assert "digest" not in request.headers
    verified = verify_request(
        "GET", "/outbox?page=true", request.headers, b"", keys_of(**{KEY_ID: rsa_key.public_key()})
    )
    assert verified.covered == ("(request-target)", "host", "date")
    assert abs(verified.created - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_non_ascii_signed_header_is_malformed_not_a_crash(rsa_key):
    headers = signed_post(rsa_key)
    headers["Host"] = "beesd.example\u00e9"
    assert reason_of(headers, key=rsa_key.public_key()) == "malformed"
