"""A real kern node in its own uvicorn process, and Debian's Chromium driven by Playwright.

The server runs once per test session with Beesd's sample data and a beheerder. Playwright
never downloads a browser: it starts the system's Chromium (BLOEI_CHROMIUM, or
/usr/bin/chromium). Without that Chromium the tests are skipped on a developer's machine
and fail in CI (env CI set), where they must run.

Playwright's sync API leaves its event loop marked as running on the main thread while it
is started, which breaks every pytest-asyncio test that runs after it. So the Playwright
instance lives for this package only (scope="package", torn down before the rest of the
suite); the server itself is session-scoped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import make_data_dir

from node.app import open_database
from node.kern.federation import elsewhere
from node.kern.sample import load_sample
from node.settings import load_settings
from node.web.auth import create_user
from tests.elsewhere_helpers import store_event_from_elsewhere

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BLOEI_CHROMIUM", "/usr/bin/chromium")
# This machine (and CI) has no outside network: keep Chromium from reaching for it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_USER = "anna"
ADMIN_PASSWORD = "browser-wachtwoord-beheer"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Node:
    url: str
    data_dir: Path
    project: str  # an active project that takes supporters and volunteers
    thema: str
    version: str

    def __call__(self, path: str) -> str:
        return self.url + path


def _seed(data_dir: Path) -> tuple[str, str, str]:
    settings = load_settings(data_dir)
    db = open_database(settings)
    try:
        load_sample(db, settings)
        db.write(
            lambda conn: create_user(
                conn, ADMIN_USER, "Anna", "beheerder", ADMIN_PASSWORD, must_change_password=False
            )
        )
        project = db.scalar(
            "SELECT slug FROM projects WHERE phase = 'uitvoering' AND removed_at IS NULL "
            "ORDER BY id LIMIT 1"
        )
        thema = db.scalar("SELECT slug FROM themas WHERE removed_at IS NULL ORDER BY id LIMIT 1")
        version = db.scalar("SELECT slug FROM agenda_versions ORDER BY id DESC LIMIT 1")
        # A followed regional agenda's event, shown on the meetings page: a long name must fit.
        db.write(lambda conn: elsewhere.set_shown(conn, True))
        db.write(
            lambda conn: store_event_from_elsewhere(
                conn, "zomerconcert", "Zomerconcert van het Gelders Jeugdorkest met koor", 9
            )
        )
    finally:
        db.close()
    assert project and thema and version, "the sample data has no active project, thema or versie"
    return project, thema, version


def wait_until_answering(url: str, process: subprocess.Popen, stderr_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server stopped with exit code {process.returncode} before answering:\n"
                + stderr_path.read_text(errors="replace")
            )
        try:
            if httpx.get(url + "/", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError as error:
            last_error = repr(error)
        time.sleep(0.1)
    process.kill()
    process.wait(STOP_TIMEOUT)
    pytest.fail(
        f"the server did not answer on {url} within {START_TIMEOUT:.0f} s ({last_error}):\n"
        + stderr_path.read_text(errors="replace")
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


@pytest.fixture(scope="session")
def node(tmp_path_factory) -> Iterator[Node]:
    """Beesd's sample kern, served by uvicorn in a process of its own on 127.0.0.1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = tmp_path_factory.mktemp("browser-node")
    data_dir = make_data_dir(base / "beesd", "Beesd", url)
    project, thema, version = _seed(data_dir)
    stderr_path = base / "server.log"
    env = {**os.environ, "BLOEI_DATA": str(data_dir)}
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "node.asgi:from_environment",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_until_answering(url, process, stderr_path)
        yield Node(url=url, data_dir=data_dir, project=project, thema=thema, version=version)
    finally:
        stop(process)


def chromium_or_skip() -> str:
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM}: run `make browser` (Debian's chromium package) "
        "or set BLOEI_CHROMIUM"
    )
    if os.environ.get("CI"):
        pytest.fail(message + "; in CI the browser tests must run")
    pytest.skip(message)


@pytest.fixture(scope="package")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser):
    """A fresh visitor: no cookies, JavaScript on (axe needs it), a desktop window."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


def log_in(page, node: Node) -> None:
    """Sign in through the real login form, as a member of the resident group would."""
    page.goto(node("/beheer/inloggen"))
    page.get_by_label("Gebruikersnaam").fill(ADMIN_USER)
    page.get_by_label("Wachtwoord").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(node("/beheer"))


@pytest.fixture(scope="package")
def admin_page(browser, node):
    """One signed-in beheerder for the beheer pages, signed in once."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, node)
    yield page
    ctx.close()


# --- A second node that sends mail, for the resident's journey ------------------------------


@dataclass(frozen=True)
class MailNode(Node):
    """A kern whose mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd).

    Its worker is off (background_jobs = false): the test sends the queued mail itself with
    send_queued_mail(), as the worker would, instead of waiting for the worker's next round.
    """

    smtp: object  # tests.test_mailer.SmtpServer: .messages holds what arrived

    def send_queued_mail(self) -> int:
        from node.mail import mailer

        settings = load_settings(self.data_dir)
        db = open_database(settings)
        try:
            # Batch after batch until nothing is due (a failed mail waits for its retry).
            sent = 0
            for _ in range(100):
                handled = mailer.process_next(db, settings)
                if not handled:
                    break
                sent += handled
            return sent
        finally:
            db.close()


def _serve(data_dir: Path, base: Path, port: int) -> subprocess.Popen:
    """Start uvicorn for `data_dir` on `port`; returns the process once it answers."""
    url = f"http://127.0.0.1:{port}"
    stderr_path = base / "server.log"
    env = {**os.environ, "BLOEI_DATA": str(data_dir)}
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "node.asgi:from_environment",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_until_answering(url, process, stderr_path)
    except BaseException:
        stop(process)
        raise
    return process


@pytest.fixture(scope="package")
def smtp_server():
    """A real SMTP server on a free port of 127.0.0.1 that keeps every message it receives."""
    from tests.test_mailer import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def mail_node(tmp_path_factory, smtp_server) -> Iterator[MailNode]:
    """Beesd's sample kern in its own server process, with SMTP set to `smtp_server`."""
    base = tmp_path_factory.mktemp("browser-mail-node")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = make_data_dir(
        base / "beesd",
        "Beesd",
        url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_from="noreply@beesd.test",
        smtp_starttls=False,
        background_jobs=False,
    )
    project, thema, version = _seed(data_dir)
    process = _serve(data_dir, base, port)
    try:
        yield MailNode(
            url=url,
            data_dir=data_dir,
            project=project,
            thema=thema,
            version=version,
            smtp=smtp_server,
        )
    finally:
        stop(process)


# --- The gemeente's aggregator, following two real kernen ------------------------------------

GEMEENTE_USER = "gerda"
GEMEENTE_PASSWORD = "browser-wachtwoord-gemeente"
FOLLOW_TIMEOUT = 20.0


@dataclass(frozen=True)
class Gemeente:
    """A gemeente node (`bloei init --role gemeente`) whose read model holds two kernen."""

    url: str
    data_dir: Path
    kern_id: int  # Beesd, in the gemeente's read model
    project: str  # the object id of one of Beesd's projects

    def __call__(self, path: str) -> str:
        return self.url + path

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import sqlite3

        path = load_settings(self.data_dir).database_path
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def _serve_dev(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    """`bloei serve --dev` for `data_dir` on `port` (development mode: plain HTTP and loopback
    peers, as the pilot on one machine needs); returns the process once it answers."""
    url = f"http://127.0.0.1:{port}"
    stderr_path = data_dir.parent / f"{data_dir.name}.log"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--dev"]
            + ["--port", str(port), "--data", str(data_dir)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_until_answering(url, process, stderr_path)
    except BaseException:
        stop(process)
        raise
    return process


def _seed_heukelum(data_dir: Path) -> None:
    """A smaller kern than Beesd's sample: two thema's and two projects of its own."""
    from helpers import add_project, add_thema

    settings = load_settings(data_dir)
    db = open_database(settings)
    try:
        dijk = add_thema(db, settings, title="Te hard rijden op de dijk")
        groen = add_thema(db, settings, title="Groen rond de kerk", actor="samen")
        add_project(
            db,
            settings,
            [dijk],
            title="Drempels op de Diefdijk",
            summary="Drempels en een bord met de snelheid.",
        )
        add_project(
            db,
            settings,
            [groen],
            title="Bloemenlint langs de kerk",
            summary="Inwoners planten bloembollen.",
            needs=[],
        )
    finally:
        db.close()


def _init_gemeente(folder: Path, port: int) -> None:
    url = f"http://127.0.0.1:{port}"
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", "init", "--role", "gemeente"]
        + ["--name", "Gemeente West Betuwe", "--slug", "gemeente", "--url", url]
        + ["--port", str(port), "--data", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    db = open_database(load_settings(folder))
    try:
        db.write(
            lambda conn: create_user(
                conn,
                GEMEENTE_USER,
                "Gerda",
                "beheerder",
                GEMEENTE_PASSWORD,
                must_change_password=False,
            )
        )
    finally:
        db.close()


def _follow(gemeente_url: str, addresses: list[str]) -> None:
    """Staff sign in and add each kern by its address, as in beheer."""
    import re

    with httpx.Client(base_url=gemeente_url, timeout=10) as http:
        response = http.post(
            "/beheer/inloggen", data={"username": GEMEENTE_USER, "password": GEMEENTE_PASSWORD}
        )
        assert response.status_code == 303, response.text
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/beheer").text).group(1)
        for address in addresses:
            response = http.post(
                "/beheer/kernen", data={"csrf": token, "address": address, "rollout": "pilot"}
            )
            assert response.status_code == 303, response.text


@pytest.fixture(scope="package")
def gemeente(tmp_path_factory) -> Iterator[Gemeente]:
    """The gemeente and two kernen (Beesd's sample, a smaller Heukelum), each a real server
    process; the gemeente follows both through its beheer and pulls what they published."""
    base = tmp_path_factory.mktemp("browser-gemeente")
    gemeente_port = free_port()
    gemeente_url = f"http://127.0.0.1:{gemeente_port}"
    _init_gemeente(base / "gemeente", gemeente_port)
    kernen = {}
    for name in ("Beesd", "Heukelum"):
        port = free_port()
        kernen[name] = port
        make_data_dir(
            base / name.lower(),
            name,
            f"http://127.0.0.1:{port}",
            gemeente_actor=gemeente_url + "/actor",
        )
    _seed(base / "beesd")
    _seed_heukelum(base / "heukelum")

    processes = []
    try:
        for name, port in kernen.items():
            processes.append(
                _serve_dev(base / name.lower(), port, {"BLOEI_DELIVERY_RETRY_SECONDS": "1"})
            )
        processes.append(
            _serve_dev(base / "gemeente", gemeente_port, {"BLOEI_PULL_INTERVAL_SECONDS": "2"})
        )
        _follow(
            gemeente_url,
            [f"@{name.lower()}@127.0.0.1:{port}" for name, port in kernen.items()],
        )
        node = Gemeente(url=gemeente_url, data_dir=base / "gemeente", kern_id=0, project="")
        deadline = time.monotonic() + FOLLOW_TIMEOUT
        sql = (
            "SELECT k.id, k.name, count(p.id), min(p.object_id) FROM gemeente_kernen k "
            "LEFT JOIN gemeente_projects p ON p.kern_id = k.id GROUP BY k.id ORDER BY k.id"
        )
        while True:
            rows = node.query(sql)
            if len(rows) == 2 and all(row[2] > 0 for row in rows):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the gemeente did not get both kernen's projects in time: {rows}")
            time.sleep(0.1)
        beesd = next(row for row in rows if row[1] == "Beesd")
        yield Gemeente(url=gemeente_url, data_dir=node.data_dir, kern_id=beesd[0], project=beesd[3])
    finally:
        for process in processes:
            stop(process)
