"""`bloei pilot` in a process of its own, for the tests that run the pilot as a user does:
on free ports of 127.0.0.1 (hidden --gemeente-port/--beesd-port/--heukelum-port), so a test
never collides with a `make demo` that is running. Every wait is bounded.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 90.0
# The installed command, as `make demo` runs it.
BLOEI = str(Path(sys.executable).parent / "bloei")
PASSWORD_RE = re.compile(r"(http://\S+)/beheer\s+user beheer, password (\S+)")


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Pilot:
    """`bloei pilot` in a process of its own, its output read line by line.

    `env` adds BLOEI_* variables for the pilot; its three servers inherit them, as a host's
    settings from the environment (docs/settings.md)."""

    def __init__(
        self, data: Path, ports: list[int], fresh: bool, env: Mapping[str, str] | None = None
    ):
        port_args = []
        for name, port in zip(("gemeente", "beesd", "heukelum"), ports, strict=True):
            port_args += [f"--{name}-port", str(port)]
        argv = [BLOEI, "pilot", "--data", str(data), *port_args]
        self.process = subprocess.Popen(
            argv + (["--fresh"] if fresh else []),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **env} if env else None,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_until_ready(self) -> float:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "the pilot was not ready in time:\n" + "".join(self.output)
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, "the pilot ended early:\n" + "".join(self.output)
            self.output.append(line)
            found = re.search(r"Pilot ready in ([\d.]+) s", line)
            if found:
                return float(found.group(1))

    def rest(self) -> str:
        """All output up to the end, once the pilot has ended."""
        while (line := self.lines.get(timeout=10)) is not None:
            self.output.append(line)
        return "".join(self.output)

    def passwords(self) -> dict[str, str]:
        return dict(PASSWORD_RE.findall("".join(self.output)))

    def servers(self) -> list[int]:
        """The pilot's child processes (the three servers), from /proc."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                children.append(int(entry.name))
        return children

    def interrupt(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        # The reader ends at the end of the output; then the pipe is closed, not left to the GC.
        self.reader.join(timeout=10)
        if not self.reader.is_alive():
            self.process.stdout.close()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
