"""The sample data: one TOML file per kern, read and checked by one loader, written through
the same data functions as beheer. A broken file is one readable error naming the file and
the field, and writes nothing."""

from __future__ import annotations

import json
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
import tomli_w

from node.kern import sample
from node.kern.meetings import model as meetings
from node.kern.projects import model as projects
from node.kern.sample import SampleDataError, load_sample, load_sample_file, read_sample


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
