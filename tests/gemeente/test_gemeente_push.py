"""Push: signed activities from followed kernen update the read model at once, checked twice
(HTTP signature and integrity proof), whole or not at all.

The first test is a real kern pushing; the others need deliveries no kern makes on its own
(out of order, twice, after a delete, forged, unsigned), so a fake kern sends them, with
objects from the kern's own serializer (gemeente_helpers.FakeKern)."""

from __future__ import annotations

import copy

import httpx
from gemeente_helpers import GEMEENTE_URL, follow_kern
from markup import links_with_text
from real_kern import follow

from node.gemeente import kernen


def project_row(db, object_id):
    return db.one("SELECT * FROM gemeente_projects WHERE object_id = ?", (object_id,))


async def test_a_pushed_project_shows_at_once(gemeente_app, staff, real_kernen):
    http, token = staff
    beesd = real_kernen["beesd.test"]
    kern_id = await follow(gemeente_app, http, token, beesd)
    thema = beesd.thema("Verkeer en vervoer")
    project = beesd.project(
        "Veilig oversteken bij de school",
        themas=(thema,),
        phase="uitvoering",
        needs=["besluit_gemeente"],
    )

    await beesd.deliver()  # the kern pushes both, as its worker does

    db = gemeente_app.state.db
    row = project_row(db, project)
    assert (row["name"], row["fase"], row["needs_gemeente"], row["kern_id"]) == (
        "Veilig oversteken bij de school",
        "uitvoering",
        1,
        kern_id,
    )
    page = await http.get("/projecten?gemeente=ja")
    assert links_with_text(page.text, "Veilig oversteken bij de school") == [project]
    assert "Verkeer en vervoer" in page.text
    assert kernen.get(db.read(), kern_id)["last_change_at"]


async def test_update_and_delete_apply_and_a_deleted_project_stays_deleted(
    gemeente_app, staff, beesd
):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("speeltuin", name="Speeltuin")
    create = beesd.publish("Create", project)
    update = beesd.publish("Update", {**project, "name": "Speeltuin aan de Molenweg"})
    delete = beesd.publish("Delete", project)
    late_update = beesd.publish("Update", {**project, "name": "Te laat"})
    db = gemeente_app.state.db

    await beesd.push(http, create)
    await beesd.push(http, update)
    assert project_row(db, project["id"])["name"] == "Speeltuin aan de Molenweg"
    await beesd.push(http, delete)
    await beesd.push(http, late_update)

    assert project_row(db, project["id"]) is None
    copy_row = db.one("SELECT * FROM gemeente_objects WHERE object_id = ?", (project["id"],))
    assert copy_row["deleted"] == 1
    assert "Speeltuin" not in (await http.get("/projecten")).text


async def test_an_older_update_that_arrives_late_does_not_undo_a_newer_one(
    gemeente_app, staff, beesd
):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("dorpshuis", name="Dorpshuis")
    create = beesd.publish("Create", project)
    older = beesd.publish("Update", {**project, "fase": "verkenning"})
    newer = beesd.publish("Update", {**project, "fase": "planvorming"})

    for activity in (create, newer, older):
        assert (await beesd.push(http, activity)).status_code == 202

    assert project_row(gemeente_app.state.db, project["id"])["fase"] == "planvorming"


async def test_a_repeated_delivery_is_applied_once(gemeente_app, staff, beesd):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    create = beesd.publish("Create", beesd.project("bankjes"))

    first = await beesd.push(http, create)
    again = await beesd.push(http, create)

    assert first.status_code == again.status_code == 202
    db = gemeente_app.state.db
    assert db.scalar("SELECT count(*) FROM gemeente_activities") == 1


async def test_a_proof_that_fails_is_refused_and_reported(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    create = beesd.publish("Create", beesd.project("zebrapad", name="Zebrapad"))
    tampered = copy.deepcopy(create)
    tampered["object"]["name"] = "Iets anders"

    response = await beesd.push(http, tampered)

    assert response.status_code == 403 and "proof_bad_signature" in response.text
    db = gemeente_app.state.db
    assert db.scalar("SELECT count(*) FROM gemeente_objects") == 0
    kern = kernen.get(db.read(), kern_id)
    assert kern["refused"] == 1
    page = await http.get(f"/kernen/{kern_id}")
    assert "De digitale handtekening klopt niet" in page.text
    # The real one still gets in: a refusal leaves nothing behind, not even "seen".
    assert (await beesd.push(http, create)).status_code == 202
    assert project_row(db, create["object"]["id"])["name"] == "Zebrapad"


async def test_an_unsigned_activity_is_refused(gemeente_app, staff, beesd):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    unsigned = beesd.publish("Create", beesd.project("zonder"), sign=False)

    response = await beesd.push(http, unsigned)

    assert response.status_code == 403 and "proof_missing" in response.text


async def test_a_kern_cannot_touch_another_kerns_objects(gemeente_app, staff, beesd, heukelum):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    await follow_kern(gemeente_app, http, token, heukelum)
    project = beesd.project("ijsbaan", name="IJsbaan")
    await beesd.push(http, beesd.publish("Create", project))

    forged = heukelum.publish("Update", {**project, "name": "Van Heukelum"})
    forged_delete = heukelum.publish("Delete", project)

    first = await heukelum.push(http, forged)
    second = await heukelum.push(http, forged_delete)

    assert first.status_code == second.status_code == 403
    assert "foreign_object" in first.text
    assert project_row(gemeente_app.state.db, project["id"])["name"] == "IJsbaan"


async def test_an_announce_adds_what_is_missing_and_ignores_the_rest(gemeente_app, staff, beesd):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    meeting = beesd.meeting("dorpsavond", beesd.clock.replace(year=2027))
    announce = beesd.publish("Announce", meeting)

    assert (await beesd.push(http, announce)).status_code == 202

    db = gemeente_app.state.db
    assert db.scalar("SELECT count(*) FROM gemeente_meetings") == 1


async def test_a_meeting_reads_the_same_as_a_plain_event_and_in_the_older_array_form(
    gemeente_app, staff, beesd
):
    """Kernen send `"type": "Event", "kind": "Bijeenkomst"` with a PostalAddress now; a kern
    not yet updated sends `["Event", "Bijeenkomst"]` with a text address. Both are meetings."""
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    new = beesd.meeting("nieuw", beesd.clock.replace(year=2027))
    assert new["type"] == "Event" and new["location"]["address"]["type"] == "PostalAddress"
    old = beesd.meeting("oud", beesd.clock.replace(year=2027))
    old["type"] = ["Event", "Bijeenkomst"]
    del old["kind"]
    old["location"] = {"type": "Place", "name": "Dorpshuis", "address": "Kerkstraat 1"}

    for meeting in (new, old):
        assert (await beesd.push(http, beesd.publish("Create", meeting))).status_code == 202

    db = gemeente_app.state.db
    found = db.execute("SELECT object_id, address FROM gemeente_meetings ORDER BY object_id")
    assert [(r["object_id"].rsplit("/", 1)[1], r["address"]) for r in found] == [
        ("nieuw", "Kerkstraat 1"),
        ("oud", "Kerkstraat 1"),
    ]


async def test_an_update_of_the_kern_itself_gives_it_its_new_name(gemeente_app, staff, beesd):
    """A kern announces a new name (node/kern/kern_actor.announce_profile_change)."""
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as visitor:
        assert "Beesd en Enspijk" not in (await visitor.get("/")).text  # now in the page cache
        renamed = {**beesd.document(), "name": "Beesd en Enspijk"}

        assert (await beesd.push(http, beesd.publish("Update", renamed))).status_code == 202

        assert kernen.get(gemeente_app.state.db.read(), kern_id)["name"] == "Beesd en Enspijk"
        assert "Beesd en Enspijk" in (await visitor.get("/")).text
