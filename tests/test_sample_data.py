"""The sample data: one TOML file per kern, read and checked by one loader, written through
the same data functions as beheer. A broken file is one readable error naming the file and
the field, and writes nothing."""

from __future__ import annotations

import json
import shutil
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w
from PIL import Image

from node.app import open_database
from node.kern import sample
from node.kern.agenda import model as agenda
from node.kern.meetings import model as meetings
from node.kern.projects import model as projects
from node.kern.sample import SampleDataError, load_sample, load_sample_file, read_sample
from node.kern.site import attention
from node.settings import load_settings
from node.web.house_style import contrast_ratio, house_style_css


def beesd_raw() -> dict:
    with sample.sample_path("beesd").open("rb") as handle:
        return tomllib.load(handle)


def write(path: Path, raw: dict) -> Path:
    path.write_text(tomli_w.dumps(raw))
    return path


def content_count(db) -> int:
    return sum(
        db.scalar(f"SELECT count(*) FROM {table}")
        for table in ("themas", "projects", "meetings", "ideas", "news", "agenda_versions")
    )


def test_every_kern_has_a_file_that_reads():
    assert sample.kernen() == ["beesd", "heukelum"]
    for kern in sample.kernen():
        assert read_sample(sample.sample_path(kern)).slug == kern


def test_beesd_loads_with_its_history_counted_from_today(db, settings):
    load_sample(db, settings)

    today = date.today()
    assert db.scalar("SELECT count(*) FROM themas") == 8
    assert db.scalar("SELECT count(*) FROM projects") == 8
    assert [
        row["title"] for row in db.execute("SELECT title FROM agenda_versions ORDER BY id")
    ] == [
        "Najaar 2025",
        "Voorjaar 2026",
    ]
    first = db.scalar("SELECT published_at FROM agenda_versions ORDER BY id LIMIT 1")
    assert first.startswith((today - timedelta(days=200)).isoformat()[:7])
    phases = db.execute(
        """SELECT to_phase, changed_on FROM phase_changes JOIN projects ON projects.id = project_id
           WHERE title = 'AED dag en nacht bereikbaar' ORDER BY phase_changes.id"""
    )
    assert [(row["to_phase"], row["changed_on"]) for row in phases] == [
        (phase, (today - timedelta(days=days)).isoformat())
        for phase, days in (
            ("idee", 240),
            ("verkenning", 200),
            ("planvorming", 120),
            ("uitvoering", 30),
        )
    ]
    coming = db.scalar(
        "SELECT starts_at FROM meetings WHERE title = 'Inloopavond seniorenwoningen'"
    )
    assert coming[:10] == (today + timedelta(days=9)).isoformat()
    # Two years of meetings, each past one with its verslag.
    assert db.scalar("SELECT count(*) FROM meetings WHERE minutes != ''") == 7
    oldest = db.scalar("SELECT min(starts_at) FROM meetings")
    assert oldest[:10] == (today - timedelta(days=700)).isoformat()
    # The kernavond decided to explore the jongerenplek further.
    jongerenplek = "SELECT phase FROM projects WHERE title = 'Jongerenplek bij het sportpark'"
    assert db.scalar(jongerenplek) == "verkenning"
    assert db.scalar("SELECT count(*) FROM supports") == 48 + 112 + 87 + 64 + 23 + 31 + 12 + 57
    site = {row["key"]: json.loads(row["value"]) for row in db.execute("SELECT * FROM site")}
    assert site["group_name"] == "Werkgroep Kernagenda Beesd"


def test_heukelums_first_kernagenda_keeps_its_calendar_date(db, settings):
    load_sample(db, settings, kern="heukelum")

    first = db.execute("SELECT title, published_at FROM agenda_versions ORDER BY id")[0]
    assert (first["title"], first["published_at"]) == (
        "Kernagenda 2021",
        "2021-06-15T17:30:00+00:00",
    )
    assert db.scalar("SELECT count(*) FROM projects") == 8
    assert db.scalar("SELECT count(*) FROM meetings WHERE minutes != ''") == 7


def test_another_kern_gets_the_data_under_its_own_name(db, settings):
    # The fixture's kern is Beesd; the Heukelum texts about the kerngroep are not its own.
    load_sample(db, settings, kern="heukelum")

    site = {row["key"]: json.loads(row["value"]) for row in db.execute("SELECT * FROM site")}
    assert site["group_name"] == f"Inwonersgroep {settings.name}"
    assert "contact_email" not in site


def test_a_kern_with_content_is_refused(db, settings):
    load_sample(db, settings)

    with pytest.raises(ValueError, match="already has content"):
        load_sample(db, settings)


def test_an_unknown_kern_names_the_ones_there_are():
    with pytest.raises(SampleDataError, match="no sample data for 'deil'; .* beesd, heukelum"):
        sample.sample_path("deil")


def _set(raw: dict, path: tuple, value) -> dict:
    node = raw
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


_DELETE = object()

BROKEN = [
    (
        ("projects", 0, "phases", 1, "phase"),
        "ontwerp",
        "projects[0] ('AED dag en nacht bereikbaar') > phases[1] > phase: 'ontwerp' is not a "
        "phase; use one of idee, verkenning, planvorming, uitvoering, afgerond, gepauzeerd, "
        "gestopt",
    ),
    (
        ("projects", 6, "phases", 2, "note"),
        _DELETE,
        "projects[6] ('Dorpsmoestuin achter de kerk') > phases[2]: a move to gestopt needs a "
        "note saying why",
    ),
    (
        ("themas", 0, "titel"),
        "Wonen",
        "themas[0] ('Woningbouw voor senioren en jongeren') > titel: Extra inputs are not "
        "permitted",
    ),
    (
        ("meetings", 2, "in_days"),
        "volgende week",
        "meetings[2] ('Inloopavond seniorenwoningen') > in_days: Input should be a valid integer",
    ),
    (("site", "group_name"), _DELETE, "site > group_name: Field required"),
    (
        ("projects", 0, "reflection"),
        {"what_worked": "Veel.", "learned": "Veel.", "ladder_reached": "adviseren"},
        "projects[0] ('AED dag en nacht bereikbaar'): reflection: only a project that is "
        "afgerond or gestopt looks back",
    ),
    (
        ("meetings", 2, "evaluations"),
        [{"score": 4}],
        "meetings[2] ('Inloopavond seniorenwoningen'): a coming meeting has no evaluations yet",
    ),
    (
        ("meetings", 0, "evaluations", 0, "score"),
        6,
        "meetings[0] ('Kernavond voorjaar') > evaluations[0] > score: Input should be less "
        "than or equal to 5",
    ),
    (
        ("meetings", 0, "projects"),
        ["Een project dat er niet is"],
        "meetings[0] ('Kernavond voorjaar') > projects: no project 'Een project dat er niet is'",
    ),
    (
        ("meetings", 3, "start"),
        "25:00",
        "meetings[3] ('Reanimatiecursus voor buurtbewoners') > start: String should match pattern",
    ),
    (
        ("projects", 0, "asked_gemeente_days_ago"),
        10,
        "projects[0] ('AED dag en nacht bereikbaar'): asked_gemeente_days_ago: needs has no "
        "besluit_gemeente",
    ),
    (
        ("partners", 0, "kind"),
        "sekte",
        "partners[0] > kind: 'sekte' is not a partner kind; use one of vereniging, school",
    ),
    (
        ("partners", 0, "website"),
        "vv-beesd.nl",
        "partners[0] > website: 'vv-beesd.nl' is not an http(s) address",
    ),
    (
        ("partners", 1, "projects", 0, "title"),
        "Geen project",
        "partners[1] ('De basisschool') > projects: no project 'Geen project'",
    ),
]


# Ids from the field's path: the same in every process (pytest-xdist compares them).
@pytest.mark.parametrize(
    ("where", "value", "message"),
    BROKEN,
    ids=[".".join(map(str, where)) for where, _value, _message in BROKEN],
)
def test_a_broken_file_is_one_readable_error_and_writes_nothing(
    db, settings, tmp_path, where, value, message
):
    path = write(tmp_path / "broken.toml", _set(beesd_raw(), where, value))

    with pytest.raises(SampleDataError) as raised:
        load_sample_file(db, settings, path)

    text = str(raised.value)
    assert text.startswith(f"{path}: {message}"), text
    assert "\n" not in text
    assert content_count(db) == 0


def test_a_file_that_is_not_toml_says_so(db, settings, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('slug = "beesd"\n[site\n')

    with pytest.raises(SampleDataError, match=f"^{path} is not valid TOML: "):
        load_sample_file(db, settings, path)

    assert content_count(db) == 0


def test_the_sample_has_evaluations_and_a_look_back_that_federate(db, settings):
    """So the pilot's Inzicht shows what residents said and what a group learned."""
    load_sample(db, settings)

    evening = db.one("SELECT id, slug FROM meetings WHERE title = 'Kernavond voorjaar'")
    playground = db.one(
        "SELECT id, slug FROM projects WHERE title = 'Speeltuin aan de Kerkweg opgeknapt'"
    )
    assert meetings.evaluation_summary(db.read(), evening["id"]) == {"aantal": 5, "gemiddeld": 4.2}
    assert projects.reflection_of(db, playground["id"])["ladder_reached"] == "coproduceren"
    published = [
        json.loads(row["document"]).get("object")
        for row in db.execute("SELECT document FROM federation_outbox ORDER BY position")
    ]
    meeting_objects = [
        o for o in published if isinstance(o, dict) and o["id"].endswith(evening["slug"])
    ]
    assert meeting_objects[-1]["evaluatie"]["aantalAntwoorden"] == 5
    project_objects = [
        o for o in published if isinstance(o, dict) and o["id"].endswith(playground["slug"])
    ]
    assert project_objects[-1]["terugblik"]["bereikteTrede"] == "coproduceren"


def test_the_two_sample_kernen_look_different(tmp_path, template_node):
    """Each kern's own colour pair and logo, stored as beheer stores them."""
    looks = {}
    for kern in sample.kernen():
        shutil.copytree(template_node, tmp_path / kern)
        node_settings = load_settings(tmp_path / kern).with_changes(slug=kern)
        db = open_database(node_settings)
        load_sample(db, node_settings, kern)
        site = {row["key"]: json.loads(row["value"]) for row in db.execute("SELECT * FROM site")}
        db.close()
        logo = node_settings.media_dir / site["logo"]
        with Image.open(logo) as image:
            assert image.format == "PNG"
        assert contrast_ratio(site["colour_primary"], site["colour_primary_text"]) >= 4.5
        looks[kern] = (house_style_css(node_settings, site), logo.read_bytes())
        if site.get("header_image"):
            with Image.open(node_settings.media_dir / site["header_image"]) as image:
                assert image.format == "JPEG" and image.width > image.height
            assert site["header_image_alt"].strip()
    assert "header_image" in sample.read_sample(sample.sample_path("beesd")).site.model_fields_set
    assert looks["beesd"][0] != looks["heukelum"][0]
    assert looks["beesd"][1] != looks["heukelum"][1]


# --- a believable history ------------------------------------------------------------------


@pytest.fixture(params=sample.kernen())
def history_db(request, tmp_path, template_node):
    """A kern filled with its own sample, and the moment loading began."""
    kern = request.param
    shutil.copytree(template_node, tmp_path / kern)
    node_settings = load_settings(tmp_path / kern).with_changes(slug=kern)
    db = open_database(node_settings)
    began = datetime.now(UTC)
    load_sample(db, node_settings, kern)
    yield db, began, node_settings
    db.close()


def moments(db, sql: str) -> list[datetime]:
    return [datetime.fromisoformat(row[0]) for row in db.execute(sql)]


def test_the_history_spans_two_years_and_is_written_in_time_order(history_db):
    db, began, _ = history_db
    stamps = moments(db, "SELECT at FROM events ORDER BY id")
    assert stamps == sorted(stamps)  # each change recorded after the one before it
    assert stamps[-1] <= datetime.now(UTC)
    assert (began - stamps[0]).days >= 600
    # Not one day of loading: changes on many different days, most of them long ago.
    days = {stamp.date() for stamp in stamps}
    assert len(days) >= 30
    assert sum(stamp < began - timedelta(days=90) for stamp in stamps) > len(stamps) / 2
    # What followers and the gemeente receive is dated the same way.
    published = moments(db, "SELECT published FROM federation_outbox ORDER BY position")
    assert published == sorted(published)
    assert (began - published[0]).days >= 600


def test_versions_follow_each_other_in_time(history_db):
    db, _, _ = history_db
    versions = moments(db, "SELECT published_at FROM agenda_versions ORDER BY id")
    assert len(versions) >= 2
    assert all(a < b for a, b in zip(versions, versions[1:], strict=False))
    # Every thema of a version was written down before that version was published.
    for row in db.execute("SELECT published_at, snapshot FROM agenda_versions"):
        for thema in json.loads(row["snapshot"]):
            created = db.scalar("SELECT created_at FROM themas WHERE slug = ?", (thema["slug"],))
            assert created < row["published_at"], thema["slug"]


def test_meetings_are_announced_before_and_reported_after(history_db):
    db, began, _ = history_db
    for row in db.execute("SELECT * FROM meetings"):
        assert row["created_at"] <= row["starts_at"], row["title"]
        if row["minutes"]:
            assert row["minutes_published_at"] > row["ends_at"], row["title"]
            assert row["starts_at"] < began.isoformat()
        # A meeting names projects that had started by then.
        for project in db.execute(
            """SELECT p.title, p.created_at FROM projects p
               JOIN meeting_projects mp ON mp.project_id = p.id WHERE mp.meeting_id = ?""",
            (row["id"],),
        ):
            assert project["created_at"] <= row["created_at"], (row["title"], project["title"])
    for row in db.execute(
        """SELECT e.created_at, m.ends_at FROM meeting_evaluations e
           JOIN meetings m ON m.id = e.meeting_id"""
    ):
        assert row["created_at"] > row["ends_at"]


def test_projects_change_in_order_and_some_stand_still(history_db):
    db, began, _ = history_db
    for project in db.execute("SELECT * FROM projects"):
        changes = db.execute(
            "SELECT changed_on, changed_at FROM phase_changes WHERE project_id = ? ORDER BY id",
            (project["id"],),
        )
        days = [row["changed_on"] for row in changes]
        assert days == sorted(days), project["title"]
        assert changes[0]["changed_at"] >= project["created_at"]
        assert project["updated_at"] >= changes[-1]["changed_at"]
    # "Geen wijziging sinds 3 maanden" finds something, and so does a recent change.
    quiet = timedelta(days=90)
    updated = moments(db, "SELECT updated_at FROM projects")
    assert any(stamp < began - quiet for stamp in updated)
    assert any(stamp > began - quiet for stamp in updated)


def test_ideas_are_answered_after_they_came_in(history_db):
    db, _, _ = history_db
    rows = db.execute("SELECT * FROM ideas")
    assert len({row["created_at"][:10] for row in rows}) == len(rows)
    for row in rows:
        for later in ("published_at", "decided_at"):
            if row[later]:
                assert row[later] > row["created_at"], (row["title"], later)
    news = db.execute("SELECT published_at, created_at FROM news")
    assert all(row["created_at"] <= row["published_at"] for row in news)


def test_the_dashboard_names_projects_that_stood_still_for_three_months(history_db):
    db, began, node_settings = history_db
    waiting = attention.needs_attention(db, node_settings, began)
    stale = [item.title for item in waiting if item.kind == "project_stale"]
    assert stale
    for title in stale:
        updated = datetime.fromisoformat(
            db.scalar("SELECT updated_at FROM projects WHERE title = ?", (title,))
        )
        assert began - updated > timedelta(days=attention.STALE_PROJECT_DAYS)


def test_a_project_asks_the_gemeente_on_its_own_day(history_db):
    """The gemeente's response time counts from the first activity whose project asks it."""
    db, began, _ = history_db
    asked = {}
    for row in db.execute("SELECT document FROM federation_outbox ORDER BY position"):
        activity = json.loads(row["document"])
        obj = activity.get("object")
        if not isinstance(obj, dict) or "besluit_gemeente" not in obj.get("behoeften", []):
            continue
        asked.setdefault(obj["name"], datetime.fromisoformat(activity["published"]))
    days = sorted((began - moment).days for moment in asked.values())
    assert len(days) == 2
    # Asked weeks or months ago, and later than the project began.
    assert all(10 < day < 200 for day in days), days


def test_each_later_version_says_what_changed(history_db):
    """Each version after the first answers "Wat is er veranderd" with real changes."""
    db, _, _ = history_db
    versions = db.execute("SELECT * FROM agenda_versions ORDER BY published_at")
    for version in versions[1:]:
        previous, diff = agenda.diff_with_previous(db, version)
        assert previous is not None and previous["published_at"] < version["published_at"]
        assert not diff.empty, version["title"]


def test_the_sample_history_mails_nobody(db, settings):
    """Its ideas, sign-ups and volunteers are months old: no one is told of them as new."""
    load_sample(db, settings)
    assert db.scalar("SELECT count(*) FROM ideas") > 0
    assert db.scalar("SELECT count(*) FROM mail_queue") == 0
    assert db.scalar("SELECT count(*) FROM happenings") == 0
