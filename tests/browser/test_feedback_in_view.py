"""Every form's answer lands where the eyes are, on a phone (360×740).

After each public form and the main beheer forms the confirmation must be inside the
viewport (its bounding box between the top and window.innerHeight), announced
(role="status"), and the form must show its new state.
"""

from __future__ import annotations

import re
import sqlite3
import time

import pytest

from node.kern.ideas.pages import form_stamp
from node.kern.meetings import evaluations
from node.settings import load_settings
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(locale="nl-NL", viewport=PHONE)
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def in_view(page, selector: str) -> dict:
    """Where the element is against the window, measured in the browser."""
    return page.locator(selector).evaluate(
        """el => { const r = el.getBoundingClientRect();
                   return {top: r.top, bottom: r.bottom, height: window.innerHeight,
                           role: el.getAttribute('role')}; }"""
    )


def assert_seen(page, selector: str) -> str:
    box = in_view(page, selector)
    assert box["role"] == "status", f"{selector} is not announced"
    assert box["top"] >= 0 and box["bottom"] <= box["height"], (
        f"{selector} is outside the window after the submit: {box}"
    )
    return page.locator(selector).inner_text()


def rows(node, sql: str, *params) -> list[sqlite3.Row]:
    path = load_settings(node.data_dir).database_path
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_support_and_volunteer_answer_at_the_form(phone, node):
    page = phone
    page.goto(node("/projecten/" + node.project))
    page.get_by_role("button", name="Ik steun dit").click()
    page.wait_for_load_state()
    text = assert_seen(page, "#steun-melding")
    assert "Uw steun is geteld" in text or "U steunt dit project al" in text
    # The button has become the new state: no second press by mistake.
    assert page.get_by_text("U steunt dit project", exact=True).is_visible()
    assert page.get_by_role("button", name="Ik steun dit").count() == 0

    form = page.locator("#meedoen")
    form.get_by_label("Uw naam").fill("Fatima Yilmaz")
    form.get_by_label("E-mailadres of telefoonnummer").fill("fatima@example.org")
    form.get_by_label(re.compile("Ik vind het goed")).check()
    form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    assert "neemt contact met u op" in assert_seen(page, "#meedoen-melding")
    # The filled form is replaced by its confirmation.
    assert page.locator("#meedoen form").count() == 0


def test_an_idea_support_answers_at_the_button(phone, node):
    [idea] = rows(
        node,
        "SELECT slug FROM ideas WHERE status = 'gepubliceerd' AND removed_at IS NULL "
        "ORDER BY id LIMIT 1",
    )
    phone.goto(node(f"/ideeen/{idea['slug']}"))
    phone.get_by_role("button", name="Ik steun dit idee").click()
    phone.wait_for_load_state()
    assert_seen(phone, "#steun-melding")
    assert phone.get_by_text("U steunt dit idee", exact=True).is_visible()


def test_an_rsvp_shows_the_personal_link_to_keep_and_copy(browser, node):
    ctx = browser.new_context(locale="nl-NL", viewport=PHONE)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=node.url)
    page = ctx.new_page()
    try:
        page.goto(node("/bijeenkomsten"))
        page.locator("main a[href^='/bijeenkomsten/']").first.click()
        form = page.locator("#aanmelden")
        form.get_by_label("Uw naam").fill("Marieke de Wit")
        form.get_by_label("Met hoeveel personen komt u?").fill("1")
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/aanmelding/[A-Za-z0-9_-]{43}#aanmelding-melding$"))
        assert_seen(page, "#aanmelding-melding")
        personal = page.url.split("#")[0]
        assert page.get_by_role("heading", name="Bewaar deze link").is_visible()
        assert page.locator("#persoonlijke-link").input_value() == personal
        copy = page.get_by_role("button", name="Kopieer de link")
        assert copy.is_visible(), "the script shows the copy button"
        copy.click()
        page.get_by_text("De link is gekopieerd.").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == personal
    finally:
        ctx.close()


def test_without_javascript_the_link_is_selectable_text(browser, node):
    ctx = browser.new_context(locale="nl-NL", viewport=PHONE, java_script_enabled=False)
    page = ctx.new_page()
    try:
        page.goto(node("/bijeenkomsten"))
        page.locator("main a[href^='/bijeenkomsten/']").first.click()
        form = page.locator("#aanmelden")
        form.get_by_label("Uw naam").fill("Jan Bos")
        form.get_by_label("Met hoeveel personen komt u?").fill("1")
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(r"/aanmelding/"))
        field = page.locator("#persoonlijke-link")
        assert field.is_visible() and field.get_attribute("readonly") is not None
        assert field.input_value() == page.url.split("#")[0]
        assert not page.get_by_role("button", name="Kopieer de link").is_visible()
    finally:
        ctx.close()


def test_an_idea_lands_on_its_confirmation(phone, node):
    phone.goto(node("/ideeen/nieuw"))
    phone.get_by_label("Titel van uw idee").fill("Een bankje bij de bushalte")
    phone.get_by_label("Uw idee", exact=True).fill("Wie op de bus wacht, wil kunnen zitten.")
    secret = load_settings(node.data_dir).secret_key
    phone.locator("input[name=started]").evaluate(
        "(el, value) => { el.value = value; }", form_stamp(secret, time.time() - 60)
    )
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/ideeen/status/[A-Za-z0-9_-]{43}#idee-melding$"))
    assert "Uw idee is ontvangen" in assert_seen(phone, "#idee-melding")
    assert phone.locator("#idee-link").input_value() == phone.url.split("#")[0]


def test_an_evaluation_is_thanked_at_the_form(phone, node):
    open_now = [
        m
        for m in rows(node, "SELECT * FROM meetings WHERE removed_at IS NULL")
        if evaluations.evaluation_window(m) == "open"
    ]
    assert open_now, "the sample data has no meeting open for evaluation"
    phone.goto(node(f"/bijeenkomsten/{open_now[0]['slug']}"))
    form = phone.locator("#evaluatie")
    form.locator("input[name=score]").first.check()
    form.get_by_role("button", name="Verstuur mijn mening").click()
    phone.wait_for_load_state()
    assert "Dank u wel" in assert_seen(phone, "#evaluatie-melding")
    assert phone.locator("#evaluatie form").count() == 0


def test_beheer_saves_answer_in_view(phone, node):
    log_in(phone, node)
    # A project saved unchanged: back to the list, its message in view
    [project] = rows(node, "SELECT id FROM projects WHERE slug = ?", node.project)
    phone.goto(node(f"/beheer/projecten/{project['id']}"))
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_url(re.compile(r"/beheer/projecten#melding$"))
    assert "is opgeslagen" in assert_seen(phone, "#melding")

    # A verslag: the message sits at the verslag on the public page, not above it
    [meeting] = rows(
        node,
        "SELECT id FROM meetings WHERE removed_at IS NULL AND status != 'geannuleerd' "
        "AND minutes != '' ORDER BY starts_at LIMIT 1",
    )
    phone.goto(node(f"/beheer/bijeenkomsten/{meeting['id']}/verslag"))
    phone.get_by_role("button", name="Verslag opslaan").click()
    phone.wait_for_url(re.compile(r"#verslag-melding$"))
    assert "Het verslag van" in assert_seen(phone, "#verslag-melding")
