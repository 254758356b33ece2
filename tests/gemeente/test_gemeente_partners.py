"""Partners on both sides: a real kern publishes its partners and who acts or helps where, and
the gemeente shows them across kernen and on its projects."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from gemeente_helpers import GEMEENTE_URL, Router, login
from helpers import add_project, add_thema
from openapi_schema_validator import OAS30Validator

from node.app import create_app
from node.gemeente import readmodel, rekey, stopping
from node.kern.agenda import model as agenda
from node.kern.partners import beheer as partner_beheer
from node.kern.partners import model as partners
from node.kern.projects import model as projects

CLUB = {
    "name": "Voetbalvereniging Beesd",
    "kind": "vereniging",
    "description": "De voetbalclub van het dorp.",
    "website": "https://vv-beesd.example/",
    "contact": "info@vv-beesd.example",
}


@pytest.fixture
def kern_app(settings, db):
    kern_settings = settings.with_changes(
        dev=True, gemeente_actor=GEMEENTE_URL + "/actor", background_jobs=False
    )
    return create_app(kern_settings, db)


@pytest.fixture
async def followed(kern_app, gemeente_app, gemeente):
    """Beesd, followed by the gemeente and accepted, each reaching the other through ASGI."""
    both = Router(
        {
            "beesd.test": httpx.ASGITransport(app=kern_app),
            "gemeente.test": httpx.ASGITransport(app=gemeente_app),
        }
    )
    kern_app.state.federation.use_transport(both)
    gemeente_app.state.federation.use_transport(both)
    token = await login(gemeente)
    added = await gemeente.post(
        "/beheer/kernen", data={"csrf": token, "address": "@beesd@beesd.test"}
    )
    assert added.status_code == 303, added.text
    await gemeente_app.state.federation.deliver()
    await kern_app.state.federation.deliver()
    return kern_app, gemeente_app


def add_partner(db, settings, **changes) -> int:
    slug = db.write(partners.save_partner, settings, "test", {**CLUB, **changes})
    return db.scalar("SELECT id FROM partners WHERE slug = ?", (slug,))


async def test_a_kern_partner_reaches_the_gemeente_with_its_projects(
    followed, gemeente, settings, db
):
    kern_app, gemeente_app = followed
    club = add_partner(db, settings)
    school = add_partner(db, settings, name="Basisschool De Klimop", kind="school", website="")
    thema_slug = add_thema(db, settings, title="Sport en bewegen")
    thema = agenda.get_thema(db, thema_slug)
    values = {key: thema[key] for key in agenda.THEMA_FIELDS}
    db.write(agenda.save_thema, settings, "test", values, thema["id"], {club: "aan_zet"})
    project_id, _slug = add_project(db, settings, title="Een pannaveld")
    db.write(
        projects.save_project,
        settings,
        "test",
        {key: projects.get_project_by_id(db, project_id)[key] for key in projects.PROJECT_FIELDS},
        [],
        project_id,
        partner_links={school: "aan_zet", club: "helpt"},
    )
    report = await kern_app.state.federation.deliver()
    assert report.failed == 0

    gdb = gemeente_app.state.db
    [copy] = gdb.execute("SELECT * FROM gemeente_partners WHERE kind = 'vereniging'")
    assert copy["name"] == CLUB["name"] and copy["url"] == settings.url(
        "/partners/voetbalvereniging-beesd"
    )
    assert copy["website"] == CLUB["website"] and copy["contact"] == CLUB["contact"]

    page = (await gemeente.get("/partners")).text
    assert "Voetbalvereniging Beesd" in page and "Basisschool De Klimop" in page
    assert "Een pannaveld" in page and "Sport en bewegen" in page and "Beesd" in page
    only_schools = (await gemeente.get("/partners?soort=school")).text
    assert "Basisschool De Klimop" in only_schools
    assert "Voetbalvereniging Beesd" not in only_schools
    wrong = await gemeente.get("/partners?soort=sekte")
    assert wrong.status_code == 400 and "Kies een soort uit de lijst" in wrong.text

    # The open-data API names them too, in the shape its OpenAPI document gives.
    spec = (await gemeente.get("/api/v1/openapi.json")).json()
    body = (await gemeente.get("/api/v1/partners")).json()
    OAS30Validator(
        {"$ref": "#/components/schemas/Partners", "components": spec["components"]}
    ).validate(body)
    club_body = next(p for p in body["partners"] if p["soort"] == "vereniging")
    assert club_body["kernNaam"] == "Beesd" and club_body["website"] == CLUB["website"]
    assert [(p["naam"], p["rol"]) for p in club_body["projecten"]] == [("Een pannaveld", "helpt")]
    assert [(t["naam"], t["rol"]) for t in club_body["themas"]] == [("Sport en bewegen", "aan_zet")]
    api_projects = (await gemeente.get("/api/v1/projecten")).json()["projecten"]
    [pannaveld] = [p for p in api_projects if p["titel"] == "Een pannaveld"]
    assert [(p["naam"], p["rol"]) for p in pannaveld["partners"]] == [
        ("Basisschool De Klimop", "aan_zet"),
        ("Voetbalvereniging Beesd", "helpt"),
    ]

    kern_id = gdb.scalar("SELECT id FROM gemeente_kernen")
    kern_page = (await gemeente.get(f"/kernen/{kern_id}")).text
    assert "Basisschool De Klimop" in kern_page and "Voetbalvereniging Beesd" in kern_page
    only_beesd = (await gemeente.get(f"/api/v1/partners?kern={kern_id}")).json()
    assert only_beesd["totaal"] == 2

    listed = (await gemeente.get("/projecten")).text
    assert "Basisschool De Klimop</a> (aan zet)" in listed
    assert "Voetbalvereniging Beesd</a> (helpt)" in listed

    # The kern removes the club: it goes, and so does every link to it.
    db.write(partner_beheer.remove_everywhere, settings, "test", club)
    await kern_app.state.federation.deliver()
    assert gdb.scalar("SELECT count(*) FROM gemeente_partners") == 1
    assert (
        gdb.scalar("SELECT count(*) FROM gemeente_partner_links WHERE partner_id LIKE '%voetbal%'")
        == 0
    )
    assert "Voetbalvereniging Beesd" not in (await gemeente.get("/partners")).text

    # A gemeente that stops following the kern forgets its partners with the rest.
    gdb.write(stopping.forget_copy, kern_id)
    assert gdb.scalar("SELECT count(*) FROM gemeente_partners") == 0
    assert gdb.scalar("SELECT count(*) FROM gemeente_partner_links") == 0


async def test_a_partner_link_to_another_origin_or_with_an_unknown_role_is_not_kept(
    followed, settings, db
):
    """What a kern sends is untrusted: a role outside the list, or a partner elsewhere, is
    left out of the links while the project itself is kept."""
    _kern_app, gemeente_app = followed
    gdb = gemeente_app.state.db
    kern_id = gdb.scalar("SELECT id FROM gemeente_kernen")
    project = {
        "id": "http://beesd.test/projecten/x",
        "type": ["Page", "Project"],
        "name": "X",
        "partners": [
            {"type": "PartnerRol", "partner": "http://beesd.test/partners/a", "rol": "baas"},
            {"type": "PartnerRol", "partner": "https://elders.example/partners/b", "rol": "helpt"},
            {"type": "PartnerRol", "partner": "http://beesd.test/partners/c", "rol": "helpt"},
            "niet een object",
        ],
    }
    gdb.write(
        readmodel.save, kern_id, "Project", project, "2026-01-01T00:00:00Z", datetime.now(UTC)
    )
    links = gdb.execute("SELECT partner_id, role FROM gemeente_partner_links")
    assert [(r["partner_id"], r["role"]) for r in links] == [
        ("http://beesd.test/partners/c", "helpt")
    ]


async def test_a_kern_that_moved_takes_its_partners_and_their_links_along(followed, settings):
    _kern_app, gemeente_app = followed
    gdb = gemeente_app.state.db
    kern_id = gdb.scalar("SELECT id FROM gemeente_kernen")
    partner = {
        "id": "http://beesd.test/partners/club",
        "type": ["Organization", "Partner"],
        "name": "Club",
        "url": "http://beesd.test/partners/club",
        "partnerSoort": "vereniging",
    }
    project = {
        "id": "http://beesd.test/projecten/x",
        "type": ["Page", "Project"],
        "name": "X",
        "partners": [{"type": "PartnerRol", "partner": partner["id"], "rol": "aan_zet"}],
    }
    now = datetime.now(UTC)
    for kind, obj in (("Partner", partner), ("Project", project)):
        gdb.write(readmodel.save, kern_id, kind, obj, "2026-01-01T00:00:00Z", now)

    gdb.write(
        rekey.rekey_kern, kern_id, "http://beesd.test/actor", "https://beesd.example/actor", now
    )
    moved = gdb.one("SELECT object_id, url FROM gemeente_partners")
    assert dict(moved) == {
        "object_id": "https://beesd.example/partners/club",
        "url": "https://beesd.example/partners/club",
    }
    link = gdb.one("SELECT object_id, partner_id FROM gemeente_partner_links")
    assert dict(link) == {
        "object_id": "https://beesd.example/projecten/x",
        "partner_id": "https://beesd.example/partners/club",
    }
