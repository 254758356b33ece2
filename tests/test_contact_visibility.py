"""Residents' contact details in beheer: a beheerder sees them, a redacteur sees names and
counts only, as the privacy statement says."""

from __future__ import annotations

import pytest

from tests.conftest import EDITOR_PASSWORD, login
from tests.helpers import add_project
from tests.idea_helpers import SENDER_EMAIL, SENDER_NAME, add_idea
from tests.meeting_helpers import add_meeting, sign_up

EMAIL = "anna@example.org"
PHONE = "0612345678"
VOLUNTEER = {
    "name": "Fatima Bakker",
    "contact": "fatima@example.org",
    "message": "Bel me op 0687654321, ik kan zaterdags helpen.",
    "consent": "y",
}


@pytest.fixture
async def pages(app, client, db, settings):
    """Every beheer page with residents' details on it, and what each must (not) show."""
    meeting_id, _ = add_meeting(db, settings, capacity=10)
    sign_up(db, settings, meeting_id, 2, "Anna Aanwezig", email=EMAIL, phone=PHONE)
    project_id, slug = add_project(db, settings)
    assert (await client.post(f"/projecten/{slug}/vrijwilliger", data=VOLUNTEER)).status_code == 303
    idea_id, _ = add_idea(db, app, settings)
    return [
        (f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen", "Anna Aanwezig", [EMAIL, PHONE]),
        (f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen/afdrukken", "Anna Aanwezig", [PHONE]),
        (
            f"/beheer/projecten/{project_id}/vrijwilligers",
            "Fatima Bakker",
            ["fatima@example.org", "0687654321"],
        ),
        (f"/beheer/ideeen/{idea_id}", SENDER_NAME, [SENDER_EMAIL]),
    ]


async def test_a_redacteur_sees_names_but_no_contact_details(client, pages):
    await login(client, "piet", EDITOR_PASSWORD)
    for url, name, details in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert name in response.text, url
        for detail in details:
            assert detail not in response.text, (url, detail)
        assert response.headers["cache-control"] == "no-store", url


async def test_a_beheerder_sees_the_contact_details(client, pages):
    await login(client)
    for url, name, details in pages:
        page = (await client.get(url)).text
        assert name in page, url
        for detail in details:
            assert detail in page, (url, detail)


async def test_the_privacy_statement_says_who_sees_what(client):
    page = (await client.get("/over/privacy")).text
    assert "(de beheerders)" in page and "(redacteuren) zien uw naam" in page
