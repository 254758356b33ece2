"""Beheer of bijeenkomsten: every form keeps its fields and says in Dutch what is wrong,
a bad CSRF token writes nothing, and only the group sees who comes."""

from __future__ import annotations

import pytest

from node.kern.meetings import model as meetings
from tests.helpers import add_project, add_thema
from tests.markup import field_error, field_value, link_targets, select
from tests.meeting_helpers import add_meeting, local_day, mails, sign_up

SCRIPT = "<script>alert(1)</script>"


def new_meeting(csrf: str, **changes) -> dict:
    return {
        "csrf": csrf,
        "title": "Dorpsavond",
        "description": "Praat mee.",
        "day": local_day(14).isoformat(),
        "starts": "19:30",
        "ends": "21:30",
        "place_name": "Dorpshuis De Pluk",
        "place_address": "Dorpsstraat 1",
        "capacity": "40",
        **changes,
    }


def count(db, table: str = "meetings") -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


# --- Who may ------------------------------------------------------------------------------


BEHEER_PATHS = [
    "/beheer/bijeenkomsten",
    "/beheer/bijeenkomsten/nieuw",
    "/beheer/bijeenkomsten/reeks",
    "/beheer/bijeenkomsten/{id}",
    "/beheer/bijeenkomsten/{id}/verplaatsen",
    "/beheer/bijeenkomsten/{id}/annuleren",
    "/beheer/bijeenkomsten/{id}/verslag",
    "/beheer/bijeenkomsten/{id}/verwijderen",
    "/beheer/bijeenkomsten/{id}/aanmeldingen",
    "/beheer/bijeenkomsten/{id}/aanmeldingen/afdrukken",
]


async def test_beheer_needs_a_login(client, db, settings):
    meeting_id, _ = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, 1, "Geheime Naam")
    for path in BEHEER_PATHS:
        response = await client.get(path.format(id=meeting_id))
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/beheer/inloggen")
        assert "Geheime Naam" not in response.text
    response = await client.post("/beheer/bijeenkomsten/nieuw", data=new_meeting("x"))
    assert response.status_code == 303 and count(db) == 1


async def test_every_beheer_page_opens_for_an_editor(editor, db, settings):
    client, _ = editor
    project_id, _ = add_project(db, settings)
    meeting_id, _ = add_meeting(db, settings, project_ids=[project_id])
    for path in BEHEER_PATHS:
        response = await client.get(path.format(id=meeting_id))
        assert response.status_code == 200, path
    assert (await client.get("/beheer/bijeenkomsten/999")).status_code == 404


# --- New ---------------------------------------------------------------------------------


async def test_plan_a_meeting_with_thema_and_project(admin, db, settings):
    client, csrf = admin
    thema = add_thema(db, settings)
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (thema,))
    project_id, _ = add_project(db, settings)
    response = await client.post(
        "/beheer/bijeenkomsten/nieuw",
        data=new_meeting(
            csrf,
            themas=str(thema_id),
            projects=str(project_id),
            day=local_day(14).strftime("%d-%m-%Y"),
            starts="19.30",
        ),
    )
    assert response.status_code == 303, response.text
    row = db.one("SELECT * FROM meetings")
    assert (row["title"], row["capacity"], row["place_address"]) == (
        "Dorpsavond",
        40,
        "Dorpsstraat 1",
    )
    assert meetings.local(row["starts_at"]).strftime("%Y-%m-%d %H:%M") == f"{local_day(14)} 19:30"
    assert [t["id"] for t in meetings.themas_of(db, row["id"])] == [thema_id]
    assert [p["id"] for p in meetings.projects_of(db, row["id"])] == [project_id]
    listing = (await client.get("/beheer/bijeenkomsten")).text
    assert "Dorpsavond" in listing and "0 / 40" in listing
    assert f"/bijeenkomsten/{row['slug']}/poster" in link_targets(listing)
    audit = db.one("SELECT * FROM audit_log WHERE action = 'bijeenkomst.create'")
    assert audit["username"] == "anna"


NEW_BAD_INPUT = [
    ({"title": ""}, "title", "Vul een titel in."),
    ({"title": "x" * 121}, "title", "Gebruik hoogstens 120 tekens."),
    ({"description": "x" * 10001}, "description", "Gebruik hoogstens 10000 tekens."),
    ({"day": ""}, "day", "Vul een datum in."),
    ({"day": "31-02-2027"}, "day", "Vul een datum in, bijvoorbeeld 2-3-2026."),
    ({"day": "morgen"}, "day", "Vul een datum in, bijvoorbeeld 2-3-2026."),
    ({"day": local_day(-1).isoformat()}, "day", "Deze datum en tijd zijn al voorbij."),
    ({"starts": "25:00"}, "starts", "Vul een tijd in, bijvoorbeeld 19:30."),
    ({"starts": ""}, "starts", "Vul de begintijd in"),
    ({"ends": "19:00"}, "ends", "De eindtijd ligt voor de begintijd."),
    ({"ends": "19:30"}, "ends", "De eindtijd ligt voor de begintijd."),
    ({"place_name": ""}, "place_name", "Vul de plaats"),
    ({"place_name": "p" * 121}, "place_name", "Gebruik hoogstens 120 tekens."),
    ({"place_address": "a" * 201}, "place_address", "Gebruik hoogstens 200 tekens."),
    ({"capacity": "0"}, "capacity", "Vul een aantal van 1 of meer in."),
    ({"capacity": "-5"}, "capacity", "Vul een aantal van 1 of meer in."),
    ({"capacity": "veel"}, "capacity", "Vul een heel getal in, bijvoorbeeld 40."),
    ({"capacity": "12,5"}, "capacity", "Vul een heel getal in, bijvoorbeeld 40."),
    ({"themas": "999"}, "themas", "Kies thema's uit de lijst."),
    ({"projects": "999"}, "projects", "Kies projecten uit de lijst."),
    ({"title": "Avond\x07"}, "title", ""),
    ({"title": "Dorpsavond\nBcc: iemand@example.nl"}, "title", "Schrijf dit op één regel"),
    ({"title": "Dorpsavond\r\nin de Linde"}, "title", "Schrijf dit op één regel"),
    ({"title": "Dorpsavond\u2028in de Linde"}, "title", "Schrijf dit op één regel"),
    ({"place_name": "Dorpshuis\rDe Pluk"}, "place_name", "Schrijf dit op één regel"),
]


@pytest.mark.parametrize(("change", "field", "message"), NEW_BAD_INPUT)
async def test_bad_input_for_a_new_meeting(admin, db, settings, change, field, message):
    client, csrf = admin
    data = new_meeting(csrf, **change)
    response = await client.post("/beheer/bijeenkomsten/nieuw", data=data)
    if change.get("title") == "Avond\x07":
        # Control characters are dropped by the filter, not refused.
        assert response.status_code == 303
        assert db.scalar("SELECT title FROM meetings") == "Avond"
        return
    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert "Controleer wat u heeft ingevuld" in response.text
    if field != "title":
        assert field_value(response.text, "title") == "Dorpsavond", "the title is kept"
    if field != "place_name":
        assert field_value(response.text, "place_name") == "Dorpshuis De Pluk", "place is kept"
    assert count(db) == 0


async def test_a_new_meeting_at_a_time_that_does_not_exist(admin, db, settings):
    from tests.test_meetings import next_last_sunday

    client, csrf = admin
    data = new_meeting(csrf, day=next_last_sunday(3).isoformat(), starts="02:15", ends="04:00")
    response = await client.post("/beheer/bijeenkomsten/nieuw", data=data)
    assert response.status_code == 400
    assert "klok een uur vooruit" in field_error(response.text, "starts")
    assert count(db) == 0


async def test_html_in_every_field_is_kept_as_text(admin, db, settings):
    client, csrf = admin
    data = new_meeting(
        csrf,
        title=f"T {SCRIPT}",
        description=f"D {SCRIPT}",
        place_name=f"P {SCRIPT}",
        place_address=f"A {SCRIPT}",
    )
    response = await client.post("/beheer/bijeenkomsten/nieuw", data={**data, "capacity": "x"})
    assert response.status_code == 400
    assert SCRIPT not in response.text and "&lt;script&gt;" in response.text
    response = await client.post("/beheer/bijeenkomsten/nieuw", data=data)
    assert response.status_code == 303
    row = db.one("SELECT * FROM meetings")
    assert row["title"] == f"T {SCRIPT}", "stored as typed, escaped when shown"
    for path in (
        "/beheer/bijeenkomsten",
        f"/beheer/bijeenkomsten/{row['id']}",
        f"/bijeenkomsten/{row['slug']}",
    ):
        page = (await client.get(path)).text
        assert SCRIPT not in page, path


# --- A bad CSRF token writes nothing -------------------------------------------------------


async def test_a_bad_csrf_token_writes_nothing_anywhere(admin, db, settings):
    client, _ = admin
    project_id, _ = add_project(db, settings)
    meeting_id, _ = add_meeting(db, settings, project_ids=[project_id], capacity=5)
    past_id, _ = add_meeting(db, settings, days=-1, project_ids=[project_id])
    sign_up(db, settings, meeting_id, 1, email="jan@example.org")
    before = {
        table: count(db, table)
        for table in ("meetings", "events", "mail_queue", "phase_changes", "meeting_series")
    }
    snapshot = [dict(r) for r in db.execute("SELECT * FROM meetings ORDER BY id")]
    posts = [
        ("/beheer/bijeenkomsten/nieuw", new_meeting("fout")),
        (f"/beheer/bijeenkomsten/{meeting_id}", {"csrf": "fout", "title": "Anders"}),
        (
            f"/beheer/bijeenkomsten/{meeting_id}/verplaatsen",
            {**new_meeting("fout"), "day": local_day(20).isoformat()},
        ),
        (f"/beheer/bijeenkomsten/{meeting_id}/annuleren", {"csrf": "fout", "reason": "Ziek"}),
        (
            f"/beheer/bijeenkomsten/{past_id}/verslag",
            {"csrf": "fout", "minutes": "Verslag", f"fase_{project_id}": "verkenning"},
        ),
        (f"/beheer/bijeenkomsten/{meeting_id}/verwijderen", {"csrf": "fout"}),
        (
            "/beheer/bijeenkomsten/reeks",
            {
                **new_meeting("fout"),
                "frequency": "wekelijks",
                "weekday": "1",
                "count": "3",
                "first_day": local_day(3).isoformat(),
            },
        ),
    ]
    for path, data in posts:
        response = await client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Het formulier is verlopen" in response.text, path
    assert [dict(r) for r in db.execute("SELECT * FROM meetings ORDER BY id")] == snapshot
    for table, number in before.items():
        assert count(db, table) == number, table


# --- Edit, move, cancel, remove --------------------------------------------------------


async def test_edit_keeps_capacity_above_the_people_signed_up(admin, db, settings):
    client, csrf = admin
    meeting_id, _ = add_meeting(db, settings, capacity=10)
    sign_up(db, settings, meeting_id, 6)
    waiting = sign_up(db, settings, meeting_id, 5, email="wacht@example.org")
    data = {"csrf": csrf, "title": "Nieuwe titel", "description": "", "capacity": "5"}
    response = await client.post(f"/beheer/bijeenkomsten/{meeting_id}", data=data)
    assert response.status_code == 400
    assert "Kies minstens 6 plaatsen." in field_error(response.text, "capacity")
    assert field_value(response.text, "title") == "Nieuwe titel"
    assert db.scalar("SELECT title FROM meetings") != "Nieuwe titel"
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}", data={**data, "capacity": "11"}
    )
    assert response.status_code == 303
    assert db.scalar("SELECT status FROM rsvps WHERE id = ?", (waiting.id,)) == "aangemeld"
    assert [m["to_address"] for m in mails(db, "rsvp.promoted")] == ["wacht@example.org"]


async def test_move_bumps_the_sequence_and_tells_attendees(admin, db, settings):
    client, csrf = admin
    meeting_id, slug = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, 2, email="jan@example.org")
    form = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/verplaatsen")).text
    assert field_value(form, "starts") == "19:30"
    assert field_value(form, "place_name") == "Dorpshuis De Pluk"
    data = {
        "csrf": csrf,
        "day": local_day(21).isoformat(),
        "starts": "20:00",
        "ends": "22:00",
        "place_name": "Sporthal",
        "place_address": "",
        "note": "Meer ruimte.",
    }
    bad = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verplaatsen",
        data={**data, "day": local_day(-2).isoformat()},
    )
    assert bad.status_code == 400
    assert "al voorbij" in field_error(bad.text, "day")
    assert field_value(bad.text, "place_name") == "Sporthal"
    response = await client.post(f"/beheer/bijeenkomsten/{meeting_id}/verplaatsen", data=data)
    assert response.status_code == 303
    row = db.one("SELECT * FROM meetings")
    assert (row["place_name"], row["sequence"]) == ("Sporthal", 1)
    assert meetings.local(row["starts_at"]).strftime("%H:%M") == "20:00"
    (mail,) = mails(db, "meeting.moved")
    assert "Meer ruimte." in mail["body"]


async def test_cancel_needs_a_reason_and_tells_attendees(admin, db, settings):
    client, csrf = admin
    meeting_id, slug = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, 2, email="jan@example.org")
    for reason, message in (
        ("", "Vul de reden in."),
        ("r" * 1001, "Gebruik hoogstens 1000 tekens."),
    ):
        response = await client.post(
            f"/beheer/bijeenkomsten/{meeting_id}/annuleren", data={"csrf": csrf, "reason": reason}
        )
        assert response.status_code == 400
        assert message in field_error(response.text, "reason")
    assert db.scalar("SELECT status FROM meetings") == "gepland"
    assert mails(db, "meeting.cancelled") == []
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/annuleren",
        data={"csrf": csrf, "reason": "Het dorpshuis lekt."},
    )
    assert response.status_code == 303
    assert db.scalar("SELECT status FROM meetings") == "geannuleerd"
    assert len(mails(db, "meeting.cancelled")) == 1
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Het dorpshuis lekt." in page
    # Cancelled once is enough; and a cancelled meeting does not move.
    again = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/annuleren", data={"csrf": csrf, "reason": "Nog eens"}
    )
    assert again.status_code == 400
    move = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verplaatsen",
        data={**new_meeting(csrf), "day": local_day(30).isoformat()},
    )
    assert move.status_code == 400
    assert len(mails(db, "meeting.cancelled")) == 1


async def test_remove_takes_it_off_the_site(admin, db, settings):
    client, csrf = admin
    meeting_id, slug = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, 1)
    page = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/verwijderen")).text
    assert "Annuleer de bijeenkomst liever" in page
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verwijderen", data={"csrf": csrf}
    )
    assert response.status_code == 303
    assert (await client.get(f"/bijeenkomsten/{slug}")).status_code == 404
    assert db.scalar("SELECT removed_at FROM meetings") is not None


# --- Series ----------------------------------------------------------------------------


def series_form(csrf: str, **changes) -> dict:
    return {
        "csrf": csrf,
        "title": "Inloopavond",
        "frequency": "maandelijks",
        "nth": "1",
        "weekday": "0",
        "interval": "",
        "first_day": local_day(1).isoformat(),
        "starts": "19:30",
        "ends": "21:30",
        "count": "6",
        "place_name": "Dorpshuis",
        **changes,
    }


async def test_a_series_of_first_mondays(admin, db, settings):
    client, csrf = admin
    response = await client.post("/beheer/bijeenkomsten/reeks", data=series_form(csrf))
    assert response.status_code == 303, response.text
    rows = db.execute("SELECT * FROM meetings ORDER BY starts_at")
    assert len(rows) == 6
    for row in rows:
        start = meetings.local(row["starts_at"])
        assert start.weekday() == 0 and start.day <= 7 and start.strftime("%H:%M") == "19:30"
    listing = (await client.get("/beheer/bijeenkomsten")).text
    assert listing.count("reeks</span>") == 6


async def test_a_series_every_two_weeks(admin, db, settings):
    client, csrf = admin
    data = series_form(csrf, frequency="wekelijks", weekday="1", interval="2", count="4")
    response = await client.post("/beheer/bijeenkomsten/reeks", data=data)
    assert response.status_code == 303
    days = [
        meetings.local(r["starts_at"]).date()
        for r in db.execute("SELECT * FROM meetings ORDER BY starts_at")
    ]
    assert [(b - a).days for a, b in zip(days, days[1:], strict=False)] == [14, 14, 14]


SERIES_BAD_INPUT = [
    ({"count": "1"}, "count", "Kies 2 tot 52 bijeenkomsten."),
    ({"count": "53"}, "count", "Kies 2 tot 52 bijeenkomsten."),
    ({"count": "veel"}, "count", "Vul een heel getal in"),
    ({"frequency": ""}, "frequency", "Kies hoe vaak."),
    ({"frequency": "dagelijks"}, "frequency", "Kies hoe vaak uit de lijst."),
    ({"weekday": "9"}, "weekday", "Kies een dag uit de lijst."),
    ({"nth": "7"}, "nth", "Kies een week uit de lijst."),
    ({"interval": "0"}, "interval", "Kies 1 tot 8 weken."),
    ({"first_day": local_day(-10).isoformat()}, "first_day", "al voorbij"),
    ({"ends": "18:00"}, "ends", "De eindtijd ligt voor de begintijd."),
    ({"capacity": "0"}, "capacity", "Vul een aantal van 1 of meer in."),
    ({"title": ""}, "title", "Vul een titel in."),
]


@pytest.mark.parametrize(("change", "field", "message"), SERIES_BAD_INPUT)
async def test_bad_input_for_a_series(admin, db, settings, change, field, message):
    client, csrf = admin
    response = await client.post("/beheer/bijeenkomsten/reeks", data=series_form(csrf, **change))
    assert response.status_code == 400
    assert message in field_error(response.text, field)
    if field != "place_name":
        assert field_value(response.text, "place_name") == "Dorpshuis"
    assert count(db) == 0 and count(db, "meeting_series") == 0


# --- The verslag -------------------------------------------------------------------------


async def test_the_verslag_moves_a_project_in_the_same_transaction(admin, db, settings):
    client, csrf = admin
    project_id, project_slug = add_project(db, settings)
    other_id, _ = add_project(db, settings, title="Bankjes")
    meeting_id, slug = add_meeting(db, settings, days=-1, project_ids=[project_id, other_id])
    form = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/verslag")).text
    assert select(form, f'select[name="fase_{project_id}"], select[name="fase_{other_id}"]')
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verslag",
        data={
            "csrf": csrf,
            "minutes": "Iedereen was het eens.",
            f"fase_{project_id}": "verkenning",
            f"toelichting_{project_id}": "We gaan het uitzoeken.",
            f"fase_{other_id}": "",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/bijeenkomsten/{slug}#verslag-melding"
    change = db.one("SELECT * FROM phase_changes WHERE meeting_id = ?", (meeting_id,))
    assert (change["project_id"], change["to_phase"], change["note"]) == (
        project_id,
        "verkenning",
        "We gaan het uitzoeken.",
    )
    assert db.scalar("SELECT phase FROM projects WHERE id = ?", (other_id,)) == "idee"
    page = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Iedereen was het eens." in page and "We gaan het uitzoeken." in page


async def test_a_stop_in_the_verslag_needs_a_reason_and_saves_nothing_without(admin, db, settings):
    client, csrf = admin
    project_id, _ = add_project(db, settings)
    meeting_id, _ = add_meeting(db, settings, days=-1, project_ids=[project_id])
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verslag",
        data={"csrf": csrf, "minutes": "Verslag van de avond", f"fase_{project_id}": "gestopt"},
    )
    assert response.status_code == 400
    assert "Schrijf op waarom" in field_error(response.text, f"toelichting_{project_id}")
    assert "Verslag van de avond" in response.text
    assert db.scalar("SELECT minutes FROM meetings") == ""
    assert db.scalar("SELECT phase FROM projects") == "idee"
    bad = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verslag",
        data={"csrf": csrf, "minutes": "x", f"fase_{project_id}": "bestaat-niet"},
    )
    assert bad.status_code == 400
    assert "Kies een fase uit de lijst." in field_error(bad.text, f"fase_{project_id}")
    long = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verslag", data={"csrf": csrf, "minutes": "x" * 20001}
    )
    assert long.status_code == 400
    assert "Gebruik hoogstens 20000 tekens." in field_error(long.text, "minutes")


async def test_no_verslag_before_the_meeting(admin, db, settings):
    client, csrf = admin
    meeting_id, _ = add_meeting(db, settings, days=3)
    page = (await client.get(f"/beheer/bijeenkomsten/{meeting_id}/verslag")).text
    assert "Een verslag schrijft u na de bijeenkomst." in page
    response = await client.post(
        f"/beheer/bijeenkomsten/{meeting_id}/verslag", data={"csrf": csrf, "minutes": "Vooruit"}
    )
    assert response.status_code == 400
    assert db.scalar("SELECT minutes FROM meetings") == ""


# --- Who comes: only for the group -------------------------------------------------------


async def test_the_attendee_list_shows_totals_and_the_waiting_list(admin, db, settings):
    client, _ = admin
    meeting_id, slug = add_meeting(db, settings, capacity=3)
    sign_up(
        db, settings, meeting_id, 2, "Anna Aanwezig", email="anna@example.org", phone="0612345678"
    )
    sign_up(db, settings, meeting_id, 2, "Wim Wachter")
    gone = sign_up(db, settings, meeting_id, 1, "Els Afgemeld")
    from node.kern.meetings import rsvp

    db.write(rsvp.cancel_rsvp, settings, gone.id)
    response = await client.get(f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen")
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert "Anna Aanwezig" in page and "anna@example.org" in page and "0612345678" in page
    assert (
        page.index("Anna Aanwezig")
        < page.index('id="wachtlijst-titel"')
        < page.index("Wim Wachter")
    )
    assert "2 personen (1 aanmelding)" in page
    assert "3 in totaal, nog 1 vrij" in page
    printable = await client.get(f"/beheer/bijeenkomsten/{meeting_id}/aanmeldingen/afdrukken")
    assert "Anna Aanwezig" in printable.text and "Wim Wachter" in printable.text
    assert "Els Afgemeld" not in printable.text
    assert "bloei-beheer-nav" not in printable.text
    public = (await client.get(f"/bijeenkomsten/{slug}")).text
    assert "Anna Aanwezig" not in public and "anna@example.org" not in public


async def test_cancelled_meetings_keep_their_page_in_the_list(admin, db, settings):
    client, _ = admin
    meeting_id, _ = add_meeting(db, settings)
    db.write(meetings.cancel_meeting, settings, "test", meeting_id, "Ziek.")
    listing = (await client.get("/beheer/bijeenkomsten")).text
    assert "Geannuleerd" in listing
    assert f"/beheer/bijeenkomsten/{meeting_id}/annuleren" not in listing
