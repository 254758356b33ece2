"""Conditional GET for feeds (RFC 9110 §13): calendar apps, feed readers and peers poll the
same address every few hours, and most of the time nothing changed.

Every answer carries a strong `ETag`, a hash of the body (the same bytes, the same tag, and a
tag can never describe a body it was not made from), and `Last-Modified`, the newest change
among what the feed shows, which the feed itself works out. A client that already has this
body gets `304 Not Modified` without one: to a matching `If-None-Match`, or, when it sent
none, to an `If-Modified-Since` not older than `Last-Modified`.

Some changes leave no time behind (a site text edited, a row deleted); when the body changed
but the feed's time did not move past the one sent before, `Last-Modified` moves to now, so a
client that only sends `If-Modified-Since` still gets the new body.

Making a feed's body is most of what a poll costs. A feed may therefore pass a `version`:
text that changes whenever its body may (the node's data version, and the next moment the
feed changes by the clock alone). While the version is the one the last body was made at,
a client that already has that body gets its 304 without the body being made again.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

# An entity-tag, weak or strong, in a list such as `"a", W/"b"` (RFC 9110 §8.8.3).
_ENTITY_TAG = re.compile(r'(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")')
# Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5), as far as we send them.
_KEPT_ON_304 = ("cache-control", "content-location", "expires", "vary")
MAX_REMEMBERED = 256
# Bodies kept in memory: each at most KEEP_ONE, all together at most KEEP_BYTES.
KEEP_ONE = 64 * 1024
KEEP_BYTES = 2 * 1024 * 1024
ONE_SECOND = timedelta(seconds=1)


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    """'Fri, 04 Dec 2026 17:30:00 GMT' (IMF-fixdate)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime | None:
    """An HTTP-date in any of its three forms as aware UTC; None for anything else."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def etag_listed(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names this tag, by weak comparison as RFC 9110 §13.1.2 asks
    (`W/"x"` matches `"x"`), or is `*`: the feed exists, so any stored copy is this one."""
    if if_none_match.strip() == "*":
        return True
    return etag in _ENTITY_TAG.findall(if_none_match)


def not_modified(headers: Headers, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 §13.2.2 for GET and HEAD: If-None-Match decides when present; only without
    it does If-Modified-Since count, and one that is not a single valid date is ignored."""
    tags = headers.getlist("if-none-match")
    if tags:
        return etag_listed(", ".join(tags), etag)
    dates = headers.getlist("if-modified-since")
    if len(dates) != 1 or last_modified is None:
        return False
    since = parse_http_date(dates[0])
    # A date in the future (a client's wrong clock) says nothing about what it has.
    if since is None or since > datetime.now(UTC):
        return False
    return last_modified <= since


def settled_last_modified(changed: datetime | None, now: datetime) -> datetime | None:
    """A Last-Modified for answers that are not kept in `_Sent` (the open-data API): the
    second of the last change, but only once that second is over. A date is only precise to
    the second, so a change later in the same second would otherwise carry the date a client
    already has, and its If-Modified-Since would get a stale 304; without the date the ETag
    still works."""
    if changed is None:
        return None
    second = _whole_seconds(changed)
    return second if second + ONE_SECOND <= now else None


def client_has_current(headers: Headers, etag: str, last_modified: datetime | None) -> bool:
    """`not_modified` for an answer decided before it is made, when it may yet turn out not
    to exist (a 404): there `If-None-Match: *` cannot be answered, and a full answer is
    always correct."""
    if [tag.strip() for tag in headers.getlist("if-none-match")] == ["*"]:
        return False
    return not_modified(headers, etag, last_modified)


class _Sent:
    """Per address, the version, tag and Last-Modified of the last body made, so a poll at
    the same version needs no new body, and the time only ever moves on. Small bodies (the
    actor, an API answer) are kept too, within a budget: until the version moves they are
    served from memory, as fast as a static file, also with the page cache off."""

    def __init__(self, keep_bytes: int = KEEP_BYTES) -> None:
        self._sent: OrderedDict[str, tuple[str, str, datetime | None, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._keep_bytes = keep_bytes
        self._kept = 0

    def known(self, address: str, version: str) -> tuple[str, datetime | None, bytes | None] | None:
        """(tag, Last-Modified, the body if kept) of what was sent at this version."""
        with self._lock:
            found = self._sent.get(address)
        if found is None or not version or found[0] != version:
            return None
        return found[1], found[2], found[3]

    def remember(
        self, address: str, version: str, etag: str, computed: datetime | None, body: bytes = b""
    ) -> datetime | None:
        """Keep what was sent; returns the Last-Modified to send with it."""
        with self._lock:
            previous = self._sent.pop(address, None)
            moment = computed
            if previous is not None:
                self._kept -= len(previous[3] or b"")
            if previous is not None and computed is not None and previous[2] is not None:
                _, old_tag, old_moment, _ = previous
                if old_tag == etag:
                    moment = max(computed, old_moment)
                elif computed <= old_moment:
                    moment = max(_whole_seconds(datetime.now(UTC)), old_moment + ONE_SECOND)
            kept = body if version and 0 < len(body) <= KEEP_ONE else None
            self._sent[address] = (version, etag, moment, kept)
            self._kept += len(kept or b"")
            while len(self._sent) > MAX_REMEMBERED or self._kept > self._keep_bytes:
                _, evicted = self._sent.popitem(last=False)
                self._kept -= len(evicted[3] or b"")
            return moment


def _whole_seconds(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _sent(request: Request) -> _Sent:
    state = request.app.state
    sent = getattr(state, "conditional_sent", None)
    if sent is None:
        sent = state.conditional_sent = _Sent()
    return sent


def conditional_response(
    request: Request,
    render: Callable[[], bytes],
    media_type: str,
    last_modified: datetime | None,
    headers: Mapping[str, str] | None = None,
    version: str = "",
) -> Response:
    """The feed's body with its validators, or a 304 without a body if the client has it.

    Work out `last_modified` and `version` before anything `render` reads: a change landing
    in between then makes them too old (one needless full answer), never too new (a missed
    change).
    """
    sent = _sent(request)
    address = f"{request.url.netloc}{request.url.path}?{request.url.query}"
    known = sent.known(address, version)
    if known is not None:
        known_tag, known_moment, kept = known
        if not_modified(request.headers, known_tag, known_moment):
            return _not_modified_response(headers, known_tag, known_moment)
        if kept is not None:
            all_headers = {**(headers or {}), **_validators(known_tag, known_moment)}
            return Response(kept, media_type=media_type, headers=all_headers)
    body = render()
    etag = strong_etag(body)
    if last_modified is not None:
        # Second precision, as HTTP-dates have; never later than now (RFC 9110 §8.8.2.1).
        now = _whole_seconds(datetime.now(UTC))
        last_modified = min(_whole_seconds(last_modified), now)
    last_modified = sent.remember(address, version, etag, last_modified, body)
    if not_modified(request.headers, etag, last_modified):
        return _not_modified_response(headers, etag, last_modified)
    all_headers = {**(headers or {}), **_validators(etag, last_modified)}
    return Response(body, media_type=media_type, headers=all_headers)


def _validators(etag: str, last_modified: datetime | None) -> dict[str, str]:
    validators = {"ETag": etag}
    if last_modified is not None:
        validators["Last-Modified"] = http_date(last_modified)
    return validators


def _not_modified_response(
    headers: Mapping[str, str] | None, etag: str, last_modified: datetime | None
) -> Response:
    kept = {k: v for k, v in (headers or {}).items() if k.lower() in _KEPT_ON_304}
    return Response(status_code=304, headers={**kept, **_validators(etag, last_modified)})
