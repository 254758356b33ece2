"""A kern's outbox that goes back below what the gemeente read (the kern restored an older
backup): the gemeente reads it again from the start, keeps nothing twice, never says "alles is
binnen" while it misses something, and tells staff.

A fake kern (gemeente_helpers.FakeKern, objects from the kern's own serializer) plays the
restored outbox: cutting a real kern's outbox back is what these tests must not depend on."""

from __future__ import annotations

import logging

import httpx
from gemeente_helpers import GEMEENTE_URL, follow_kern

from node.gemeente import kernen


def count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names from the test


async def followed_and_read(gemeente_app, staff, beesd, published: int) -> int:
    """Beesd followed, `published` projects in its outbox, all pulled; the kern's id."""
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    for number in range(published):
        beesd.publish("Create", beesd.project(f"project-{number}"))
    report = await gemeente_app.state.federation.pull_now(kern_id)
    assert report.ok and report.position == published
    return kern_id


def restore_older_backup(beesd, positions: int) -> None:
    """The kern's outbox as an older backup left it: its later activities are gone, and the
    positions after it are free to be handed out again."""
    del beesd.outbox[positions:]


async def test_an_outbox_that_went_back_is_read_again_from_the_start(
    gemeente_app, staff, beesd, caplog
):
    kern_id = await followed_and_read(gemeente_app, staff, beesd, 6)
    restore_older_backup(beesd, 2)
    news = [beesd.publish("Create", beesd.project(f"nieuws-{n}")) for n in range(3)]

    with caplog.at_level(logging.WARNING, logger="bloei.gemeente.pull"):
        report = await gemeente_app.state.federation.pull_now(kern_id)

    assert report.ok and report.complete
    assert (report.went_back_from, report.applied, report.skipped) == (6, 3, 2)
    db = gemeente_app.state.db
    objects = {r[0] for r in db.execute("SELECT object_id FROM gemeente_projects")}
    assert {item["object"]["id"] for item in news} <= objects
    assert count(db, "gemeente_projects") == 9  # what the kern lost stays at the gemeente
    kern = kernen.get(db.read(), kern_id)
    assert (kern["position"], kern["outbox_position"], kern["lag"]) == (5, 5, 0)
    assert (kern["went_back_from"], kern["went_back_to"]) == (6, 5)
    audit = db.scalar("SELECT summary FROM audit_log WHERE action = 'kern.opnieuw_gelezen'")
    assert audit == "Beesd: lijst met wijzigingen ging terug van 6 naar 5"
    assert "went back from position 6 to 5" in caplog.text


async def test_a_second_pull_after_going_back_reads_on_as_usual(gemeente_app, staff, beesd):
    kern_id = await followed_and_read(gemeente_app, staff, beesd, 4)
    restore_older_backup(beesd, 1)
    beesd.publish("Create", beesd.project("nieuws"))
    fed = gemeente_app.state.federation
    await fed.pull_now(kern_id)
    beesd.publish("Create", beesd.project("later"))

    again = await fed.pull_now(kern_id)

    assert (again.went_back_from, again.applied, again.position) == (None, 1, 3)
    db = gemeente_app.state.db
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'kern.opnieuw_gelezen'") == 1


async def test_no_alles_is_binnen_while_reading_again_is_not_done(gemeente_app, staff, beesd):
    http, _token = staff
    kern_id = await followed_and_read(gemeente_app, staff, beesd, 6)
    restore_older_backup(beesd, 2)
    for number in range(3):
        beesd.publish("Create", beesd.project(f"nieuws-{number}"))
    beesd.broken_pages[0] = {"type": "OrderedCollectionPage", "orderedItems": "geen lijst"}

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert not report.ok and report.went_back_from == 6
    kern = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert (kern["position"], kern["lag"]) == (0, 5)
    page = await http.get(f"/kernen/{kern_id}")
    assert "alles is binnen" not in page.text
    # The pull failed half-way, so how far behind the gemeente is, is not known.
    assert "onbekend" in page.text

    del beesd.broken_pages[0]
    await gemeente_app.state.federation.pull_now(kern_id)
    page = await http.get(f"/kernen/{kern_id}")
    assert "alles is binnen" in page.text


async def test_staff_see_a_notice_on_the_kern_page_and_visitors_do_not(gemeente_app, staff, beesd):
    http, _token = staff
    kern_id = await followed_and_read(gemeente_app, staff, beesd, 3)
    restore_older_backup(beesd, 1)
    await gemeente_app.state.federation.pull_now(kern_id)

    page = await http.get(f"/kernen/{kern_id}")
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as visitor:
        public = await visitor.get(f"/kernen/{kern_id}")

    notice = "korter dan wat de gemeente al had gelezen"
    assert notice in page.text
    assert "als laatste nummer 1, de gemeente had tot nummer 3 gelezen" in page.text
    assert "Misschien heeft de kern een oude back-up teruggezet" in page.text
    assert public.status_code == 200 and notice not in public.text


async def test_the_pull_button_says_the_outbox_went_back(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await followed_and_read(gemeente_app, staff, beesd, 3)
    restore_older_backup(beesd, 1)

    response = await http.post(f"/beheer/kernen/{kern_id}/ophalen", data={"csrf": token})
    page = await http.get(response.headers["location"])

    assert "ging terug: de gemeente heeft alles opnieuw gelezen" in page.text


async def test_an_outbox_that_grows_as_usual_is_not_read_again(gemeente_app, staff, beesd):
    kern_id = await followed_and_read(gemeente_app, staff, beesd, 3)
    beesd.publish("Create", beesd.project("nieuw"))

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert (report.went_back_from, report.applied, report.position) == (None, 1, 4)
    kern = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert kern["went_back_at"] is None
