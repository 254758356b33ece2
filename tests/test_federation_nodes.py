"""Two real kern nodes on 127.0.0.1 follow each other, as two villages would.

Each node is made with `bloei init` and started with `bloei serve --dev` (development mode is
the only thing that allows plain http and loopback peers). Everything a person does goes
through beheer over HTTP; the test reads the nodes' databases only to see what arrived. Every
wait is bounded; failed deliveries are retried after one second (`delivery_retry_seconds`), so
nothing here sleeps long.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from process_helpers import Node, running, wait_for

from federation import delivery, proofs
from federation.keys import load_key_pair
from federation.signatures import sign_cavage

pytestmark = pytest.mark.processes


class Kern(Node):
    """A kern node with what these tests do on it: add a thema, read what it received."""

    def __init__(self, folder: Path, name: str):
        super().__init__(folder, name, BLOEI_DELIVERY_RETRY_SECONDS="1")

    def start(self) -> None:
        self.launch()
        self.wait_until_up()

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

    def received(self, object_id: str) -> dict | None:
        found = self.query(
            "SELECT name, deleted, actor_id FROM received_objects WHERE object_id = ?",
            (object_id,),
        )
        return dict(zip(("name", "deleted", "actor_id"), found[0], strict=True)) if found else None


@pytest.fixture
def nodes(tmp_path) -> Iterator[tuple[Kern, Kern]]:
    with running(Kern(tmp_path / "asperen", "Asperen"), Kern(tmp_path / "beesd", "Beesd")) as both:
        yield both


def signed_post(sender: Kern, receiver: Kern, activity: dict | bytes, now=None):
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
        30,
        "B to accept A's follow",
    )
    assert b.query("SELECT actor_id, state FROM federation_followers") == [(a.actor, "accepted")]

    # A change on B appears on A, pushed (how fast is bench/bench_slow_peer.py's job: a wait
    # here is only a limit for a machine under load).
    thema = b.add_thema("Verkeer in de Dorpsstraat")
    wait_for(lambda: a.received(thema), 30, "the thema to reach A")
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
    wait_for(lambda: a.received(missed), 30, "the retried delivery to reach A")

    # B replaces its keys while it runs; A keeps verifying what B sends.
    old_key = actor["publicKey"]["publicKeyPem"]
    rotate = b.bloei("keys", "rotate", "--data", str(b.folder))
    out, err = rotate.communicate(timeout=30)
    assert rotate.returncode == 0, err
    assert "Update of the actor goes to 1 followers" in out
    assert b.http.get("/actor").json()["publicKey"]["publicKeyPem"] != old_key
    after_rotation = b.add_thema("Groen na de sleutelwissel")
    wait_for(lambda: a.received(after_rotation), 30, "a change signed with the new key")
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
