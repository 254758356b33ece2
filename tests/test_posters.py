"""The A4 poster of a meeting: printable page, SVG and PDF, each with a QR code that scans."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from node.kern.meetings import posters

SVG = "{http://www.w3.org/2000/svg}"
URL = "http://beesd.test/bijeenkomsten/kernavond"
MEETING = {
    "slug": "kernavond",
    "title": "Kernavond over de kernagenda",
    "description": "Wat vindt u **belangrijk** in Beesd? Kom praten over [verkeer](/agenda).\n\n"
    "Deze tweede alinea staat niet op de poster.",
    # 18.30 UTC is 19.30 in Beesd in winter time (CET, UTC+1).
    "starts_at": "2026-03-02T18:30:00+00:00",
    "ends_at": "2026-03-02T20:30:00+00:00",
    "place_name": "Dorpshuis De Schakel",
    "place_address": "Dorpsstraat 12, 4153 AB Beesd",
    "status": "gepland",
    "cancel_reason": "",
    "removed_at": None,
}


def parse_xml(data: str | bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the node's own output, parsed to check it


def add_meeting(db, **changes) -> str:
    values = {**MEETING, **changes, "created_at": "2026-01-05T10:00:00+00:00"}
    values["updated_at"] = values["created_at"]
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    db.write(
        lambda conn: conn.execute(f"INSERT INTO meetings ({columns}) VALUES ({marks})", values)
    )
    return values["slug"]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def svg_qr_image(svg: ET.Element) -> Image.Image:
    """Paint the QR path of the SVG poster as pixels, exactly as its runs say."""
    group = svg.find(f".//{SVG}g[@id='qr']")
    size = int(group.find(f"{SVG}rect").get("width"))
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", group.find(f"{SVG}path").get("d"))
    scale = 10
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in ((int(a), int(b), int(c)) for a, b, c in runs):
        draw.rectangle((x * scale, y * scale, (x + width) * scale - 1, (y + 1) * scale - 1), fill=0)
    return image


# --- the page to print ---------------------------------------------------------------------


async def test_poster_page_shows_winter_time_place_and_qr(client, db):
    add_meeting(db)
    response = await client.get("/bijeenkomsten/kernavond/poster")
    assert response.status_code == 200
    page = response.text
    assert "maandag 2 maart 2026" in page
    assert "19.30 – 21.30 uur" in page
    assert "Dorpshuis De Schakel" in page and "Dorpsstraat 12, 4153 AB Beesd" in page
    assert "Iedereen is welkom!" in page
    # The first paragraph only, as plain words.
    assert "Wat vindt u belangrijk in Beesd? Kom praten over verkeer." in page
    assert "tweede alinea" not in page
    assert URL in page
    assert re.search(r'<svg class="poster__qr"[^>]*>\s*<rect[^>]*/>\s*<path [^>]*d="M\d', page)


async def test_poster_page_shows_summer_time(client, db):
    # 17.00 UTC is 19.00 in Beesd in summer time (CEST, UTC+2).
    add_meeting(db, starts_at="2026-07-14T17:00:00+00:00", ends_at="2026-07-14T19:00:00+00:00")
    page = (await client.get("/bijeenkomsten/kernavond/poster")).text
    assert "dinsdag 14 juli 2026" in page
    assert "19.00 – 21.00 uur" in page


async def test_poster_page_respects_the_content_security_policy(client, db):
    add_meeting(db)
    response = await client.get("/bijeenkomsten/kernavond/poster")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert "style=" not in response.text and "<style" not in response.text
    assert 'href="/huisstijl.css?v=' in response.text
    assert 'href="/static/poster.css?v=' in response.text
    css = await client.get("/static/poster.css")
    assert css.status_code == 200 and "size: A4" in css.text


@pytest.mark.parametrize("suffix", ["", ".svg", ".pdf"])
async def test_unknown_and_removed_meetings_have_no_poster(client, db, suffix):
    add_meeting(db, slug="weg", removed_at="2026-02-01T10:00:00+00:00")
    assert (await client.get(f"/bijeenkomsten/bestaat-niet/poster{suffix}")).status_code == 404
    assert (await client.get(f"/bijeenkomsten/weg/poster{suffix}")).status_code == 404


async def test_cancelled_poster_says_so_everywhere(client, db):
    add_meeting(db, status="geannuleerd", cancel_reason="De zaal is niet beschikbaar.")
    page = (await client.get("/bijeenkomsten/kernavond/poster")).text
    svg = (await client.get("/bijeenkomsten/kernavond/poster.svg")).text
    pdf = PdfReader(io.BytesIO((await client.get("/bijeenkomsten/kernavond/poster.pdf")).content))
    pdf_text = pdf.pages[0].extract_text()
    for text in (page, svg, pdf_text):
        assert "GEANNULEERD" in text
        assert "De zaal is niet beschikbaar." in text
        assert "Iedereen is welkom" not in text


async def test_poster_uses_the_kerns_own_colours(client, db):
    add_meeting(db)
    db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('colour_primary', ?)",
            (json.dumps("#5a2d82"),),
        )
    )
    svg = (await client.get("/bijeenkomsten/kernavond/poster.svg")).text
    assert 'fill="#5a2d82"' in svg
    css = (await client.get("/huisstijl.css")).text
    assert "#5a2d82" in css  # the HTML poster takes its colours from here


# --- SVG -----------------------------------------------------------------------------------


async def test_svg_poster_is_a4_and_its_qr_code_scans(client, db):
    add_meeting(db)
    response = await client.get("/bijeenkomsten/kernavond/poster.svg")
    assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
    svg = parse_xml(response.content)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("viewBox") == "0 0 210 297"
    assert (svg.get("width"), svg.get("height")) == ("210mm", "297mm")
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "maandag 2 maart 2026" in texts and "19.30 – 21.30 uur" in texts
    assert "Dorpshuis De Schakel" in texts and URL in texts
    for text in svg.iter(f"{SVG}text"):
        assert 0 <= float(text.get("x")) <= 210 and 0 < float(text.get("y")) <= 297
    assert decode(svg_qr_image(svg)) == [URL]


async def test_svg_poster_keeps_html_and_script_as_text(client, db):
    title = "<script> alert('x') </script> & \"aanhalingstekens\""
    add_meeting(db, title=title, place_name="Zaal <b>1</b>", cancel_reason="")
    raw = (await client.get("/bijeenkomsten/kernavond/poster.svg")).text
    assert "<script" not in raw and "<b>" not in raw
    svg = parse_xml(raw)
    assert not [e for e in svg.iter() if e.tag.split("}")[-1] in ("script", "b", "foreignObject")]
    shown = " ".join(t.text for t in svg.iter(f"{SVG}text"))
    assert title in shown and "Zaal <b>1</b>" in shown


async def test_svg_poster_survives_control_characters(client, db):
    add_meeting(db, title="Kern\x0bavond\x00 met\x1f rare tekens")
    response = await client.get("/bijeenkomsten/kernavond/poster.svg")
    parse_xml(response.content)  # well-formed XML despite the characters


# --- PDF -----------------------------------------------------------------------------------


async def test_pdf_poster_is_one_a4_page_with_a_qr_code_that_scans(client, db):
    add_meeting(db)
    response = await client.get("/bijeenkomsten/kernavond/poster.pdf")
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842
    text = " ".join(page.extract_text().split())  # wrapped lines joined again
    for words in ("Kernavond over de kernagenda", "maandag 2 maart 2026", "19.30 – 21.30 uur"):
        assert words in text
    assert "Dorpshuis De Schakel" in text and URL in text
    images = page.images
    assert len(images) == 1
    assert decode(images[0].image) == [URL]


async def test_pdf_poster_shows_dutch_letters_and_replaces_what_its_font_lacks(client, db):
    add_meeting(db, title="Ĳsselavond in Café Ëlla – “België” 🎉 ☃", place_name="Zaal ẞ")
    response = await client.get("/bijeenkomsten/kernavond/poster.pdf")
    assert response.status_code == 200
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "IJsselavond in Café Ëlla – “België” ? ?" in text


def test_pdf_text_folds_to_the_core_fonts_encoding():
    folded = posters.pdf_text("Ĳ ŝ é ë ï € – “x” 🎉")
    assert folded == "IJ s é ë ï € – “x” ?"
    folded.encode(posters.PDF_ENCODING)


# --- words and layout ---------------------------------------------------------------------


def test_when_lines_follow_amsterdam_time_across_the_clock_change():
    # The night summer time ends: 00.30 UTC is 2.30 CEST, 03.00 UTC is 4.00 CET.
    assert posters.when_lines("2026-10-25T00:30:00+00:00", "2026-10-25T03:00:00+00:00") == (
        "zondag 25 oktober 2026",
        "2.30 – 4.00 uur",
    )
    assert posters.when_lines("2026-03-02T22:00:00+00:00", "2026-03-03T01:00:00+00:00") == (
        "maandag 2 maart 2026, 23.00 uur",
        "tot dinsdag 3 maart 2026, 2.00 uur",
    )


def test_first_paragraph_is_plain_text_and_trimmed():
    assert posters.first_paragraph("# Kop\n\nEerste *zin* met `code`.\nNog een.\n\nTwee") == (
        "Eerste zin met code. Nog een."
    )
    assert posters.first_paragraph("Een <script>x</script> & meer") == (
        "Een <script>x</script> & meer"
    )
    long = posters.first_paragraph("woord " * 200, limit=100)
    assert len(long) <= 100 and long.endswith("woord…")
    assert posters.first_paragraph("") == ""


async def test_long_texts_stay_inside_the_page_and_above_the_qr_code(db, settings):
    add_meeting(
        db,
        title="Een heel lange titel " * 12 + "Donaudampfschifffahrtsgesellschaftskapitänswohnung",
        description="Heel veel woorden in de eerste alinea. " * 40,
        place_name="Een zaal met een naam die veel te lang is voor één regel op de poster " * 2,
        place_address="Een adres dat ook veel te lang is voor één regel, 4153 ZZ Beesd " * 2,
        status="geannuleerd",
        cancel_reason="Een reden die lang is. " * 10,
    )
    poster = posters.load_poster(db, settings, {}, "kernavond")
    plan = posters.layout(poster)
    measure = posters._Measure()
    for text in plan.texts:
        width = measure.width(text.text, text.size, text.bold)
        left = {"start": text.x, "middle": text.x - width / 2, "end": text.x - width}[text.anchor]
        assert (
            left >= posters.MARGIN - 0.01 and left + width <= posters.PAGE_W - posters.MARGIN + 0.01
        )
        assert text.y <= posters.PAGE_H - posters.MARGIN
    # Nothing of the title, time or place runs into the invitation and QR code at the bottom.
    middle = [t for t in plan.texts if t.y < posters.QR_TOP and t.y > posters.BAND_H]
    assert max(t.y for t in middle) <= posters.MIDDLE_END
    assert posters.fit(poster).scale < 1
