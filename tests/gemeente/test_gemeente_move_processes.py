"""A kern moves host, as docs/hosting.md tells its volunteer to, and the gemeente follows it.

Real processes on 127.0.0.1: the gemeente and Beesd; Beesd is stopped, exported, imported at
a new address, started there, and `bloei move` plus `bloei worker --once` on the old data
tell the gemeente. The gemeente then holds Beesd's project under its new id, once: a change
made at the new address changes that same project, and the reactie stays with it.
"""

from __future__ import annotations

import httpx
import pytest
from markup import text_of
from process_helpers import PASSWORD, Node, running, wait_for

pytestmark = pytest.mark.processes
TITLE = "Veilig oversteken bij de school"


def test_a_kern_moves_and_the_gemeente_follows_it_to_the_new_address(tmp_path):
    gemeente = Node(
        tmp_path / "gemeente",
        "Gemeente West Betuwe",
        role="gemeente",
        BLOEI_PULL_INTERVAL_SECONDS="2",
    )
    kern_env = {
        "BLOEI_GEMEENTE_ACTOR": gemeente.actor,
        "BLOEI_DELIVERY_RETRY_SECONDS": "1",
    }
    old = Node(tmp_path / "oud" / "beesd", "Beesd", **kern_env)
    new = Node(tmp_path / "nieuw" / "beesd", "Beesd", **kern_env)
    with running(gemeente, old):
        response = gemeente.post(
            "/beheer/kernen", address=f"@beesd@127.0.0.1:{old.port}", rollout="pilot"
        )
        assert response.status_code == 303, response.text
        wait_for(
            lambda: gemeente.query("SELECT state FROM federation_following") == [("accepted",)],
            10,
            "Beesd to accept",
        )
        response = old.post(
            "/beheer/projecten/nieuw",
            title=TITLE,
            summary="Een zebrapad met verlichting.",
            phase="idee",
            needs=["besluit_gemeente"],
        )
        assert response.status_code == 303, response.text
        wait_for(lambda: gemeente.query("SELECT 1 FROM gemeente_projects"), 30, "the project")
        old_id = gemeente.query("SELECT object_id FROM gemeente_projects")[0][0]
        response = gemeente.post(f"/beheer/reactie?op={old_id}", text="We kijken er in maart naar.")
        assert response.status_code == 303, response.text
        wait_for(
            lambda: old.query("SELECT 1 FROM received_objects WHERE type = 'Reactie'"),
            3,
            "the reactie to reach Beesd",
        )

        # The volunteer stops the old node, exports, imports at the new address, starts it.
        old.stop()
        archive = tmp_path / "beesd-export.tar.gz"
        done = old.cli("export", str(archive))
        assert done.returncode == 0, done.stderr
        done = new.cli("import", str(archive), "--url", new.url)
        assert done.returncode == 0, done.stderr
        assert f"also known as {old.actor}" in done.stdout
        assert f"bloei move --data OLD_DATA_DIR --to {new.actor}" in done.stdout
        new.launch()
        try:
            new.wait_until_up()
            new.sign_in_with(PASSWORD)
            # Back on the old host: announce the move and deliver it.
            # `bloei move` and `bloei worker` talk to 127.0.0.1 over plain HTTP, like serve --dev.
            done = old.cli("move", "--dev", "--to", new.actor)
            assert done.returncode == 0, done.stderr
            assert "published to 1 followers" in done.stdout
            done = old.cli("worker", "--once", "--dev")
            assert done.returncode == 0, done.stderr

            wait_for(
                lambda: (
                    gemeente.query(
                        "SELECT state FROM federation_following WHERE actor_id = ?", (new.actor,)
                    )
                    == [("accepted",)]
                ),
                10,
                "the gemeente to follow Beesd at its new address",
            )
            assert gemeente.query("SELECT actor_id FROM gemeente_kernen") == [(new.actor,)]
            new_id = old_id.replace(old.url, new.url)
            assert gemeente.query("SELECT object_id FROM gemeente_projects") == [(new_id,)]

            # A change at the new address changes the same project at the gemeente.
            project = new.query("SELECT id FROM projects WHERE title = ?", (TITLE,))[0][0]
            response = new.post(f"/beheer/projecten/{project}/fase", phase="verkenning", note="")
            assert response.status_code == 303, response.text
            wait_for(
                lambda: gemeente.query("SELECT fase FROM gemeente_projects") == [("verkenning",)],
                5,
                "the phase change to reach the gemeente",
            )
            assert gemeente.query("SELECT count(*) FROM gemeente_projects") == [(1,)]
            listed = httpx.get(f"{gemeente.url}/projecten", params={"q": "oversteken"}).text
            # the searched word is marked inside the title: count in the text a reader sees
            assert text_of(listed).count(TITLE) == 1
            assert new.url in listed and old.url not in listed
            # The reactie stays with the project, on both sides.
            assert gemeente.query("SELECT in_reply_to FROM gemeente_reacties") == [(new_id,)]
            page = httpx.get(new_id).text
            assert "We kijken er in maart naar." in page

            # The old node, kept running a few days for retries, sends people to the new one.
            old.launch()
            old.wait_until_up()
            answer = httpx.get(f"{old.url}/projecten?q=oversteken")
            assert answer.status_code == 301
            assert answer.headers["location"] == f"{new.url}/projecten?q=oversteken"
        finally:
            new.stop()
            if new.http is not None:
                new.http.close()
