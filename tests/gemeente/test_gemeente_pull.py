"""Pull: catching up with a kern's outbox from the last known position, in order, without
duplicates, checking every proof; bad pages and unreachable kernen get a state, not a crash.

A fake kern serves the outbox here (gemeente_helpers.FakeKern), with objects from the kern's own
serializer: these tests need what no kern sends on purpose (forged proofs, malformed or stuck
pages, thousands of items, a kern that goes down mid-pull, rotated keys)."""

from __future__ import annotations

import asyncio
import copy

import httpx
from gemeente_helpers import follow_kern, key_pair

from federation.identity import LocalIdentity
from node.gemeente import kernen


def count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names from the test


async def test_a_pull_reads_the_whole_outbox_in_order(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    for number in range(120):
        beesd.publish("Create", beesd.project(f"project-{number}"))
    project = beesd.project("project-7")
    beesd.publish("Update", {**project, "fase": "uitvoering"})
    beesd.publish("Delete", beesd.project("project-8"))

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert report.ok and report.complete
    assert (report.applied, report.pages, report.position) == (122, 2, 122)
    db = gemeente_app.state.db
    assert count(db, "gemeente_projects") == 119
    fase = db.scalar("SELECT fase FROM gemeente_projects WHERE object_id = ?", (project["id"],))
    assert fase == "uitvoering"
    kern = kernen.get(db.read(), kern_id)
    assert (kern["position"], kern["outbox_position"], kern["lag"]) == (122, 122, 0)


async def test_pull_and_push_overlap_without_duplicates(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    pushed = [beesd.publish("Create", beesd.project(f"p-{n}")) for n in range(3)]
    for activity in pushed[:2]:
        await beesd.push(http, activity)

    report = await gemeente_app.state.federation.pull_now(kern_id)
    again = await gemeente_app.state.federation.pull_now(kern_id)
    late_push = await beesd.push(http, pushed[2])

    assert (report.applied, report.skipped) == (1, 2)
    assert (again.applied, again.pages) == (0, 1)
    assert late_push.status_code == 202
    db = gemeente_app.state.db
    assert count(db, "gemeente_projects") == 3
    assert count(db, "gemeente_activities") == 3


async def test_an_activity_whose_proof_fails_is_refused_and_the_rest_goes_on(
    gemeente_app, staff, beesd
):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    beesd.publish("Create", beesd.project("goed"))
    bad = beesd.publish("Create", beesd.project("fout"))
    beesd.outbox[-1] = copy.deepcopy(bad)
    beesd.outbox[-1]["object"]["name"] = "Vervalst"
    beesd.publish("Create", beesd.project("ook-goed"))

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert (report.applied, report.refused, report.position) == (2, 1, 3)
    db = gemeente_app.state.db
    names = {r[0] for r in db.execute("SELECT name FROM gemeente_projects")}
    assert "Vervalst" not in names and len(names) == 2
    refusal = kernen.recent_refusals(db.read(), kern_id)[0]
    assert (refusal["reason"], refusal["via"], refusal["activity_id"]) == (
        "proof_bad_signature",
        "pull",
        bad["id"],
    )


async def test_a_malformed_page_stops_the_pull_with_a_message(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    beesd.publish("Create", beesd.project("eerste"))
    beesd.broken_pages[0] = {"type": "OrderedCollectionPage", "orderedItems": "geen lijst"}

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert not report.ok and report.reason == "malformed"
    kern = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert (kern["position"], kern["failures"], kern["state"]) == (0, 1, "actief")
    assert "pagina met wijzigingen die niet klopt" in kern["last_error"]


async def test_pages_that_do_not_move_on_or_are_not_json_are_malformed(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    item = beesd.publish("Create", beesd.project("eerste"))
    fed = gemeente_app.state.federation
    beesd.broken_pages[0] = {
        "type": "OrderedCollectionPage",
        "orderedItems": [item],
        "lastPosition": 0,
        "next": "http://beesd.test/actor/outbox?after=0",
    }
    stuck = await fed.pull_now(kern_id)
    beesd.broken_pages[0] = httpx.Response(
        200, content=b"<html>", headers={"Content-Type": "text/html"}
    )
    html = await fed.pull_now(kern_id)
    beesd.broken_pages[0] = httpx.Response(
        200, content=b"{nope", headers={"Content-Type": "application/json"}
    )
    broken = await fed.pull_now(kern_id)

    assert (stuck.reason, html.reason, broken.reason) == ("malformed", "not_json", "not_json")
    kern = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert kern["failures"] == 3 and kern["state"] == "onbereikbaar"


async def test_an_unreachable_kern_is_shown_with_its_last_known_data_and_recovers(
    gemeente_app, staff, beesd
):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    beesd.publish("Create", beesd.project("voor-de-storing", name="Voor de storing"))
    fed = gemeente_app.state.federation
    assert (await fed.pull_now(kern_id)).applied == 1
    beesd.up = False

    reports = [await fed.pull_now(kern_id) for _ in range(3)]

    assert all(r.reason == "network" for r in reports)
    db = gemeente_app.state.db
    assert kernen.get(db.read(), kern_id)["state"] == "onbereikbaar"
    overview = await http.get("/")
    assert "Onbereikbaar" in overview.text and "Gegevens van" in overview.text
    page = await http.get(f"/kernen/{kern_id}")
    assert "nu niet bereiken" in page.text and "Voor de storing" in page.text

    beesd.up = True
    beesd.publish("Create", beesd.project("na-de-storing"))
    report = await fed.pull_now(kern_id)

    assert report.ok and report.applied == 1
    kern = kernen.get(db.read(), kern_id)
    assert (kern["state"], kern["failures"], kern["last_error"]) == ("actief", 0, "")


async def test_after_a_failed_pull_the_lag_is_unknown_not_none(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    fed = gemeente_app.state.federation
    assert (await fed.pull_now(kern_id)).ok
    assert "geen: alles is binnen" in (await http.get(f"/kernen/{kern_id}")).text
    # The kern goes down while it has changes the gemeente has not seen
    beesd.up = False
    beesd.publish("Create", beesd.project("tijdens-de-storing"))

    assert (await fed.pull_now(kern_id)).reason == "network"

    kern = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert kern["state"] == "actief" and not kern["lag_known"] and kern["failing_since"]
    page = (await http.get(f"/kernen/{kern_id}")).text
    assert "onbekend — kern niet bereikbaar sinds" in page
    assert "geen: alles is binnen" not in page
    staff_page = (await http.get("/beheer")).text
    assert "Achterstand onbekend — kern niet bereikbaar sinds" in staff_page
    assert "Alles is binnen" not in staff_page
    assert (await http.get(f"/api/v1/kernen/{kern_id}")).json()["achterstand"] is None
    # A second failure keeps the moment it started
    assert (await fed.pull_now(kern_id)).reason == "network"
    later = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert later["failing_since"] == kern["failing_since"]

    beesd.up = True
    assert (await fed.pull_now(kern_id)).ok
    page = (await http.get(f"/kernen/{kern_id}")).text
    assert "geen: alles is binnen" in page and "onbekend" not in page
    assert (await http.get(f"/api/v1/kernen/{kern_id}")).json()["achterstand"] == 0


async def test_an_outbox_with_thousands_of_items_is_read_page_by_page(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("groot", name="Groot")
    beesd.publish("Create", project)
    for number in range(2_500):
        beesd.publish("Update", {**project, "summary": f"Versie {number}"})
    fed = gemeente_app.state.federation
    from node.gemeente import pull

    first = await pull.pull(fed.store, fed.fetcher, fed.keys, kern_id, fed_now(), max_pages=10)
    db = gemeente_app.state.db
    assert (first.pages, first.position, first.complete) == (10, 1000, False)
    assert kernen.get(db.read(), kern_id)["next_pull_at"] is None  # more waits: at once

    rest = await fed.pull_now(kern_id)

    assert rest.complete and rest.position == 2501
    summary = db.scalar("SELECT summary FROM gemeente_projects")
    assert summary == "Versie 2499"
    sizes = {r.url.params.get("size") for r in beesd.requests if "after" in r.url.params}
    assert sizes == {"100"}


def fed_now():
    from federation.store import utcnow

    return utcnow()


async def test_a_kern_that_rotated_its_keys_is_still_verified(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    beesd.publish("Create", beesd.project("voor"))
    fed = gemeente_app.state.federation
    await fed.pull_now(kern_id)
    # The kern gets new keys and signs its whole outbox again, as `bloei keys rotate` does.
    beesd.identity = LocalIdentity(beesd.id, key_pair("beesd.test-rotated"))
    beesd.outbox = [beesd.identity.sign(a) for a in beesd.outbox]
    beesd.publish("Create", beesd.project("na"))

    report = await fed.pull_now(kern_id)

    assert (report.applied, report.refused) == (1, 0)


async def test_the_scheduled_job_pulls_kernen_whose_turn_came(gemeente_app, staff, beesd, heukelum):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    await follow_kern(gemeente_app, http, token, heukelum)
    beesd.publish("Create", beesd.project("b"))
    heukelum.publish("Create", heukelum.project("h"))
    fed = gemeente_app.state.federation

    reports = await asyncio.to_thread(fed.pull_tick)
    again = await asyncio.to_thread(fed.pull_tick)

    assert sorted(r.applied for r in reports) == [1, 1]
    assert again == []  # not due before the interval
    assert count(gemeente_app.state.db, "gemeente_projects") == 2


async def test_the_button_pulls_now_and_says_what_it_did(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    for number in range(3):
        beesd.publish("Create", beesd.project(f"knop-{number}"))

    response = await http.post(f"/beheer/kernen/{kern_id}/ophalen", data={"csrf": token})
    page = await http.get(response.headers["location"])

    assert "Beesd: 3 wijzigingen opgehaald." in page.text


async def test_a_kern_not_yet_accepted_is_not_pulled(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd, accept=False)

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert report.reason == "not_followed"
    assert not any("outbox" in str(r.url) for r in beesd.requests)
