"""`bloei demo`: one kern (Beesd) with realistic sample data, for a first look.

The pilot with Beesd, Heukelum and the gemeente federating replaces this once the
aggregator exists; until then the demo is a single kern node on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
from pathlib import Path

from node.app import open_database
from node.kern.sample import load_sample
from node.settings import CONFIG_FILE, load_settings, write_private_file
from node.web.auth import generate_password, set_password

DEFAULT_FOLDER = Path("demo-data") / "beesd"
LOGIN_FILE = "demo-login.txt"
ADMIN = "beheer"


def configure_demo(parser: argparse.ArgumentParser) -> None:
    from node.commands.common import port_number

    parser.add_argument(
        "--data", metavar="DIR", default=str(DEFAULT_FOLDER), help="demo data folder"
    )
    parser.add_argument("--port", type=port_number, default=8001, help="port (default 8001)")
    parser.add_argument(
        "--fresh", action="store_true", help="throw the demo data away and start over"
    )


def run_demo(args: argparse.Namespace) -> int:
    from node.cli import main
    from node.commands.common import CommandError
    from node.commands.serve import bind_socket, run_serve

    folder = Path(args.data)
    # Check the port before creating anything, so a taken port costs nothing.
    bind_socket("127.0.0.1", args.port).close()
    if args.fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / CONFIG_FILE).exists():
        url = f"http://127.0.0.1:{args.port}"
        # init's own one-time password would only confuse here: the demo sets its own.
        with contextlib.redirect_stdout(io.StringIO()):
            created = main(
                [
                    "init",
                    "--name",
                    "Beesd",
                    "--url",
                    url,
                    "--data",
                    str(folder),
                    "--admin",
                    ADMIN,
                    "--admin-name",
                    "Beheer Beesd",
                    "--port",
                    str(args.port),
                ]
            )
        if created != 0:
            raise CommandError(f"could not create the demo node in {folder}")
        _prepare(folder)
    password = (folder / LOGIN_FILE).read_text().strip()
    settings = load_settings(folder)
    print()
    print(f"Bloei demo: {settings.name}, with sample data")
    print(f"  site:   {settings.public_url}/")
    print(f"  beheer: {settings.public_url}/beheer  (user {ADMIN}, password {password})")
    print()
    return run_serve(
        argparse.Namespace(data=str(folder), host="127.0.0.1", port=args.port, dev=True)
    )


def _prepare(folder: Path) -> None:
    """Sample data, and a demo password that does not have to be changed first."""
    settings = load_settings(folder)
    db = open_database(settings)
    password = generate_password()
    try:
        load_sample(db, settings)

        def demo_login(conn) -> None:
            user_id = conn.execute("SELECT id FROM users WHERE username = ?", (ADMIN,)).fetchone()[
                0
            ]
            set_password(conn, user_id, password, must_change=False)

        db.write(demo_login)
    finally:
        db.close()
    write_private_file(folder / LOGIN_FILE, password.encode())
