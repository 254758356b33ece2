"""Fast on a slow line: static files and the house style under versioned URLs that may be
kept a year, the plain URLs still working with a short lifetime, and text gzipped on request
while images are not."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from node.web.templating import STATIC_DIR
from tests.test_compression import GZIP, raw_get
from tests.test_site_looks import png, save, site_value

YEAR = "public, max-age=31536000, immutable"


def linked(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


async def test_pages_link_static_files_by_a_hash_of_their_content(client):
    page = (await client.get("/")).text
    links = linked(page, r'href="(/static/[^"?]+\?v=[0-9a-f]+)"')
    assert {link.split("?")[0] for link in links} >= {
        "/static/tokens.css",
        "/static/bloei.css",
        "/static/favicon.svg",
    }
    for link in links:
        name, version = link.removeprefix("/static/").split("?v=")
        # An independent hash of the file on disk: the version names exactly these bytes.
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest().startswith(version)
        response = await client.get(link)
        assert response.status_code == 200
        assert response.headers["cache-control"] == YEAR
        assert response.content == (STATIC_DIR / name).read_bytes()


async def test_the_plain_and_an_old_url_still_work_with_a_short_lifetime(client):
    for address in ("/static/bloei.css", "/static/bloei.css?v=0123456789ab"):
        response = await client.get(address)
        assert response.status_code == 200
        assert response.content == (STATIC_DIR / "bloei.css").read_bytes()
        cache = response.headers["cache-control"]
        assert "immutable" not in cache and "max-age=300" in cache


async def test_a_missing_static_file_is_still_a_404(client):
    assert (await client.get("/static/bestaat-niet.css?v=abc")).status_code == 404


async def test_the_house_style_is_versioned_by_its_colours(admin, db):
    client, csrf = admin
    link = linked((await client.get("/")).text, r'href="(/huisstijl\.css\?v=[0-9a-f]+)"')[0]
    response = await client.get(link)
    assert response.headers["cache-control"] == YEAR
    assert response.headers["content-type"].startswith("text/css")
    version = link.split("?v=")[1]
    assert hashlib.sha256(response.content).hexdigest().startswith(version)

    # New colours: a new URL, and the old one is no longer kept for long.
    db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('colour_primary', ?)",
            (json.dumps("#5a2d82"),),
        )
    )
    new_link = linked((await client.get("/")).text, r'href="(/huisstijl\.css\?v=[0-9a-f]+)"')[0]
    assert new_link != link
    assert "#5a2d82" in (await client.get(new_link)).text
    old = await client.get(link)
    assert "#5a2d82" in old.text and "immutable" not in old.headers["cache-control"]
    plain = await client.get("/huisstijl.css")
    assert plain.headers["cache-control"] == "public, max-age=300"


async def test_static_text_is_gzipped_when_asked(client):
    for name in ("bloei.css", "poster.css", "tokens.css"):
        response, raw = await raw_get(client, f"/static/{name}", GZIP)
        assert response.headers["content-encoding"] == "gzip", name
        assert gzip.decompress(raw) == (STATIC_DIR / name).read_bytes()
        assert response.headers["vary"] == "Accept-Encoding"


async def test_large_svg_is_gzipped_and_photos_are_not(client, settings):
    # favicon.svg is below the size worth compressing; a larger SVG in the media folder
    # goes through the same middleware, and a JPEG never does.
    settings.media_dir.mkdir(exist_ok=True)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g/>" * 600 + b"</svg>"
    (settings.media_dir / "kaart.svg").write_bytes(svg)
    (settings.media_dir / "foto.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(4000))
    response, raw = await raw_get(client, "/media/kaart.svg", GZIP)
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == svg
    response, raw = await raw_get(client, "/media/foto.jpg", GZIP)
    assert "content-encoding" not in response.headers
    assert len(raw) == 4004


async def test_uploaded_images_are_kept_a_year_as_their_names_never_change(admin, db):
    """A logo (or photo) gets a new random name on every upload: the old name is never
    reused for other bytes, so a browser may keep what a name holds."""
    client, csrf = admin
    await save(client, csrf, files={"logo": ("logo.png", png(), "image/png")})
    first = site_value(db, "logo")
    response = await client.get(f"/media/{first}")
    assert response.status_code == 200 and response.headers["cache-control"] == YEAR
    await save(client, csrf, files={"logo": ("logo.png", png(colour=(1, 2, 3, 255)), "image/png")})
    assert site_value(db, "logo") != first
    assert (await client.get(f"/media/{first}")).status_code == 404
