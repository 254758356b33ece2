"""The `bloei` command for hosts: init, serve, user, backup, restore.

Every subcommand is one entry in COMMANDS: a function that adds its arguments to its parser
and a function that runs it and returns the exit code. Adding a command (say `demo`) is one
more entry. Failures a host can cause (a wrong folder, a bad URL, a busy port, a broken
archive, a full disk) end in one line on stderr starting with `bloei: `, never a traceback;
they are caught in one place, `main`.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import shutil
import socket
import sqlite3
import sys
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from federation.keys import KeyStorageError, load_or_create_key_pair
from node.app import background_jobs, create_app, open_database
from node.backup import BackupError, create_backup, restore_backup
from node.db import Database
from node.demo import configure_demo, run_demo
from node.migrate import MoveError
from node.pilot import configure_pilot, run_pilot
from node.settings import (
    CONFIG_FILE,
    DATABASE_FILE,
    KEYS_DIR,
    MEDIA_DIR,
    SECRET_FILE,
    Settings,
    SettingsError,
    create_secret,
    load_settings,
    slugify,
    validate_public_url,
    validate_slug,
    write_config,
    write_private_file,
)
from node.web.audit import record_audit
from node.web.auth import ROLES as USER_ROLES
from node.web.auth import create_user, generate_password, set_password

DEFAULT_DATA = "data"
LOGIN_PATH = "/beheer/inloggen"
AUDIT_WHO = "cli"
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


class CommandError(Exception):
    """A command cannot do what was asked; the message is one line for the host."""


@dataclass(frozen=True)
class Command:
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- shared helpers --------------------------------------------------------------------------


def data_dir(args: argparse.Namespace) -> Path:
    """--data, else BLOEI_DATA, else ./data; read when the command runs, not at import."""
    return Path(args.data or os.environ.get("BLOEI_DATA") or DEFAULT_DATA)


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        help=f"the node's data folder (default: $BLOEI_DATA, else ./{DEFAULT_DATA})",
    )


@contextmanager
def open_node(args: argparse.Namespace) -> Iterator[tuple[Settings, Database]]:
    settings = load_settings(data_dir(args))
    db = open_database(settings)
    try:
        yield settings, db
    finally:
        db.close()


def login_url(settings_or_url: Settings | str) -> str:
    base = settings_or_url.public_url if isinstance(settings_or_url, Settings) else settings_or_url
    return base.rstrip("/") + LOGIN_PATH


def checked_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise CommandError(
            f"user name {username!r} is not usable: 2-64 letters, digits, '.', '_', '-' or '@'"
        )
    return username


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port {port} is not between 1 and 65535")
    return port


# --- init ------------------------------------------------------------------------------------


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


# --- serve -----------------------------------------------------------------------------------


def configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, help="port to listen on (default 8001)")
    parser.add_argument(
        "--dev", action="store_true", help="development mode: allows plain HTTP and loopback peers"
    )
    where = parser.add_mutually_exclusive_group()
    add_data_option(where)
    where.add_argument(
        "--sites",
        metavar="FILE",
        help="serve several kernen in one process, by host name, as listed in FILE (sites.toml)",
    )


def serve_settings(args: argparse.Namespace) -> Settings:
    # None leaves the file's or environment's value in place.
    return load_settings(
        data_dir(args), host=args.host, port=args.port, dev=True if args.dev else None
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves: a busy port is one clear line, and the socket
    handed to uvicorn cannot be taken by someone else between the check and the start."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise CommandError(f"cannot listen on {host}: unknown address") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # As uvicorn does: a port with only closed connections in TIME_WAIT is free to use.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CommandError(f"port {port} on {host} is already in use") from None
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


def run_serve(args: argparse.Namespace) -> int:
    if args.sites:
        return run_serve_sites(args)
    settings = serve_settings(args)
    sock = bind_socket(settings.host, settings.port)
    try:
        app = create_app(settings)
        mode = ", development mode" if settings.dev else ""
        _run_uvicorn(
            app,
            sock,
            f"Bloei {settings.name} ({settings.role}{mode}) on "
            f"{_listen_text(settings.host, settings.port)}, "
            f"public address {settings.public_url}; Ctrl+C stops",
        )
    finally:
        sock.close()
    return 0


def _run_uvicorn(app, sock: socket.socket, banner: str) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        workers=1,
        proxy_headers=True,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    print(banner, flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def _listen_text(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_serve_sites(args: argparse.Namespace) -> int:
    """`bloei serve --sites sites.toml`: several kernen, one process, chosen by host name."""
    from node.sites import create_multi_site_app, load_site_settings, read_sites

    loaded = load_site_settings(read_sites(args.sites), args.sites, dev=True if args.dev else None)
    # The listening address is the process's: --host and --port, else the first kern's.
    first = loaded[0][1]
    host = args.host or first.host
    port = args.port or first.port
    sock = bind_socket(host, port)
    try:
        app = create_multi_site_app(loaded)
        names = ", ".join(settings.name for _, settings in loaded)
        _run_uvicorn(
            app,
            sock,
            f"Bloei, {len(loaded)} kernen ({names}) on {_listen_text(host, port)}; Ctrl+C stops",
        )
    finally:
        sock.close()
    return 0


# --- worker ----------------------------------------------------------------------------------


def configure_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="run every job once and stop (for a timer or cron)"
    )
    add_data_option(parser)


def run_worker(args: argparse.Namespace) -> int:
    import asyncio

    from node.web.mailer import smtp_configured
    from node.web.worker import run_until_stopped

    with open_node(args) as (settings, db):
        jobs = background_jobs(settings, db)
        if not smtp_configured(settings):
            print("Mail is not set up (smtp_host, smtp_from): mail stays in the queue.")
        if args.once:
            for job in jobs:
                job.run()
            print(f"Ran {', '.join(job.name for job in jobs) or 'no jobs'} once")
            return 0
        every = ", ".join(f"{job.name} every {job.interval:g} s" for job in jobs)
        print(f"Bloei worker for {settings.name}: {every or 'no jobs'}; Ctrl+C stops", flush=True)
        asyncio.run(run_until_stopped(jobs))
    return 0


# --- keys ------------------------------------------------------------------------------------


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
    from datetime import UTC, datetime

    from node.kern import kern_actor

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


# --- user ------------------------------------------------------------------------------------


def configure_user(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, command in USER_COMMANDS.items():
        sub = actions.add_parser(name, help=command.help, description=command.help)
        command.configure(sub)
        add_data_option(sub)
        sub.set_defaults(run=command.run)


def _username_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username")


def configure_user_add(parser: argparse.ArgumentParser) -> None:
    _username_argument(parser)
    parser.add_argument("--role", required=True, choices=(*USER_ROLES, "medewerker"))
    parser.add_argument("--name", help="display name (default: the user name)")
    parser.add_argument("--email", default="")


def _find_user(conn: sqlite3.Connection, username: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise CommandError(f"no user named {username!r}")
    return row


# The roles of accounts on each kind of node: a gemeente has medewerkers, not redacteuren.
NODE_USER_ROLES = {"kern": USER_ROLES, "gemeente": ("beheerder", "medewerker")}


def run_user_add(args: argparse.Namespace) -> int:
    username = checked_username(args.username)
    password = generate_password()

    def add(conn: sqlite3.Connection) -> None:
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise CommandError(f"user {username!r} already exists")
        user_id = create_user(
            conn,
            username,
            args.name or username,
            args.role,
            password,
            args.email,
            must_change_password=True,
        )
        record_audit(conn, AUDIT_WHO, "user.create", "user", user_id, f"{username} ({args.role})")

    with open_node(args) as (settings, db):
        allowed = NODE_USER_ROLES.get(settings.role, USER_ROLES)
        if args.role not in allowed:
            raise CommandError(
                f"a {settings.role} node has no role {args.role}: use {' or '.join(allowed)}"
            )
        db.write(add)
    print(f"Added {args.role} {username}")
    print(f"One-time password: {password}  (shown once; change it at first login)")
    print(f"Log in at: {login_url(settings)}")
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    with open_node(args) as (_, db):
        rows = db.execute(
            "SELECT username, display_name, role, disabled, last_login_at FROM users"
            " ORDER BY username"
        )
    if not rows:
        print("No users.")
        return 0
    table = [("USERNAME", "NAME", "ROLE", "STATUS", "LAST LOGIN")]
    for row in rows:
        last = (row["last_login_at"] or "never").replace("T", " ")[:16]
        status = "disabled" if row["disabled"] else "active"
        table.append((row["username"], row["display_name"], row["role"], status, last))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    return 0


def run_user_disable(args: argparse.Namespace) -> int:
    def disable(conn: sqlite3.Connection) -> bool:
        user = _find_user(conn, args.username)
        if user["disabled"]:
            return False
        if user["role"] == "beheerder":
            # Counted inside the write transaction, so two hosts cannot each disable "the other".
            active = conn.execute(
                "SELECT count(*) FROM users WHERE role = 'beheerder' AND disabled = 0"
            ).fetchone()[0]
            if active <= 1:
                raise CommandError(
                    f"{user['username']} is the last active beheerder; add or enable another first"
                )
        # A new epoch too: otherwise enabling the user later would revive old sessions.
        conn.execute(
            "UPDATE users SET disabled = 1, session_epoch = session_epoch + 1 WHERE id = ?",
            (user["id"],),
        )
        record_audit(conn, AUDIT_WHO, "user.disable", "user", user["id"], user["username"])
        return True

    with open_node(args) as (_, db):
        changed = db.write(disable)
    print(f"Disabled {args.username}" if changed else f"{args.username} was already disabled")
    return 0


def run_user_enable(args: argparse.Namespace) -> int:
    def enable(conn: sqlite3.Connection) -> bool:
        user = _find_user(conn, args.username)
        if not user["disabled"]:
            return False
        conn.execute("UPDATE users SET disabled = 0 WHERE id = ?", (user["id"],))
        record_audit(conn, AUDIT_WHO, "user.enable", "user", user["id"], user["username"])
        return True

    with open_node(args) as (_, db):
        changed = db.write(enable)
    print(f"Enabled {args.username}" if changed else f"{args.username} was already active")
    return 0


def run_user_reset_password(args: argparse.Namespace) -> int:
    password = generate_password()

    def reset(conn: sqlite3.Connection) -> None:
        user = _find_user(conn, args.username)
        # set_password bumps the session epoch: every session of this user ends now.
        set_password(conn, user["id"], password, must_change=True)
        record_audit(conn, AUDIT_WHO, "user.reset_password", "user", user["id"], user["username"])

    with open_node(args) as (settings, db):
        db.write(reset)
    print(f"New one-time password for {args.username}: {password}")
    print(f"They choose their own at next login: {login_url(settings)}")
    return 0


USER_COMMANDS: dict[str, Command] = {
    "add": Command("add a user with a one-time password", configure_user_add, run_user_add),
    "list": Command("list users", lambda parser: None, run_user_list),
    "disable": Command(
        "disable a user and end their sessions", _username_argument, run_user_disable
    ),
    "enable": Command("enable a disabled user", _username_argument, run_user_enable),
    "reset-password": Command(
        "give a user a new one-time password", _username_argument, run_user_reset_password
    ),
}


# --- backup and restore ----------------------------------------------------------------------


def configure_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the .tar.gz to write (holds secrets: 0600)")
    add_data_option(parser)


def run_backup(args: argparse.Namespace) -> int:
    result = create_backup(load_settings(data_dir(args)), Path(args.file))
    print(f"Backup written to {result.path} ({result.files} files, {_size(result.size)})")
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
    print(f"Start the server with: bloei serve --data {folder}")
    return 0


# --- export, import and move (node/migrate.py) ------------------------------------------------


def configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the archive to write (holds secrets: 0600)")
    add_data_option(parser)


def run_export(args: argparse.Namespace) -> int:
    from node.migrate import export_node

    result = export_node(load_settings(data_dir(args)), Path(args.file))
    print(f"Exported to {result.path} ({result.files} files, {_size(result.size)})")
    print(f"On the new host: bloei import {result.path.name} --data DIR --url NEW_PUBLIC_URL")
    return 0


def configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an archive made by bloei export")
    parser.add_argument("--url", help="the node's new public address, e.g. https://beesd.nl")
    add_data_option(parser)


def run_import(args: argparse.Namespace) -> int:
    from node.migrate import import_node

    folder = data_dir(args)
    result = import_node(Path(args.file), folder, args.url)
    print(f"Imported {result.name} ({result.role}) into {folder}, at {result.public_url}")
    if result.moved_from:
        print(f"Its actor is also known as {result.moved_from}")
        print("Start it, then on the old node: bloei move --data OLD_DIR --to NEW_ACTOR_URL")
    print(f"Start the server with: bloei serve --data {folder}")
    return 0


def configure_move(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, metavar="URL", help="the new actor's id")
    add_data_option(parser)


def run_move(args: argparse.Namespace) -> int:
    import asyncio

    from node import migrate

    settings = load_settings(data_dir(args))
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
            raise CommandError(f"cannot fetch {args.to}: {error}") from None
        finally:
            await close()

    with open_node(args) as (settings, db):
        target, position = asyncio.run(confirm(db.read()))
        migrate.announce_move(db, settings, target.id, expected_position=position)
        followers = db.scalar("SELECT count(*) FROM federation_followers WHERE state = 'accepted'")
    print(f"Move to {target.id} published to {followers} followers; run bloei worker to deliver")
    return 0


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"


# --- the command table and main --------------------------------------------------------------

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
    "backup": Command(
        "write a consistent backup while the server runs", configure_backup, run_backup
    ),
    "restore": Command(
        "restore a backup into a data folder (stop the server first)",
        configure_restore,
        run_restore,
    ),
    "export": Command(
        "write everything of the node to one archive, to move it to another host",
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
    # would be a second copy, with exception classes that the other copy does not catch.
    from node.cli import main as cli_main

    raise SystemExit(cli_main())
