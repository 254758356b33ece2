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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from federation.store import clock_set_to
from node.db import Database
from node.kern import happenings
from node.kern.agenda import model as agenda
from node.kern.ideas import model as ideas
from node.kern.meetings import evaluations, rsvp
from node.kern.meetings import model as meetings
from node.kern.news import model as news
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.kern.site import images
from node.settings import HEX_COLOUR_RE, Settings
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
from node.web import house_style

FOLDER = Path(__file__).resolve().parent
# Who the sample's changes are by, in the audit log and the history.
WHO = "Inwonersgroep (voorbeeld)"
DEFAULT_KERN = "beesd"
# The need that makes a project wait for the gemeente (the gemeente's response time).
GEMEENTE_DECISION = "besluit_gemeente"


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
    # The kern's own look: its colour pair (checked as beheer checks it) and a logo, a PNG in
    # this folder, stored as beheer stores an upload.
    colour_primary: Annotated[str, Field(pattern=HEX_COLOUR_RE.pattern)] | None = None
    colour_primary_text: Annotated[str, Field(pattern=HEX_COLOUR_RE.pattern)] | None = None
    colour_accent: Annotated[str, Field(pattern=HEX_COLOUR_RE.pattern)] | None = None
    logo: str = ""
    # A header image beside the sample files, with the words for who cannot see it.
    header_image: str = ""
    header_image_alt: str = ""

    @model_validator(mode="after")
    def readable_pair(self) -> Site:
        if self.colour_primary:
            text = self.colour_primary_text or house_style.WHITE
            ratio = house_style.contrast_ratio(self.colour_primary, text)
            if ratio < house_style.TEXT_CONTRAST:
                raise ValueError(f"colour_primary and its text are {ratio:.2f}:1, under 4.5:1")
        for name in (self.logo, self.header_image):
            if name and not (FOLDER / name).is_file():
                raise ValueError(f"no file {name!r} beside the sample files")
        if self.header_image and not self.header_image_alt.strip():
            raise ValueError("header_image needs header_image_alt: what the image shows")
        return self


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
    # The day the group asked the gemeente for a decision, when that came later than the
    # start: until then the project does not ask (`besluit_gemeente` joins its needs that
    # day), so the gemeente's response time counts from the real question.
    asked_gemeente_days_ago: int | None = Field(default=None, ge=0)

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
        if self.asked_gemeente_days_ago is not None:
            if GEMEENTE_DECISION not in self.needs:
                raise ValueError(f"asked_gemeente_days_ago: needs has no {GEMEENTE_DECISION}")
            if self.asked_gemeente_days_ago > self.phases[0].days_ago:
                raise ValueError("asked_gemeente_days_ago: before the project started")
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
    # When it came in; it is published or declined two days later, answered a week after.
    days_ago: Days = 30


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
        started = {project.title: project.phases[0].days_ago for project in sample.projects}
        for title in meeting.projects:
            past = meeting.days_ago if meeting.days_ago is not None else -(meeting.in_days or 0)
            if started[title] < past:
                raise SampleDataError(
                    f"{path}: meetings[{number}] ({meeting.title!r}) > projects: {title!r} "
                    f"starts {started[title]} days ago, after the meeting ({past} days ago)"
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
    """Fill an empty kern with the sample data in `path`; refuses a kern that has content.

    The history is written step by step in the order it happened, each step in its own
    transaction at its own moment (`clock_set_to`): every stamp, event and activity carries
    the date the file gives it, so stale projects, response times and what changed between
    versions show real figures. The file is checked completely first; a kern that already
    has content is refused before anything is written.
    """
    sample = read_sample(path)
    if db.scalar("SELECT count(*) FROM themas") or db.scalar("SELECT count(*) FROM projects"):
        raise ValueError("this kern already has content; sample data goes into an empty kern only")
    stored = {}
    if settings.slug == sample.slug:
        savers = {"logo": images.save_logo, "header_image": images.save_header_image}
        for key, save in savers.items():
            name = getattr(sample.site, key)
            if name:
                stored[key] = save((FOLDER / name).read_bytes(), settings.media_dir)
    try:
        for step in history(settings, sample, stored, datetime.now(UTC)):
            with clock_set_to(step.at):
                db.write(_in_the_past, step.write)
    except BaseException:
        for name in stored.values():
            images.delete_image(settings.media_dir, name)
        raise
    # The sample's evenings are long over: their figures go out now, not after a quiet spell.
    settled = datetime.now(UTC) + timedelta(minutes=evaluations.QUIET_MINUTES + 1)
    db.write(evaluations.publish_settled_figures, settings, settled)


def _in_the_past(conn: sqlite3.Connection, write: Callable[[sqlite3.Connection], object]) -> None:
    """One step of the sample's history, without the mails it would send.

    The history happened weeks or months ago: nobody is told of an idea, a sign-up or a
    volunteer of then as if it were new. Its happenings are taken before the mail effects
    see them; its events and activities stay, as the kern's public record.
    """
    write(conn)
    happenings.take(conn)


@dataclass(frozen=True)
class Step:
    """One change of the sample's history: when it happened, and the write that makes it."""

    at: datetime
    order: int
    what: str
    write: Callable[[sqlite3.Connection], object]


class History:
    """Collects the steps; `ids` is filled as they run, in time order, for later steps."""

    def __init__(self, today: date, loaded_at: datetime):
        self.today = today
        self.loaded_at = loaded_at
        self.steps: list[Step] = []
        self.ids: dict[tuple[str, str], int] = {}

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def moment(self, day: date, clock: str = "10:00") -> datetime:
        """A Dutch wall-clock moment on `day`, never later than the loading itself."""
        return min(meetings.local_moment(day, _clock(clock)).astimezone(UTC), self.loaded_at)

    def add(self, at: datetime, what: str, write: Callable[[sqlite3.Connection], object]) -> None:
        self.steps.append(Step(min(at, self.loaded_at), len(self.steps), what, write))

    def in_order(self) -> list[Step]:
        # Ties keep the order they were added in: a project exists before its first update.
        return sorted(self.steps, key=lambda step: (step.at, step.order))


def history(
    settings: Settings, sample: Sample, images_stored: dict[str, str], loaded_at: datetime
) -> list[Step]:
    """The sample as dated steps in the order they happened; `images_stored` holds the names
    the logo and header image were stored under."""
    h = History(loaded_at.astimezone(meetings.AMSTERDAM).date(), loaded_at)
    if settings.slug == sample.slug:
        site = {k: v for k, v in sample.site.model_dump().items() if v is not None}
        site.update(images_stored)
    else:
        site = {"group_name": f"Inwonersgroep {settings.name}"}
    used = _first_use(sample, h)
    versions = [_published_day(version, h.today) or h.today for version in sample.agenda]
    beginning = min([*versions, *used.values()]) - timedelta(days=30)
    h.add(h.moment(beginning), "site", lambda conn: _set_site(conn, site))
    _agenda_steps(h, settings, sample, versions, used)
    _project_steps(h, settings, sample)
    _partner_steps(h, settings, sample)
    _meeting_steps(h, settings, sample)
    _idea_and_news_steps(h, settings, sample)
    return h.in_order()


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


def _first_use(sample: Sample, h: History) -> dict[str, date]:
    """The first day each thema is named by a project or a meeting: it exists before that."""
    used: dict[str, date] = {}
    for project in sample.projects:
        for title in project.themas:
            day = h.day(project.phases[0].days_ago)
            used[title] = min(used.get(title, day), day)
    for meeting in sample.meetings:
        day = _meeting_day(meeting, h) - timedelta(days=MEETING_NOTICE_DAYS)
        for title in meeting.themas:
            used[title] = min(used.get(title, day), day)
    return used


# A thema is written down some weeks before the version it first appears in, and a new status
# a week before the next version; a meeting is announced three weeks ahead, its verslag is
# written two days after it and the evaluations come in the day after.
THEMA_LEAD_DAYS = 21
STATUS_LEAD_DAYS = 7
MEETING_NOTICE_DAYS = 21
MINUTES_AFTER_DAYS = 2
# An idea is published two days after it came in, and answered a week after that.
PUBLISHED_AFTER_DAYS = 2
ANSWERED_AFTER_DAYS = 9


def _agenda_steps(
    h: History, settings: Settings, sample: Sample, versions: list[date], used: dict[str, date]
) -> None:
    for thema in sample.themas:
        listed = versions[thema.added_in - 1] - timedelta(days=THEMA_LEAD_DAYS)
        day = min(
            [listed, *([used[thema.title] - timedelta(days=1)] if thema.title in used else [])]
        )
        values = _thema_values(thema, thema.first_status or thema.status)
        h.add(h.moment(day), f"thema {thema.title}", partial(_add_thema, h, settings, values))
        if thema.first_status and thema.first_status != thema.status:
            if thema.added_in < len(versions):
                changed = versions[thema.added_in] - timedelta(days=STATUS_LEAD_DAYS)
            else:
                changed = versions[-1] + (h.today - versions[-1]) / 2
            values = _thema_values(thema, thema.status)
            h.add(
                h.moment(max(changed, day), "11:00"),
                f"status {thema.title}",
                partial(_change_thema, h, settings, values),
            )
    for version, day in zip(sample.agenda, versions, strict=True):
        at = h.moment(day, version.at) if day != h.today else h.loaded_at
        h.add(
            at,
            f"version {version.title}",
            partial(
                agenda.publish_version,
                settings=settings,
                who=WHO,
                title=version.title,
                introduction=version.introduction,
            ),
        )


def _add_thema(h: History, settings: Settings, values: dict, conn: sqlite3.Connection) -> None:
    slug = agenda.save_thema(conn, settings, WHO, values)
    h.ids["thema", values["title"]] = _id_of(conn, "themas", slug)


def _change_thema(h: History, settings: Settings, values: dict, conn: sqlite3.Connection) -> None:
    agenda.save_thema(conn, settings, WHO, values, h.ids["thema", values["title"]])


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


def _project_steps(h: History, settings: Settings, sample: Sample) -> None:
    """Each project from its first phase on: later phases, updates, supporters, volunteers
    and the look back, each on its own day."""
    for number, project in enumerate(sample.projects):
        first, *later = project.phases
        started = h.day(first.days_ago)
        key = ("project", project.title)
        h.add(
            h.moment(started),
            f"project {project.title}",
            partial(_add_project, h, settings, project),
        )
        for step in later:
            h.add(
                h.moment(h.day(step.days_ago), "19:30"),
                f"phase {project.title} {step.phase}",
                partial(
                    _change_phase, h, settings, key, step.phase, step.note, h.day(step.days_ago)
                ),
            )
        for update in project.updates:
            day = h.day(update.days_ago)
            h.add(
                h.moment(day, "12:00"),
                f"update {project.title}",
                lambda conn, key=key, update=update, day=day: projects.add_update(
                    conn, settings, WHO, h.ids[key], update.title, update.body, day
                ),
            )
        if project.asked_gemeente_days_ago is not None:
            h.add(
                h.moment(h.day(project.asked_gemeente_days_ago), "09:00"),
                f"ask gemeente {project.title}",
                partial(_ask_gemeente, h, settings, project),
            )
        # Support and volunteers come in while the project is young: halfway its life so far.
        halfway = started + (h.today - started) / 2
        tag = f"{sample.supporter_tag}-{number}"
        h.add(
            h.moment(halfway, "15:00"),
            f"support {project.title}",
            partial(_add_support, h, key, tag, project),
        )
        if project.reflection:
            ended = h.day(project.phases[-1].days_ago) + timedelta(days=7)
            reflection = project.reflection
            h.add(
                h.moment(min(ended, h.today), "20:00"),
                f"reflection {project.title}",
                lambda conn, key=key, r=reflection: projects.save_reflection(
                    conn, settings, WHO, h.ids[key], r.what_worked, r.learned, r.ladder_reached
                ),
            )


def _partner_steps(h: History, settings: Settings, sample: Sample) -> None:
    """The partners, once the thema's and projects they work on exist: then each of those is
    published again with its partners."""
    if sample.partners:
        h.add(h.loaded_at, "partners", partial(_add_partners, h, settings, sample))


def _add_partners(h: History, settings: Settings, sample: Sample, conn: sqlite3.Connection) -> None:
    links: dict[str, dict[int, dict[int, str]]] = {"thema": {}, "project": {}}
    for partner in sample.partners:
        values = partner.model_dump(include=set(partners.PARTNER_FIELDS))
        partner_id = _id_of(conn, "partners", partners.save_partner(conn, settings, WHO, values))
        for link in partner.themas:
            links["thema"].setdefault(h.ids["thema", link.title], {})[partner_id] = link.role
        for link in partner.projects:
            links["project"].setdefault(h.ids["project", link.title], {})[partner_id] = link.role
    for thema_id, roles in links["thema"].items():
        partners.set_links(conn, "thema", thema_id, roles)
        agenda.republish_thema(conn, settings, WHO, thema_id)
    for project_id, roles in links["project"].items():
        partners.set_links(conn, "project", project_id, roles)
        projects.republish_project(conn, settings, WHO, project_id)


def _project_values(h: History, project: Project, needs: list[str]) -> dict:
    started = h.day(project.phases[0].days_ago)
    trekker = project.trekker or Trekker(name="", consent=False)
    return {
        "title": project.title,
        "summary": project.summary,
        "description": project.description,
        "trekker_name": trekker.name,
        "trekker_consent": trekker.consent,
        "ladder": project.ladder,
        "needs": needs,
        "budget_requested": project.budget.requested,
        "budget_granted": project.budget.granted,
        "budget_source": project.budget.source,
        "budget_source_other": project.budget.other,
        "start_date": started.isoformat(),
        "target_date": None,
    }


def _add_project(
    h: History, settings: Settings, project: Project, conn: sqlite3.Connection
) -> None:
    first = project.phases[0]
    needs = list(project.needs)
    if project.asked_gemeente_days_ago is not None:
        needs.remove(GEMEENTE_DECISION)  # asked later, in _ask_gemeente
    slug = projects.save_project(
        conn,
        settings,
        WHO,
        _project_values(h, project, needs),
        [h.ids["thema", title] for title in project.themas],
        phase=first.phase,
        phase_note=first.note,
        started_on=h.day(first.days_ago),
    )
    h.ids["project", project.title] = _id_of(conn, "projects", slug)


def _ask_gemeente(
    h: History, settings: Settings, project: Project, conn: sqlite3.Connection
) -> None:
    """The group asks the gemeente for a decision: an edit of the project, as in beheer."""
    projects.save_project(
        conn,
        settings,
        WHO,
        _project_values(h, project, list(project.needs)),
        [h.ids["thema", title] for title in project.themas],
        project_id=h.ids["project", project.title],
    )


def _change_phase(
    h: History,
    settings: Settings,
    key: tuple[str, str],
    phase: str,
    note: str,
    day: date,
    conn: sqlite3.Connection,
) -> None:
    # A meeting may have decided this move already (its verslag came first): then it stands.
    current = conn.execute("SELECT phase FROM projects WHERE id = ?", (h.ids[key],)).fetchone()
    if current["phase"] != phase:
        projects.change_phase(conn, settings, WHO, h.ids[key], phase, note, day)


def _add_support(
    h: History, key: tuple[str, str], tag: str, project: Project, conn: sqlite3.Connection
) -> None:
    project_id = h.ids[key]
    for supporter in range(project.supports):
        projects.add_support(conn, project_id, f"{tag}-{supporter}")
    for volunteer in project.volunteers:
        projects.add_volunteer(
            conn, project_id, volunteer.name, volunteer.contact, volunteer.message
        )


def _meeting_day(meeting: Meeting, h: History) -> date:
    offset = meeting.in_days if meeting.in_days is not None else -(meeting.days_ago or 0)
    return h.today + timedelta(days=offset)


def _meeting_steps(h: History, settings: Settings, sample: Sample) -> None:
    """Meetings announced three weeks ahead; sign-ups for the coming ones; for past ones the
    verslag (and the phase moves it decided) two days later, and the evaluations."""
    started = {project.title: project.phases[0].days_ago for project in sample.projects}
    for meeting in sample.meetings:
        day = _meeting_day(meeting, h)
        key = ("meeting", meeting.title)
        # Three weeks ahead, but not before the projects it is about were started.
        starts = [h.day(started[title]) for title in meeting.projects]
        announced = h.moment(max([day - timedelta(days=MEETING_NOTICE_DAYS), *starts]))
        h.add(
            announced, f"meeting {meeting.title}", partial(_add_meeting, h, settings, meeting, day)
        )
        if meeting.in_days is not None:
            h.add(
                h.loaded_at,
                f"sign-ups {meeting.title}",
                partial(_sign_up, h, settings, sample, key),
            )
            continue
        if meeting.evaluations:
            h.add(
                h.moment(day + timedelta(days=1), "09:00"),
                f"evaluations {meeting.title}",
                partial(_evaluate, h, sample, meeting, key),
            )
        if meeting.minutes:
            h.add(
                h.moment(day + timedelta(days=MINUTES_AFTER_DAYS), "20:00"),
                f"verslag {meeting.title}",
                partial(_write_minutes, h, settings, meeting, key),
            )


def _add_meeting(
    h: History, settings: Settings, meeting: Meeting, day: date, conn: sqlite3.Connection
) -> None:
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
        [h.ids["thema", title] for title in meeting.themas],
        [h.ids["project", title] for title in meeting.projects],
    )
    h.ids["meeting", meeting.title] = _id_of(conn, "meetings", slug)


def _sign_up(
    h: History, settings: Settings, sample: Sample, key: tuple[str, str], conn: sqlite3.Connection
) -> None:
    for number, guest in enumerate(sample.guests):
        name = f"{guest.name} (voorbeeld {number})"
        rsvp.sign_up(conn, settings, h.ids[key], name, "", "", guest.people)


def _evaluate(
    h: History, sample: Sample, meeting: Meeting, key: tuple[str, str], conn: sqlite3.Connection
) -> None:
    slug = conn.execute("SELECT slug FROM meetings WHERE id = ?", (h.ids[key],)).fetchone()[0]
    for number, answer in enumerate(meeting.evaluations):
        evaluations.save_evaluation(
            conn,
            h.ids[key],
            f"{sample.supporter_tag}-{slug}-{number}",
            answer.score,
            answer.went_well,
            answer.could_be_better,
        )


def _write_minutes(
    h: History, settings: Settings, meeting: Meeting, key: tuple[str, str], conn: sqlite3.Connection
) -> None:
    decisions = [
        meetings.Decision(h.ids["project", decision.project], decision.phase, "")
        for decision in meeting.decisions
        # A later phase in the project's own history may already be this one.
        if conn.execute(
            "SELECT phase FROM projects WHERE id = ?", (h.ids["project", decision.project],)
        ).fetchone()[0]
        != decision.phase
    ]
    meetings.save_minutes(conn, settings, WHO, h.ids[key], meeting.minutes, decisions)


def _idea_and_news_steps(h: History, settings: Settings, sample: Sample) -> None:
    """Ideas as they came in, were published and answered or declined; news on its day."""
    for idea in sample.ideas:
        key = ("idea", idea.title)
        sent = h.day(idea.days_ago)
        h.add(
            h.moment(sent, "21:15"),
            f"idea {idea.title}",
            partial(_submit_idea, h, settings, idea),
        )
        decided = h.moment(min(sent + timedelta(days=PUBLISHED_AFTER_DAYS), h.today), "19:00")
        if idea.state == "published":
            h.add(
                decided,
                f"publish {idea.title}",
                lambda conn, key=key: ideas.publish_idea(conn, settings, WHO, h.ids[key]),
            )
            if idea.answer:
                answered = min(sent + timedelta(days=ANSWERED_AFTER_DAYS), h.today)
                h.add(
                    h.moment(answered, "19:30"),
                    f"answer {idea.title}",
                    lambda conn, key=key, text=idea.answer: ideas.answer_idea(
                        conn, settings, WHO, h.ids[key], text
                    ),
                )
        elif idea.state == "declined":
            h.add(
                decided,
                f"decline {idea.title}",
                lambda conn, key=key, text=idea.answer: ideas.decline_idea(
                    conn, settings, WHO, h.ids[key], text
                ),
            )
    for item in sample.news:
        published = h.moment(h.day(item.days_ago), "09:00")
        values = {
            "title": item.title,
            "body": item.body,
            "published_at": meetings.utc_iso(published),
        }
        h.add(
            published,
            f"news {item.title}",
            lambda conn, values=values: news.save_news(conn, settings, WHO, values),
        )


def _submit_idea(h: History, settings: Settings, idea: Idea, conn: sqlite3.Connection) -> None:
    idea_id, _token = ideas.submit_idea(conn, settings, idea.title, idea.body)
    h.ids["idea", idea.title] = idea_id
