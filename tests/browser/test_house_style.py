"""A kern that looks like itself, as a browser shows it: Beesd's sample colours in the header,
its logo and header image drawn, and every style sheet linked under a versioned URL that the
browser may keep a year (issue 11 items 8 and 9)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

BEESD_BLUE = "rgb(29, 78, 137)"  # #1d4e89, node/kern/sample/beesd.toml
YEAR = "public, max-age=31536000, immutable"


def test_beesd_shows_its_own_colours_logo_and_header_image(page, node):
    styles = {}
    page.on(
        "response",
        lambda response: (
            styles.__setitem__(response.url, response.headers.get("cache-control"))
            if response.request.resource_type == "stylesheet"
            else None
        ),
    )
    page.goto(node("/over"))

    header = page.locator(".bloei-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == BEESD_BLUE
    name = page.locator(".bloei-header__name")
    assert name.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    # Drawn, not just named: a broken image has no natural width.
    logo = page.locator("img.bloei-header__logo-image")
    assert logo.evaluate("e => e.complete && e.naturalWidth") > 0
    picture = page.locator("img.bloei-header-image")
    assert picture.evaluate("e => e.complete && e.naturalWidth") > 0
    assert picture.get_attribute("alt").strip()

    assert len(styles) >= 3, styles  # tokens, bloei and the house style
    for url, cache in styles.items():
        assert "?v=" in url and cache == YEAR, (url, cache)
