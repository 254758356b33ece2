"""The aggregator and two kern nodes as real processes on 127.0.0.1, as the pilot runs them.

The gemeente follows both, sees a change within a second, answers a project with a reactie
that the kern keeps, shows a stopped kern as unreachable and catches up after its restart.

Each node is made with `bloei init` and started with `bloei serve --dev`. People act through
beheer over HTTP; the test reads the gemeente's pages (and its database, only to wait on).
Every wait is bounded. The gemeente pulls every two seconds here
(`BLOEI_PULL_INTERVAL_SECONDS`), so catching up takes seconds, not the default quarter hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from process_helpers import Node, running, wait_for

pytestmark = pytest.mark.processes


@pytest.fixture
def pilot(tmp_path) -> Iterator[tuple[Node, Node, Node]]:
    gemeente = Node(
        tmp_path / "gemeente",
        "Gemeente West Betuwe",
        role="gemeente",
        BLOEI_PULL_INTERVAL_SECONDS="2",
    )
    kern_env = {"BLOEI_GEMEENTE_ACTOR": gemeente.actor, "BLOEI_DELIVERY_RETRY_SECONDS": "1"}
    beesd = Node(tmp_path / "beesd", "Beesd", **kern_env)
    heukelum = Node(tmp_path / "heukelum", "Heukelum", **kern_env)
    with running(gemeente, beesd, heukelum) as nodes:
        yield nodes


def test_the_gemeente_follows_two_kernen_and_catches_up(pilot):
    gemeente, beesd, heukelum = pilot

    # Staff add both kernen by their address; the kernen accept on their own.
    for kern in (beesd, heukelum):
        response = gemeente.post(
            "/beheer/kernen", address=f"@{kern.slug}@127.0.0.1:{kern.port}", rollout="pilot"
        )
        assert response.status_code == 303, response.text
    wait_for(
        lambda: gemeente.query("SELECT state FROM federation_following") == [("accepted",)] * 2,
        10,
        "both kernen to accept",
    )
    assert "Actief" in gemeente.http.get("/beheer").text

    # A change on a kern shows on the gemeente's pages (within a second on an idle machine:
    # bench/bench_federation.py measures that; here only that it arrives).
    response = beesd.post(
        "/beheer/projecten/nieuw",
        title="Veilig oversteken bij de school",
        summary="Een zebrapad met verlichting.",
        phase="idee",
        needs=["besluit_gemeente"],
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: "Veilig oversteken" in httpx.get(f"{gemeente.url}/projecten?gemeente=ja").text,
        15,
        "the project on the gemeente's projects page",
    )
    # Staff answer the project: a signed reactie, delivered to Beesd, which keeps it.
    project = gemeente.query("SELECT object_id FROM gemeente_projects")[0][0]
    response = gemeente.post(
        f"/beheer/reactie?op={project}", text="We leggen het zebrapad in maart aan."
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: (
            beesd.query("SELECT actor_id FROM received_objects WHERE type = 'Reactie'")
            == [(gemeente.actor,)]
        ),
        3,
        "the reactie to reach Beesd",
    )
    # ... and shows it on the project's own page (the project's id is that page's address).
    shown = httpx.get(project).text
    assert "Reactie van de gemeente" in shown and "We leggen het zebrapad in maart aan." in shown
    response = heukelum.post(
        "/beheer/themas/nieuw",
        title="Verkeer op de dijk",
        description="Te hard rijden.",
        priority="hoog",
        status="nieuw",
        actor="gemeente",
        actor_other="",
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: "Verkeer op de dijk" in httpx.get(f"{gemeente.url}/themas").text,
        15,
        "Heukelum's thema on the gemeente's thema page",
    )

    # Heukelum is stopped: the gemeente shows it as unreachable, with its last known data.
    heukelum.stop()
    wait_for(
        lambda: "Onbereikbaar" in httpx.get(f"{gemeente.url}/").text,
        15,
        "Heukelum to show as unreachable",
    )
    assert "Verkeer op de dijk" in httpx.get(f"{gemeente.url}/themas").text

    # While it is down, Heukelum changes, and its deliveries are lost. After its restart
    # the gemeente's pull brings the change, once.
    missed = _change_offline(heukelum.folder, "Ontmoeten in het dorpshuis")
    heukelum.launch()
    heukelum.wait_until_up()
    wait_for(
        lambda: "Ontmoeten in het dorpshuis" in httpx.get(f"{gemeente.url}/themas").text,
        10,
        "the missed change to be pulled",
    )
    rows = gemeente.query("SELECT count(*) FROM gemeente_objects WHERE object_id = ?", (missed,))
    assert rows == [(1,)]
    wait_for(
        lambda: "Onbereikbaar" not in httpx.get(f"{gemeente.url}/").text,
        5,
        "Heukelum to be active again",
    )
    lag = gemeente.query(
        "SELECT outbox_position - position FROM gemeente_kernen WHERE actor_id = ?",
        (heukelum.actor,),
    )
    assert lag == [(0,)]


def _change_offline(folder: Path, title: str) -> str:
    """Add a thema to a stopped kern's data, as beheer would, and drop its deliveries."""
    from helpers import add_thema

    from node.app import open_database
    from node.settings import load_settings

    settings = load_settings(folder, environ={})
    db = open_database(settings)
    try:
        slug = add_thema(db, settings, title=title)
        db.write(lambda conn: conn.execute("DELETE FROM federation_deliveries"))
    finally:
        db.close()
    return settings.url(f"/agenda/themas/{slug}")
