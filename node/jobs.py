"""A small runner for periodic background jobs: mail, privacy cleanup, later deliveries.

The jobs run as asyncio tasks from the app's lifespan, or from `bloei worker` without the
web server. A job is a plain synchronous function; it runs in a thread so the event loop
keeps answering requests while it waits on SQLite or a mail server. The runner keeps no
state of its own that matters: each job claims its rows in the database with a lease (or
is an idempotent update in one transaction), so several processes can run the same jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from node.storage import StorageError

log = logging.getLogger("bloei.worker")


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between the end of one run and the start of the next
    run: Callable[[], object]


class Worker:
    """Runs each job now and then every `interval` seconds, until stopped."""

    def __init__(self, jobs: Iterable[Job] = ()):
        self.jobs: list[Job] = list(jobs)
        self._tasks: list[asyncio.Task] = []
        self._stopping = asyncio.Event()

    def add(self, job: Job) -> None:
        if self._tasks:
            raise RuntimeError("add jobs before the worker starts")
        self.jobs.append(job)

    @property
    def running(self) -> bool:
        return any(not task.done() for task in self._tasks)

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._loop(job), name=f"bloei-job-{job.name}") for job in self.jobs
        ]

    async def stop(self) -> None:
        """Stop every job and wait: a run in progress finishes first (a thread cannot be
        interrupted, and the database closes right after this)."""
        self._stopping.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _loop(self, job: Job) -> None:
        failing = False
        while not self._stopping.is_set():
            try:
                await run_once(job)
            except StorageError as error:
                # A full disk or read-only folder is no bug: one line, no traceback.
                if not failing:
                    log.error("background job %s failed, it keeps running: %s", job.name, error)
                failing = True
            except Exception:
                # Log the first failure with its traceback, not the same one every 10 seconds.
                if not failing:
                    log.exception("background job %s failed; it keeps running", job.name)
                failing = True
            else:
                if failing:
                    log.warning("background job %s works again", job.name)
                failing = False
            # Sleep until the next run, or until stop() is called.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), job.interval)


async def run_once(job: Job) -> object:
    return await run_in_threadpool(job.run)


async def run_until_stopped(jobs: Iterable[Job]) -> None:
    """For `bloei worker`: run the jobs until SIGINT or SIGTERM, then stop cleanly."""
    worker = Worker(jobs)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    await worker.start()
    try:
        await stop.wait()
    finally:
        await worker.stop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)
