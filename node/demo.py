"""`bloei demo`: one kern (Beesd) with realistic sample data, for a first look.

The pilot with Beesd, Heukelum and the gemeente federating replaces this once the
aggregator exists; until then the demo is a single kern node on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from node.app import open_database
from node.commands.common import CommandError, port_number
from node.commands.init import create_node
from node.commands.serve import bind_socket, serve_node
from node.kern.sample import load_sample
from node.settings import CONFIG_FILE, load_settings, write_private_file

DEFAULT_FOLDER = Path("demo-data") / "beesd"
LOGIN_FILE = "demo-login.txt"
ADMIN = "beheer"
HOST = "127.0.0.1"


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="DIR", default=str(DEFAULT_FOLDER), help="demo data folder"
    )
    parser.add_argument("--port", type=port_number, default=8001, help="port (default 8001)")
    parser.add_argument(
        "--fresh", action="store_true", help="throw the demo data away and start over"
    )


def run_demo(args: argparse.Namespace) -> int:
    folder = Path(args.data)
    # Check the port before creating anything, so a taken port costs nothing.
    bind_socket(HOST, args.port).close()
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / CONFIG_FILE).exists():
        create_demo(folder, args.port)
    elif not (folder / LOGIN_FILE).exists():
        raise CommandError(f"{folder} was left half made; start over with --fresh")
    password = (folder / LOGIN_FILE).read_text().strip()
    settings = load_settings(folder, host=HOST, port=args.port, dev=True)
    print()
    print(f"Bloei demo: {settings.name}, with sample data")
    print(f"  site:   {settings.public_url}/")
    print(f"  beheer: {settings.public_url}/beheer  (user {ADMIN}, password {password})")
    print()
    serve_node(settings)
    return 0


def create_demo(folder: Path, port: int) -> None:
    """Beesd in `folder`, made as `bloei init` makes a node, with the sample data and a demo
    password that does not have to be changed first (stored 0600 in LOGIN_FILE)."""
    node = create_node(
        folder,
        name="Beesd",
        public_url=f"http://{HOST}:{port}",
        admin=ADMIN,
        admin_name="Beheer Beesd",
        port=port,
        must_change_password=False,
    )
    db = open_database(node.settings)
    try:
        load_sample(db, node.settings)
    finally:
        db.close()
    write_private_file(folder / LOGIN_FILE, node.password.encode())
