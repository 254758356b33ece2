"""The Follow protocol on both sides: answering Follow and Undo, and following others.

Receiving: a Follow is accepted at once, left pending for approval in beheer, or rejected, as
the node's `FollowPolicy` decides; a trusted actor (the gemeente a kern was configured with) is
always accepted. An Undo of a Follow removes the follower. The reply (Accept or Reject) is
queued for delivery in the same transaction as the follower record.

Sending: `follow` records a pending follow and queues the Follow; the other side's Accept or
Reject (handled here too) settles it; `unfollow` queues the Undo.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from federation import delivery, followers, vocabulary
from federation.actors import RemoteActor
from federation.dispatch import HandlerTable, InboxContext, InboxRefusal
from federation.identity import LocalIdentity
from federation.store import ACCEPTED, PENDING, REJECTED

FollowDecision = Literal["accept", "pending", "reject"]
# Decides on a Follow from an actor that is not trusted; runs inside the inbox transaction.
FollowPolicy = Callable[[sqlite3.Connection, RemoteActor], FollowDecision]


def auto_accept(conn: sqlite3.Connection, actor: RemoteActor) -> FollowDecision:
    return "accept"


def manual_approval(conn: sqlite3.Connection, actor: RemoteActor) -> FollowDecision:
    """Every follow waits for a person in beheer (`approve` / `refuse`)."""
    return "pending"


@dataclass(frozen=True)
class FollowRules:
    policy: FollowPolicy = auto_accept
    trusted: frozenset[str] = frozenset()  # actor ids that are always accepted


# --- receiving ---------------------------------------------------------------------------------


def handle_follow(ctx: InboxContext, rules: FollowRules) -> None:
    target = vocabulary.id_of(ctx.object)
    if target != ctx.identity.actor_id:
        raise InboxRefusal(422, "this Follow is for another actor")
    if ctx.actor.id in rules.trusted:
        decision: FollowDecision = "accept"
    else:
        decision = rules.policy(ctx.conn, ctx.actor)
    state = {"accept": ACCEPTED, "pending": PENDING, "reject": REJECTED}[decision]
    followers.save_follower(
        ctx.conn,
        ctx.actor.id,
        ctx.actor.inbox,
        ctx.actor.shared_inbox,
        state,
        ctx.now,
        follow_id=vocabulary.id_of(ctx.activity),
    )
    if decision == "accept":
        ctx.reply(_answer("Accept", ctx.identity, ctx.activity))
    elif decision == "reject":
        ctx.reply(_answer("Reject", ctx.identity, ctx.activity))


def handle_undo_follow(ctx: InboxContext) -> None:
    inner = ctx.object
    if isinstance(inner, dict) and vocabulary.id_of(inner.get("actor")) not in (None, ctx.actor.id):
        raise InboxRefusal(403, "an actor can only undo its own Follow")
    followers.remove_follower(ctx.conn, ctx.actor.id)


def handle_undo_by_id(ctx: InboxContext) -> None:
    """An Undo naming only an id: remove the follower whose Follow that was, if any."""
    follower = followers.get_follower(ctx.conn, ctx.actor.id)
    if follower is not None and follower.follow_id == ctx.object_id:
        followers.remove_follower(ctx.conn, ctx.actor.id)


def handle_accept(ctx: InboxContext) -> None:
    _settle(ctx, ACCEPTED)


def handle_reject(ctx: InboxContext) -> None:
    _settle(ctx, REJECTED)


def _settle(ctx: InboxContext, state: str) -> None:
    """Accept or Reject of our Follow: only the followed actor can settle it."""
    following = followers.get_following(ctx.conn, ctx.actor.id)
    if following is None:
        return  # not something we asked for: ignore, as ActivityPub servers do
    inner = ctx.object
    follow_id = vocabulary.id_of(inner)
    if isinstance(inner, dict):
        is_ours = vocabulary.id_of(inner.get("actor")) == ctx.identity.actor_id
        if follow_id != following.follow_id and not is_ours:
            return
    elif follow_id != following.follow_id:
        return
    followers.set_following_state(ctx.conn, ctx.actor.id, state, ctx.now)


def default_handlers(rules: FollowRules | None = None) -> HandlerTable:
    """The built-in table: Follow, Undo of a Follow, and Accept / Reject of ours.

    The node registers the rest (Create, Update, Delete, Announce, Move, ...) on a copy.
    """
    rules = rules or FollowRules()
    return HandlerTable(
        {
            "Follow": lambda ctx: handle_follow(ctx, rules),
            "Undo:Follow": handle_undo_follow,
            "Undo": handle_undo_by_id,
            "Accept": handle_accept,
            "Reject": handle_reject,
        }
    )


# --- approving in beheer -----------------------------------------------------------------------


def _answer(kind: str, identity: LocalIdentity, follow_activity: dict[str, Any]) -> dict:
    build = vocabulary.accept if kind == "Accept" else vocabulary.reject
    follow_activity = {k: v for k, v in follow_activity.items() if k not in ("@context", "proof")}
    return build(
        identity.actor_id,
        follow_activity,
        activity_id=vocabulary.new_id(identity.actor_id + "/activities"),
    )


def _follow_of(identity: LocalIdentity, follower: followers.Follower) -> dict[str, Any]:
    return {
        "id": follower.follow_id or vocabulary.new_id(follower.actor_id + "#follows"),
        "type": "Follow",
        "actor": follower.actor_id,
        "object": identity.actor_id,
    }


def approve(
    conn: sqlite3.Connection, identity: LocalIdentity, actor_id: str, now: datetime
) -> bool:
    """Accept a pending (or rejected) follower and queue the Accept; False if unknown."""
    follower = followers.get_follower(conn, actor_id)
    if follower is None:
        return False
    followers.set_follower_state(conn, actor_id, ACCEPTED, now)
    answer = _answer("Accept", identity, _follow_of(identity, follower))
    delivery.send(conn, identity, answer, [follower.inbox], now)
    return True


def refuse(conn: sqlite3.Connection, identity: LocalIdentity, actor_id: str, now: datetime) -> bool:
    """Reject a follower, pending or accepted (which removes them), and queue the Reject."""
    follower = followers.get_follower(conn, actor_id)
    if follower is None:
        return False
    followers.set_follower_state(conn, actor_id, REJECTED, now)
    answer = _answer("Reject", identity, _follow_of(identity, follower))
    delivery.send(conn, identity, answer, [follower.inbox], now)
    return True


# --- following others --------------------------------------------------------------------------


def follow(
    conn: sqlite3.Connection, identity: LocalIdentity, actor: RemoteActor, now: datetime
) -> str:
    """Record a pending follow of `actor` and queue the Follow; returns its id."""
    activity = vocabulary.follow(
        identity.actor_id,
        actor.id,
        activity_id=vocabulary.new_id(identity.actor_id + "/activities"),
    )
    followers.save_following(conn, actor.id, actor.inbox, activity["id"], now, outbox=actor.outbox)
    delivery.send(conn, identity, activity, [actor.inbox], now)
    return activity["id"]


def unfollow(
    conn: sqlite3.Connection, identity: LocalIdentity, actor_id: str, now: datetime
) -> bool:
    """Forget a follow and queue its Undo; False when we did not follow `actor_id`."""
    following = followers.get_following(conn, actor_id)
    if following is None:
        return False
    original = {
        "id": following.follow_id,
        "type": "Follow",
        "actor": identity.actor_id,
        "object": actor_id,
    }
    activity = vocabulary.undo(
        identity.actor_id,
        original,
        activity_id=vocabulary.new_id(identity.actor_id + "/activities"),
        to=(actor_id,),
    )
    followers.remove_following(conn, actor_id)
    delivery.send(conn, identity, activity, [following.inbox], now)
    return True
