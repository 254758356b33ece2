"""A node left running does not grow, in connections or in memory: thread pools retire idle threads and start new ones, and
what a retired thread held (its database connection) must go with it.

anyio retires a worker thread after 10 idle seconds, so each round here does its work on the
pool's threads (sign-ins hash their password on them), then waits past that, so the next round
runs on new threads: a leak of one connection per thread shows after a few rounds.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from process_helpers import PASSWORD, Node, running, wait_for
from reliability_helpers import database_descriptors, resident_kib

pytestmark = pytest.mark.processes

ROUNDS = 3
SIGN_INS_PER_ROUND = 3
THREAD_IDLE_SECONDS = 10
MEMORY_SLACK_KIB = 24 * 1024


def sign_in(url: str) -> int:
    with httpx.Client(base_url=url, timeout=30) as http:
        response = http.post(
            "/beheer/inloggen", data={"username": "beheerder", "password": PASSWORD}
        )
        return response.status_code


def test_idle_rounds_on_new_threads_leave_no_connections_behind(tmp_path):
    with running(Node(tmp_path / "beesd", "Beesd")) as (beesd,):
        assert beesd.process is not None
        pid = beesd.process.pid
        counts, memory = [], []
        for _ in range(ROUNDS):
            with ThreadPoolExecutor(SIGN_INS_PER_ROUND) as pool:
                statuses = list(pool.map(sign_in, [beesd.url] * SIGN_INS_PER_ROUND))
            assert statuses == [303] * SIGN_INS_PER_ROUND
            wait_for(lambda: beesd.http.get("/beheer").status_code == 200, 10, "beheer")
            counts.append(database_descriptors(pid, beesd.folder))
            memory.append(resident_kib(pid))
            time.sleep(THREAD_IDLE_SECONDS + 1.5)
        # After the first round the pool has its threads; later rounds replace them and must
        # not add to what the first left open (a little slack for a job running just then).
        assert max(counts[1:]) <= counts[0] + 3, counts
        # Memory too: what the first round's sign-ins took is reused, not taken again.
        assert max(memory[1:]) <= memory[0] + MEMORY_SLACK_KIB, memory
