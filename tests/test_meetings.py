"""Bijeenkomsten: the data layer, the public pages, time in the Netherlands, series, the
verslag with its decisions, and personal data that never leaves beheer."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta

import pytest

from node.kern.meetings import model as meetings
from node.kern.projects import model as projects
from tests.helpers import add_project, add_thema
from tests.markup import link_targets, select, texts
from tests.meeting_helpers import MEETING, add_meeting, local_day, moments, sign_up

SCRIPT = "<script>alert(1)</script>"


def events_of(db, object_type: str = "Bijeenkomst") -> list[dict]:
    return [
        {"verb": row["verb"], "id": row["object_id"], **json.loads(row["snapshot"])}
        for row in db.execute(
            "SELECT * FROM events WHERE object_type = ? ORDER BY id", (object_type,)
        )
    ]


def last_sunday(year: int, month: int) -> date:
    end = date(year, month, 31)  # March and October both have 31 days
    return end - timedelta(days=(end.weekday() - 6) % 7)


def next_last_sunday(month: int) -> date:
    year = local_day(1).year
    while last_sunday(year, month) <= local_day(1):
        year += 1
    return last_sunday(year, month)


# --- The data layer ---------------------------------------------------------------------


def test_a_new_meeting_is_recorded_with_its_public_shape(db, settings):
    thema = add_thema(db, settings)
    project_id, project_slug = add_project(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (thema,))
    day = local_day(10)
    meeting_id, slug = add_meeting(
        db, settings, day=day, capacity=30, thema_ids=[thema_id], project_ids=[project_id]
    )
    assert slug == f"dorpsavond-over-verkeer-{day.isoformat()}"
    (event,) = events_of(db)
    assert event["verb"] == "Create"
    assert event["id"] == f"http://beesd.test/bijeenkomsten/{slug}"
    assert event["titel"] == MEETING["title"]
    assert event["samenvatting"].endswith(", 19:30–21:30, Dorpshuis De Pluk")
    assert re.match(r"^\w+dag \d+ \w+ \d{4}, 19:30–21:30, ", event["samenvatting"])
    assert event["begintijd"].startswith(f"{day.isoformat()}T19:30")
    assert event["begintijd"][-6:] in ("+01:00", "+02:00")
    assert event["plaats"] == {"naam": "Dorpshuis De Pluk", "adres": MEETING["place_address"]}
    assert (event["status"], event["capaciteit"], event["plaatsenOver"]) == ("gepland", 30, 30)
    assert event["themas"] == [f"http://beesd.test/agenda/themas/{thema}"]
    assert event["projecten"] == [f"http://beesd.test/projecten/{project_slug}"]
    assert event["redenAnnulering"] is None and event["verslag"] is None


def test_the_end_must_come_after_the_start(db, settings):
    values = {**MEETING, **moments(local_day(5), "21:00", "20:00")}
    with pytest.raises(meetings.MeetingError):
        db.write(meetings.create_meeting, settings, "test", values)
    assert db.scalar("SELECT count(*) FROM meetings") == 0


def test_afgelopen_follows_from_the_end_time(db, settings):
    past_id, _ = add_meeting(db, settings, days=-2)
    future_id, _ = add_meeting(db, settings, days=2)
    past = meetings.get_meeting_by_id(db, past_id)
    future = meetings.get_meeting_by_id(db, future_id)
    assert past["status"] == future["status"] == "gepland"
    assert meetings.status_of(past) == "afgelopen"
    assert meetings.status_of(future) == "gepland"
    assert meetings.status_of(future, at="2999-01-01T00:00:00+00:00") == "afgelopen"


def test_cancelling_keeps_the_row_and_needs_a_reason(db, settings):
    meeting_id, slug = add_meeting(db, settings)
    with pytest.raises(meetings.MeetingError):
        db.write(meetings.cancel_meeting, settings, "test", meeting_id, "   ")
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "Ziek.")
    row = db.one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    assert (row["status"], row["cancel_reason"], row["sequence"]) == ("geannuleerd", "Ziek.", 1)
    assert events_of(db)[-1]["status"] == "geannuleerd"
    assert events_of(db)[-1]["redenAnnulering"] == "Ziek."
    with pytest.raises(meetings.MeetingError):
        db.write(meetings.cancel_meeting, settings, "test", meeting_id, "Weer.")


def test_removing_records_a_delete_and_leaves_search(db, settings):
    meeting_id, slug = add_meeting(db, settings)
    db.write(meetings.remove_meeting, settings, "test", meeting_id)
    assert events_of(db)[-1]["verb"] == "Delete"
    assert meetings.get_meeting(db, slug) is None
    assert db.scalar("SELECT count(*) FROM search_index WHERE kind = 'bijeenkomst'") == 0


def test_less_capacity_than_people_signed_up_is_refused(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=10)
    sign_up(db, settings, meeting_id, 6)
    with pytest.raises(meetings.MeetingError) as refused:
        db.write(
            meetings.update_meeting,
            settings,
            "test",
            meeting_id,
            {**MEETING, "capacity": 5},
            [],
            [],
        )
    assert "minstens 6" in str(refused.value)
    assert db.scalar("SELECT capacity FROM meetings WHERE id = ?", (meeting_id,)) == 10


def test_more_capacity_lets_the_waiting_list_in(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=2)
    sign_up(db, settings, meeting_id, 2)
    waiting = sign_up(db, settings, meeting_id, 3, email="wacht@example.org")
    assert waiting.status == "wachtlijst"
    db.write(
        meetings.update_meeting,
        settings,
        "test",
        meeting_id,
        {**MEETING, "capacity": None},
        [],
        [],
    )
    assert db.scalar("SELECT status FROM rsvps WHERE id = ?", (waiting.id,)) == "aangemeld"
    assert db.scalar("SELECT count(*) FROM mail_queue WHERE purpose = 'rsvp.promoted'") == 1


def test_a_meeting_is_indexed_for_search(db, settings):
    _, slug = add_meeting(db, settings, title="Snoeidag in de boomgaard")
    rows = db.execute("SELECT url FROM search_index WHERE kind = 'bijeenkomst'")
    assert [r["url"] for r in rows] == [f"/bijeenkomsten/{slug}"]


async def test_the_search_page_finds_meetings(client, db, settings):
    _, slug = add_meeting(db, settings, title="Snoeidag in de boomgaard")
    page = await client.get("/zoeken", params={"q": "boomgaarden"})
    assert f"/bijeenkomsten/{slug}" in page.text


# --- Time in the Netherlands ------------------------------------------------------------


@pytest.mark.parametrize(("month", "utc_hour", "offset"), [(3, 17, "+02:00"), (10, 18, "+01:00")])
async def test_half_past_seven_on_the_day_the_clocks_change(
    admin, db, settings, month, utc_hour, offset
):
    """The last Sunday of March and of October: 19:30 stays 19:30, UTC moves."""
    client, csrf = admin
    day = next_last_sunday(month)
    response = await client.post(
        "/beheer/bijeenkomsten/nieuw",
        data={
            "csrf": csrf,
            "title": "Klokavond",
            "day": day.isoformat(),
            "starts": "19:30",
            "ends": "21:30",
            "place_name": "Dorpshuis",
        },
    )
    assert response.status_code == 303, response.text
    row = db.one("SELECT * FROM meetings")
    assert row["starts_at"] == f"{day.isoformat()}T{utc_hour}:30:00+00:00"
    assert row["ends_at"] == f"{day.isoformat()}T{utc_hour + 2}:30:00+00:00"
    page = (await client.get(f"/bijeenkomsten/{row['slug']}")).text
    assert f"{day.isoformat()}T19:30{offset}" in [t.get("datetime") for t in select(page, "time")]
    assert "zondag" in page and "19:30–21:30" in page
    ics = (await client.get(f"/bijeenkomsten/{row['slug']}/kalender.ics")).text
    assert f"DTSTART:{day:%Y%m%d}T{utc_hour}3000Z" in ics


def test_a_time_that_does_not_exist_is_refused(db, settings):
    day = next_last_sunday(3)
    with pytest.raises(meetings.MeetingError) as refused:
        meetings.local_moment(day, time(2, 30))
    assert "klok een uur vooruit" in str(refused.value)
    # 02:30 in October exists twice; the first (summer time) is taken.
    october = next_last_sunday(10)
    assert meetings.local_moment(october, time(2, 30)).utcoffset() == timedelta(hours=2)


def test_when_text_is_in_dutch():
    assert (
        meetings.when_text("2026-03-02T18:30:00+00:00", "2026-03-02T20:30:00+00:00")
        == "maandag 2 maart 2026, 19:30–21:30"
    )
    assert (
        meetings.when_text("2026-07-04T20:00:00+00:00", "2026-07-05T01:00:00+00:00")
        == "zaterdag 4 juli 2026 22:00 – zondag 5 juli 2026 03:00"
    )


# --- Series ----------------------------------------------------------------------------


def test_every_first_monday_of_the_month_keeps_its_time_across_dst(db, settings):
    start = local_day(3)
    rule = meetings.SeriesRule(
        frequency="maandelijks",
        weekday=0,
        nth=1,
        first_day=start,
        starts=time(19, 30),
        ends=time(21, 30),
        count=12,
    )
    slugs = db.write(
        meetings.create_series, settings, "test", rule, {**MEETING, "title": "Inloopavond"}
    )
    assert len(slugs) == 12
    rows = db.execute("SELECT * FROM meetings ORDER BY starts_at")
    assert len({row["series_id"] for row in rows}) == 1
    for row in rows:
        local = meetings.local(row["starts_at"])
        assert local.weekday() == 0 and local.day <= 7, "a first Monday"
        assert local.time() == time(19, 30)
        assert local.date() >= start
    offsets = {meetings.local(row["starts_at"]).utcoffset() for row in rows}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}, "a year spans both"
    series = db.one("SELECT * FROM meeting_series")
    assert "FREQ=MONTHLY" in series["rule"] and "BYDAY=+1MO" in series["rule"]
    assert len(events_of(db)) == 12


def test_every_two_weeks_on_tuesday(db, settings):
    rule = meetings.SeriesRule(
        frequency="wekelijks",
        weekday=1,
        interval=2,
        first_day=local_day(1),
        starts=time(10, 0),
        ends=time(11, 30),
        count=5,
    )
    db.write(meetings.create_series, settings, "test", rule, MEETING)
    days = [
        meetings.local(r["starts_at"])
        for r in db.execute("SELECT * FROM meetings ORDER BY starts_at")
    ]
    assert all(d.weekday() == 1 and d.time() == time(10, 0) for d in days)
    assert [(b.date() - a.date()).days for a, b in zip(days, days[1:], strict=False)] == [14] * 4


def test_one_meeting_of_a_series_changes_on_its_own(db, settings):
    rule = meetings.SeriesRule(
        frequency="wekelijks",
        weekday=3,
        first_day=local_day(1),
        starts=time(19, 0),
        ends=time(20, 0),
        count=3,
    )
    db.write(meetings.create_series, settings, "test", rule, MEETING)
    first, second, third = db.execute("SELECT * FROM meetings ORDER BY starts_at")
    db.write(meetings.cancel_meeting, settings, "test", second["id"], "Kermis.")
    db.write(
        meetings.move_meeting,
        settings,
        "test",
        third["id"],
        {
            "starts_at": third["starts_at"],
            "ends_at": third["ends_at"],
            "place_name": "Kerk",
            "place_address": "",
        },
        "",
    )
    rows = {r["id"]: r for r in db.execute("SELECT * FROM meetings")}
    assert rows[first["id"]]["status"] == "gepland"
    assert rows[first["id"]]["place_name"] == MEETING["place_name"]
    assert rows[second["id"]]["status"] == "geannuleerd"
    assert rows[third["id"]]["place_name"] == "Kerk"


def test_a_series_starting_in_the_past_is_refused(db, settings):
    rule = meetings.SeriesRule(
        frequency="wekelijks",
        weekday=local_day(-14).weekday(),
        first_day=local_day(-14),
        starts=time(19, 0),
        ends=time(20, 0),
        count=3,
    )
    with pytest.raises(meetings.MeetingError):
        db.write(meetings.create_series, settings, "test", rule, MEETING)
    assert db.scalar("SELECT count(*) FROM meeting_series") == 0


# --- The verslag and its decisions -------------------------------------------------------


def test_a_decision_moves_the_project_and_points_to_the_meeting(db, settings):
    project_id, project_slug = add_project(db, settings)
    meeting_id, slug = add_meeting(db, settings, days=-1, project_ids=[project_id])
    db.write(
        meetings.save_minutes,
        settings,
        "test",
        meeting_id,
        "We hebben **besloten** om verder te gaan.",
        [meetings.Decision(project_id, "verkenning", "")],
    )
    assert db.scalar("SELECT phase FROM projects WHERE id = ?", (project_id,)) == "verkenning"
    change = db.one(
        "SELECT * FROM phase_changes WHERE project_id = ? ORDER BY id DESC", (project_id,)
    )
    assert change["meeting_id"] == meeting_id
    assert change["to_phase"] == "verkenning"
    assert "Besloten op de bijeenkomst" in change["note"]
    last = events_of(db)[-1]
    assert last["verslag"] == "We hebben **besloten** om verder te gaan."
    assert last["verslagGepubliceerd"]


def test_a_decision_that_is_not_allowed_saves_nothing(db, settings):
    project_id, _ = add_project(db, settings)
    meeting_id, _ = add_meeting(db, settings, days=-1, project_ids=[project_id])
    with pytest.raises(meetings.MeetingError):
        db.write(
            meetings.save_minutes,
            settings,
            "test",
            meeting_id,
            "Verslag",
            [meetings.Decision(project_id, "gestopt", "")],
        )
    assert db.scalar("SELECT minutes FROM meetings WHERE id = ?", (meeting_id,)) == ""
    assert db.scalar("SELECT phase FROM projects WHERE id = ?", (project_id,)) == "idee"


def test_no_verslag_before_the_meeting_or_for_a_cancelled_one(db, settings):
    future_id, _ = add_meeting(db, settings, days=3)
    with pytest.raises(meetings.MeetingError):
        db.write(meetings.save_minutes, settings, "test", future_id, "Te vroeg")
    cancelled_id, _ = add_meeting(db, settings, days=4)
    db.write(meetings.cancel_meeting, settings, "test", cancelled_id, "Ziek.")
    with pytest.raises(meetings.MeetingError):
        db.write(meetings.save_minutes, settings, "test", cancelled_id, "Niets")


def test_a_decision_about_a_project_not_linked_is_refused(db, settings):
    project_id, _ = add_project(db, settings)
    meeting_id, _ = add_meeting(db, settings, days=-1)
    with pytest.raises(meetings.MeetingError):
        db.write(
            meetings.save_minutes,
            settings,
            "test",
            meeting_id,
            "",
            [meetings.Decision(project_id, "verkenning")],
        )


async def test_the_meeting_page_shows_the_verslag_and_its_decisions(client, db, settings):
    project_id, project_slug = add_project(db, settings)
    meeting_id, slug = add_meeting(db, settings, days=-1, project_ids=[project_id])
    db.write(
        meetings.save_minutes,
        settings,
        "test",
        meeting_id,
        f"## Besproken\n\nDe oversteek. {SCRIPT} [klik](javascript:alert(1))",
        [meetings.Decision(project_id, "planvorming", "Er is draagvlak.")],
    )
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Besproken" in texts(page, "h3")
    assert SCRIPT not in page and select(page, "script") == []
    assert not [href for href in link_targets(page) if href.lower().startswith("javascript:")]
    assert f"/projecten/{project_slug}" in link_targets(page)
    assert "van Idee naar Planvorming. Er is draagvlak." in page
    listing = (await client.get("/bijeenkomsten")).text
    assert f"/bijeenkomsten/{slug}#verslag" in listing


async def test_the_project_page_links_to_the_meeting_where_it_was_decided(client, db, settings):
    project_id, project_slug = add_project(db, settings)
    meeting_id, slug = add_meeting(db, settings, days=-1, project_ids=[project_id])
    db.write(
        meetings.save_minutes,
        settings,
        "test",
        meeting_id,
        "Verslag",
        [meetings.Decision(project_id, "verkenning")],
    )
    page = (await client.get(f"/projecten/{project_slug}")).text
    assert f"/bijeenkomsten/{slug}" in link_targets(page)
    snapshot = projects.project_public(settings, db.read(), project_id)
    assert (
        snapshot["fasegeschiedenis"][-1]["bijeenkomst"] == f"http://beesd.test/bijeenkomsten/{slug}"
    )


# --- The public pages -------------------------------------------------------------------


async def test_the_next_meeting_stands_on_top_and_past_ones_below(client, db, settings):
    add_meeting(db, settings, days=30, title="Later")
    cancelled_id, _ = add_meeting(db, settings, days=2, title="Afgelast")
    db.write(meetings.cancel_meeting, settings, "test", cancelled_id, "Ziek.")
    _, next_slug = add_meeting(db, settings, days=9, title="Eerstvolgende")
    past_id, past_slug = add_meeting(db, settings, days=-20, title="Vorige keer")
    db.write(meetings.save_minutes, settings, "test", past_id, "Het was gezellig en nuttig.")
    page = (await client.get("/bijeenkomsten")).text
    top = page.index("De volgende bijeenkomst")
    assert page.index("Eerstvolgende") > top
    assert page.index("Eerstvolgende") < page.index("Afgelast") < page.index("Later")
    assert "Gaat niet door" in page
    past = page.index("Eerdere bijeenkomsten")
    assert page.index("Vorige keer") > past
    assert "Het was gezellig en nuttig." in page[past:]
    assert f"/bijeenkomsten/{next_slug}#aanmelden" in link_targets(page)


async def test_the_list_filters_by_thema(client, db, settings):
    verkeer = add_thema(db, settings, title="Verkeer")
    add_thema(db, settings, title="Groen")
    verkeer_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (verkeer,))
    add_meeting(db, settings, days=3, title="Over verkeer", thema_ids=[verkeer_id])
    add_meeting(db, settings, days=4, title="Over bomen")
    page = (await client.get("/bijeenkomsten", params={"thema": verkeer})).text
    assert "Over verkeer" in page and "Over bomen" not in page
    wrong = await client.get("/bijeenkomsten", params={"thema": "bestaat-niet"})
    assert wrong.status_code == 400
    assert "Dit thema bestaat niet" in wrong.text


async def test_past_meetings_come_a_page_at_a_time(client, db, settings):
    from node.kern.meetings.pages import PAST_PER_PAGE

    for n in range(PAST_PER_PAGE + 3):
        add_meeting(db, settings, days=-(n + 1), title=f"Oud {n:02d}")
    first = (await client.get("/bijeenkomsten")).text
    assert "Oud 00" in first and f"Oud {PAST_PER_PAGE:02d}" not in first
    assert "Pagina 1 van 2" in first
    second = (await client.get("/bijeenkomsten", params={"pagina": "2"})).text
    assert f"Oud {PAST_PER_PAGE + 2:02d}" in second and "Oud 00" not in second
    for bad in ("0", "3", "twee", "-1"):
        response = await client.get("/bijeenkomsten", params={"pagina": bad})
        assert response.status_code == 400, bad
        assert "Dit paginanummer bestaat niet." in response.text


async def test_the_meeting_page_says_when_where_and_what_about(client, db, settings):
    thema = add_thema(db, settings, title="Ontmoeten")
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (thema,))
    project_id, project_slug = add_project(db, settings)
    _, slug = add_meeting(db, settings, capacity=40, thema_ids=[thema_id], project_ids=[project_id])
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Dorpshuis De Pluk" in page and "Dorpsstraat 1, 4153 AA Beesd" in page
    assert "veilig fietsen" in texts(page, "main strong")
    links = link_targets(page)
    assert f"/agenda/themas/{thema}" in links and f"/projecten/{project_slug}" in links
    assert "Nog 40 plaatsen vrij" in page
    assert f"/bijeenkomsten/{slug}/kalender.ics" in links
    moments = [t.get("datetime", "") for t in select(page, "time")]
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\dT19:30\+0[12]:00", m) for m in moments)


async def test_script_in_every_meeting_text_is_escaped(client, db, settings):
    meeting_id, slug = add_meeting(
        db,
        settings,
        title=f"Avond {SCRIPT}",
        description=f"Tekst {SCRIPT} <img src=x onerror=alert(1)>",
        place_name=f"Zaal {SCRIPT}",
        place_address=f"Straat {SCRIPT}",
        capacity=5,
    )
    sign_up(db, settings, meeting_id, 1, name=f"Naam {SCRIPT}")
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, f"Reden {SCRIPT}")
    for path in (f"/bijeenkomsten/{slug}", "/bijeenkomsten"):
        page = (await client.get(path)).text
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert select(page, "script") == [] and select(page, "[onerror]") == [], path
        assert "&lt;script&gt;" in page, path


# --- Personal data stays in beheer -------------------------------------------------------

NAME, EMAIL, PHONE = "Wilhelmina Zonnebloem", "wilhelmina@example.org", "0612398765"


async def test_personal_data_is_never_public(client, db, settings):
    project_id, _ = add_project(db, settings)
    meeting_id, slug = add_meeting(db, settings, capacity=1, project_ids=[project_id])
    sign_up(db, settings, meeting_id, 1, "Eerste Bezoeker", email="eerste@example.org")
    response = await client.post(
        f"/bijeenkomsten/{slug}/aanmelden",
        data={"name": NAME, "email": EMAIL, "phone": PHONE, "people": "1"},
    )
    personal = response.headers["location"]
    db.write(
        meetings.update_meeting,
        settings,
        "test",
        meeting_id,
        {**MEETING, "capacity": 3},
        [],
        [project_id],
    )
    pages = [
        "/",
        "/bijeenkomsten",
        f"/bijeenkomsten/{slug}",
        "/bijeenkomsten.ics",
        f"/bijeenkomsten/{slug}/kalender.ics",
        f"/zoeken?q={NAME.split()[1]}",
        personal,
    ]
    seen, queue = set(), ["/api/v1"]
    while queue and len(seen) < 40:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        body = (await client.get(path)).text
        pages.append(path)
        queue += [
            link.removeprefix("http://beesd.test")
            for link in re.findall(r'"(http://beesd\.test/api/v1[^"?]*)"', body)
        ]
    for path in pages:
        body = (await client.get(path)).text
        for secret in (NAME, EMAIL, PHONE, "Eerste Bezoeker", "eerste@example.org"):
            assert secret not in body, (path, secret)
    stored = " ".join(
        json.dumps([dict(row) for row in db.execute(f"SELECT * FROM {table}")])
        for table in ("events", "audit_log", "search_index")
    )
    for secret in (NAME, EMAIL, PHONE, "Eerste Bezoeker"):
        assert secret not in stored, secret
    assert any(e["plaatsenOver"] is not None for e in events_of(db))


async def test_an_event_is_recorded_when_a_meeting_becomes_full_not_for_every_rsvp(db, settings):
    meeting_id, _ = add_meeting(db, settings, capacity=3)
    sign_up(db, settings, meeting_id, 1)
    sign_up(db, settings, meeting_id, 1)
    assert len(events_of(db)) == 1
    sign_up(db, settings, meeting_id, 1)
    assert len(events_of(db)) == 2
    assert events_of(db)[-1]["plaatsenOver"] == 0
    sign_up(db, settings, meeting_id, 1)  # waiting list: still full, nothing new
    assert len(events_of(db)) == 2


def test_a_meeting_is_published_with_its_local_times(db, settings):
    meeting_id, _ = add_meeting(db, settings, day=date(2031, 7, 1))
    snapshot = meetings.meeting_public(settings, db.read(), meeting_id)
    assert snapshot["begintijd"] == "2031-07-01T19:30+02:00"
    assert datetime.fromisoformat(snapshot["eindtijd"]).hour == 21


async def test_a_meeting_in_progress_is_on_top_without_a_sign_up_button(client, db, settings):
    from datetime import UTC

    began = datetime.now(UTC) - timedelta(minutes=30)
    values = {
        **MEETING,
        "title": "Nu bezig",
        "starts_at": meetings.utc_iso(began),
        "ends_at": meetings.utc_iso(began + timedelta(hours=2)),
    }
    slug = db.write(meetings.create_meeting, settings, "test", values)
    page = (await client.get("/bijeenkomsten")).text
    assert "Deze bijeenkomst is nu bezig." in page
    assert f"/bijeenkomsten/{slug}#aanmelden" not in link_targets(page)
