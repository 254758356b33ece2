"""Pages carry an ETag and a Last-Modified and answer 304 to a visitor who has them already
(node/web/page_validators.py), with the page cache in front and without it; a page that
changed is never called unchanged, and what is private to someone gets no validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from node.app import create_app
from node.web.page_validators import FirstSent
from tests.conftest import BASE_URL, login
from tests.helpers import add_thema

PAGES = ("/", "/agenda", "/projecten", "/bijeenkomsten", "/over")


@pytest.fixture(params=[False, True], ids=["app", "page-cache"])
async def http(request, settings, db):
    app = create_app(settings.with_changes(page_cache=request.param), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c


async def page(http: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    response = await http.get(path, headers=headers)
    assert response.status_code in (200, 304), response.text
    return response


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_revalidates_by_tag_and_by_date(http, path):
    first = await page(http, path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    # Strong as made; weak once compressed on the way out (node/web/compression.py).
    assert etag.removeprefix("W/").startswith('"') and etag.endswith('"')
    last_modified = first.headers["last-modified"]

    by_tag = await page(http, path, **{"if-none-match": etag})
    assert by_tag.status_code == 304
    assert by_tag.content == b""
    assert by_tag.headers["etag"] == etag

    by_date = await page(http, path, **{"if-modified-since": last_modified})
    assert by_date.status_code == 304

    weak = await page(http, path, **{"if-none-match": f'"other", W/{etag.removeprefix("W/")}'})
    assert weak.status_code == 304


async def test_a_changed_page_gets_a_new_tag_and_a_later_date(http, db, settings):
    first = await page(http, "/agenda")
    add_thema(db, settings, title="Wonen voor jong en oud")

    again = await page(http, "/agenda", **{"if-none-match": first.headers["etag"]})
    assert again.status_code == 200
    assert "Wonen voor jong en oud" in again.text
    assert again.headers["etag"] != first.headers["etag"]
    # Within the same second the new body goes without a date rather than with the old one.
    if "last-modified" in again.headers:
        assert parsedate_to_datetime(again.headers["last-modified"]) > parsedate_to_datetime(
            first.headers["last-modified"]
        )
    by_old_date = await page(
        http, "/agenda", **{"if-modified-since": first.headers["last-modified"]}
    )
    assert by_old_date.status_code == 200


async def test_an_unknown_tag_or_a_bad_date_gets_the_page(http):
    await page(http, "/")
    assert (await page(http, "/", **{"if-none-match": '"nope"'})).status_code == 200
    assert (await page(http, "/", **{"if-modified-since": "gisteren"})).status_code == 200


async def test_head_carries_the_same_tag_as_get(http):
    got = await page(http, "/projecten")
    head = await http.head("/projecten")
    assert head.status_code == 200
    assert head.headers["etag"] == got.headers["etag"]


async def test_a_missing_page_gets_no_validators(http):
    response = await http.get("/projecten/bestaat-niet")
    assert response.status_code == 404
    assert "etag" not in response.headers


async def test_pages_of_someone_signed_in_get_no_validators(http):
    await login(http)
    response = await http.get("/")
    assert response.status_code == 200
    assert "etag" not in response.headers
    beheer = await http.get("/beheer")
    assert "etag" not in beheer.headers


async def test_feeds_keep_their_own_validators(http):
    """The calendar works out its own tag; the pages' middleware leaves it alone."""
    response = await http.get("/bijeenkomsten.ics")
    assert response.status_code == 200
    tag = response.headers["etag"]
    again = await http.get("/bijeenkomsten.ics", headers={"if-none-match": tag})
    assert again.status_code == 304


def test_a_date_only_moves_forward_and_never_names_a_second_still_to_come():
    sent = FirstSent()
    now = datetime(2026, 12, 5, 12, 0, 0, 400_000, tzinfo=UTC)
    first = sent.last_modified("/a?", '"one"', now)
    assert first == now.replace(microsecond=0)
    # The same body later keeps the moment it was first sent.
    assert sent.last_modified("/a?", '"one"', now + timedelta(minutes=5)) == first
    # A new body in the same second: its second has not come yet, so no date.
    sent2 = FirstSent()
    sent2.last_modified("/b?", '"one"', now)
    assert sent2.last_modified("/b?", '"two"', now) is None
    # A second later that body has its own, later date.
    assert sent2.last_modified("/b?", '"two"', now + timedelta(seconds=1)) == first + timedelta(
        seconds=1
    )


def test_the_memory_of_addresses_stays_bounded():
    sent = FirstSent(max_remembered=3)
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    for n in range(10):
        sent.last_modified(f"/p{n}?", '"x"', now)
    assert len(sent._sent) == 3
