"""`bloei serve`: run the web server for one node, or for several kernen with --sites; binds
the listening socket itself so a busy port is one clear line.
"""

from __future__ import annotations

import argparse
import errno
import socket

import uvicorn

from node.app import create_app
from node.commands.common import CommandError, add_data_option, data_dir, port_number
from node.settings import Settings, load_settings
from node.sites import create_multi_site_app, load_site_settings, read_sites
from node.storage import check_data_folder


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
    serve_node(serve_settings(args))
    return 0


def serve_node(settings: Settings) -> None:
    """Serve one node at its settings' host and port until Ctrl+C; `bloei demo` too."""
    check_data_folder(settings.database_path, settings.media_dir)
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


def _run_uvicorn(app, sock: socket.socket, banner: str) -> None:
    config = uvicorn.Config(
        app,
        workers=1,
        # The app reads the proxy's headers itself, trusting only `trusted_proxies`
        # (node/web/client_address.py); uvicorn's own reading would trust 127.0.0.1 whatever
        # the setting says.
        proxy_headers=False,
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
    loaded = load_site_settings(read_sites(args.sites), args.sites, dev=True if args.dev else None)
    for _, settings in loaded:
        check_data_folder(settings.database_path, settings.media_dir)
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
