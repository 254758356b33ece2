"""Realistic sample data for a kern: one TOML file per kern in this folder, one loader.

Used by `bloei demo` and `bloei pilot`, the browser tests and the benchmarks. The files were
written for Bloei from public facts about West Betuwe (beesd.toml, heukelum.toml). The loader
checks a file completely before writing anything (SampleDataError names the file and the
field), then writes through the same data functions as beheer, so the sample also makes
events, audit lines, search entries and federation. Dates are counted back from the day of
loading (`days_ago`, `in_days`), so a demo always has past and coming meetings; a date that
is history (Heukelum's first kernagenda) is a calendar date.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from node.db import Database
from node.kern.agenda import model as agenda
from node.kern.ideas import model as ideas
from node.kern.meetings import evaluations, rsvp
from node.kern.meetings import model as meetings
from node.kern.news import model as news
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.settings import Settings
from node.vocabulary import (
    BUDGET_SOURCES,
    LADDER,
    NEEDS,
    PARTNER_KINDS,
    PARTNER_ROLES,
    PHASES,
    PHASES_NEEDING_REASON,
    PRIORITIES,
    THEMA_STATUSES,
    WHO_ACTS,
)

FOLDER = Path(__file__).resolve().parent
# Who the sample's changes are by, in the audit log and the history.
WHO = "Inwonersgroep (voorbeeld)"
DEFAULT_KERN = "beesd"


class SampleDataError(ValueError):
    """A sample data file is missing, not TOML, or says something the loader cannot write."""


def kernen() -> list[str]:
    """The kernen with a sample data file."""
    return sorted(path.stem for path in FOLDER.glob("*.toml"))


def sample_path(kern: str) -> Path:
    if kern not in kernen():
        raise SampleDataError(
            f"no sample data for {kern!r}; there is sample data for {', '.join(kernen())}"
        )
    return FOLDER / f"{kern}.toml"


# --- the file's shape ------------------------------------------------------------------------

Text = Annotated[str, Field(min_length=1)]
Days = Annotated[int, Field(ge=0, le=3650)]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def _one_of(table: dict, what: str):
    """A validator: the value is a key of the vocabulary `table`."""

    def check(value: str) -> str:
        if value not in table:
            raise ValueError(f"{value!r} is not a {what}; use one of {', '.join(table)}")
        return value

    return check


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(Strict):
    group_name: Text
    group_description: str = ""
    contact_email: str = ""
    contact_address: str = ""
    # Each thema page shows other kernen on the same subject (node/kern/neighbours/).
    show_other_kernen: bool = False


class Thema(Strict):
    title: Text
    priority: str
    status: str
    # The status in the first kernagenda, when it differs from today's.
    first_status: str | None = None
    actor: str
    actor_other: str = ""
    description: str = ""
    # The agenda version (1 = the first) before which the thema was added.
    added_in: int = Field(default=1, ge=1)

    _priority = field_validator("priority")(_one_of(PRIORITIES, "priority"))
    _status = field_validator("status", "first_status")(_one_of(THEMA_STATUSES, "thema status"))
    _actor = field_validator("actor")(_one_of(WHO_ACTS, "actor"))


class AgendaVersion(Strict):
    title: Text
    introduction: str = ""
    # When it was published: days before loading, or a calendar date; neither is at loading.
    days_ago: Days | None = None
    published_on: date | None = None
    at: Clock = "19:30"

    @model_validator(mode="after")
    def one_moment(self) -> AgendaVersion:
        if self.days_ago is not None and self.published_on is not None:
            raise ValueError("give days_ago or published_on, not both")
        return self


class Phase(Strict):
    phase: str
    days_ago: Days
    note: str = ""

    _phase = field_validator("phase")(_one_of(PHASES, "phase"))

    @model_validator(mode="after")
    def reason_given(self) -> Phase:
        if self.phase in PHASES_NEEDING_REASON and not self.note.strip():
            raise ValueError(f"a move to {self.phase} needs a note saying why")
        return self


class Trekker(Strict):
    name: str
    consent: bool


class Budget(Strict):
    requested: int | None = Field(default=None, ge=0)
    granted: int | None = Field(default=None, ge=0)
    source: str = ""
    other: str = ""  # what "anders" means

    @field_validator("source")
    @classmethod
    def known_source(cls, value: str) -> str:
        return _one_of(BUDGET_SOURCES, "budget source")(value) if value else value


class Update(Strict):
    title: Text
    body: Text
    days_ago: Days


class Volunteer(Strict):
    name: Text
    contact: str = ""
    message: str = ""


class Reflection(Strict):
    what_worked: Text
    learned: Text
    ladder_reached: str

    _step = field_validator("ladder_reached")(_one_of(LADDER, "ladder step"))


class Project(Strict):
    title: Text
    summary: Text
    description: str = ""
    themas: list[Text] = []
    phases: list[Phase] = Field(min_length=1)
    trekker: Trekker | None = None
    ladder: str = ""
    needs: list[str] = []
    budget: Budget = Budget()
    updates: list[Update] = []
    supports: int = Field(default=0, ge=0, le=10000)
    volunteers: list[Volunteer] = []
    reflection: Reflection | None = None

    @field_validator("ladder")
    @classmethod
    def known_step(cls, value: str) -> str:
        return _one_of(LADDER, "ladder step")(value) if value else value

    _needs = field_validator("needs")(lambda values: [_one_of(NEEDS, "need")(v) for v in values])

    @model_validator(mode="after")
    def history_in_order(self) -> Project:
        for before, after in zip(self.phases, self.phases[1:], strict=False):
            if after.days_ago > before.days_ago:
                raise ValueError(
                    f"phases: {after.phase} comes before {before.phase}; list in order"
                )
            if after.phase == before.phase:
                raise ValueError(f"phases: {after.phase} twice in a row")
        if self.reflection and self.phases[-1].phase not in projects.REFLECTION_PHASES:
            raise ValueError("reflection: only a project that is afgerond or gestopt looks back")
        return self


class Decision(Strict):
    project: Text
    phase: str

    _phase = field_validator("phase")(_one_of(PHASES, "phase"))


class Evaluation(Strict):
    score: int = Field(ge=1, le=5)
    went_well: str = ""
    could_be_better: str = ""


class Meeting(Strict):
    title: Text
    # A past meeting is days_ago (0 is today), a coming one in_days.
    days_ago: Days | None = None
    in_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    start: Clock
    end: Clock
    place: Text
    address: str = ""
    capacity: int | None = Field(default=None, ge=1)
    description: str = ""
    themas: list[Text] = []
    projects: list[Text] = []
    minutes: str = ""
    decisions: list[Decision] = []
    evaluations: list[Evaluation] = []

    @model_validator(mode="after")
    def one_day(self) -> Meeting:
        if (self.days_ago is None) == (self.in_days is None):
            raise ValueError("give days_ago (a past meeting) or in_days (a coming one)")
        if self.start >= self.end:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        if self.in_days is not None and (self.minutes or self.decisions):
            raise ValueError("a coming meeting has no minutes or decisions yet")
        if self.decisions and not self.minutes:
            raise ValueError("decisions are part of the minutes: write the minutes too")
        if self.in_days is not None and self.evaluations:
            raise ValueError("a coming meeting has no evaluations yet")
        return self


class Guest(Strict):
    name: Text
    people: int = Field(ge=1, le=20)


class Idea(Strict):
    title: Text
    body: Text
    state: Literal["new", "published", "declined"]
    answer: str = ""


class News(Strict):
    title: Text
    body: Text
    days_ago: Days


class PartnerRole(Strict):
    title: Text  # of a thema or a project in the file
    role: str

    _role = field_validator("role")(_one_of(PARTNER_ROLES, "partner role"))


class Partner(Strict):
    name: Text
    kind: str
    description: str = ""
    website: str = ""
    contact: str = ""
    themas: list[PartnerRole] = []
    projects: list[PartnerRole] = []

    _kind = field_validator("kind")(_one_of(PARTNER_KINDS, "partner kind"))

    @field_validator("website")
    @classmethod
    def web_address(cls, value: str) -> str:
        if value and not partners.is_web_address(value):
            raise ValueError(f"{value!r} is not an http(s) address")
        return value


class Sample(Strict):
    # The site texts are for the kern with this slug; another kern gets a plain group name.
    slug: Text
    # Supporters are stored as '<tag>-<project>-<number>'.
    supporter_tag: Text
    site: Site
    themas: list[Thema] = Field(min_length=1)
    agenda: list[AgendaVersion] = Field(min_length=1)
    projects: list[Project] = []
    meetings: list[Meeting] = []
    guests: list[Guest] = []
    ideas: list[Idea] = []
    news: list[News] = []
    partners: list[Partner] = []


def _where(location: tuple, raw: dict) -> str:
    """('projects', 3, 'phases', 1, 'phase') -> "projects[3] ('Dorpsmoestuin') > phases[1] > phase"."""
    parts: list[str] = []
    node = raw
    for step in location:
        if isinstance(step, int) and parts:
            parts[-1] += f"[{step}]"
            title = (
                node[step].get("title")
                if isinstance(node, list) and isinstance(node[step], dict)
                else None
            )
            if title:
                parts[-1] += f" ({title!r})"
        else:
            parts.append(str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return " > ".join(parts) or "the file"


def read_sample(path: Path) -> Sample:
    """The checked content of one sample file; SampleDataError names the file and the field."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise SampleDataError(f"sample data file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise SampleDataError(f"{path} is not valid TOML: {error}") from None
    try:
        sample = Sample.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        more = error.error_count() - 1
        also = f" (and {more} more)" if more else ""
        message = first["msg"].removeprefix("Value error, ")
        raise SampleDataError(f"{path}: {_where(first['loc'], raw)}: {message}{also}") from None
    _check_references(path, sample)
    return sample


def _check_references(path: Path, sample: Sample) -> None:
    """Titles that name a thema or project must name one in the file."""
    thema_titles = {thema.title for thema in sample.themas}
    project_titles = {project.title for project in sample.projects}
    last_version = len(sample.agenda)
    for number, thema in enumerate(sample.themas):
        if thema.added_in > last_version:
            raise SampleDataError(
                f"{path}: themas[{number}] ({thema.title!r}) > added_in: there are only "
                f"{last_version} agenda versions"
            )
    for kind, items in (("projects", sample.projects), ("meetings", sample.meetings)):
        for number, item in enumerate(items):
            for title in item.themas:
                if title not in thema_titles:
                    raise SampleDataError(
                        f"{path}: {kind}[{number}] ({item.title!r}) > themas: no thema {title!r}"
                    )
    for number, partner in enumerate(sample.partners):
        for kind, titles, linked in (
            ("themas", thema_titles, partner.themas),
            ("projects", project_titles, partner.projects),
        ):
            for link in linked:
                if link.title not in titles:
                    raise SampleDataError(
                        f"{path}: partners[{number}] ({partner.name!r}) > {kind}: "
                        f"no {kind[:-1]} {link.title!r}"
                    )
    for number, meeting in enumerate(sample.meetings):
        for title in meeting.projects:
            if title not in project_titles:
                raise SampleDataError(
                    f"{path}: meetings[{number}] ({meeting.title!r}) > projects: "
                    f"no project {title!r}"
                )
        for decision in meeting.decisions:
            if decision.project not in meeting.projects:
                raise SampleDataError(
                    f"{path}: meetings[{number}] ({meeting.title!r}) > decisions: "
                    f"{decision.project!r} is not one of the meeting's projects"
                )


# --- writing it ------------------------------------------------------------------------------


def load_sample(db: Database, settings: Settings, kern: str = DEFAULT_KERN) -> None:
    """Fill an empty kern with the sample data of `kern` (a file in this folder)."""
    load_sample_file(db, settings, sample_path(kern))


def load_sample_file(db: Database, settings: Settings, path: Path) -> None:
    """Fill an empty kern with the sample data in `path`; refuses a kern that has content."""
    sample = read_sample(path)
    if db.scalar("SELECT count(*) FROM themas") or db.scalar("SELECT count(*) FROM projects"):
        raise ValueError("this kern already has content; sample data goes into an empty kern only")
    db.write(_load, settings, sample)


def _load(conn: sqlite3.Connection, settings: Settings, sample: Sample) -> None:
    today = date.today()
    if settings.slug == sample.slug:
        site = sample.site.model_dump()
    else:
        site = {"group_name": f"Inwonersgroep {settings.name}"}
    _set_site(conn, site)
    thema_ids = _load_agenda(conn, settings, sample, today)
    _load_projects(conn, settings, sample, thema_ids, today)
    _load_partners(conn, settings, sample, thema_ids)
    _load_meetings(conn, settings, sample, thema_ids, today)
    _load_ideas_and_news(conn, settings, sample, today)


def _set_site(conn: sqlite3.Connection, values: dict) -> None:
    for key, value in values.items():
        conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False)),
        )


def _thema_values(thema: Thema, status: str) -> dict:
    return {
        "title": thema.title,
        "description": thema.description,
        "priority": thema.priority,
        "status": status,
        "actor": thema.actor,
        "actor_other": thema.actor_other,
    }


def _load_agenda(
    conn: sqlite3.Connection, settings: Settings, sample: Sample, today: date
) -> dict[str, int]:
    """The kernagenda version by version: each thema is added before the version it first
    appears in, with its first status, and has today's status from the next version on."""
    thema_ids: dict[str, int] = {}
    for number, version in enumerate(sample.agenda, start=1):
        for thema in sample.themas:
            if thema.title in thema_ids and thema.added_in < number:
                _set_status(conn, settings, thema, thema_ids[thema.title], thema.status)
        for thema in sample.themas:
            if thema.added_in == number:
                values = _thema_values(thema, thema.first_status or thema.status)
                slug = agenda.save_thema(conn, settings, WHO, values)
                thema_ids[thema.title] = _id_of(conn, "themas", slug)
        slug = agenda.publish_version(conn, settings, WHO, version.title, version.introduction)
        published = _published_day(version, today)
        if published is not None:
            moment = meetings.local_moment(published, _clock(version.at))
            conn.execute(
                "UPDATE agenda_versions SET published_at = ? WHERE slug = ?",
                (meetings.utc_iso(moment), slug),
            )
    for thema in sample.themas:
        _set_status(conn, settings, thema, thema_ids[thema.title], thema.status)
    return thema_ids


def _set_status(
    conn: sqlite3.Connection, settings: Settings, thema: Thema, thema_id: int, status: str
) -> None:
    row = conn.execute("SELECT status FROM themas WHERE id = ?", (thema_id,)).fetchone()
    if row["status"] != status:
        agenda.save_thema(conn, settings, WHO, _thema_values(thema, status), thema_id)


def _published_day(version: AgendaVersion, today: date) -> date | None:
    if version.published_on is not None:
        return version.published_on
    if version.days_ago is not None:
        return today - timedelta(days=version.days_ago)
    return None


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes)


def _id_of(conn: sqlite3.Connection, table: str, slug: str) -> int:
    return conn.execute(f"SELECT id FROM {table} WHERE slug = ?", (slug,)).fetchone()[0]


def _load_projects(
    conn: sqlite3.Connection, settings: Settings, sample: Sample, thema_ids: dict, today: date
) -> None:
    """Projects with their phase history, updates, supporters and volunteers, backdated."""
    for number, project in enumerate(sample.projects):
        first, *later = project.phases
        started = today - timedelta(days=first.days_ago)
        trekker = project.trekker or Trekker(name="", consent=False)
        values = {
            "title": project.title,
            "summary": project.summary,
            "description": project.description,
            "trekker_name": trekker.name,
            "trekker_consent": trekker.consent,
            "ladder": project.ladder,
            "needs": list(project.needs),
            "budget_requested": project.budget.requested,
            "budget_granted": project.budget.granted,
            "budget_source": project.budget.source,
            "budget_source_other": project.budget.other,
            "start_date": started.isoformat(),
            "target_date": None,
        }
        slug = projects.save_project(
            conn,
            settings,
            WHO,
            values,
            [thema_ids[title] for title in project.themas],
            phase=first.phase,
            phase_note=first.note,
            started_on=started,
        )
        project_id = _id_of(conn, "projects", slug)
        for step in later:
            projects.change_phase(
                conn,
                settings,
                WHO,
                project_id,
                step.phase,
                step.note,
                today - timedelta(days=step.days_ago),
            )
        for update in project.updates:
            projects.add_update(
                conn,
                settings,
                WHO,
                project_id,
                update.title,
                update.body,
                today - timedelta(days=update.days_ago),
            )
        for supporter in range(project.supports):
            projects.add_support(conn, project_id, f"{sample.supporter_tag}-{number}-{supporter}")
        for volunteer in project.volunteers:
            projects.add_volunteer(
                conn, project_id, volunteer.name, volunteer.contact, volunteer.message
            )
        if project.reflection:
            projects.save_reflection(
                conn,
                settings,
                WHO,
                project_id,
                project.reflection.what_worked,
                project.reflection.learned,
                project.reflection.ladder_reached,
            )


def _load_partners(
    conn: sqlite3.Connection, settings: Settings, sample: Sample, thema_ids: dict
) -> None:
    """The partners, then each thema and project they act or help on, published again."""
    links: dict[str, dict[int, dict[int, str]]] = {"thema": {}, "project": {}}
    for partner in sample.partners:
        values = partner.model_dump(include=set(partners.PARTNER_FIELDS))
        partner_id = _id_of(conn, "partners", partners.save_partner(conn, settings, WHO, values))
        for link in partner.themas:
            links["thema"].setdefault(thema_ids[link.title], {})[partner_id] = link.role
        for link in partner.projects:
            project_id = conn.execute(
                "SELECT id FROM projects WHERE title = ? AND removed_at IS NULL", (link.title,)
            ).fetchone()[0]
            links["project"].setdefault(project_id, {})[partner_id] = link.role
    for thema_id, roles in links["thema"].items():
        partners.set_links(conn, "thema", thema_id, roles)
        agenda.republish_thema(conn, settings, WHO, thema_id)
    for project_id, roles in links["project"].items():
        partners.set_links(conn, "project", project_id, roles)
        projects.republish_project(conn, settings, WHO, project_id)


def _load_meetings(
    conn: sqlite3.Connection, settings: Settings, sample: Sample, thema_ids: dict, today: date
) -> None:
    """Meetings with their thema's and projects: sign-ups for the coming ones, verslagen (and
    the phase moves they decided) for the past ones."""
    for meeting in sample.meetings:
        offset = meeting.in_days if meeting.in_days is not None else -(meeting.days_ago or 0)
        day = today + timedelta(days=offset)
        project_ids = {
            title: conn.execute("SELECT id FROM projects WHERE title = ?", (title,)).fetchone()[0]
            for title in meeting.projects
        }
        slug = meetings.create_meeting(
            conn,
            settings,
            WHO,
            {
                "title": meeting.title,
                "description": meeting.description,
                "capacity": meeting.capacity,
                "starts_at": meetings.utc_iso(meetings.local_moment(day, _clock(meeting.start))),
                "ends_at": meetings.utc_iso(meetings.local_moment(day, _clock(meeting.end))),
                "place_name": meeting.place,
                "place_address": meeting.address,
            },
            [thema_ids[title] for title in meeting.themas],
            list(project_ids.values()),
        )
        meeting_id = _id_of(conn, "meetings", slug)
        if meeting.in_days is not None:
            for number, guest in enumerate(sample.guests):
                name = f"{guest.name} (voorbeeld {number})"
                rsvp.sign_up(conn, settings, meeting_id, name, "", "", guest.people)
        elif meeting.minutes:
            decisions = [
                meetings.Decision(project_ids[decision.project], decision.phase, "")
                for decision in meeting.decisions
            ]
            meetings.save_minutes(conn, settings, WHO, meeting_id, meeting.minutes, decisions)
        for number, answer in enumerate(meeting.evaluations):
            evaluations.save_evaluation(
                conn,
                meeting_id,
                f"{sample.supporter_tag}-{slug}-{number}",
                answer.score,
                answer.went_well,
                answer.could_be_better,
            )
    # The sample's evenings are long over: their figures go out now, not after a quiet spell.
    settled = datetime.now(UTC) + timedelta(minutes=evaluations.QUIET_MINUTES + 1)
    evaluations.publish_settled_figures(conn, settings, settled)


def _load_ideas_and_news(
    conn: sqlite3.Connection, settings: Settings, sample: Sample, today: date
) -> None:
    """Ideas in each state the group can give them, and news."""
    for idea in sample.ideas:
        idea_id, _token = ideas.submit_idea(conn, settings, idea.title, idea.body)
        if idea.state == "published":
            ideas.publish_idea(conn, settings, WHO, idea_id)
            if idea.answer:
                ideas.answer_idea(conn, settings, WHO, idea_id, idea.answer)
        elif idea.state == "declined":
            ideas.decline_idea(conn, settings, WHO, idea_id, idea.answer)
    for item in sample.news:
        published = (today - timedelta(days=item.days_ago)).isoformat() + "T09:00:00+00:00"
        news.save_news(
            conn, settings, WHO, {"title": item.title, "body": item.body, "published_at": published}
        )
