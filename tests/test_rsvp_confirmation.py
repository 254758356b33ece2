"""A large group confirms its e-mail address before its places count; anonymous sign-ups are small."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from node.app import create_app
from node.kern.meetings import rsvp
from node.settings import SettingsError, load_settings
from tests.conftest import BASE_URL
from tests.meeting_helpers import accepted, add_meeting, mails, sign_up

RESIDENT = {"name": "Jan Bos", "email": "", "phone": "", "people": "1"}
LINK_RE = re.compile(r"/aanmelding/bevestigen/([A-Za-z0-9_-]{43})")


async def rsvp_post(client, slug: str, **changes) -> httpx.Response:
    return await client.post(f"/bijeenkomsten/{slug}/aanmelden", data={**RESIDENT, **changes})


def confirmation_token(db) -> str:
    (mail,) = mails(db, "rsvp.request")
    return LINK_RE.search(mail["body"]).group(1)


def later(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")


async def test_two_anonymous_groups_of_twenty_no_longer_fill_a_meeting(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    for name in ("Nep Een", "Nep Twee"):
        response = await rsvp_post(client, slug, name=name, people="20")
        assert response.status_code == 400
        assert "Komt u met meer dan 4 personen? Vul dan uw e-mailadres in." in response.text
        assert 'value="20"' in response.text, "what was typed is kept"
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    assert accepted(db, meeting_id) == 0
    assert "Nog 40 plaatsen vrij" in (await client.get(f"/bijeenkomsten/{slug}")).text


async def test_a_small_group_still_signs_up_at_once_without_an_address(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    response = await rsvp_post(client, slug, people="4")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/aanmelding/")
    assert accepted(db, meeting_id) == 4
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    # This node has no mail set up: a larger group is sent to the group, not to a mail
    # that cannot leave (tests/test_feedback_mail.py has the node with mail).
    assert "Komt u met meer dan 4 personen? Neem dan contact op met de inwonersgroep." in page


async def test_a_large_group_counts_only_after_confirming_by_mail(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    response = await rsvp_post(client, slug, people="20", email="club@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == f"/bijeenkomsten/{slug}#aanmelden-melding"
    notice = (await client.get(response.headers["location"])).text
    # This node has no mail set up: the mail waits in the queue, and the page says so rather
    # than that it was sent (tests/test_feedback_mail.py has the node with mail).
    assert "We hebben u een e-mail gestuurd" not in notice
    assert "deze site kan op dit moment geen e-mail versturen" in notice
    # Nothing counts yet: a made-up address holds no places.
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    assert accepted(db, meeting_id) == 0
    (mail,) = mails(db, "rsvp.request")
    assert mail["to_address"] == "club@example.org"
    assert "Pas na uw bevestiging tellen uw plaatsen mee. De link werkt 48 uur." in mail["body"]
    token = confirmation_token(db)
    stored = db.one("SELECT * FROM rsvp_requests")
    assert token not in str(dict(stored)), "only the token's hash is stored"

    # Opening the link (a mail scanner does too) changes nothing; the button confirms.
    page = await client.get(rsvp.confirm_path(token))
    assert page.status_code == 200
    assert "Ja, ik bevestig mijn aanmelding" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    confirmed = await client.post(rsvp.confirm_path(token))
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == rsvp.personal_path(token) + "#aanmelding-melding"
    row = db.one("SELECT * FROM rsvps")
    assert (row["people"], row["status"], row["email"]) == (20, "aangemeld", "club@example.org")
    assert row["email_confirmed_at"]
    assert accepted(db, meeting_id) == 20
    assert db.scalar("SELECT count(*) FROM rsvp_requests") == 0
    assert [m["to_address"] for m in mails(db, "rsvp.confirm")] == ["club@example.org"]
    personal = (await client.get(confirmed.headers["location"])).text
    assert "Uw aanmelding is bevestigd. Welkom!" in personal
    # The link works once.
    again = await client.post(rsvp.confirm_path(token))
    assert again.status_code == 400
    assert "Deze link werkt niet meer." in again.text
    assert accepted(db, meeting_id) == 20


async def test_a_group_confirming_when_the_meeting_filled_up_waits(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=10)
    await rsvp_post(client, slug, people="8", email="club@example.org")
    token = confirmation_token(db)
    sign_up(db, settings, meeting_id, 4, "Buren")
    response = await client.post(rsvp.confirm_path(token))
    assert response.status_code == 303
    status = db.scalar("SELECT status FROM rsvps WHERE email = 'club@example.org'")
    assert status == "wachtlijst"
    assert "u staat op de wachtlijst" in (await client.get(response.headers["location"])).text


async def test_an_unconfirmed_sign_up_expires_and_its_data_goes(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    await rsvp_post(client, slug, name="Nep", people="20", email="nep@example.org")
    token = confirmation_token(db)
    assert rsvp.run_expiry(db, later(47)) == 0
    assert rsvp.get_request(db, token, later(47)) is not None
    # After rsvp_confirm_hours the link no longer works, even before the cleanup ran.
    assert rsvp.get_request(db, token, later(49)) is None
    assert rsvp.run_expiry(db, later(49)) == 1
    assert db.scalar("SELECT count(*) FROM rsvp_requests") == 0
    gone = await client.get(rsvp.confirm_path(token))
    assert gone.status_code == 404
    assert "Deze link werkt niet meer." in gone.text
    assert (await client.post(rsvp.confirm_path(token))).status_code == 400
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    assert accepted(db, meeting_id) == 0
    statement = (await client.get("/over/privacy")).text
    assert "bevestigt u uw aanmelding niet? Dan verwijderen we uw gegevens na 48 uur." in statement


async def test_a_bad_confirmation_link_is_a_clear_answer(client, db, settings):
    for token in ("kort", "x" * 43, "<script>"):
        response = await client.get(f"/aanmelding/bevestigen/{token}")
        assert response.status_code == 404
        assert "Deze link werkt niet meer." in response.text


async def test_an_anonymous_sign_up_cannot_grow_through_its_link(client, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    small = sign_up(db, settings, meeting_id, 2)
    response = await client.post(
        rsvp.personal_path(small.token), data={"actie": "wijzigen", "people": "20"}
    )
    assert response.status_code == 400
    assert "Voor meer dan 4 personen moet u uw e-mailadres bevestigen." in response.text
    assert accepted(db, meeting_id) == 2
    # Up to the limit, or down, is fine.
    for people in ("4", "1"):
        ok = await client.post(
            rsvp.personal_path(small.token), data={"actie": "wijzigen", "people": people}
        )
        assert ok.status_code == 303
    # A confirmed group may grow.
    await rsvp_post(client, slug, people="6", email="club@example.org")
    token = confirmation_token(db)
    await client.post(rsvp.confirm_path(token))
    grown = await client.post(rsvp.personal_path(token), data={"actie": "wijzigen", "people": "9"})
    assert grown.status_code == 303
    assert accepted(db, meeting_id) == 1 + 9


async def test_the_group_size_is_a_setting(settings, db):
    app = create_app(settings.with_changes(rsvp_people_without_confirmation=2), db)
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        refused = await rsvp_post(http, slug, people="3")
        assert refused.status_code == 400
        assert "Komt u met meer dan 2 personen?" in refused.text
        assert (await rsvp_post(http, slug, people="2")).status_code == 303
    assert accepted(db, meeting_id) == 2


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RSVP_PEOPLE_WITHOUT_CONFIRMATION", "0", "must be from 1 to 20"),
        ("RSVP_PEOPLE_WITHOUT_CONFIRMATION", "21", "must be from 1 to 20"),
        ("RSVP_CONFIRM_HOURS", "0", "must be 1 or more"),
    ],
)
def test_wrong_rsvp_settings_are_one_clear_line(settings, name, value, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(settings.data_dir, environ={f"BLOEI_{name}": value})


async def test_many_small_sign_ups_from_one_address_cannot_fill_a_meeting(app, db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=40)

    async def from_address(address: str, **changes) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            return await rsvp_post(http, slug, people="4", **changes)

    assert [(await from_address("198.51.100.7")).status_code for _ in range(2)] == [303, 303]
    third = await from_address("198.51.100.7")
    assert third.status_code == 400
    assert "Vanaf uw internetadres zijn vandaag al veel plaatsen" in third.text
    assert accepted(db, meeting_id) == 8
    # With an address to confirm, the same household (or care home) can still come.
    confirmed_later = await from_address("198.51.100.7", email="zorg@example.org")
    assert confirmed_later.status_code == 303
    assert [m["to_address"] for m in mails(db, "rsvp.request")] == ["zorg@example.org"]
    assert accepted(db, meeting_id) == 8
    # A neighbour on another connection signs up at once.
    assert (await from_address("198.51.100.8")).status_code == 303
    assert accepted(db, meeting_id) == 12
    assert "198.51.100" not in str([dict(r) for r in db.execute("SELECT * FROM address_counts")])


async def test_the_personal_page_says_how_far_a_sign_up_may_grow(client, db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=40)
    small = sign_up(db, settings, meeting_id, 2)
    page = (await client.get(rsvp.personal_path(small.token))).text
    assert "Hoogstens 4, want u heeft geen bevestigd e-mailadres." in page


async def test_beheer_sees_who_has_not_confirmed_yet(admin, db, settings):
    client, _ = admin
    meeting_id, slug = add_meeting(db, settings, capacity=40)
    await rsvp_post(client, slug, name="Voetbalclub", people="12", email="club@example.org")
    page = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen")).text
    waiting_for = page[page.index('id="bevestiging-titel"') :]
    assert "Voetbalclub" in waiting_for and "club@example.org" in waiting_for
    assert "40 in totaal, nog 40 vrij" in page
