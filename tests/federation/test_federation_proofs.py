"""FEP-8b32 integrity proofs with eddsa-jcs-2022."""

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rfc8785

from federation.keys import decode_private_multikey, encode_multikey, generate_ed25519_key
from federation.proofs import ProofError, hash_input, sign_document, verify_document

VECTORS = Path(__file__).parent / "vectors"
VECTOR = json.loads((VECTORS / "fep-8b32.json").read_text())
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
METHOD = VECTOR["proofOptions"]["verificationMethod"]


def resolver(mapping: dict):
    return lambda method: mapping.get(method)


VECTOR_KEYS = resolver({METHOD: VECTOR["publicKeyMultibase"]})


@pytest.fixture
def signed() -> dict:
    private = decode_private_multikey(VECTOR["secretKeyMultibase"])
    return sign_document(VECTOR["document"], private, METHOD, created=CREATED)


def test_the_fep_8b32_vector_gives_the_published_proof_value(signed):
    assert signed["proof"]["proofValue"] == VECTOR["expectedProofValue"]
    options = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    assert options == VECTOR["proofOptions"]
    assert {k: v for k, v in signed.items() if k != "proof"} == VECTOR["document"]


def test_the_published_proof_verifies_without_our_signer():
    """Given the vector's document with its published proof, verification succeeds."""
    document = copy.deepcopy(VECTOR["document"])
    document["proof"] = {**VECTOR["proofOptions"], "proofValue": VECTOR["expectedProofValue"]}
    assert verify_document(document, VECTOR_KEYS) == METHOD


def test_hash_input_is_the_two_jcs_hashes_proof_options_first():
    data = hash_input(VECTOR["proofOptions"], VECTOR["document"])
    assert len(data) == 64
    assert data[:32] == hashlib.sha256(rfc8785.dumps(VECTOR["proofOptions"])).digest()
    assert data[32:] == hashlib.sha256(rfc8785.dumps(VECTOR["document"])).digest()


def test_signing_leaves_the_input_untouched_and_replaces_an_old_proof():
    document = copy.deepcopy(VECTOR["document"])
    key = generate_ed25519_key()
    first = sign_document(document, key, "https://a.example/kern#ed25519")
    assert document == VECTOR["document"]
    second = sign_document(first, key, "https://a.example/kern#ed25519", created=CREATED)
    assert second["proof"]["created"] == "2023-02-24T23:36:38Z"
    assert verify_document(second, resolver({"https://a.example/kern#ed25519": key.public_key()}))


def test_a_document_without_context_gets_proof_options_without_context():
    key = generate_ed25519_key()
    signed = sign_document({"type": "Note", "content": "Hoi"}, key, "urn:k", created=CREATED)
    assert "@context" not in signed["proof"]
    assert verify_document(signed, resolver({"urn:k": encode_multikey(key.public_key())}))


def test_created_defaults_to_now_in_utc():
    before = datetime.now(UTC).replace(microsecond=0)
    signed = sign_document({"type": "Note"}, generate_ed25519_key(), "urn:k")
    created = datetime.strptime(signed["proof"]["created"], "%Y-%m-%dT%H:%M:%SZ")
    assert created.replace(tzinfo=UTC) >= before


# --- failures -----------------------------------------------------------------------------------


def expect(reason: str, document: dict, keys=VECTOR_KEYS) -> ProofError:
    with pytest.raises(ProofError) as caught:
        verify_document(document, keys)
    assert caught.value.reason == reason
    return caught.value


def test_tampered_content_fails(signed):
    signed["object"]["content"] = "Hello world!"
    expect("bad_signature", signed)


def test_tampered_proof_options_fail(signed):
    signed["proof"]["created"] = "2024-02-24T23:36:38Z"
    expect("bad_signature", signed)


def test_a_wrong_key_fails(signed):
    other = encode_multikey(generate_ed25519_key().public_key())
    expect("bad_signature", signed, resolver({METHOD: other}))


def test_an_unknown_verification_method_fails(signed):
    expect("unknown_key", signed, resolver({}))


def test_an_rsa_key_is_not_an_eddsa_key(signed):
    rsa_multikey = json.loads((VECTORS / "fep-521a.json").read_text())["rsa"]["publicKeyMultibase"]
    expect("unsupported", signed, resolver({METHOD: rsa_multikey}))


def test_a_missing_proof_fails():
    expect("missing", copy.deepcopy(VECTOR["document"]))


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("cryptosuite", "eddsa-rdfc-2022", "unsupported"),
        ("type", "Ed25519Signature2020", "unsupported"),
        ("proofPurpose", "authentication", "malformed"),
        ("proofValue", "42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC", "malformed"),
        ("proofValue", "z42ffGu6AUKPCFc", "malformed"),
        ("verificationMethod", None, "malformed"),
    ],
)
def test_proofs_that_do_not_follow_eddsa_jcs_2022_fail(signed, field, value, reason):
    signed["proof"][field] = value
    expect(reason, signed)


def test_a_document_context_that_does_not_start_with_the_proof_context_fails(signed):
    signed["@context"] = ["https://www.w3.org/ns/activitystreams"]
    error = expect("malformed", signed)
    assert "@context" in str(error)


def test_a_document_may_extend_the_proof_context(signed):
    """The document's context may be longer; the proof's context is what was signed."""
    signed["@context"] = [*signed["@context"], "https://bloei.example/ns"]
    assert verify_document(signed, VECTOR_KEYS) == METHOD
