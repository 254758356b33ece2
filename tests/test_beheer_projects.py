"""Beheer of projects: content, phases, news, volunteers, removal; forms, CSRF and escaping."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest

from node.kern.agenda import model as agenda
from node.kern.projects import model as projects
from node.web.i18n import dutch_date
from tests.conftest import BASE_URL
from tests.markup import field_error, field_value, links_with_text, select

THEMA = {
    "description": "",
    "priority": "middel",
    "status": "loopt",
    "actor": "inwoners",
    "actor_other": "",
}
PROJECT = {
    "title": "Speeltuin aan de Dorpsstraat",
    "summary": "Een plek om te spelen.",
    "description": "",
    "trekker_name": "",
    "trekker_consent": False,
    "ladder": "",
    "needs": [],
    "budget_requested": None,
    "budget_granted": None,
    "budget_source": "",
    "start_date": None,
    "target_date": None,
}
SCRIPT = "<script>alert(1)</script>"


def add_thema(db, settings, title: str) -> int:
    slug = db.write(agenda.save_thema, settings, "test", {**THEMA, "title": title})
    return db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))


def add_project(db, settings, **changes) -> tuple[int, str]:
    slug = db.write(projects.save_project, settings, "test", {**PROJECT, **changes}, [])
    return db.scalar("SELECT id FROM projects WHERE slug = ?", (slug,)), slug


def project_row(db, project_id: int):
    return db.one("SELECT * FROM projects WHERE id = ?", (project_id,))


def count(db, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def new_project_form(csrf: str, **changes) -> dict:
    return {
        "csrf": csrf,
        "title": "Bankjes bij de kerk",
        "summary": "Drie nieuwe bankjes.",
        "phase": "idee",
        **changes,
    }


# --- Creating and changing a project ----------------------------------------------------


async def test_create_project_with_themas_and_dutch_budgets(admin, db, settings):
    client, csrf = admin
    verkeer = add_thema(db, settings, "Verkeer")
    groen = add_thema(db, settings, "Groen")
    add_thema(db, settings, "Wonen")

    form = new_project_form(
        csrf,
        themas=[str(verkeer), str(groen)],
        budget_requested="1.500",
        budget_granted="250,50",
        budget_source="leefbaarheidsbudget",
        start_date="2026-03-01",
        target_date="2026-09-30",
        needs=["vrijwilligers", "geld"],
    )
    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 303
    assert response.headers["location"] == "/beheer/projecten#melding"
    row = db.one("SELECT * FROM projects WHERE title = 'Bankjes bij de kerk'")
    assert row["budget_requested"] == 150000
    assert row["budget_granted"] == 25050
    assert row["start_date"] == "2026-03-01" and row["target_date"] == "2026-09-30"
    assert row["phase"] == "idee"
    assert {t["title"] for t in projects.themas_of(db, row["id"])} == {"Verkeer", "Groen"}
    listing = await client.get("/beheer/projecten")
    assert "Bankjes bij de kerk" in listing.text
    assert "Het project „Bankjes bij de kerk” is opgeslagen." in listing.text
    public = await client.get(f"/projecten/{row['slug']}")
    assert "1.500,00" in public.text and "250,50" in public.text


async def test_edit_project_shows_stored_values_and_changes_themas(admin, db, settings):
    client, csrf = admin
    verkeer = add_thema(db, settings, "Verkeer")
    groen = add_thema(db, settings, "Groen")
    project_id, _slug = add_project(db, settings, budget_requested=150000)
    db.write(
        projects.save_project,
        settings,
        "test",
        {**PROJECT, "budget_requested": 150000},
        [verkeer],
        project_id,
    )

    page = await client.get(f"/beheer/projecten/{project_id}")
    assert page.status_code == 200
    assert field_value(page.text, "budget_requested") == "1500,00"
    assert re.search(rf'checked[^>]*value="{verkeer}"|value="{verkeer}"[^>]*checked', page.text)
    # The phase changes only on its own page.
    assert select(page.text, '[name="phase"]') == []

    response = await client.post(
        f"/beheer/projecten/{project_id}",
        data={
            "csrf": csrf,
            "title": "Speeltuin met glijbaan",
            "summary": "Nu ook een glijbaan.",
            "themas": [str(groen)],
            "budget_requested": "2.000",
        },
    )
    assert response.status_code == 303
    row = project_row(db, project_id)
    assert row["title"] == "Speeltuin met glijbaan"
    assert row["budget_requested"] == 200000
    assert [t["title"] for t in projects.themas_of(db, project_id)] == ["Groen"]


async def test_editor_may_create_projects(editor, db):
    client, csrf = editor
    response = await client.post("/beheer/projecten/nieuw", data=new_project_form(csrf))
    assert response.status_code == 303
    assert db.one("SELECT changed_by FROM phase_changes")["changed_by"] == "Piet Jansen"


async def test_target_date_before_start_is_refused(admin, db):
    client, csrf = admin
    form = new_project_form(csrf, start_date="2026-06-01", target_date="2026-05-01")
    response = await client.post("/beheer/projecten/nieuw", data=form)
    assert response.status_code == 400
    assert field_error(response.text, "target_date") == "De streefdatum ligt voor de startdatum."
    assert field_value(response.text, "target_date") == "2026-05-01"
    assert count(db, "projects") == 0


async def test_new_project_can_start_in_a_later_phase_with_a_note(admin, db):
    client, csrf = admin
    form = new_project_form(csrf, phase="uitvoering", phase_note="Al begonnen in 2025.")
    response = await client.post("/beheer/projecten/nieuw", data=form)
    assert response.status_code == 303
    change = db.one("SELECT * FROM phase_changes")
    assert (change["to_phase"], change["note"]) == ("uitvoering", "Al begonnen in 2025.")


async def test_new_project_paused_from_the_start_needs_a_reason(admin, db):
    client, csrf = admin
    response = await client.post(
        "/beheer/projecten/nieuw", data=new_project_form(csrf, phase="gepauzeerd")
    )
    assert response.status_code == 400
    assert "gepauzeerd of gestopt" in field_error(response.text, "phase_note")
    assert count(db, "projects") == 0


async def test_project_form_errors_keep_every_field_with_a_dutch_message(admin, db):
    client, csrf = admin
    form = new_project_form(
        csrf,
        title="x" * 121,
        summary="",
        description="Een mooie beschrijving",
        budget_requested="veel",
        budget_granted="5.000",
        trekker_consent="y",
        start_date="morgen",
        phase="onbekend",
    )
    response = await client.post("/beheer/projecten/nieuw", data=form)

    assert response.status_code == 400
    text = response.text
    assert field_error(text, "title") == "Gebruik hoogstens 120 tekens."
    assert field_error(text, "summary") == "Vul een korte samenvatting in."
    assert "Vul een bedrag in euro in" in field_error(text, "budget_requested")
    assert field_error(text, "trekker_consent") == "Vul eerst de naam van de trekker in."
    assert field_error(text, "start_date") == "Ongeldige datum."
    assert field_error(text, "phase") == "Kies een fase uit de lijst."
    assert "Controleer wat u heeft ingevuld" in text
    # Everything typed comes back, each in its own field.
    assert field_value(text, "title") == "x" * 121
    assert field_value(text, "description").strip() == "Een mooie beschrijving"
    assert field_value(text, "budget_requested") == "veel"
    assert field_value(text, "budget_granted") == "5.000"
    assert count(db, "projects") == 0


async def test_unknown_thema_is_refused(admin, db, settings):
    client, csrf = admin
    add_thema(db, settings, "Verkeer")
    response = await client.post(
        "/beheer/projecten/nieuw", data=new_project_form(csrf, themas=["9999"])
    )
    assert response.status_code == 400
    assert field_error(response.text, "themas") == "Kies thema's uit de lijst."


# --- Phases -----------------------------------------------------------------------------


async def change_phase(client, csrf, project_id, phase, note="", changed_on=""):
    return await client.post(
        f"/beheer/projecten/{project_id}/fase",
        data={"csrf": csrf, "phase": phase, "note": note, "changed_on": changed_on},
    )


async def test_phase_path_is_kept_in_history_and_shown_on_the_public_page(admin, db, settings):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    path = ["verkenning", "planvorming", "uitvoering", "afgerond"]
    for number, phase in enumerate(path, start=1):
        response = await change_phase(client, csrf, project_id, phase, note=f"Stap {number}")
        assert response.status_code == 303, response.text

    history = projects.phase_history(db, project_id)
    assert [(c["from_phase"], c["to_phase"]) for c in history] == [
        (None, "idee"),
        ("idee", "verkenning"),
        ("verkenning", "planvorming"),
        ("planvorming", "uitvoering"),
        ("uitvoering", "afgerond"),
    ]
    assert [c["note"] for c in history[1:]] == ["Stap 1", "Stap 2", "Stap 3", "Stap 4"]
    assert {c["changed_on"] for c in history} == {date.today().isoformat()}
    assert {c["changed_by"] for c in history[1:]} == {"Anna de Vries"}
    assert project_row(db, project_id)["phase"] == "afgerond"

    public = (await client.get(f"/projecten/{slug}")).text
    current = re.findall(r'<li class="bloei-steps__step[^"]*"([^>]*)>\s*([^<\n]+)', public)
    assert [name.strip() for attrs, name in current if 'aria-current="step"' in attrs] == [
        "Afgerond"
    ]
    assert "Stap 3" in public and dutch_date(date.today()) in public

    beheer = (await client.get(f"/beheer/projecten/{project_id}/fase")).text
    assert "Huidige fase:" in beheer and "<strong>Afgerond</strong>" in beheer
    assert "Anna de Vries" in beheer and "Stap 4" in beheer


async def test_pausing_without_a_reason_is_refused(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await change_phase(client, csrf, project_id, "gepauzeerd")
    assert response.status_code == 400
    assert (
        field_error(response.text, "note")
        == "Schrijf op waarom het project gepauzeerd of gestopt wordt."
    )
    assert project_row(db, project_id)["phase"] == "idee"
    assert len(projects.phase_history(db, project_id)) == 1

    response = await change_phase(client, csrf, project_id, "gepauzeerd", note="Geen vrijwilligers")
    assert response.status_code == 303
    public = await client.get(f"/projecten/{project_row(db, project_id)['slug']}")
    assert "Geen vrijwilligers" in public.text


async def test_same_phase_is_refused(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await change_phase(client, csrf, project_id, "idee", note="Nog steeds")
    assert response.status_code == 400
    assert field_error(response.text, "phase") == "Het project is al in de fase Idee."
    assert "Nog steeds" in response.text
    assert len(projects.phase_history(db, project_id)) == 1


async def test_phase_form_errors(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await change_phase(
        client, csrf, project_id, "", note="y" * 2001, changed_on="2999-01-01"
    )
    assert response.status_code == 400
    assert field_error(response.text, "phase") == "Kies een fase."
    assert field_error(response.text, "note") == "Gebruik hoogstens 2000 tekens."
    assert field_error(response.text, "changed_on") == "De datum ligt in de toekomst."
    assert "y" * 2001 in response.text and 'value="2999-01-01"' in response.text
    assert len(projects.phase_history(db, project_id)) == 1


async def test_phase_change_may_be_dated_back_but_not_before_the_last_one(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    started = date.today() - timedelta(days=10)
    db.write(
        lambda conn: conn.execute("UPDATE phase_changes SET changed_on = ?", (started.isoformat(),))
    )
    too_early = (started - timedelta(days=1)).isoformat()

    response = await change_phase(client, csrf, project_id, "verkenning", changed_on=too_early)
    assert response.status_code == 400
    assert "De datum ligt voor de vorige verandering van fase" in field_error(
        response.text, "changed_on"
    )
    assert len(projects.phase_history(db, project_id)) == 1
    backdated = (started + timedelta(days=2)).isoformat()
    response = await change_phase(client, csrf, project_id, "verkenning", changed_on=backdated)
    assert response.status_code == 303
    assert projects.phase_history(db, project_id)[-1]["changed_on"] == backdated


# --- Updates ----------------------------------------------------------------------------


async def test_updates_appear_on_the_public_page_and_can_be_removed(admin, db, settings):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    response = await client.post(
        f"/beheer/projecten/{project_id}/updates/nieuw",
        data={"csrf": csrf, "title": "De eerste schop", "body": "Vandaag **begonnen**."},
    )
    assert response.status_code == 303
    public = (await client.get(f"/projecten/{slug}")).text
    assert "De eerste schop" in public and "<strong>begonnen</strong>" in public

    update_id = db.scalar("SELECT id FROM project_updates")
    url = f"/beheer/projecten/{project_id}/updates/{update_id}/verwijderen"
    confirm = await client.get(url)
    assert confirm.status_code == 200 and "De eerste schop" in confirm.text
    assert db.scalar("SELECT count(*) FROM project_updates") == 1
    response = await client.post(url, data={"csrf": csrf})
    assert response.status_code == 303
    assert count(db, "project_updates") == 0
    assert f'id="update-{update_id}"' not in (await client.get(f"/projecten/{slug}")).text


async def test_update_form_errors_keep_fields(admin, db, settings):
    client, csrf = admin
    project_id, _slug = add_project(db, settings)
    response = await client.post(
        f"/beheer/projecten/{project_id}/updates/nieuw",
        data={"csrf": csrf, "title": "t" * 121, "body": "", "published_on": "31-02-2026"},
    )
    assert response.status_code == 400
    assert field_error(response.text, "title") == "Gebruik hoogstens 120 tekens."
    assert field_error(response.text, "body") == "Vul een tekst in."
    assert field_error(response.text, "published_on") == "Ongeldige datum."
    assert "t" * 121 in response.text and 'value="31-02-2026"' in response.text
    assert count(db, "project_updates") == 0


async def test_update_of_another_project_is_not_found(admin, db, settings):
    client, csrf = admin
    first, _ = add_project(db, settings, title="Een")
    second, _ = add_project(db, settings, title="Twee")
    update_id = db.write(projects.add_update, settings, "test", first, "Nieuws", "Tekst")
    url = f"/beheer/projecten/{second}/updates/{update_id}/verwijderen"
    assert (await client.get(url)).status_code == 404
    assert (await client.post(url, data={"csrf": csrf})).status_code == 404
    assert count(db, "project_updates") == 1


# --- Volunteers -------------------------------------------------------------------------


async def test_volunteers_are_only_for_signed_in_users(app, client, db, settings):
    project_id, slug = add_project(db, settings)
    response = await client.post(
        f"/projecten/{slug}/vrijwilliger",
        data={
            "name": "Fatima Bakker",
            "contact": "fatima@example.org",
            "message": "Ik kan zaterdags helpen.",
            "consent": "y",
        },
    )
    assert response.status_code == 303
    url = f"/beheer/projecten/{project_id}/vrijwilligers"

    anonymous = await client.get(url)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/beheer/inloggen")
    assert "Fatima" not in anonymous.text

    from tests.conftest import login

    await login(client)
    page = await client.get(url)
    assert page.status_code == 200
    assert "Fatima Bakker" in page.text
    assert "fatima@example.org" in page.text
    assert "Ik kan zaterdags helpen." in page.text
    assert page.headers["cache-control"] == "no-store"
    listing = await client.get("/beheer/projecten")
    assert links_with_text(listing.text, "1") == [url]


# --- Removing a project -----------------------------------------------------------------


async def test_remove_project_is_a_soft_delete(admin, db, settings):
    client, csrf = admin
    project_id, slug = add_project(db, settings)
    confirm = await client.get(f"/beheer/projecten/{project_id}/verwijderen")
    assert confirm.status_code == 200 and "weghalen?" in confirm.text
    response = await client.post(f"/beheer/projecten/{project_id}/verwijderen", data={"csrf": csrf})
    assert response.status_code == 303
    assert project_row(db, project_id)["removed_at"] is not None
    assert (await client.get(f"/projecten/{slug}")).status_code == 404
    assert (await client.get(f"/beheer/projecten/{project_id}")).status_code == 404
    assert slug not in (await client.get("/beheer/projecten")).text


# --- Access, 404, CSRF ------------------------------------------------------------------


def beheer_urls(project_id: int, update_id: int) -> list[tuple[str, bool]]:
    """Every project beheer URL and whether it accepts POST."""
    base = f"/beheer/projecten/{project_id}"
    return [
        ("/beheer/projecten", False),
        ("/beheer/projecten/nieuw", True),
        (base, True),
        (f"{base}/fase", True),
        (f"{base}/updates/nieuw", True),
        (f"{base}/updates/{update_id}/verwijderen", True),
        (f"{base}/foto", True),
        (f"{base}/foto/verwijderen", True),
        (f"{base}/vrijwilligers", False),
        (f"{base}/verwijderen", True),
    ]


async def test_anonymous_users_are_sent_to_login_everywhere(client, db, settings):
    project_id, _slug = add_project(db, settings)
    db.write(projects.set_photo, settings, "test", project_id, "a" * 32 + ".jpg", "Foto")
    update_id = db.write(projects.add_update, settings, "test", project_id, "Nieuws", "Tekst")
    before = db.data_version()
    for url, accepts_post in beheer_urls(project_id, update_id):
        methods = ["GET", "POST"] if accepts_post else ["GET"]
        for method in methods:
            response = await client.request(method, url, data={"title": "x", "csrf": "x"})
            assert response.status_code == 303, (method, url)
            assert response.headers["location"] == f"/beheer/inloggen?volgende={url}"
    assert db.data_version() == before


async def test_unknown_ids_are_not_found(admin):
    client, csrf = admin
    for url, accepts_post in beheer_urls(999, 999)[2:]:
        assert (await client.get(url)).status_code == 404, url
        if accepts_post:
            response = await client.post(url, data={"csrf": csrf})
            assert response.status_code == 404, url


async def test_photo_removal_of_a_project_without_photo_is_not_found(admin, db, settings):
    client, _csrf = admin
    project_id, _slug = add_project(db, settings)
    assert (await client.get(f"/beheer/projecten/{project_id}/foto/verwijderen")).status_code == 404


@pytest.mark.parametrize(
    "suffix, data",
    [
        ("nieuw", {"title": "Nieuw", "summary": "Kort", "phase": "idee"}),
        ("{id}", {"title": "Anders", "summary": "Kort"}),
        ("{id}/fase", {"phase": "verkenning", "note": "Verder"}),
        ("{id}/updates/nieuw", {"title": "Nieuws", "body": "Tekst"}),
        ("{id}/updates/{update}/verwijderen", {}),
        ("{id}/foto", {"photo_alt": "Een foto"}),
        ("{id}/foto/verwijderen", {}),
        ("{id}/verwijderen", {}),
    ],
)
async def test_bad_csrf_writes_nothing_and_keeps_fields(admin, db, settings, suffix, data):
    client, _csrf = admin
    project_id, _slug = add_project(db, settings)
    update_id = db.write(projects.add_update, settings, "test", project_id, "Nieuws", "Tekst")
    db.write(projects.set_photo, settings, "test", project_id, "b" * 32 + ".jpg", "Oude foto")
    url = "/beheer/projecten/" + suffix.format(id=project_id, update=update_id)
    before = db.data_version()

    for token in ("verkeerd", None):
        form = {**data, **({"csrf": token} if token else {})}
        response = await client.post(url, data=form)
        assert response.status_code == 400, url
        assert "Het formulier is verlopen" in response.text
        for value in data.values():
            assert value in response.text
    assert db.data_version() == before


# --- Escaping ---------------------------------------------------------------------------


async def test_html_in_text_is_escaped_on_the_public_page(admin, db):
    client, csrf = admin
    form = new_project_form(
        csrf,
        title=f"Titel {SCRIPT}",
        summary=f"Samenvatting {SCRIPT}",
        description=f"Beschrijving {SCRIPT} <img src=x onerror=alert(1)>",
        trekker_name=f"Trekker {SCRIPT}",
        trekker_consent="y",
    )
    assert (await client.post("/beheer/projecten/nieuw", data=form)).status_code == 303
    project_id = db.scalar("SELECT id FROM projects")
    slug = project_row(db, project_id)["slug"]
    await change_phase(client, csrf, project_id, "gestopt", note=f"Reden {SCRIPT}")
    await client.post(
        f"/beheer/projecten/{project_id}/updates/nieuw",
        data={"csrf": csrf, "title": f"Nieuws {SCRIPT}", "body": f"Tekst {SCRIPT}"},
    )

    for url in (f"/projecten/{slug}", "/projecten", "/beheer/projecten"):
        text = (await client.get(url)).text
        assert "<script" not in text.lower(), url
        assert not re.search(r"<[a-z][^>]*\sonerror", text, re.I), url
    public = (await client.get(f"/projecten/{slug}")).text
    assert "Titel &lt;script&gt;alert(1)&lt;/script&gt;" in public
    assert "Reden &lt;script&gt;" in public
    assert "Nieuws &lt;script&gt;" in public


async def test_public_pages_of_other_origins_cannot_post(app, db, settings):
    """A cross-site POST never reaches the beheer endpoints, signed in or not."""
    project_id, _slug = add_project(db, settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as other:
        response = await other.post(
            f"/beheer/projecten/{project_id}/verwijderen",
            headers={"Origin": "https://evil.example"},
        )
    assert response.status_code == 403
    assert project_row(db, project_id)["removed_at"] is None
