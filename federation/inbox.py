"""The inbox: verify a received POST, drop what was seen before, dispatch by activity type.

`Inbox.receive` answers with an `InboxResponse` the node turns into HTTP:

* 413 when the body is over 1 MiB (`read_body` stops reading there);
* 410 when the signing key's document answers 410 Gone (a deleted account);
* 401 when the request is unsigned, stale (Date or created more than an hour off), tampered
  (the body does not match its digest), signed by a key that is not the actor's, or whose
  signature does not verify (after one rate-limited refetch of a cached key, in case the
  sender rotated it);
* 400 when the body is not an activity, or nests deeper than 64 levels: the body is parsed
  only after the signature checked out, with that depth limit (`boundedjson`); 403 when the sender is neither a follower nor followed
  and the activity is not one that starts or ends a follow;
* 202 otherwise: dispatched through the handler table, or ignored when no handler takes its
  type, or when its id was seen before (replays and retries are harmless). A `Delete` of the
  sender's own actor (a deleted account) is not dispatched: it ends the sender's follow.

Marking the id as seen and everything the handler writes share one transaction: a handler that
fails leaves no trace, and the sender's retry is processed as new.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from federation import boundedjson, followers
from federation.actors import ActorError, RemoteActor
from federation.boundedjson import TooDeep
from federation.dispatch import HandlerTable, InboxContext, InboxRefusal
from federation.fetch import FetchError
from federation.identity import LocalIdentity
from federation.keycache import KeyCache
from federation.signatures import (
    DEFAULT_MAX_SKEW,
    HeaderInput,
    PendingSignature,
    SignatureError,
    VerifiedSignature,
    check_request,
)
from federation.store import Store, timestamp, utcnow
from federation.vocabulary import id_of

MAX_BODY_BYTES = 1024 * 1024
# Activities anyone may send: they start, answer or end a follow.
OPEN_TYPES = frozenset({"Follow", "Undo", "Accept", "Reject"})
_SIGNATURE_HEADERS = ("signature", "signature-input", "authorization")


class BodyTooLarge(Exception):
    """The request body is over the limit; answer 413."""


async def read_body(chunks: AsyncIterable[bytes], limit: int = MAX_BODY_BYTES) -> bytes:
    """Read a streamed body (Starlette's `request.stream()`), stopping past `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


@dataclass(frozen=True)
class InboxRequest:
    """A received POST as the inbox needs it: `target` is the path with query as received,
    `scheme` the node's public scheme (behind a TLS proxy the app itself may see http)."""

    method: str
    target: str
    headers: HeaderInput
    body: bytes
    scheme: str = "https"


@dataclass(frozen=True)
class InboxResponse:
    """The answer: an HTTP status, a short reason for logs and tests, and what was done."""

    status: int
    reason: str
    activity_id: str | None = None
    actor_id: str | None = None
    dispatched: bool = False


class Inbox:
    """One node's inbox (actor inbox and shared inbox alike)."""

    def __init__(
        self,
        db: Store,
        identity: LocalIdentity,
        keys: KeyCache,
        handlers: HandlerTable,
        *,
        max_skew: timedelta = DEFAULT_MAX_SKEW,
        known_senders_only: bool = True,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.db = db
        self.identity = identity
        self.keys = keys
        self.handlers = handlers
        self.max_skew = max_skew
        self.known_senders_only = known_senders_only
        self.max_body = max_body

    async def receive(self, request: InboxRequest, now: datetime | None = None) -> InboxResponse:
        now = now or utcnow()
        if len(request.body) > self.max_body:
            return InboxResponse(413, "too_large")
        try:
            pending = check_request(
                request.method,
                request.target,
                request.headers,
                request.body,
                scheme=request.scheme,
                max_skew=self.max_skew,
                now=now,
            )
        except SignatureError as exc:
            return InboxResponse(401, _reason(exc, request.headers))
        # The signature needs only the headers and the digest of the raw body: it is checked
        # before the body is parsed, so nobody without a key gets the JSON parser to work.
        checked = await self._verify(pending, now)
        if isinstance(checked, InboxResponse):
            return checked
        key_owner, verified = checked
        try:
            activity = _parse_activity(request.body)
        except TooDeep:
            return InboxResponse(400, "too_deep", actor_id=key_owner)
        if activity is None:
            return InboxResponse(400, "not_an_activity", actor_id=key_owner)
        activity_id, actor_id = activity["id"], id_of(activity["actor"])
        if key_owner != actor_id:
            return InboxResponse(401, "other_key", actor_id=actor_id)
        if _origin(activity_id) != _origin(actor_id):
            return InboxResponse(400, "foreign_id", activity_id, actor_id)
        actor = self.keys.actor(actor_id) or await self._fetch_actor(actor_id, now)
        if actor is None:
            return InboxResponse(401, "unknown_actor", activity_id, actor_id)
        if activity.get("type") == "Update":
            await self.keys.prepare_contexts(activity)  # a new actor document's, for its keys
        try:
            outcome = self.db.write(self._apply, activity, actor, verified, now)
        except InboxRefusal as exc:
            return InboxResponse(exc.status, exc.reason, activity_id, actor_id)
        return InboxResponse(202, outcome, activity_id, actor_id, dispatched=outcome == "accepted")

    async def _verify(
        self, pending: PendingSignature, now: datetime
    ) -> tuple[str, VerifiedSignature] | InboxResponse:
        """(the key's owner, the verified signature), or the 401 to answer."""
        cached = self.keys.cached(pending.key_id)
        fresh = cached is None
        key = cached or await self.keys.get(pending.key_id, now)
        if key is None and self.keys.is_gone(pending.key_id):
            # A deleted account (Mastodon sends its Delete everywhere, signed with a key whose
            # document now answers 410): nothing can be checked or done, and a 401 would be
            # retried for days. 410 tells the sender to stop.
            return InboxResponse(410, "gone")
        if key is None:
            return InboxResponse(401, "unknown_key")
        try:
            return key.owner, pending.verify(key.key)
        except SignatureError as exc:
            if fresh:
                return InboxResponse(401, exc.reason, actor_id=key.owner)
        # A cached key may be an old one: the sender may have rotated. Ask again, once.
        key = await self.keys.refetch(pending.key_id, now)
        if key is None:
            return InboxResponse(401, "bad_signature")
        try:
            return key.owner, pending.verify(key.key)
        except SignatureError as exc:
            return InboxResponse(401, exc.reason, actor_id=key.owner)

    async def _fetch_actor(self, actor_id: str, now: datetime) -> RemoteActor | None:
        try:
            return await self.keys.fetch_actor(actor_id, now)
        except (ActorError, FetchError):
            return None

    def _apply(
        self,
        conn: sqlite3.Connection,
        activity: dict[str, Any],
        actor: RemoteActor,
        verified: VerifiedSignature,
        now: datetime,
    ) -> str:
        ctx = InboxContext(conn, activity, actor, self.identity, now, verified)
        cursor = conn.execute(
            """INSERT OR IGNORE INTO federation_seen (activity_id, actor_id, received_at)
               VALUES (?, ?, ?)""",
            (activity["id"], ctx.actor.id, timestamp(ctx.now)),
        )
        if cursor.rowcount == 0:
            return "duplicate"
        if (
            self.known_senders_only
            and activity["type"] not in OPEN_TYPES
            and not _is_known(conn, ctx.actor.id)
        ):
            raise InboxRefusal(403, "unknown_sender")
        self._refresh_sender(conn, ctx)
        if _deletes_itself(activity, ctx.actor.id):
            # An account that was deleted (Mastodon sends this signed, once, while its
            # document already answers 410): it follows no one here any more.
            followers.remove_follower(conn, ctx.actor.id)
            return "accepted"
        handler = self.handlers.handler_for(activity)
        if handler is None:
            return "ignored"
        handler(ctx)
        return "accepted"

    def _refresh_sender(self, conn: sqlite3.Connection, ctx: InboxContext) -> None:
        """An Update of the sender's own actor (say after a key rotation) refreshes our copy."""
        obj = ctx.activity.get("object")
        if ctx.activity["type"] != "Update" or not isinstance(obj, dict):
            return
        if obj.get("id") != ctx.actor.id:
            return
        try:
            actor = RemoteActor.from_document(obj)
        except ActorError:
            return
        # An embedded object has no @context of its own: the activity's gives its terms meaning.
        if "@context" not in obj and "@context" in ctx.activity:
            obj = {"@context": ctx.activity["@context"], **obj}
        self.keys.store_actor(conn, actor, obj, ctx.now)
        ctx.actor = actor


def _deletes_itself(activity: dict[str, Any], actor_id: str) -> bool:
    return activity["type"] == "Delete" and id_of(activity.get("object")) == actor_id


def _is_known(conn: sqlite3.Connection, actor_id: str) -> bool:
    """An accepted follower, or an actor we follow or asked to follow."""
    found = conn.execute(
        """SELECT 1 FROM federation_followers WHERE actor_id = ? AND state = 'accepted'
           UNION ALL
           SELECT 1 FROM federation_following WHERE actor_id = ? AND state != 'rejected'
           LIMIT 1""",
        (actor_id, actor_id),
    ).fetchone()
    return found is not None


def _parse_activity(body: bytes) -> dict[str, Any] | None:
    """The activity in `body`, or None; raises TooDeep for nesting past the limit."""
    try:
        activity = boundedjson.loads(body)
    except TooDeep:
        raise
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(activity, dict):
        return None
    if not isinstance(activity.get("id"), str) or not isinstance(activity.get("type"), str):
        return None
    if id_of(activity.get("actor")) is None:
        return None
    return activity


def _reason(exc: SignatureError, headers: HeaderInput) -> str:
    """The 401 reason: unsigned, stale, tampered, or the signature error's own reason."""
    if exc.reason == "missing" and not _has_signature(headers):
        return "unsigned"
    if exc.reason == "bad_digest":
        return "tampered"
    return exc.reason


def _has_signature(headers: HeaderInput) -> bool:
    pairs = headers.items() if hasattr(headers, "items") else headers
    return any(name.lower() in _SIGNATURE_HEADERS for name, _ in pairs)


def _origin(url: str | None) -> tuple[str, str]:
    parts = urlsplit(url or "")
    return parts.scheme.lower(), parts.netloc.lower()
