"""Body digests: the legacy `Digest` header (RFC 3230) and `Content-Digest` (RFC 9530).

A signature covers the digest header, not the body; these checks tie the two together, so a
body changed in transit fails here even when the signature itself is intact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from federation.signature_common import SignatureError
from federation.structured_fields import SfItem, parse_sf_dictionary


def digest_header(body: bytes) -> str:
    """Legacy `Digest` value (RFC 3230) that Mastodon checks: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """RFC 9530 `Content-Digest` value: `sha-256=:<base64>:`."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


_DIGEST_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def check_digest(value: str, body: bytes) -> None:
    """Check a legacy `Digest` header (`SHA-256=b64[, SHA-512=b64]`) against the body."""
    checked = 0
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        algorithm = _DIGEST_ALGORITHMS.get(name.strip().lower())
        if not sep or algorithm is None:
            continue  # RFC 3230 lets a sender list algorithms we do not know
        try:
            expected = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            raise SignatureError("malformed", "Digest is not base64") from None
        if not hmac.compare_digest(expected, algorithm(body).digest()):
            raise SignatureError("bad_digest", f"the body does not match its {name} Digest")
        checked += 1
    if not checked:
        raise SignatureError("bad_digest", "Digest has no SHA-256 or SHA-512 value")


def check_content_digest(value: str, body: bytes) -> None:
    """Check an RFC 9530 `Content-Digest` header against the body."""
    try:
        members = parse_sf_dictionary(value)
    except ValueError as exc:
        raise SignatureError("malformed", f"Content-Digest: {exc}") from None
    checked = 0
    for name, member in members.items():
        algorithm = _DIGEST_ALGORITHMS.get(name)
        if algorithm is None:
            continue
        if not isinstance(member, SfItem) or not isinstance(member.value, bytes):
            raise SignatureError("malformed", f"Content-Digest {name} is not a byte sequence")
        if not hmac.compare_digest(member.value, algorithm(body).digest()):
            raise SignatureError("bad_digest", f"the body does not match its {name} Content-Digest")
        checked += 1
    if not checked:
        raise SignatureError("bad_digest", "Content-Digest has no sha-256 or sha-512 value")
