"""Ids that move along when an actor moves: from the old actor's base to the new one's.

A Bloei node names everything it publishes under one base address (its public URL): the
actor is `<base>/actor`, a project `<base>/projecten/<slug>`, an activity
`<base>/actor/activities/<uuid>`. When a node moves with all its data (ActivityPub `Move`,
the new actor naming the old in `alsoKnownAs`), every id under the old base lives on at the
same path under the new base. `Rebase` is that one rule, used on both sides of a move: the
moved node rewrites its own history with it, and a follower re-keys the copies it holds.

Only whole values are rewritten, never text inside a longer string: an id is a value of its
own, while a link inside a text is part of what somebody wrote.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# What may follow the base in an id under it: a path, a query or a fragment.
_AFTER_BASE = ("/", "?", "#")


class RebaseError(ValueError):
    """The two addresses cannot be related by the rule (one line, safe to show)."""


@dataclass(frozen=True)
class Rebase:
    """Ids under `old` (an absolute http(s) URL without a trailing slash) move to `new`."""

    old: str
    new: str

    def __post_init__(self) -> None:
        for base in (self.old, self.new):
            parts = urlsplit(base)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                raise RebaseError(f"not an http(s) base address: {base!r}")
            if base.endswith("/") or parts.query or parts.fragment:
                raise RebaseError(f"a base address ends in its path: {base!r}")
        if self.old == self.new:
            raise RebaseError("the old and the new base are the same")

    @classmethod
    def between(cls, old_url: str, new_url: str) -> Rebase:
        """From two public URLs as a node's settings hold them (a trailing slash allowed)."""
        return cls(old_url.rstrip("/"), new_url.rstrip("/"))

    @classmethod
    def between_actors(cls, old_actor: str, new_actor: str, actor_path: str) -> Rebase | None:
        """From two actor ids that both end in `actor_path`; None when either does not."""
        if not (old_actor.endswith(actor_path) and new_actor.endswith(actor_path)):
            return None
        try:
            return cls(old_actor[: -len(actor_path)], new_actor[: -len(actor_path)])
        except RebaseError:
            return None

    def covers(self, value: str) -> bool:
        """Whether `value` is an id under the old base."""
        if not value.startswith(self.old):
            return False
        rest = value[len(self.old) :]
        return rest == "" or rest.startswith(_AFTER_BASE)

    def id(self, value: str) -> str:
        """`value` under the new base when it was under the old one, else unchanged."""
        return self.new + value[len(self.old) :] if self.covers(value) else value

    def json(self, value: Any) -> Any:
        """A copy of a JSON value with every string that is an id under the old base moved."""
        if isinstance(value, str):
            return self.id(value)
        if isinstance(value, Mapping):
            return {key: self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value

    def like_pattern(self) -> str:
        """A LIKE pattern (escape character backslash) that finds candidates for `covers`."""
        escaped = self.old.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return escaped + "%"


def rebase_column(
    conn: sqlite3.Connection,
    rebase: Rebase,
    table: str,
    column: str,
    where: str = "",
    params: tuple[Any, ...] = (),
) -> int:
    """Move every id under the old base in one text column; returns the values moved.

    `table`, `column` and `where` are the caller's own SQL, never outside input. Each distinct
    value is updated as a whole, so the statement works on any table, with or without rowid.
    """
    scope = f" AND ({where})" if where else ""
    condition = f"{column} LIKE ? ESCAPE '\\'" + scope
    found = conn.execute(
        f"SELECT DISTINCT {column} FROM {table} WHERE {condition}",
        (rebase.like_pattern(), *params),
    ).fetchall()
    moved = 0
    for (value,) in found:
        if isinstance(value, str) and rebase.covers(value):
            conn.execute(
                f"UPDATE {table} SET {column} = ? WHERE {column} = ?{scope}",
                (rebase.id(value), value, *params),
            )
            moved += 1
    return moved


def rebase_json_column(
    conn: sqlite3.Connection,
    rebase: Rebase,
    table: str,
    key: str,
    column: str,
    dump: Callable[[Any], str] = lambda value: json.dumps(value, ensure_ascii=False),
    where: str = "",
    params: tuple[Any, ...] = (),
) -> int:
    """Move the ids inside JSON documents of one column (rows found by `key`); returns the
    documents changed. A document that is not JSON is left as it is."""
    scope = f" AND ({where})" if where else ""
    pattern = "%" + rebase.like_pattern()
    found = conn.execute(
        f"SELECT {key}, {column} FROM {table} WHERE {column} LIKE ? ESCAPE '\\'{scope}",
        (pattern, *params),
    ).fetchall()
    changed = 0
    for row_key, text in found:
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        moved = rebase.json(value)
        if moved != value:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (dump(moved), row_key))
            changed += 1
    return changed
