"""Beheer of bijeenkomsten: plan, change, move, cancel, series, the verslag, and who comes.

Every endpoint follows themas.py: GET shows the form; POST checks the CSRF token, then the
fields, shows the form again with everything kept and status 400 when something is wrong,
or writes through the data layer (event, audit line and mails in one transaction) and
redirects. The forms live here because only these pages use them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from node.kern import agenda, meetings, projects, rsvp
from node.kern.forms import STRIP, MultiCheckboxField, at_most, required
from node.kern.meeting_pages import HELPERS, WholeNumberField
from node.kern.pages import VOCABULARY
from node.kern.vocabulary import PHASES, PHASES_NEEDING_REASON, choices, label
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _
from node.web.templating import flash, render

LIST_URL = "/beheer/bijeenkomsten"
# Attendees' names and contact details must not linger in any browser or proxy cache.
NO_STORE = {"Cache-Control": "no-store"}
PAST_PER_PAGE = 50
MAX_CAPACITY = 100_000


# --- Fields and forms ---------------------------------------------------------------------


class DayField(DateField):
    """A date as the browser's date picker sends it, or as people type it: 2-3-2026."""

    def __init__(self, label_text: str, validators=None, **kwargs):
        super().__init__(label_text, validators, format=["%Y-%m-%d", "%d-%m-%Y"], **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Vul een datum in, bijvoorbeeld 2-3-2026.")) from None


class ClockField(TimeField):
    """A time of day: 19:30, or 19.30 as many Dutch people write it."""

    def __init__(self, label_text: str, validators=None, **kwargs):
        super().__init__(label_text, validators, format=["%H:%M", "%H.%M"], **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Vul een tijd in, bijvoorbeeld 19:30.")) from None


def _one_of(message: str):
    def check(form, field) -> None:
        valid = {value for value, _label in field.choices}
        data = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in valid for value in data if value not in (None, "")):
            raise ValidationError(message)

    return check


def _title() -> StringField:
    return StringField(
        _("Titel"), [required(_("een titel")), at_most(120), no_control_characters], filters=STRIP
    )


def _description() -> TextAreaField:
    return TextAreaField(
        _("Waar gaat het over?"),
        [Optional(), at_most(10000), no_control_characters],
        filters=STRIP,
    )


def _capacity() -> WholeNumberField:
    return WholeNumberField(
        _("Hoeveel plaatsen"),
        [
            Optional(),
            NumberRange(
                min=1,
                max=MAX_CAPACITY,
                message=_(
                    "Vul een aantal van 1 of meer in. Laat het veld leeg als er geen maximum is."
                ),
            ),
        ],
        invalid_message=_(
            "Vul een heel getal in, bijvoorbeeld 40. Laat het veld leeg als er geen maximum is."
        ),
    )


def _place_name() -> StringField:
    return StringField(
        _("Plaats"),
        [
            required(_("de plaats, bijvoorbeeld Dorpshuis De Pluk")),
            at_most(120),
            no_control_characters,
        ],
        filters=STRIP,
    )


def _place_address() -> StringField:
    return StringField(_("Adres"), [Optional(), at_most(200), no_control_characters], filters=STRIP)


class LinksMixin:
    """The thema's and projects a meeting is about; choices are set per request."""

    def set_link_choices(self, themas: list, project_rows: list) -> None:
        self.themas.choices = [(str(t["id"]), t["title"]) for t in themas]
        self.themas.validators = [_one_of(_("Kies thema's uit de lijst."))]
        self.projects.choices = [(str(p["id"]), p["title"]) for p in project_rows]
        self.projects.validators = [_one_of(_("Kies projecten uit de lijst."))]

    def link_ids(self) -> tuple[list[int], list[int]]:
        return (
            [int(v) for v in self.themas.data or []],
            [int(v) for v in self.projects.data or []],
        )


class TimesMixin:
    """Day, start and end; checked together: the end after the start, not in the past."""

    def checked_times(self) -> tuple[str, str] | None:
        """(starts_at, ends_at) in UTC, or None with the errors set on the fields."""
        if not (self.day.data and self.starts.data and self.ends.data):
            return None
        try:
            start = meetings.local_moment(self.day.data, self.starts.data)
        except meetings.MeetingError as error:
            self.starts.errors.append(str(error))
            return None
        try:
            end = meetings.local_moment(self.day.data, self.ends.data)
        except meetings.MeetingError as error:
            self.ends.errors.append(str(error))
            return None
        if end <= start:
            self.ends.errors.append(
                _("De eindtijd ligt voor de begintijd. Kies een latere eindtijd.")
            )
            return None
        if start.astimezone(UTC) <= datetime.now(UTC):
            self.day.errors.append(
                _("Deze datum en tijd zijn al voorbij. Kies een moment in de toekomst.")
            )
            return None
        return meetings.utc_iso(start), meetings.utc_iso(end)


def _day() -> DayField:
    return DayField(_("Datum"), [InputRequired(message=_("Vul een datum in."))])


def _clock(text: str, what: str) -> ClockField:
    return ClockField(text, [InputRequired(message=_("Vul %s in, bijvoorbeeld 19:30.") % what)])


class MeetingForm(BaseForm, LinksMixin, TimesMixin):
    title = _title()
    description = _description()
    day = _day()
    starts = _clock(_("Begintijd"), _("de begintijd"))
    ends = _clock(_("Eindtijd"), _("de eindtijd"))
    place_name = _place_name()
    place_address = _place_address()
    capacity = _capacity()
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    projects = MultiCheckboxField(_("Projecten"), coerce=str, validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.moments = self.checked_times() if valid else None
        return valid and self.moments is not None

    def values(self) -> dict:
        starts_at, ends_at = self.moments
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "capacity": self.capacity.data,
            "place_name": self.place_name.data,
            "place_address": self.place_address.data or "",
            "starts_at": starts_at,
            "ends_at": ends_at,
        }


class EditForm(BaseForm, LinksMixin):
    title = _title()
    description = _description()
    capacity = _capacity()
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    projects = MultiCheckboxField(_("Projecten"), coerce=str, validate_choice=False)

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "capacity": self.capacity.data,
        }


class MoveForm(BaseForm, TimesMixin):
    day = _day()
    starts = _clock(_("Begintijd"), _("de begintijd"))
    ends = _clock(_("Eindtijd"), _("de eindtijd"))
    place_name = _place_name()
    place_address = _place_address()
    note = TextAreaField(
        _("Bericht aan wie zich heeft aangemeld"),
        [Optional(), at_most(2000), no_control_characters],
        filters=STRIP,
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.moments = self.checked_times() if valid else None
        return valid and self.moments is not None

    def values(self) -> dict:
        starts_at, ends_at = self.moments
        return {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place_name": self.place_name.data,
            "place_address": self.place_address.data or "",
        }


class CancelForm(BaseForm):
    reason = TextAreaField(
        _("Waarom gaat de bijeenkomst niet door?"),
        [required(_("de reden")), at_most(1000), no_control_characters],
        filters=STRIP,
    )


WEEKDAY_CHOICES = [
    ("0", _("maandag")),
    ("1", _("dinsdag")),
    ("2", _("woensdag")),
    ("3", _("donderdag")),
    ("4", _("vrijdag")),
    ("5", _("zaterdag")),
    ("6", _("zondag")),
]


class SeriesForm(BaseForm, LinksMixin):
    title = _title()
    description = _description()
    frequency = RadioField(
        _("Hoe vaak"), choices=choices(meetings.FREQUENCIES), validate_choice=False
    )
    nth = SelectField(
        _("Welke week van de maand"), choices=choices(meetings.NTH), validate_choice=False
    )
    weekday = SelectField(_("Op welke dag"), choices=WEEKDAY_CHOICES, validate_choice=False)
    interval = WholeNumberField(
        _("Om de hoeveel weken"),
        [Optional(), NumberRange(min=1, max=8, message=_("Kies 1 tot 8 weken."))],
        default=1,
    )
    first_day = DayField(_("Vanaf"), [InputRequired(message=_("Vul een datum in."))])
    starts = _clock(_("Begintijd"), _("de begintijd"))
    ends = _clock(_("Eindtijd"), _("de eindtijd"))
    count = WholeNumberField(
        _("Hoeveel bijeenkomsten"),
        [
            InputRequired(message=_("Vul in hoeveel bijeenkomsten u wilt maken.")),
            NumberRange(
                min=2,
                max=meetings.MAX_SERIES,
                message=_("Kies 2 tot %d bijeenkomsten.") % meetings.MAX_SERIES,
            ),
        ],
        default=6,
    )
    place_name = _place_name()
    place_address = _place_address()
    capacity = _capacity()
    themas = MultiCheckboxField(_("Thema's"), coerce=str, validate_choice=False)
    projects = MultiCheckboxField(_("Projecten"), coerce=str, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frequency.validators = [
            InputRequired(message=_("Kies hoe vaak.")),
            _one_of(_("Kies hoe vaak uit de lijst.")),
        ]
        self.nth.validators = [_one_of(_("Kies een week uit de lijst."))]
        self.weekday.validators = [
            InputRequired(message=_("Kies een dag.")),
            _one_of(_("Kies een dag uit de lijst.")),
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.rule = None
        if not valid:
            return False
        if self.ends.data <= self.starts.data:
            self.ends.errors.append(
                _("De eindtijd ligt voor de begintijd. Kies een latere eindtijd.")
            )
            return False
        if self.first_day.data < date.today():
            self.first_day.errors.append(
                _("Deze datum is al voorbij. Kies een datum in de toekomst.")
            )
            return False
        self.rule = meetings.SeriesRule(
            frequency=self.frequency.data,
            weekday=int(self.weekday.data),
            first_day=self.first_day.data,
            starts=self.starts.data,
            ends=self.ends.data,
            count=self.count.data,
            nth=int(self.nth.data or 1),
            interval=self.interval.data or 1,
        )
        return True

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "capacity": self.capacity.data,
            "place_name": self.place_name.data,
            "place_address": self.place_address.data or "",
        }


class MinutesForm(BaseForm):
    minutes = TextAreaField(
        _("Verslag"), [Optional(), at_most(20000), no_control_characters], filters=STRIP
    )


def minutes_form(project_rows: list, formdata: FormData | None = None, data=None) -> MinutesForm:
    """The verslag with, for every linked project, a choice to move it to another phase."""

    class Form(MinutesForm):
        pass

    for project in project_rows:
        current = project["phase"]
        setattr(
            Form,
            f"fase_{project['id']}",
            SelectField(
                _("Besluit over „%s”") % project["title"],
                choices=[("", _("Blijft in de fase %s") % label(PHASES, current))]
                + [(key, _("Naar %s") % label(PHASES, key)) for key in PHASES if key != current],
                validators=[_one_of(_("Kies een fase uit de lijst."))],
                validate_choice=False,
            ),
        )
        setattr(
            Form,
            f"toelichting_{project['id']}",
            TextAreaField(
                _("Toelichting bij „%s”") % project["title"],
                [Optional(), at_most(2000), no_control_characters],
                filters=STRIP,
            ),
        )
    form = Form(formdata=formdata, data=data)
    form.project_rows = project_rows
    return form


def _decisions(form: MinutesForm) -> list[meetings.Decision] | None:
    """The decisions in a filled-in verslag form; None when one needs a reason it lacks."""
    decisions, ok = [], True
    for project in form.project_rows:
        phase = form[f"fase_{project['id']}"].data
        note = form[f"toelichting_{project['id']}"]
        if not phase:
            continue
        if phase in PHASES_NEEDING_REASON and not note.data:
            note.errors.append(_("Schrijf op waarom het project gepauzeerd of gestopt wordt."))
            ok = False
        decisions.append(meetings.Decision(project["id"], phase, note.data or ""))
    return decisions if ok else None


# --- Helpers ------------------------------------------------------------------------------


def _render(
    request: Request, template: str, context: dict, status: int = 200, headers: dict | None = None
) -> Response:
    return render(
        request,
        template,
        {**VOCABULARY, **HELPERS, **context},
        status_code=status,
        headers=headers,
    )


def _redirect(url: str = LIST_URL) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _meeting_or_404(request: Request) -> sqlite3.Row:
    meeting = meetings.get_meeting_by_id(request.app.state.db, request.path_params["meeting_id"])
    if meeting is None:
        raise HTTPException(404)
    return meeting


def _write(request: Request, fn, *args):
    """Run a data-layer write as the signed-in user, in one transaction."""
    state = request.app.state
    return state.db.write(fn, state.settings, current_user(request), *args)


def _link_choices(request: Request) -> tuple[list, list]:
    db = request.app.state.db
    return agenda.list_themas(db), projects.list_projects(db)


def _show_error(form: BaseForm, error: meetings.MeetingError, fallback: str) -> None:
    """Put an error of the data layer under the field it belongs to."""
    name = error.field if error.field and error.field in form else fallback
    form[name].errors = [*form[name].errors, str(error)]


# --- The list ---------------------------------------------------------------------------


@login_required()
async def meeting_list(request: Request) -> Response:
    db = request.app.state.db
    raw_page = request.query_params.get("pagina", "1")
    page_number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 10_000 else 1
    past_total = meetings.count_past(db)
    return _render(
        request,
        "beheer/bijeenkomsten.html",
        {
            "upcoming": meetings.list_upcoming(db, limit=500),
            "past": meetings.list_past(
                db, limit=PAST_PER_PAGE, offset=(page_number - 1) * PAST_PER_PAGE
            ),
            "page_number": page_number,
            "pages": max(1, -(-past_total // PAST_PER_PAGE)),
        },
    )


# --- New, edit, series ------------------------------------------------------------------


@login_required()
async def meeting_new(request: Request) -> Response:
    template = "beheer/bijeenkomst_form.html"
    themas, project_rows = _link_choices(request)
    if request.method == "GET":
        form = MeetingForm(data={"starts": time(19, 30), "ends": time(21, 30)})
        form.set_link_choices(themas, project_rows)
        return _render(request, template, {"form": form, "meeting": None})
    data, csrf_ok = await read_beheer_form(request)
    form = MeetingForm(formdata=data)
    form.set_link_choices(themas, project_rows)
    if not csrf_ok:
        return _render(request, template, {"form": form, "meeting": None, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, {"form": form, "meeting": None}, 400)
    thema_ids, project_ids = form.link_ids()
    slug = _write(request, meetings.create_meeting, form.values(), thema_ids, project_ids)
    flash(request, _("De bijeenkomst „%s” is gepland.") % form.title.data)
    return _redirect(f"{LIST_URL}#{slug}")


@login_required()
async def meeting_edit(request: Request) -> Response:
    meeting = _meeting_or_404(request)
    state = request.app.state
    template = "beheer/bijeenkomst_form.html"
    themas, project_rows = _link_choices(request)
    if request.method == "GET":
        form = EditForm(
            data={
                **dict(meeting),
                "themas": [str(t["id"]) for t in meetings.themas_of(state.db, meeting["id"])],
                "projects": [str(p["id"]) for p in meetings.projects_of(state.db, meeting["id"])],
            }
        )
        form.set_link_choices(themas, project_rows)
        return _render(request, template, {"form": form, "meeting": meeting})
    data, csrf_ok = await read_beheer_form(request)
    form = EditForm(formdata=data)
    form.set_link_choices(themas, project_rows)
    context = {"form": form, "meeting": meeting}
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, context, 400)
    thema_ids, project_ids = form.link_ids()
    try:
        _write(
            request,
            meetings.update_meeting,
            meeting["id"],
            form.values(),
            thema_ids,
            project_ids,
            state.templates,
        )
    except meetings.MeetingError as error:
        _show_error(form, error, "title")
        return _render(request, template, context, 400)
    flash(request, _("De bijeenkomst „%s” is opgeslagen.") % form.title.data)
    return _redirect()


@login_required()
async def series_new(request: Request) -> Response:
    template = "beheer/bijeenkomst_reeks.html"
    themas, project_rows = _link_choices(request)
    if request.method == "GET":
        form = SeriesForm(
            data={
                "frequency": "maandelijks",
                "nth": "1",
                "weekday": "0",
                "starts": time(19, 30),
                "ends": time(21, 30),
            }
        )
        form.set_link_choices(themas, project_rows)
        return _render(request, template, {"form": form})
    data, csrf_ok = await read_beheer_form(request)
    form = SeriesForm(formdata=data)
    form.set_link_choices(themas, project_rows)
    if not csrf_ok:
        return _render(request, template, {"form": form, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, {"form": form}, 400)
    thema_ids, project_ids = form.link_ids()
    try:
        slugs = _write(
            request, meetings.create_series, form.rule, form.values(), thema_ids, project_ids
        )
    except meetings.MeetingError as error:
        _show_error(form, error, "starts")
        return _render(request, template, {"form": form}, 400)
    flash(
        request,
        _("Er zijn %(n)d bijeenkomsten „%(title)s” gepland.")
        % {"n": len(slugs), "title": form.title.data},
    )
    return _redirect()


# --- Move, cancel, remove ---------------------------------------------------------------


def _attendee_counts(request: Request, meeting_id: int) -> dict[str, int]:
    return rsvp.totals(request.app.state.db, meeting_id)


@login_required()
async def meeting_move(request: Request) -> Response:
    meeting = _meeting_or_404(request)
    state = request.app.state
    template = "beheer/bijeenkomst_verplaatsen.html"
    context = {"meeting": meeting, "totals": _attendee_counts(request, meeting["id"])}
    closed = meetings.status_of(meeting) != "gepland"
    if request.method == "GET":
        start, end = meetings.local(meeting["starts_at"]), meetings.local(meeting["ends_at"])
        form = MoveForm(
            data={
                "day": start.date(),
                "starts": start.time(),
                "ends": end.time(),
                "place_name": meeting["place_name"],
                "place_address": meeting["place_address"],
            }
        )
        return _render(request, template, {**context, "form": form, "closed": closed})
    data, csrf_ok = await read_beheer_form(request)
    form = MoveForm(formdata=data)
    context.update(form=form, closed=closed)
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if closed:
        return _render(request, template, context, 400)
    if not form.validate():
        return _render(request, template, context, 400)
    try:
        moved = _write(
            request,
            meetings.move_meeting,
            meeting["id"],
            form.values(),
            form.note.data or "",
            state.templates,
        )
    except meetings.MeetingError as error:
        _show_error(form, error, "day")
        return _render(request, template, context, 400)
    flash(
        request,
        _("De bijeenkomst „%s” is verplaatst. Wie zich heeft aangemeld, krijgt bericht.")
        % meeting["title"]
        if moved
        else _("Er is niets veranderd aan de tijd of de plaats."),
    )
    return _redirect()


@login_required()
async def meeting_cancel(request: Request) -> Response:
    meeting = _meeting_or_404(request)
    state = request.app.state
    template = "beheer/bijeenkomst_annuleren.html"
    closed = meetings.status_of(meeting) != "gepland"
    context = {
        "meeting": meeting,
        "totals": _attendee_counts(request, meeting["id"]),
        "closed": closed,
    }
    if request.method == "GET":
        return _render(request, template, {**context, "form": CancelForm()})
    data, csrf_ok = await read_beheer_form(request)
    form = CancelForm(formdata=data)
    context["form"] = form
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if closed:
        return _render(request, template, context, 400)
    if not form.validate():
        return _render(request, template, context, 400)
    try:
        _write(request, meetings.cancel_meeting, meeting["id"], form.reason.data, state.templates)
    except meetings.MeetingError as error:
        _show_error(form, error, "reason")
        return _render(request, template, context, 400)
    flash(
        request,
        _("De bijeenkomst „%s” is geannuleerd. Wie zich heeft aangemeld, krijgt bericht.")
        % meeting["title"],
    )
    return _redirect()


@login_required()
async def meeting_remove(request: Request) -> Response:
    meeting = _meeting_or_404(request)
    template = "beheer/bijeenkomst_verwijderen.html"
    context = {"meeting": meeting, "totals": _attendee_counts(request, meeting["id"])}
    if request.method == "GET":
        return _render(request, template, context)
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    _write(request, meetings.remove_meeting, meeting["id"])
    flash(request, _("De bijeenkomst „%s” is van de site gehaald.") % meeting["title"])
    return _redirect()


# --- The verslag --------------------------------------------------------------------------


@login_required()
async def minutes_edit(request: Request) -> Response:
    meeting = _meeting_or_404(request)
    db = request.app.state.db
    template = "beheer/bijeenkomst_verslag.html"
    linked = meetings.projects_of(db, meeting["id"])
    context = {
        "meeting": meeting,
        "not_yet": meetings.can_have_minutes(meeting),
        "decisions": meetings.decisions_of(db, meeting["id"]),
    }
    if request.method == "GET":
        form = minutes_form(linked, data={"minutes": meeting["minutes"]})
        return _render(request, template, {**context, "form": form})
    data, csrf_ok = await read_beheer_form(request)
    form = minutes_form(linked, formdata=data)
    context["form"] = form
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if context["not_yet"]:
        return _render(request, template, context, 400)
    valid = form.validate()
    decisions = _decisions(form)
    if not valid or decisions is None:
        return _render(request, template, context, 400)
    try:
        _write(request, meetings.save_minutes, meeting["id"], form.minutes.data or "", decisions)
    except meetings.MeetingError as error:
        _show_error(form, error, "minutes")
        return _render(request, template, context, 400)
    flash(request, _("Het verslag van „%s” is opgeslagen.") % meeting["title"])
    return _redirect(meetings.meeting_path(meeting["slug"]) + "#verslag")


# --- Who comes ----------------------------------------------------------------------------


@login_required()
async def attendee_list(request: Request) -> Response:
    meeting = _meeting_or_404(request)
    db = request.app.state.db
    return _render(
        request,
        "beheer/aanmeldingen.html",
        {
            "meeting": meeting,
            "attendees": rsvp.attendees(db, meeting["id"]),
            "totals": rsvp.totals(db, meeting["id"]),
            "left": meetings.places_left(meeting),
        },
        headers=NO_STORE,
    )


@login_required()
async def attendee_print(request: Request) -> Response:
    """A plain list to print and take to the door: who is coming, and a box to tick."""
    meeting = _meeting_or_404(request)
    db = request.app.state.db
    return _render(
        request,
        "beheer/bijeenkomst_aanwezigheidslijst.html",
        {
            "meeting": meeting,
            "attendees": [
                a for a in rsvp.attendees(db, meeting["id"]) if a["status"] != "afgemeld"
            ],
            "totals": rsvp.totals(db, meeting["id"]),
        },
        headers=NO_STORE,
    )
