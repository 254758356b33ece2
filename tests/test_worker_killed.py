"""A `bloei worker` killed -9 in the middle of a delivery round: the next worker that starts
sends what the dead one had claimed at once, not when its leases run out."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from process_helpers import Node, wait_for

from federation import delivery, store

pytestmark = pytest.mark.processes


class Inbox(ThreadingHTTPServer):
    """An inbox on 127.0.0.1 that keeps every POST waiting until `answer` is set."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), InboxHandler)
        self.answer = threading.Event()
        self.lock = threading.Lock()
        self.received = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/inbox"


class InboxHandler(BaseHTTPRequestHandler):
    server: Inbox

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.received += 1
        if not self.server.answer.wait(timeout=60):
            return  # the test is over; just hang up
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def deliveries(node: Node) -> list[tuple]:
    return node.query("SELECT status, lease_until, finished_at FROM federation_deliveries")


def all_done(node: Node) -> list[tuple] | None:
    rows = deliveries(node)
    return rows if rows and all(status == "done" for status, _, _ in rows) else None


def test_a_killed_workers_deliveries_go_out_when_the_next_worker_starts(tmp_path):
    inbox = Inbox()
    threading.Thread(target=inbox.serve_forever, daemon=True).start()
    node = Node(tmp_path / "beesd", "Beesd", BLOEI_DEV="true")
    workers = []
    try:
        init = node.init()
        init.communicate(timeout=60)
        assert init.returncode == 0
        # Three deliveries wait for three inboxes on 127.0.0.1 (development mode allows it;
        # one inbox would get them one at a time)
        conn = store.open_connection(str(node.folder / "bloei.db"))
        with conn:
            for number in range(3):
                activity = {"id": f"{node.actor}#test/{number}", "type": "Create"}
                body = delivery.encode(activity)
                inboxes = [f"{inbox.url}/{number}"]
                delivery.enqueue(conn, activity["id"], body, inboxes, datetime.now(UTC))
        conn.close()

        # A worker claims them, sends them, and is killed -9 while the inbox keeps it waiting
        first = node.bloei("worker", "--data", str(node.folder))
        workers.append(first)
        wait_for(lambda: inbox.received == 3, 60, "the first worker's three POSTs")
        claimed = deliveries(node)
        assert all(status == "pending" and lease for status, lease, _ in claimed), claimed
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        dead_lease = min(lease for _, lease, _ in claimed)

        # The inbox answers again, and a new worker starts
        inbox.answer.set()
        second = node.bloei("worker", "--data", str(node.folder))
        workers.append(second)
        done = wait_for(lambda: all_done(node), 120, "the three deliveries to be done")
        # Sent by the new worker before the dead worker's claims would have run out
        assert all(finished < dead_lease for _, _, finished in done), (done, dead_lease)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
            worker.communicate(timeout=30)  # waits, and closes its pipes
        inbox.answer.set()
        inbox.shutdown()
        inbox.server_close()
