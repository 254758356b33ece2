"""When the disk or the data folder cannot take a write: recognising it, and checking for it.

A full disk or a read-only folder is the host's problem, not a bug and not the visitor's
fault. A write that fails for such a reason becomes a `StorageError` (the database and the
photo store raise it), which the web app answers with a 503 and one log line. Before the
node opens its database, `check_database_files` and `check_data_folder` write a test file
and open SQLite's files for writing: a folder or file SQLite cannot write is one line for
the host instead of a traceback, or a crash (SQLite maps a `-shm` file it cannot write
read-only, and the process can die of SIGBUS on it).
"""

from __future__ import annotations

import errno
import getpass
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

DISK_FULL = "the disk is full"
READ_ONLY = "the disk or folder is read-only"
NO_PERMISSION = "no permission to write"
IO_ERROR = "a disk read or write error"

# What the operating system or SQLite says, and what it means for the host.
ERRNO_CAUSES = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: NO_PERMISSION,
    errno.EPERM: NO_PERMISSION,
    errno.EIO: IO_ERROR,
}
SQLITE_CAUSES = {
    sqlite3.SQLITE_FULL: DISK_FULL,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_IOERR: IO_ERROR,
    sqlite3.SQLITE_CANTOPEN: READ_ONLY,
}
# SQLite's extended codes carry the primary code in their low byte.
SQLITE_PRIMARY_CODE = 0xFF

TEST_FILE_PREFIX = ".bloei-write-check-"
MIB = 1024 * 1024


class StorageError(Exception):
    """Nothing was saved: the disk or the folder refused the write, not the data."""

    def __init__(self, cause: str, path: Path | str):
        super().__init__(f"cannot save in {path}: {cause}")
        self.cause = cause
        self.path = Path(path)


class DataFolderError(Exception):
    """The data folder cannot be written; the message is one line a host can act on."""


def storage_cause(error: BaseException) -> str | None:
    """What is wrong with the storage, if that is why `error` happened; None otherwise."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return None if code is None else SQLITE_CAUSES.get(code & SQLITE_PRIMARY_CODE)
    if isinstance(error, OSError):
        return ERRNO_CAUSES.get(error.errno)
    return None


def database_files(database: Path) -> list[Path]:
    """The database and the two files SQLite keeps beside it in WAL mode."""
    return [database, Path(f"{database}-wal"), Path(f"{database}-shm")]


def check_database_files(database: Path) -> None:
    """Refuse to open a database SQLite could not write: its folder (where it makes the
    -wal and -shm files) and every one of its files that exists must take a write."""
    check_folder(database.parent)
    for path in database_files(database):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        except OSError as error:
            raise DataFolderError(_unwritable(path, error)) from None
        os.close(fd)


def check_data_folder(database: Path, media_dir: Path) -> None:
    """The start-up check of `bloei serve`: the data folder, the database files, the photos."""
    check_database_files(database)
    if media_dir.exists():
        check_folder(media_dir)


def check_folder(folder: Path) -> None:
    """Write a small file in `folder` and remove it again.

    Only a real write tells: the permission bits say nothing about a read-only mount, a
    full disk, or what root may do.
    """
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=TEST_FILE_PREFIX)
    except OSError as error:
        raise DataFolderError(_unwritable(folder, error)) from None
    try:
        os.write(fd, b"bloei")
        os.fsync(fd)
    except OSError as error:
        raise DataFolderError(_unwritable(folder, error)) from None
    finally:
        os.close(fd)
        Path(name).unlink(missing_ok=True)


def free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _unwritable(path: Path, error: OSError) -> str:
    reason = (error.strerror or str(error)).lower()
    return f"cannot write to {path} ({reason}): {_fix(path, error)}"


def _fix(path: Path, error: OSError) -> str:
    """What the host can do about it, in one phrase."""
    cause = ERRNO_CAUSES.get(error.errno)
    if cause == DISK_FULL:
        return "make room on the disk (see 'The disk is full' in the hosting guide)"
    if cause == READ_ONLY:
        return "the disk is mounted read-only; mount it read-write and check it for errors"
    user = _user_name()
    if path.name.endswith("-shm"):
        # SQLite rebuilds the -shm file from the -wal file; the -wal file holds the last
        # changes and must never be removed.
        return (
            f"with every bloei process of this node stopped, give the user {user} write "
            f"access to it (chown {user} {path}) or remove it"
        )
    if path.name.endswith("-wal"):
        return (
            f"with every bloei process of this node stopped, give the user {user} write "
            f"access to it (chown {user} {path}); do not remove it, it holds the last changes"
        )
    return f"give the user {user} write access to it (chown -R {user} {path})"


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid, as in some containers
        return str(os.geteuid())


@dataclass(frozen=True)
class Problem:
    """What the periodic check found: `low_space` or `unwritable`, and a line for the log."""

    kind: str
    text: str


def find_problem(data_dir: Path, media_dir: Path, min_free_bytes: int) -> Problem | None:
    """The periodic check: a test write in the data and photo folders, and the free space."""
    try:
        check_folder(data_dir)
        if media_dir.exists():
            check_folder(media_dir)
    except DataFolderError as error:
        return Problem("unwritable", str(error))
    free = free_bytes(data_dir)
    if free < min_free_bytes:
        return Problem(
            "low_space",
            f"only {free // MIB} MB free on the disk of {data_dir} (below "
            f"{min_free_bytes // MIB} MB): make room (see 'The disk is full' in the hosting guide)",
        )
    return None
