"""The gemeente's aggregator in a real browser: axe-core's WCAG 2.1 A/AA rules on every page,
charts that read without JavaScript, and a phone's width without sideways scrolling.

The gemeente is a real server process (`bloei init --role gemeente`) that follows two real
kern processes, Beesd with its sample data and a smaller Heukelum, through its own beheer
(tests/browser/conftest.py, fixture `gemeente`).
"""

from __future__ import annotations

import re

import pytest

from node.gemeente.routes import gemeente_routes
from tests.browser.conftest import GEMEENTE_PASSWORD, GEMEENTE_USER
from tests.browser.test_issue3_pages import assert_accessible
from tests.browser.test_pages import AXE_OPTIONS, _axe

pytestmark = pytest.mark.browser

_ROUTES = {getattr(route, "path", "") for route in gemeente_routes()}

PUBLIC_PAGES = [
    "/",
    "/kernen/{kern}",
    "/projecten",
    "/projecten?fase=uitvoering",
    "/projecten?kern={kern}&thema=verkeer&wie=gemeente&gemeente=ja&sorteer=naam",
    "/projecten?stil=200&fase=onbekend",  # filters with errors shown (answered with 400)
    "/projecten?q=speeltuin",
    "/projecten?q=drempels",
    "/projecten?q=niets+te+vinden+xyz",
    "/themas",
    "/kalender",
    "/kalender?kern={kern}",
    "/inzicht",
    "/toegankelijkheid",
    "/beheer/inloggen",
]
STAFF_PAGES = [
    "/beheer",
    "/beheer/reactie?op={project}",
    "/beheer/berichten",
    "/beheer/kernen/{kern}/stoppen",
    "/beheer/gebruikers",
    "/beheer/gebruikers/nieuw",
    "/beheer/logboek",
    "/beheer/wachtwoord",
    "/beheer/account",
    "/beheer/account/tweestaps",
    "/beheer/account/meldingen",
    "/beheer/werklijst",
    "/beheer/werklijst?medewerker=mij",
    "/beheer/gebiedsmakelaars",
]


def fill(path: str, gemeente) -> str:
    return path.format(kern=gemeente.kern_id, project=gemeente.project)


@pytest.fixture(scope="module")
def visitor(browser):
    """One visitor's page for all public pages: a fresh context per page adds nothing here."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture(scope="module")
def staff(browser, gemeente):
    """A beheerder of the gemeente, signed in once through the real login form."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.goto(gemeente("/beheer/inloggen"))
    page.get_by_label("Gebruikersnaam").fill(GEMEENTE_USER)
    page.get_by_label("Wachtwoord").fill(GEMEENTE_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(gemeente("/beheer"))
    yield page
    ctx.close()


def test_every_page_checked_has_a_route():
    for path in PUBLIC_PAGES + STAFF_PAGES:
        assert path.split("?")[0].replace("{kern}", "{kern_id:id}") in _ROUTES, path


def test_axe_finds_a_known_problem_on_the_gemeente(visitor, gemeente):
    """Zero violations only means something if axe runs its rules on these pages at all."""
    visitor.goto(gemeente("/"))
    visitor.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    found = {v["id"] for v in _axe.run(visitor, options=AXE_OPTIONS).response["violations"]}
    assert "label" in found, found


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_is_accessible(visitor, gemeente, path):
    response = visitor.goto(gemeente(fill(path, gemeente)))
    expected = 400 if "onbekend" in path else 200
    assert response is not None and response.status == expected, path
    assert_accessible(visitor, path)


def test_the_pages_show_both_kernen(visitor, gemeente):
    visitor.goto(gemeente("/"))
    main = visitor.locator("main").inner_text()
    assert "Beesd" in main and "Heukelum" in main
    visitor.goto(gemeente("/projecten?q=drempels"))
    assert "Drempels op de Diefdijk" in visitor.locator("main").inner_text()


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_page_is_accessible(staff, gemeente, path):
    response = staff.goto(gemeente(fill(path, gemeente)))
    assert response is not None and response.status == 200, path
    assert staff.url.startswith(gemeente(fill(path, gemeente).split("?")[0])), "signed out?"
    if path.startswith("/beheer/reactie"):
        assert staff.get_by_role("button", name="Versturen").count()
    assert_accessible(staff, path)


def test_adding_a_kern_shows_its_errors_accessibly(staff, gemeente):
    staff.goto(gemeente("/beheer"))
    staff.get_by_role("button", name="Volgen").click()
    staff.wait_for_load_state()
    assert staff.locator("main").get_by_text("Kernen volgen").first.is_visible()
    summary = staff.locator(".bloei-error-summary, [role=alert]").first
    assert summary.is_visible(), staff.content()
    assert_accessible(staff, "/beheer with an empty address")

    staff.get_by_label(re.compile("adres", re.I)).first.fill("geen adres")
    staff.get_by_role("button", name="Volgen").click()
    staff.wait_for_load_state()
    assert staff.locator(".bloei-error-summary, [role=alert]").first.is_visible()
    assert_accessible(staff, "/beheer with an address that is not one")
    assert len(gemeente.query("SELECT id FROM gemeente_kernen")) == 2


def test_a_gebiedsmakelaar_is_chosen_by_label_and_a_wrong_number_is_shown(staff, gemeente):
    staff.goto(gemeente("/beheer/gebiedsmakelaars"))
    staff.get_by_label("Herinnering na zoveel dagen wachten").fill("0")
    staff.get_by_role("button", name="Bewaren").click()
    staff.wait_for_load_state()
    error = staff.locator(".bloei-field__error")
    assert "Vul een aantal dagen in van 1 tot en met 90." in error.first.inner_text()
    assert staff.locator(".bloei-error-summary").first.is_visible()
    assert_accessible(staff, "/beheer/gebiedsmakelaars with a wrong number of days")

    # Each kern's select is found by the kern's name; one without an e-mail address says so.
    staff.get_by_label("Beesd").select_option(label="Gerda (geen e-mailadres)")
    staff.get_by_label("Herinnering na zoveel dagen wachten").fill("10")
    staff.get_by_role("button", name="Bewaren").click()
    staff.wait_for_load_state()
    assert staff.get_by_text("De gebiedsmakelaars en de herinnering zijn bewaard.").is_visible()
    staff.goto(gemeente("/beheer/werklijst?medewerker=mij"))
    assert staff.get_by_label("Kernen van").input_value() == "mij"


def test_stopping_a_kern_asks_for_the_confirmation_accessibly(staff, gemeente):
    """Without the tick nothing changes (the other tests still need both kernen)."""
    staff.goto(gemeente(f"/beheer/kernen/{gemeente.kern_id}/stoppen"))
    staff.get_by_role("button", name="Stop met volgen").click()
    staff.wait_for_load_state()
    error = staff.locator(".bloei-field__error")
    assert error.first.is_visible(), staff.content()
    assert "Zet een vinkje" in error.first.inner_text()
    assert staff.locator(".bloei-error-summary").first.is_visible()
    assert_accessible(staff, "/beheer/kernen/{kern}/stoppen without the confirmation")
    stopped = gemeente.query(
        "SELECT stopped_at FROM gemeente_kernen WHERE id = ?", (gemeente.kern_id,)
    )
    assert stopped == [(None,)]


def test_insight_charts_read_without_javascript(browser, gemeente):
    ctx = browser.new_context(locale="nl-NL", java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(gemeente("/inzicht"))
        charts = page.locator("main .bloei-chart")
        assert charts.count() >= 3, "the sample data should give several charts"
        report = page.evaluate(
            """() => [...document.querySelectorAll('main .bloei-chart')].map(chart => {
                const ids = (chart.getAttribute('aria-labelledby') || '').split(/\\s+/)
                    .filter(Boolean);
                const named = ids.map(id => document.getElementById(id))
                    .filter(el => el && chart.contains(el)).map(el => el.textContent.trim());
                let next = chart.nextElementSibling;
                while (next && !next.querySelector('table') && next.tagName !== 'TABLE') {
                    next = next.nextElementSibling;
                }
                const table = next && (next.tagName === 'TABLE' ? next : next.querySelector('table'));
                return {
                    role: chart.getAttribute('role'),
                    label: chart.getAttribute('aria-label') || '',
                    named,
                    title: named[0] || '',
                    desc: named[1] || '',
                    texts: [...chart.querySelectorAll('.bloei-chart-label, .bloei-chart-value')]
                        .map(t => t.textContent.trim()),
                    table: table ? [...table.querySelectorAll('tr')].map(
                        tr => [...tr.children].map(c => c.textContent.trim())) : null,
                };
            })"""
        )
    finally:
        ctx.close()
    for chart in report:
        assert chart["role"] == "img", chart
        assert chart["label"] or (
            chart["title"] and chart["desc"] and all(chart["named"]) and len(chart["named"]) == 2
        ), f"a chart without a name and description: {chart}"
        table = chart["table"]
        assert table and len(table) > 1, f"no table follows the chart {chart['title']!r}"
        rows = {row[0]: row[1:] for row in table[1:]}
        row = None  # the table row of the bar the chart's texts are about now
        for text in chart["texts"]:
            if text in rows:
                row = rows[text]
                continue
            if text == "–":  # no data: the table row must say so too
                assert row is not None and "–" in row, (
                    f"{text!r} of chart {chart['title']!r} is not in its table row {row}"
                )
                continue
            if row is not None and text in row:  # written as in the table (say "€ 2.400,00")
                continue
            number = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*\S*", text)
            if number is None:  # a legend entry names a column
                assert any(text.lower() in head.lower() for head in table[0]), (
                    f"{text!r} of chart {chart['title']!r} is not in its table {table}"
                )
                continue
            assert row is not None, f"{text!r} of chart {chart['title']!r} belongs to no row"
            value = float(number.group(1).replace(",", "."))
            assert value in _numbers(row) or value == sum(_numbers(row)), (
                f"{text!r} of chart {chart['title']!r} is not in its table row {row}"
            )


def test_insight_charts_stay_readable_on_a_small_phone(browser, gemeente):
    """At 320 px every chart fits its column, its words and numbers are at least 12 px as the
    browser computed them, and every bar has room to be seen."""
    ctx = browser.new_context(
        locale="nl-NL", viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True
    )
    try:
        page = ctx.new_page()
        page.goto(gemeente("/inzicht"))
        report = page.evaluate(
            """() => ({
                page: document.documentElement.scrollWidth,
                viewport: document.documentElement.clientWidth,
                charts: [...document.querySelectorAll('main .bloei-chart')].map(chart => ({
                    id: chart.id,
                    right: chart.getBoundingClientRect().right,
                    scroll: chart.scrollWidth - chart.clientWidth,
                    texts: [...chart.querySelectorAll('.bloei-chart-label, .bloei-chart-value')]
                        .filter(t => !t.closest('.bloei-visually-hidden'))
                        .map(t => ({
                            text: t.textContent.trim(),
                            size: parseFloat(getComputedStyle(t).fontSize),
                            right: t.getBoundingClientRect().right,
                        })),
                    bars: [...chart.querySelectorAll('.bloei-chart-bar')]
                        .map(b => b.getBoundingClientRect().width),
                })),
            })"""
        )
    finally:
        ctx.close()
    assert report["page"] <= report["viewport"], "Inzicht runs off the side at 320 px"
    assert len(report["charts"]) >= 3
    for chart in report["charts"]:
        assert chart["right"] <= report["viewport"] and chart["scroll"] <= 0, chart["id"]
        assert chart["texts"], chart["id"]
        for text in chart["texts"]:
            assert text["size"] >= 12, f"{text} in {chart['id']} is too small to read"
            assert text["right"] <= report["viewport"], f"{text} in {chart['id']} runs off"
        assert all(width >= 48 for width in chart["bars"]), f"bars squeezed in {chart['id']}"


def _numbers(cells: list[str]) -> list[float]:
    return [float(c.replace(",", ".")) for c in cells if re.fullmatch(r"\d+(?:[.,]\d+)?", c)]


@pytest.mark.parametrize("path", ["/", "/projecten"])
def test_no_sideways_scrolling_on_a_phone(browser, gemeente, path):
    ctx = browser.new_context(
        locale="nl-NL", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        page = ctx.new_page()
        page.goto(gemeente(path))
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
    finally:
        ctx.close()
    assert widths[0] <= widths[1], f"{path} scrolls sideways at 375 px: {widths}"
