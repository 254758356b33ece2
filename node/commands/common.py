"""What every `bloei` command shares: CommandError, the Command table entry, the --data
option, opening a node, and the checks of user names and port numbers.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from node.app import open_database
from node.db import Database
from node.settings import Settings, load_settings
from node.web.numbers import parse_int

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


def data_dir(args: argparse.Namespace) -> Path:
    """--data, else BLOEI_DATA, else ./data; read when the command runs, not at import."""
    return Path(args.data or os.environ.get("BLOEI_DATA") or DEFAULT_DATA)


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        help=f"the node's data folder (default: $BLOEI_DATA, else ./{DEFAULT_DATA})",
    )


def add_dev_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dev",
        action="store_true",
        help="development mode, as serve --dev: allows plain HTTP and loopback peers",
    )


def dev_override(args: argparse.Namespace) -> bool | None:
    """--dev as a settings override; None leaves the file's or BLOEI_DEV's value."""
    return True if getattr(args, "dev", False) else None


def dev_hint(settings: Settings, url: str) -> str:
    """What to add to an error about reaching `url`, when only development mode reaches it
    (plain http, or a loopback or private address)."""
    if settings.dev:
        return ""
    parts = urlsplit(url)
    try:
        private = not ipaddress.ip_address(parts.hostname or "").is_global
    except ValueError:
        private = parts.hostname == "localhost"
    if parts.scheme != "http" and not private:
        return ""
    return " (a node on plain http or 127.0.0.1 is only reached in development mode: add --dev)"


@contextmanager
def open_node(args: argparse.Namespace, **overrides) -> Iterator[tuple[Settings, Database]]:
    """The node's settings (with `overrides`, such as dev=True) and its opened database."""
    settings = load_settings(data_dir(args), **overrides)
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
    if parse_int(text, -(10**9), 10**9) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    port = parse_int(text, 1, 65535)
    if port is None:
        raise argparse.ArgumentTypeError(f"port {text} is not between 1 and 65535")
    return port


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"
