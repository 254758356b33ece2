"""The sample's dated history reaches the gemeente as it happened: the gemeente's response time
counts from the day the group asked, not from the day the sample was loaded (issue 11 item 10).
"""

from __future__ import annotations

import re

from real_kern import follow

from node.kern.sample import load_sample


async def test_the_sample_gives_the_gemeente_a_real_response_time(gemeente_app, staff, real_kernen):
    http, token = staff
    beesd = real_kernen["beesd.test"]
    load_sample(beesd.db, beesd.settings, "beesd")
    kern_id = await follow(gemeente_app, http, token, beesd)
    # The history was written before the gemeente followed: it reads the outbox, as the pilot.
    assert (await gemeente_app.state.federation.pull_now(kern_id)).complete
    slug = beesd.db.scalar(
        "SELECT slug FROM projects WHERE title = 'Veilig oversteken bij de basisschool'"
    )
    page = (await http.get("/beheer")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    project = beesd.url(f"/projecten/{slug}")
    answered = await http.post(f"/beheer/reactie?op={project}", data={"csrf": csrf, "text": "Ja."})
    assert answered.status_code == 303

    rows = (await http.get("/inzicht/reactietijd.json")).json()["rijen"]

    (row,) = rows
    # Two projects ask for a decision; the one answered asked 19 days ago (beesd.toml).
    assert (row["gevraagd"], row["beantwoord"], row["wachtNog"]) == (2, 1, 1)
    assert 18 < row["mediaanDagen"] < 20.5
    # How long projects stay in a phase: real stints from the history, not a day of loading.
    stints = (await http.get("/inzicht/doorlooptijd.json")).json()["rijen"]
    idea = next(r for r in stints if r["fase"] == "Idee")
    assert idea["aantal"] >= 3 and idea["mediaanDagen"] >= 30
