"""Object integrity proofs (FEP-8b32) with the eddsa-jcs-2022 cryptosuite.

A proof makes a published activity verifiable on its own, wherever it was fetched from: the
aggregator can pull a kern's outbox through any path and still know the kern wrote it.

The steps follow W3C "Data Integrity EdDSA Cryptosuites" (eddsa-jcs-2022):
    hash input = SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof))
    proofValue = 'z' + base58btc(Ed25519 signature over the hash input)
where the proof options are the proof without `proofValue`, carrying the document's @context.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.keys import MultikeyError, load_public_key

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION_METHOD = "assertionMethod"

# A resolver turns a verification method id into its Ed25519 public key (an object, or the
# Multikey / PEM text an actor document publishes), or None when it does not know the method.
ProofKeyResolver = Callable[[str], "ed25519.Ed25519PublicKey | str | None"]


class ProofError(Exception):
    """An integrity proof is missing, malformed or does not verify.

    `reason` is one of: 'missing', 'malformed', 'unsupported', 'unknown_key', 'bad_signature'.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def sign_document(
    document: dict[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None = None,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict[str, Any]:
    """A copy of `document` with an eddsa-jcs-2022 `proof`; the input is left untouched.

    An existing proof is replaced, not chained: Bloei signs each activity once, as its author.
    """
    if not isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise TypeError("eddsa-jcs-2022 needs an Ed25519 private key")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options: dict[str, Any] = {}
    if "@context" in unsecured:
        options["@context"] = copy.deepcopy(unsecured["@context"])
    options.update(
        {
            "type": PROOF_TYPE,
            "cryptosuite": CRYPTOSUITE,
            "verificationMethod": verification_method,
            "proofPurpose": proof_purpose,
            "created": format_created(created or datetime.now(UTC)),
        }
    )
    signature = private_key.sign(hash_input(options, unsecured))
    secured = copy.deepcopy(unsecured)
    secured["proof"] = {**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return secured


def verify_document(
    document: dict[str, Any],
    resolve_public_key: ProofKeyResolver,
    proof_purpose: str = ASSERTION_METHOD,
) -> str:
    """Check the document's proof and return its verification method id.

    The caller still decides whether that method may speak for the document's actor (FEP-8b32
    asks that its controller be the actor); the resolver is the natural place to check that.
    """
    if not isinstance(document, dict):
        raise ProofError("malformed", "the document is not a JSON object")
    proof = document.get("proof")
    if proof is None:
        raise ProofError("missing", "the document has no proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofError("unsupported", "proof sets and chains are not supported")
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("malformed", "proof is not a JSON object")
    if proof.get("type") != PROOF_TYPE:
        raise ProofError("unsupported", f"proof type {proof.get('type')!r} is not {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("unsupported", f"cryptosuite {proof.get('cryptosuite')!r} unknown")
    if proof.get("proofPurpose") != proof_purpose:
        raise ProofError("malformed", f"proofPurpose is not {proof_purpose!r}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not method:
        raise ProofError("malformed", "verificationMethod is missing")
    signature = _decode_proof_value(proof.get("proofValue"))

    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if "@context" in options:
        # The proof binds the context it was made under; the document must start with it.
        proof_context = _as_list(options["@context"])
        document_context = _as_list(unsecured.get("@context"))
        if document_context[: len(proof_context)] != proof_context:
            raise ProofError("malformed", "the document's @context does not match the proof's")
        unsecured["@context"] = options["@context"]

    public_key = _resolve(resolve_public_key, method)
    try:
        data = hash_input(options, unsecured)
    except (TypeError, ValueError) as exc:
        raise ProofError("malformed", f"document cannot be canonicalised: {exc}") from exc
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        raise ProofError("bad_signature", "the proof does not match the document") from None
    return method


def hash_input(proof_options: dict[str, Any], unsecured_document: dict[str, Any]) -> bytes:
    """The 64 bytes eddsa-jcs-2022 signs: both hashes, proof options first."""
    return (
        hashlib.sha256(rfc8785.dumps(proof_options)).digest()
        + hashlib.sha256(rfc8785.dumps(unsecured_document)).digest()
    )


def format_created(moment: datetime) -> str:
    """XML Schema dateTime in UTC to the second, as the FEP-8b32 examples write it."""
    if moment.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decode_proof_value(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("malformed", "proofValue must be base58btc multibase ('z...')")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as exc:
        raise ProofError("malformed", "proofValue is not base58btc") from exc
    if len(signature) != 64:
        raise ProofError("malformed", f"an Ed25519 signature has 64 bytes, not {len(signature)}")
    return signature


def _resolve(resolver: ProofKeyResolver, method: str) -> ed25519.Ed25519PublicKey:
    found = resolver(method)
    if found is None:
        raise ProofError("unknown_key", f"no key known for {method}")
    try:
        key = load_public_key(found)
    except MultikeyError as exc:
        raise ProofError("unknown_key", f"the key of {method} cannot be read: {exc}") from exc
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ProofError("unsupported", f"{method} is not an Ed25519 key")
    return key


def _as_list(context: object) -> list[object]:
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]
