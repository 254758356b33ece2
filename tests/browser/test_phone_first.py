"""Phone first, at 360 x 740 CSS px (a common Android phone): what a resident comes for is on
the first screen, and tables become cards instead of hiding columns off the side."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(locale="nl-NL", viewport=PHONE)
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not shown"
    return found


def test_home_shows_the_next_meeting_and_ik_kom_ook_without_scrolling(phone, node):
    phone.goto(node("/"))
    card = phone.locator(".bloei-next-meeting .bloei-card--highlight")
    title = card.locator(".bloei-card__title")
    button = card.get_by_role("link", name="Ik kom ook")
    for part in (title, button):
        where = box(part)
        assert where["y"] >= 0 and where["y"] + where["height"] <= PHONE["height"], (
            f"{part} is below the fold at 360 x 740: {where}"
        )
        assert where["x"] >= 0 and where["x"] + where["width"] <= PHONE["width"]
    # the page's heading still comes first, above the meeting
    assert box(phone.locator("h1")).get("y") < box(title)["y"]
    # the introduction is still there, under the meeting
    assert box(phone.locator(".bloei-intro .bloei-lead"))["y"] > box(button)["y"]
    # and the button takes the resident to the sign-up form of that meeting
    button.click()
    phone.wait_for_url("**/bijeenkomsten/*#aanmelden")
    assert phone.locator("#aanmelden form").count() == 1


def test_on_a_desktop_the_introduction_stays_above_the_meeting(browser, node):
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(node("/"))
        lead = box(page.locator(".bloei-intro .bloei-lead"))
        meeting = box(page.locator(".bloei-next-meeting h2"))
        assert lead["y"] < meeting["y"]
    finally:
        ctx.close()


@pytest.mark.parametrize(
    "path", ["/beheer/projecten", "/beheer/themas", "/beheer/bijeenkomsten", "/beheer/ideeen"]
)
def test_beheer_lists_are_cards_on_a_phone(phone, node, path):
    """Each row a card the width of the screen, its cells under each other with their
    column's name, so nothing hides off the right edge."""
    log_in(phone, node)
    phone.goto(node(path))
    rows = phone.locator("main table.bloei-table--stack tbody tr")
    assert rows.count() >= 1
    first, widest = box(rows.first), PHONE["width"]
    assert first["x"] >= 0 and first["x"] + first["width"] <= widest
    cells = rows.first.locator("th, td")
    tops = [box(cells.nth(i))["y"] for i in range(cells.count())]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), "cells side by side"
    for i in range(cells.count()):
        cell = box(cells.nth(i))
        assert cell["x"] + cell["width"] <= widest, f"cell {i} off the side of {path}"
    label = rows.first.locator("td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label not in ("", "none", "normal"), "a cell without its column's name"
    if rows.count() > 1:
        assert box(rows.nth(1))["y"] >= first["y"] + first["height"], "cards overlap"
    # a screen reader still meets a table with column headers
    assert phone.locator("main table").first.get_by_role("columnheader").count() >= 2


def test_a_coming_meeting_page_offers_poster_and_route_on_a_phone(phone, node):
    phone.goto(node("/"))
    phone.locator(".bloei-card--highlight .bloei-card__title a").click()
    route = phone.get_by_role("link", name="Route plannen")
    assert route.get_attribute("href").startswith("https://www.openstreetmap.org/directions?to=")
    where = box(route)
    assert where["x"] + where["width"] <= PHONE["width"]
    assert phone.get_by_role("link", name="Poster om op te hangen").count() == 1
