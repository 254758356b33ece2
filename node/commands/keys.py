"""`bloei keys rotate`: replace a kern's keys, sign its outbox again and tell its followers."""

from __future__ import annotations

import argparse
import sqlite3
from datetime import UTC, datetime

from node.commands.common import AUDIT_WHO, CommandError, add_data_option, data_dir, open_node
from node.kern.federation import actor as kern_actor
from node.settings import load_settings
from node.web.audit import record_audit


def configure_keys(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    rotate = actions.add_parser(
        "rotate",
        help="replace the node's keys and tell its followers",
        description="Replace both keys (after a leak, or now and then), sign the outbox again "
        "with the new key and send followers an Update of the actor. Safe while the server "
        "runs: it picks up the new keys by itself.",
    )
    add_data_option(rotate)
    rotate.set_defaults(run=run_keys_rotate)


def run_keys_rotate(args: argparse.Namespace) -> int:
    settings = load_settings(data_dir(args))
    if settings.role != "kern":
        raise CommandError(f"a {settings.role} node has no keys to rotate yet")
    now = datetime.now(UTC)
    with open_node(args) as (settings, db):
        publisher = db.services["publisher"]
        kern_actor.replace_key_files(settings, now)

        def announce(conn: sqlite3.Connection) -> tuple[int, str]:
            resigned, update_id = kern_actor.rotate_keys(conn, settings, publisher, now)
            record_audit(conn, AUDIT_WHO, "keys.rotate", "Actor", publisher.routes.id)
            return resigned, update_id

        resigned, _update_id = db.write(announce)
        followers = db.scalar("SELECT count(*) FROM federation_followers WHERE state = 'accepted'")
    print(f"New keys for {settings.name} in {settings.keys_dir}; old public keys in retired/")
    print(
        f"Signed {resigned} activities again; an Update of the actor goes to {followers} followers"
    )
    return 0
