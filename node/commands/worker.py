"""`bloei worker`: run the background jobs (mail, privacy cleanup, deliveries) without the
web server, or each once with --once, which exits 1 when a delivery or mail was given up.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from federation.store import timestamp
from node.app import background_jobs
from node.commands.common import (
    add_data_option,
    add_dev_option,
    dev_hint,
    dev_override,
    open_node,
)
from node.db import Database
from node.diskwatch import DiskWatch
from node.jobs import Job, run_until_stopped
from node.mail import mailer
from node.settings import Settings

MAIL_JOB = "mail"  # the name both roles give their mail job (node/*/wiring.py)


def configure_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="run every job once and stop (for a timer or cron)"
    )
    add_dev_option(parser)
    add_data_option(parser)


def run_worker(args: argparse.Namespace) -> int:
    with open_node(args, dev=dev_override(args)) as (settings, db):
        jobs = [*background_jobs(settings, db), DiskWatch(settings).job()]
        if not mailer.smtp_configured(settings):
            print("Mail is not set up (smtp_host, smtp_from): mail stays in the queue.")
        if args.once:
            started = datetime.now(UTC)
            jobs = mail_last(jobs)
            for job in jobs:
                job.run()
            print(f"Ran {', '.join(job.name for job in jobs) or 'no jobs'} once")
            given_up = given_up_since(db, settings, started)
            for line in given_up:
                print(line, file=sys.stderr)
            return 1 if given_up else 0
        every = ", ".join(f"{job.name} every {job.interval:g} s" for job in jobs)
        print(f"Bloei worker for {settings.name}: {every or 'no jobs'}; Ctrl+C stops", flush=True)
        asyncio.run(run_until_stopped(jobs))
    return 0


def mail_last(jobs: list[Job]) -> list[Job]:
    """The jobs in the order for one run: mail last, so what the others queue (the daily
    mail, the work list's reminders, a subscription's items) leaves in the same run instead
    of waiting for the next run of a timer, which may be a day later."""
    return sorted(jobs, key=lambda job: job.name == MAIL_JOB)


def given_up_since(db: Database, settings: Settings, since: datetime) -> list[str]:
    """One line for each delivery and mail given up from `since` on: a host running the
    worker from a timer or by hand must see what will not arrive, and why."""
    lines = [
        f"Gave up delivering {row['activity_id']} to {row['inbox']}: {row['last_error']}"
        + dev_hint(settings, row["inbox"])
        for row in db.execute(
            """SELECT activity_id, inbox, last_error FROM federation_deliveries
               WHERE status = 'failed' AND finished_at >= ? ORDER BY id""",
            (timestamp(since),),
        )
    ]
    if settings.role == "kern":
        lines += [
            f"Gave up mail {row['id']} ({row['purpose']}) to {row['to_address']}: "
            f"{row['last_error']}"
            for row in db.execute(
                """SELECT id, purpose, to_address, last_error FROM mail_queue
                   WHERE given_up_at >= ? ORDER BY id""",
                (mailer.stamp(since.replace(microsecond=0)),),
            )
        ]
    return lines
