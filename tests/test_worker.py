"""Background jobs: the runner, the app's lifespan and `bloei worker`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from node import cli
from node.app import background_jobs, create_app
from node.db import Database
from node.jobs import Job, Worker
from node.mail.queue import queue_mail
from node.schema import core
from tests.test_mailer import SmtpServer, smtp_settings
from tests.test_storage import fill_the_disk

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def queue(db, to="marieke@example.nl") -> int:
    return db.write(lambda conn: queue_mail(conn, "test", to, "Hallo", "Tot donderdag"))


async def wait_for(condition, seconds: float = 15.0) -> bool:
    """Poll for something another task or thread does; time itself is never what is tested."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


async def test_a_failing_job_is_logged_once_and_keeps_running(caplog):
    runs: list[int] = []

    def flaky() -> None:
        runs.append(1)
        if len(runs) <= 3:
            raise RuntimeError("mailserver weg")

    worker = Worker([Job("flaky", 0.001, flaky)])
    with caplog.at_level(logging.WARNING, logger="bloei.worker"):
        await worker.start()
        assert await wait_for(lambda: len(runs) >= 5)
        await worker.stop()
    assert not worker.running
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info
    assert any("works again" in r.getMessage() for r in caplog.records)
    # Stopped means stopped: no more runs
    count = len(runs)
    await asyncio.sleep(0.02)
    assert len(runs) == count


async def test_a_job_that_cannot_save_logs_one_line_without_a_traceback(tmp_path, caplog):
    runs: list[int] = []

    def full(conn) -> None:
        conn.execute("INSERT INTO filler VALUES (randomblob(100000))")

    db = Database(tmp_path / "bloei.db").open([core])
    fill_the_disk(db)

    def job() -> None:
        runs.append(1)
        db.write(full)

    worker = Worker([Job("mail", 0.001, job)])
    try:
        with caplog.at_level(logging.WARNING, logger="bloei.worker"):
            await worker.start()
            assert await wait_for(lambda: len(runs) >= 3)
            await worker.stop()
    finally:
        db.close()
    [line] = [r for r in caplog.records if r.name == "bloei.worker"]
    assert line.exc_info is None
    assert line.getMessage() == (
        f"background job mail failed, it keeps running: cannot save in {db.path}: the disk is full"
    )


async def test_stop_waits_for_a_run_in_progress():
    started, finished = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        finished.set()

    worker = Worker([Job("slow", 60, slow)])
    await worker.start()
    assert await wait_for(started.is_set)
    await worker.stop()
    # The database is closed right after stop(): no job may still be using it then.
    assert finished.is_set()


async def test_the_lifespan_runs_the_mail_job_and_stops_it(settings, db, smtp):
    mail_id = queue(db)
    app = create_app(smtp_settings(settings, smtp.port), db)
    async with app.router.lifespan_context(app):
        assert app.state.worker.running
        # The SMTP server sees the message before the job marks it sent in its own write:
        # wait for the mark, the last thing the job does, then check what the server got.
        sent_at = "SELECT sent_at FROM mail_queue WHERE id = ?"
        assert await wait_for(lambda: db.one(sent_at, (mail_id,))[0] is not None)
        assert len(smtp.messages) == 1
    assert not app.state.worker.running


async def test_background_jobs_can_be_switched_off(settings, db, smtp):
    queue(db)
    app = create_app(smtp_settings(settings, smtp.port).with_changes(background_jobs=False), db)
    async with app.router.lifespan_context(app):
        assert app.state.worker.jobs == [] and not app.state.worker.running
    assert smtp.messages == []


def test_a_kern_runs_mail_privacy_and_delivery_jobs(settings, db):
    jobs = background_jobs(settings, db)
    assert [job.name for job in jobs] == [
        "mail",
        "privacy",
        "expiry",
        "learning",
        "neighbours",
        "notices",
        "subscriptions",
        "federation",
    ]
    gemeente_jobs = background_jobs(settings.with_changes(role="gemeente"), db)
    assert [job.name for job in gemeente_jobs] == ["federation", "pull", "mail", "reminders"]


def configure_smtp(folder: Path, port: int) -> None:
    with (folder / "bloei.toml").open("a") as toml:
        toml.write(
            f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
            'smtp_from = "noreply@beesd.test"\nsmtp_starttls = false\n'
        )


def test_bloei_worker_once_sends_the_queue(settings, db, smtp, capsys):
    configure_smtp(settings.data_dir, smtp.port)
    queue(db)
    assert cli.main(["worker", "--once", "--data", str(settings.data_dir)]) == 0
    assert [m["To"] for m in smtp.messages] == ["marieke@example.nl"]
    assert (
        "Ran privacy, expiry, learning, neighbours, notices, subscriptions, federation, storage, mail once"
        in capsys.readouterr().out
    )


def test_bloei_worker_once_sends_the_daily_mail_it_makes_in_the_same_run(settings, db, smtp):
    # Given a beheerder with an address and an item waiting for her daily mail
    configure_smtp(settings.data_dir, smtp.port)

    def waiting(conn) -> None:
        conn.execute("UPDATE users SET email = 'anna@beesd.test' WHERE username = 'anna'")
        conn.execute(
            """INSERT INTO notification_digest_items (user_id, topic, title, url, created_at)
               SELECT id, 'aanmeldingen', 'Marieke meldde zich aan', 'http://beesd.test/x',
                      '2026-01-01T08:00:00+00:00' FROM users WHERE username = 'anna'"""
        )

    db.write(waiting)
    # When a host's timer runs the worker once
    assert cli.main(["worker", "--once", "--data", str(settings.data_dir)]) == 0
    # Then the daily mail is made and sent in that one run, not a run (maybe a day) later
    assert [m["To"] for m in smtp.messages] == ["anna@beesd.test"]
    assert "Marieke meldde zich aan" in smtp.messages[0].get_body(("plain",)).get_content()


def test_bloei_worker_without_mail_settings_says_so(settings, db, capsys):
    queue(db)
    assert cli.main(["worker", "--once", "--data", str(settings.data_dir)]) == 0
    assert "Mail is not set up" in capsys.readouterr().out
    assert db.scalar("SELECT count(*) FROM mail_queue WHERE sent_at IS NULL") == 1


@pytest.mark.processes
def test_bloei_worker_runs_until_sigterm(settings, db, smtp):
    configure_smtp(settings.data_dir, smtp.port)
    queue(db)
    with subprocess.Popen(
        [sys.executable, "-m", "node.cli", "worker", "--data", str(settings.data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as process:
        try:
            assert "Ctrl+C stops" in process.stdout.readline()
            deadline = time.monotonic() + 10
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(smtp.messages) == 1
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0, process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
