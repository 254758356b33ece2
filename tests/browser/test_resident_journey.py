"""Issue 3's "Done when", in a real browser against a real server that sends real mail.

A resident finds the next meeting from the home page, signs up, gets the confirmation with
the meeting for their calendar at an SMTP server on 127.0.0.1, and cancels with the link in
that mail. The group writes the verslag of a past meeting and moves its project to the next
phase. The poster prints as one A4 page, and its QR code scans to the meeting's address.

The node is the `mail_node` of conftest.py: its own sample kern, so these steps change
nothing the other browser tests look at.
"""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import UTC, datetime

import icalendar
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from node.settings import load_settings
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

RESIDENT = "Marieke de Wit"
RESIDENT_EMAIL = "marieke.dewit@example.nl"
PAST_MEETING = "Fietstocht langs de oversteekplekken"
LINKED_PROJECT = "Veilig oversteken bij de basisschool"
A4_POINTS = (595.28, 841.89)


def meeting_row(node, slug: str) -> sqlite3.Row:
    path = load_settings(node.data_dir).database_path
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM meetings WHERE slug = ?", (slug,)).fetchone()
    finally:
        conn.close()
    assert row is not None, slug
    return row


def places_left(page) -> int:
    text = page.locator(".bloei-facts").inner_text()
    match = re.search(r"Nog (\d+) plaatsen? vrij", text)
    assert match, f"no free places shown in: {text}"
    return int(match.group(1))


def mails_to(node, address: str) -> list:
    return [m for m in node.smtp.messages if m["To"] == address]


@pytest.fixture
def visitor(browser):
    """A resident on a phone-sized window, with JavaScript, no cookies."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def group_member(browser, mail_node):
    """A member of the resident group, signed in to beheer through the login form."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, mail_node)
    yield page
    ctx.close()


def test_resident_finds_the_next_meeting_signs_up_gets_the_mail_and_cancels(visitor, mail_node):
    page = visitor
    # Given the home page of the kern
    page.goto(mail_node("/"))
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Kom naar de volgende bijeenkomst")
    )
    card_title = section.locator(".bloei-card--highlight .bloei-card__title a")
    title = card_title.inner_text()

    # When the resident follows the next meeting
    card_title.click()
    page.wait_for_url(re.compile(r"/bijeenkomsten/[a-z0-9-]+$"))
    slug = page.url.rsplit("/", 1)[1]
    assert page.get_by_role("heading", level=1).inner_text() == title
    before = places_left(page)

    # And signs up for two with name and e-mail address
    form = page.locator("#aanmelden")
    form.get_by_label("Uw naam").fill(RESIDENT)
    form.get_by_label("E-mailadres").fill(RESIDENT_EMAIL)
    form.get_by_label("Met hoeveel personen komt u?").fill("2")
    form.get_by_role("button", name="Aanmelden").click()

    # Then their own page says so, and two places fewer are free
    page.wait_for_url(re.compile(r"/aanmelding/[A-Za-z0-9_-]{43}#aanmelding-melding$"))
    personal_url = page.url.split("#")[0]
    status = page.get_by_role("status")
    assert "U bent aangemeld" in status.inner_text()
    assert "We hebben u een e-mail gestuurd" in status.inner_text()
    assert "U bent aangemeld met 2 personen." in page.locator(".bloei-facts").inner_text()
    page.goto(mail_node(f"/bijeenkomsten/{slug}"))
    assert places_left(page) == before - 2

    # When the node's mail sender runs, the confirmation reaches the SMTP server
    assert mail_node.send_queued_mail() >= 1
    [mail] = mails_to(mail_node, RESIDENT_EMAIL)
    meeting = meeting_row(mail_node, slug)

    # It is in Dutch, about this meeting, with the personal link
    assert mail["Subject"].startswith(f"Aangemeld: {title} op "), mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Beste {RESIDENT}," in text
    assert f"U bent aangemeld voor de bijeenkomst „{title}”." in text
    assert "Met hoeveel personen: 2" in text
    links = re.findall(r"https?://\S+/aanmelding/[A-Za-z0-9_-]{43}", text)
    assert links == [personal_url], text
    assert mail_node(f"/bijeenkomsten/{slug}") in text

    # And the meeting is attached as an .ics that a calendar reads
    [attachment] = [
        part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    assert attachment.get_filename().endswith(".ics")
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == mail_node(f"/bijeenkomsten/{slug}")
    assert event.decoded("DTSTART") == datetime.fromisoformat(meeting["starts_at"]).astimezone(UTC)
    assert event.decoded("DTEND") == datetime.fromisoformat(meeting["ends_at"]).astimezone(UTC)
    assert str(event["SUMMARY"]) == title
    location = str(event["LOCATION"])
    assert meeting["place_name"] in location and meeting["place_address"] in location

    # When the resident opens the link from the mail and signs off
    page.goto(links[0])
    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url(personal_url + "#aanmelding-melding")
    assert "U bent afgemeld" in page.locator("#aanmelding-melding").inner_text()
    assert "U bent afgemeld." in page.locator(".bloei-facts").inner_text()
    assert page.get_by_role("button", name="Afmelden").count() == 0

    # Then the meeting page shows their two places free again
    page.goto(mail_node(f"/bijeenkomsten/{slug}"))
    assert places_left(page) == before


def test_group_writes_the_verslag_and_moves_the_project(group_member, mail_node):
    page = group_member
    # Given a past meeting about a project in planvorming
    page.goto(mail_node("/beheer/bijeenkomsten"))
    row = page.locator("tr", has=page.get_by_role("link", name=PAST_MEETING, exact=True))
    row.get_by_role("link", name=re.compile(r"^Verslag")).click()
    page.wait_for_url(re.compile(r"/beheer/bijeenkomsten/\d+/verslag$"))

    # When the group writes what was decided and moves the project on
    verslag = page.get_by_role("textbox", name=re.compile(r"^Verslag"))
    verslag.fill(
        "Met twaalf fietsers langs vijf plekken.\n\n"
        "**Besloten:** de gemeente legt het zebrapad bij de school dit voorjaar aan."
    )
    page.get_by_label(f"Besluit over „{LINKED_PROJECT}”").select_option(label="Naar Uitvoering")
    page.get_by_label(f"Toelichting bij „{LINKED_PROJECT}”").fill(
        "De gemeente heeft het geld vrijgemaakt."
    )
    page.get_by_role("button", name="Verslag opslaan").click()

    # Then the meeting page shows the verslag and the decision
    page.wait_for_url(re.compile(r"/bijeenkomsten/[a-z0-9-]+#verslag-melding$"))
    meeting_url = page.url.split("#", 1)[0]
    section = page.locator("#verslag")
    assert "de gemeente legt het zebrapad bij de school" in section.inner_text()
    decision = section.get_by_role("listitem").filter(has_text=LINKED_PROJECT)
    assert "van Planvorming naar Uitvoering" in decision.inner_text()

    # And the project is in uitvoering, its history pointing to this meeting
    decision.get_by_role("link", name=LINKED_PROJECT).click()
    page.wait_for_url(re.compile(r"/projecten/[a-z0-9-]+$"))
    assert page.locator("[aria-current=step]").inner_text().startswith("Uitvoering")
    link = page.get_by_role("link", name=f"Besloten op de bijeenkomst „{PAST_MEETING}”")
    move = page.locator(".bloei-history__item", has=link)
    assert "van Planvorming naar Uitvoering" in move.inner_text()
    assert "De gemeente heeft het geld vrijgemaakt." in move.inner_text()
    link.click()
    page.wait_for_url(meeting_url)


def test_poster_prints_on_one_a4_page_with_a_qr_code_that_scans(page, mail_node):
    # Given the next meeting's poster
    page.goto(mail_node("/bijeenkomsten"))
    next_link = page.locator(".bloei-card__title a").first
    title = next_link.inner_text()
    slug = next_link.get_attribute("href").rsplit("/", 1)[1]
    response = page.goto(mail_node(f"/bijeenkomsten/{slug}/poster"))
    assert response.status == 200

    # When it is printed from the browser, it is one A4 page with the meeting on it
    pdf = PdfReader(io.BytesIO(page.pdf(print_background=True, prefer_css_page_size=True)))
    assert len(pdf.pages) == 1, f"the poster prints on {len(pdf.pages)} pages"
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == tuple(map(round, A4_POINTS))
    printed = " ".join(pdf.pages[0].extract_text().split())
    assert title in printed
    assert mail_node(f"/bijeenkomsten/{slug}") in printed
    assert "Terug naar de bijeenkomst" not in printed, "the screen's tools are printed too"

    # And the QR code on the poster scans to the meeting's own address
    shot = Image.open(io.BytesIO(page.locator("main.poster").screenshot()))
    codes = [
        r.text for r in zxingcpp.read_barcodes(shot) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert codes == [mail_node(f"/bijeenkomsten/{slug}")]
