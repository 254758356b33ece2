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

import json
import os
import shutil
import sqlite3
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from federation import outbox, vocabulary
from federation.actors import ActorError, RemoteActor
from federation.addresses import AddressPolicy
from federation.fetch import Fetcher
from federation.moves import also_known_as
from federation.rebase import Rebase
from federation.transport import checked_client
from node.actor_paths import ACTOR_PATH, actor_routes
from node.app import open_database
from node.backup import BackupError, create_backup, restore_backup
from node.kern.federation import actor as kern_actor
from node.kern.moving import handover, moving_in
from node.kern.moving.rehome import MOVED_FROM, MOVED_TO, former_actors, rehome
from node.settings import (
    CONFIG_FILE,
    DATABASE_FILE,
    Settings,
    load_settings,
    validate_public_url,
    write_config,
)
from node.web.audit import record_audit

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
    return actor_routes(settings.public_url).id


def get_meta(conn: sqlite3.Connection, key: str) -> str:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(found[0]) if found else ""


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


# --- export and import -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: Path
    files: int
    size: int
    mails: int  # queued mails the export took along: the new node sends them


def export_node(source: Settings | Path | str, target: Path | str) -> ExportResult:
    """Everything of the node in one archive (a backup: same format, same checks).

    A kern hands its queued mail and its deliveries over first (node/kern/moving/handover.py), so
    the old and the new node never both send them; undone when the export fails."""
    settings = source if isinstance(source, Settings) else load_settings(source)
    if settings.role != "kern" or not settings.database_path.is_file():
        result = create_backup(settings, target)
        return ExportResult(result.path, result.files, result.size, 0)

    db = open_database(settings)
    try:
        handed = db.write_quiet(handover.hand_over, datetime.now(UTC))
        try:
            result = create_backup(settings, target)
        except BaseException:
            db.write_quiet(handover.take_back, handed)
            raise
    finally:
        db.close()
    return ExportResult(result.path, result.files, result.size, handed.mails)


def import_node(
    archive: Path | str, data_dir: Path | str, url: str | None = None, force: bool = False
) -> ImportResult:
    """Restore `archive` into a new (empty) folder; with `url`, at that public address.
    With `force` an existing node in that folder is replaced (an import made before, of an
    export that is out of date now).

    All or nothing: when taking over the mail or moving the history to the new address
    fails, the restored folder is removed again, so a second try starts from an empty one."""
    new_url = validate_public_url(url) if url else None
    target = Path(os.path.abspath(data_dir))
    existed = target.exists()
    # The mail an earlier import here already sent: the new export still holds it as queued.
    finished = handover.finished_mail(target / DATABASE_FILE) if force else {}
    result = restore_backup(archive, target, force=force, new_address=new_url)
    folder = result.data_dir
    old = load_settings(folder)
    moved_from = ""
    try:
        if new_url and new_url != old.public_url:
            moved_from = _move_to_new_address(folder, old, new_url, finished)
        elif old.role == "kern":
            _take_over(old, finished)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if existed:
            folder.mkdir(mode=0o700, exist_ok=True)
        raise
    settings = load_settings(folder)
    return ImportResult(folder, settings.name, settings.role, settings.public_url, moved_from)


def _take_over(settings: Settings, finished: dict) -> None:
    """The mail the old node handed over is this node's to send (node/kern/moving/handover.py)."""

    db = open_database(settings)
    try:
        db.write_quiet(handover.take_over, finished)
    finally:
        db.close()


def _move_to_new_address(folder: Path, old: Settings, new_url: str, finished: dict) -> str:
    """Rewrite the history under the new address (node/kern/moving/rehome.py), then the settings;
    returns the old actor id, which the new actor lists in alsoKnownAs."""
    if old.role != "kern":
        raise BackupError(f"only a kern can move to a new address, this is a {old.role}")

    new = replace(old, public_url=new_url)
    old_actor = actor_id(old)
    db = open_database(new)
    try:
        publisher = db.services["publisher"]

        def move_history(conn: sqlite3.Connection) -> None:
            now = datetime.now(UTC)
            report = rehome(conn, Rebase.between(old.public_url, new_url), publisher.identity, now)
            handover.take_over(conn, finished)
            moving_in.await_followers(conn, now)
            set_meta(conn, MOVED_FROM, json.dumps([*former_actors(conn), old_actor]))
            # Followers hear of the new actor through the Move, not through an Update.
            kern_actor.remember_profile(conn, new, publisher)
            summary = f"van {old_actor}: {report.activities} activiteiten opnieuw ondertekend"
            record_audit(conn, "bloei import", "kern.verhuisd", "Kern", actor_id(new), summary)

        db.write(move_history)
    finally:
        db.close()
    config = folder / CONFIG_FILE
    with config.open("rb") as handle:
        values = tomllib.load(handle)
    values["public_url"] = new_url
    write_config(folder, values)
    os.chmod(config, 0o600)
    return old_actor


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


async def check_history(
    conn: sqlite3.Connection, old_actor: str, target: RemoteActor, fetch_json: FetchJson
) -> int:
    """This node's newest outbox position, once the new actor's outbox holds that same
    activity (under its new id) at that same position; else MoveError.

    Followers go on at the new outbox from the position they reached at the old one. Had the
    old node published after the export, those positions would mean other activities there,
    and a follower would skip what the new node publishes."""
    moved_to = get_meta(conn, MOVED_TO)
    if moved_to:
        raise MoveError(f"this node already moved to {moved_to}")
    newest = outbox.last_position(conn)
    if newest == 0:
        return 0
    rebase = Rebase.between_actors(old_actor, target.id, ACTOR_PATH)
    if rebase is None or not target.outbox:
        raise MoveError(f"{target.id} is not a Bloei kern's actor (<address>{ACTOR_PATH})")
    activity_id = conn.execute(
        "SELECT activity_id FROM federation_outbox WHERE position = ?", (newest,)
    ).fetchone()[0]
    page_url = f"{target.outbox}?{urlencode({'after': newest - 1, 'size': 1})}"
    try:
        _final, page = await fetch_json(page_url)
    except Exception as error:  # one line for the host, whatever went wrong on the way
        raise MoveError(f"cannot read the new outbox {page_url}: {error}") from None
    items = page.get("orderedItems") if isinstance(page, dict) else None
    found = vocabulary.id_of(items[0]) if isinstance(items, list) and items else None
    if found != rebase.id(activity_id) or page.get("lastPosition") != newest:
        raise MoveError(
            f"the new node does not hold this node's newest change (position {newest}): "
            "export again, import that export on the new host, then move"
        )
    return newest


def announce_move(
    db,
    settings: Settings,
    new_actor: str,
    now: datetime | None = None,
    expected_position: int | None = None,
) -> str:
    """Publish Move to the followers and remember `moved_to`; returns the Move's id.

    With `expected_position` (from `check_history`) the Move is only published when nothing
    was published since that check."""
    now = now or datetime.now(UTC)
    publisher = db.services["publisher"]

    def move(conn: sqlite3.Connection) -> str:
        moved_to = get_meta(conn, MOVED_TO)
        if moved_to:
            raise MoveError(f"this node already moved to {moved_to}")
        if expected_position is not None and outbox.last_position(conn) != expected_position:
            raise MoveError("this node published a change just now: run bloei move again")
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

    policy = AddressPolicy(dev=settings.dev)
    fetcher = Fetcher(checked_client(lambda: policy), policy)
    return fetcher.get_json, fetcher.client.aclose
