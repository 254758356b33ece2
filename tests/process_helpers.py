"""Real nodes for the process tests: each made with `bloei init`, started with `bloei serve
--dev` on its own port of 127.0.0.1, and used through beheer over HTTP as a person would."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "een-lang-wachtwoord-voor-de-test"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
# Generous: a wait ends as soon as the process answers, and a loaded machine starts slowly.
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)


class Node:
    """One node: its data folder, its server process and a signed-in HTTP session."""

    def __init__(self, folder: Path, name: str, role: str = "kern", **env: str):
        self.folder = folder
        self.name = name
        self.role = role
        self.slug = "gemeente" if role == "gemeente" else name.lower()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.http: httpx.Client | None = None
        self.csrf = ""
        self.env = {**os.environ, **env}

    @property
    def actor(self) -> str:
        return f"{self.url}/actor"

    def bloei(self, *args: str) -> subprocess.Popen:
        """Start a `bloei` command with this node's environment; the caller waits for it."""
        return subprocess.Popen(
            [sys.executable, "-m", "node.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )

    def init(self) -> subprocess.Popen:
        args = ["init", "--name", self.name, "--url", self.url, "--port", str(self.port)]
        return self.bloei(
            *args, "--role", self.role, "--slug", self.slug, "--data", str(self.folder)
        )

    def launch(self) -> None:
        log = (self.folder.parent / f"{self.slug}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--dev", "--port", str(self.port)]
            + ["--data", str(self.folder)],
            stdout=log,
            stderr=log,
            env=self.env,
            cwd=ROOT,
        )
        log.close()

    def wait_until_up(self) -> None:
        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                return httpx.get(f"{self.url}/nodeinfo/2.1", timeout=0.5).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, START_TIMEOUT, f"{self.name} to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def log(self) -> str:
        path = self.folder.parent / f"{self.slug}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def sign_in(self, one_time_password: str) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10)
        login = {"username": "beheerder", "password": one_time_password}
        response = self.http.post("/beheer/inloggen", data=login)
        assert response.headers["location"] == "/beheer/wachtwoord", response.text
        token = CSRF_RE.search(self.http.get("/beheer/wachtwoord").text).group(1)
        change = {"current": one_time_password, "new": PASSWORD, "repeat": PASSWORD}
        response = self.http.post("/beheer/wachtwoord", data={**change, "csrf": token})
        assert response.status_code == 303, response.text
        self.csrf = CSRF_RE.search(self.http.get("/beheer").text).group(1)

    def sign_in_with(self, password: str) -> None:
        """Sign in with a password already set (a node imported from another's export)."""
        self.http = httpx.Client(base_url=self.url, timeout=10)
        login = {"username": "beheerder", "password": password}
        response = self.http.post("/beheer/inloggen", data=login)
        assert response.status_code == 303, response.text
        self.csrf = CSRF_RE.search(self.http.get("/beheer").text).group(1)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run a `bloei` command on this node's data, as its host would."""
        return subprocess.run(
            [sys.executable, "-m", "node.cli", *args, "--data", str(self.folder)],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=60,
        )

    def post(self, path: str, **fields) -> httpx.Response:
        assert self.http is not None
        return self.http.post(path, data={**fields, "csrf": self.csrf})

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.folder / 'bloei.db'}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@contextmanager
def running(*nodes: Node) -> Iterator[tuple[Node, ...]]:
    """Make the nodes (in parallel), start them, sign in to each; stop them all afterwards."""
    inits = [node.init() for node in nodes]
    passwords = []
    for init in inits:
        out, err = init.communicate(timeout=60)
        assert init.returncode == 0, err
        passwords.append(re.search(r"One-time password: (\S+)", out).group(1))
    try:
        for node in nodes:
            node.launch()
        for node, password in zip(nodes, passwords, strict=True):
            node.wait_until_up()
            node.sign_in(password)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
            if node.http is not None:
                node.http.close()


@contextmanager
def served(argv: list[str], port: int, env: dict, cwd: Path, timeout: float = START_TIMEOUT):
    """Run a server command until the block ends; its pipes closed and the process reaped."""
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
    ) as server:
        try:
            url = f"http://127.0.0.1:{port}/"

            def answers() -> bool:
                assert server.poll() is None, server.stderr.read().decode()
                try:
                    httpx.get(url, timeout=1)
                except httpx.TransportError:
                    return False
                return True

            wait_for(answers, timeout, f"{argv[0]} to answer on port {port}")
            yield server
        finally:
            server.terminate()
            server.wait(timeout=10)
