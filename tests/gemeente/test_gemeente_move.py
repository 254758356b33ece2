"""A kern that moves: the gemeente follows a verified, confirmed Move to the new actor."""

from __future__ import annotations

import dataclasses

from gemeente_helpers import FakeKern, follow_kern, kern_transport

from federation import vocabulary
from node.gemeente import kernen


def moved_kern(router, old: FakeKern, host: str, confirm: bool = True) -> FakeKern:
    new = FakeKern(host, old.profile.name)
    if confirm:
        new.profile = dataclasses.replace(new.profile, also_known_as=(old.id,))
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
    # The read model keeps what the kern published before it moved.
    assert db.scalar("SELECT kern_id FROM gemeente_objects WHERE object_id = ?", (project["id"],))
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
