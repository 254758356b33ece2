"""Partners of the kern: kept in beheer, linked to thema's and projects with a role, public."""

from __future__ import annotations

import json

from node.kern import sample
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from tests.conftest import BASE_URL
from tests.helpers import THEMA, add_project, add_thema
from tests.idea_helpers import events_of
from tests.markup import field_error, field_value, link_targets, select, text_of

CLUB = {
    "name": "Voetbalvereniging Beesd",
    "kind": "vereniging",
    "description": "De voetbalclub van het dorp.",
    "website": "https://vv-beesd.example",
    "contact": "info@vv-beesd.example",
}


def partner_form(csrf: str, **changes) -> dict:
    return {"csrf": csrf, **CLUB, **changes}


def add_partner(db, settings, **changes) -> int:
    slug = db.write(partners.save_partner, settings, "test", {**CLUB, **changes})
    return db.scalar("SELECT id FROM partners WHERE slug = ?", (slug,))


async def test_a_partner_added_in_beheer_is_public_and_recorded(admin, db):
    client, csrf = admin
    response = await client.post("/beheer/partners/nieuw", data=partner_form(csrf))
    assert (
        response.status_code == 303 and response.headers["location"] == "/beheer/partners#melding"
    )

    row = db.one("SELECT * FROM partners")
    assert row["slug"] == "voetbalvereniging-beesd" and row["kind"] == "vereniging"
    assert "/partners/voetbalvereniging-beesd" in link_targets(
        (await client.get("/beheer/partners")).text
    )
    listing = (await client.get("/partners")).text
    assert "Voetbalvereniging Beesd" in listing and "Vereniging" in listing
    page = (await client.get("/partners/voetbalvereniging-beesd")).text
    assert "https://vv-beesd.example" in link_targets(page)
    assert "info@vv-beesd.example" in page
    found = (await client.get("/zoeken?q=voetbalclub")).text
    assert "/partners/voetbalvereniging-beesd" in link_targets(found)
    [event] = events_of(db, "Partner")
    snapshot = json.loads(event["snapshot"])
    assert event["verb"] == "Create"
    assert snapshot["id"] == f"{BASE_URL}/partners/voetbalvereniging-beesd"
    assert snapshot["soort"] == "vereniging" and snapshot["naam"] == CLUB["name"]


async def test_the_partner_form_explains_each_mistake_in_dutch_and_keeps_fields(admin, db):
    client, csrf = admin
    bad = partner_form(csrf, name="  ", kind="sekte", website="javascript:alert(1)")
    response = await client.post("/beheer/partners/nieuw", data=bad)
    assert response.status_code == 400
    assert "Vul een naam in" in field_error(response.text, "name")
    assert "Kies een soort uit de lijst" in field_error(response.text, "kind")
    assert "https://" in field_error(response.text, "website")
    assert field_value(response.text, "contact") == CLUB["contact"]
    assert db.scalar("SELECT count(*) FROM partners") == 0

    no_kind = await client.post("/beheer/partners/nieuw", data=partner_form(csrf, kind=""))
    assert "Kies een soort organisatie" in field_error(no_kind.text, "kind")
    for website in ("vv-beesd.example", "ftp://vv-beesd.example", "https://", "http:// x"):
        response = await client.post(
            "/beheer/partners/nieuw", data=partner_form(csrf, website=website)
        )
        assert response.status_code == 400, website
    long_name = await client.post("/beheer/partners/nieuw", data=partner_form(csrf, name="x" * 121))
    assert "hoogstens 120" in field_error(long_name.text, "name")
    assert db.scalar("SELECT count(*) FROM partners") == 0

    without_token = await client.post("/beheer/partners/nieuw", data=partner_form("fout"))
    assert without_token.status_code == 400
    assert db.scalar("SELECT count(*) FROM partners") == 0


async def test_a_partner_is_changed_and_removed_in_beheer(admin, db, settings):
    client, csrf = admin
    partner_id = add_partner(db, settings)
    form = (await client.get(f"/beheer/partners/{partner_id}")).text
    assert field_value(form, "name") == CLUB["name"]
    changed = partner_form(csrf, name="VV Beesd", website="", contact="")
    assert (await client.post(f"/beheer/partners/{partner_id}", data=changed)).status_code == 303
    row = db.one("SELECT * FROM partners WHERE id = ?", (partner_id,))
    assert (
        row["name"] == "VV Beesd"
        and row["website"] == ""
        and row["slug"] == ("voetbalvereniging-beesd")
    ), "the address never changes"

    confirm = await client.get(f"/beheer/partners/{partner_id}/verwijderen")
    assert "VV Beesd" in confirm.text
    removed = await client.post(f"/beheer/partners/{partner_id}/verwijderen", data={"csrf": csrf})
    assert removed.status_code == 303
    assert (await client.get("/partners/voetbalvereniging-beesd")).status_code == 404
    assert (await client.get(f"/beheer/partners/{partner_id}")).status_code == 404
    assert db.scalar("SELECT count(*) FROM search_index WHERE kind = 'partner'") == 0
    assert [e["verb"] for e in events_of(db, "Partner")] == ["Create", "Update", "Delete"]


async def test_beheer_of_partners_needs_a_login(client):
    for url in ("/beheer/partners", "/beheer/partners/nieuw", "/beheer/partners/1"):
        response = await client.get(url)
        assert (
            response.status_code in (302, 303)
            and "/beheer/inloggen" in response.headers["location"]
        ), url
    assert (await client.get("/partners/bestaat-niet")).status_code == 404


async def test_thema_and_project_name_their_partners_with_a_role(admin, db, settings):
    client, csrf = admin
    club = add_partner(db, settings)
    school = add_partner(db, settings, name="Basisschool De Klimop", kind="school", website="")
    thema_slug = add_thema(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (thema_slug,))
    project_id, project_slug = add_project(db, settings, [thema_slug])

    thema_form = {"csrf": csrf, **THEMA, f"partner-{school}": "aan_zet", f"partner-{club}": ""}
    response = await client.post(f"/beheer/themas/{thema_id}", data=thema_form)
    assert response.status_code == 303
    form = (await client.get(f"/beheer/themas/{thema_id}")).text
    assert [o["value"] for o in select(form, f"#partner-{school} option[selected]")] == ["aan_zet"]

    project_form = (await client.get(f"/beheer/projecten/{project_id}")).text
    data = {
        "csrf": csrf,
        "title": "Veilig oversteken bij de school",
        "summary": "Een zebrapad met verlichting.",
        f"partner-{school}": "aan_zet",
        f"partner-{club}": "helpt",
    }
    assert f"partner-{club}" in project_form
    response = await client.post(f"/beheer/projecten/{project_id}", data=data)
    assert response.status_code == 303, response.text

    thema_page = (await client.get(f"/agenda/themas/{thema_slug}")).text
    assert "Basisschool De Klimop" in text_of(thema_page, ".bloei-partners-aan_zet")
    project_page = (await client.get(f"/projecten/{project_slug}")).text
    assert "Basisschool De Klimop" in text_of(project_page, ".bloei-partners-aan_zet")
    assert "Voetbalvereniging Beesd" in text_of(project_page, ".bloei-partners-helpt")
    partner_page = (await client.get("/partners/basisschool-de-klimop")).text
    assert f"/agenda/themas/{thema_slug}" in link_targets(partner_page)
    assert f"/projecten/{project_slug}" in link_targets(partner_page)

    snapshot = json.loads(events_of(db, "Project")[-1]["snapshot"])
    assert snapshot["partners"] == [
        {"partner": f"{BASE_URL}/partners/basisschool-de-klimop", "rol": "aan_zet"},
        {"partner": f"{BASE_URL}/partners/voetbalvereniging-beesd", "rol": "helpt"},
    ]
    thema_snapshot = json.loads(events_of(db, "Thema")[-1]["snapshot"])
    assert thema_snapshot["partners"] == [
        {"partner": f"{BASE_URL}/partners/basisschool-de-klimop", "rol": "aan_zet"}
    ]


async def test_a_forged_role_is_refused_and_changes_nothing(admin, db, settings):
    client, csrf = admin
    club = add_partner(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (add_thema(db, settings),))
    response = await client.post(
        f"/beheer/themas/{thema_id}", data={"csrf": csrf, **THEMA, f"partner-{club}": "baas"}
    )
    assert response.status_code == 400
    assert "Kies voor Voetbalvereniging Beesd een rol uit de lijst" in response.text
    assert db.scalar("SELECT count(*) FROM thema_partners") == 0


async def test_removing_a_partner_publishes_its_thema_and_project_again(admin, db, settings):
    client, csrf = admin
    club = add_partner(db, settings)
    thema_slug = add_thema(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (thema_slug,))
    db.write(partners.set_links, "thema", thema_id, {club: "helpt"})
    project_id, _slug = add_project(db, settings)
    db.write(partners.set_links, "project", project_id, {club: "aan_zet"})

    await client.post(f"/beheer/partners/{club}/verwijderen", data={"csrf": csrf})
    assert json.loads(events_of(db, "Thema")[-1]["snapshot"])["partners"] == []
    assert json.loads(events_of(db, "Project")[-1]["snapshot"])["partners"] == []
    assert db.scalar("SELECT count(*) FROM project_partners") == 0


async def test_a_partner_and_its_roles_are_published_as_activitystreams(client, db, settings):
    club = add_partner(db, settings)
    project_id, project_slug = add_project(db, settings)
    db.write(partners.set_links, "project", project_id, {club: "helpt"})
    db.write(projects.republish_project, settings, "test", project_id)
    accept = {"Accept": "application/activity+json"}

    partner = (await client.get("/partners/voetbalvereniging-beesd", headers=accept)).json()
    assert partner["type"] == ["Organization", "Partner"]
    assert partner["name"] == CLUB["name"] and partner["summary"] == CLUB["description"]
    assert partner["partnerSoort"] == "vereniging" and partner["website"] == CLUB["website"]
    assert partner["contact"] == CLUB["contact"]
    assert partner["url"] == f"{BASE_URL}/partners/voetbalvereniging-beesd"
    project = (await client.get(f"/projecten/{project_slug}", headers=accept)).json()
    assert project["partners"] == [{"type": "PartnerRol", "partner": partner["id"], "rol": "helpt"}]
    outbox = db.execute(
        "SELECT type FROM federation_outbox WHERE object_id = ? ORDER BY position",
        (partner["id"],),
    )
    assert [row["type"] for row in outbox] == ["Create"]


async def test_removing_a_partner_does_not_bring_back_a_removed_project(admin, db, settings):
    client, csrf = admin
    club = add_partner(db, settings)
    project_id, _slug = add_project(db, settings)
    db.write(partners.set_links, "project", project_id, {club: "helpt"})
    db.write(projects.remove_project, settings, "test", project_id)

    await client.post(f"/beheer/partners/{club}/verwijderen", data={"csrf": csrf})
    assert [e["verb"] for e in events_of(db, "Project")][-1] == "Delete"


async def test_the_sample_kern_has_partners_on_its_thema_and_projects(client, db, settings):
    sample.load_sample(db, settings)
    assert db.scalar("SELECT count(*) FROM partners") == 3
    thema = (await client.get("/agenda/themas/sport-cultuur-en-recreatie")).text
    assert "Sportverenigingen Beesd" in text_of(thema, ".bloei-partners-aan_zet")
    page = (await client.get("/partners/de-woningcorporatie")).text
    assert "Levensloopbestendig wonen aan de Kerkweg" in page
    snapshot = json.loads(events_of(db, "Thema")[-1]["snapshot"])
    assert snapshot["partners"] and snapshot["partners"][0]["rol"] in ("aan_zet", "helpt")


async def test_a_changed_contact_leaves_the_published_history(admin, db, settings):
    """A club's contact may be its secretary's own number: once changed, the old one is
    gone from the outbox too, not only from the site."""
    client, csrf = admin
    partner_id = add_partner(db, settings, contact="06 12345678")
    changed = partner_form(csrf, contact="info@vv-beesd.example")
    assert (await client.post(f"/beheer/partners/{partner_id}", data=changed)).status_code == 303
    documents = [
        row["document"]
        for row in db.execute(
            "SELECT document FROM federation_outbox WHERE object_id LIKE ?",
            (f"{BASE_URL}/partners/%",),
        )
    ]
    assert len(documents) == 2
    assert not [d for d in documents if "06 12345678" in d]
