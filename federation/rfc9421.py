"""RFC 9421 HTTP Message Signatures, with RFC 9530 `Content-Digest` for the body.

`Signature-Input` / `Signature` with rsa-v1_5-sha256, rsa-pss-sha512 or ed25519.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from federation.digests import check_content_digest, content_digest_header
from federation.keys import PrivateKey
from federation.signature_common import (
    ED25519,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    SCHEME_RFC9421,
    HeaderInput,
    PendingSignature,
    SignatureError,
    ascii_bytes,
    check_time,
    default_algorithm,
    from_timestamp,
    header_map,
    host_of,
    parse_http_date,
    sign_bytes,
    target_of,
)
from federation.structured_fields import (
    SfInnerList,
    SfItem,
    Token,
    parse_sf_dictionary,
    serialize_bare,
    serialize_sf,
)

RFC9421_ALGORITHMS = (RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519)


@dataclass(frozen=True)
class RequestParts:
    """The request facts RFC 9421's derived components are read from."""

    method: str
    scheme: str
    authority: str  # as sent in Host, for @target-uri
    target: str  # path with query, as sent

    def derived(self, name: str) -> str:
        path, _, query = self.target.partition("?")
        if name == "@method":
            return self.method.upper()
        if name == "@target-uri":
            return f"{self.scheme}://{self.authority}{self.target}"
        if name == "@authority":
            return _normalize_authority(self.authority, self.scheme)
        if name == "@scheme":
            return self.scheme.lower()
        if name == "@request-target":
            return self.target
        if name == "@path":
            return path or "/"
        if name == "@query":
            return "?" + query
        raise SignatureError("unsupported", f"component {name} is not supported")


def _normalize_authority(authority: str, scheme: str) -> str:
    # RFC 9421 section 2.2.3: lower-case host, default port left out.
    authority = authority.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    if default and authority.endswith(default):
        authority = authority[: -len(default)]
    return authority


def rfc9421_signature_base(
    parts: RequestParts, headers: Mapping[str, str], signature_params: SfInnerList
) -> str:
    """The signature base of RFC 9421 section 2.5 for the components `signature_params` lists."""
    lines = []
    seen = set()
    for component in signature_params.items:
        name = component.value
        if not isinstance(name, str) or isinstance(name, Token) or name != name.lower():
            raise SignatureError("malformed", f"component {name!r} is not a lower-case string")
        if component.params:
            raise SignatureError("unsupported", f"component parameters on {name} unsupported")
        if name in seen:
            raise SignatureError("malformed", f"component {name} appears twice")
        seen.add(name)
        if name.startswith("@"):
            value = parts.derived(name)
        elif name in headers:
            value = headers[name]
        else:
            raise SignatureError("missing", f"the signed header {name} is absent")
        lines.append(f"{serialize_sf(component)}: {value}")
    lines.append(f'"@signature-params": {serialize_sf(signature_params)}')
    return "\n".join(lines)


def _choose_label(inputs: dict[str, Any], signatures: dict[str, Any], label: str | None) -> str:
    if label is not None:
        if label not in inputs or label not in signatures:
            raise SignatureError("missing", f"no signature labelled {label}")
        return label
    for candidate in inputs:
        if candidate in signatures:
            return candidate
    raise SignatureError("missing", "Signature-Input and Signature share no label")


def check_rfc9421(
    parts: RequestParts,
    headers: dict[str, str],
    body: bytes,
    required: Collection[str] | None,
    now: datetime,
    max_skew: timedelta,
    label: str | None,
) -> PendingSignature:
    if "signature" not in headers:
        raise SignatureError("missing", "Signature-Input without Signature")
    try:
        inputs = parse_sf_dictionary(headers["signature-input"])
        signatures = parse_sf_dictionary(headers["signature"])
    except ValueError as exc:
        raise SignatureError("malformed", f"signature fields: {exc}") from None
    chosen = _choose_label(inputs, signatures, label)
    params_node, signature_node = inputs[chosen], signatures[chosen]
    if not isinstance(params_node, SfInnerList):
        raise SignatureError("malformed", "a Signature-Input member must be an inner list")
    if not isinstance(signature_node, SfItem) or not isinstance(signature_node.value, bytes):
        raise SignatureError("malformed", "a Signature member must be a byte sequence")
    params = dict(params_node.params)
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("malformed", "the signature has no keyid")
    algorithm = params.get("alg")
    if algorithm is not None and algorithm not in RFC9421_ALGORITHMS:
        raise SignatureError("unsupported", f"alg {algorithm} is not supported")
    covered = tuple(str(item.value) for item in params_node.items)

    if required is None:
        if "@method" not in covered:
            raise SignatureError("insufficient", "the signature does not cover @method")
        if "@target-uri" not in covered and not {"@path", "@authority"} <= set(covered):
            raise SignatureError("insufficient", "cover @target-uri, or @path and @authority")
        required = ("content-digest",) if body else ()
    if "content-digest" in required and "content-digest" not in headers:
        raise SignatureError("missing", "a request with a body needs a Content-Digest header")
    for name in required:
        if name not in covered:
            raise SignatureError("insufficient", f"the signature does not cover {name}")
    if "created" not in params and "date" not in covered:
        raise SignatureError("insufficient", "the signature has neither created nor date")
    if "content-digest" in headers:
        check_content_digest(headers["content-digest"], body)

    created = None
    if "date" in covered and "date" in headers:
        created = parse_http_date(headers["date"])
        check_time("Date", created, now, max_skew)
    if "created" in params:
        created = from_timestamp(params["created"], "created")
        check_time("created", created, now, max_skew)
    if "expires" in params and from_timestamp(params["expires"], "expires") < now:
        raise SignatureError("stale", "the signature has expired")

    base = rfc9421_signature_base(parts, headers, params_node)
    return PendingSignature(
        scheme=SCHEME_RFC9421,
        key_id=key_id,
        algorithm=algorithm,
        covered=covered,
        created=created,
        signature=signature_node.value,
        signature_base=ascii_bytes(base),
    )


def sign_rfc9421(
    method: str,
    url: str | httpx.URL,
    key_id: str,
    private_key: PrivateKey,
    *,
    body: bytes | None = None,
    headers: HeaderInput | None = None,
    now: datetime | None = None,
    algorithm: str | None = None,
    components: Iterable[str] | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Headers to add for an RFC 9421 signature: Content-Digest, Signature-Input, Signature.

    Covers `@method @target-uri @authority`, plus `content-digest` when there is a body, with
    `created`, `keyid` and `alg` parameters. RSA keys sign rsa-v1_5-sha256 unless `algorithm`
    asks for rsa-pss-sha512; Ed25519 keys sign ed25519.
    """
    url = httpx.URL(url)
    algorithm = algorithm or default_algorithm(private_key)
    fields = header_map(headers or {})
    added: dict[str, str] = {}
    if body:
        added["Content-Digest"] = content_digest_header(body)
        fields["content-digest"] = added["Content-Digest"]
    if components is None:
        components = ("@method", "@target-uri", "@authority")
        components += ("content-digest",) if body else ()
    created = int((now or datetime.now(UTC)).timestamp())
    params_node = SfInnerList(
        tuple(SfItem(name.lower()) for name in components),
        (("created", created), ("keyid", key_id), ("alg", algorithm)),
    )
    parts = RequestParts(method, url.scheme, fields.get("host") or host_of(url), target_of(url))
    base = rfc9421_signature_base(parts, fields, params_node)
    signature = sign_bytes(algorithm, private_key, base.encode("ascii"))
    added["Signature-Input"] = f"{label}={serialize_sf(params_node)}"
    added["Signature"] = f"{label}={serialize_bare(signature)}"
    return added
