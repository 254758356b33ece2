"""axe-core's WCAG 2.1 A/AA rules on every page of bijeenkomsten, ideas and news (issue 3).

The pages are those of the session's sample kern (tests/browser/conftest.py). What the sample
does not have, a cancelled meeting, a personal RSVP link, the status page of a sent idea, is
made here the way a resident or the group would: through the forms in the browser.
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from node.kern.ideas.pages import form_stamp
from node.settings import load_settings
from tests.browser.test_pages import assert_accessible as axe_clean

pytestmark = pytest.mark.browser


def assert_accessible(page, what: str) -> None:
    """axe's WCAG 2.1 A/AA rules, and unique ids: axe-core (4.12 here) no longer checks
    those under the WCAG tags (WCAG 2.2 dropped 4.1.1), yet a duplicate id breaks every
    label, aria-describedby and link to a fragment that points at it."""
    axe_clean(page, what)
    duplicates = page.evaluate(
        """() => {
            const seen = new Map();
            for (const el of document.querySelectorAll('[id]')) {
                seen.set(el.id, (seen.get(el.id) || 0) + 1);
            }
            return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
        }"""
    )
    assert not duplicates, f"ids used more than once on {what}: {duplicates}"


@pytest.fixture(scope="module")
def sample(node) -> dict[str, str]:
    """Slugs and ids of the sample's meetings, ideas and news, read from its database."""
    path = load_settings(node.data_dir).database_path
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    now = datetime.now(UTC).isoformat(timespec="seconds")
    try:

        def one(sql: str, *args) -> sqlite3.Row:
            row = conn.execute(sql, args).fetchone()
            assert row is not None, f"the sample data has nothing for: {sql}"
            return row

        upcoming = one(
            "SELECT id, slug FROM meetings WHERE status = 'gepland' AND capacity IS NOT NULL "
            "AND starts_at > ? AND removed_at IS NULL ORDER BY starts_at LIMIT 1",
            now,
        )
        past = one(
            "SELECT id, slug FROM meetings WHERE minutes != '' AND ends_at < ? "
            "AND removed_at IS NULL ORDER BY starts_at LIMIT 1",
            now,
        )
        idea = one(
            "SELECT slug FROM ideas WHERE status = 'gepubliceerd' AND removed_at IS NULL ORDER BY id LIMIT 1"
        )
        new_idea = one(
            "SELECT id FROM ideas WHERE status = 'nieuw' AND removed_at IS NULL ORDER BY id LIMIT 1"
        )
        news = one("SELECT slug FROM news ORDER BY published_at DESC LIMIT 1")
    finally:
        conn.close()
    return {
        "upcoming": upcoming["slug"],
        "upcoming_id": str(upcoming["id"]),
        "past": past["slug"],
        "past_id": str(past["id"]),
        "idea": idea["slug"],
        "new_idea_id": str(new_idea["id"]),
        "news": news["slug"],
    }


PUBLIC_PAGES = [
    "/bijeenkomsten",
    "/bijeenkomsten/{upcoming}",
    "/bijeenkomsten/{upcoming}/poster",
    "/ideeen",
    "/ideeen/nieuw",
    "/ideeen/{idea}",
    "/nieuws",
    "/nieuws/{news}",
]

BEHEER_PAGES = [
    "/beheer/bijeenkomsten",
    "/beheer/bijeenkomsten/nieuw",
    "/beheer/bijeenkomsten/reeks",
    "/beheer/bijeenkomsten/{upcoming_id}",
    "/beheer/bijeenkomsten/{upcoming_id}/verplaatsen",
    "/beheer/bijeenkomsten/{upcoming_id}/annuleren",
    "/beheer/bijeenkomsten/{upcoming_id}/aanmeldingen",
    "/beheer/bijeenkomsten/{past_id}/verslag",
    "/beheer/ideeen",
    "/beheer/ideeen/{new_idea_id}",
    "/beheer/nieuws",
    "/beheer/nieuws/nieuw",
    "/beheer/mail",
    "/beheer/privacy",
]


# --- Public pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_passes_axe(page, node, sample, path):
    response = page.goto(node(path.format(**sample)))
    assert response.status == 200, f"{path}: {response.status}"
    assert_accessible(page, path)


def test_past_meeting_with_its_verslag_passes_axe(page, node, sample):
    response = page.goto(node(f"/bijeenkomsten/{sample['past']}"))
    assert response.status == 200
    verslag = page.locator("#verslag")
    assert verslag.get_by_role("heading", name="Verslag").is_visible()
    assert verslag.inner_text().strip() != "Verslag"
    assert_accessible(page, "a past meeting with its verslag")


def test_rsvp_errors_and_the_personal_page_pass_axe(page, node, sample):
    page.goto(node(f"/bijeenkomsten/{sample['upcoming']}"))
    form = page.locator("#aanmelden")
    form.get_by_label("Met hoeveel personen komt u?").fill("")
    form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    summary = page.locator(".bloei-error-summary")
    assert "Vul uw naam in." in summary.inner_text()
    assert_accessible(page, "the meeting page with RSVP errors")

    form.get_by_label("Uw naam").fill("Toegankelijkheid Test")
    form.get_by_label("Met hoeveel personen komt u?").fill("1")
    form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r"/aanmelding/[A-Za-z0-9_-]{43}#aanmelding-melding$"))
    assert page.get_by_role("heading", level=1, name="Uw aanmelding").is_visible()
    assert_accessible(page, "/aanmelding/{token}")


def test_new_idea_with_errors_and_its_status_page_pass_axe(page, node):
    page.goto(node("/ideeen/nieuw"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator(".bloei-error-summary", has_text="Controleer wat u heeft ingevuld")
    assert summary.is_visible()
    assert "Vul een titel in." in summary.inner_text()
    assert_accessible(page, "/ideeen/nieuw with errors")

    page.get_by_label("Titel van uw idee").fill("Een watertappunt bij de speeltuin")
    page.get_by_label("Uw idee", exact=True).fill("Op warme dagen hebben kinderen dorst.")
    # A person takes more than a few seconds; rather than wait, hand the form an older stamp.
    secret = load_settings(node.data_dir).secret_key
    page.locator("input[name=started]").evaluate(
        "(el, value) => { el.value = value; }", form_stamp(secret, time.time() - 60)
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ideeen/status/[A-Za-z0-9_-]+#idee-melding$"))
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page, "/ideeen/status/{token}")


# --- Beheer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BEHEER_PAGES)
def test_beheer_page_passes_axe(admin_page, node, sample, path):
    url = node(path.format(**sample))
    response = admin_page.goto(url)
    assert response.status == 200, f"{path}: {response.status}"
    assert admin_page.url == url, "not signed in any more?"
    assert_accessible(admin_page, path)


def test_federation_beheer_passes_axe(admin_page, node):
    response = admin_page.goto(node("/beheer/federatie"))
    assert response.status == 200, response.status
    assert_accessible(admin_page, "/beheer/federatie")


def test_attendee_print_list_passes_axe(admin_page, node, sample):
    path = f"/beheer/bijeenkomsten/{sample['upcoming_id']}/aanmeldingen/afdrukken"
    assert admin_page.goto(node(path)).status == 200
    assert_accessible(admin_page, "the attendee list to print")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/beheer/bijeenkomsten/nieuw", "Vul een titel in."),
        ("/beheer/bijeenkomsten/reeks", "Vul een titel in."),
        ("/beheer/nieuws/nieuw", "Vul een titel in."),
    ],
)
def test_beheer_form_with_errors_passes_axe(admin_page, node, path, message):
    admin_page.goto(node(path))
    admin_page.locator("main form button[type=submit]").first.click()
    admin_page.wait_for_load_state()
    summary = admin_page.locator(".bloei-error-summary")
    assert summary.is_visible()
    assert message in summary.inner_text()
    assert_accessible(admin_page, f"{path} with errors")


def test_cancelled_meeting_passes_axe(admin_page, page, node):
    """The sample has no cancelled meeting: plan one in beheer and cancel it."""
    beheer = admin_page
    beheer.goto(node("/beheer/bijeenkomsten/nieuw"))
    day = date.today() + timedelta(days=60)
    beheer.get_by_label("Titel").fill("Buurtborrel bij de molen")
    beheer.get_by_label("Datum").fill(day.isoformat())
    beheer.get_by_label("Begintijd").fill("16:00")
    beheer.get_by_label("Eindtijd").fill("18:00")
    beheer.get_by_label("Plaats", exact=True).fill("Molen De Vlinder")
    beheer.locator("main form button[type=submit]").first.click()
    beheer.wait_for_url(re.compile(r"/beheer/bijeenkomsten#buurtborrel-bij-de-molen"))
    slug = beheer.url.rsplit("#", 1)[1]
    beheer.locator(f"tr#{slug}").get_by_role("link", name=re.compile("^Annuleren")).click()
    beheer.wait_for_url(re.compile(r"/annuleren$"))
    beheer.get_by_label("Waarom gaat de bijeenkomst niet door?").fill(
        "De molenaar is ziek. We plannen een nieuwe datum."
    )
    beheer.locator("main form button[type=submit]").first.click()
    beheer.wait_for_url(re.compile(r"/beheer/bijeenkomsten#melding$"))
    assert beheer.get_by_role("status").filter(has_text="is geannuleerd").is_visible()
    href = f"/bijeenkomsten/{slug}"

    response = page.goto(node(href))
    assert response.status == 200
    assert page.get_by_text("Deze bijeenkomst gaat niet door.").first.is_visible()
    assert_accessible(page, "a cancelled meeting")
    page.goto(node(href + "/poster"))
    assert page.get_by_text("GEANNULEERD").is_visible()
    assert_accessible(page, "the poster of a cancelled meeting")
