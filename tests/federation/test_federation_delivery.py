"""The outgoing queue: signed POSTs, retries with growing delays, leases, restarts."""

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from federation_helpers import (
    NOW,
    PUBLIC_IP,
    PolicedMockTransport,
    RecordingNetwork,
    local_identity,
    open_store,
    resolver,
)

from federation import delivery, store
from federation.addresses import AddressPolicy
from federation.signatures import verify_request
from federation.transport import checked_client

INBOX = "https://gemeente.example/actor/inbox"
POLICY = AddressPolicy(resolver=resolver())


@pytest.fixture
def identity():
    return local_identity()


@pytest.fixture
def db(tmp_path):
    return open_store(tmp_path / "node.db")


def queue(db, identity, inboxes=(INBOX,), number=1):
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{identity.actor_id}/activities/{number}",
        "type": "Create",
        "actor": identity.actor_id,
        "object": {"id": "https://beesd.example/nieuws/1", "type": "Note"},
    }
    return db.write(delivery.send, identity, activity, list(inboxes), NOW)


def answering(*statuses, log=None, headers=None):
    """A transport that answers with `statuses` in turn (the last one repeats)."""
    answers = list(statuses)

    def handler(request):
        if log is not None:
            log.append(request)
        status = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status, text="nee" if status >= 400 else "", headers=headers or {})

    return httpx.MockTransport(handler)


def run(db, identity, transport, now=NOW, policy=POLICY):
    async def go():
        async with httpx.AsyncClient(transport=transport) as client:
            auth = identity.http_auth(clock=lambda: now)
            return await delivery.process_next(db, auth, client, now, policy=policy)

    return asyncio.run(go())


def job(db):
    return dict(store.row(db.conn, "SELECT * FROM federation_deliveries"))


def test_a_delivery_is_a_signed_post_and_success_marks_it_done(db, identity):
    signed = queue(db, identity)
    log = []
    report = run(db, identity, answering(202, log=log))
    assert report == delivery.Report(claimed=1, done=1)
    [request] = log
    assert request.method == "POST" and str(request.url) == INBOX
    assert request.headers["content-type"] == "application/activity+json"
    assert request.content == delivery.encode(signed)
    verified = verify_request(
        "POST",
        request.url.raw_path.decode(),
        request.headers,
        request.content,
        lambda key_id: identity.keys.rsa.public_key() if key_id == identity.main_key_id else None,
        now=NOW,
    )
    assert verified.covered == ("(request-target)", "host", "date", "digest")
    row = job(db)
    assert row["status"] == "done" and row["tries"] == 1 and row["last_status"] == 202
    assert run(db, identity, answering(202, log=log)) == delivery.Report()  # nothing left
    assert len(log) == 1


def test_a_server_error_is_retried_with_growing_delays_then_given_up(db, identity):
    queue(db, identity)
    now, waits = NOW, []
    for _ in range(delivery.MAX_TRIES):
        assert run(db, identity, answering(500), now=now).claimed == 1
        row = job(db)
        if row["status"] != "pending":
            break
        assert run(db, identity, answering(500), now=now).claimed == 0  # not due yet
        next_try = store.parse_timestamp(row["next_try_at"])
        waits.append(next_try - now)
        now = next_try
    assert waits == list(delivery.RETRY_DELAYS)
    assert all(a < b for a, b in zip(waits, waits[1:], strict=False))
    assert timedelta(days=2.5) < sum(waits, timedelta()) < timedelta(days=3.5)
    row = job(db)
    assert row["status"] == "failed" and row["tries"] == delivery.MAX_TRIES
    assert row["last_error"].startswith("HTTP 500")


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_other_client_errors_are_not_retried(db, identity, status):
    queue(db, identity)
    report = run(db, identity, answering(status))
    assert report.failed == 1
    row = job(db)
    assert row["status"] == "failed" and row["last_status"] == status
    assert row["last_error"] == f"HTTP {status}: nee"


@pytest.mark.parametrize("status", [401, 408, 429, 502, 503])
def test_unauthorized_timeout_and_too_many_requests_are_retried(db, identity, status):
    queue(db, identity)
    assert run(db, identity, answering(status)).retrying == 1
    row = job(db)
    assert row["status"] == "pending" and row["tries"] == 1 and row["lease_until"] is None
    assert run(db, identity, answering(202), now=NOW + timedelta(minutes=1)).done == 1


def test_retry_after_stretches_the_wait(db, identity):
    queue(db, identity)
    run(db, identity, answering(429, headers={"Retry-After": "3600"}))
    assert store.parse_timestamp(job(db)["next_try_at"]) == NOW + timedelta(hours=1)


def test_network_errors_are_retried(db, identity):
    queue(db, identity)
    report = run(db, identity, answering(httpx.ConnectError("refused")))
    assert report.retrying == 1 and "ConnectError" in job(db)["last_error"]


def test_an_inbox_on_a_private_address_is_refused_unless_in_development_mode(db, identity):
    queue(db, identity, inboxes=["https://intern.example/inbox"])
    log = []
    private = AddressPolicy(resolver=resolver({"intern.example": ["10.0.0.5"]}))
    transport = PolicedMockTransport(answering(202, log=log).handler, private)
    assert run(db, identity, transport, policy=private).failed == 1
    assert log == [] and job(db)["last_error"].startswith("refused")
    queue(db, identity, inboxes=["http://127.0.0.1:8002/inbox"], number=2)
    dev = AddressPolicy(dev=True)
    assert run(db, identity, answering(202, log=log), policy=dev).done == 1


def test_a_lease_keeps_two_workers_from_sending_the_same_job(tmp_path, identity):
    path = tmp_path / "node.db"
    db = open_store(path)
    inboxes = [f"https://k{n}.example/inbox" for n in range(40)]
    queue(db, identity, inboxes=inboxes)
    sent = Counter()
    lock = threading.Lock()

    def handler(request):
        time.sleep(0.005)  # long enough for the other worker to try the same jobs
        with lock:
            sent[str(request.url)] += 1
        return httpx.Response(202)

    def worker():
        own = store.ConnectionStore(store.open_connection(str(path)))

        async def go():
            async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
                while (
                    await delivery.process_next(
                        own, identity.http_auth(), client, NOW, policy=POLICY, limit=3
                    )
                ).claimed:
                    pass

        asyncio.run(go())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sent == Counter({inbox: 1 for inbox in inboxes})
    assert delivery.queue_summary(db.conn)["done"] == 40


def test_a_job_survives_a_restart_and_a_crashed_workers_lease_runs_out(tmp_path, identity):
    path = tmp_path / "node.db"
    first = open_store(path)
    queue(first, identity)
    [claimed] = delivery.claim_due(first, NOW)  # the worker claims, then the process dies
    first.conn.close()

    again = store.ConnectionStore(store.open_connection(str(path)))  # a new process
    assert run(again, identity, answering(202), now=NOW + timedelta(minutes=1)).claimed == 0
    later = NOW + delivery.LEASE + timedelta(seconds=1)
    assert run(again, identity, answering(202), now=later).done == 1
    # The dead worker's late report is ignored: its claim is no longer current.
    assert (
        again.write(delivery.record, claimed, delivery.Outcome(ok=False, retry=True), later) is None
    )
    assert job(again)["status"] == "done"


def test_beheer_sees_the_queue_and_can_retry_a_failed_job(db, identity):
    queue(db, identity)
    run(db, identity, answering(404))
    assert delivery.queue_summary(db.conn) == {"pending": 0, "done": 0, "failed": 1}
    [listed] = delivery.list_jobs(db.conn, "failed")
    assert listed["inbox"] == INBOX and "body" not in listed
    assert db.write(delivery.retry_now, listed["id"], NOW)
    assert run(db, identity, answering(202)).done == 1
    assert db.write(delivery.prune, NOW + timedelta(seconds=1)) == 1


def test_an_inbox_is_queued_once_per_activity(db, identity):
    queue(db, identity, inboxes=[INBOX, INBOX])
    queue(db, identity, inboxes=[INBOX])
    assert delivery.queue_summary(db.conn)["pending"] == 1
    assert PUBLIC_IP  # resolution goes through the injected resolver, never DNS


def test_each_outcome_is_recorded_the_moment_it_is_known(db, identity):
    # Given two inboxes: one answers at once, the other keeps the worker waiting
    slow = "https://traag.example/inbox"
    queue(db, identity, inboxes=[INBOX, slow])
    seen: dict[str, str] = {}

    async def go():
        answered = asyncio.Event()

        async def handler(request):
            if str(request.url) == slow:
                await answered.wait()
                # While the slow inbox keeps us waiting, the quick one is already settled
                for inbox, status, lease_until in db.conn.execute(
                    "SELECT inbox, status, lease_until FROM federation_deliveries"
                ):
                    seen[inbox] = "leased" if lease_until else status
                return httpx.Response(202)
            return httpx.Response(202)

        async def watch():
            # Until the quick job's row is no longer leased (bounded: if it never is, the
            # slow inbox answers anyway and the assertion below tells)
            deadline = time.monotonic() + 10
            while (
                time.monotonic() < deadline
                and (
                    db.conn.execute(
                        "SELECT lease_until FROM federation_deliveries WHERE inbox = ?", (INBOX,)
                    ).fetchone()[0]
                )
            ):
                await asyncio.sleep(0.001)
            answered.set()

        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            watcher = asyncio.create_task(watch())
            auth = identity.http_auth(clock=lambda: NOW)
            report = await asyncio.wait_for(
                delivery.process_next(db, auth, client, NOW, policy=POLICY), 30
            )
            await watcher
            return report

    assert asyncio.run(go()).done == 2
    assert seen == {INBOX: "done", slow: "leased"}


def test_a_lease_is_short_and_outlasts_every_attempt():
    # A dead worker on another host holds its jobs for at most a lease
    lease = delivery.LEASE
    assert lease <= timedelta(minutes=2)
    assert lease > timedelta(seconds=delivery.ATTEMPT_DEADLINE)


def test_an_attempt_that_hangs_ends_within_its_deadline(db, identity, monkeypatch):
    # A receiver that never answers (httpx's timeouts are per step, so a slow drip could
    # keep a request going for ever) is cut off, and the job waits for its next try.
    monkeypatch.setattr(delivery, "ATTEMPT_DEADLINE", 0.05)
    queue(db, identity)

    async def never(request):
        await asyncio.Event().wait()

    report = run(db, identity, httpx.MockTransport(never))
    assert report.retrying == 1
    row = job(db)
    assert row["status"] == "pending" and row["lease_until"] is None
    assert "no answer within" in row["last_error"]


CLAIM_AND_DIE = """
import os, signal, sys
from datetime import datetime
from federation import delivery, store
db = store.ConnectionStore(store.open_connection(sys.argv[1]))
jobs = delivery.claim_due(db, datetime.fromisoformat(sys.argv[2]), limit=int(sys.argv[3]))
print(len(jobs), flush=True)
if sys.argv[4] == "die":
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-round: claimed, nothing sent or recorded
sys.stdin.read()  # a live worker: stays until the test closes its stdin
"""


def claim_in_a_process(path, count: int, die: bool) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_DIE, str(path), NOW.isoformat(), str(count)]
        + ["die" if die else "live"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert worker.stdout.readline().strip() == str(count)
    return worker


def test_a_killed_workers_claims_are_released_at_the_next_start(tmp_path, identity):
    path = tmp_path / "node.db"
    db = open_store(path)
    queue(db, identity, inboxes=[f"https://k{n}.example/inbox" for n in range(5)])
    # One worker process is killed -9 right after claiming three jobs; another claims two and
    # is still running
    killed = claim_in_a_process(path, 3, die=True)
    killed.communicate(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    live = claim_in_a_process(path, 2, die=False)
    try:
        # The next worker to start frees the dead one's claims at once, not the live one's
        assert db.write(delivery.release_dead_claims) == 3
        report = run(db, identity, answering(202))
        assert (report.claimed, report.done) == (3, 3)
        assert delivery.queue_summary(db.conn) == {"pending": 2, "done": 3, "failed": 0}
    finally:
        live.communicate(timeout=30)  # closes its stdin, so it ends


def test_short_retries_back_off_and_keep_trying_as_long_as_the_protocol():
    schedule = delivery.quick_retries(timedelta(seconds=2))
    waits = [schedule.wait_after(tries) for tries in range(1, 8)]
    assert [w.total_seconds() for w in waits] == [2, 4, 8, 10, 10, 10, 10]
    assert schedule.span >= delivery.PROTOCOL_RETRIES.span >= timedelta(hours=1)
    assert schedule.wait_after(schedule.max_tries) is None
    assert delivery.PROTOCOL_RETRIES.wait_after(delivery.MAX_TRIES) is None


def test_a_delivery_connects_to_the_address_it_checked_not_a_second_lookup(db, identity):
    # A DNS server that answers a public address first and 127.0.0.1 after (DNS rebinding)
    lookups = []

    async def rebinding(host, port):
        lookups.append(host)
        return [PUBLIC_IP] if len(lookups) == 1 else ["127.0.0.1"]

    policy = AddressPolicy(resolver=rebinding)
    network = RecordingNetwork(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    queue(db, identity)

    async def go():
        async with checked_client(lambda: policy, backend=network) as client:
            auth = identity.http_auth(clock=lambda: NOW)
            return await delivery.process_next(db, auth, client, NOW, policy=policy)

    assert asyncio.run(go()).done == 1
    # One lookup, and the connection went to the address it gave and that was checked
    assert lookups == ["gemeente.example"]
    assert network.connected == [(PUBLIC_IP, 443)]
