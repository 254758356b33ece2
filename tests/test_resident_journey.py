"""Issue 3's "Done when" in-process: the same journey as tests/browser/test_resident_journey.py,
through httpx's ASGI transport, so it also runs where no Chromium is installed.

Given Beesd's sample kern, a resident follows the links a person would follow (read from the
pages, not made up), the mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd), and the
group signs in to write the verslag. The server-made PDF poster stands in for the printed page.
"""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime

import icalendar
import pytest
import zxingcpp
from pypdf import PdfReader

from node.kern.sample import load_sample
from node.mail import mailer
from tests.conftest import BASE_URL, login
from tests.test_mailer import SmtpServer, smtp_settings

RESIDENT = {"name": "Marieke de Wit", "email": "marieke.dewit@example.nl", "phone": ""}
PAST_MEETING = "Fietstocht langs de oversteekplekken"
LINKED_PROJECT = "Veilig oversteken bij de basisschool"
NEXT_MEETING = re.compile(
    r'bloei-card--highlight">\s*<h3 class="bloei-card__title"><a href="(/bijeenkomsten/[^"]+)">'
    r"([^<]+)</a>"
)
PERSONAL_LINK = re.compile(r"https?://\S+(/aanmelding/[A-Za-z0-9_-]{43})")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def sample(db, settings):
    load_sample(db, settings)


def places_left(page: str) -> int:
    match = re.search(r"Nog (\d+) plaatsen? vrij", page)
    assert match, "no free places on the page"
    return int(match.group(1))


def meeting_row(db, path: str):
    return db.one("SELECT * FROM meetings WHERE slug = ?", (path.rsplit("/", 1)[1],))


async def test_resident_signs_up_gets_the_mail_with_the_ics_and_cancels(
    client, db, settings, sample, smtp
):
    # Given the home page, with the next meeting on it
    home = (await client.get("/")).text
    assert "Kom naar de volgende bijeenkomst" in home
    path, title = NEXT_MEETING.search(home).groups()
    title = html.unescape(title)
    before = places_left((await client.get(path)).text)

    # When a resident signs up for two, with an e-mail address
    response = await client.post(f"{path}/aanmelden", data={**RESIDENT, "people": "2"})
    assert response.status_code == 303
    personal, _, spot = response.headers["location"].partition("#")
    assert spot == "aanmelding-melding", "the redirect points at the confirmation"
    assert "U bent aangemeld met 2 personen." in (await client.get(personal)).text
    assert places_left((await client.get(path)).text) == before - 2

    # And the mail sender runs (the sample's ideas have queued notices to the group too)
    mail_settings = smtp_settings(settings, smtp.port)
    for _ in range(100):  # batch after batch, until nothing is due
        if not mailer.process_next(db, mail_settings):
            break

    # Then the confirmation arrives, in Dutch, with the personal link
    [mail] = [m for m in smtp.messages if m["To"] == RESIDENT["email"]]
    assert mail["Subject"].startswith(f"Aangemeld: {title} op ")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"Beste {RESIDENT['name']}," in text and "Met hoeveel personen: 2" in text
    assert PERSONAL_LINK.findall(text) == [personal]

    # And the meeting attached for a calendar
    [attachment] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
    meeting = meeting_row(db, path)
    assert str(event["UID"]) == BASE_URL + path
    assert event.decoded("DTSTART") == datetime.fromisoformat(meeting["starts_at"]).astimezone(UTC)
    assert meeting["place_name"] in str(event["LOCATION"])

    # When the resident signs off through the link in the mail
    response = await client.post(personal, data={"actie": "afmelden"})
    assert response.status_code == 303
    assert "U bent afgemeld." in (await client.get(personal)).text

    # Then the places are free again
    assert places_left((await client.get(path)).text) == before


async def test_group_writes_the_verslag_and_the_project_history_points_to_it(
    client, db, settings, sample
):
    # Given a signed-in member of the group and a past meeting about a project in planvorming
    csrf = await login(client)
    meeting_id = db.scalar("SELECT id FROM meetings WHERE title = ?", (PAST_MEETING,))
    project_id = db.scalar("SELECT id FROM projects WHERE title = ?", (LINKED_PROJECT,))
    form = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/verslag")).text
    assert f'name="fase_{project_id}"' in form

    # When the group saves the verslag with the decision to move the project on
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verslag",
        data={
            "csrf": csrf,
            "minutes": "**Besloten:** de gemeente legt het zebrapad aan.",
            f"fase_{project_id}": "uitvoering",
            f"toelichting_{project_id}": "De gemeente heeft het geld vrijgemaakt.",
        },
    )
    assert response.status_code == 303
    meeting_path = response.headers["location"].split("#", 1)[0]

    # Then the meeting page shows the decision, linked to the project
    page = (await client.get(meeting_path)).text
    assert "de gemeente legt het zebrapad aan." in page
    project_path = re.search(
        rf'<a href="(/projecten/[^"]+)">{LINKED_PROJECT}</a>: van Planvorming naar Uitvoering',
        page,
    ).group(1)

    # And the project is in uitvoering; its history links the move to the meeting
    project = (await client.get(project_path)).text
    assert re.search(r'aria-current="step">\s*Uitvoering', project)
    move = re.search(
        r'<li class="bloei-history__item"[^>]*>(?:(?!</li>).)*van Planvorming naar Uitvoering'
        r"(?:(?!</li>).)*</li>",
        project,
        re.S,
    ).group(0)
    assert f'<a href="{meeting_path}">Besloten op de bijeenkomst „{PAST_MEETING}”</a>' in move


async def test_the_poster_pdf_is_one_a4_page_whose_qr_code_scans(client, db, settings, sample):
    path, _title = NEXT_MEETING.search((await client.get("/")).text).groups()
    response = await client.get(f"{path}/poster.pdf")
    assert response.status_code == 200
    [page] = PdfReader(io.BytesIO(response.content)).pages
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    [image] = page.images
    assert [r.text for r in zxingcpp.read_barcodes(image.image)] == [BASE_URL + path]
