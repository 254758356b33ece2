"""`bloei export`, `bloei import` and `bloei move`: moving a node to another host or address,
the commands around node/migrate.py.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from node import migrate
from node.actor_paths import actor_routes
from node.commands.common import (
    CommandError,
    add_data_option,
    add_dev_option,
    data_dir,
    dev_hint,
    dev_override,
    human_size,
    open_node,
)
from node.settings import load_settings


def configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the archive to write (holds secrets: 0600)")
    add_data_option(parser)


def run_export(args: argparse.Namespace) -> int:
    result = migrate.export_node(load_settings(data_dir(args)), Path(args.file))
    print(f"Exported to {result.path} ({result.files} files, {human_size(result.size)})")
    if result.mails:
        print(
            f"{result.mails} queued mails go with the export: the new node sends them, not this one"
        )
    print(f"On the new host: bloei import {result.path.name} --data DIR --url NEW_PUBLIC_URL")
    return 0


def configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an archive made by bloei export")
    parser.add_argument("--url", help="the node's new public address, e.g. https://beesd.nl")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the node already in DIR (an earlier import of an older export)",
    )
    add_data_option(parser)


def run_import(args: argparse.Namespace) -> int:
    folder = data_dir(args)
    result = migrate.import_node(Path(args.file), folder, args.url, force=args.force)
    print(f"Imported {result.name} ({result.role}) into {folder}, at {result.public_url}")
    print(f"Start the server with: bloei serve --data {folder}")
    if result.moved_from:
        new_actor = actor_routes(result.public_url).id
        print(f"Its actor {new_actor} is also known as {result.moved_from}")
        print(f"Then, on the old host: bloei move --data OLD_DATA_DIR --to {new_actor}")
    return 0


def configure_move(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, metavar="URL", help="the new actor's id")
    add_dev_option(parser)
    add_data_option(parser)


def run_move(args: argparse.Namespace) -> int:
    settings = load_settings(data_dir(args), dev=dev_override(args))
    if settings.role != "kern":
        raise CommandError(f"only a kern can move, this is a {settings.role}")

    async def confirm(conn) -> tuple:
        fetch, close = await migrate.fetch_with_policy(settings)
        try:
            old_actor = migrate.actor_id(settings)
            target = await migrate.confirmed_target(old_actor, args.to, fetch)
            # The new node must hold everything this one published, at the same positions.
            return target, await migrate.check_history(conn, old_actor, target, fetch)
        except Exception as error:  # a network failure is one line too
            if isinstance(error, migrate.MoveError):
                raise
            raise CommandError(
                f"cannot fetch {args.to}: {error}{dev_hint(settings, args.to)}"
            ) from None
        finally:
            await close()

    with open_node(args, dev=dev_override(args)) as (settings, db):
        target, position = asyncio.run(confirm(db.read()))
        migrate.announce_move(db, settings, target.id, expected_position=position)
        followers = db.scalar("SELECT count(*) FROM federation_followers WHERE state = 'accepted'")
    worker = "bloei worker --dev" if settings.dev else "bloei worker"
    print(f"Move to {target.id} published to {followers} followers; run {worker} to deliver")
    return 0
