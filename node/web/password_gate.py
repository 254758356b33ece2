"""One Argon2 computation at a time in this process, whatever asks for them.

An Argon2id check takes 7 MiB and about 15 ms on purpose (node/web/auth.py). Without a
bound, a burst of sign-ins runs as many at once as the thread pool has threads: memory jumps
by 7 MiB per request, and the C allocator keeps much of it afterwards, in the arena of every
thread that hashed. Running the checks on one thread of its own bounds both: a burst adds
7 MiB to the peak of a node that must stay under 80 MB, however many sign in at once, and
only that thread's arena ever holds Argon2 memory. One thread still checks some sixty
passwords a second, far more than a kern's editors or a gemeente's staff need. A few more
requests may wait their turn; beyond that the caller gets `PasswordGateBusy` and answers
"try again soon" instead of piling up work. One gate per process, shared by every site a
process serves. The deploy files set glibc's mmap threshold (GLIBC_TUNABLES), so there the
7 MiB go back to the system after each check as well.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
WORKERS = 1
# Requests that may wait for a free worker: a few people signing in at the same moment.
WAITING = 7


class PasswordGateBusy(Exception):
    """Every worker is busy and the queue is full: answer 'try again in a moment'."""


class PasswordGate:
    def __init__(self, workers: int = WORKERS, waiting: int = WAITING):
        self.workers = workers
        # Threads start on first use, so importing this module starts nothing.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._slots = threading.BoundedSemaphore(workers + waiting)

    async def run(self, fn: Callable[..., T], *args) -> T:
        """fn(*args) on one of the gate's threads; PasswordGateBusy when too many wait."""
        if not self._slots.acquire(blocking=False):
            raise PasswordGateBusy

        def job() -> T:
            # Released by the job itself, not by the awaiting request: a request that is
            # cancelled does not free a slot while its hash is still being computed.
            try:
                return fn(*args)
            finally:
                self._slots.release()

        try:
            future = self._executor.submit(job)
        except BaseException:
            self._slots.release()
            raise
        return await asyncio.wrap_future(future)


# The process's gate: every password check and new hash in a served request goes through it.
gate = PasswordGate()
