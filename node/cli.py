"""The `bloei` command for hosts: init, serve, worker, keys, user, privacy, backup, restore,
export, import, move, demo and pilot.

Every subcommand is one entry in COMMANDS: a function that adds its arguments to its parser
and a function that runs it and returns the exit code. Adding a command (say `demo`) is one
more entry. The commands live in node/commands/, one module per group; this module holds only
their table, the parser and `main`. Failures a host can cause (a wrong folder, a bad URL, a
busy port, a broken archive, a full disk) end in one line on stderr starting with `bloei: `,
never a traceback; they are caught in one place, `main`.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tarfile
import zlib

from federation.keys import KeyStorageError
from node.backup import BackupError
from node.commands.backup import configure_backup, configure_restore, run_backup, run_restore
from node.commands.common import Command, CommandError
from node.commands.init import configure_init, run_init
from node.commands.keys import configure_keys
from node.commands.moving import (
    configure_export,
    configure_import,
    configure_move,
    run_export,
    run_import,
    run_move,
)
from node.commands.privacy import configure_privacy
from node.commands.serve import configure_serve, run_serve
from node.commands.users import USER_COMMANDS, configure_user
from node.commands.worker import configure_worker, run_worker
from node.demo import configure_demo, run_demo
from node.migrate import MoveError
from node.pilot import configure_pilot, run_pilot
from node.settings import SettingsError
from node.storage import DataFolderError, StorageError

# What other code imports from here; the commands themselves come from node.commands.
__all__ = [
    "COMMANDS",
    "USER_COMMANDS",
    "Command",
    "CommandError",
    "build_parser",
    "describe",
    "main",
]


COMMANDS: dict[str, Command] = {
    "init": Command("create a node in a new data folder", configure_init, run_init),
    "serve": Command("run the web server", configure_serve, run_serve),
    "worker": Command(
        "run background jobs (mail, privacy cleanup, deliveries) without the web server",
        configure_worker,
        run_worker,
    ),
    "keys": Command(
        "rotate the node's keys (bloei keys rotate)",
        configure_keys,
        lambda args: 2,  # never runs: argparse requires an action, whose run replaces this
    ),
    "user": Command(
        "add, list, disable, enable users or reset a password",
        configure_user,
        lambda args: 2,  # never runs: argparse requires an action, whose run replaces this
    ),
    "privacy": Command(
        "show, export or erase one person's data on a kern",
        configure_privacy,
        lambda args: 2,  # never runs: argparse requires an action, whose run replaces this
    ),
    "backup": Command(
        "write a consistent backup while the server runs", configure_backup, run_backup
    ),
    "restore": Command(
        "restore a backup into a data folder (stop the server first)",
        configure_restore,
        run_restore,
    ),
    "export": Command(
        "write everything of the node to one archive, to move it to another host "
        "(its queued mail goes along: this node no longer sends it)",
        configure_export,
        run_export,
    ),
    "import": Command(
        "restore an export into a new data folder, optionally at a new --url",
        configure_import,
        run_import,
    ),
    "move": Command(
        "tell followers the kern moved to a new actor (run on the old node)",
        configure_move,
        run_move,
    ),
    "demo": Command("start Beesd with sample data on 127.0.0.1", configure_demo, run_demo),
    "pilot": Command(
        "start the gemeente, Beesd and Heukelum, federating, on 127.0.0.1",
        configure_pilot,
        run_pilot,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bloei", description="Run a Bloei node: kernagenda's and projects for villages."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, description=command.help)
        sub.set_defaults(run=command.run)
        command.configure(sub)
    return parser


# Everything a host can cause; anything else is a bug and keeps its traceback.
EXPECTED_ERRORS = (
    CommandError,
    SettingsError,
    BackupError,
    OSError,
    sqlite3.Error,
    tarfile.TarError,
    EOFError,
    zlib.error,
    KeyStorageError,
    MoveError,
    DataFolderError,
    StorageError,
)


def describe(error: BaseException) -> str:
    """One line for the host; OSError without its '[Errno 28]' noise."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror.lower()}{where}"
    if isinstance(error, sqlite3.Error):
        return f"database error: {error}"
    if isinstance(error, EOFError | zlib.error | tarfile.TarError):
        return f"damaged archive: {error}"
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("bloei: interrupted", file=sys.stderr)
        return 130
    except EXPECTED_ERRORS as error:
        print(f"bloei: {describe(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    # Run the one `node.cli` module that demo and pilot import too: as __main__ this file
    # would be a second copy, with its own command table beside the one they use.
    from node.cli import main as cli_main

    raise SystemExit(cli_main())
