"""`kill -9` under write load: every write the server acknowledged is there after a restart,
whole, with the signed activity that publishes it."""

from __future__ import annotations

import json

import pytest
from process_helpers import Node, running, wait_for
from reliability_helpers import ThemaWriters, slug_of

pytestmark = pytest.mark.processes

ROUNDS = 3


def test_no_acknowledged_write_is_lost_over_three_kill_9s(tmp_path):
    with running(Node(tmp_path / "beesd", "Beesd")) as (beesd,):
        acknowledged: list[str] = []
        for round_number in range(ROUNDS):
            with ThemaWriters(beesd, label=str(round_number)) as writers:
                wait_for(lambda w=writers: w.count() >= 15, 60, "writes to be acknowledged")
                # No warning, no shutdown: as a power cut or the OOM killer would.
                assert beesd.process is not None
                beesd.process.kill()
                beesd.process.wait(timeout=10)
            acknowledged += writers.acknowledged
            beesd.process = None
            beesd.launch()
            beesd.wait_until_up()

        stored = {title for (title,) in beesd.query("SELECT title FROM themas")}
        missing = [title for title in acknowledged if title not in stored]
        assert not missing, f"{len(missing)} acknowledged thema's lost, e.g. {missing[:3]}"
        assert len(acknowledged) >= ROUNDS * 15

        # Each stored thema was published in the same transaction: its Create is in the outbox.
        created = {
            json.loads(document)["object"]["id"]
            for (document,) in beesd.query(
                "SELECT document FROM federation_outbox WHERE type = 'Create'"
            )
        }
        unpublished = [
            title
            for title in stored
            if f"{beesd.url}/agenda/themas/{slug_of(title)}" not in created
        ]
        assert not unpublished
        assert beesd.query("PRAGMA integrity_check") == [("ok",)]
