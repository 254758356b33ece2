"""HTTP signatures on requests between nodes: sign outgoing ones, verify incoming ones.

Two schemes live side by side, because the fediverse is between them:

* draft-cavage-http-signatures-12, as Mastodon signs and verifies it: a `Signature` header with
  rsa-sha256 (or the `hs2019` label) over `(request-target) host date digest`, and a legacy
  `Digest: SHA-256=<base64>` header (RFC 3230) for the body. This is what we send by default.
* RFC 9421 HTTP Message Signatures with `Signature-Input` / `Signature` and RFC 9530
  `Content-Digest`, with rsa-v1_5-sha256, rsa-pss-sha512 or ed25519. We verify it, and can sign it.

Verification is in two steps so that a caller can fetch a remote key asynchronously in between:
`check_request` does everything that needs no key (parsing, coverage, digest, clock) and returns
a `PendingSignature`; its `verify(key)` does the cryptography. `verify_request` and
`verify_request_async` join the two around a key resolver. Every failure is a `SignatureError`
whose `reason` an inbox can log and count.

The verifier learns the authority from the `Host` header: a reverse proxy must pass it through.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import re
from collections.abc import Awaitable, Callable, Collection, Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
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


# --- Structured Field Values (RFC 8941), the small part RFC 9421 and RFC 9530 need -------------


class Token(str):
    """An sf-token, kept apart from sf-string so that it serializes back the same way."""


@dataclass(frozen=True)
class SfItem:
    value: Any
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class SfInnerList:
    items: tuple[SfItem, ...]
    params: tuple[tuple[str, Any], ...] = ()


class _SfParser:
    """A strict parser after RFC 8941 section 4.2; any deviation raises ValueError."""

    _KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
    _TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
    _NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

    def __init__(self, text: str) -> None:
        self.s = text.strip(" ")
        self.i = 0

    def dictionary(self) -> dict[str, SfItem | SfInnerList]:
        result: dict[str, SfItem | SfInnerList] = {}
        while self.i < len(self.s):
            key = self._key()
            if self._peek() == "=":
                self.i += 1
                member = self._item_or_inner_list()
            else:
                member = SfItem(True, self._params())
            result.pop(key, None)  # RFC 8941: a later duplicate wins, and moves to the end
            result[key] = member
            self._ows()
            if self.i == len(self.s):
                return result
            self._expect(",")
            self._ows()
            if self.i == len(self.s):
                raise ValueError("trailing comma")
        return result

    def _item_or_inner_list(self) -> SfItem | SfInnerList:
        if self._peek() != "(":
            return SfItem(self._bare(), self._params())
        self.i += 1
        items: list[SfItem] = []
        while True:
            while self._peek() == " ":
                self.i += 1
            if self._peek() == ")":
                self.i += 1
                return SfInnerList(tuple(items), self._params())
            items.append(SfItem(self._bare(), self._params()))
            if self._peek() not in (" ", ")"):
                raise ValueError("inner list items must be separated by spaces")

    def _params(self) -> tuple[tuple[str, Any], ...]:
        params: dict[str, Any] = {}
        while self._peek() == ";":
            self.i += 1
            while self._peek() == " ":
                self.i += 1
            key = self._key()
            value: Any = True
            if self._peek() == "=":
                self.i += 1
                value = self._bare()
            params.pop(key, None)
            params[key] = value
        return tuple(params.items())

    def _bare(self) -> Any:
        c = self._peek()
        if c == '"':
            return self._string()
        if c == ":":
            end = self.s.find(":", self.i + 1)
            if end < 0:
                raise ValueError("unterminated byte sequence")
            raw = self.s[self.i + 1 : end]
            self.i = end + 1
            if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", raw):
                raise ValueError("byte sequence is not base64")
            return base64.b64decode(raw + "=" * (-len(raw) % 4))
        if c == "?":
            value = self.s[self.i + 1 : self.i + 2]
            if value not in ("0", "1"):
                raise ValueError("bad boolean")
            self.i += 2
            return value == "1"
        if c == "-" or c.isdigit():
            m = self._NUMBER.match(self.s, self.i)
            if not m:
                raise ValueError("bad number")
            self.i = m.end()
            text = m.group(0)
            if m.group(1):
                whole, frac = text.lstrip("-").split(".")
                if len(whole) > 12 or len(frac) > 3:
                    raise ValueError("decimal out of range")
                return float(text)
            if len(text.lstrip("-")) > 15:
                raise ValueError("integer out of range")
            return int(text)
        m = self._TOKEN.match(self.s, self.i)
        if not m:
            raise ValueError(f"unexpected character {c!r}")
        self.i = m.end()
        return Token(m.group(0))

    def _string(self) -> str:
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.s[self.i : self.i + 1]
                if nxt not in ('"', "\\"):
                    raise ValueError("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not (" " <= c <= "~"):
                raise ValueError("non-printable character in string")
            else:
                out.append(c)
        raise ValueError("unterminated string")

    def _key(self) -> str:
        m = self._KEY.match(self.s, self.i)
        if not m:
            raise ValueError("bad key")
        self.i = m.end()
        return m.group(0)

    def _peek(self) -> str:
        return self.s[self.i : self.i + 1]

    def _ows(self) -> None:
        while self._peek() in (" ", "\t"):
            self.i += 1

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"expected {char!r}")
        self.i += 1


def parse_sf_dictionary(text: str) -> dict[str, SfItem | SfInnerList]:
    """Parse an RFC 8941 Dictionary; ValueError when it is not one."""
    return _SfParser(text).dictionary()


def _sf_bare(value: Any) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        if not all(" " <= c <= "~" for c in value):
            raise ValueError("sf-string must be printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _sf_params(params: Iterable[tuple[str, Any]]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={_sf_bare(v)}" for k, v in params)


def serialize_sf(node: SfItem | SfInnerList) -> str:
    if isinstance(node, SfInnerList):
        inner = " ".join(_sf_bare(i.value) + _sf_params(i.params) for i in node.items)
        return f"({inner}){_sf_params(node.params)}"
    return _sf_bare(node.value) + _sf_params(node.params)


# --- body digests ------------------------------------------------------------------------------


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


# --- what both schemes share -------------------------------------------------------------------


def _header_map(headers: HeaderInput) -> dict[str, str]:
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


def _check_time(label: str, moment: datetime, now: datetime, max_skew: timedelta) -> None:
    if abs(now - moment) > max_skew:
        direction = "old" if moment < now else "far in the future"
        raise SignatureError("stale", f"{label} {moment.isoformat()} is too {direction}")


def _parse_http_date(value: str) -> datetime:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureError("malformed", f"Date {value!r} is not an HTTP date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _from_timestamp(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SignatureError("malformed", f"{name} must be an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError("malformed", f"{name} is out of range") from None


def _ascii(text: str) -> bytes:
    # Both specs sign ASCII; a header smuggling other bytes is refused, not crashed on.
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        raise SignatureError("malformed", "a signed value is not ASCII") from None


def _usable_key(found: PublicKey | str | None, key_id: str) -> PublicKey:
    if found is None:
        raise SignatureError("unknown_key", f"no key known for {key_id}")
    try:
        return load_public_key(found)
    except MultikeyError as exc:
        raise SignatureError("unknown_key", f"the key {key_id} cannot be read: {exc}") from exc


def _verify_bytes(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> None:
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


def _sign_bytes(algorithm: str, key: PrivateKey, data: bytes) -> bytes:
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


def _default_algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return ED25519
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA_V1_5_SHA256
    raise TypeError(f"unsupported key type {type(key).__name__}")


def _host_of(url: httpx.URL) -> str:
    default = {"http": 80, "https": 443}.get(url.scheme)
    host = url.raw_host.decode("ascii")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return host if url.port in (None, default) else f"{host}:{url.port}"


def _target_of(url: httpx.URL) -> str:
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
        usable = _usable_key(key, self.key_id)
        algorithm = self.algorithm or _default_algorithm(usable)
        _verify_bytes(algorithm, usable, self.signature, self.signature_base)
        return VerifiedSignature(self.scheme, self.key_id, algorithm, self.covered, self.created)


# --- draft-cavage-http-signatures-12 -----------------------------------------------------------

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
    fields = _header_map(headers)
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


def _check_cavage(
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
        created = _parse_http_date(headers["date"])
        _check_time("Date", created, now, max_skew)
    if "(created)" in covered:
        created = _from_timestamp(_int_or_none(params.get("created")), "created")
        _check_time("created", created, now, max_skew)
    if (
        "(expires)" in covered
        and _from_timestamp(_int_or_none(params.get("expires")), "expires") < now
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
        signature_base=_ascii(text),
    )


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


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
    fields = _header_map(headers or {})
    added: dict[str, str] = {}
    if "host" not in fields:
        added["Host"] = _host_of(url)
    if "date" not in fields:
        added["Date"] = format_datetime((now or datetime.now(UTC)).astimezone(UTC), usegmt=True)
    has_body = body is not None and (len(body) > 0 or method.upper() == "POST")
    if has_body:
        added["Digest"] = digest_header(body or b"")
    if covered is None:
        covered = ("(request-target)", "host", "date") + (("digest",) if has_body else ())
    covered = tuple(name.lower() for name in covered)
    merged = {**fields, **{k.lower(): v for k, v in added.items()}}
    text = cavage_signing_string(method, _target_of(url), merged, covered, {})
    if isinstance(private_key, rsa.RSAPrivateKey):
        label, algorithm = "rsa-sha256", RSA_V1_5_SHA256
    else:
        label, algorithm = "hs2019", ED25519
    signature = base64.b64encode(_sign_bytes(algorithm, private_key, text.encode("ascii")))
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{label}",headers="{" ".join(covered)}",'
        f'signature="{signature.decode("ascii")}"'
    )
    return added


# --- RFC 9421 HTTP Message Signatures ----------------------------------------------------------

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


def _check_rfc9421(
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
        created = _parse_http_date(headers["date"])
        _check_time("Date", created, now, max_skew)
    if "created" in params:
        created = _from_timestamp(params["created"], "created")
        _check_time("created", created, now, max_skew)
    if "expires" in params and _from_timestamp(params["expires"], "expires") < now:
        raise SignatureError("stale", "the signature has expired")

    base = rfc9421_signature_base(parts, headers, params_node)
    return PendingSignature(
        scheme=SCHEME_RFC9421,
        key_id=key_id,
        algorithm=algorithm,
        covered=covered,
        created=created,
        signature=signature_node.value,
        signature_base=_ascii(base),
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
    algorithm = algorithm or _default_algorithm(private_key)
    fields = _header_map(headers or {})
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
    parts = RequestParts(method, url.scheme, fields.get("host") or _host_of(url), _target_of(url))
    base = rfc9421_signature_base(parts, fields, params_node)
    signature = _sign_bytes(algorithm, private_key, base.encode("ascii"))
    added["Signature-Input"] = f"{label}={serialize_sf(params_node)}"
    added["Signature"] = f"{label}={_sf_bare(signature)}"
    return added


# --- verification entry points -----------------------------------------------------------------


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
    fields = _header_map(headers)
    now = now or datetime.now(UTC)
    if "signature-input" in fields:
        authority = fields.get("host")
        if authority is None:
            raise SignatureError("missing", "the request has no Host header")
        parts = RequestParts(method, scheme, authority, target)
        return _check_rfc9421(parts, fields, body, required, now, max_skew, label)
    if "signature" in fields or fields.get("authorization", "").lower().startswith("signature "):
        return _check_cavage(method, target, fields, body, required, now, max_skew)
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
