"""A project's money with its source: entered in beheer as people type amounts, shown on the
project page, served by the API and sent in the federated Project."""

from __future__ import annotations

import json

from node.kern.projects import model as projects
from tests.markup import field_error, field_value
from tests.test_beheer_projects import add_project, new_project_form

MARKET = "Opbrengst van de dorpsmarkt"


def last_project_object(db, settings, slug: str) -> dict:
    """The Project as the kern last sent it to its followers."""
    document = db.scalar(
        "SELECT document FROM federation_outbox WHERE object_id = ? ORDER BY position DESC",
        (settings.url(projects.project_path(slug)),),
    )
    return json.loads(document)["object"]


async def test_money_from_a_source_outside_the_list_in_the_groups_own_words(admin, db, settings):
    client, csrf = admin
    form = new_project_form(
        csrf,
        budget_requested="€ 1.250,50",
        budget_granted="1.000",
        budget_source="anders",
        budget_source_other=f"  {MARKET} ",
    )

    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 303
    row = db.one("SELECT * FROM projects WHERE title = 'Bankjes bij de kerk'")
    assert (row["budget_requested"], row["budget_granted"]) == (125050, 100000)
    assert (row["budget_source"], row["budget_source_other"]) == ("anders", MARKET)
    page = (await client.get(f"/projecten/{row['slug']}")).text
    assert "1.250,50" in page and "1.000,00" in page and MARKET in page
    api = (await client.get(f"/api/v1/projecten/{row['slug']}")).json()
    assert api["budget"]["bron"] == "anders" and api["budget"]["bronAnders"] == MARKET
    assert api["budget"]["aangevraagd"] == 125050
    sent = last_project_object(db, settings, row["slug"])["budget"]
    assert sent == {
        "type": "Budget",
        "aangevraagd": 125050,
        "toegekend": 100000,
        "bron": "anders",
        "bronAnders": MARKET,
        "valuta": "EUR",
    }
    edit = (await client.get(f"/beheer/projecten/{row['id']}")).text
    assert field_value(edit, "budget_source_other") == MARKET
    assert field_value(edit, "budget_requested") == "1250,50"


async def test_anders_needs_words_and_nothing_typed_is_lost(admin, db):
    client, csrf = admin
    form = new_project_form(
        csrf, budget_requested="1.250,50", budget_source="anders", budget_source_other=""
    )

    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 400
    assert field_error(response.text, "budget_source_other") == (
        "Schrijf op waar het geld vandaan komt."
    )
    assert field_value(response.text, "budget_requested") == "1.250,50"
    assert db.scalar("SELECT count(*) FROM projects WHERE title = 'Bankjes bij de kerk'") == 0


async def test_amounts_below_zero_are_refused(admin, db):
    client, csrf = admin
    form = new_project_form(csrf, budget_requested="-5", budget_source="provincie")

    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 400
    assert field_error(response.text, "budget_requested")


async def test_the_words_go_when_a_listed_source_is_chosen(admin, db, settings):
    client, csrf = admin
    form = new_project_form(
        csrf, budget_granted="500", budget_source="provincie", budget_source_other=MARKET
    )

    assert (await client.post("/beheer/projecten/nieuw", data=form)).status_code == 303

    row = db.one("SELECT * FROM projects WHERE title = 'Bankjes bij de kerk'")
    assert (row["budget_source"], row["budget_source_other"]) == ("provincie", "")
    page = (await client.get(f"/projecten/{row['slug']}")).text
    assert "Provincie" in page and MARKET not in page
    sent = last_project_object(db, settings, row["slug"])["budget"]
    assert sent["bron"] == "provincie" and "bronAnders" not in sent


async def test_a_project_saved_without_the_new_field_keeps_working(client, db, settings):
    """Callers from before the sources (an idea that becomes a project, sample data) pass no
    free text; the project reads as before, without a source."""
    _id, slug = add_project(db, settings, budget_requested=90000)

    page = await client.get(f"/projecten/{slug}")
    api = (await client.get(f"/api/v1/projecten/{slug}")).json()

    assert page.status_code == 200 and "900,00" in page.text
    assert "Bron van het geld" not in page.text
    assert api["budget"]["bron"] is None and api["budget"]["bronAnders"] is None
    assert db.scalar("SELECT budget_source_other FROM projects WHERE slug = ?", (slug,)) == ""
    assert projects.get_project(db, slug)["budget_granted"] is None


async def test_more_granted_than_asked_is_saved_with_a_warning(admin, db):
    client, csrf = admin
    form = new_project_form(
        csrf, budget_requested="1.000", budget_granted="1.200", budget_source="fonds"
    )

    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 303
    row = db.one("SELECT * FROM projects WHERE title = 'Bankjes bij de kerk'")
    assert (row["budget_requested"], row["budget_granted"]) == (100000, 120000)
    listing = (await client.get(response.headers["location"])).text
    assert "meer geld toegekend dan gevraagd" in listing
    # Less granted than asked is ordinary: no warning.
    form = new_project_form(csrf, title="Tweede", budget_requested="1.000", budget_granted="800")
    response = await client.post("/beheer/projecten/nieuw", data=form)
    assert "meer geld toegekend" not in (await client.get(response.headers["location"])).text
