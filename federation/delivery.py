"""The durable outgoing queue: one job per activity and inbox, retried for about three days.

After microblog.pub's outgoing queue: jobs live in SQLite with `tries` and `next_try_at`, and a
worker calls `deliver_due()` (or `process_next()` for one batch); tests pass a chosen `now`
instead of sleeping.

A worker claims a few due jobs with a short lease (one `UPDATE ... RETURNING` in an IMMEDIATE
transaction, so two processes never claim the same job), POSTs each signed body outside any
transaction, and records each outcome as soon as it has it, only if its claim is still
current. Every attempt ends within `ATTEMPT_DEADLINE` (or the deadline the caller gives, at
most a minute), well inside the `LEASE`.

Each inbox is a lane: a claim takes at most one job per inbox, and none for an inbox that has a
job in flight (in any process), so one inbox's jobs arrive in the order they were queued and a
receiver that never answers holds up only its own lane. `deliver_due` keeps up to `slots`
jobs in flight and claims the next due job the moment one finishes, or comes due, so the
round never waits for its slowest job before sending the rest. A claim names
the process that made it (`worker_name()`): a worker that was killed mid-round leaves leases
that the next worker started on the same host releases at once (`release_dead_claims`); on
another host they run out after `LEASE`. Either way the job is sent again (receivers drop the
repeat by activity id).

Outcomes: 2xx is done; 401, 408, 429, 5xx, network errors and timeouts are retried with growing
delays (`PROTOCOL_RETRIES`); any other 4xx, and a refused address, fail for good. `last_error`
keeps the reason for beheer.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import socket
import sqlite3
from collections.abc import Callable, Collection, Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from federation.addresses import AddressPolicy, AddressRefused
from federation.identity import LocalIdentity
from federation.store import Store, as_store, rows, timestamp, utcnow
from federation.vocabulary import ACTIVITY_JSON

# Waits after the 1st, 2nd, ... failure: 67.6 hours in all, then the job is given up.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=16),
    timedelta(hours=24),
)
MAX_TRIES = len(RETRY_DELAYS) + 1
# httpx's timeouts hold per step (connect, each read); the deadline bounds one attempt as a
# whole. Short, so a receiver that never answers costs its lane seconds, not minutes.
ATTEMPT_DEADLINE = 10.0
CONNECT_TIMEOUT = 5.0
# The jobs of one claim are sent at once, so each is recorded within its deadline of the
# claim: a live worker never loses its claim, and a dead one's jobs wait at most this long.
LEASE = timedelta(seconds=90)
# How many jobs `deliver_due` keeps in flight, and how often it looks for newly due jobs
# while some are.
SLOTS = 10
POLL = 0.2
# The longest wait between two tries of the short schedules (`quick_retries`).
QUICK_RETRY_CAP = timedelta(seconds=10)
RETRYABLE_4XX = frozenset({401, 408, 429})
MAX_RETRY_AFTER = timedelta(days=1)
USER_AGENT = "Bloei (+https://w3id.org/bloei)"

PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass(frozen=True)
class RetrySchedule:
    """The waits after the 1st, 2nd, ... failure (the last one repeats), and how many tries a
    job gets before it fails for good."""

    delays: tuple[timedelta, ...]
    max_tries: int

    def wait_after(self, tries: int) -> timedelta | None:
        """The wait after the `tries`-th failed try, or None: the job is given up."""
        if tries >= self.max_tries:
            return None
        return self.delays[min(tries, len(self.delays)) - 1]

    @property
    def span(self) -> timedelta:
        """How long a job that keeps failing is tried: from its first try to its last."""
        waits = (self.wait_after(tries) for tries in range(1, self.max_tries))
        return sum((wait for wait in waits if wait is not None), timedelta())


PROTOCOL_RETRIES = RetrySchedule(RETRY_DELAYS, MAX_TRIES)


def quick_retries(first: timedelta, cap: timedelta = QUICK_RETRY_CAP) -> RetrySchedule:
    """For the pilot and tests: wait `first`, doubling up to `cap`, and keep trying as long as
    the protocol's schedule does, so an outage of minutes (or days) still converges."""
    cap = max(cap, first)
    delays: list[timedelta] = []
    wait = first
    while wait < cap:
        delays.append(wait)
        wait *= 2
    delays.append(cap)
    left = PROTOCOL_RETRIES.span - sum(delays, timedelta())
    extra = max(0, math.ceil(left / cap))
    return RetrySchedule(tuple(delays), len(delays) + 1 + extra)


@dataclass(frozen=True)
class Job:
    """A claimed delivery: everything needed to send it, and the claim that owns it."""

    id: int
    activity_id: str
    inbox: str
    body: bytes
    tries: int
    claim_token: str


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: done, or an error that is retried or final."""

    ok: bool
    retry: bool = False
    status: int | None = None
    error: str = ""
    retry_after: timedelta | None = None


@dataclass(frozen=True)
class Report:
    """What one `process_next` call did."""

    claimed: int = 0
    done: int = 0
    retrying: int = 0
    failed: int = 0


# --- queueing (inside the caller's transaction) ------------------------------------------------


def encode(activity: Mapping[str, Any]) -> bytes:
    """The exact bytes that are sent and signed: compact UTF-8 JSON."""
    return json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def enqueue(
    conn: sqlite3.Connection,
    activity_id: str,
    body: bytes,
    inboxes: Iterable[str],
    now: datetime,
) -> int:
    """Queue `body` for every inbox (duplicates merged); returns how many jobs are new."""
    stamp = timestamp(now)
    added = 0
    for inbox in dict.fromkeys(inboxes):
        cursor = conn.execute(
            """INSERT OR IGNORE INTO federation_deliveries
                   (activity_id, inbox, body, next_try_at, created_at)
               VALUES (?, ?, ?, ?, ?)""",
            (activity_id, inbox, body, stamp, stamp),
        )
        added += cursor.rowcount
    return added


def replace_body(conn: sqlite3.Connection, activity_id: str, body: bytes) -> int:
    """Give every job of an activity a new body (a replaced version of it), whatever its
    state: a job still waiting sends the new version, and no old copy stays behind."""
    return conn.execute(
        "UPDATE federation_deliveries SET body = ? WHERE activity_id = ?", (body, activity_id)
    ).rowcount


def send(
    conn: sqlite3.Connection,
    identity: LocalIdentity,
    activity: Mapping[str, Any],
    inboxes: Iterable[str],
    now: datetime,
) -> dict[str, Any]:
    """Sign `activity` (integrity proof) and queue it for `inboxes`, outside the outbox.

    For what is addressed to someone rather than published: Follow, Accept, Reject, Undo, a
    gemeentebericht to one kern. Returns the signed activity.
    """
    signed = identity.sign(dict(activity), created=now)
    enqueue(conn, signed["id"], encode(signed), inboxes, now)
    return signed


# --- claiming and recording --------------------------------------------------------------------


def worker_name() -> str:
    """This process as its claims name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


# Due, not leased, the first of its inbox's due jobs, its inbox has nothing in flight and is
# not one the caller skips (a JSON list).
_CLAIMABLE = """
    SELECT id FROM (
        SELECT id, inbox, next_try_at,
               row_number() OVER (PARTITION BY inbox ORDER BY next_try_at, id) AS place
        FROM federation_deliveries
        WHERE status = 'pending' AND next_try_at <= :now
          AND (lease_until IS NULL OR lease_until <= :now))
    WHERE place = 1
      AND inbox NOT IN (
          SELECT inbox FROM federation_deliveries
          WHERE status = 'pending' AND lease_until > :now)
      AND inbox NOT IN (SELECT value FROM json_each(:skip))
    ORDER BY next_try_at, id LIMIT :limit"""


def claim(
    conn: sqlite3.Connection,
    now: datetime,
    limit: int = 20,
    lease: timedelta = LEASE,
    skip: Collection[str] = (),
) -> list[Job]:
    """Claim up to `limit` due jobs, one per idle inbox and none for an inbox in `skip`; call
    inside an IMMEDIATE transaction (see `claim_due`)."""
    token = f"{worker_name()} {secrets.token_hex(8)}"
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row  # named parameters, which `store.rows` does not take
    found = cursor.execute(
        f"""UPDATE federation_deliveries SET lease_until = :lease_until, claim_token = :token
            WHERE id IN ({_CLAIMABLE})
            RETURNING id, activity_id, inbox, body, tries, claim_token""",
        {
            "lease_until": timestamp(now + lease),
            "token": token,
            "now": timestamp(now),
            "limit": limit,
            "skip": json.dumps(sorted(skip)),
        },
    ).fetchall()
    jobs = [Job(**dict(r)) for r in found]
    jobs.sort(key=lambda job: job.id)
    return jobs


def has_claimable(conn: sqlite3.Connection, now: datetime, skip: Collection[str] = ()) -> bool:
    """Whether `claim` would find a job: a read, so a worker can look often without taking
    the write lock."""
    params = {"now": timestamp(now), "limit": 1, "skip": json.dumps(sorted(skip))}
    found = conn.execute(_CLAIMABLE, params).fetchone()
    return found is not None


def claim_due(
    db: Store | sqlite3.Connection,
    now: datetime,
    limit: int = 20,
    lease: timedelta = LEASE,
    skip: Collection[str] = (),
) -> list[Job]:
    """Claim due jobs in a transaction of their own, committed before anything is sent."""
    return as_store(db).write(claim, now, limit, lease, skip)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def release_dead_claims(conn: sqlite3.Connection, alive=_process_alive) -> int:
    """At a worker's start: release the leases that a process on this host holds and that is
    gone (killed mid-round), or that carry this process's own id (a restart that got the same
    id, as in a container): it has claimed nothing yet. Returns how many jobs were freed."""
    host, me = socket.gethostname(), os.getpid()
    freed = []
    for job_id, token in conn.execute(
        """SELECT id, claim_token FROM federation_deliveries
           WHERE status = 'pending' AND claim_token IS NOT NULL"""
    ):
        owner = token.rsplit(" ", 1)[0] if " " in token else ""
        owner_host, _sep, pid = owner.rpartition(":")
        if owner_host != host or not pid.isdigit():
            continue
        if int(pid) == me or not alive(int(pid)):
            freed.append(job_id)
    for job_id in freed:
        conn.execute(
            """UPDATE federation_deliveries SET lease_until = NULL, claim_token = NULL
               WHERE id = ?""",
            (job_id,),
        )
    return len(freed)


def record(
    conn: sqlite3.Connection,
    job: Job,
    outcome: Outcome,
    now: datetime,
    retries: RetrySchedule = PROTOCOL_RETRIES,
) -> str | None:
    """Save an attempt's outcome; returns the job's new status, or None when the claim was
    lost (the lease ran out and another worker took the job)."""
    tries = job.tries + 1
    delay = retries.wait_after(tries) if outcome.retry else None
    if outcome.ok:
        status, next_try = DONE, None
    elif delay is not None:
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER))
        status, next_try = PENDING, now + delay
    else:
        status, next_try = FAILED, None
    cursor = conn.execute(
        """UPDATE federation_deliveries
           SET status = ?, tries = ?, next_try_at = coalesce(?, next_try_at),
               lease_until = NULL, claim_token = NULL, last_status = ?, last_error = ?,
               finished_at = ?
           WHERE id = ? AND claim_token = ?""",
        (
            status,
            tries,
            timestamp(next_try) if next_try else None,
            outcome.status,
            outcome.error[:500],
            timestamp(now) if status != PENDING else None,
            job.id,
            job.claim_token,
        ),
    )
    return status if cursor.rowcount else None


# --- sending -----------------------------------------------------------------------------------


def classify(response: httpx.Response) -> Outcome:
    """Done, retry, or give up, from the receiver's answer."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status=code)
    error = f"HTTP {code}: {response.text[:200]}".strip()
    if 400 <= code < 500 and code not in RETRYABLE_4XX:
        return Outcome(ok=False, retry=False, status=code, error=error)
    return Outcome(
        ok=False, retry=True, status=code, error=error, retry_after=_retry_after(response)
    )


def held(outcome: Outcome) -> Outcome:
    """A refusal (403) made retryable: the receiver does not know the sender yet."""
    if outcome.status != 403:
        return outcome
    return Outcome(ok=False, retry=True, status=403, error=outcome.error)


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("retry-after", "")
    # Seconds in ASCII digits, within what a timedelta holds; anything else is ignored.
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    return timedelta(seconds=int(value))


async def attempt(
    job: Job,
    client: httpx.AsyncClient,
    auth: httpx.Auth,
    policy: AddressPolicy,
    deadline: float | None = None,
) -> Outcome:
    """POST one job's body to its inbox, signed by `auth`; never raises, and ends within
    `deadline` seconds (ATTEMPT_DEADLINE by default), a second knock of `auth` included."""
    deadline = deadline or ATTEMPT_DEADLINE
    try:
        async with asyncio.timeout(deadline):
            return await _post(job, client, auth, policy, deadline)
    except TimeoutError:
        return Outcome(ok=False, retry=True, error=f"no answer within {deadline:g} s")


async def _post(
    job: Job, client: httpx.AsyncClient, auth: httpx.Auth, policy: AddressPolicy, deadline: float
) -> Outcome:
    try:
        # The URL rules; the address rules apply where the client connects (see
        # federation.transport), to the very address it connects to.
        policy.check_url(job.inbox)
        response = await client.post(
            job.inbox,
            content=job.body,
            headers={
                "Content-Type": ACTIVITY_JSON,
                "Accept": ACTIVITY_JSON,
                "User-Agent": USER_AGENT,
            },
            auth=auth,
            timeout=httpx.Timeout(deadline, connect=min(CONNECT_TIMEOUT, deadline)),
            follow_redirects=False,
        )
    except AddressRefused as exc:
        return Outcome(ok=False, retry=False, error=f"refused: {exc.reason}")
    except httpx.HTTPError as exc:
        return Outcome(ok=False, retry=True, error=f"{type(exc).__name__}: {exc}"[:500])
    return classify(response)


@dataclass(frozen=True)
class Sender:
    """How a worker sends and records one claimed job; shared by `process_next` and
    `deliver_due`."""

    store: Store
    auth: httpx.Auth
    client: httpx.AsyncClient
    policy: AddressPolicy
    clock: Callable[[], datetime]
    retry_refusals_from: Container[str]
    retries: RetrySchedule
    deadline: float | None

    async def send(self, job: Job) -> str | None:
        outcome = await attempt(job, self.client, self.auth, self.policy, self.deadline)
        if job.inbox in self.retry_refusals_from:
            outcome = held(outcome)
        # Recorded at once: a worker killed later in the round leaves this job settled.
        return self.store.write(record, job, outcome, self.clock(), self.retries)


def _report(claimed: int, statuses: list[str | None]) -> Report:
    return Report(
        claimed=claimed,
        done=statuses.count(DONE),
        retrying=statuses.count(PENDING),
        failed=statuses.count(FAILED),
    )


async def process_next(
    db: Store | sqlite3.Connection,
    auth: httpx.Auth,
    client: httpx.AsyncClient,
    now: datetime | None = None,
    *,
    policy: AddressPolicy | None = None,
    limit: int = 20,
    lease: timedelta = LEASE,
    retry_refusals_from: Container[str] = frozenset(),
    retries: RetrySchedule = PROTOCOL_RETRIES,
    deadline: float | None = None,
) -> Report:
    """Claim one batch of due jobs, send them concurrently, record each outcome the moment it
    is known; returns what happened. (`deliver_due` keeps going until nothing is due.)

    `db` is the node's Database (or anything with `write(fn)`), or a bare autocommit
    connection; `auth` signs each request (`LocalIdentity.http_auth()`); `now` is when this
    round runs (tests pass it; the outcome times use it too); `retries` says when a failed job
    is tried again. A 403 from an inbox in `retry_refusals_from` is retried, not final: an
    actor that moved is refused by its followers until they have read its Move (see `held`).
    """
    target = as_store(db)
    now = now or utcnow()
    sender = Sender(
        target,
        auth,
        client,
        policy or AddressPolicy(),
        lambda: now,
        retry_refusals_from,
        retries,
        deadline,
    )
    jobs = claim_due(target, now, limit, lease)
    if not jobs:
        return Report()
    statuses = await asyncio.gather(*(sender.send(job) for job in jobs))
    return _report(len(jobs), list(statuses))


async def deliver_due(
    db: Store | sqlite3.Connection,
    auth: httpx.Auth,
    client: httpx.AsyncClient,
    now: datetime | None = None,
    *,
    policy: AddressPolicy | None = None,
    slots: int = SLOTS,
    lease: timedelta = LEASE,
    retry_refusals_from: Container[str] = frozenset(),
    retries: RetrySchedule = PROTOCOL_RETRIES,
    deadline: float | None = None,
    poll: float = POLL,
    before_claim: Callable[[datetime], object] | None = None,
) -> Report:
    """Send due jobs until none is due or in flight, with up to `slots` in flight at once.

    A job is claimed the moment a slot is free and it is due: when another job finished, or
    every `poll` seconds while jobs are in flight (a job queued meanwhile goes out at once, not
    after the slowest of the round). Claims stay lanes (`claim`): one job in flight per inbox,
    and an inbox whose delivery failed gets no more in this round.
    `now` fixes the time for tests; without it the clock runs. `before_claim(now)` runs before
    each look for due jobs (the kern publishes berichten that came due there). The other
    arguments are those of `process_next`.
    """
    target = as_store(db)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    sender = Sender(
        target,
        auth,
        client,
        policy or AddressPolicy(),
        clock,
        retry_refusals_from,
        retries,
        deadline,
    )
    in_flight: dict[asyncio.Task[str | None], Job] = {}
    statuses: list[str | None] = []
    # Inboxes whose delivery failed in this round (no answer, an error) rest until the next
    # round: a receiver that hangs costs each round one timeout, not one per job it has due,
    # and the round ends soon after the rest is sent.
    resting: set[str] = set()
    claimed = 0
    something_ended = True  # the first look claims at once, as `process_next` does
    try:
        while True:
            moment = clock()
            if before_claim is not None:
                before_claim(moment)
            free = slots - len(in_flight)
            # After a job ended another is likely due: claim at once. After a quiet poll, look
            # first with a read, which takes no write lock.
            if free > 0 and (something_ended or has_claimable(target.read(), moment, resting)):
                jobs = claim_due(target, moment, free, lease, resting)
                claimed += len(jobs)
                in_flight.update({asyncio.create_task(sender.send(job)): job for job in jobs})
            if not in_flight:
                return _report(claimed, statuses)
            finished, _pending = await asyncio.wait(
                in_flight, timeout=poll, return_when=asyncio.FIRST_COMPLETED
            )
            something_ended = bool(finished)
            for task in finished:
                job = in_flight.pop(task)
                status = task.result()
                statuses.append(status)
                if status == PENDING:
                    resting.add(job.inbox)
    finally:
        # Only after a failure (a full disk, say): the jobs in flight still record their
        # outcome before the round gives up.
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)


# --- for beheer --------------------------------------------------------------------------------


def queue_summary(conn: sqlite3.Connection) -> dict[str, int]:
    """How many jobs are pending, done and failed."""
    counts = {PENDING: 0, DONE: 0, FAILED: 0}
    for status, count in conn.execute(
        "SELECT status, count(*) FROM federation_deliveries GROUP BY status"
    ):
        counts[status] = count
    return counts


def list_jobs(
    conn: sqlite3.Connection, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Jobs for beheer, newest first, without their bodies."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    found = rows(
        conn,
        f"""SELECT id, activity_id, inbox, status, tries, next_try_at, last_status, last_error,
                   created_at, finished_at
            FROM federation_deliveries {where} ORDER BY id DESC LIMIT ?""",
        [*params, limit],
    )
    return [dict(r) for r in found]


def retry_now(conn: sqlite3.Connection, job_id: int, now: datetime) -> bool:
    """Make a pending or failed job due at once (a button in beheer)."""
    cursor = conn.execute(
        """UPDATE federation_deliveries SET status = 'pending', next_try_at = ?,
               finished_at = NULL, tries = CASE WHEN status = 'failed' THEN 0 ELSE tries END
           WHERE id = ? AND status != 'done'""",
        (timestamp(now), job_id),
    )
    return cursor.rowcount > 0


def prune(conn: sqlite3.Connection, finished_before: datetime) -> int:
    """Forget jobs that finished (done or failed) before a moment; returns how many."""
    cursor = conn.execute(
        "DELETE FROM federation_deliveries WHERE status != 'pending' AND finished_at < ?",
        (timestamp(finished_before),),
    )
    return cursor.rowcount
