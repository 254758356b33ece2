"""The gemeente is down while a kern keeps working; after it comes back, everything the kern
published arrives, each item once, and the gemeente's pages say so."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from process_helpers import Node, running, wait_for
from reliability_helpers import THEMA

pytestmark = pytest.mark.processes

WHILE_DOWN = 5


@pytest.fixture
def gemeente_and_beesd(tmp_path) -> Iterator[tuple[Node, Node]]:
    # The gemeente's own pull is slow here on purpose (an hour), so what arrives after the
    # outage comes from the kern's retried deliveries, not from a catch-up read.
    gemeente = Node(
        tmp_path / "gemeente", "Gemeente", role="gemeente", BLOEI_PULL_INTERVAL_SECONDS="3600"
    )
    beesd = Node(
        tmp_path / "beesd",
        "Beesd",
        BLOEI_GEMEENTE_ACTOR=gemeente.actor,
        BLOEI_DELIVERY_RETRY_SECONDS="1",
    )
    with running(gemeente, beesd) as nodes:
        yield nodes


def test_an_outage_of_the_gemeente_converges_once_it_is_back(gemeente_and_beesd):
    gemeente, beesd = gemeente_and_beesd
    response = gemeente.post(
        "/beheer/kernen", address=f"@{beesd.slug}@127.0.0.1:{beesd.port}", rollout="pilot"
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: gemeente.query("SELECT state FROM federation_following") == [("accepted",)],
        15,
        "Beesd to accept the gemeente's follow",
    )

    gemeente.stop()
    titles = [f"Thema tijdens de storing {n}" for n in range(WHILE_DOWN)]
    for title in titles:
        response = beesd.post("/beheer/themas/nieuw", **THEMA, title=title)
        assert response.status_code == 303, response.text
    # Beesd tries, fails and keeps the deliveries for a later try.
    wait_for(
        lambda: (
            beesd.query(
                "SELECT count(*) FROM federation_deliveries WHERE tries > 0 AND inbox LIKE ?",
                (f"{gemeente.url}%",),
            )[0][0]
            >= 1
        ),
        20,
        "Beesd to notice the gemeente is down",
    )

    gemeente.launch()
    gemeente.wait_until_up()
    wait_for(
        lambda: (
            sorted(name for (name,) in gemeente.query("SELECT name FROM gemeente_themas")) == titles
        ),
        60,
        "every thema made during the outage to reach the gemeente",
    )
    # Exactly once: one activity row per Create, whichever way it came.
    creates = gemeente.query(
        "SELECT object_id, count(*) FROM gemeente_activities WHERE type = 'Create' "
        "GROUP BY object_id"
    )
    assert len(creates) == WHILE_DOWN and all(count == 1 for _, count in creates)
    page = httpx.get(f"{gemeente.url}/themas", timeout=10).text
    assert all(title in page for title in titles)
