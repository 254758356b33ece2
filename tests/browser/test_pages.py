"""The site in a real browser: axe-core's WCAG 2.1 A/AA rules on every page, and what a
resident does with keyboard, mouse, a phone, or without JavaScript."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from node.kern.routes import kern_routes

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
_axe = Axe()

PUBLIC_PAGES = [
    "/",
    "/agenda",
    "/agenda/versies",
    "/agenda/versies/{version}",
    "/agenda/themas/{thema}",
    "/projecten",
    "/projecten?fase=uitvoering",
    "/projecten/{project}",
    "/over",
    "/over/privacy",
    "/over/toegankelijkheid",
    "/zoeken?q=aed",
]
_ROUTES = {getattr(route, "path", "") for route in kern_routes()}
# Beheer pages still being built are checked from the moment their route exists.
BEHEER_PAGES = [
    "/beheer",
    "/beheer/themas",
    "/beheer/themas/nieuw",
    "/beheer/versies/nieuw",
    "/beheer/account",
    "/beheer/account/tweestaps",
    *[p for p in ("/beheer/projecten", "/beheer/projecten/nieuw") if p in _ROUTES],
]


def fill(path: str, node) -> str:
    return path.format(project=node.project, thema=node.thema, version=node.version)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(n["target"]) for n in violation["nodes"][:3]]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"    {len(violation['nodes'])} element(s), e.g. {' | '.join(targets)}\n"
            f"    {violation['helpUrl']}"
        )
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    results = _axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert not violations, f"axe found WCAG 2.1 A/AA problems on {what}:\n" + describe(violations)


def supporters(page) -> int:
    text = page.locator("#steun").inner_text()
    match = re.search(r"(\d+) inwoners? (steunt|steunen) dit project", text)
    assert match, text
    return int(match.group(1))


# --- axe on every page ----------------------------------------------------------------------


def test_axe_finds_a_known_problem(page, node):
    """Zero violations only means something if axe runs its rules on our pages at all."""
    page.goto(node("/"))
    page.evaluate(
        """() => {
            const img = document.createElement('img');
            img.src = '/static/bestaat-niet.png';
            const input = document.createElement('input');
            document.querySelector('main').append(img, input);
        }"""
    )
    results = _axe.run(page, options=AXE_OPTIONS)
    found = {v["id"] for v in results.response["violations"]}
    assert {"image-alt", "label"} <= found, found
    passed = _axe.run(page, options={"runOnly": AXE_OPTIONS["runOnly"], "resultTypes": ["passes"]})
    assert len(passed.response["passes"]) > 10


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_passes_axe(page, node, path):
    response = page.goto(node(fill(path, node)))
    assert response.status == 200, f"{path}: {response.status}"
    assert_accessible(page, path)


def test_not_found_page_passes_axe(page, node):
    response = page.goto(node("/bestaat-niet"))
    assert response.status == 404
    assert page.get_by_role("heading", level=1).count() == 1
    assert_accessible(page, "the 404 page")


@pytest.mark.parametrize("path", BEHEER_PAGES)
def test_beheer_page_passes_axe(admin_page, node, path):
    response = admin_page.goto(node(path))
    assert response.status == 200, f"{path}: {response.status}"
    assert admin_page.url == node(path), "not signed in any more?"
    assert_accessible(admin_page, path)


def test_beheer_form_with_errors_passes_axe(admin_page, node):
    admin_page.goto(node("/beheer/themas/nieuw"))
    admin_page.locator("main form button[type=submit]").first.click()
    admin_page.wait_for_load_state()
    summary = admin_page.locator(".bloei-error-summary")
    assert summary.is_visible()
    assert "Controleer wat u heeft ingevuld" in summary.inner_text()
    assert "Vul een titel in." in summary.inner_text()
    assert_accessible(admin_page, "/beheer/themas/nieuw with errors")


# --- the keyboard ----------------------------------------------------------------------------


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), id: el.id, text: el.innerText.trim(),
                    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth)};
        }"""
    )


def test_first_tab_reaches_skip_link_and_it_moves_focus_to_main(page, node):
    page.goto(node("/projecten/" + node.project))
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and first["text"] == "Naar de inhoud", first
    assert first["outlineStyle"] != "none" and first["outlineWidth"] > 0, first
    assert page.get_by_role("link", name="Naar de inhoud").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'inhoud'")
    assert focused(page)["tag"] == "main"


def test_every_tab_stop_shows_where_the_focus_is(page, node):
    page.goto(node("/projecten/" + node.project))
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        state = focused(page)
        seen.append(state)
        assert state["outlineStyle"] != "none" and state["outlineWidth"] > 0, (
            f"no visible focus outline on {state}"
        )
    assert len({(s["tag"], s["id"], s["text"]) for s in seen}) > 5, seen


# --- taking part -----------------------------------------------------------------------------


def test_support_counts_once(page, node):
    page.goto(node("/projecten/" + node.project))
    before = supporters(page)
    page.get_by_role("button", name="Ik steun dit").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Uw steun is geteld").is_visible()
    assert supporters(page) == before + 1
    # The button has made way for the new state; a later visit offers it again.
    assert page.get_by_role("button", name="Ik steun dit").count() == 0
    page.goto(node("/projecten/" + node.project))
    page.get_by_role("button", name="Ik steun dit").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="U steunt dit project al").is_visible()
    assert supporters(page) == before + 1
    # A visitor who comes back later (from the cache, without a flash) sees the same count.
    page.goto(node("/projecten/" + node.project))
    assert supporters(page) == before + 1


def test_volunteer_form_explains_errors_in_dutch_and_keeps_the_name(page, node):
    page.goto(node("/projecten/" + node.project))
    form = page.locator("#meedoen")
    form.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    summary = page.locator(".bloei-error-summary")
    assert summary.is_visible()
    text = summary.inner_text()
    assert "Controleer wat u heeft ingevuld" in text
    assert "Vul uw naam in." in text
    assert "Vul een e-mailadres of telefoonnummer in." in text
    assert "Zonder uw toestemming" in text

    page.get_by_label("Uw naam").fill("Fatima Yilmaz")
    page.locator("#meedoen").get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    assert page.get_by_label("Uw naam").input_value() == "Fatima Yilmaz"
    text = page.locator(".bloei-error-summary").inner_text()
    assert "Vul uw naam in." not in text
    assert "Vul een e-mailadres of telefoonnummer in." in text
    assert page.get_by_label("E-mailadres of telefoonnummer").get_attribute("aria-invalid") == (
        "true"
    )
    assert_accessible(page, "the project page with volunteer errors")
    # The error summary links to the field it is about.
    page.locator(".bloei-error-summary a", has_text="E-mailadres").click()
    assert focused(page)["id"] == "contact"

    page.get_by_label("E-mailadres of telefoonnummer").fill("fatima@example.org")
    page.get_by_label(re.compile("Ik vind het goed")).check()
    page.locator("#meedoen").get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="neemt contact met u op").is_visible()
    assert page.locator(".bloei-error-summary").count() == 0


# --- without JavaScript -----------------------------------------------------------------------


@pytest.fixture
def no_js_page(browser):
    ctx = browser.new_context(java_script_enabled=False, locale="nl-NL")
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def test_filters_work_without_javascript(no_js_page, node):
    page = no_js_page
    page.goto(node("/projecten"))
    page.get_by_label("Fase").select_option("uitvoering")
    page.get_by_role("button", name="Toon projecten").click()
    page.wait_for_url(re.compile(r"fase=uitvoering"))
    cards = page.locator(".bloei-grid .bloei-card")
    assert cards.count() >= 1
    for phase in cards.locator(".bloei-tag--phase").all_inner_texts():
        assert phase == "Uitvoering"
    assert page.get_by_label("Fase").input_value() == "uitvoering"
    assert re.search(r"\d+ (project|projecten) gevonden", page.get_by_role("status").inner_text())


def test_support_works_without_javascript(no_js_page, node):
    page = no_js_page
    page.goto(node("/projecten/" + node.project))
    before = supporters(page)
    page.get_by_role("button", name="Ik steun dit").click()
    page.wait_for_load_state()
    assert supporters(page) == before + 1


# --- a phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/projecten/{project}"])
def test_no_horizontal_scrolling_on_a_phone(browser, node, path):
    ctx = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
    )
    try:
        page = ctx.new_page()
        page.goto(node(fill(path, node)))
        widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways: {widths[0]} > {widths[1]} px"
    finally:
        ctx.close()


# --- how it looks -----------------------------------------------------------------------------


def test_screenshots_for_a_human_look(page, node, tmp_path_factory):
    """Full-page screenshots of home and a project page, for a person to look at."""
    folder = Path(os.environ.get("BLOEI_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in (("home", "/"), ("project", "/projecten/" + node.project)):
        page.goto(node(path))
        target = folder / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        print(f"screenshot: {target}")
