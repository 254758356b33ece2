"""The periodic write check: a disk that fills up or turns read-only is found in time.

The background worker runs the check every few minutes. It logs one warning line when it
finds a problem and one when the problem is gone (not the same line every few minutes), and
beheer shows a notice while the problem lasts, so the group hears of it before residents
find that nothing can be saved.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from node.jobs import Job
from node.settings import Settings
from node.storage import MIB, Problem, find_problem

log = logging.getLogger("bloei.storage")

CHECK_INTERVAL_SECONDS = 300
# Room for a few hundred photos and the nightly backups' temporary copy on a small disk.
MIN_FREE_BYTES = 200 * MIB


@dataclass
class DiskWatch:
    settings: Settings
    min_free_bytes: int = MIN_FREE_BYTES
    interval: float = CHECK_INTERVAL_SECONDS
    problem: Problem | None = None
    checked_at: float | None = None

    def check(self) -> Problem | None:
        """Check now; log a line only when the finding changes."""
        problem = find_problem(self.settings.data_dir, self.settings.media_dir, self.min_free_bytes)
        # The free megabytes change all the time; only a new kind of problem is news.
        if problem and (self.problem is None or problem.kind != self.problem.kind):
            log.warning("storage problem: %s", problem.text)
        elif problem is None and self.problem is not None:
            log.warning("storage works again in %s", self.settings.data_dir)
        self.problem = problem
        self.checked_at = time.monotonic()
        return problem

    def current(self) -> Problem | None:
        """The last finding for beheer; checked again when older than the interval, as when
        the jobs run in `bloei worker` instead of this process."""
        if self.checked_at is None or time.monotonic() - self.checked_at > self.interval:
            return self.check()
        return self.problem

    def job(self) -> Job:
        return Job("storage", self.interval, self.check)
