"""Backups of a node's data folder: one .tar.gz a host can keep elsewhere, and its restore.

A backup is made while the server runs: the database goes through SQLite's online backup
API into a private temp folder (copying the live file could catch half a transaction, or
miss what still sits in the WAL). Beside it go bloei.toml, secret.key, the federation keys
and the media folder, with a manifest that holds a SHA-256 of every member.

A restore trusts nothing in the archive: it checks every member's name, type and size before
writing a byte, writes the bytes itself (never `tarfile.extract`, so a link or device can
never appear), compares every checksum, opens and migrates the database in a staging folder
and only then swaps the folder in by renames. A failed restore leaves the old data as it was.
Before the swap, the restored outbox is set to go on above every position the node handed out
before (node/positions.py), so followers never skip what it publishes next.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from node import positions
from node.app import open_database
from node.db import Database, connect
from node.settings import (
    CONFIG_FILE,
    DATABASE_FILE,
    KEYS_DIR,
    MEDIA_DIR,
    SECRET_FILE,
    Settings,
    load_settings,
)

# Where `bloei init` stores the federation key pair (see federation/keys.py).
MANIFEST_FILE = "manifest.json"
FORMAT_NAME = "bloei-backup"
FORMAT_VERSION = 1

REQUIRED_FILES = (DATABASE_FILE, CONFIG_FILE, SECRET_FILE)
TREE_DIRS = (KEYS_DIR, MEDIA_DIR)

# Limits against a hostile or broken archive (a "zip bomb" or millions of tiny members);
# far beyond what a village node holds.
MAX_MEMBERS = 200_000
MAX_MEMBER_SIZE = 8 * 1024**3
MAX_TOTAL_SIZE = 64 * 1024**3
MAX_MANIFEST_SIZE = 16 * 1024**2
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message is one line a host can act on."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    size: int


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    name: str
    slug: str
    role: str
    created_at: str
    files: int
    outbox_floor: int | None = None  # the outbox goes on after this position; None: no outbox


# --- making a backup -------------------------------------------------------------------------


def create_backup(source: Settings | Path | str, target: Path | str) -> BackupResult:
    """Write a consistent .tar.gz of the node to `target`, mode 0600, atomically."""
    settings = source if isinstance(source, Settings) else load_settings(source)
    data_dir = settings.data_dir
    target = Path(target)
    _check_target(data_dir, target)
    if not settings.database_path.is_file():
        raise BackupError(f"no {DATABASE_FILE} in {data_dir}: nothing to back up")

    # The temp file sits next to the target so the final rename cannot cross file systems.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            # The database snapshot goes to a private folder beside the target, not /tmp,
            # which is often a small RAM disk.
            with tempfile.TemporaryDirectory(prefix=".bloei-backup-", dir=target.parent) as snap:
                snapshot = Path(snap) / DATABASE_FILE
                Database(settings.database_path).backup_to(snapshot)
                files = _write_archive(handle, settings, snapshot)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(target, 0o600)
    return BackupResult(path=target, files=files, size=target.stat().st_size)


def _check_target(data_dir: Path, target: Path) -> None:
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file, e.g. {target}/bloei.tar.gz")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    # A backup inside the data folder is lost with it, and could end up inside the next one.
    if target.resolve().is_relative_to(data_dir.resolve()):
        raise BackupError(f"write the backup outside the data folder {data_dir}")


def _write_archive(handle: BinaryIO, settings: Settings, snapshot: Path) -> int:
    data_dir = settings.data_dir
    checksums: dict[str, dict] = {}
    with tarfile.open(fileobj=handle, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        _add_file(tar, snapshot, DATABASE_FILE, checksums)
        _add_file(tar, data_dir / CONFIG_FILE, CONFIG_FILE, checksums)
        _add_file(tar, data_dir / SECRET_FILE, SECRET_FILE, checksums)
        for folder in TREE_DIRS:
            for path in _regular_files(data_dir / folder):
                _add_file(tar, path, path.relative_to(data_dir).as_posix(), checksums)
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "node": {"name": settings.name, "slug": settings.slug, "role": settings.role},
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": checksums,
        }
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        tar.addfile(_tarinfo(MANIFEST_FILE, len(data)), io.BytesIO(data))
    return len(checksums)


def _regular_files(folder: Path) -> Iterator[Path]:
    """Every regular file under folder, sorted; symlinks are skipped, never followed."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root, name)
            if path.is_file() and not path.is_symlink():
                yield path


def _add_file(tar: tarfile.TarFile, path: Path, name: str, checksums: dict[str, dict]) -> None:
    # Hash the very bytes that go into the archive: a media file that changes meanwhile
    # can then never disagree with its checksum.
    with path.open("rb") as source:
        size = os.fstat(source.fileno()).st_size
        reader = _HashingReader(source)
        tar.addfile(_tarinfo(name, size), reader)
    checksums[name] = {"sha256": reader.hexdigest(), "size": size}


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    # No owners, no loose modes: the archive says nothing about the host it came from.
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    return info


class _HashingReader:
    def __init__(self, source: BinaryIO):
        self._source = source
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# --- restoring -------------------------------------------------------------------------------


def restore_backup(
    archive: Path | str,
    data_dir: Path | str,
    force: bool = False,
    *,
    new_address: str | None = None,
) -> RestoreResult:
    """Restore `archive` into `data_dir`; an existing, non-empty folder only with force.
    `new_address`: the node is imported to serve at this public URL (node/migrate.py)."""
    # Absolute, so that "." or "data/" still have a parent to stage in and a name to swap.
    archive, data_dir = Path(archive), Path(os.path.abspath(data_dir))
    _check_restore_target(data_dir, force)
    with _open_archive(archive) as tar:
        members = _checked_members(tar, archive)
        manifest = _read_manifest(tar, members, archive)
        _check_disk_space(data_dir.parent, members)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=data_dir.parent))
        try:
            try:
                _extract(tar, members, manifest, staging, archive)
            except (tarfile.TarError, EOFError, zlib.error) as error:
                raise BackupError(f"{archive} is damaged: {error}") from None
            _check_database(staging)
            floor = _carry_positions_over(staging, data_dir, manifest, new_address)
            _swap_in(staging, data_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    node = manifest.get("node", {})
    return RestoreResult(
        data_dir=data_dir,
        name=str(node.get("name", "")),
        slug=str(node.get("slug", "")),
        role=str(node.get("role", "")),
        created_at=str(manifest.get("created_at", "")),
        files=len(manifest["files"]),
        outbox_floor=floor,
    )


def _open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:gz")
    except FileNotFoundError:
        raise BackupError(f"backup {archive} does not exist") from None
    except IsADirectoryError:
        raise BackupError(f"{archive} is a folder, not a backup file") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive} is not a Bloei backup (not a .tar.gz): {error}") from None


def _check_restore_target(data_dir: Path, force: bool) -> None:
    if data_dir.exists() or data_dir.is_symlink():
        if not data_dir.is_dir() or data_dir.is_symlink():
            raise BackupError(f"{data_dir} exists and is not a folder")
        if any(data_dir.iterdir()) and not force:
            raise BackupError(
                f"data folder {data_dir} is not empty: stop the server, then use --force"
            )


def _checked_members(tar: tarfile.TarFile, archive: Path) -> dict[str, tarfile.TarInfo]:
    """Every member, checked before anything is written; raises on the first bad one."""
    members: dict[str, tarfile.TarInfo] = {}
    total = 0
    try:
        infos = tar.getmembers()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"{archive} is damaged: {error}") from None
    if len(infos) > MAX_MEMBERS:
        raise BackupError(f"{archive} holds {len(infos)} files, more than a backup can")
    for info in infos:
        name = _checked_name(info.name, archive)
        if info.isdir():
            continue
        if not info.isreg():
            raise BackupError(f"{archive} holds {info.name!r}, which is not a regular file")
        if name in members:
            raise BackupError(f"{archive} holds {name!r} twice")
        if not 0 <= info.size <= MAX_MEMBER_SIZE:
            raise BackupError(f"{archive}: {name!r} is too large ({info.size} bytes)")
        total += info.size
        if total > MAX_TOTAL_SIZE:
            raise BackupError(f"{archive} unpacks to more than {MAX_TOTAL_SIZE} bytes")
        members[name] = info
    return members


def _checked_name(name: str, archive: Path) -> str:
    path = PurePosixPath(name)
    if not name or name.startswith("/") or "\\" in name or path.is_absolute():
        raise BackupError(f"{archive} holds an absolute or odd path {name!r}")
    if any(part in ("..", "") for part in name.split("/")) or "\x00" in name:
        raise BackupError(f"{archive} holds a path that leaves its folder: {name!r}")
    clean = path.as_posix()
    in_tree = path.parts[0] in TREE_DIRS and len(path.parts) > 1
    if clean not in (*REQUIRED_FILES, MANIFEST_FILE) and not in_tree:
        raise BackupError(f"{archive} holds {name!r}, which is not part of a Bloei node")
    return clean


def _read_manifest(
    tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], archive: Path
) -> dict:
    info = members.get(MANIFEST_FILE)
    if info is None:
        raise BackupError(f"{archive} has no {MANIFEST_FILE}: it is not a Bloei backup")
    if info.size > MAX_MANIFEST_SIZE:
        raise BackupError(f"{archive}: {MANIFEST_FILE} is too large")
    try:
        manifest = json.loads(_read_member(tar, info).read())
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{archive}: {MANIFEST_FILE} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BackupError(f"{archive} is not a Bloei backup")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(f"{archive} was made by a newer Bloei (format {version}); upgrade first")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(entry, dict) and isinstance(entry.get("sha256"), str) for entry in files.values()
    ):
        raise BackupError(f"{archive}: {MANIFEST_FILE} has no valid list of files")
    stored = set(members) - {MANIFEST_FILE}
    disagree = sorted(set(files) ^ stored) or sorted(
        name for name in stored if files[name].get("size") != members[name].size
    )
    if disagree:
        raise BackupError(f"{archive}: the manifest and the archive disagree about {disagree[0]!r}")
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise BackupError(f"{archive} lacks {missing[0]}: it is not a complete backup")
    return manifest


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> BinaryIO:
    handle = tar.extractfile(info)
    if handle is None:  # only for non-regular members, which were refused already
        raise BackupError(f"cannot read {info.name}")
    return handle


def _check_disk_space(folder: Path, members: dict[str, tarfile.TarInfo]) -> None:
    while not folder.exists():
        folder = folder.parent
    needed = sum(info.size for info in members.values())
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise BackupError(f"not enough disk space in {folder}: need {needed} bytes, {free} free")


def _extract(
    tar: tarfile.TarFile,
    members: dict[str, tarfile.TarInfo],
    manifest: dict,
    staging: Path,
    archive: Path,
) -> None:
    for name, info in members.items():
        if name == MANIFEST_FILE:
            continue
        target = staging.joinpath(*PurePosixPath(name).parts)
        for parent in reversed(target.relative_to(staging).parents[:-1]):
            (staging / parent).mkdir(mode=0o700, exist_ok=True)
        digest = hashlib.sha256()
        # O_EXCL: a name can never reach a file that is already there.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            source = _read_member(tar, info)
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != manifest["files"][name]["sha256"]:
            raise BackupError(
                f"{archive}: checksum of {name} does not match: the backup is damaged or altered"
            )
    (staging / MEDIA_DIR).mkdir(mode=0o700, exist_ok=True)


def _check_database(staging: Path) -> None:
    """Open the restored database as the server would, migrate it, and check every page."""
    settings = load_settings(staging)
    db = open_database(settings)
    try:
        result = [row[0] for row in db.writer.execute("PRAGMA integrity_check").fetchall()]
    finally:
        db.close()
    if result != ["ok"]:
        raise BackupError(f"the restored database is damaged: {result[0]}")


def _carry_positions_over(
    staging: Path, data_dir: Path, manifest: dict, new_address: str | None
) -> int | None:
    """Raise the restored outbox's counter above what the folder it replaces handed out, and
    leave the mark beside it; the floor, or None for a node without an outbox."""
    moving = new_address is not None and new_address != load_settings(staging, {}).public_url
    conn = connect(staging / DATABASE_FILE)
    try:
        if not positions.has_outbox(conn):
            return None
        old_folder = data_dir if data_dir.is_dir() else None
        old_database = data_dir / DATABASE_FILE if old_folder else None
        floor = positions.restore_floor(
            conn,
            old_folder,
            old_database,
            _made_at(manifest),
            datetime.now(UTC),
            new_actor=moving,
        )
        conn.execute("BEGIN IMMEDIATE")
        positions.raise_sequence(conn, floor)
        conn.execute("COMMIT")
    finally:
        conn.close()
    positions.write_mark(staging, floor)
    return floor


def _made_at(manifest: dict) -> datetime | None:
    try:
        made_at = datetime.fromisoformat(str(manifest.get("created_at", "")))
    except ValueError:
        return None
    return made_at if made_at.tzinfo is not None else made_at.replace(tzinfo=UTC)


def _swap_in(staging: Path, data_dir: Path) -> None:
    """Put staging where data_dir is, by renames; on failure the old folder stays in place."""
    if not data_dir.exists():
        os.rename(staging, data_dir)
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    old = data_dir.with_name(f".{data_dir.name}.old-{stamp}-{os.getpid()}")
    os.rename(data_dir, old)
    try:
        os.rename(staging, data_dir)
    except BaseException:
        os.rename(old, data_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
