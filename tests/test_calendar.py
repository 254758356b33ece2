"""iCalendar: the subscribable feed, one meeting, and the invitations in RSVP mails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from node.kern.meetings import calendar, rsvp
from node.kern.meetings import model as meetings
from node.mail.queue import decode_attachments
from tests.meeting_helpers import add_meeting, local_day, mails, moments, sign_up


def parse(data: bytes | str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def events(calendar: icalendar.Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def attachment(mail) -> tuple[str, icalendar.Calendar]:
    (item,) = decode_attachments(mail["attachments"])
    assert item.filename.endswith(".ics")
    return item.content_type, parse(item.data)


async def test_the_kern_calendar_can_be_subscribed_to(client, db, settings):
    first_id, first = add_meeting(db, settings, days=7, title="Inloopavond")
    _, second = add_meeting(db, settings, days=35, title="Wandeling langs de Linge")
    db.write(meetings.cancel_meeting, settings, "test", first_id, "Te weinig vrijwilligers.")
    response = await client.get("/bijeenkomsten.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = parse(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Bijeenkomsten in Beesd"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=6)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert "METHOD" not in calendar
    by_uid = {str(e["UID"]): e for e in events(calendar)}
    assert set(by_uid) == {
        f"http://beesd.test/bijeenkomsten/{first}",
        f"http://beesd.test/bijeenkomsten/{second}",
    }
    cancelled = by_uid[f"http://beesd.test/bijeenkomsten/{first}"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    assert "Te weinig vrijwilligers." in str(cancelled["DESCRIPTION"])
    walk = by_uid[f"http://beesd.test/bijeenkomsten/{second}"]
    assert str(walk["STATUS"]) == "CONFIRMED"
    assert int(walk["SEQUENCE"]) == 0
    assert str(walk["SUMMARY"]) == "Wandeling langs de Linge"
    assert str(walk["LOCATION"]) == "Dorpshuis De Pluk, Dorpsstraat 1, 4153 AA Beesd"
    assert str(walk["URL"]) == f"http://beesd.test/bijeenkomsten/{second}"
    assert "DTSTAMP" in walk
    start = walk.decoded("DTSTART")
    assert start.utcoffset() == timedelta(0)
    assert start == datetime.fromisoformat(moments(local_day(35))["starts_at"])
    assert walk.decoded("DTEND") - start == timedelta(hours=2)


async def test_one_meeting_as_ics_has_a_stable_uid(client, db, settings):
    meeting_id, slug = add_meeting(db, settings)
    first = parse((await client.get(f"/bijeenkomsten/{slug}/kalender.ics")).content)
    db.write(
        meetings.move_meeting,
        settings,
        "test",
        meeting_id,
        {**moments(local_day(20), "20:00", "22:00"), "place_name": "Kerk", "place_address": ""},
        "",
    )
    response = await client.get(f"/bijeenkomsten/{slug}/kalender.ics")
    assert f'filename="{slug}.ics"' in response.headers["content-disposition"]
    second = parse(response.content)
    (before,), (after,) = events(first), events(second)
    assert before["UID"] == after["UID"] == f"http://beesd.test/bijeenkomsten/{slug}"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert str(after["LOCATION"]) == "Kerk"


async def test_past_meetings_of_long_ago_leave_the_feed(client, db, settings):
    add_meeting(db, settings, days=-400, title="Heel oud")
    add_meeting(db, settings, days=-30, title="Vorige maand")
    calendar = parse((await client.get("/bijeenkomsten.ics")).content)
    assert [str(e["SUMMARY"]) for e in events(calendar)] == ["Vorige maand"]


async def test_removed_meetings_leave_the_feed(client, db, settings):
    meeting_id, _ = add_meeting(db, settings)
    db.write(meetings.remove_meeting, settings, "test", meeting_id)
    calendar = parse((await client.get("/bijeenkomsten.ics")).content)
    assert events(calendar) == []


def test_the_confirmation_carries_a_request_with_the_resident_as_attendee(db, settings):
    db.write(
        lambda conn: conn.execute(
            "INSERT INTO site (key, value) VALUES ('contact_email', '\"groep@beesd.example\"')"
        )
    )
    meeting_id, slug = add_meeting(db, settings)
    result = sign_up(db, settings, meeting_id, 2, "Jan Bos", email="jan@example.org")
    (mail,) = mails(db, "rsvp.confirm")
    assert mail["to_address"] == "jan@example.org"
    assert f"http://beesd.test/aanmelding/{result.token}" in mail["body"]
    content_type, calendar = attachment(mail)
    assert content_type.startswith("text/calendar") and "method=REQUEST" in content_type
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = events(calendar)
    assert str(event["UID"]) == f"http://beesd.test/bijeenkomsten/{slug}"
    assert str(event["ATTENDEE"]) == "mailto:jan@example.org"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(event["ORGANIZER"]) == "mailto:groep@beesd.example"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_waiting_list_mail_has_the_link_but_no_invitation(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=1)
    sign_up(db, settings, meeting_id, 1, "Eerste")
    result = sign_up(db, settings, meeting_id, 1, "Tweede", email="twee@example.org")
    (mail,) = mails(db, "rsvp.waitlist")
    assert result.status == "wachtlijst"
    assert "wachtlijst" in mail["body"] and rsvp.personal_path(result.token) in mail["body"]
    assert decode_attachments(mail["attachments"]) == []


def test_cancelling_mails_a_cancel_with_a_higher_sequence(db, settings):
    meeting_id, slug = add_meeting(db, settings, capacity=1)
    sign_up(db, settings, meeting_id, 1, "Jan", email="jan@example.org")
    sign_up(db, settings, meeting_id, 1, "Wachter", email="wacht@example.org")
    sign_up(db, settings, meeting_id, 1, "Zonder mail")
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "Storm op komst.")
    sent = mails(db, "meeting.cancelled")
    assert [m["to_address"] for m in sent] == ["jan@example.org", "wacht@example.org"]
    assert all("Storm op komst." in m["body"] for m in sent)
    content_type, calendar = attachment(sent[0])
    assert "method=CANCEL" in content_type
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = events(calendar)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == f"http://beesd.test/bijeenkomsten/{slug}"
    # Who only waited never had the item in a calendar: a mail, no attachment.
    assert decode_attachments(sent[1]["attachments"]) == []
    row = db.one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    assert (row["status"], row["cancel_reason"]) == ("geannuleerd", "Storm op komst.")


def test_moving_mails_the_new_time_with_a_higher_sequence(db, settings):
    meeting_id, _ = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, 2, "Jan", email="jan@example.org")
    new_day = local_day(30)
    moved = db.write(
        meetings.move_meeting,
        settings,
        "test",
        meeting_id,
        {**moments(new_day, "20:00", "22:00"), "place_name": "Sporthal", "place_address": ""},
        "Het dorpshuis wordt geverfd.",
    )
    assert moved
    (mail,) = mails(db, "meeting.moved")
    assert "Sporthal" in mail["body"] and "Het dorpshuis wordt geverfd." in mail["body"]
    assert "Dorpshuis De Pluk" in mail["body"], "the old place is mentioned too"
    _, calendar = attachment(mail)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = events(calendar)
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime.fromisoformat(
        moments(new_day, "20:00")["starts_at"]
    )
    # The same time and place again is no move: nothing is mailed, SEQUENCE stays.
    again = db.write(
        meetings.move_meeting,
        settings,
        "test",
        meeting_id,
        {**moments(new_day, "20:00", "22:00"), "place_name": "Sporthal", "place_address": ""},
        "",
    )
    assert not again
    assert len(mails(db, "meeting.moved")) == 1
    assert db.scalar("SELECT sequence FROM meetings WHERE id = ?", (meeting_id,)) == 1


def test_a_promotion_mail_carries_the_invitation(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=1)
    first = sign_up(db, settings, meeting_id, 1, "Eerste")
    sign_up(db, settings, meeting_id, 1, "Tweede", email="twee@example.org")
    db.write(rsvp.cancel_rsvp, settings, first.id)
    (mail,) = mails(db, "rsvp.promoted")
    _, calendar = attachment(mail)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(events(calendar)[0]["ATTENDEE"]) == "mailto:twee@example.org"


def test_text_with_commas_and_newlines_survives_the_round_trip(db, settings):
    meeting_id, slug = add_meeting(
        db,
        settings,
        title="Koffie, thee; en <b>taart</b>",
        description="Regel een\nRegel twee, met komma",
    )
    row = meetings.get_meeting_by_id(db, meeting_id)
    from node.kern.meetings import calendar as ical

    (event,) = events(parse(ical.single(settings, row)))
    assert str(event["SUMMARY"]) == "Koffie, thee; en <b>taart</b>"
    assert "Regel een\nRegel twee, met komma" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert event.decoded("DTSTAMP") <= datetime.now(UTC)


async def test_the_feed_from_kept_events_reads_back_as_the_library_writes_it(client, db, settings):
    for days in (3, 10, 40):
        add_meeting(db, settings, days=days, title=f"Avond over de dijk, dag {days}")
    first = (await client.get("/bijeenkomsten.ics")).content
    again = calendar.feed(settings, meetings.for_calendar(db), "Bijeenkomsten in Beesd")

    parsed = icalendar.Calendar.from_ical(first)
    assert parsed.to_ical() == first  # canonical: what the parser reads, it writes the same
    events = parsed.walk("VEVENT")
    expected = [calendar.meeting_event(settings, row) for row in meetings.for_calendar(db)]
    assert [e.to_ical() for e in events] == [e.to_ical() for e in expected]
    assert again.count(b"BEGIN:VEVENT") == 3 and again.endswith(b"END:VCALENDAR\r\n")


async def test_a_changed_or_cancelled_meeting_is_never_served_from_the_kept_text(
    client, db, settings
):
    meeting_id, _ = add_meeting(db, settings, days=5, title="Snoeidag")
    assert b"SUMMARY:Snoeidag" in (await client.get("/bijeenkomsten.ics")).content

    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "Te veel regen.")
    event = icalendar.Calendar.from_ical((await client.get("/bijeenkomsten.ics")).content).walk(
        "VEVENT"
    )[0]
    assert event["status"] == "CANCELLED" and event["sequence"] == 1
    assert "Te veel regen." in event["description"]
