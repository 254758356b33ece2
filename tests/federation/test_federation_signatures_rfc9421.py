"""RFC 9421 HTTP Message Signatures: the RFC's vector, our round trips, and interop both ways
with the independent `http_message_signatures` package."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

from federation.keys import generate_ed25519_key, generate_rsa_key
from federation.signatures import (
    ED25519,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    HttpSignatureAuth,
    RequestParts,
    SfInnerList,
    SfItem,
    SignatureError,
    Token,
    check_content_digest,
    check_request,
    content_digest_header,
    parse_sf_dictionary,
    rfc9421_signature_base,
    serialize_sf,
    sign_rfc9421,
    verify_request,
)

VECTORS = Path(__file__).parent / "vectors"
B26 = json.loads((VECTORS / "rfc9421-ed25519.json").read_text())
B26_PRIVATE = json.loads((VECTORS / "rfc9421-test-key-ed25519.json").read_text())
B26_NOW = datetime(2021, 4, 20, 2, 7, 55, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
INBOX = "https://meteren.example/inbox"
KEY_ID = "https://gemeente.example/actor#ed25519-key"
BODY = b'{"type": "Note", "content": "De weg wordt in maart opnieuw geasfalteerd."}'

DERIVED = ("@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query")
THEIR_ALGORITHMS = {
    RSA_V1_5_SHA256: algorithms.RSA_V1_5_SHA256,
    RSA_PSS_SHA512: algorithms.RSA_PSS_SHA512,
    ED25519: algorithms.ED25519,
}


@pytest.fixture(scope="module")
def rsa_key():
    return generate_rsa_key(2048)


@pytest.fixture(scope="module")
def ed_key():
    return generate_ed25519_key()


@pytest.fixture
def key_for(rsa_key, ed_key):
    return lambda algorithm: ed_key if algorithm == ED25519 else rsa_key


def b26_headers() -> dict[str, str]:
    return {
        "Host": "example.com",
        "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type": "application/json",
        "Content-Length": "18",
        "Signature-Input": B26["signatureInput"],
        "Signature": f"sig-b26=:{B26['signatureBase64']}:",
    }


def signed(key, algorithm=None, body=BODY, now=NOW, **kwargs) -> dict[str, str]:
    headers = {"Host": "meteren.example", "Content-Type": "application/activity+json"}
    headers |= sign_rfc9421(
        "POST",
        INBOX,
        KEY_ID,
        key,
        body=body,
        headers=headers,
        now=now,
        algorithm=algorithm,
        **kwargs,
    )
    return headers


def reason_of(headers, body=BODY, key=None, target="/inbox", method="POST", **options) -> str:
    options.setdefault("now", NOW)
    with pytest.raises(SignatureError) as caught:
        verify_request(method, target, headers, body, lambda _key_id: key, **options)
    return caught.value.reason


# --- RFC 9421 Appendix B.2.6 ----------------------------------------------------------------------


def test_b26_signature_base_is_reproduced_exactly():
    pending = check_request(
        "POST", "/foo", b26_headers(), b'{"hello": "world"}', now=B26_NOW, required=()
    )
    assert pending.signature_base.decode() == B26["signatureBase"]
    assert pending.key_id == "test-key-ed25519"
    assert pending.covered == (
        "date",
        "@method",
        "@path",
        "@authority",
        "content-type",
        "content-length",
    )


def test_b26_signature_verifies_with_the_rfc_public_key():
    pending = check_request(
        "POST", "/foo", b26_headers(), b'{"hello": "world"}', now=B26_NOW, required=()
    )
    verified = pending.verify(B26["publicKeyPem"])
    assert verified.algorithm == ED25519
    assert verified.created == datetime.fromtimestamp(1618884473, UTC)


def test_b26_signature_is_reproduced_with_the_rfc_private_key():
    """Ed25519 is deterministic: signing the base we built must give the RFC's bytes."""
    private = serialization.load_pem_private_key(B26_PRIVATE["privateKeyPem"].encode(), None)
    public = serialization.load_pem_public_key(B26["publicKeyPem"].encode())
    assert private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    params = parse_sf_dictionary(B26["signatureInput"])["sig-b26"]
    parts = RequestParts("POST", "https", "example.com", "/foo")
    fields = {k.lower(): v for k, v in b26_headers().items()}
    base = rfc9421_signature_base(parts, fields, params)
    assert base == B26["signatureBase"]
    assert base64.b64encode(private.sign(base.encode())).decode() == B26["signatureBase64"]


def test_b26_tampered_header_fails():
    headers = b26_headers()
    headers["Content-Type"] = "text/plain"
    with pytest.raises(SignatureError) as caught:
        check_request("POST", "/foo", headers, b"", now=B26_NOW, required=()).verify(
            B26["publicKeyPem"]
        )
    assert caught.value.reason == "bad_signature"


def test_b26_is_stale_today():
    with pytest.raises(SignatureError) as caught:
        check_request("POST", "/foo", b26_headers(), b"", required=())
    assert caught.value.reason == "stale"


# --- structured fields --------------------------------------------------------------------------


def test_signature_input_parses_and_serializes_back_unchanged():
    member = parse_sf_dictionary(B26["signatureInput"])["sig-b26"]
    assert isinstance(member, SfInnerList)
    assert [item.value for item in member.items][:2] == ["date", "@method"]
    assert dict(member.params) == {"created": 1618884473, "keyid": "test-key-ed25519"}
    assert "sig-b26=" + serialize_sf(member) == B26["signatureInput"]


def test_structured_field_types_round_trip():
    text = 'a=?1, b=:aGk=:, c=tok/en, d=-12;x="q\\"s", e=1.5, f=(1 "two");p'
    parsed = parse_sf_dictionary(text)
    assert parsed["a"] == SfItem(True)
    assert parsed["b"] == SfItem(b"hi")
    assert isinstance(parsed["c"].value, Token)
    assert parsed["d"] == SfItem(-12, (("x", 'q"s'),))
    assert ", ".join(f"{k}={serialize_sf(v)}" for k, v in parsed.items()) == text


@pytest.mark.parametrize(
    "text",
    [
        'a="unterminated',
        "a=(1 2",
        "A=1",
        "a=1,",
        "a=:not base64!:",
        'a="\\x"',
        "a=1 b=2",
        "a=?2",
        "a=@1659578233",
        'a=%"f%c3%bc"',
        "a=\u00e9",
    ],
)
def test_malformed_structured_fields_are_refused(text):
    with pytest.raises(ValueError):
        parse_sf_dictionary(text)


def test_content_digest_accepts_sha_512_and_refuses_a_mismatch():
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    check_content_digest(f"sha-512=:{sha512}:", BODY)
    assert content_digest_header(BODY) == (
        "sha-256=:" + base64.b64encode(hashlib.sha256(BODY).digest()).decode() + ":"
    )
    with pytest.raises(SignatureError) as caught:
        check_content_digest(f"sha-512=:{sha512}:", BODY + b" ")
    assert caught.value.reason == "bad_digest"
    with pytest.raises(SignatureError) as caught:
        check_content_digest("md5=:AAAA:", BODY)
    assert caught.value.reason == "bad_digest"


# --- our own round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", [RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519])
def test_our_signatures_verify_with_ours(key_for, algorithm):
    key = key_for(algorithm)
    headers = signed(key, algorithm)
    assert headers["Content-Digest"] == content_digest_header(BODY)
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "@authority" "content-digest");created='
    )
    verified = verify_request("POST", "/inbox", headers, BODY, lambda _: key.public_key(), now=NOW)
    assert (verified.scheme, verified.key_id, verified.algorithm) == ("rfc9421", KEY_ID, algorithm)
    assert verified.created == NOW


def test_a_signature_without_alg_uses_rsa_v1_5_for_rsa_keys(rsa_key):
    headers = signed(rsa_key)
    headers["Signature-Input"] = headers["Signature-Input"].replace(';alg="rsa-v1_5-sha256"', "")
    base = check_request("POST", "/inbox", headers, BODY, now=NOW).signature_base
    signature = rsa_key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"
    verified = verify_request(
        "POST", "/inbox", headers, BODY, lambda _: rsa_key.public_key(), now=NOW
    )
    assert verified.algorithm == RSA_V1_5_SHA256


def test_path_and_authority_may_replace_target_uri(ed_key):
    headers = signed(ed_key, components=("@method", "@path", "@authority", "content-digest"))
    verified = verify_request(
        "POST", "/inbox", headers, BODY, lambda _: ed_key.public_key(), now=NOW
    )
    assert verified.covered == ("@method", "@path", "@authority", "content-digest")


# --- interop with http_message_signatures --------------------------------------------------------


def their_request(headers: dict[str, str], body: bytes = BODY) -> httpx.Request:
    return httpx.Request("POST", INBOX, headers=headers, content=body)


@pytest.mark.parametrize("algorithm", [RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519])
def test_our_signatures_verify_with_http_message_signatures(key_for, algorithm):
    key = key_for(algorithm)
    headers = signed(key, algorithm, now=datetime.now(UTC))
    verifier = HTTPMessageVerifier(
        signature_algorithm=THEIR_ALGORITHMS[algorithm],
        key_resolver=MappingKeyResolver(public_keys={KEY_ID: key.public_key()}, private_keys={}),
    )
    [result] = verifier.verify(their_request(headers), body=BODY)
    assert result.parameters["keyid"] == KEY_ID
    assert result.body == BODY
    assert result.covered_components['"@target-uri"'] == INBOX


def test_http_message_signatures_rejects_our_signature_on_a_tampered_body(ed_key):
    headers = signed(ed_key, now=datetime.now(UTC))
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={KEY_ID: ed_key.public_key()}, private_keys={}),
    )
    with pytest.raises(InvalidSignature):
        verifier.verify(their_request(headers, BODY + b" "), body=BODY + b" ")


@pytest.mark.parametrize("algorithm", [RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519])
def test_signatures_of_http_message_signatures_verify_with_ours(key_for, algorithm):
    key = key_for(algorithm)
    request = their_request({"Content-Type": "application/activity+json"})
    signer = HTTPMessageSigner(
        signature_algorithm=THEIR_ALGORITHMS[algorithm],
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: key}),
    )
    signer.sign(
        request,
        key_id=KEY_ID,
        covered_component_ids=("@method", "@authority", "@target-uri"),
        body=BODY,
    )
    assert "content-digest" in request.headers
    verified = verify_request(
        request.method,
        request.url.raw_path.decode(),
        request.headers,
        BODY,
        lambda key_id: key.public_key() if key_id == KEY_ID else None,
    )
    assert verified.algorithm == algorithm
    assert "content-digest" in verified.covered
    assert reason_of(request.headers, BODY + b"!", key.public_key(), now=None) == "bad_digest"


def test_the_httpx_auth_can_sign_rfc9421_for_both_verifiers(ed_key):
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202)

    auth = HttpSignatureAuth(KEY_ID, ed_key, scheme="rfc9421")
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.post(INBOX, content=BODY)
    request = captured[0]
    ours = verify_request("POST", "/inbox", request.headers, BODY, lambda _: ed_key.public_key())
    assert ours.scheme == "rfc9421"
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={KEY_ID: ed_key.public_key()}, private_keys={}),
    )
    assert verifier.verify(request, body=BODY)[0].body == BODY


# --- refusals -----------------------------------------------------------------------------------


def test_a_tampered_body_fails_on_the_content_digest(ed_key):
    assert reason_of(signed(ed_key), BODY + b" ", ed_key.public_key()) == "bad_digest"


def test_a_tampered_header_fails(ed_key):
    headers = signed(ed_key)
    headers["Host"] = "heukelum.example"
    assert reason_of(headers, key=ed_key.public_key()) == "bad_signature"


def test_a_tampered_method_or_target_fails(ed_key):
    headers = signed(ed_key)
    assert reason_of(headers, key=ed_key.public_key(), method="PUT") == "bad_signature"
    assert reason_of(headers, key=ed_key.public_key(), target="/inbox?x=1") == "bad_signature"


def test_the_wrong_key_fails(ed_key):
    other = generate_ed25519_key().public_key()
    assert reason_of(signed(ed_key), key=other) == "bad_signature"


def test_a_key_that_does_not_fit_alg_fails(ed_key, rsa_key):
    assert reason_of(signed(ed_key), key=rsa_key.public_key()) == "bad_signature"


def test_an_unknown_key_fails(ed_key):
    assert reason_of(signed(ed_key), key=None) == "unknown_key"


def test_a_stale_created_fails(ed_key):
    headers = signed(ed_key, now=NOW - timedelta(hours=1, seconds=1))
    assert reason_of(headers, key=ed_key.public_key()) == "stale"
    assert reason_of(signed(ed_key, now=NOW + timedelta(hours=2)), key=ed_key.public_key()) == (
        "stale"
    )


def test_an_expired_signature_fails(ed_key):
    headers = signed(ed_key)
    headers["Signature-Input"] += f";expires={int(NOW.timestamp()) - 1}"
    assert reason_of(headers, key=ed_key.public_key()) == "stale"


def test_a_missing_content_digest_fails(ed_key):
    headers = signed(ed_key)
    del headers["Content-Digest"]
    assert reason_of(headers, key=ed_key.public_key()) == "missing"


def test_a_body_signed_without_content_digest_is_insufficient(ed_key):
    headers = signed(ed_key, components=("@method", "@target-uri"))
    headers["Content-Digest"] = content_digest_header(BODY)
    assert reason_of(headers, key=ed_key.public_key()) == "insufficient"


def test_a_signature_without_method_or_target_is_insufficient(ed_key):
    headers = signed(ed_key, components=("@target-uri", "content-digest"))
    assert reason_of(headers, key=ed_key.public_key()) == "insufficient"
    headers = signed(ed_key, components=("@method", "@path", "content-digest"))
    assert reason_of(headers, key=ed_key.public_key()) == "insufficient"


def test_a_signature_without_created_or_date_is_insufficient(ed_key):
    headers = signed(ed_key)
    params = parse_sf_dictionary(headers["Signature-Input"])["sig1"]
    headers["Signature-Input"] = "sig1=" + serialize_sf(
        SfInnerList(params.items, tuple(p for p in params.params if p[0] != "created"))
    )
    assert reason_of(headers, key=ed_key.public_key()) == "insufficient"


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ('sig1=("@method");created=1;keyid="k";alg="hmac-sha256"', "sig1=:AAAA:", "unsupported"),
        ('sig1=("@query-param";name="a");created=1;keyid="k"', "sig1=:AAAA:", "unsupported"),
        ('sig1=("@method" "@method");keyid="k";created=1', "sig1=:AAAA:", "malformed"),
        ('sig1=("@method");created=1', "sig1=:AAAA:", "malformed"),
        ('sig1=("@method");created=1;keyid="k"', "sig2=:AAAA:", "missing"),
        ('sig1=("@method");created=1;keyid="k"', 'sig1="AAAA"', "malformed"),
        ("sig1=(", "sig1=:AAAA:", "malformed"),
    ],
)
def test_malformed_or_unsupported_inputs_fail(signature_input, signature, reason):
    headers = {"Host": "meteren.example", "Signature-Input": signature_input}
    headers["Signature"] = signature
    created = datetime.fromtimestamp(1, UTC)
    assert reason_of(headers, body=b"", required=(), now=created) == reason


def test_derived_components_follow_rfc_9421_section_2_2():
    """The RFC's running example: POST /path?param=value to www.example.com over https."""
    parts = RequestParts("post", "https", "www.example.com", "/path?param=value")
    assert [parts.derived(name) for name in DERIVED] == [
        "POST",
        "https://www.example.com/path?param=value",
        "www.example.com",
        "https",
        "/path?param=value",
        "/path",
        "?param=value",
    ]


def test_authority_is_lower_cased_without_its_default_port():
    assert RequestParts("GET", "https", "Meteren.EXAMPLE:443", "/").derived("@authority") == (
        "meteren.example"
    )
    assert RequestParts("GET", "http", "meteren.example:8080", "").derived("@authority") == (
        "meteren.example:8080"
    )
    assert RequestParts("GET", "https", "meteren.example", "").derived("@path") == "/"
    assert RequestParts("GET", "https", "meteren.example", "/a").derived("@query") == "?"
