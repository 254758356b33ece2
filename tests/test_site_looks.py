"""A kern that looks like itself: its colour pair (refused under 4.5:1, with the ratio), its
logo and header image (checked by their pixels, no SVG), carried by backup and export."""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from node.backup import create_backup, restore_backup
from node.settings import Settings
from node.web import house_style
from node.web.house_style import contrast_ratio

SOLID = {"colour_primary": "#7a1f5c", "colour_primary_text": "#ffffff", "colour_accent": ""}


def png(size=(600, 300), colour=(200, 30, 30, 128)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(size=(1200, 500)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_with_place(size=(1000, 250)) -> bytes:
    """A JPEG whose EXIF says where it was taken and with what camera."""
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 53.0, 0.0)}  # GPSInfo: latitude
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def site_value(db, key: str):
    row = db.one("SELECT value FROM site WHERE key = ?", (key,))
    return json.loads(row["value"]) if row else None


async def save(client, csrf, files=None, **fields):
    data = {"group_name": "Kerngroep Heukelum", **SOLID, **fields, "csrf": csrf}
    return await client.post("/beheer/site", data=data, files=files or {})


# --- the colour pair ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("primary", "text", "ratio"),
    [
        ("#ffff00", "#ffffff", "1,07"),
        # #777777 on white: the grey every contrast checker shows at 4.48:1, just too little.
        ("#ffffff", "#777777", "4,48"),
        ("#1f6f43", "#000000", "3,41"),
        ("#767676", "#ffffff", None),  # 4.54:1, just enough
        ("#f2e6c9", "#1b1b1b", None),  # a light colour with dark text is fine
    ],
)
async def test_a_colour_pair_under_4_5_is_refused_naming_its_ratio(admin, db, primary, text, ratio):
    client, csrf = admin
    response = await save(client, csrf, colour_primary=primary, colour_primary_text=text)
    if ratio is None:
        assert response.status_code == 303
        assert site_value(db, "colour_primary_text") == text
        return
    assert response.status_code == 400
    assert f"de contrastverhouding is {ratio} : 1, en moet minstens 4,5 : 1 zijn" in response.text
    assert 'aria-invalid="true"' in response.text
    assert site_value(db, "colour_primary") is None  # nothing saved


async def test_the_pair_reaches_pages_as_custom_properties(admin):
    client, csrf = admin
    assert (
        await save(client, csrf, colour_primary="#f2e6c9", colour_primary_text="#1b1b1b")
    ).status_code == 303
    page = (await client.get("/")).text
    css = (await client.get(re.search(r'href="(/huisstijl\.css\?v=\w+)"', page).group(1))).text
    tokens = dict(re.findall(r"--bloei-color-([\w-]+): (#[0-9a-f]{6});", css))
    assert tokens["primary"] == "#f2e6c9" and tokens["primary-contrast"] == "#1b1b1b"
    # Light main colour: links on white are darkened until readable, the header ring is dark.
    assert contrast_ratio(tokens["link"], "#ffffff") >= 4.5
    assert contrast_ratio(tokens["header-focus"], "#f2e6c9") >= 3
    assert contrast_ratio(tokens["primary-dark"], "#1b1b1b") >= 4.5


hex_colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=300, deadline=None)
@given(primary=hex_colours, text=hex_colours, accent=hex_colours)
def test_every_accepted_pair_keeps_links_hover_and_focus_readable(primary, text, accent):
    """Whatever pair passes the 4.5:1 check, the derived colours keep their contrast."""
    if contrast_ratio(primary, text) < 4.5:
        return
    site = {"colour_primary": primary, "colour_primary_text": text, "colour_accent": accent}
    css = house_style.house_style_css(Settings(data_dir="."), site)
    tokens = dict(re.findall(r"--bloei-color-([\w-]+): (#[0-9a-f]{6});", css))
    assert contrast_ratio(tokens["link"], "#ffffff") >= 4.5
    assert contrast_ratio(tokens["link-hover"], "#ffffff") >= 4.5
    assert contrast_ratio(tokens["primary-dark"], text) >= 4.5
    assert contrast_ratio(tokens["header-focus"], primary) >= 3


# --- logo and header image ---------------------------------------------------------------------


async def test_a_logo_is_stored_as_clean_png_and_shown_in_the_header(admin, db, settings):
    client, csrf = admin
    response = await save(client, csrf, files={"logo": ("logo.png", png(), "image/png")})
    assert response.status_code == 303
    name = site_value(db, "logo")
    assert re.fullmatch(r"logo-[0-9a-f]{32}\.png", name)
    with Image.open(settings.media_dir / name) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA"
        assert max(stored.size) == 400  # made small
        assert stored.getpixel((10, 10))[3] == 128  # transparency kept
    page = (await client.get("/")).text
    assert f'<img class="bloei-header__logo-image" src="/media/{name}" alt=""' in page

    # A new logo replaces the old file; taking it away removes both name and file.
    await save(client, csrf, files={"logo": ("nieuw.jpg", jpeg(), "image/jpeg")})
    newer = site_value(db, "logo")
    assert newer != name and not (settings.media_dir / name).exists()
    assert (await save(client, csrf, logo_remove="y")).status_code == 303
    assert site_value(db, "logo") == ""
    assert not (settings.media_dir / newer).exists()
    assert "bloei-header__logo-image" not in (await client.get("/")).text


async def test_a_logo_loses_its_metadata_and_is_made_400_pixels_wide(admin, db, settings):
    client, csrf = admin
    upload = jpeg_with_place()
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif()  # the test photo does carry a place
    files = {"logo": ("logo.jpg", upload, "image/jpeg")}
    assert (await save(client, csrf, files=files)).status_code == 303
    stored_path = settings.media_dir / site_value(db, "logo")
    with Image.open(stored_path) as stored:
        assert stored.size == (400, 100)
        assert not stored.getexif() and "exif" not in stored.info
    assert b"Camera Maker" not in stored_path.read_bytes()


@pytest.mark.parametrize(
    ("filename", "content", "kind"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        ("logo.png", b"not a picture at all", "image/png"),
    ],
)
async def test_svg_and_other_files_are_refused_as_logo(
    admin, db, settings, filename, content, kind
):
    client, csrf = admin
    response = await save(client, csrf, files={"logo": (filename, content, kind)})
    assert response.status_code == 400
    assert "Dit bestand is geen foto. Kies een JPG-, PNG- of WebP-bestand." in response.text
    assert site_value(db, "logo") is None
    assert not list(settings.media_dir.glob("logo-*"))


async def test_a_header_image_needs_words_for_who_cannot_see_it(admin, db, settings):
    client, csrf = admin
    files = {"header_image": ("kerk.jpg", jpeg(), "image/jpeg")}
    response = await save(client, csrf, files=files)
    assert response.status_code == 400
    assert "Beschrijf in een paar woorden wat er op de kopfoto staat." in response.text
    assert not list(settings.media_dir.glob("*.jpg"))
    alt = "De kerk van Heukelum aan de Linge"
    files = {"header_image": ("kerk.jpg", jpeg(), "image/jpeg")}
    assert (await save(client, csrf, files=files, header_image_alt=alt)).status_code == 303
    name = site_value(db, "header_image")
    about = (await client.get("/over")).text
    assert f'src="/media/{name}" alt="{alt}"' in about
    assert (await save(client, csrf, header_image_remove="y")).status_code == 303
    assert site_value(db, "header_image") == "" and site_value(db, "header_image_alt") == ""
    assert not (settings.media_dir / name).exists()


async def test_logo_and_colours_travel_in_a_backup(admin, db, settings, tmp_path):
    client, csrf = admin
    files = {"logo": ("logo.png", png(), "image/png")}
    assert (await save(client, csrf, files=files)).status_code == 303
    name = site_value(db, "logo")
    archive = tmp_path / "kern.tar.gz"
    create_backup(settings, archive)
    restored = restore_backup(archive, tmp_path / "terug").data_dir
    assert (restored / "media" / name).read_bytes() == (settings.media_dir / name).read_bytes()
