"""`bloei backup` and `bloei restore`: the commands around node/backup.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.backup import create_backup, restore_backup
from node.commands.common import add_data_option, data_dir, human_size
from node.settings import load_settings


def configure_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the .tar.gz to write (holds secrets: 0600)")
    add_data_option(parser)


def run_backup(args: argparse.Namespace) -> int:
    result = create_backup(load_settings(data_dir(args)), Path(args.file))
    print(f"Backup written to {result.path} ({result.files} files, {human_size(result.size)})")
    return 0


def configure_restore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a backup made by bloei backup")
    parser.add_argument(
        "--force", action="store_true", help="replace a data folder that is not empty"
    )
    add_data_option(parser)


def run_restore(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    result = restore_backup(Path(args.file), folder, force=args.force)
    print(
        f"Restored {result.name} ({result.slug}, {result.role}) from a backup made "
        f"{result.created_at} into {folder}"
    )
    if result.outbox_floor is not None:
        print(
            f"New activities get outbox positions after {result.outbox_floor}, above every "
            "position handed out before, so followers do not skip them"
        )
    print(f"Start the server with: bloei serve --data {folder}")
    return 0
