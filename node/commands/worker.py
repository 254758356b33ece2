"""`bloei worker`: run the background jobs (mail, privacy cleanup, deliveries) without the
web server, or each once with --once.
"""

from __future__ import annotations

import argparse

from node.app import background_jobs
from node.commands.common import add_data_option, open_node
from node.web.diskwatch import DiskWatch


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
        jobs = [*background_jobs(settings, db), DiskWatch(settings).job()]
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
