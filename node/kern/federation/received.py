"""What a kern keeps of the activities it receives: the objects of the kernen it follows.

A kern that follows another kern receives its Create, Update, Delete and Announce. They are
kept here, one row per object, as the sender last described it; a deleted object stays as a
row marked deleted (with when). Rules, so nobody can change what another published:

* content is taken only from actors this kern follows (a follow not refused) and from the
  gemeente it was configured with (`gemeente_actor`); from anyone else (a Mastodon account
  that follows the kern, say) it is answered 202 and not kept;
* the object must live on the sender's own origin (else 403, nothing kept);
* an Update or Delete applies only to an object that sender created (else 403);
* an Announce is kept only when it embeds the sender's own object; Bloei never fetches an
  object someone else announces;
* a `Reactie` or `Gemeentebericht` (created, changed, deleted or announced) is taken only from
  the gemeente itself: from anyone else, also a kern this kern follows, 403 and nothing kept.
  A `Reactie` must answer one of this kern's own projects or thema's (else 403). Storing one
  bumps the data version, so the cached pages show it at once (node/kern/conversation/model.py),
  and a new reactie is recorded, for the mail to the group (node/kern/conversation/notice.py).

A `Move` of a kern this kern follows is followed to the new actor (node/kern/federation/followed_moves.py).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from federation.dispatch import HandlerTable, InboxContext, InboxRefusal
from federation.store import rows, timestamp
from federation.vocabulary import id_of, types_of
from node.kern import happenings
from node.kern.conversation import model as gemeente_messages
from node.kern.federation import elsewhere, followed_moves
from node.settings import Settings

MAX_NAME = 200


def register(handlers: HandlerTable, settings: Settings) -> HandlerTable:
    """Add the content handlers to a copy of `handlers`."""
    table = handlers.copy()
    table.register("Create", lambda ctx: handle_create(ctx, settings))
    table.register("Update", lambda ctx: handle_update(ctx, settings))
    table.register("Delete", lambda ctx: handle_delete(ctx, settings))
    table.register("Announce", lambda ctx: handle_announce(ctx, settings))
    table.register("Move", followed_moves.handle_move)
    return table


def may_send_content(conn: sqlite3.Connection, settings: Settings, actor_id: str) -> bool:
    """The gemeente this kern belongs to, or an actor it follows (or asked to follow: its
    first posts may overtake its Accept)."""
    if settings.gemeente_actor and actor_id == settings.gemeente_actor:
        return True
    found = conn.execute(
        "SELECT 1 FROM federation_following WHERE actor_id = ? AND state != 'rejected'",
        (actor_id,),
    ).fetchone()
    return found is not None


# --- handlers ----------------------------------------------------------------------------------


def check_gemeente_message(ctx: InboxContext, settings: Settings, obj: Any) -> None:
    """Refuse a reactie or gemeentebericht from anyone but this kern's gemeente, and a
    reactie on something that is not this kern's own: residents must be able to trust that
    what the site shows as the gemeente's word is exactly that."""
    kinds = gemeente_messages.kinds_of(obj)
    if not kinds:
        return
    _require_gemeente(ctx, settings)
    if gemeente_messages.REACTIE in kinds and not gemeente_messages.answers_own_object(
        ctx.conn, settings, obj
    ):
        raise InboxRefusal(403, "not_our_object")


def _require_gemeente(ctx: InboxContext, settings: Settings) -> None:
    if not settings.gemeente_actor or ctx.actor.id != settings.gemeente_actor:
        raise InboxRefusal(403, "not_the_gemeente")


def handle_create(ctx: InboxContext, settings: Settings) -> None:
    obj = ctx.object
    if not isinstance(obj, dict) or _is_tombstone(obj):
        return  # a Create of something since removed (the sender erased it) brings nothing
    check_gemeente_message(ctx, settings, obj)
    if not may_send_content(ctx.conn, settings, ctx.actor.id):
        return
    _store(ctx, _owned_object(ctx, obj), settings)


def handle_update(ctx: InboxContext, settings: Settings) -> None:
    obj = ctx.object
    if not isinstance(obj, dict) or id_of(obj) == ctx.actor.id or _is_tombstone(obj):
        return  # a bare id says nothing new; the sender's own actor is refreshed by the inbox
    check_gemeente_message(ctx, settings, obj)
    if not may_send_content(ctx.conn, settings, ctx.actor.id):
        return
    object_id = _owned_object(ctx, obj)
    existing = get(ctx.conn, object_id)
    if existing is not None and existing["deleted"]:
        return  # deleted stays deleted: an Update may have been overtaken by its Delete
    _store(ctx, object_id, settings)


def handle_delete(ctx: InboxContext, settings: Settings) -> None:
    object_id = id_of(ctx.object)
    if object_id is None or object_id == ctx.actor.id:
        return
    if not may_send_content(ctx.conn, settings, ctx.actor.id):
        return
    if not ctx.owns(object_id):
        raise InboxRefusal(403, "foreign_object")
    existing = get(ctx.conn, object_id)
    if existing is None:
        return
    if existing["actor_id"] != ctx.actor.id:
        raise InboxRefusal(403, "not_owner")
    if existing["type"] in gemeente_messages.KINDS:
        _require_gemeente(ctx, settings)
        gemeente_messages.touch(ctx.conn)
    elif existing["type"] in elsewhere.EVENT_TYPES and elsewhere.shown(ctx.conn):
        gemeente_messages.touch(ctx.conn)  # the meetings page shows it: it goes at once
    stamp = timestamp(ctx.now)
    # Nothing of a removed object stays here: the sender asks its followers to honour this.
    tombstone = json.dumps({"id": object_id, "type": "Tombstone"}, separators=(",", ":"))
    ctx.conn.execute(
        """UPDATE received_objects SET deleted = 1, deleted_at = ?, updated_at = ?,
               activity_id = ?, document = ? WHERE object_id = ?""",
        (stamp, stamp, ctx.activity["id"], tombstone, object_id),
    )


def handle_announce(ctx: InboxContext, settings: Settings) -> None:
    obj = ctx.object
    if not isinstance(obj, dict) or _is_tombstone(obj):
        return
    check_gemeente_message(ctx, settings, obj)
    if not may_send_content(ctx.conn, settings, ctx.actor.id):
        return
    object_id = id_of(obj)
    if object_id is None or not ctx.owns(object_id):
        return  # someone else's object: we do not fetch it
    if get(ctx.conn, object_id) is None:
        _store(ctx, object_id, settings)


def _is_tombstone(obj: dict[str, Any]) -> bool:
    return "Tombstone" in types_of(obj)


def _owned_object(ctx: InboxContext, obj: dict[str, Any]) -> str:
    object_id = id_of(obj)
    if object_id is None:
        raise InboxRefusal(422, "object_without_id")
    if not ctx.owns(object_id):
        raise InboxRefusal(403, "foreign_object")
    return object_id


def _store(ctx: InboxContext, object_id: str, settings: Settings) -> None:
    existing = get(ctx.conn, object_id)
    if existing is not None and existing["actor_id"] != ctx.actor.id:
        raise InboxRefusal(403, "not_owner")
    obj = ctx.object
    stamp = timestamp(ctx.now)
    ctx.conn.execute(
        """INSERT INTO received_objects
               (object_id, actor_id, activity_id, type, name, document, received_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (object_id) DO UPDATE SET activity_id = excluded.activity_id,
               type = excluded.type, name = excluded.name, document = excluded.document,
               updated_at = excluded.updated_at, deleted = 0, deleted_at = NULL""",
        (
            object_id,
            ctx.actor.id,
            ctx.activity["id"],
            _kind(obj),
            _name(obj),
            json.dumps(obj, ensure_ascii=False),
            stamp,
            stamp,
        ),
    )
    kinds = gemeente_messages.kinds_of(obj)
    if kinds or (elsewhere.EVENT_TYPES & set(types_of(obj)) and elsewhere.shown(ctx.conn)):
        # Shown on cached pages (a gemeentebericht, an event from elsewhere): seen at once.
        gemeente_messages.touch(ctx.conn)
    if gemeente_messages.REACTIE in kinds and existing is None:
        # New, not a changed one. What the mail needs of it; the rest stays in the inbox.
        reactie = {key: obj.get(key) for key in ("id", "inReplyTo", "content")}
        happenings.record(ctx.conn, happenings.GEMEENTE_REACTIE, reactie=reactie)
    if gemeente_messages.GEMEENTEBERICHT in kinds and existing is None:
        bericht = {key: obj.get(key) for key in ("id", "name", "content")}
        happenings.record(ctx.conn, happenings.GEMEENTE_BERICHT, bericht=bericht)


def _kind(obj: dict[str, Any]) -> str:
    """The Bloei type when there is one (Thema, Bijeenkomst, ...), else the standard type."""
    kinds = types_of(obj)
    return kinds[-1] if kinds else "Object"


def _name(obj: dict[str, Any]) -> str:
    for key in ("name", "summary"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME]
    return ""


# --- reading -----------------------------------------------------------------------------------


def get(conn: sqlite3.Connection, object_id: str) -> sqlite3.Row | None:
    found = rows(conn, "SELECT * FROM received_objects WHERE object_id = ?", (object_id,))
    return found[0] if found else None


def recent(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The most recently received or changed objects, with their sender's name, for beheer."""
    found = rows(
        conn,
        """SELECT r.object_id, r.actor_id, r.type, r.name, r.received_at, r.updated_at,
                  r.deleted, r.deleted_at,
                  coalesce(json_extract(a.document, '$.name'), r.actor_id) AS actor_name
           FROM received_objects r
           LEFT JOIN federation_remote_actors a ON a.actor_id = r.actor_id
           ORDER BY r.updated_at DESC, r.object_id LIMIT ?""",
        (limit,),
    )
    return [dict(r) for r in found]


def count(conn: sqlite3.Connection, include_deleted: bool = False) -> int:
    sql = "SELECT count(*) FROM received_objects"
    if not include_deleted:
        sql += " WHERE deleted = 0"
    return int(conn.execute(sql).fetchone()[0])
