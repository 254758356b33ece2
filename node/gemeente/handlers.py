"""The aggregator's inbox handlers: content only from the kernen it follows.

On top of the inbox's own checks (HTTP signature, de-duplication, known senders) a Create,
Update, Delete or Announce is taken only from a kern the gemeente follows (asked or
accepted, not refused), only with a valid integrity proof by that kern's Ed25519 key, and it
changes the read model in the inbox's transaction: at once, and whole or not at all. What is
refused is answered 403 and changes nothing; the runtime keeps a note of it for staff.

Accept and Reject of the gemeente's Follow are the protocol's (`federation.follows`); here
they also note when the kern answered and ask for a first pull of an accepted kern.
"""

from __future__ import annotations

from collections.abc import Callable

from federation import followers, follows
from federation.dispatch import HandlerTable, InboxContext, InboxRefusal
from federation.keycache import KeyCache
from federation.moves import MoveRefused
from federation.proofs import ProofError
from node.gemeente import ingest, kernen, moves, proofcheck, readmodel

CONTENT_TYPES = ("Create", "Update", "Delete", "Announce")
# Refusal reasons of content handlers: the runtime keeps a note of these for staff.
PROOF_PREFIX = "proof_"
NOTED_REASONS = frozenset(
    {
        "foreign_object",
        "not_owner",
        "other_actor",
        "foreign_id",
        "move_not_confirmed",
        "not_an_answer",
    }
)


def register(
    handlers: HandlerTable, keys: KeyCache, on_accept: Callable[[], None] = lambda: None
) -> HandlerTable:
    """A copy of `handlers` with the aggregator's own."""
    table = handlers.copy()
    for kind in CONTENT_TYPES:
        table.register(kind, lambda ctx: handle_content(ctx, keys))
    table.register("Move", lambda ctx: handle_move(ctx))
    table.register("Accept", lambda ctx: handle_answer(ctx, follows.handle_accept, on_accept))
    table.register("Reject", lambda ctx: handle_answer(ctx, follows.handle_reject, on_accept))
    return table


def handle_content(ctx: InboxContext, keys: KeyCache) -> None:
    kern = kernen.by_actor(ctx.conn, ctx.actor.id)
    if not kernen.may_send(kern):
        raise InboxRefusal(403, "not_a_followed_kern")
    assert kern is not None
    try:
        proofcheck.check(ctx.activity, kern["actor_id"], keys)
    except ProofError as error:
        raise InboxRefusal(403, PROOF_PREFIX + error.reason) from None
    try:
        ingest.apply(ctx.conn, kernen.as_kern(kern), ctx.activity, via="push", now=ctx.now)
    except ingest.Refused as refusal:
        raise InboxRefusal(403, refusal.reason) from None
    kernen.note_contact(ctx.conn, kern["id"], ctx.now)


def handle_move(ctx: InboxContext) -> None:
    """A followed kern moved (node/gemeente/moves.py). Refused for want of the target's
    document, the runtime fetches it and offers the Move once more (federation/moves.py)."""
    try:
        moves.take(ctx.conn, ctx.identity, ctx.actor.id, ctx.activity, ctx.now)
    except MoveRefused as refusal:
        raise InboxRefusal(refusal.status, refusal.reason) from None


def handle_answer(
    ctx: InboxContext, settle: Callable[[InboxContext], None], on_accept: Callable[[], None]
) -> None:
    settle(ctx)
    following = followers.get_following(ctx.conn, ctx.actor.id)
    if following is None or following.state == "pending":
        return  # not an answer to our Follow
    kernen.on_settled(ctx.conn, ctx.actor.id, ctx.now)
    readmodel.touch(ctx.conn)
    if following.state == "accepted":
        on_accept()


def is_noted(reason: str) -> bool:
    """Whether a refusal is worth a note for staff (a kern sending what it may not)."""
    return reason.startswith(PROOF_PREFIX) or reason in NOTED_REASONS
