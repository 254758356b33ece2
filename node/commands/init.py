"""`bloei init`: create a node (config, secret, database, first beheerder, keys) in a new
data folder, and leave nothing behind when that fails halfway.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
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
from node.kern.federation.actor import remember_profile
from node.settings import (
    CONFIG_FILE,
    CONTROL_CHARACTERS,
    DATABASE_FILE,
    KEYS_DIR,
    MEDIA_DIR,
    SECRET_FILE,
    Settings,
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

ROLES = ("kern", "gemeente")
# The settings create_node writes from its own parameters.
OWN_SETTINGS = {"role", "name", "slug", "public_url", "port"}


def configure_init(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name", required=True, help="the kern's name, e.g. Beesd (or the gemeente's)"
    )
    parser.add_argument("--url", required=True, help="public address, e.g. https://beesd.nl")
    parser.add_argument("--role", choices=ROLES, default="kern")
    parser.add_argument("--slug", help="short name in addresses (default: from --name)")
    parser.add_argument("--admin", default="beheerder", help="first beheerder's user name")
    parser.add_argument("--admin-name", help="first beheerder's display name")
    parser.add_argument("--port", type=port_number, default=8001, help="port for bloei serve")
    add_data_option(parser)


@dataclass(frozen=True)
class CreatedNode:
    """What create_node made: the node's folder and settings, and its first beheerder."""

    folder: Path
    settings: Settings
    admin: str
    password: str  # the first beheerder's password, generated here; shown once by `init`


class BadNodeInput(CommandError):
    """An input to create_node is wrong; `field` names the parameter, `problem` says why."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def create_node(
    folder: Path,
    *,
    name: str,
    public_url: str,
    role: str = "kern",
    slug: str | None = None,
    admin: str = "beheerder",
    admin_name: str | None = None,
    port: int = 8001,
    more_settings: Mapping[str, object] | None = None,
    must_change_password: bool = True,
) -> CreatedNode:
    """Create a node in `folder`: its bloei.toml (with `more_settings`), secret, database,
    first beheerder, keys and media folder. Every input is checked before the disk is
    touched, and a failure halfway removes what was made, so the folder can be used again.

    `bloei init`, `bloei demo` and `bloei pilot` all make their nodes here.
    """
    name = name.strip()
    if not name:
        raise BadNodeInput("name", "must not be empty")
    for field, value in (("name", name), ("admin_name", admin_name or "")):
        if CONTROL_CHARACTERS.search(value):
            raise BadNodeInput(field, "must be one line, without line breaks or tabs")
    if role not in ROLES:
        raise BadNodeInput("role", f"must be {' or '.join(ROLES)}, not {role!r}")
    if not 1 <= port <= 65535:
        raise BadNodeInput("port", f"must be between 1 and 65535, not {port}")
    given = sorted(set(more_settings or {}) & OWN_SETTINGS)
    if given:
        raise BadNodeInput("more_settings", f"must not set {given[0]!r}: it has its own parameter")
    public_url = validate_public_url(public_url)
    slug = validate_slug(slug or slugify(name))
    admin = checked_username(admin)
    created = _prepare_data_folder(folder)
    try:
        write_config(
            folder,
            {
                **(more_settings or {}),
                "role": role,
                "name": name,
                "slug": slug,
                "public_url": public_url,
                "port": port,
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
            db.write(
                _create_first_beheerder, admin, admin_name or admin, password, must_change_password
            )
            if settings.role == "kern":
                # What followers will first see; a later change is announced (an Update).
                db.write(remember_profile, settings, db.services["publisher"])
        finally:
            db.close()
        create_federation_keys(folder)
        (folder / MEDIA_DIR).mkdir(mode=0o700, exist_ok=True)
    except BaseException:
        _undo_init(folder, created)
        raise
    return CreatedNode(folder, settings, admin, password)


def run_init(args: argparse.Namespace) -> int:
    try:
        node = create_node(
            data_dir(args),
            name=args.name,
            public_url=args.url,
            role=args.role,
            slug=args.slug,
            admin=args.admin,
            admin_name=args.admin_name,
            port=args.port,
        )
    except BadNodeInput as error:
        # The host typed an option, not a parameter: name that.
        option = "--" + error.field.replace("_", "-")
        raise CommandError(f"{option} {error.problem}") from None
    settings = node.settings
    print(f"Created {settings.role} node {settings.name!r} ({settings.slug}) in {node.folder}")
    print(f"First beheerder: {node.admin}")
    print(f"One-time password: {node.password}  (shown once; change it at first login)")
    print(f"Log in at: {login_url(settings)}")
    if settings.role == "gemeente":
        # The aggregator's actor is an Organization; kernen accept its Follow and reacties.
        print(f"Its actor (an Organization): {settings.url('/actor')}; add kernen in beheer")
    print(f"Start the server with: bloei serve --data {node.folder}")
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


def _create_first_beheerder(
    conn: sqlite3.Connection, username: str, name: str, password: str, must_change: bool
) -> int:
    user_id = create_user(
        conn, username, name, "beheerder", password, must_change_password=must_change
    )
    record_audit(conn, AUDIT_WHO, "user.create", "user", user_id, f"first beheerder {username}")
    return user_id


def create_federation_keys(folder: Path) -> None:
    """The node's key pair in <data>/keys, 0700 folder, 0600 files (federation/keys.py)."""
    load_or_create_key_pair(folder / KEYS_DIR)
