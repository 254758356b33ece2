"""Dispatch of verified activities by type, through a table (after bovine), not a chain of ifs.

A handler gets an `InboxContext`: the verified activity, its sender, and the connection of the
transaction in which the activity is also marked as seen, so what a handler writes and the
de-duplication commit together. Handlers queue replies with `ctx.reply(...)`.

`Undo` is dispatched on what it undoes: the table key `"Undo:Follow"` handles an Undo of a
Follow, `"Undo:Announce"` one of an Announce, and so on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation import delivery, vocabulary
from federation.actors import RemoteActor
from federation.identity import LocalIdentity
from federation.signatures import VerifiedSignature


class InboxRefusal(Exception):
    """Raised by a handler to refuse an activity: nothing it wrote is kept, and the sender gets
    `status` (403 for a sender that may not do this, 422 for an activity that makes no sense)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class InboxContext:
    """One verified activity on its way through the handlers."""

    conn: sqlite3.Connection
    activity: dict[str, Any]
    actor: RemoteActor
    identity: LocalIdentity
    now: datetime
    signature: VerifiedSignature | None = None
    replies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def type(self) -> str:
        return str(self.activity.get("type"))

    @property
    def object(self) -> Any:
        return self.activity.get("object")

    @property
    def object_id(self) -> str | None:
        return vocabulary.id_of(self.activity.get("object"))

    def owns(self, object_id: str | None) -> bool:
        """Whether `object_id` lives on the sender's origin: an actor may only create, update
        or delete its own objects, never another server's."""
        return object_id is not None and _origin(object_id) == _origin(self.actor.id)

    def reply(self, activity: Mapping[str, Any], inbox: str | None = None) -> dict[str, Any]:
        """Sign and queue an activity to the sender (its own inbox unless told otherwise)."""
        signed = delivery.send(
            self.conn, self.identity, activity, [inbox or self.actor.inbox], self.now
        )
        self.replies.append(signed)
        return signed

    def new_activity_id(self) -> str:
        return vocabulary.new_id(self.identity.actor_id + "/activities")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


Handler = Callable[[InboxContext], None]


class HandlerTable:
    """Activity type -> handler. `register` adds or replaces; `types()` lists what is accepted."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, activity_type: str, handler: Handler) -> None:
        self._handlers[activity_type] = handler

    def unregister(self, activity_type: str) -> None:
        self._handlers.pop(activity_type, None)

    def handler_for(self, activity: Mapping[str, Any]) -> Handler | None:
        kind = activity.get("type")
        if not isinstance(kind, str):
            return None
        if kind == "Undo":
            inner = vocabulary.types_of(activity.get("object"))
            for inner_type in inner:
                found = self._handlers.get(f"Undo:{inner_type}")
                if found is not None:
                    return found
        return self._handlers.get(kind)

    def types(self) -> tuple[str, ...]:
        """The table's keys, e.g. ('Follow', 'Undo:Follow', 'Accept', ...)."""
        return tuple(self._handlers)

    def copy(self) -> HandlerTable:
        return HandlerTable(self._handlers)

    def __contains__(self, activity_type: str) -> bool:
        return activity_type in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(self._handlers)
