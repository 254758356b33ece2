"""Following kernen: adding one by its address, the states, and clear messages for bad input.

The kernen are fakes (gemeente_helpers.FakeKern) so a test can refuse, answer late, be
unreachable, or be no kern at all: hostile or broken answers a real kern never gives."""

from __future__ import annotations

from gemeente_helpers import FakeKern, follow_kern

from node.gemeente import kernen


async def test_staff_follow_a_kern_and_it_becomes_active_on_accept(
    gemeente_app, staff, real_kernen
):
    """A real kern: its WebFinger, its actor document and its own Accept."""
    http, token = staff
    beesd = real_kernen["beesd.test"]

    response = await http.post(
        "/beheer/kernen", data={"csrf": token, "address": beesd.address, "rollout": "pilot"}
    )

    assert response.status_code == 303
    db = gemeente_app.state.db
    kern = kernen.list_kernen(db.read())[0]
    assert (kern["name"], kern["state"], kern["rollout"]) == ("Beesd", "gevraagd", "pilot")
    await gemeente_app.state.federation.deliver()
    follow = beesd.received[-1]
    assert follow["type"] == "Follow" and follow["object"] == beesd.id
    assert "proof" in follow

    beesd.answers.clear()
    await beesd.deliver()  # the kern accepts on its own

    accepted = [s for _m, url, s in beesd.answers if url.startswith("http://gemeente.test/")]
    assert accepted and accepted[-1] == 202  # delivered (after a second knock, if need be)
    kern = kernen.get(db.read(), kern["id"])
    assert kern["state"] == "actief" and kern["settled_at"]
    assert kern["next_pull_at"] is None  # pulled at once
    page = await http.get("/beheer")
    assert "Actief" in page.text and "Nu ophalen" in page.text
    log = db.execute("SELECT action FROM audit_log WHERE action = 'kern.volgen'")
    assert len(log) == 1


async def test_a_kern_that_refuses_is_shown_as_refused(gemeente_app, staff, beesd):
    http, token = staff
    kern_id = await follow_kern(gemeente_app, http, token, beesd, accept=False)

    answer = await beesd.push(http, beesd.answer("Reject"))

    assert answer.status_code == 202
    kern = kernen.get(gemeente_app.state.db.read(), kern_id)
    assert kern["state"] == "geweigerd"
    page = await http.get(f"/kernen/{kern_id}")
    assert "wil niet gevolgd worden" in page.text
    beheer = await http.get("/beheer")
    assert "Opnieuw vragen" in beheer.text


async def test_an_address_that_does_not_resolve_gets_a_clear_message(staff):
    http, token = staff

    response = await http.post(
        "/beheer/kernen", data={"csrf": token, "address": "@nergens@nergens.test"}
    )

    assert response.status_code == 400
    assert "bestaat niet of de server reageert niet" in response.text


async def test_a_malformed_address_gets_a_clear_message(staff):
    http, token = staff

    response = await http.post("/beheer/kernen", data={"csrf": token, "address": "beesd"})

    assert response.status_code == 400
    assert "Vul een adres in zoals @beesd@beesd.nl" in response.text


async def test_an_actor_that_is_not_a_kern_is_refused(router, staff):
    http, token = staff
    person = FakeKern("anna.test", "Anna", kind="Organization")
    from gemeente_helpers import kern_transport

    router.add("anna.test", kern_transport(person))

    response = await http.post("/beheer/kernen", data={"csrf": token, "address": "@anna@anna.test"})

    assert response.status_code == 400
    assert "geen kern" in response.text


async def test_a_group_without_bloei_is_refused(router, staff):
    http, token = staff
    group = FakeKern("club.test", "Club")
    group.bloei = False
    from gemeente_helpers import kern_transport

    router.add("club.test", kern_transport(group))

    response = await http.post(
        "/beheer/kernen", data={"csrf": token, "address": "http://club.test/"}
    )

    assert response.status_code == 400
    assert "geen kern met Bloei" in response.text


async def test_a_follow_that_cannot_be_delivered_makes_the_kern_unreachable(
    gemeente_app, staff, beesd
):
    http, token = staff
    await http.post("/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test"})
    beesd.up = False
    db = gemeente_app.state.db
    # Fail every try at once: the delivery queue gives up after its last retry.
    for _ in range(12):
        db.write_quiet(
            lambda conn: conn.execute("UPDATE federation_deliveries SET next_try_at = ''")
        )
        await gemeente_app.state.federation.deliver()

    kern = kernen.list_kernen(db.read())[0]
    assert kern["state"] == "onbereikbaar"
    assert "ConnectError" in kern["follow_error"]


async def test_content_from_a_kern_the_gemeente_does_not_follow_is_refused(gemeente, beesd):
    create = beesd.publish("Create", beesd.project("speeltuin"))

    response = await beesd.push(gemeente, create)

    assert response.status_code == 403
    assert "unknown_sender" in response.text


async def test_medewerkers_may_follow_but_not_manage_accounts(gemeente_app, gemeente, beesd):
    from gemeente_helpers import login

    token = await login(gemeente, "mo")

    add = await gemeente.post(
        "/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test", "rollout": "uitrol"}
    )
    users = await gemeente.get("/beheer/gebruikers")

    assert add.status_code == 303
    assert users.status_code == 403
    kern = kernen.list_kernen(gemeente_app.state.db.read())[0]
    assert kern["rollout"] == "uitrol"


async def test_beheer_needs_a_login(gemeente):
    response = await gemeente.get("/beheer")
    assert response.status_code == 303 and "/beheer/inloggen" in response.headers["location"]
    post = await gemeente.post("/beheer/kernen", data={"address": "@beesd@beesd.test"})
    assert post.status_code == 303 and "/beheer/inloggen" in post.headers["location"]
