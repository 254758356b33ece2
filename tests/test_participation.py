"""Residents take part without an account: support once, volunteer with consent."""

from __future__ import annotations

import asyncio

import httpx

from tests.helpers import add_project

VOLUNTEER = {
    "name": "Jan Bos",
    "contact": "jan@example.org",
    "message": "Ik help graag.",
    "consent": "y",
}


async def test_support_counts_one_person_once(client, db, settings):
    _, slug = add_project(db, settings)
    first = await client.post(f"/projecten/{slug}/steun")
    assert first.status_code == 303
    await client.post(f"/projecten/{slug}/steun")
    assert db.scalar("SELECT count(*) FROM supports") == 1
    page = (await client.get(first.headers["location"])).text
    assert "1 inwoner steunt dit project." in page


async def test_support_stores_nothing_that_identifies_the_resident(client, db, settings):
    _, slug = add_project(db, settings)
    await client.post(f"/projecten/{slug}/steun", headers={"User-Agent": "Eigen browser"})
    token = client.cookies.get("bloei_steun")
    row = db.one("SELECT * FROM supports")
    assert token and token not in row["supporter"]
    assert "127.0.0.1" not in str(dict(row)) and "Eigen browser" not in str(dict(row))


async def test_many_residents_supporting_at_the_same_moment_are_all_counted(app, db, settings):
    _, slug = add_project(db, settings)

    async def one_resident(number: int) -> int:
        # Each from home: at most a few supports per address count (node/kern/supporting.py).
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{number + 1}", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://beesd.test") as resident:
            response = await resident.post(f"/projecten/{slug}/steun")
            await resident.post(f"/projecten/{slug}/steun")  # a double click
            return response.status_code

    statuses = await asyncio.gather(*(one_resident(n) for n in range(40)))
    assert set(statuses) == {303}
    assert db.scalar("SELECT count(*) FROM supports") == 40


async def test_support_from_threads_at_once_loses_nothing(db, settings):
    from concurrent.futures import ThreadPoolExecutor

    from node.kern.projects import model as projects

    project_id, _ = add_project(db, settings)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda n: db.write(projects.add_support, project_id, f"p{n % 50}"), range(200))
        )
    assert results.count(True) == 50
    assert db.scalar("SELECT count(*) FROM supports WHERE project_id = ?", (project_id,)) == 50


async def test_volunteer_signs_up_and_only_the_group_sees_it(client, db, settings):
    project_id, slug = add_project(db, settings)
    response = await client.post(f"/projecten/{slug}/vrijwilliger", data=VOLUNTEER)
    assert response.status_code == 303
    row = db.one("SELECT * FROM volunteers")
    assert row["name"] == "Jan Bos" and row["consent_at"]
    public = (await client.get(f"/projecten/{slug}")).text
    assert "jan@example.org" not in public and "Jan Bos" not in public


async def test_volunteer_form_errors_keep_what_was_typed(client, db, settings):
    _, slug = add_project(db, settings)
    cases = [
        ({"name": ""}, "Vul uw naam in."),
        ({"contact": ""}, "Vul een e-mailadres of telefoonnummer in."),
        ({"contact": "jan@@example"}, "Vul een geldig e-mailadres in"),
        ({"contact": "a,jan@example.nl"}, "Vul een geldig e-mailadres in"),
        ({"contact": "bel me"}, "Vul een geldig e-mailadres of telefoonnummer in"),
        ({"consent": ""}, "Zonder uw toestemming"),
        ({"name": "x" * 101}, "Gebruik hoogstens 100 tekens."),
        ({"message": "y" * 2001}, "Gebruik hoogstens 2000 tekens."),
    ]
    for change, message in cases:
        data = {**VOLUNTEER, **change}
        if change.get("consent") == "":
            data.pop("consent")
        response = await client.post(f"/projecten/{slug}/vrijwilliger", data=data)
        assert response.status_code == 400, change
        assert message in response.text, change
        assert "Controleer wat u heeft ingevuld" in response.text
        if "message" not in change:
            assert "Ik help graag." in response.text, "the message typed is kept"
    assert db.scalar("SELECT count(*) FROM volunteers") == 0


async def test_a_phone_number_is_fine_as_contact(client, db, settings):
    _, slug = add_project(db, settings)
    response = await client.post(
        f"/projecten/{slug}/vrijwilliger", data={**VOLUNTEER, "contact": "06 12345678"}
    )
    assert response.status_code == 303


async def test_script_in_a_volunteer_message_is_escaped_in_beheer_error_page(client, db, settings):
    _, slug = add_project(db, settings)
    data = {**VOLUNTEER, "name": "", "message": "<script>alert(1)</script>"}
    response = await client.post(f"/projecten/{slug}/vrijwilliger", data=data)
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


async def test_bots_filling_the_hidden_field_are_quietly_ignored(client, db, settings):
    _, slug = add_project(db, settings)
    response = await client.post(
        f"/projecten/{slug}/vrijwilliger", data={**VOLUNTEER, "website": "http://spam"}
    )
    assert response.status_code == 303
    assert db.scalar("SELECT count(*) FROM volunteers") == 0


async def test_unknown_project_is_a_404(client):
    assert (await client.post("/projecten/bestaat-niet/steun")).status_code == 404
    assert (
        await client.post("/projecten/bestaat-niet/vrijwilliger", data=VOLUNTEER)
    ).status_code == 404


async def test_a_cross_site_support_is_refused(client, db, settings):
    _, slug = add_project(db, settings)
    response = await client.post(
        f"/projecten/{slug}/steun", headers={"Origin": "https://kwaad.example"}
    )
    assert response.status_code == 403
    assert db.scalar("SELECT count(*) FROM supports") == 0


async def test_an_oversized_body_is_refused_before_it_is_read(client, db, settings):
    _, slug = add_project(db, settings)
    response = await client.post(
        f"/projecten/{slug}/vrijwilliger",
        content=b"x" * (13 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "te groot" in response.text
