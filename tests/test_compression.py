"""gzip for clients that accept it: the bytes really are gzip of the plain answer, the tag of
a compressed answer is weak and still gets its 304, and what is compressed already or tiny
goes out as it is."""

from __future__ import annotations

import gzip

import httpx
import pytest

from node.app import create_app
from tests.conftest import BASE_URL
from tests.helpers import add_thema
from tests.idea_helpers import add_news
from tests.meeting_helpers import add_meeting

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(params=[True, False], ids=["page-cache", "no-page-cache"])
async def http(request, settings, db):
    app = create_app(settings.with_changes(page_cache=request.param), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c


async def raw_get(
    http: httpx.AsyncClient, path: str, headers: dict
) -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as they came over the wire (httpx would decode gzip)."""
    async with http.stream("GET", path, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


@pytest.fixture
def content(db, settings) -> str:
    for number in range(6):
        add_thema(db, settings, title=f"Thema nummer {number} over verkeer en groen")
        add_news(db, settings, title=f"Bericht {number}", body="Het dorp aan de Linge. " * 20)
    _id, slug = add_meeting(db, settings, days=10, title="Inloopavond")
    return slug


@pytest.mark.parametrize("path", ["/", "/feed.atom", "/actor/outbox?page=true", "/api/v1/themas"])
async def test_a_client_that_accepts_gzip_gets_gzip_of_the_same_answer(http, content, path):
    plain, plain_bytes = await raw_get(http, path, PLAIN)
    packed, packed_bytes = await raw_get(http, path, GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert gzip.decompress(packed_bytes) == plain_bytes
    assert len(packed_bytes) < len(plain_bytes)
    if "content-length" in packed.headers:  # a page from the cache goes out streamed
        assert int(packed.headers["content-length"]) == len(packed_bytes)
    assert packed.headers["content-type"] == plain.headers["content-type"]


@pytest.mark.parametrize("path", ["/feed.atom", "/actor/outbox?page=true", "/api/v1/themas"])
async def test_the_tag_of_a_compressed_answer_is_weak_and_gets_its_304(http, content, path):
    plain, _ = await raw_get(http, path, PLAIN)
    packed, _ = await raw_get(http, path, GZIP)
    strong = plain.headers["etag"]
    assert not strong.startswith("W/")
    assert packed.headers["etag"] == f"W/{strong}"
    for tag in (packed.headers["etag"], strong):
        again, raw = await raw_get(http, path, {**GZIP, "If-None-Match": tag})
        assert again.status_code == 304 and raw == b""
    plain_again, _ = await raw_get(http, path, {**PLAIN, "If-None-Match": packed.headers["etag"]})
    assert plain_again.status_code == 304


async def test_a_pdf_is_not_compressed_again(http, content):
    response, raw = await raw_get(http, f"/bijeenkomsten/{content}/poster.pdf", GZIP)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "content-encoding" not in response.headers
    assert raw.startswith(b"%PDF")


async def test_a_tiny_answer_is_not_compressed(http):
    response, raw = await raw_get(http, "/.well-known/nodeinfo", GZIP)
    assert response.status_code == 200 and len(raw) < 1024
    assert "content-encoding" not in response.headers


async def test_the_page_cache_keeps_one_plain_form(settings, db, content):
    app = create_app(settings, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        await raw_get(c, "/", GZIP)
        plain, plain_bytes = await raw_get(c, "/", PLAIN)
        packed, packed_bytes = await raw_get(c, "/", GZIP)
    # A compressed answer before it left nothing of its encoding in what the cache keeps.
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"].lower().count("accept-encoding") <= 1
    assert packed.headers["vary"].lower().count("accept-encoding") == 1
    assert gzip.decompress(packed_bytes) == plain_bytes
    cache = app.middleware_stack
    while not hasattr(cache, "entries"):
        cache = cache.app
    stored = [key for key in cache.entries if key[1] == "/"]
    assert len(stored) == 1
    assert cache.hits == 2
    body = b"".join(cache.entries[stored[0]][2])
    assert body.lstrip().lower().startswith(b"<!doctype html")
