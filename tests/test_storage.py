"""A full disk or a read-only folder: a clear 503 and one log line, never a crash.

A full disk is simulated the way SQLite itself meets one: `PRAGMA max_page_count` on the
writer, so the next write that needs a page fails with SQLITE_FULL. A read-only database is
a writer opened with `mode=ro`. For photos the low-level write raises ENOSPC.
"""

from __future__ import annotations

import errno
import html
import http.client
import logging
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import uvicorn

from node.app import create_app, open_database
from node.cli import main
from node.db import Database
from node.kern.projects import model as projects
from node.kern.projects import photos
from node.settings import load_settings
from node.storage import DISK_FULL, READ_ONLY, DataFolderError, StorageError
from tests.conftest import ADMIN_PASSWORD, BASE_URL, make_data_dir
from tests.idea_helpers import IDEA, idea_form
from tests.test_beheer_projects import add_project, new_project_form
from tests.test_federation_web import mastodon_follow, post_inbox, servers  # noqa: F401
from tests.test_photos import phone_photo, stored, upload

RETRY_AFTER = "300"


def fill_the_disk(db) -> None:
    """Let the database grow no further, then fill what room is left in its pages."""
    conn = db.writer
    conn.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for size in (4000, 1000, 200, 50, 10):
        while True:
            try:
                conn.execute("INSERT INTO filler VALUES (randomblob(?))", (size,))
            except sqlite3.OperationalError as error:
                assert "full" in str(error)
                break


def free_the_disk(db) -> None:
    db.writer.execute("PRAGMA max_page_count = 1073741823")


def open_read_only(db) -> None:
    """Swap the writer for a connection that may only read, as on a read-only file."""
    db.writer.close()
    db._writer = sqlite3.connect(
        f"file:{db.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )


def storage_log_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bloei" and r.levelno >= logging.ERROR]


def assert_one_clear_log_line(caplog, settings, cause: str) -> None:
    [line] = storage_log_lines(caplog)
    assert line.exc_info is None, "a storage failure is one line, not a traceback"
    message = line.getMessage()
    assert cause in message and str(settings.data_dir) in message, message


# --- The database ----------------------------------------------------------------------------


def test_a_full_disk_raises_its_real_cause_not_the_failed_rollback(db):
    fill_the_disk(db)

    with pytest.raises(StorageError) as raised:
        db.write(lambda conn: conn.execute("INSERT INTO filler VALUES (randomblob(100000))"))

    # SQLite rolled back by itself; the ROLLBACK that follows must not hide why.
    assert raised.value.cause == DISK_FULL
    assert raised.value.path == db.path
    assert "database or disk is full" in str(raised.value.__cause__)
    assert not db.writer.in_transaction
    free_the_disk(db)
    before = db.data_version()
    db.write(lambda conn: conn.execute("INSERT INTO filler VALUES (1)"))
    assert db.data_version() == before + 1
    # Errors that are not about the disk stay what they are.
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        db.write(lambda conn: conn.execute("INSERT INTO nergens VALUES (1)"))
    with pytest.raises(ZeroDivisionError):
        db.write(lambda conn: 1 / 0)


def test_a_read_only_database_raises_a_storage_error(db):
    open_read_only(db)

    with pytest.raises(StorageError) as raised:
        db.write(lambda conn: conn.execute("UPDATE meta SET value = value WHERE 0"))

    assert raised.value.cause == READ_ONLY
    assert "readonly" in str(raised.value.__cause__)


# --- Pages and the API -----------------------------------------------------------------------


async def test_a_full_disk_answers_a_beheer_form_with_503_and_keeps_what_was_typed(
    admin, db, settings, caplog
):
    client, csrf = admin
    fill_the_disk(db)
    form = new_project_form(csrf, summary="Drie bankjes, met <een> rugleuning & armleuning.")

    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 503
    assert response.headers["retry-after"] == RETRY_AFTER
    assert response.headers["cache-control"] == "no-store"
    page = html.unescape(response.text)
    assert "De site kan nu niets opslaan" in page
    assert "Wat u net verstuurde, is niet opgeslagen." in page
    assert "Bent u van de inwonersgroep?" in page
    # What was typed is on the page to copy, and the button sends it again as it was.
    typed = re.search(r"<textarea[^>]*readonly[^>]*>(.*?)</textarea>", response.text, re.S)
    assert typed and "Drie bankjes, met <een> rugleuning & armleuning." in html.unescape(
        typed.group(1)
    )
    resend = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert resend["csrf"] == csrf and resend["title"] == "Bankjes bij de kerk"
    assert db.one("SELECT id FROM projects WHERE title = 'Bankjes bij de kerk'") is None
    assert_one_clear_log_line(caplog, settings, DISK_FULL)

    # Once there is room again, sending the same form again saves it.
    free_the_disk(db)
    again = await client.post("/beheer/projecten/nieuw", data=resend)
    assert again.status_code == 303
    saved = db.one("SELECT summary FROM projects WHERE title = 'Bankjes bij de kerk'")
    assert saved["summary"] == "Drie bankjes, met <een> rugleuning & armleuning."


async def test_a_password_never_comes_back_on_the_503_page(admin, db):
    client, csrf = admin
    open_read_only(db)
    new = "een-nieuw-lang-wachtwoord"

    response = await client.post(
        "/beheer/wachtwoord",
        data={"csrf": csrf, "current": ADMIN_PASSWORD, "new": new, "repeat": new},
    )

    assert response.status_code == 503
    assert ADMIN_PASSWORD not in response.text and new not in response.text
    assert "<textarea" not in response.text and 'type="hidden" name="csrf"' not in response.text


async def test_a_read_only_database_answers_a_resident_with_503(client, db, settings, caplog):
    open_read_only(db)

    response = await client.post("/ideeen/nieuw", data=idea_form(settings))

    assert response.status_code == 503
    assert response.headers["retry-after"] == RETRY_AFTER
    assert IDEA["body"].split("\n")[0] in html.unescape(response.text)
    assert db.scalar("SELECT count(*) FROM ideas") == 0
    assert_one_clear_log_line(caplog, settings, READ_ONLY)


async def test_a_full_disk_answers_an_inbox_delivery_with_a_problem(client, db, servers):  # noqa: F811
    fill_the_disk(db)

    response = await post_inbox(client, mastodon_follow())

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == RETRY_AFTER
    assert response.json()["title"] == "De site kan nu niets opslaan"


async def test_a_full_disk_while_storing_a_photo_answers_503_and_keeps_the_old_one(
    admin, db, settings, monkeypatch, caplog
):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    assert (await upload(client, csrf, project_id, phone_photo())).status_code == 303
    old = projects.get_project_by_id(db, project_id)["photo"]

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(photos.os, "fsync", no_space)
    response = await upload(client, csrf, project_id, phone_photo(), alt="Het nieuwe bankje")

    assert response.status_code == 503
    assert "Een foto of bestand moet u straks opnieuw kiezen." in html.unescape(response.text)
    assert "Het nieuwe bankje" in response.text
    assert projects.get_project_by_id(db, project_id)["photo"] == old
    assert [p.name for p in stored(settings.media_dir)] == [old]  # no half-written file
    assert_one_clear_log_line(caplog, settings, DISK_FULL)


# --- The connection stays open ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(settings, db):
    """The app behind a real uvicorn on 127.0.0.1, in a thread of this process."""
    app = create_app(settings, db)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=20)


def test_the_connection_stays_open_after_a_storage_failure(served, db, settings):
    open_read_only(db)
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=20)
    body = urlencode(idea_form(settings))
    try:
        connection.request(
            "POST",
            "/ideeen/nieuw",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": BASE_URL,
                "Host": BASE_URL.removeprefix("http://"),
            },
        )
        failed = connection.getresponse()
        failed.read()
        assert failed.status == 503
        assert failed.getheader("connection", "").lower() != "close"
        # The same connection answers the next request: nothing was torn down.
        connection.request("GET", "/", headers={"Host": BASE_URL.removeprefix("http://")})
        home = connection.getresponse()
        home.read()
        assert home.status == 200
    finally:
        connection.close()


# --- Before the node opens its data ----------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
ROOT_USER = os.geteuid() == 0


def _set_immutable(path: Path, on: bool) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    flag = "+i" if on else "-i"
    return subprocess.run([chattr, flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def write_protect():
    """Make a file or folder refuse writes, also for root, and undo it afterwards.

    chmod is enough for an ordinary user. Root writes through any mode, so as root the
    immutable flag does it (chattr +i, on ext4, xfs, btrfs); where that is not available
    (tmpfs, overlayfs without the capability) the test is skipped, saying why.
    """
    protected: list[tuple[Path, int]] = []

    def protect(path: Path) -> Path:
        mode = path.stat().st_mode & 0o777
        if not ROOT_USER:
            path.chmod(mode & 0o555)
        elif not _set_immutable(path, True):
            pytest.skip("as root only the immutable flag stops a write; chattr +i failed here")
        protected.append((path, mode))
        return path

    yield protect
    for path, mode in reversed(protected):
        if ROOT_USER:
            _set_immutable(path, False)
        else:
            path.chmod(mode)


def leave_wal_files(database: Path) -> None:
    """What a node killed in the middle of its work leaves: the -wal and -shm files."""
    code = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA journal_mode = WAL')\n"
        "conn.execute(\"UPDATE meta SET value = value WHERE key = 'data_version'\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(database)], check=True, timeout=60)
    assert Path(f"{database}-shm").exists() and Path(f"{database}-wal").exists()


def test_opening_refuses_a_write_protected_shm_file_before_sqlite_maps_it(settings, write_protect):
    leave_wal_files(settings.database_path)
    shm = write_protect(Path(f"{settings.database_path}-shm"))

    with pytest.raises(DataFolderError) as refused:
        Database(settings.database_path).open()

    message = str(refused.value)
    assert message.startswith(f"cannot write to {shm} (")
    assert "or remove it" in message and "\n" not in message


def test_opening_refuses_a_read_only_folder(settings, write_protect):
    write_protect(settings.data_dir)

    with pytest.raises(DataFolderError) as refused:
        Database(settings.database_path).open()

    assert str(refused.value).startswith(f"cannot write to {settings.data_dir} (")


@pytest.mark.processes
@pytest.mark.parametrize(
    ("target", "fix"),
    [
        ("bloei.db", "write access to it (chown -R "),
        (".", "write access to it (chown -R "),
        ("media", "write access to it (chown -R "),
        # The -shm file may go (SQLite rebuilds it); the -wal file holds the last changes.
        ("bloei.db-shm", ") or remove it"),
        ("bloei.db-wal", "do not remove it, it holds the last changes"),
    ],
    ids=["database", "folder", "photos", "shm", "wal"],
)
def test_serve_on_a_folder_it_cannot_write_is_one_line_and_exits(
    settings, write_protect, target, fix
):
    leave_wal_files(settings.database_path)
    settings.media_dir.mkdir(exist_ok=True)
    path = write_protect(settings.data_dir / target if target != "." else settings.data_dir)

    result = subprocess.run(
        [sys.executable, "-m", "node.cli", "serve", "--data", str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "BLOEI_DATA": "", "BLOEI_PORT": str(free_port())},
    )

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"bloei: cannot write to {path.resolve()} ("), lines[0]
    assert fix in lines[0], lines[0]
    assert result.stdout == ""  # it never started listening


# --- The periodic check ----------------------------------------------------------------------

LOW_SPACE_NOTICE = "De server heeft bijna geen ruimte meer."
UNWRITABLE_NOTICE = "De site kan niets opslaan op de server."


def storage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bloei.storage"]


def test_the_periodic_check_warns_once_while_the_disk_is_nearly_full(app, settings, caplog):
    watch = app.state.disk_watch
    caplog.set_level(logging.WARNING, logger="bloei.storage")
    # A threshold above what is really free on this disk: the check's own measurement.
    watch.min_free_bytes = shutil.disk_usage(settings.data_dir).free + 1024**3

    assert watch.check().kind == "low_space"
    assert watch.check().kind == "low_space"
    [warning] = storage_warnings(caplog)
    assert "MB free on the disk of" in warning and str(settings.data_dir) in warning

    watch.min_free_bytes = 0
    assert watch.check() is None
    assert storage_warnings(caplog)[1:] == [f"storage works again in {settings.data_dir}"]
    # The test writes leave nothing behind.
    assert list(settings.data_dir.rglob(".bloei-write-check-*")) == []


def test_the_periodic_check_is_one_of_the_servers_background_jobs(app):
    job = app.state.disk_watch.job()
    assert job.name == "storage" and job.interval <= 600


async def test_beheer_shows_a_notice_while_the_disk_is_nearly_full(admin, app, settings):
    client, _csrf = admin
    watch = app.state.disk_watch

    assert LOW_SPACE_NOTICE not in (await client.get("/beheer")).text

    watch.min_free_bytes = shutil.disk_usage(settings.data_dir).free + 1024**3
    watch.checked_at = None  # as when the interval has passed
    page = (await client.get("/beheer")).text
    assert LOW_SPACE_NOTICE in page and "Vraag wie de server beheert" in page
    # Residents see nothing of it.
    assert LOW_SPACE_NOTICE not in (await client.get("/projecten")).text


async def test_beheer_shows_a_notice_when_the_photo_folder_cannot_be_written(
    admin, app, settings, caplog, write_protect
):
    client, _csrf = admin
    caplog.set_level(logging.WARNING, logger="bloei.storage")
    write_protect(settings.media_dir)
    app.state.disk_watch.checked_at = None

    page = (await client.get("/beheer")).text

    assert UNWRITABLE_NOTICE in page
    [warning] = storage_warnings(caplog)
    assert f"cannot write to {settings.media_dir}" in warning


def test_serve_sites_checks_every_kern_before_it_listens(tmp_path, write_protect, capsys):
    beesd = make_data_dir(tmp_path / "beesd", "Beesd", "http://beesd.test")
    heukelum = make_data_dir(tmp_path / "heukelum", "Heukelum", "http://heukelum.test")
    for folder in (beesd, heukelum):
        open_database(load_settings(folder)).close()
    sites = tmp_path / "sites.toml"
    sites.write_text(
        f'[[site]]\nhost = "beesd.test"\ndata = "{beesd}"\n\n'
        f'[[site]]\nhost = "heukelum.test"\ndata = "{heukelum}"\n'
    )
    write_protect(heukelum / "bloei.db")

    assert main(["serve", "--sites", str(sites), "--port", str(free_port())]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"bloei: cannot write to {heukelum / 'bloei.db'} (")
    assert err.count("\n") == 1
