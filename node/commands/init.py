"""`bloei init`: create a node (config, secret, database, first beheerder, keys) in a new
data folder, and leave nothing behind when that fails halfway.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
from pathlib import Path

from federation.keys import load_or_create_key_pair
from node.app import open_database
from node.commands.common import (
    AUDIT_WHO,
    CommandError,
    add_data_option,
    checked_username,
    data_dir,
    login_url,
    port_number,
)
from node.settings import (
    CONFIG_FILE,
    DATABASE_FILE,
    KEYS_DIR,
    MEDIA_DIR,
    SECRET_FILE,
    create_secret,
    load_settings,
    slugify,
    validate_public_url,
    validate_slug,
    write_config,
    write_private_file,
)
from node.web.audit import record_audit
from node.web.auth import create_user, generate_password


def configure_init(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name", required=True, help="the kern's name, e.g. Beesd (or the gemeente's)"
    )
    parser.add_argument("--url", required=True, help="public address, e.g. https://beesd.nl")
    parser.add_argument("--role", choices=("kern", "gemeente"), default="kern")
    parser.add_argument("--slug", help="short name in addresses (default: from --name)")
    parser.add_argument("--admin", default="beheerder", help="first beheerder's user name")
    parser.add_argument("--admin-name", help="first beheerder's display name")
    parser.add_argument("--port", type=port_number, default=8001, help="port for bloei serve")
    add_data_option(parser)


def run_init(args: argparse.Namespace) -> int:
    # Check every input before touching the disk, so a typo leaves nothing behind.
    name = args.name.strip()
    if not name:
        raise CommandError("--name must not be empty")
    if len(name.splitlines()) > 1 or len((args.admin_name or "").splitlines()) > 1:
        raise CommandError("--name and --admin-name must be one line")
    public_url = validate_public_url(args.url)
    slug = validate_slug(args.slug or slugify(name))
    admin = checked_username(args.admin)
    folder = data_dir(args)
    created = _prepare_data_folder(folder)
    try:
        write_config(
            folder,
            {
                "role": args.role,
                "name": name,
                "slug": slug,
                "public_url": public_url,
                "port": args.port,
            },
        )
        os.chmod(folder / CONFIG_FILE, 0o600)
        create_secret(folder)
        # An empty file is an empty SQLite database; creating it 0600 first means SQLite's
        # WAL and shm files inherit that mode too.
        write_private_file(folder / DATABASE_FILE, b"")
        settings = load_settings(folder)
        password = generate_password()
        db = open_database(settings)
        try:
            db.write(_create_first_beheerder, admin, args.admin_name or admin, password)
            if settings.role == "kern":
                from node.kern.kern_actor import remember_profile

                # What followers will first see; a later change is announced (an Update).
                db.write(remember_profile, settings, db.services["publisher"])
        finally:
            db.close()
        create_federation_keys(folder)
        (folder / MEDIA_DIR).mkdir(mode=0o700, exist_ok=True)
    except BaseException:
        _undo_init(folder, created)
        raise
    print(f"Created {settings.role} node {settings.name!r} ({settings.slug}) in {folder}")
    print(f"First beheerder: {admin}")
    print(f"One-time password: {password}  (shown once; change it at first login)")
    print(f"Log in at: {login_url(settings)}")
    if settings.role == "gemeente":
        # The aggregator's actor is an Organization; kernen accept its Follow and reacties.
        print(f"Its actor (an Organization): {settings.url('/actor')}; add kernen in beheer")
    print(f"Start the server with: bloei serve --data {folder}")
    return 0


def _prepare_data_folder(folder: Path) -> bool:
    """Create the folder 0700, or accept an existing one without a node; True if created."""
    if folder.exists():
        if not folder.is_dir():
            raise CommandError(f"{folder} exists and is not a folder")
        if not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            raise CommandError(f"data folder {folder} is not writable")
        for name in (CONFIG_FILE, DATABASE_FILE, SECRET_FILE):
            if (folder / name).exists():
                raise CommandError(f"{folder} already holds a node ({name}); choose another --data")
        return False
    folder.mkdir(mode=0o700, parents=True)
    os.chmod(folder, 0o700)  # mkdir's mode passes through the umask; make it exact
    return True


def _undo_init(folder: Path, created: bool) -> None:
    # A half-made node would make the next `bloei init` refuse the folder: remove what we made.
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for name in (
        CONFIG_FILE,
        SECRET_FILE,
        DATABASE_FILE,
        DATABASE_FILE + "-wal",
        DATABASE_FILE + "-shm",
    ):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / KEYS_DIR, ignore_errors=True)


def _create_first_beheerder(conn: sqlite3.Connection, username: str, name: str, password: str):
    user_id = create_user(conn, username, name, "beheerder", password, must_change_password=True)
    record_audit(conn, AUDIT_WHO, "user.create", "user", user_id, f"first beheerder {username}")
    return user_id


def create_federation_keys(folder: Path) -> None:
    """The node's key pair in <data>/keys, 0700 folder, 0600 files (federation/keys.py)."""
    load_or_create_key_pair(folder / KEYS_DIR)
