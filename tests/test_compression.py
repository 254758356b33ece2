"""gzip for clients that accept it: the bytes really are gzip of the plain answer, the tag of
a compressed answer is weak and still gets its 304, and what is compressed already or tiny
goes out as it is."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.app import create_app
from node.web import compression
from node.web.compression import CompressionMiddleware
from node.web.conditional import strong_etag
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


# --- large answers: compressed one at a time, their gzip form kept by entity-tag ----------


def big_body(marker: str) -> bytes:
    return ("BEGIN:VEVENT\r\nSUMMARY:" + marker + "\r\nEND:VEVENT\r\n").encode() * 4000


def tagged_app(bodies: dict[str, bytes], tagged: bool = True):
    """A bare app answering each path with its body, with a strong tag made from it."""

    async def endpoint(request: Request) -> Response:
        body = bodies[request.url.path]
        headers = {"ETag": strong_etag(body)} if tagged else {}
        return Response(body, media_type="text/calendar", headers=headers)

    routes = [Route(path, endpoint) for path in bodies]
    return Starlette(routes=routes, middleware=[Middleware(CompressionMiddleware)])


def counting_compress(monkeypatch) -> list[int]:
    sizes: list[int] = []
    real = compression.gzip.compress

    def compress(data, *args, **kwargs):
        sizes.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(compression.gzip, "compress", compress)
    return sizes


async def test_a_large_answer_is_compressed_once_per_tag(monkeypatch):
    bodies = {"/a.ics": big_body("a"), "/b.ics": big_body("b")}
    assert len(bodies["/a.ics"]) >= compression.LARGE
    compressed = counting_compress(monkeypatch)
    transport = httpx.ASGITransport(app=tagged_app(bodies))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for _ in range(3):
            response, raw = await raw_get(http, "/a.ics", GZIP)
            assert response.headers["content-encoding"] == "gzip"
            assert int(response.headers["content-length"]) == len(raw)
            assert gzip.decompress(raw) == bodies["/a.ics"]
            assert response.headers["etag"] == "W/" + strong_etag(bodies["/a.ics"])
            assert response.headers["vary"] == "Accept-Encoding"
        assert len(compressed) == 1
        # Another address is its own form; a changed body has a new tag and a new form.
        await raw_get(http, "/b.ics", GZIP)
        bodies["/a.ics"] = big_body("changed")
        response, raw = await raw_get(http, "/a.ics", GZIP)
        assert gzip.decompress(raw) == bodies["/a.ics"]
        assert len(compressed) == 3
        # A client without gzip gets the plain bytes, untouched.
        plain, plain_raw = await raw_get(http, "/a.ics", PLAIN)
        assert "content-encoding" not in plain.headers and plain_raw == bodies["/a.ics"]


async def test_a_large_answer_without_a_strong_tag_is_compressed_every_time(monkeypatch):
    bodies = {"/a.ics": big_body("a")}
    compressed = counting_compress(monkeypatch)
    transport = httpx.ASGITransport(app=tagged_app(bodies, tagged=False))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for _ in range(2):
            response, raw = await raw_get(http, "/a.ics", GZIP)
            assert gzip.decompress(raw) == bodies["/a.ics"]
    assert len(compressed) == 2


async def test_clients_asking_at_once_share_one_compression(monkeypatch):
    bodies = {"/a.ics": big_body("a")}
    compressed = counting_compress(monkeypatch)
    transport = httpx.ASGITransport(app=tagged_app(bodies))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        answers = await asyncio.gather(*(raw_get(http, "/a.ics", GZIP) for _ in range(8)))
    assert {gzip.decompress(raw) for _response, raw in answers} == {bodies["/a.ics"]}
    assert len(compressed) == 1


async def test_the_kept_forms_stay_within_their_budget():
    forms = compression.GzipForms(max_bytes=3000)
    for number in range(20):
        packed = await forms.compress(("/a", number), os.urandom(1000))
        assert gzip.decompress(packed)
    assert sum(len(forms.kept(("/a", n)) or b"") for n in range(20)) <= 3000
    assert forms.kept(("/a", 19)) is not None and forms.kept(("/a", 0)) is None


async def test_a_large_calendar_goes_out_compressed_with_its_weak_tag(http, db, settings):
    for number in range(200):
        add_meeting(db, settings, days=1 + number % 60, title=f"Avond {number}")
    plain, plain_bytes = await raw_get(http, "/bijeenkomsten.ics", PLAIN)
    assert len(plain_bytes) >= compression.LARGE
    for _ in range(2):
        packed, packed_bytes = await raw_get(http, "/bijeenkomsten.ics", GZIP)
        assert packed.headers["content-encoding"] == "gzip"
        assert gzip.decompress(packed_bytes) == plain_bytes
        assert packed.headers["etag"] == "W/" + plain.headers["etag"]
        assert packed.headers["content-type"] == plain.headers["content-type"]
    again, raw = await raw_get(
        http, "/bijeenkomsten.ics", {**GZIP, "If-None-Match": packed.headers["etag"]}
    )
    assert again.status_code == 304 and raw == b""


async def test_the_lifespan_passes_through(settings, db):
    """The app's jobs start in its lifespan, which reaches the app through these layers."""
    started = []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        started.append(True)
        yield

    app = CompressionMiddleware(Starlette(lifespan=lifespan))
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert started == [True]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
