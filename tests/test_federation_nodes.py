"""Two real kern nodes on 127.0.0.1 follow each other, as two villages would.

Each node is made with `bloei init` and started with `bloei serve --dev` (development mode is
the only thing that allows plain http and loopback peers). Everything a person does goes
through beheer over HTTP; the test reads the nodes' databases only to see what arrived. Every
wait is bounded; failed deliveries are retried after one second (`delivery_retry_seconds`), so
nothing here sleeps long.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from federation import delivery, proofs
from federation.keys import load_key_pair
from federation.signatures import sign_cavage

pytestmark = pytest.mark.processes
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "een-lang-wachtwoord-voor-de-test"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
START_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)


class Node:
    """One kern: its data folder, its server process, and a beheerder's HTTP session."""

    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.name = name
        self.slug = name.lower()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.http: httpx.Client | None = None
        self.csrf = ""
        self.env = {**os.environ, "BLOEI_DELIVERY_RETRY_SECONDS": "1"}

    @property
    def actor(self) -> str:
        return f"{self.url}/actor"

    def bloei(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "node.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )

    def init(self) -> subprocess.Popen:
        return self.bloei(
            "init",
            "--name",
            self.name,
            "--url",
            self.url,
            "--port",
            str(self.port),
            "--data",
            str(self.folder),
        )

    def start(self) -> None:
        self.launch()
        self.wait_until_up()

    def launch(self) -> None:
        log = (self.folder.parent / f"{self.slug}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "node.cli", "serve", "--dev", "--data", str(self.folder)],
            stdout=log,
            stderr=log,
            env=self.env,
            cwd=ROOT,
        )
        log.close()

    def wait_until_up(self) -> None:
        def up() -> bool:
            assert self.process.poll() is None, self.log()
            try:
                return httpx.get(f"{self.url}/nodeinfo/2.1", timeout=0.5).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, START_TIMEOUT, f"{self.name} to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def log(self) -> str:
        path = self.folder.parent / f"{self.slug}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def sign_in(self, one_time_password: str) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10)
        login = {"username": "beheerder", "password": one_time_password}
        response = self.http.post("/beheer/inloggen", data=login)
        assert response.headers["location"] == "/beheer/wachtwoord", response.text
        token = CSRF_RE.search(self.http.get("/beheer/wachtwoord").text).group(1)
        change = {"current": one_time_password, "new": PASSWORD, "repeat": PASSWORD}
        response = self.http.post("/beheer/wachtwoord", data={**change, "csrf": token})
        assert response.status_code == 303, response.text
        self.csrf = CSRF_RE.search(self.http.get("/beheer/federatie").text).group(1)

    def post(self, path: str, **fields: str) -> httpx.Response:
        assert self.http is not None
        return self.http.post(path, data={**fields, "csrf": self.csrf})

    def add_thema(self, title: str) -> str:
        response = self.post(
            "/beheer/themas/nieuw",
            title=title,
            description="Besproken op de dorpsavond.",
            priority="middel",
            status="nieuw",
            actor="inwoners",
            actor_other="",
        )
        assert response.status_code == 303, response.text
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        return f"{self.url}/agenda/themas/{slug}"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.folder / 'bloei.db'}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def received(self, object_id: str) -> dict | None:
        found = self.query(
            "SELECT name, deleted, actor_id FROM received_objects WHERE object_id = ?",
            (object_id,),
        )
        return dict(zip(("name", "deleted", "actor_id"), found[0], strict=True)) if found else None


@pytest.fixture
def nodes(tmp_path) -> Iterator[tuple[Node, Node]]:
    a, b = Node(tmp_path / "asperen", "Asperen"), Node(tmp_path / "beesd", "Beesd")
    inits = [a.init(), b.init()]
    passwords = []
    for init in inits:
        out, err = init.communicate(timeout=60)
        assert init.returncode == 0, err
        passwords.append(re.search(r"One-time password: (\S+)", out).group(1))
    try:
        a.launch()
        b.launch()
        a.wait_until_up()
        b.wait_until_up()
        a.sign_in(passwords[0])
        b.sign_in(passwords[1])
        yield a, b
    finally:
        for node in (a, b):
            node.stop()
            if node.http is not None:
                node.http.close()


def signed_post(sender: Node, receiver: Node, activity: dict | bytes, now=None):
    """A POST to `receiver`'s inbox signed with `sender`'s key, read from its data folder."""
    keys = load_key_pair(sender.folder / "keys")
    body = activity if isinstance(activity, bytes) else delivery.encode(activity)
    url = f"{receiver.url}/actor/inbox"
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_cavage(
            "POST",
            url,
            f"{sender.actor}#main-key",
            keys.rsa,
            body=body,
            headers=headers,
            now=now or datetime.now(UTC),
        )
    )
    return url, headers, body


def test_two_kernen_follow_each_other_and_stay_in_step(nodes):
    a, b = nodes

    # A follows B through its beheer, the way a person does; B accepts on its own.
    response = a.post("/beheer/federatie/volgen", address=f"@beesd@127.0.0.1:{b.port}")
    assert response.status_code == 303, response.text
    wait_for(
        lambda: a.query("SELECT state FROM federation_following") == [("accepted",)],
        5,
        "B to accept A's follow",
    )
    assert b.query("SELECT actor_id, state FROM federation_followers") == [(a.actor, "accepted")]

    # A change on B appears on A within a second.
    started = time.monotonic()
    thema = b.add_thema("Verkeer in de Dorpsstraat")
    wait_for(lambda: a.received(thema), 1.0, "the thema to reach A")
    assert time.monotonic() - started < 1.0
    assert a.received(thema) == {
        "name": "Verkeer in de Dorpsstraat",
        "deleted": 0,
        "actor_id": b.actor,
    }

    # A is down while B changes: B retries, and the change arrives once A is back.
    position = b.http.get("/actor/outbox").json()["lastPosition"]
    a.stop()
    missed = b.add_thema("Wonen voor ouderen")
    wait_for(
        lambda: b.query(
            "SELECT 1 FROM federation_deliveries WHERE tries > 0 AND status = 'pending'"
        ),
        5,
        "B's first attempt to fail",
    )
    # Catching up from the outbox gives exactly what A missed, each with a valid proof.
    caught_up = b.http.get(f"/actor/outbox?after={position}").json()
    published = b.query(
        "SELECT activity_id FROM federation_outbox WHERE position > ? ORDER BY position",
        (position,),
    )
    assert [item["id"] for item in caught_up["orderedItems"]] == [row[0] for row in published]
    assert [item["object"]["id"] for item in caught_up["orderedItems"]] == [missed]
    actor = b.http.get("/actor").json()
    keys = {m["id"]: m["publicKeyMultibase"] for m in actor["assertionMethod"]}
    for item in caught_up["orderedItems"]:
        proofs.verify_document(item, keys.get)
    a.start()
    wait_for(lambda: a.received(missed), 5, "the retried delivery to reach A")

    # B replaces its keys while it runs; A keeps verifying what B sends.
    old_key = actor["publicKey"]["publicKeyPem"]
    rotate = b.bloei("keys", "rotate", "--data", str(b.folder))
    out, err = rotate.communicate(timeout=30)
    assert rotate.returncode == 0, err
    assert "Update of the actor goes to 1 followers" in out
    assert b.http.get("/actor").json()["publicKey"]["publicKeyPem"] != old_key
    after_rotation = b.add_thema("Groen na de sleutelwissel")
    wait_for(lambda: a.received(after_rotation), 5, "a change signed with the new key")
    new_pem = b.http.get("/actor").json()["publicKey"]["publicKeyPem"]
    stored = a.query(
        "SELECT public_key FROM federation_remote_keys WHERE key_id = ?", (f"{b.actor}#main-key",)
    )
    assert stored == [(new_pem,)], "A took B's new key from the Update or a refetch"

    # A replayed request is ignored, a tampered or stale one refused.
    object_id = f"{b.url}/agenda/themas/herhaald"

    def activity(kind: str, name: str, number: int) -> dict:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{b.actor}/activities/test-{number}",
            "type": kind,
            "actor": b.actor,
            "object": {"id": object_id, "type": ["Page", "Thema"], "name": name},
        }

    url, headers, body = signed_post(b, a, activity("Create", "Eerste versie", 1))
    assert httpx.post(url, content=body, headers=headers).status_code == 202
    _, update_headers, update_body = signed_post(b, a, activity("Update", "Tweede versie", 2))
    assert httpx.post(url, content=update_body, headers=update_headers).status_code == 202
    replay = httpx.post(url, content=body, headers=headers)
    assert replay.status_code == 202
    assert a.received(object_id)["name"] == "Tweede versie", "the replay was not applied"
    tampered = httpx.post(url, content=body.replace(b"Eerste", b"Derde!"), headers=headers)
    assert tampered.status_code == 401 and tampered.json()["detail"] == "tampered"
    stale_time = datetime.now(UTC) - timedelta(hours=2)
    _, stale_headers, stale_body = signed_post(b, a, activity("Create", "Oud", 3), stale_time)
    stale = httpx.post(url, content=stale_body, headers=stale_headers)
    assert stale.status_code == 401 and stale.json()["detail"] == "stale"
    assert a.received(object_id)["name"] == "Tweede versie"

    # A's beheer shows what came in from B.
    page = a.http.get("/beheer/federatie").text
    assert "Groen na de sleutelwissel" in page and "Beesd" in page
    assert json.loads(json.dumps(a.query("SELECT count(*) FROM received_objects")))[0][0] == 4
