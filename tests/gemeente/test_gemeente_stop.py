"""Stopping to follow a kern (a beheerder, with a confirmation), and following it again."""

from __future__ import annotations

import httpx
from gemeente_helpers import CSRF_RE, GEMEENTE_URL, follow_kern, login
from markup import link_targets, option_values, select_one, text_of
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from real_kern import follow

from federation import vocabulary
from federation.store import utcnow
from node.gemeente import kernen, pull, reactions, stopping

# Every table that holds the gemeente's copy of a kern's data.
COPY_TABLES = (
    "gemeente_objects",
    "gemeente_projects",
    "gemeente_themas",
    "gemeente_meetings",
    "gemeente_activities",
    "gemeente_refused",
)


def held(db, kern_id: int) -> dict[str, int]:
    """How many rows of the kern's data the gemeente holds, per table."""
    return {
        table: db.scalar(f"SELECT count(*) FROM {table} WHERE kern_id = ?", (kern_id,))  # noqa: S608
        for table in COPY_TABLES
    }


async def stop(http: httpx.AsyncClient, token: str, kern_id: int, **fields) -> httpx.Response:
    data = {"csrf": token, "bevestigd": "y", **fields}
    return await http.post(f"/beheer/kernen/{kern_id}/stoppen", data=data)


async def test_a_beheerder_stops_following_a_kern(two_kernen, gemeente_app, staff, real_kernen):
    """The refusal on record is a hand-written project without a proof: a kern never sends
    that."""
    http, ids = two_kernen
    _http, token = staff
    beesd = real_kernen["beesd.test"]
    zebrapad = beesd.objects["Zebrapad bij de school"]
    kern_id, other = ids["beesd.test"], ids["heukelum.test"]
    db = gemeente_app.state.db
    await gemeente_app.state.federation.pull_now(kern_id)  # positions move on
    # A refusal on record, so the stop has one to forget.
    bad = vocabulary.typed("Project", id=beesd.url("/projecten/los"), name="Los")
    assert (await beesd.push_by_hand(http, bad, sign=False)).status_code == 403
    answered = await http.post(
        f"/beheer/reactie?op={zebrapad}", data={"csrf": token, "text": "Ja."}
    )
    assert answered.status_code == 303
    assert all(held(db, kern_id).values()), held(db, kern_id)
    other_before = held(db, other)
    version = db.data_version()

    page = await http.get(f"/beheer/kernen/{kern_id}/stoppen")
    assert page.status_code == 200
    assert "De gegevens blijven op de site van de kern staan" in page.text
    response = await stop(http, token, kern_id)

    assert response.status_code == 303
    kern = kernen.get(db.read(), kern_id)
    assert kern["state"] == "gestopt" and kern["stopped_at"]
    assert (kern["position"], kern["outbox_position"], kern["failures"], kern["refused"]) == (
        0,
        0,
        0,
        0,
    )
    assert not kernen.may_send(kern)
    assert held(db, kern_id) == dict.fromkeys(COPY_TABLES, 0)
    assert held(db, other) == other_before  # the other kern keeps everything
    # No search rows left behind for projects that are gone (the FTS rowid is the project id).
    assert (
        db.scalar(
            "SELECT count(*) FROM gemeente_project_search "
            "WHERE rowid NOT IN (SELECT id FROM gemeente_projects)"
        )
        == 0
    )
    assert db.scalar("SELECT count(*) FROM gemeente_thema_categories") == db.scalar(
        "SELECT count(*) FROM gemeente_thema_categories c JOIN gemeente_themas t "
        "ON t.id = c.thema_id WHERE t.kern_id = ?",
        (other,),
    )
    assert db.data_version() > version
    # The gemeente's own trail and the audit log stay.
    trail = reactions.trail(db.read(), zebrapad)
    assert [r["content"] for r in trail] == ["Ja."] and trail[0]["kern_id"] == kern_id
    sent = (await http.get("/beheer/berichten")).text
    # Listed, without a link to a reactie page that has no project to show any more.
    assert zebrapad in sent and "/beheer/reactie?op=" not in sent
    audit = db.execute("SELECT username, object_id FROM audit_log WHERE action = 'kern.ontvolgd'")
    assert [(a["username"], a["object_id"]) for a in audit] == [("gerda", beesd.id)]
    # The kern hears it: an Undo of the gemeente's Follow.
    follow = next(a for a in beesd.received if a.get("type") == "Follow")
    await gemeente_app.state.federation.deliver()
    undo = beesd.received[-1]
    assert undo["type"] == "Undo" and undo["object"]["type"] == "Follow"
    assert undo["object"]["id"] == follow["id"] and "proof" in undo
    # And the kern took it: the gemeente is no longer among its followers.
    followers = beesd.db.execute("SELECT actor_id FROM federation_followers")
    assert GEMEENTE_URL + "/actor" not in [f["actor_id"] for f in followers]


async def test_a_stopped_kern_is_gone_from_the_pages_and_the_api(two_kernen, gemeente_app, staff):
    http, ids = two_kernen
    _http, token = staff
    kern_id = ids["beesd.test"]
    assert (await stop(http, token, kern_id)).status_code == 303
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gemeente_app), base_url=GEMEENTE_URL
    )

    async with anonymous:
        overview = (await anonymous.get("/")).text
        kern_page = (await anonymous.get(f"/kernen/{kern_id}")).text
        projects = (await anonymous.get("/projecten")).text
        search = (await anonymous.get("/projecten?q=zebrapad")).text
        themas = (await anonymous.get("/themas")).text
        calendar = (await anonymous.get("/kalender")).text
        api_kern = (await anonymous.get(f"/api/v1/kernen/{kern_id}")).json()
        api_projects = (await anonymous.get("/api/v1/projecten")).json()
        api_themas = (await anonymous.get("/api/v1/themas")).json()
        api_meetings = (await anonymous.get("/api/v1/bijeenkomsten")).json()
        spec = (await anonymous.get("/api/v1/openapi.json")).json()
        figures = (await anonymous.get("/inzicht.json")).json()

    assert "De gemeente volgt 1 kern." in overview and "niet meer" in overview
    assert "Niet meer gevolgd" in kern_page and "niet meer sinds" in kern_page
    assert "Nog geen projecten" not in kern_page  # no empty sections: the data is at the kern
    for text in (kern_page, projects, search, themas, calendar):
        assert "Zebrapad bij de school" not in text
        assert "Een dorpshuis voor iedereen" not in text
        assert "Dorpsavond Beesd" not in text
    assert "Drempels op de dijk" in projects and "Wandeling Rietput" in calendar
    # Not offered as a filter, not counted among the kernen, not in the council's figures.
    for page in (projects, calendar):
        assert str(kern_id) not in option_values(page, "kern")
    assert "van 2" not in themas and "van 1" in themas
    assert [row["kern"] for row in figures["fasen"]["rijen"]] == ["Heukelum"]
    assert api_kern["stand"] == "gestopt"
    schema = {**spec["components"]["schemas"]["Kern"], "components": spec["components"]}
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(api_kern)
    assert {p["kern"] for p in api_projects["projecten"]} == {ids["heukelum.test"]}
    assert {t["kern"] for t in api_themas["themas"]} == {ids["heukelum.test"]}
    assert {m["kern"] for m in api_meetings["bijeenkomsten"]} == {ids["heukelum.test"]}


async def test_a_stopped_kern_is_not_pulled_and_its_pushes_are_refused(
    two_kernen, gemeente_app, staff, real_kernen
):
    http, ids = two_kernen
    _http, token = staff
    beesd = real_kernen["beesd.test"]
    kern_id = ids["beesd.test"]
    db = gemeente_app.state.db
    assert kern_id in kernen.due_for_pull(db.read(), utcnow())
    assert (await stop(http, token, kern_id)).status_code == 303

    # Beesd has not heard of the stop yet, so it still pushes its new project.
    beesd.project("Een bankje")
    beesd.answers.clear()
    await beesd.deliver(failing=True)
    report = await gemeente_app.state.federation.pull_now(kern_id)

    # (Each delivery knocks twice: RFC 9421 first, then draft-cavage; both refused.)
    pushed = {status for method, url, status in beesd.answers if url.startswith(GEMEENTE_URL)}
    assert pushed == {403}
    assert kern_id not in kernen.due_for_pull(db.read(), utcnow())
    assert report.reason == "not_followed"
    assert held(db, kern_id) == dict.fromkeys(COPY_TABLES, 0)
    # The gemeente no longer offers it as a kern to send a bericht to.
    berichten = await http.get("/beheer/berichten")
    assert str(kern_id) not in option_values(berichten.text, "kern")


async def test_a_pull_that_runs_while_the_kern_is_stopped_keeps_nothing(
    gemeente_app, staff, beesd, router
):
    """A fake kern's outbox page, so staff can stop following while it is being read."""
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    beesd.publish("Create", beesd.project("speeltuin", name="Speeltuin"))
    db, fed = gemeente_app.state.db, gemeente_app.state.federation

    def stop_during_the_page(request: httpx.Request) -> httpx.Response:
        if b"after=" in request.url.query:  # the page is read; staff stop before it is applied
            db.write(stopping.stop, fed.identity, kern_id, "test", utcnow())
        return beesd.handler(request)

    router.add("beesd.test", httpx.MockTransport(stop_during_the_page))

    report = await pull.pull(fed.store, fed.fetcher, fed.keys, kern_id, utcnow())

    assert report.reason == "not_followed"
    assert held(db, kern_id) == dict.fromkeys(COPY_TABLES, 0)
    kern = kernen.get(db.read(), kern_id)
    assert (kern["state"], kern["position"], kern["outbox_position"]) == ("gestopt", 0, 0)


async def test_a_medewerker_may_not_stop_following(two_kernen, gemeente_app):
    http, ids = two_kernen
    kern_id = ids["beesd.test"]
    db = gemeente_app.state.db
    before = held(db, kern_id)
    beheerder_list = await http.get("/beheer")
    assert f"/beheer/kernen/{kern_id}/stoppen" in link_targets(beheerder_list.text)
    transport = httpx.ASGITransport(app=gemeente_app)
    async with httpx.AsyncClient(transport=transport, base_url=GEMEENTE_URL) as mo:
        token = await login(mo, "mo")

        page = await mo.get(f"/beheer/kernen/{kern_id}/stoppen")
        response = await stop(mo, token, kern_id)
        medewerker_list = await mo.get("/beheer")

    assert page.status_code == 403 and response.status_code == 403
    assert f"/beheer/kernen/{kern_id}/stoppen" not in link_targets(medewerker_list.text)
    assert kernen.get(db.read(), kern_id)["state"] == "actief"
    assert held(db, kern_id) == before
    assert not db.execute("SELECT 1 FROM audit_log WHERE action = 'kern.ontvolgd'")


async def test_without_the_confirmation_nothing_changes(two_kernen, gemeente_app, staff):
    http, ids = two_kernen
    _http, token = staff
    kern_id = ids["beesd.test"]
    db = gemeente_app.state.db
    before = held(db, kern_id)
    deliveries = db.scalar("SELECT count(*) FROM federation_deliveries")

    unticked = await http.post(f"/beheer/kernen/{kern_id}/stoppen", data={"csrf": token})
    said_no = await stop(http, token, kern_id, bevestigd="false")

    for response in (unticked, said_no):
        assert response.status_code == 400
        assert "Zet een vinkje als u zeker weet" in response.text
        # The message is next to the field, and the field points to it.
        message = text_of(response.text, "#bevestigd-fout")
        assert "Zet een vinkje" in message
        field = select_one(response.text, '[name="bevestigd"]')
        assert "bevestigd-fout" in field.get("aria-describedby", "")
    assert kernen.get(db.read(), kern_id)["state"] == "actief"
    assert held(db, kern_id) == before
    assert db.scalar("SELECT count(*) FROM federation_deliveries") == deliveries


async def test_a_missing_or_wrong_csrf_token_is_refused(two_kernen, gemeente_app, staff):
    http, ids = two_kernen
    kern_id = ids["beesd.test"]
    db = gemeente_app.state.db
    before = held(db, kern_id)
    page = await http.get(f"/beheer/kernen/{kern_id}/stoppen")
    assert CSRF_RE.search(page.text)

    missing = await http.post(f"/beheer/kernen/{kern_id}/stoppen", data={"bevestigd": "y"})
    wrong = await stop(http, "niet-het-goede-token", kern_id)

    for response in (missing, wrong):
        assert response.status_code == 400
        assert "Het formulier is verlopen" in response.text
    assert kernen.get(db.read(), kern_id)["state"] == "actief"
    assert held(db, kern_id) == before


async def test_following_again_resumes_the_kern_from_the_start(
    two_kernen, gemeente_app, staff, real_kernen
):
    http, ids = two_kernen
    _http, token = staff
    beesd = real_kernen["beesd.test"]
    kern_id = ids["beesd.test"]
    db, fed = gemeente_app.state.db, gemeente_app.state.federation
    await fed.pull_now(kern_id)
    assert kernen.get(db.read(), kern_id)["position"] == beesd.outbox_length()
    assert (await stop(http, token, kern_id)).status_code == 303
    await fed.deliver()
    first_follow = next(a for a in beesd.received if a.get("type") == "Follow")

    again = await http.post(
        "/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test", "rollout": "uitrol"}
    )

    assert again.status_code == 303
    kern = kernen.get(db.read(), kern_id)
    assert (kern["state"], kern["rollout"], kern["stopped_at"]) == ("gevraagd", "uitrol", None)
    assert db.scalar("SELECT count(*) FROM gemeente_kernen") == 2  # the same record, resumed
    await fed.deliver()
    follow = beesd.received[-1]
    assert follow["type"] == "Follow" and follow["id"] != first_follow["id"]
    await beesd.deliver()  # the kern's Accept
    assert kernen.get(db.read(), kern_id)["state"] == "actief"
    assert kern_id in kernen.due_for_pull(db.read(), utcnow())
    beesd.requests.clear()

    report = await fed.pull_now(kern_id)

    assert report.ok and report.complete
    pages = [r.url.params.get("after") for r in beesd.requests if "after" in r.url.params]
    assert pages[0] == "0"
    names = {
        r["name"]
        for r in db.execute("SELECT name FROM gemeente_projects WHERE kern_id = ?", (kern_id,))
    }
    assert names == {"Zebrapad bij de school", "Nieuwe speeltuin"}
    assert kernen.get(db.read(), kern_id)["position"] == beesd.outbox_length()
    # The gemeente's reactie on the project finds its project again.
    page = await http.get(f"/kernen/{kern_id}")
    assert "Zebrapad bij de school" in page.text


async def test_a_stopped_kern_can_be_followed_again_from_the_list(gemeente_app, staff, real_kernen):
    http, token = staff
    kern_id = await follow(gemeente_app, http, token, real_kernen["beesd.test"])
    assert (await stop(http, token, kern_id)).status_code == 303
    listing = await http.get("/beheer")
    assert "Niet meer gevolgd" in listing.text and "Weer volgen" in listing.text

    response = await http.post(f"/beheer/kernen/{kern_id}/opnieuw", data={"csrf": token})

    assert response.status_code == 303
    assert kernen.get(gemeente_app.state.db.read(), kern_id)["state"] == "gevraagd"


async def test_stopping_twice_changes_nothing_the_second_time(gemeente_app, staff, real_kernen):
    http, token = staff
    kern_id = await follow(gemeente_app, http, token, real_kernen["beesd.test"])
    assert (await stop(http, token, kern_id)).status_code == 303
    db = gemeente_app.state.db
    stopped_at = kernen.get(db.read(), kern_id)["stopped_at"]

    page = await http.get(f"/beheer/kernen/{kern_id}/stoppen")
    second = await stop(http, token, kern_id)

    assert page.status_code == 303 and second.status_code == 303
    assert kernen.get(db.read(), kern_id)["stopped_at"] == stopped_at
    assert len(db.execute("SELECT 1 FROM audit_log WHERE action = 'kern.ontvolgd'")) == 1
    assert (await http.get("/beheer/kernen/999/stoppen")).status_code == 404


async def test_stopping_changes_the_pages_at_once_however_it_is_written(
    gemeente_app, staff, real_kernen
):
    http, token = staff
    kern_id = await follow(gemeente_app, http, token, real_kernen["beesd.test"])
    db, fed = gemeente_app.state.db, gemeente_app.state.federation
    version = db.data_version()

    # A quiet write keeps the page cache; the stop bumps the data version itself.
    assert db.write_quiet(stopping.stop, fed.identity, kern_id, "test", utcnow())

    assert db.data_version() > version
