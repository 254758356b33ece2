"""Moving a kern to another host: `bloei export`, `bloei import` and `bloei move`.

* `export` writes everything (database with its history, settings, secret, keys, media) to
  one archive: the very archive `bloei backup` makes (node/backup.py), so it is consistent
  while the server runs and checked on the way back in.
* `import` restores that archive into a new data folder. With a new public URL the settings
  are rewritten and the old actor id is kept in `meta.moved_from`: the new actor document
  then lists it in `alsoKnownAs`, which is how the rest of the fediverse can tell that the
  move is wanted by the kern itself.
* `move`, run on the OLD node, checks that the new actor names the old one in `alsoKnownAs`,
  publishes `Move` (actor and object the old actor, target the new one) to the followers and
  keeps `meta.moved_to`, so the old actor document shows `movedTo`.
"""

from __future__ import annotations

import os
import sqlite3
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from federation import vocabulary
from federation.actors import ActorError, ActorRoutes, RemoteActor
from node.backup import BackupError, BackupResult, create_backup, restore_backup
from node.kern.node_identity import ACTOR_PATH
from node.settings import CONFIG_FILE, Settings, load_settings, validate_public_url, write_config

MOVED_FROM = "moved_from"
MOVED_TO = "moved_to"

# Fetches an actor document: (url) -> (final url, document). The CLI uses federation.fetch.
FetchJson = Callable[[str], Awaitable[tuple[str, Any]]]


class MoveError(Exception):
    """A move cannot be done; the message is one line for the host."""


@dataclass(frozen=True)
class ImportResult:
    data_dir: Path
    name: str
    role: str
    public_url: str
    moved_from: str


def actor_id(settings: Settings) -> str:
    return ActorRoutes.under(settings.public_url, ACTOR_PATH).id


def get_meta(conn: sqlite3.Connection, key: str) -> str:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(found[0]) if found else ""


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


# --- export and import -------------------------------------------------------------------------


def export_node(source: Settings | Path | str, target: Path | str) -> BackupResult:
    """Everything of the node in one archive (a backup: same format, same checks)."""
    return create_backup(source, target)


def import_node(archive: Path | str, data_dir: Path | str, url: str | None = None) -> ImportResult:
    """Restore `archive` into a new (empty) folder; with `url`, at that public address."""
    new_url = validate_public_url(url) if url else None
    result = restore_backup(archive, data_dir)
    folder = result.data_dir
    old = load_settings(folder)
    moved_from = ""
    if new_url and new_url != old.public_url:
        if old.role != "kern":
            raise BackupError(f"only a kern can move to a new address, this is a {old.role}")
        config = folder / CONFIG_FILE
        with config.open("rb") as handle:
            values = tomllib.load(handle)
        values["public_url"] = new_url
        write_config(folder, values)
        os.chmod(config, 0o600)
        moved_from = actor_id(old)
        from node.app import open_database

        db = open_database(load_settings(folder))
        try:
            db.write(set_meta, MOVED_FROM, moved_from)
        finally:
            db.close()
    settings = load_settings(folder)
    return ImportResult(folder, settings.name, settings.role, settings.public_url, moved_from)


# --- announcing the move -----------------------------------------------------------------------


async def confirmed_target(old_actor: str, target: str, fetch_json: FetchJson) -> RemoteActor:
    """The new actor, fetched, when it names `old_actor` in alsoKnownAs; else MoveError."""
    if target.rstrip("/") == old_actor.rstrip("/"):
        raise MoveError("the new actor is this actor: give the address of the new one")
    try:
        final_url, document = await fetch_json(target)
        actor = RemoteActor.from_document(document, fetched_from=final_url)
    except ActorError as error:
        raise MoveError(f"{target} is not an actor: {error}") from None
    if old_actor not in also_known_as(document):
        raise MoveError(
            f"{actor.id} does not list {old_actor} in alsoKnownAs: "
            "import the export there with --url first"
        )
    return actor


def also_known_as(document: Any) -> list[str]:
    value = document.get("alsoKnownAs") if isinstance(document, dict) else None
    items = value if isinstance(value, list) else [value]
    return [vocabulary.id_of(item) or "" for item in items if item]


def announce_move(db, settings: Settings, new_actor: str, now: datetime | None = None) -> str:
    """Publish Move to the followers and remember `moved_to`; returns the Move's id."""
    now = now or datetime.now(UTC)
    publisher = db.services["publisher"]

    def move(conn: sqlite3.Connection) -> str:
        activity = vocabulary.move(
            publisher.routes.id,
            new_actor,
            activity_id=publisher.new_activity_id(),
            published=now,
            to=[publisher.routes.followers],
        )
        set_meta(conn, MOVED_TO, new_actor)
        return publisher.publish(conn, activity, now)

    return db.write(move)


async def fetch_with_policy(settings: Settings) -> tuple[FetchJson, Callable[[], Awaitable]]:
    """A fetch under the node's address policy (dev allows loopback), and its closer."""
    import httpx

    from federation.addresses import AddressPolicy
    from federation.fetch import Fetcher

    fetcher = Fetcher(httpx.AsyncClient(), AddressPolicy(dev=settings.dev))
    return fetcher.get_json, fetcher.client.aclose
