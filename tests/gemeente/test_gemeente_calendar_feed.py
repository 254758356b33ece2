"""The gemeente's calendar feed at scale: the meetings of the last month and every coming one,
each meeting's text kept, the whole calendar kept until the data changes, and its change time
read through an index rather than every object the kernen published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from node.gemeente import calendar_feed

PLAIN = {"Accept-Encoding": "identity"}


def summaries(body: bytes) -> set[str]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["summary"]) for event in calendar.walk("VEVENT")}


async def test_a_poll_without_validators_is_served_the_kept_calendar_until_a_change(
    two_kernen, real_kernen, monkeypatch
):
    http, ids = two_kernen
    made = []
    assemble = calendar_feed.feed

    def counted(meetings, name):
        made.append(name)
        return assemble(meetings, name)

    monkeypatch.setattr(calendar_feed, "feed", counted)
    first = await http.get("/kalender.ics", headers=PLAIN)
    again = await http.get("/kalender.ics", headers=PLAIN)
    one = await http.get(f"/kalender.ics?kern={ids['beesd.test']}", headers=PLAIN)

    assert first.content == again.content and len(made) == 2  # all kernen, then Beesd alone
    assert "Dorpsavond Beesd (Beesd)" in summaries(first.content)
    assert summaries(one.content) == {"Dorpsavond Beesd (Beesd)"}

    beesd = real_kernen["beesd.test"]
    beesd.rename_meeting(beesd.objects["Dorpsavond Beesd"], "Dorpsavond Beesd verplaatst")
    await beesd.deliver()
    changed = await http.get("/kalender.ics", headers=PLAIN)

    assert len(made) == 3
    assert "Dorpsavond Beesd verplaatst (Beesd)" in summaries(changed.content)
    assert "Dorpsavond Beesd (Beesd)" not in summaries(changed.content)
    assert changed.headers["etag"] != first.headers["etag"]


async def test_the_calendar_holds_the_last_month_and_everything_coming(two_kernen, real_kernen):
    http, _ids = two_kernen
    beesd = real_kernen["beesd.test"]
    now = datetime.now(UTC).replace(microsecond=0)
    beesd.meeting("Avond van lang geleden", now - timedelta(days=40))
    beesd.meeting("Avond van vorige week", now - timedelta(days=7))
    beesd.meeting("Avond over een jaar", now + timedelta(days=365))
    await beesd.deliver()

    shown = summaries((await http.get("/kalender.ics", headers=PLAIN)).content)

    assert "Avond van vorige week (Beesd)" in shown
    assert "Avond over een jaar (Beesd)" in shown
    assert "Avond van lang geleden (Beesd)" not in shown
    page = (await http.get("/kalender")).text
    assert "Avond over een jaar" in page and "Avond van lang geleden" not in page


def test_the_calendar_change_time_is_read_through_an_index(gemeente_db):
    """Every poll, a 304 too, asks when a meeting last arrived or went: without the partial
    indexes that read every object of every kern."""
    for column in ("received_at", "deleted_at"):
        plan = " ".join(
            row[3]
            for row in gemeente_db.execute(
                f"EXPLAIN QUERY PLAN SELECT max({column}) FROM gemeente_objects "  # noqa: S608
                "WHERE type = 'Bijeenkomst'"
            )
        )
        assert "gemeente_objects_meeting_" in plan, plan
