"""Learning to take part: the help page, the handleiding with its checklist, evaluations of
meetings, the look back on an ended project, and the reminder for an old kernagenda."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from markup import link_targets, select, select_one, text_of, texts

from federation import vocabulary
from node.kern.agenda import model as agenda
from node.kern.learning import agenda_reminder
from node.kern.learning.checklist import first_steps
from node.kern.meetings import evaluations
from node.kern.meetings import model as meetings
from node.kern.projects import model as projects
from node.vocabulary import LADDER, PHASES
from tests.helpers import add_project, add_thema
from tests.meeting_helpers import add_meeting, mails
from tests.test_api import check_against_document


def outbox_objects(db, object_id: str) -> list[dict]:
    """The objects of every activity about `object_id`, oldest first, as followers got them."""
    found = []
    for row in db.execute("SELECT document FROM federation_outbox ORDER BY position"):
        activity = json.loads(row["document"])
        obj = activity.get("object")
        if isinstance(obj, dict) and obj.get("id") == object_id:
            found.append(obj)
    return found


# --- Help for residents ---------------------------------------------------------------------


async def test_the_help_page_explains_taking_part_the_phases_and_the_ladder(client):
    page = await client.get("/hulp")

    assert page.status_code == 200
    headings = texts(page.text, "h2")
    assert "De fasen van een project" in headings and "De participatieladder" in headings
    phases = texts(page.text, "#fasen dt")
    assert sorted(phases) == sorted(str(label) for label in PHASES.values())
    steps = select(page.text, "#participatieladder li")
    assert len(steps) == len(LADDER)
    # Every step has its own example from village life.
    assert all("Bijvoorbeeld:" in text_of(step) for step in steps)
    assert "/ideeen/nieuw" in link_targets(page.text, "#meedoen a")


async def test_every_public_page_links_to_the_help(client):
    home = await client.get("/")

    assert "/hulp" in link_targets(home.text, "footer a")


# --- The handleiding ------------------------------------------------------------------------


async def test_the_handleiding_needs_a_login(client):
    response = await client.get("/beheer/handleiding")

    assert response.status_code in (302, 303, 401, 403)


async def test_the_checklist_follows_what_the_group_did(db, settings, admin):
    http, _token = admin
    before = {step.key: step.done for step in first_steps(db, settings)}
    assert before["thema"] is False and before["versie"] is False
    assert before["bijeenkomst"] is False

    add_thema(db, settings)
    add_meeting(db, settings, days=20)
    after = {step.key: step.done for step in first_steps(db, settings)}

    assert after["thema"] is True and after["bijeenkomst"] is True
    assert after["versie"] is False
    page = (await http.get("/beheer/handleiding")).text
    todo = select_one(page, "#stap-versie")
    assert "Nog te doen" in text_of(todo)
    assert "/beheer/versies/nieuw" in link_targets(todo)
    assert "Gedaan" in text_of(select_one(page, "#stap-thema"))
    assert link_targets(select_one(page, "#stap-thema")) == []
    assert "/beheer/handleiding" in link_targets(page, "nav a")


# --- Evaluations of meetings ----------------------------------------------------------------


async def test_a_coming_meeting_has_no_evaluation_form(db, settings, client):
    _id, slug = add_meeting(db, settings, days=5)

    page = await client.get(f"/bijeenkomsten/{slug}")
    refused = await client.post(f"/bijeenkomsten/{slug}/evaluatie", data={"score": "5"})

    assert select(page.text, "#evaluatie") == []
    assert refused.status_code == 400
    assert "zodra die begonnen is" in text_of(refused.text, "#evaluatie")
    assert db.scalar("SELECT count(*) FROM meeting_evaluations") == 0


async def test_a_resident_evaluates_a_meeting_once_per_browser(db, settings, client):
    meeting_id, slug = add_meeting(db, settings, days=-2)
    page = await client.get(f"/bijeenkomsten/{slug}")
    assert select(page.text, '#evaluatie input[name="score"]')

    first = await client.post(
        f"/bijeenkomsten/{slug}/evaluatie",
        data={"score": "4", "went_well": "Fijne sfeer.", "could_be_better": ""},
    )
    again = await client.post(
        f"/bijeenkomsten/{slug}/evaluatie",
        data={"score": "2", "went_well": "", "could_be_better": "Te lang."},
    )

    assert first.status_code == again.status_code == 303
    assert first.headers["location"].endswith("#evaluatie-melding")
    rows = db.execute("SELECT score, went_well, could_be_better FROM meeting_evaluations")
    assert [tuple(r) for r in rows] == [(2, "", "Te lang.")]
    shown = await client.get(first.headers["location"].split("#")[0])
    assert "vervangen" in text_of(shown.text, '[role="status"]')
    assert meetings.evaluation_summary(db.read(), meeting_id) == {"aantal": 1, "gemiddeld": 2.0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Kies hoe u de bijeenkomst vond."),
        ({"score": "9"}, "Ongeldige keuze"),
        ({"score": "3", "went_well": "x" * 1001}, "hoogstens 1000 tekens"),
    ],
)
async def test_an_evaluation_is_checked(db, settings, client, data, message):
    _id, slug = add_meeting(db, settings, days=-1)

    response = await client.post(f"/bijeenkomsten/{slug}/evaluatie", data=data)

    assert response.status_code == 400
    errors = " ".join(texts(response.text, "#evaluatie .bloei-field__error"))
    assert message.lower() in errors.lower() or message in response.text
    assert db.scalar("SELECT count(*) FROM meeting_evaluations") == 0


async def test_evaluating_closes_a_month_after_and_never_opens_for_a_cancelled_meeting(
    db, settings, client
):
    _old, old_slug = add_meeting(db, settings, days=-(evaluations.EVALUATION_DAYS + 2))
    cancelled_id, cancelled_slug = add_meeting(db, settings, days=1)
    db.write(meetings.cancel_meeting, settings, "test", cancelled_id, "Storm.")

    late = await client.post(f"/bijeenkomsten/{old_slug}/evaluatie", data={"score": "5"})
    off = await client.post(f"/bijeenkomsten/{cancelled_slug}/evaluatie", data={"score": "5"})

    assert late.status_code == off.status_code == 400
    assert "Beoordelen kan tot" in text_of(late.text, "#evaluatie")
    assert "ging niet door" in text_of(off.text, "#evaluatie")


async def test_the_group_reads_the_answers_and_only_the_figures_federate(db, settings, editor):
    http, _token = editor
    meeting_id, slug = add_meeting(db, settings, days=-3)
    db.write(evaluations.save_evaluation, meeting_id, "browser-a", 5, "Goed geregeld.", "")
    db.write(evaluations.save_evaluation, meeting_id, "browser-b", 2, "", "Geen koffie.")

    page = (await http.get(f"/beheer/bijeenkomsten/{meeting_id}/evaluaties")).text
    settled = datetime.now(UTC) + timedelta(minutes=evaluations.QUIET_MINUTES + 1)
    published = db.write(evaluations.publish_settled_figures, settings, settled)

    assert "Goed geregeld." in texts(page, "#woorden-titel ~ ul li p")[1]
    assert any("Geen koffie." in t for t in texts(page, "#woorden-titel ~ ul li p"))
    assert published == 1
    latest = outbox_objects(db, settings.url(f"/bijeenkomsten/{slug}"))[-1]
    assert latest["evaluatie"] == {
        "type": "Evaluatie",
        "aantalAntwoorden": 2,
        "gemiddeldeScore": 3.5,
    }
    assert "Goed geregeld." not in json.dumps(latest)


async def test_evaluation_figures_go_out_once_the_answers_settled(db, settings):
    meeting_id, slug = add_meeting(db, settings, days=-1)
    object_id = settings.url(f"/bijeenkomsten/{slug}")
    before = len(outbox_objects(db, object_id))
    db.write(evaluations.save_evaluation, meeting_id, "browser-a", 4, "", "")
    now = datetime.now(UTC)

    too_soon = db.write(evaluations.publish_settled_figures, settings, now)
    later = now + timedelta(minutes=evaluations.QUIET_MINUTES + 1)
    settled = db.write(evaluations.publish_settled_figures, settings, later)
    nothing_new = db.write(evaluations.publish_settled_figures, settings, later)

    assert (too_soon, settled, nothing_new) == (0, 1, 0)
    assert len(outbox_objects(db, object_id)) == before + 1
    # A browser that changes its answer changes the figures: they go out again.
    db.write(evaluations.save_evaluation, meeting_id, "browser-a", 2, "", "")
    even_later = later + timedelta(hours=1)
    assert db.write(evaluations.publish_settled_figures, settings, even_later) == 1
    assert outbox_objects(db, object_id)[-1]["evaluatie"]["gemiddeldeScore"] == 2


# --- The look back on a project ---------------------------------------------------------------


async def test_a_running_project_cannot_be_looked_back_on(db, settings, admin):
    http, token = admin
    project_id, _slug = add_project(db, settings)

    page = await http.get(f"/beheer/projecten/{project_id}/terugblik")
    refused = await http.post(
        f"/beheer/projecten/{project_id}/terugblik",
        data={"csrf": token, "what_worked": "a", "learned": "b", "ladder_reached": "adviseren"},
    )

    assert "als het project afgerond of gestopt is" in text_of(page.text, '[role="status"]')
    assert refused.status_code == 400
    assert projects.reflection_of(db, project_id) is None


async def test_the_look_back_is_checked(db, settings, admin):
    http, token = admin
    project_id, _slug = add_project(db, settings)
    db.write(projects.change_phase, settings, "test", project_id, "gestopt", "Geen geld.")

    response = await http.post(
        f"/beheer/projecten/{project_id}/terugblik",
        data={"csrf": token, "what_worked": "  ", "learned": "Veel.", "ladder_reached": "top"},
    )

    assert response.status_code == 400
    errors = texts(response.text, ".bloei-field__error")
    assert any("wat goed werkte" in e for e in errors)
    assert any("Kies een trede uit de lijst." in e for e in errors)
    assert projects.reflection_of(db, project_id) is None


async def test_a_look_back_shows_on_the_project_and_federates(db, settings, admin):
    http, token = admin
    project_id, slug = add_project(db, settings)
    db.write(projects.change_phase, settings, "test", project_id, "afgerond", "Klaar!")
    form = await http.get(f"/beheer/projecten/{project_id}/terugblik")
    assert select(form.text, 'select[name="ladder_reached"]')

    saved = await http.post(
        f"/beheer/projecten/{project_id}/terugblik",
        data={
            "csrf": token,
            "what_worked": "De **school** deed mee.",
            "learned": "Eerder de buren vragen.",
            "ladder_reached": "coproduceren",
        },
    )

    assert saved.status_code == 303
    public = (await http.get(f"/projecten/{slug}")).text
    section = select_one(public, "#terugblik")
    assert "De school deed mee." in text_of(section)
    assert "Coproduceren" in text_of(section)
    assert "/hulp#participatieladder" in link_targets(section)
    obj = outbox_objects(db, settings.url(f"/projecten/{slug}"))[-1]
    assert obj["terugblik"]["type"] == "Terugblik"
    assert obj["terugblik"]["bereikteTrede"] == "coproduceren"
    assert "<strong>school</strong>" in obj["terugblik"]["watWerkte"]
    assert vocabulary.undefined_terms(obj) == set()


# --- The reminder for an old kernagenda -----------------------------------------------------


def _publish_version(db, settings) -> None:
    db.write(agenda.publish_version, settings, "test", "Voorjaar", "")


@pytest.fixture
def group_address(db) -> str:
    """The group's contact address, where notices go besides the beheerders' own."""
    db.write(
        lambda conn: conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES ('contact_email', ?)",
            (json.dumps("groep@beesd.test"),),
        )
    )
    return "groep@beesd.test"


def test_an_old_kernagenda_reminds_the_group_once(db, settings, group_address):
    add_thema(db, settings)
    _publish_version(db, settings)
    now = datetime.now(UTC)

    assert db.write(agenda_reminder.remind, settings, now) is False
    half_a_year = now + timedelta(days=agenda_reminder.STALE_DAYS + 1)
    assert db.write(agenda_reminder.remind, settings, half_a_year) is True
    assert db.write(agenda_reminder.remind, settings, half_a_year) is False

    sent = mails(db, agenda_reminder.PURPOSE)
    assert group_address in {m["to_address"] for m in sent}
    assert len({m["to_address"] for m in sent}) == len(sent)
    assert "/beheer/versies/nieuw" in sent[0]["body"]
    assert "Tijd voor een nieuwe versie" in sent[0]["subject"]


def test_a_new_version_starts_the_clock_again(db, settings, group_address):
    add_thema(db, settings)
    db.write(
        lambda conn: conn.execute(
            "INSERT INTO agenda_versions (slug, title, published_at, published_by, snapshot) "
            "VALUES ('oud', 'Oud', '2025-01-01T10:00:00+00:00', 'test', '[]')"
        )
    )
    now = datetime.now(UTC)
    assert db.write(agenda_reminder.remind, settings, now) is True
    first = len(mails(db, agenda_reminder.PURPOSE))

    _publish_version(db, settings)

    assert db.write(agenda_reminder.remind, settings, now + timedelta(days=30)) is False
    half_a_year = now + timedelta(days=agenda_reminder.STALE_DAYS + 1)
    assert db.write(agenda_reminder.remind, settings, half_a_year) is True
    assert len(mails(db, agenda_reminder.PURPOSE)) == 2 * first


def test_a_kernagenda_without_a_version_is_reminded_once_its_thema_is_old(
    db, settings, group_address
):
    add_thema(db, settings)
    later = datetime.now(UTC) + timedelta(days=agenda_reminder.STALE_DAYS + 1)

    assert agenda_reminder.stale_since(db.read(), datetime.now(UTC)) is None
    assert agenda_reminder.stale_since(db.read(), later)[0] == agenda_reminder.NO_VERSION
    assert db.write(agenda_reminder.remind, settings, later) is True
    assert "nog geen gepubliceerde versie" in mails(db, agenda_reminder.PURPOSE)[0]["body"]


async def test_the_open_data_api_documents_the_look_back_and_the_evaluation(db, settings, client):
    project_id, project_slug = add_project(db, settings)
    db.write(projects.change_phase, settings, "test", project_id, "afgerond", "Klaar.")
    db.write(projects.save_reflection, settings, "test", project_id, "Veel.", "Meer.", "zelfbeheer")
    meeting_id, meeting_slug = add_meeting(db, settings, days=-1)
    db.write(evaluations.save_evaluation, meeting_id, "browser-a", 3, "", "")
    document = (await client.get("/api/v1/openapi.json")).json()

    for path in (f"/api/v1/projecten/{project_slug}", f"/api/v1/bijeenkomsten/{meeting_slug}"):
        response = await client.get(path)
        check_against_document(document, path, response)

    project = (await client.get(f"/api/v1/projecten/{project_slug}")).json()
    assert project["terugblik"]["bereikteTrede"] == "zelfbeheer"
    meeting = (await client.get(f"/api/v1/bijeenkomsten/{meeting_slug}")).json()
    assert meeting["evaluatie"] == {"aantal": 1, "gemiddeld": 3.0}
