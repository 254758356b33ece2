"""A kern that moves: the gemeente follows a verified, confirmed Move to the new actor.

The old and the new kern are fakes (gemeente_helpers.FakeKern, objects from the kern's own
serializer): these tests forge unconfirmed, unverified and conflicting moves on purpose."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from gemeente_helpers import (
    CSRF_RE,
    GEMEENTE_URL,
    NOW,
    FakeKern,
    follow_kern,
    kern_transport,
    key_pair,
)
from markup import link_targets, text_of

from federation import vocabulary
from federation.actors import ActorRoutes
from federation.identity import LocalIdentity
from federation.store import timestamp
from node.gemeente import kernen, reactions, readmodel


def moved_kern(router, old: FakeKern, host: str, confirm: bool = True) -> FakeKern:
    new = FakeKern(host, old.profile.name)
    if confirm:
        new.profile = dataclasses.replace(new.profile, also_known_as=(old.id,))
    new.clock = old.clock  # the moved node goes on from where the old one was
    router.add(host, kern_transport(new))
    return new


def move_of(old: FakeKern, new: FakeKern) -> dict:
    activity = vocabulary.move(
        old.id,
        new.id,
        activity_id=vocabulary.new_id(old.id + "/activities"),
        published=old.tick(),
        to=[old.profile.routes.followers],
    )
    return old.identity.sign(activity)


async def test_a_confirmed_move_switches_the_kern_to_its_new_actor(
    gemeente_app, staff, beesd, router
):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("speeltuin", name="Speeltuin")
    assert (await beesd.push(http, beesd.publish("Create", project))).status_code == 202
    new = moved_kern(router, beesd, "beesd-nieuw.test")

    response = await beesd.push(http, move_of(beesd, new))
    assert response.status_code == 202, response.text

    db = gemeente_app.state.db
    kern = kernen.get(db.read(), kern_id)
    assert (kern["actor_id"], kern["inbox"]) == (new.id, new.profile.routes.inbox)
    assert kern["state"] == "gevraagd"
    assert kernen.by_actor(db.read(), beesd.id) is None
    moves = kernen.moves_of(db.read(), kern_id)
    assert [(m["old_actor_id"], m["new_actor_id"]) for m in moves] == [(beesd.id, new.id)]
    # The read model keeps what the kern published before it moved, under its new id.
    moved_id = new.project("speeltuin")["id"]
    assert db.scalar("SELECT kern_id FROM gemeente_objects WHERE object_id = ?", (moved_id,))
    await gemeente_app.state.federation.deliver()
    assert any(a.get("type") == "Follow" and a.get("object") == new.id for a in new.received)
    # The new actor accepts and then pushes as the same kern.
    assert (await new.push(http, new.answer("Accept"))).status_code == 202
    assert kernen.get(db.read(), kern_id)["state"] == "actief"
    later = new.project("bankje", name="Bankje")
    assert (await new.push(http, new.publish("Create", later))).status_code == 202
    assert db.scalar("SELECT kern_id FROM gemeente_objects WHERE object_id = ?", (later["id"],))


async def test_a_move_the_new_actor_does_not_confirm_is_refused(gemeente_app, staff, beesd, router):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    stranger = moved_kern(router, beesd, "kaper.test", confirm=False)

    response = await beesd.push(http, move_of(beesd, stranger))
    assert (response.status_code, response.text) == (403, response.text)

    db = gemeente_app.state.db
    assert kernen.get(db.read(), kern_id)["actor_id"] == beesd.id
    assert kernen.moves_of(db.read(), kern_id) == []
    assert not any(a.get("type") == "Follow" for a in stranger.received)


async def test_only_a_followed_kern_can_move(gemeente_app, staff, beesd, heukelum, router):
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    new = moved_kern(router, heukelum, "heukelum-nieuw.test")
    response = await heukelum.push(http, move_of(heukelum, new))
    assert response.status_code in (401, 403)
    assert kernen.by_actor(gemeente_app.state.db.read(), new.id) is None


# --- the held copies move to the new base ------------------------------------------------------

NEW_HOST = "beesd-nieuw.test"


def _objects(db, kern_id: int) -> dict[str, int]:
    """The kern's copies: id -> deleted."""
    found = db.execute(
        "SELECT object_id, deleted FROM gemeente_objects WHERE kern_id = ?", (kern_id,)
    )
    return {r["object_id"]: r["deleted"] for r in found}


def _anonymous(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=GEMEENTE_URL)


def _token(page) -> str:
    return CSRF_RE.search(page.text).group(1)


async def _accept_new(app, http, new: FakeKern) -> None:
    await app.state.federation.deliver()
    assert (await new.push(http, new.answer("Accept"))).status_code == 202


async def test_after_a_move_the_copies_live_under_the_new_ids(gemeente_app, staff, beesd, router):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    thema = beesd.thema("verkeer", "Verkeer en vervoer")
    project = beesd.project(
        "speeltuin",
        name="Speeltuin",
        summary="Speeltoestellen voor jonge kinderen",
        behoeften=["besluit_gemeente"],
        themas=[thema["id"]],
    )
    meeting = beesd.meeting("dorpsavond", datetime.now(UTC) + timedelta(days=3))
    gone = beesd.project("oud-plan", name="Oud plan")
    for activity in (
        beesd.publish("Create", thema),
        beesd.publish("Create", project),
        beesd.publish("Create", meeting),
        beesd.publish("Create", gone),
        beesd.publish("Delete", gone),
    ):
        assert (await beesd.push(http, activity)).status_code == 202
    db = gemeente_app.state.db
    before = db.one(
        "SELECT id, needs_since, published_at FROM gemeente_projects WHERE object_id = ?",
        (project["id"],),
    )
    assert before["needs_since"] is not None
    async with _anonymous(gemeente_app) as public:
        # Stored in the page cache, which the move must invalidate.
        assert project["url"] in (await public.get("/projecten")).text

        new = moved_kern(router, beesd, NEW_HOST)
        assert (await beesd.push(http, move_of(beesd, new))).status_code == 202

        moved = {
            key: obj["id"].replace(beesd.base, new.base)
            for key, obj in {"thema": thema, "project": project, "meeting": meeting}.items()
        }
        assert moved["project"] == new.project("speeltuin")["id"]
        gone_id = new.project("oud-plan")["id"]
        assert _objects(db, kern_id) == {
            moved["thema"]: 0,
            moved["project"]: 0,
            moved["meeting"]: 0,
            gone_id: 1,
        }
        copy = db.one(
            "SELECT url, document FROM gemeente_objects WHERE object_id = ?", (moved["project"],)
        )
        document = json.loads(copy["document"])
        assert copy["url"] == document["url"] == moved["project"]
        assert (document["id"], document["attributedTo"], document["themas"]) == (
            moved["project"],
            new.id,
            [moved["thema"]],
        )
        assert document["summary"] == "Speeltoestellen voor jonge kinderen"
        assert copy["document"] == json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        for table, key in (
            ("gemeente_projects", "project"),
            ("gemeente_themas", "thema"),
            ("gemeente_meetings", "meeting"),
        ):
            found = db.execute(f"SELECT object_id, url FROM {table} WHERE kern_id = ?", (kern_id,))
            assert [tuple(r) for r in found] == [(moved[key], moved[key])], table
        assert db.scalar("SELECT thema_object_id FROM gemeente_project_themas") == moved["thema"]
        logged = db.execute(
            "SELECT object_id FROM gemeente_activities WHERE kern_id = ? AND object_id IS NOT NULL",
            (kern_id,),
        )
        assert logged and not any(beesd.base + "/" in r["object_id"] for r in logged)
        assert (
            db.scalar("SELECT summary FROM audit_log WHERE action = 'kern.verhuisd'")
            == f"{beesd.id} (4 objecten)"
        )

        page = (await public.get("/projecten")).text
        assert moved["project"] in link_targets(page) and project["url"] not in page
        api = (await public.get("/api/v1/projecten")).json()["projecten"]
        assert [(p["id"], p["_links"]["bron"]["href"]) for p in api] == [
            (moved["project"], moved["project"])
        ]

        # The moved node changes the same project: still one project, same row, same wait.
        await _accept_new(gemeente_app, http, new)
        update = new.project(
            "speeltuin",
            name="Speeltuin met glijbaan",
            behoeften=["besluit_gemeente"],
            themas=[moved["thema"]],
        )
        assert (await new.push(http, new.publish("Update", update))).status_code == 202
        after = db.execute("SELECT * FROM gemeente_projects WHERE kern_id = ?", (kern_id,))
        assert len(after) == 1
        assert after[0]["name"] == "Speeltuin met glijbaan"
        assert (after[0]["id"], after[0]["needs_since"], after[0]["published_at"]) == tuple(before)
        found = (await public.get("/projecten?q=speeltuin")).text
        assert link_targets(found).count(moved["project"]) == 1
        # "speeltuin" is marked inside the name: compare the text a reader sees
        assert "Speeltuin met glijbaan" in text_of(found)


@pytest.fixture
async def zebrapad(gemeente_app, staff, beesd):
    """Beesd followed, with its project "Zebrapad bij de school" pushed to the gemeente."""
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("zebrapad", name="Zebrapad bij de school")
    assert (await beesd.push(http, beesd.publish("Create", project))).status_code == 202
    return http, project["id"]


async def test_a_reactie_given_before_the_move_stays_with_the_project(
    zebrapad, gemeente_app, beesd, router
):
    http, _id = zebrapad
    token = _token(await http.get("/beheer"))
    old_id = "http://beesd.test/projecten/zebrapad"
    sent = await http.post(
        f"/beheer/reactie?op={old_id}",
        data={"csrf": token, "text": "We leggen het zebrapad in maart aan."},
    )
    assert sent.status_code == 303

    new = moved_kern(router, beesd, NEW_HOST)
    assert (await beesd.push(http, move_of(beesd, new))).status_code == 202

    new_id = new.project("zebrapad")["id"]
    db = gemeente_app.state.db
    assert [r["content"] for r in reactions.trail(db.read(), new_id)] == [
        "We leggen het zebrapad in maart aan."
    ]
    assert reactions.trail(db.read(), old_id) == []
    page = await http.get(f"/beheer/reactie?op={new_id}")
    assert page.status_code == 200
    assert "We leggen het zebrapad in maart aan." in page.text
    assert "Zebrapad bij de school" in page.text
    # The audit log says what happened, at the address of the time: never rewritten.
    audit = db.scalar("SELECT object_id FROM audit_log WHERE action = 'reactie.verstuurd'")
    assert audit == old_id


async def test_a_kern_answer_given_before_the_move_stays_in_the_thread(
    zebrapad, gemeente_app, beesd, router
):
    """The kern's answer is hand-written: a moving kern is played by a fake one."""
    http, _id = zebrapad
    token = _token(await http.get("/beheer"))
    old_id = "http://beesd.test/projecten/zebrapad"
    await http.post(f"/beheer/reactie?op={old_id}", data={"csrf": token, "text": "Wanneer?"})
    reactie_id = reactions.trail(gemeente_app.state.db.read(), old_id)[0]["object_id"]
    answer = vocabulary.typed(
        "Reactie",
        id="http://beesd.test/antwoorden/1",
        content="<p>In april.</p>",
        inReplyTo=reactie_id,
        attributedTo=beesd.id,
    )
    assert (await beesd.push(http, beesd.publish("Create", answer))).status_code == 202

    new = moved_kern(router, beesd, NEW_HOST)
    assert (await beesd.push(http, move_of(beesd, new))).status_code == 202

    new_id = new.project("zebrapad")["id"]
    kept = gemeente_app.state.db.one("SELECT object_id, about FROM gemeente_kern_answers")
    assert tuple(kept) == (f"http://{NEW_HOST}/antwoorden/1", new_id)
    page = await http.get(f"/beheer/reactie?op={new_id}")
    assert "In april." in page.text and "Wacht op de gemeente" in page.text


@pytest.mark.parametrize("newer", ["new_id", "old_id"])
async def test_a_copy_already_under_the_new_id_gives_one_project_the_newer(
    gemeente_app, staff, beesd, router, newer
):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("speeltuin", name="Speeltuin van toen")
    assert (await beesd.push(http, beesd.publish("Create", project))).status_code == 202
    new = moved_kern(router, beesd, NEW_HOST)
    already = new.project("speeltuin", name="Speeltuin van nu")
    db = gemeente_app.state.db
    old_changed = db.scalar(
        "SELECT changed_at FROM gemeente_objects WHERE object_id = ?", (project["id"],)
    )
    old_row = db.scalar("SELECT id FROM gemeente_projects WHERE object_id = ?", (project["id"],))
    when = beesd.clock + timedelta(hours=1) if newer == "new_id" else NOW - timedelta(days=1)

    def arrived_first(conn):
        readmodel.save(conn, kern_id, "Project", already, timestamp(when), when)

    db.write(arrived_first)
    assert db.scalar("SELECT count(*) FROM gemeente_projects") == 2

    response = await beesd.push(http, move_of(beesd, new))
    assert response.status_code == 202, response.text

    projects = db.execute("SELECT id, object_id, name FROM gemeente_projects")
    name = "Speeltuin van nu" if newer == "new_id" else "Speeltuin van toen"
    assert [(r["object_id"], r["name"]) for r in projects] == [(already["id"], name)]
    if newer == "old_id":
        assert projects[0]["id"] == old_row
        assert (
            db.scalar(
                "SELECT changed_at FROM gemeente_objects WHERE object_id = ?", (already["id"],)
            )
            == old_changed
        )
    assert _objects(db, kern_id) == {already["id"]: 0}
    assert db.scalar("SELECT count(*) FROM gemeente_project_search") == 1
    async with _anonymous(gemeente_app) as public:
        found = (await public.get("/projecten?q=speeltuin")).text
    assert link_targets(found).count(already["id"]) == 1


class ElsewhereKern(FakeKern):
    """A kern whose actor does not live at `<base>/actor`."""

    ACTOR = "/leden/beesd"

    def __init__(self, host: str, name: str):
        super().__init__(host, name)
        self.identity = LocalIdentity(self.base + self.ACTOR, key_pair(host))
        self.profile = dataclasses.replace(
            self.profile, routes=ActorRoutes.under(self.base, self.ACTOR)
        )

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.ACTOR:
            self.requests.append(request)
            return httpx.Response(
                200,
                content=json.dumps(self.document()).encode(),
                headers={"Content-Type": "application/activity+json"},
            )
        return super().handler(request)


async def test_a_move_to_an_actor_elsewhere_leaves_the_ids_alone(
    gemeente_app, staff, beesd, router
):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.project("speeltuin", name="Speeltuin")
    assert (await beesd.push(http, beesd.publish("Create", project))).status_code == 202
    new = ElsewhereKern(NEW_HOST, beesd.profile.name)
    new.profile = dataclasses.replace(new.profile, also_known_as=(beesd.id,))
    router.add(NEW_HOST, kern_transport(new))

    response = await beesd.push(http, move_of(beesd, new))
    assert response.status_code == 202, response.text

    db = gemeente_app.state.db
    assert kernen.get(db.read(), kern_id)["actor_id"] == new.id == f"http://{NEW_HOST}/leden/beesd"
    assert _objects(db, kern_id) == {project["id"]: 0}
    assert db.scalar("SELECT object_id FROM gemeente_projects") == project["id"]
    assert (
        db.scalar("SELECT summary FROM audit_log WHERE action = 'kern.verhuisd'")
        == f"{beesd.id} (0 objecten)"
    )


async def test_the_copies_of_another_kern_stay_as_they_are(
    gemeente_app, staff, beesd, heukelum, router
):
    http, token = staff
    ids = {
        kern.host: await follow_kern(gemeente_app, http, token, kern) for kern in (beesd, heukelum)
    }
    zebrapad = beesd.project("zebrapad", name="Zebrapad")
    # Heukelum's copy names a Beesd project as a value (in a property no kern sends today):
    # only Beesd's own copies move.
    drempels = heukelum.project("drempels", {"zieOok": zebrapad["id"]}, name="Drempels")
    assert (await beesd.push(http, beesd.publish("Create", zebrapad))).status_code == 202
    assert (await heukelum.push(http, heukelum.publish("Create", drempels))).status_code == 202
    db = gemeente_app.state.db
    heukelum_id = ids[heukelum.host]

    def held() -> dict[str, list[tuple]]:
        tables = ("gemeente_objects", "gemeente_projects", "gemeente_activities")
        sql = "SELECT * FROM {} WHERE kern_id = ? ORDER BY 1"
        return {t: [tuple(r) for r in db.execute(sql.format(t), (heukelum_id,))] for t in tables}

    before = held()
    assert zebrapad["id"] in before["gemeente_objects"][0][5]  # the document

    new = moved_kern(router, beesd, NEW_HOST)
    assert (await beesd.push(http, move_of(beesd, new))).status_code == 202

    assert held() == before
    assert _objects(db, ids[beesd.host]) == {new.project("zebrapad")["id"]: 0}
    assert kernen.get(db.read(), heukelum_id)["actor_id"] == heukelum.id


async def test_a_move_found_by_a_pull_is_taken_as_if_pushed(gemeente_app, staff, beesd, router):
    """The push of the Move never came (the gemeente was down too long): the pull of the old
    outbox finds it, checked by its proof, and the kern moves all the same."""
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    project = beesd.publish("Create", beesd.project("speeltuin", name="Speeltuin"))["object"]
    new = moved_kern(router, beesd, "beesd-nieuw.test")
    beesd.outbox.append(move_of(beesd, new))

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert report.ok and report.moved_to == new.id
    db = gemeente_app.state.db
    assert kernen.get(db.read(), kern_id)["actor_id"] == new.id
    new_id = project["id"].replace(beesd.id.removesuffix("/actor"), new.id.removesuffix("/actor"))
    assert db.scalar("SELECT object_id FROM gemeente_projects") == new_id
    await gemeente_app.state.federation.deliver()
    assert any(a.get("type") == "Follow" and a.get("object") == new.id for a in new.received)
    # A second pull (of the new actor now) finds nothing more to move.
    assert kernen.moves_of(db.read(), kern_id)[0]["new_actor_id"] == new.id


async def test_a_pulled_move_that_is_not_confirmed_is_noted_for_staff(
    gemeente_app, staff, beesd, router
):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd)
    stranger = moved_kern(router, beesd, "kaper.test", confirm=False)
    move = move_of(beesd, stranger)
    beesd.outbox.append(move)

    report = await gemeente_app.state.federation.pull_now(kern_id)

    assert report.ok and report.moved_to == ""
    db = gemeente_app.state.db
    assert kernen.get(db.read(), kern_id)["actor_id"] == beesd.id
    refusal = kernen.recent_refusals(db.read(), kern_id)[0]
    assert (refusal["reason"], refusal["via"], refusal["activity_id"]) == (
        "move_not_confirmed",
        "pull",
        move["id"],
    )
    # Staff (signed in) see why on the kern's page.
    page = await http.get(f"/kernen/{kern_id}")
    assert "Verhuizing: het nieuwe adres bevestigt die niet" in page.text
