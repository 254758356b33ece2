"""`bloei pilot` as a user runs it: three real servers, federating, stopped with Ctrl+C.

The pilot runs on free ports (tests/pilot_helpers.py), so the test does not collide with a
`make demo` that is running. Every wait is bounded.
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from federation import delivery
from node.pilot import PilotNode, _create
from node.remote_client import retry_schedule
from node.settings import load_settings
from tests.pilot_helpers import BLOEI, ROOT, Pilot, free_ports, gone, port_free

pytestmark = pytest.mark.processes


def follows(data: Path) -> int:
    path = data / "gemeente" / "bloei.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT count(*) FROM federation_following").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_pilot_runs_federates_stops_and_comes_back(tmp_path):
    data = tmp_path / "pilot-data"
    ports = free_ports(3)
    gemeente, beesd, heukelum = (f"http://127.0.0.1:{port}" for port in ports)

    pilot = Pilot(data, ports, fresh=True)
    try:
        # The pilot reports how long it took; the wait is only a limit for a loaded machine.
        assert pilot.wait_until_ready() > 0
        servers = pilot.servers()
        assert len(servers) == 3
        passwords = pilot.passwords()
        assert set(passwords) == {gemeente, beesd, heukelum}

        for url, name in ((gemeente, "Gemeente West Betuwe"), (beesd, "Beesd"), (heukelum, "Heukelum")):  # fmt: skip
            response = httpx.get(url + "/", timeout=10)
            assert response.status_code == 200
            assert name in response.text
        assert "Kerngroep Heukelum" in httpx.get(heukelum + "/", timeout=10).text
        # The aggregator shows what both kernen publish, brought by federation.
        projects = httpx.get(gemeente + "/projecten", timeout=10).text
        assert "AED dag en nacht bereikbaar" in projects
        assert "Veilige fietsoversteek bij de Lingedijk" in projects
        assert "Rietput" in httpx.get(heukelum + "/projecten", timeout=10).text
        # The gemeente's reactie reached Beesd's project page.
        project = httpx.get(beesd + "/projecten/veilig-oversteken-bij-de-basisschool", timeout=10)
        assert "Reactie van de gemeente" in project.text
        # The demo logins work without a password change first.
        with httpx.Client(base_url=heukelum, timeout=10) as http:
            login = {"username": "beheer", "password": passwords[heukelum]}
            response = http.post("/beheer/inloggen", data=login)
            assert response.status_code == 303
            assert response.headers["location"] != "/beheer/wachtwoord"
        for name in ("gemeente", "beesd", "heukelum"):
            assert (data / name / "demo-login.txt").stat().st_mode & 0o777 == 0o600

        assert pilot.interrupt() == 0
        assert "Pilot stopped." in pilot.rest()
        assert all(gone(pid) for pid in servers)
        assert all(port_free(port) for port in ports)
    finally:
        pilot.kill()

    # Again, without --fresh: the same nodes and logins, and no second follow; SIGTERM stops.
    assert follows(data) == 2
    again = Pilot(data, ports, fresh=False)
    try:
        again.wait_until_ready()
        assert again.passwords() == passwords
        assert follows(data) == 2
        projects = httpx.get(gemeente + "/projecten", timeout=10).text
        assert "Veilige fietsoversteek bij de Lingedijk" in projects
        servers = again.servers()
        assert len(servers) == 3
        assert again.interrupt(signal.SIGTERM) == 0
        assert all(gone(pid) for pid in servers)
    finally:
        again.kill()


def test_a_taken_port_is_one_clear_line(tmp_path):
    data = tmp_path / "pilot-data"
    ports = free_ports(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports[2]))
        taken.listen()
        port_args = ["--gemeente-port", str(ports[0]), "--beesd-port", str(ports[1])]
        done = subprocess.run(
            [BLOEI, "pilot", "--data", str(data), *port_args] + ["--heukelum-port", str(ports[2])],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode != 0
    assert done.stderr == f"bloei: port {ports[2]} on 127.0.0.1 is already in use\n"
    assert done.stdout == ""
    assert not data.exists()


def test_the_pilots_kernen_retry_a_push_with_backoff_as_long_as_production(tmp_path):
    # The pilot's quick retries must not give up a push during a gemeente outage of minutes
    gemeente = PilotNode("gemeente", "Gemeente", "gemeente", "gemeente", 8000, tmp_path / "g")
    beesd = PilotNode("beesd", "Beesd", "kern", "beesd", 8001, tmp_path / "beesd")
    _create(beesd, gemeente)
    schedule = retry_schedule(load_settings(beesd.folder))
    assert schedule.wait_after(1) == timedelta(seconds=2)
    assert schedule.wait_after(2) == timedelta(seconds=4)
    assert schedule.span >= delivery.PROTOCOL_RETRIES.span >= timedelta(hours=1)
