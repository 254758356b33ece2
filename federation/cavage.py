"""draft-cavage-http-signatures-12, as Mastodon signs and verifies it.

A `Signature` header with rsa-sha256 (or the `hs2019` label) over `(request-target) host date
digest`, and a legacy `Digest: SHA-256=<base64>` header for the body.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.digests import check_digest, digest_header
from federation.keys import PrivateKey
from federation.signature_common import (
    ED25519,
    RSA_V1_5_SHA256,
    SCHEME_CAVAGE,
    HeaderInput,
    PendingSignature,
    SignatureError,
    ascii_bytes,
    check_time,
    from_timestamp,
    header_map,
    host_of,
    parse_http_date,
    sign_bytes,
    target_of,
)

# The `algorithm` labels we accept, mapped to what they mean; None lets the key type decide.
# hs2019 leaves the choice to the key, and Mastodon treats it as RSA-SHA256 for RSA keys.
_CAVAGE_ALGORITHMS: dict[str | None, str | None] = {
    None: None,
    "hs2019": None,
    "rsa-sha256": RSA_V1_5_SHA256,
}
_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9]+))\s*(,|$)')
CAVAGE_DEFAULT_REQUIRED = ("(request-target)", "host")


def parse_cavage_signature(value: str) -> dict[str, str]:
    """The parameters of a draft-cavage `Signature` header (or `Authorization: Signature ...`)."""
    params: dict[str, str] = {}
    pos = 0
    value = value.strip()
    while pos < len(value):
        m = _CAVAGE_PARAM.match(value, pos)
        if not m or m.end() == pos:
            raise SignatureError("malformed", "Signature header cannot be parsed")
        name = m.group(1)
        if name in params:
            raise SignatureError("malformed", f"Signature parameter {name} appears twice")
        params[name] = m.group(2) if m.group(2) is not None else m.group(3)
        pos = m.end()
    return params


def cavage_signing_string(
    method: str,
    target: str,
    headers: HeaderInput,
    covered: Iterable[str],
    params: Mapping[str, str],
) -> str:
    """The text draft-cavage-12 section 2.3 signs: one `name: value` line per covered header."""
    fields = header_map(headers)
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in ("(created)", "(expires)"):
            if name[1:-1] not in params:
                raise SignatureError("malformed", f"{name} is covered but has no parameter")
            lines.append(f"{name}: {params[name[1:-1]]}")
        elif name in fields:
            lines.append(f"{name}: {fields[name]}")
        else:
            raise SignatureError("missing", f"the signed header {name} is absent")
    return "\n".join(lines)


def check_cavage(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    required: Collection[str] | None,
    now: datetime,
    max_skew: timedelta,
) -> PendingSignature:
    if "signature" in headers:
        raw = headers["signature"]
    else:
        raw = headers["authorization"].split(" ", 1)[1]
    params = parse_cavage_signature(raw)
    key_id = params.get("keyId")
    if not key_id or "signature" not in params:
        raise SignatureError("malformed", "Signature needs keyId and signature")
    label = params.get("algorithm", None)
    label = label.lower() if label is not None else None
    if label not in _CAVAGE_ALGORITHMS:
        raise SignatureError("unsupported", f"algorithm {label} is not supported")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        raise SignatureError("malformed", "signature is not base64") from None
    covered = tuple(params.get("headers", "date").lower().split())
    if not covered:
        raise SignatureError("malformed", "headers is empty")

    if required is None:
        required = CAVAGE_DEFAULT_REQUIRED + (("digest",) if body else ())
    if "digest" in required and "digest" not in headers:
        raise SignatureError("missing", "a request with a body needs a Digest header")
    for name in required:
        if name not in covered:
            raise SignatureError("insufficient", f"the signature does not cover {name}")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("insufficient", "the signature covers neither date nor (created)")
    if "digest" in headers:
        check_digest(headers["digest"], body)

    created = None
    if "date" in covered and "date" in headers:
        created = parse_http_date(headers["date"])
        check_time("Date", created, now, max_skew)
    if "(created)" in covered:
        created = from_timestamp(_int_or_none(params.get("created")), "created")
        check_time("created", created, now, max_skew)
    if (
        "(expires)" in covered
        and from_timestamp(_int_or_none(params.get("expires")), "expires") < now
    ):
        raise SignatureError("stale", "the signature has expired")

    text = cavage_signing_string(method, target, headers, covered, params)
    return PendingSignature(
        scheme=SCHEME_CAVAGE,
        key_id=key_id,
        algorithm=_CAVAGE_ALGORITHMS[label],
        covered=covered,
        created=created,
        signature=signature,
        signature_base=ascii_bytes(text),
    )


def _int_or_none(value: str | None) -> int | None:
    # ASCII digits only ("²".isdigit() is true too) and no more than a timestamp needs.
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


def sign_cavage(
    method: str,
    url: str | httpx.URL,
    key_id: str,
    private_key: PrivateKey,
    *,
    body: bytes | None = None,
    headers: HeaderInput | None = None,
    now: datetime | None = None,
    covered: Iterable[str] | None = None,
) -> dict[str, str]:
    """Headers to add for a Mastodon-compatible signature: Date, Host, Digest and Signature.

    By default a request with a body (POST) signs `(request-target) host date digest`, one
    without signs `(request-target) host date`; pass `covered` to sign more (say `accept`).
    Existing Date and Host headers in `headers` are kept and signed as they are.
    """
    url = httpx.URL(url)
    fields = header_map(headers or {})
    added: dict[str, str] = {}
    if "host" not in fields:
        added["Host"] = host_of(url)
    if "date" not in fields:
        added["Date"] = format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    has_body = body is not None and (len(body) > 0 or method.upper() == "POST")
    if has_body:
        added["Digest"] = digest_header(body or b"")
    if covered is None:
        covered = ("(request-target)", "host", "date") + (("digest",) if has_body else ())
    covered = tuple(name.lower() for name in covered)
    merged = {**fields, **{k.lower(): v for k, v in added.items()}}
    text = cavage_signing_string(method, target_of(url), merged, covered, {})
    if isinstance(private_key, rsa.RSAPrivateKey):
        label, algorithm = "rsa-sha256", RSA_V1_5_SHA256
    else:
        label, algorithm = "hs2019", ED25519
    signature = base64.b64encode(sign_bytes(algorithm, private_key, text.encode("ascii")))
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{label}",headers="{" ".join(covered)}",'
        f'signature="{signature.decode("ascii")}"'
    )
    return added
