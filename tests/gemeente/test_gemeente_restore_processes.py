"""A kern restored from an older backup, as real processes on 127.0.0.1: what it publishes
afterwards still reaches the gemeente, which never says "alles is binnen" without it.

The backup is made before the gemeente follows the kern, so the restored kern knows no
follower and pushes nothing: only the gemeente's pull (every two seconds here) can bring the
news in, from outbox positions the gemeente must not have read past already. Every wait is
bounded; the test reads the databases only to wait on and to check what arrived.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from process_helpers import PASSWORD, Node, running, wait_for

from federation.store import timestamp

pytestmark = pytest.mark.processes


@pytest.fixture
def pilot(tmp_path) -> Iterator[tuple[Node, Node]]:
    gemeente = Node(
        tmp_path / "gemeente",
        "Gemeente West Betuwe",
        role="gemeente",
        BLOEI_PULL_INTERVAL_SECONDS="2",
    )
    beesd = Node(
        tmp_path / "beesd",
        "Beesd",
        BLOEI_GEMEENTE_ACTOR=gemeente.actor,
        BLOEI_DELIVERY_RETRY_SECONDS="1",
    )
    with running(gemeente, beesd) as nodes:
        yield nodes


def publish_news(kern: Node, title: str) -> None:
    response = kern.post(
        "/beheer/nieuws/nieuw", title=title, body="Nieuws uit het dorp.", published_at=""
    )
    assert response.status_code == 303, response.text


def newest_position(kern: Node) -> int:
    return kern.query("SELECT coalesce(max(position), 0) FROM federation_outbox")[0][0]


def has_news(gemeente: Node, titles: list[str]) -> bool:
    marks = ", ".join("?" for _ in titles)
    found = gemeente.query(
        f"SELECT count(DISTINCT name) FROM gemeente_activities WHERE name IN ({marks})",  # noqa: S608
        tuple(titles),
    )
    return found[0][0] == len(titles)


def test_news_after_restoring_an_older_backup_reaches_the_gemeente(pilot, tmp_path):
    gemeente, beesd = pilot
    publish_news(beesd, "Voor de back-up")
    archive = tmp_path / "beesd-oud.tar.gz"
    made = beesd.cli("backup", str(archive))
    assert made.returncode == 0, made.stderr

    # After the backup, the gemeente follows Beesd and reads everything it publishes.
    response = gemeente.post(
        "/beheer/kernen", address=f"@{beesd.slug}@127.0.0.1:{beesd.port}", rollout="pilot"
    )
    assert response.status_code == 303, response.text
    wait_for(
        lambda: gemeente.query("SELECT state FROM federation_following") == [("accepted",)],
        30,
        "Beesd to accept the gemeente",
    )
    before = [f"Na de back-up {n}" for n in range(5)]
    for title in before:
        publish_news(beesd, title)
    newest = newest_position(beesd)
    wait_for(
        lambda: (
            has_news(gemeente, before)
            and gemeente.query("SELECT position FROM gemeente_kernen")[0][0] >= newest
        ),
        60,
        "the gemeente to read all of Beesd's outbox",
    )
    kern_id = gemeente.query("SELECT id FROM gemeente_kernen")[0][0]

    # Beesd is restored from the older backup and publishes three berichten.
    beesd.stop()
    restored = beesd.cli("restore", str(archive), "--force")
    assert restored.returncode == 0, restored.stderr
    beesd.launch()
    beesd.wait_until_up()
    beesd.http.close()
    beesd.sign_in_with(PASSWORD)
    after = [f"Na het terugzetten {n}" for n in range(3)]
    for title in after:
        publish_news(beesd, title)
    published_at = timestamp(datetime.now(UTC))
    positions = beesd.query(
        "SELECT position FROM federation_outbox WHERE type = 'Create' AND object_id LIKE ?",
        ("%/nieuws/na-het-terugzetten%",),
    )
    assert len(positions) == 3 and min(positions)[0] > newest, positions

    # Every pull that began after the third bericht either brought all three in, or the
    # gemeente shows how much it still misses: never "alles is binnen" without them.
    # (A pull's last_pull_at is the moment it began; the page is read before the news are
    # counted, so news that arrive in between cannot make this fail.)
    def arrived() -> bool:
        last_pull = gemeente.query("SELECT last_pull_at FROM gemeente_kernen")[0][0] or ""
        page = gemeente.http.get(f"/kernen/{kern_id}").text if last_pull > published_at else ""
        complete = has_news(gemeente, after)
        assert complete or "alles is binnen" not in page, "alles is binnen, while news are missing"
        return complete

    wait_for(arrived, 60, "the three berichten at the gemeente")
    wait_for(
        lambda: "alles is binnen" in gemeente.http.get(f"/kernen/{kern_id}").text,
        30,
        "the gemeente to have read all of Beesd again",
    )
    assert has_news(gemeente, before)  # what Beesd lost by the restore stays at the gemeente
