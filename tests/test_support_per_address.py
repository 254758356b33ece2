"""'Ik steun dit' once per person: the cookie, and a daily address key that stores no address."""

from __future__ import annotations

import httpx

from node.kern import address_counts, supporting
from tests.conftest import BASE_URL
from tests.helpers import add_project
from tests.idea_helpers import add_published_idea

LIMIT = supporting.SUPPORTS_PER_ADDRESS_PER_DAY


async def press_without_cookie(app, path: str, address: str, times: int) -> list[str]:
    """Press 'ik steun dit' `times`, each time from a fresh browser (the cookie dropped)."""
    said = []
    for _ in range(times):
        transport = httpx.ASGITransport(app=app, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as browser:
            response = await browser.post(path)
            assert response.status_code == 303
            page = await browser.get(response.headers["location"])
            said.append(page.text)
    return said


async def test_dropping_the_cookie_no_longer_counts_again_and_again(app, db, settings):
    _, slug = add_project(db, settings)
    said = await press_without_cookie(app, f"/projecten/{slug}/steun", "198.51.100.7", 20)
    assert db.scalar("SELECT count(*) FROM supports") == LIMIT
    assert all("Uw steun is geteld." in page for page in said[:LIMIT])
    assert all("Vanaf uw internetadres is vandaag al" in page for page in said[LIMIT:])
    # A neighbour on another connection is not affected.
    await press_without_cookie(app, f"/projecten/{slug}/steun", "198.51.100.8", 1)
    assert db.scalar("SELECT count(*) FROM supports") == LIMIT + 1


async def test_the_same_for_ideas(app, db, settings):
    _id, _token, slug = add_published_idea(db, app, settings)
    await press_without_cookie(app, f"/ideeen/{slug}/steun", "198.51.100.7", 10)
    assert db.scalar("SELECT count(*) FROM idea_supports") == LIMIT


async def test_a_browser_with_its_cookie_still_hears_it_already_supports(app, db, settings):
    _, slug = add_project(db, settings)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as browser:
        for _ in range(LIMIT + 2):
            response = await browser.post(f"/projecten/{slug}/steun")
        page = (await browser.get(response.headers["location"])).text
    assert "U steunt dit project al." in page
    assert db.scalar("SELECT count(*) FROM supports") == 1


async def test_an_ipv6_household_is_one_address(app, db, settings):
    # Every device picks its own addresses in the household's /64.
    _, slug = add_project(db, settings)
    for host in range(1, 6):
        await press_without_cookie(app, f"/projecten/{slug}/steun", f"2001:db8:1:2::{host}", 1)
    assert db.scalar("SELECT count(*) FROM supports") == LIMIT


async def test_no_address_is_stored_and_the_keys_go_after_the_day(app, db, settings):
    _, slug = add_project(db, settings)
    await press_without_cookie(app, f"/projecten/{slug}/steun", "198.51.100.7", 2)
    rows = [dict(row) for row in db.execute("SELECT * FROM address_counts")]
    assert len(rows) == 1 and rows[0]["count"] == 2
    assert "198.51.100.7" not in str(rows)
    today = address_counts.today()
    assert rows[0]["day"] == today
    # The key rotates daily: the same address on another day is another key.
    assert address_counts.address_key(settings.secret_key, "198.51.100.7", today) != (
        address_counts.address_key(settings.secret_key, "198.51.100.7", "2099-01-01")
    )
    assert address_counts.run_expiry(db, today) == 0
    assert address_counts.run_expiry(db, "2099-01-01") == 1
    assert db.scalar("SELECT count(*) FROM address_counts") == 0
    assert db.scalar("SELECT count(*) FROM supports") == 2, "the supports themselves stay"


async def test_the_privacy_statement_says_what_is_kept(client):
    page = (await client.get("/over/privacy")).text
    assert "Die code gooien we na die dag weg." in page
