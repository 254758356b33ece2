"""Inboxes on 127.0.0.1 for delivery tests: one that answers at once, one that takes the
connection and never answers (until told to), each in a thread of its own."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


# What a server answers a request with: a status and a body.
Answer = Callable[[Received], tuple[int, bytes]]


class FastInbox:
    """Answers every request at once, with 202 (or what `answer` says), and keeps what came: a
    POST's activity when it was taken, and every request. A GET that is answered 200 gets a
    small JSON document."""

    def __init__(self, answer: Answer | None = None):
        self.received: list[dict] = []
        self.requests: list[Received] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

            def do_GET(self) -> None:
                self._answer(b"")

            def _answer(self, body: bytes) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                request = Received(self.command, self.path, headers, body)
                inbox.requests.append(request)
                status, text = answer(request) if answer else (202, b"")
                if self.command == "POST" and status < 300:
                    inbox.received.append(json.loads(body))
                if self.command == "GET" and status == 200:
                    text = json.dumps({"id": inbox.url, "type": "Note"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/inbox"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def ids(self) -> list[str]:
        return [activity["id"] for activity in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HangingInbox:
    """Accepts connections and reads requests, but answers nothing until `release()`: then the
    connections it holds are closed unanswered, and later requests get a 202."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/inbox"
        self.held: list[socket.socket] = []
        self.requests = 0
        self.answered = 0
        self.released = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            data = conn.recv(65536)
        except OSError:
            conn.close()
            return
        with self._lock:
            if data:
                self.requests += 1
            if not self.released.is_set():
                self.held.append(conn)  # never answered
                return
            self.answered += 1
        _read_rest(conn, data)
        conn.sendall(ANSWER)
        conn.close()

    def release(self) -> None:
        with self._lock:
            self.released.set()
            for conn in self.held:
                conn.close()
            self.held.clear()

    def close(self) -> None:
        self.release()
        self.listener.close()


def _read_rest(conn: socket.socket, data: bytes) -> None:
    head, _sep, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk
