"""What draft-cavage and RFC 9421 share: errors, results, header handling, the cryptography.

Internal to the signature modules; callers import from `federation.signatures`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.keys import MultikeyError, PrivateKey, PublicKey, load_public_key

SCHEME_CAVAGE = "draft-cavage"
SCHEME_RFC9421 = "rfc9421"
DEFAULT_MAX_SKEW = timedelta(hours=1)

# RFC 9421 algorithm names (IANA HTTP Signature Algorithms registry).
RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"

REASONS = frozenset(
    {
        "missing",  # no signature, or a covered or required header is absent (Digest too)
        "malformed",  # a header cannot be parsed
        "unsupported",  # an algorithm or component we do not implement
        "insufficient",  # the signature does not cover what we require
        "bad_digest",  # the body does not match Digest / Content-Digest
        "stale",  # Date / created outside the allowed skew, or expired
        "unknown_key",  # the key id cannot be resolved to a usable key
        "bad_signature",  # the cryptographic check fails, or the key does not fit the algorithm
    }
)


class SignatureError(Exception):
    """A request's signature is missing, wrong, or not good enough; `reason` says which."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class VerifiedSignature:
    """What a verified signature tells: who signed (key_id) and what the signature covered."""

    scheme: str
    key_id: str
    algorithm: str
    covered: tuple[str, ...]
    created: datetime | None


KeyResolver = Callable[[str], "PublicKey | str | None"]
AsyncKeyResolver = Callable[[str], Awaitable["PublicKey | str | None"]]
HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]


def header_map(headers: HeaderInput) -> dict[str, str]:
    """Lower-cased names; repeated fields joined with ', ' and trimmed, as both drafts say."""
    if hasattr(headers, "multi_items"):
        pairs = headers.multi_items()  # httpx.Headers: keep repeated fields apart
    elif isinstance(headers, Mapping):
        pairs = headers.items()
    else:
        pairs = headers
    result: dict[str, list[str]] = {}
    for name, value in pairs:
        result.setdefault(name.lower(), []).append(value.strip(" \t"))
    return {name: ", ".join(values) for name, values in result.items()}


def check_time(label: str, moment: datetime, now: datetime, max_skew: timedelta) -> None:
    if abs(now - moment) > max_skew:
        direction = "old" if moment < now else "far in the future"
        raise SignatureError("stale", f"{label} {moment.isoformat()} is too {direction}")


def parse_http_date(value: str) -> datetime:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureError("malformed", f"Date {value!r} is not an HTTP date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def from_timestamp(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SignatureError("malformed", f"{name} must be an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError("malformed", f"{name} is out of range") from None


def ascii_bytes(text: str) -> bytes:
    # Both specs sign ASCII; a header smuggling other bytes is refused, not crashed on.
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        raise SignatureError("malformed", "a signed value is not ASCII") from None


def usable_key(found: PublicKey | str | None, key_id: str) -> PublicKey:
    if found is None:
        raise SignatureError("unknown_key", f"no key known for {key_id}")
    try:
        return load_public_key(found)
    except MultikeyError as exc:
        raise SignatureError("unknown_key", f"the key {key_id} cannot be read: {exc}") from exc


def verify_bytes(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> None:
    """One place for the cryptography; `algorithm` is one of the RFC 9421 names."""
    try:
        if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm == RSA_PSS_SHA512 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, _pss(), hashes.SHA512())
        else:
            raise SignatureError(
                "bad_signature", f"a {type(key).__name__} cannot verify {algorithm}"
            )
    except InvalidSignature:
        raise SignatureError("bad_signature", "the signature does not match") from None


def sign_bytes(algorithm: str, key: PrivateKey, data: bytes) -> bytes:
    if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if algorithm == RSA_V1_5_SHA256 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == RSA_PSS_SHA512 and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _pss(), hashes.SHA512())
    raise ValueError(f"a {type(key).__name__} cannot sign {algorithm}")


def _pss() -> padding.PSS:
    # RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def default_algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return ED25519
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA_V1_5_SHA256
    raise TypeError(f"unsupported key type {type(key).__name__}")


def host_of(url: httpx.URL) -> str:
    default = {"http": 80, "https": 443}.get(url.scheme)
    host = url.raw_host.decode("ascii")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return host if url.port in (None, default) else f"{host}:{url.port}"


def target_of(url: httpx.URL) -> str:
    return url.raw_path.decode("ascii")


@dataclass(frozen=True)
class PendingSignature:
    """A parsed signature that passed every check not needing the key; `verify` finishes."""

    scheme: str
    key_id: str
    algorithm: str | None  # None: the key type decides (cavage hs2019 or no alg parameter)
    covered: tuple[str, ...]
    created: datetime | None
    signature: bytes
    signature_base: bytes

    def verify(self, key: PublicKey | str | None) -> VerifiedSignature:
        usable = usable_key(key, self.key_id)
        algorithm = self.algorithm or default_algorithm(usable)
        verify_bytes(algorithm, usable, self.signature, self.signature_base)
        return VerifiedSignature(self.scheme, self.key_id, algorithm, self.covered, self.created)
