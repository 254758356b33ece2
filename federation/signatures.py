"""HTTP signatures on requests between nodes: sign outgoing ones, verify incoming ones.

Two schemes live side by side, because the fediverse is between them:

* draft-cavage-http-signatures-12, as Mastodon signs and verifies it: a `Signature` header with
  rsa-sha256 (or the `hs2019` label) over `(request-target) host date digest`, and a legacy
  `Digest: SHA-256=<base64>` header (RFC 3230) for the body.
* RFC 9421 HTTP Message Signatures with `Signature-Input` / `Signature` and RFC 9530
  `Content-Digest`, with rsa-v1_5-sha256, rsa-pss-sha512 or ed25519.

We verify both. A node signs with RFC 9421 first and with draft-cavage for a host that refuses
it (`federation.knocking`); `HttpSignatureAuth` signs with one scheme, draft-cavage by default.

Verification is in two steps so that a caller can fetch a remote key asynchronously in between:
`check_request` does everything that needs no key (parsing, coverage, digest, clock) and returns
a `PendingSignature`; its `verify(key)` does the cryptography. `verify_request` and
`verify_request_async` join the two around a key resolver. Every failure is a `SignatureError`
whose `reason` an inbox can log and count.

The verifier learns the authority from the `Host` header: a reverse proxy must pass it through.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Generator
from datetime import UTC, datetime, timedelta

import httpx

from federation.cavage import (
    CAVAGE_DEFAULT_REQUIRED,
    cavage_signing_string,
    check_cavage,
    parse_cavage_signature,
    sign_cavage,
)
from federation.digests import (
    check_content_digest,
    check_digest,
    content_digest_header,
    digest_header,
)
from federation.keys import PrivateKey
from federation.rfc9421 import (
    RFC9421_ALGORITHMS,
    RequestParts,
    check_rfc9421,
    rfc9421_signature_base,
    sign_rfc9421,
)
from federation.signature_common import (
    DEFAULT_MAX_SKEW,
    ED25519,
    REASONS,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    SCHEME_CAVAGE,
    SCHEME_RFC9421,
    AsyncKeyResolver,
    HeaderInput,
    KeyResolver,
    PendingSignature,
    SignatureError,
    VerifiedSignature,
    header_map,
)
from federation.structured_fields import (
    SfInnerList,
    SfItem,
    Token,
    parse_sf_dictionary,
    serialize_sf,
)

__all__ = [
    "CAVAGE_DEFAULT_REQUIRED",
    "DEFAULT_MAX_SKEW",
    "ED25519",
    "REASONS",
    "RFC9421_ALGORITHMS",
    "RSA_PSS_SHA512",
    "RSA_V1_5_SHA256",
    "SCHEME_CAVAGE",
    "SCHEME_RFC9421",
    "AsyncKeyResolver",
    "HeaderInput",
    "HttpSignatureAuth",
    "KeyResolver",
    "PendingSignature",
    "RequestParts",
    "SfInnerList",
    "SfItem",
    "SignatureError",
    "Token",
    "VerifiedSignature",
    "cavage_signing_string",
    "check_content_digest",
    "check_digest",
    "check_request",
    "content_digest_header",
    "digest_header",
    "parse_cavage_signature",
    "parse_sf_dictionary",
    "rfc9421_signature_base",
    "serialize_sf",
    "sign_cavage",
    "sign_rfc9421",
    "verify_request",
    "verify_request_async",
]


def check_request(
    method: str,
    target: str,
    headers: HeaderInput,
    body: bytes = b"",
    *,
    scheme: str = "https",
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    now: datetime | None = None,
    required: Collection[str] | None = None,
    label: str | None = None,
) -> PendingSignature:
    """Everything short of the cryptography; returns what to verify once the key is known.

    `target` is the path with its query as received; `scheme` is the public scheme of this
    node (behind a TLS proxy the app may see http). RFC 9421 is used when `Signature-Input` is
    present, else draft-cavage. `required` replaces the default coverage rules (cavage:
    `(request-target) host`, RFC 9421: `@method` and `@target-uri` or `@path`+`@authority`;
    both: the digest header when there is a body); a Date or created is always required.
    """
    fields = header_map(headers)
    now = now or datetime.now(UTC)
    if "signature-input" in fields:
        authority = fields.get("host")
        if authority is None:
            raise SignatureError("missing", "the request has no Host header")
        parts = RequestParts(method, scheme, authority, target)
        return check_rfc9421(parts, fields, body, required, now, max_skew, label)
    if "signature" in fields or fields.get("authorization", "").lower().startswith("signature "):
        return check_cavage(method, target, fields, body, required, now, max_skew)
    raise SignatureError("missing", "the request is not signed")


def verify_request(
    method: str,
    target: str,
    headers: HeaderInput,
    body: bytes,
    resolve_key: KeyResolver,
    *,
    scheme: str = "https",
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    now: datetime | None = None,
    required: Collection[str] | None = None,
    label: str | None = None,
) -> VerifiedSignature:
    """Verify a request's signature with a synchronous key resolver (see `check_request`).

    The resolver gets the key id and returns a public key, or its PEM or Multikey text, or None
    when it does not know the key; it may raise SignatureError('unknown_key', ...) itself.
    The caller still checks that the key belongs to the activity's actor.
    """
    pending = check_request(
        method,
        target,
        headers,
        body,
        scheme=scheme,
        max_skew=max_skew,
        now=now,
        required=required,
        label=label,
    )
    return pending.verify(resolve_key(pending.key_id))


async def verify_request_async(
    method: str,
    target: str,
    headers: HeaderInput,
    body: bytes,
    resolve_key: AsyncKeyResolver | KeyResolver,
    *,
    scheme: str = "https",
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    now: datetime | None = None,
    required: Collection[str] | None = None,
    label: str | None = None,
) -> VerifiedSignature:
    """As `verify_request`, for a resolver that fetches keys over the network."""
    pending = check_request(
        method,
        target,
        headers,
        body,
        scheme=scheme,
        max_skew=max_skew,
        now=now,
        required=required,
        label=label,
    )
    found = resolve_key(pending.key_id)
    if inspect.isawaitable(found):
        found = await found
    return pending.verify(found)


# --- outgoing requests -------------------------------------------------------------------------


class HttpSignatureAuth(httpx.Auth):
    """Signs every outgoing request of an httpx client, draft-cavage by default.

    `client = httpx.AsyncClient(auth=HttpSignatureAuth(key_id, rsa_key))`: POSTs get a Digest
    and a signature over `(request-target) host date digest`, GETs over `(request-target) host
    date`. Works for sync and async clients alike.
    """

    requires_request_body = True  # the digest needs the body before the request leaves

    def __init__(
        self,
        key_id: str,
        private_key: PrivateKey,
        *,
        scheme: str = SCHEME_CAVAGE,
        algorithm: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if scheme not in (SCHEME_CAVAGE, SCHEME_RFC9421):
            raise ValueError(f"unknown signature scheme {scheme!r}")
        self.key_id = key_id
        self.private_key = private_key
        self.scheme = scheme
        self.algorithm = algorithm
        self.clock = clock or (lambda: datetime.now(UTC))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body = request.content
        has_body = bool(body) or request.method.upper() in ("POST", "PUT", "PATCH")
        if self.scheme == SCHEME_CAVAGE:
            added = sign_cavage(
                request.method,
                request.url,
                self.key_id,
                self.private_key,
                body=body if has_body else None,
                headers=request.headers,
                now=self.clock(),
            )
        else:
            added = sign_rfc9421(
                request.method,
                request.url,
                self.key_id,
                self.private_key,
                body=body if has_body else None,
                headers=request.headers,
                now=self.clock(),
                algorithm=self.algorithm,
            )
        request.headers.update(added)
        yield request
