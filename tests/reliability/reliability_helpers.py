"""What the reliability tests share: beheer writes from several threads, and what a running
server process holds open, read from /proc as a host's monitoring would."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import httpx
from process_helpers import Node

THEMA = {
    "description": "Besproken op de dorpsavond.",
    "priority": "middel",
    "status": "nieuw",
    "actor": "inwoners",
    "actor_other": "",
}


def slug_of(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class ThemaWriters:
    """Threads that add thema's through beheer until stopped, noting each acknowledged one.

    Acknowledged means the server answered 303 (saved, go on): that is the promise a person
    relies on, so that is what must survive whatever happens to the process afterwards.
    """

    def __init__(self, node: Node, label: str, threads: int = 4):
        self.node = node
        self.label = label
        self.acknowledged: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(threads)
        ]

    def __enter__(self) -> ThemaWriters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def _write(self, number: int) -> None:
        assert self.node.http is not None
        with httpx.Client(
            base_url=self.node.url, cookies=self.node.http.cookies, timeout=10
        ) as http:
            sent = 0
            while not self._stop.is_set():
                title = f"Thema {self.label} {number} {sent}"
                sent += 1
                try:
                    response = http.post(
                        "/beheer/themas/nieuw",
                        data={**THEMA, "title": title, "csrf": self.node.csrf},
                    )
                except httpx.TransportError:
                    return  # the server is gone: what was not answered was not promised
                if response.status_code == 303:
                    with self._lock:
                        self.acknowledged.append(title)


def database_descriptors(pid: int, folder: Path) -> int:
    """How many of a process's open files are its database (the file, its WAL and -shm)."""
    count = 0
    fd_dir = Path(f"/proc/{pid}/fd")
    for entry in os.listdir(fd_dir):
        try:
            target = os.readlink(fd_dir / entry)
        except OSError:
            continue  # closed between listing and reading
        if target.startswith(str(folder / "bloei.db")):
            count += 1
    return count


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")
