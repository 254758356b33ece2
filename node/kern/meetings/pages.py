"""The public side of bijeenkomsten: the list, one meeting, its calendars, and RSVPs.

Residents sign up without an account. Like the other public forms, the RSVP form sits on a
cached page and carries no session token: the Origin check refuses cross-site POSTs, a
hidden field catches bots, and a limit per address stops a script.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import EmailField, HiddenField, StringField, ValidationError
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from node.ical import kept_feed
from node.kern import address_counts
from node.kern.agenda import model as agenda
from node.kern.federation import elsewhere
from node.kern.fields import STRIP, at_most, required
from node.kern.meetings import calendar, rsvp
from node.kern.meetings import model as meetings
from node.kern.meetings.display import route_url
from node.kern.meetings.evaluation_form import EvaluationForm, evaluation_context
from node.kern.rendering import page
from node.mail.mailer import smtp_configured
from node.vocabulary import PHASES, label
from node.web.client_address import visitor_address
from node.web.conditional import conditional_response
from node.web.forms import BaseForm, no_control_characters, read_form, valid_email
from node.web.i18n import _
from node.web.markdown import plain_text
from node.web.middleware import PAGE_SCRIPTS_POLICY
from node.web.numbers import ascii_digits, parse_int
from node.web.ratelimit import client_key, limiter
from node.web.templating import flash

PAST_PER_PAGE = 10
UPCOMING_LIMIT = 24
# Per address, generous: a village hall shares one connection on the evening itself.
RSVP_LIMIT = (30, 3600)
PERSONAL_LIMIT = (60, 3600)
# Asking for the personal link by mail: a few tries, not a way to mail strangers.
LINK_MAIL_LIMIT = (5, 3600)
# The personal page must not linger in a browser or proxy cache of a shared computer.
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}

# What the meeting templates need beside the row itself.
HELPERS = {
    "when": meetings.when_text,
    "day_text": meetings.day_text,
    "local_iso": meetings.local_iso,
    "status_of": meetings.status_of,
    "places_left": meetings.places_left,
    "location_text": meetings.location_text,
    "route_url": route_url,
    "STATUS_LABELS": meetings.STATUS_LABELS,
    "PHASES": PHASES,
    "label": label,
    "plain_text": plain_text,
    # What a meeting card needs (templates/kern/_meeting_card.html), handed to the macro.
    "card_helpers": SimpleNamespace(
        when=meetings.when_text,
        local_iso=meetings.local_iso,
        status_of=meetings.status_of,
        places_left=meetings.places_left,
        # A past meeting's verslag as plain text, on every visit of the list: remembered, as
        # its Markdown does not change once stored (the card shows its first 200 characters).
        plain_text=lru_cache(maxsize=256)(plain_text),
    ),
}


class WholeNumberField(StringField):
    """A whole number typed as text, with one Dutch message when it is not one ("veel")."""

    def __init__(self, *args, invalid_message: str = "", **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or _("Vul een heel getal in, bijvoorbeeld 2.")

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        number = parse_int(text, -999_999_999, 999_999_999)
        if number is not None:
            self.data = number
            return
        raise ValueError(self.invalid_message)

    def pre_validate(self, form) -> None:
        # A number that could not be read needs one message, not a range message too.
        if self.process_errors:
            raise StopValidation()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def check_phone(form, field) -> None:
    value = field.data or ""
    if len(ascii_digits(value)) < 10 or any(c not in "0123456789 +-()" for c in value):
        raise ValidationError(_("Vul een geldig telefoonnummer in, bijvoorbeeld 06 12345678."))


def people_field(label_text: str) -> WholeNumberField:
    return WholeNumberField(
        label_text,
        [
            InputRequired(message=_("Vul in met hoeveel personen u komt.")),
            NumberRange(
                min=1,
                max=rsvp.MAX_PEOPLE,
                message=_("Kies 1 tot %d personen.") % rsvp.MAX_PEOPLE,
            ),
        ],
        default=1,
        invalid_message=_("Vul een aantal in, bijvoorbeeld 2."),
    )


class RsvpForm(BaseForm):
    name = StringField(
        _("Uw naam"), [required(_("uw naam")), at_most(100), no_control_characters], filters=STRIP
    )
    email = EmailField(
        _("E-mailadres"),
        [Optional(), at_most(254), valid_email],
        filters=STRIP,
        render_kw={"autocomplete": "email"},
    )
    phone = StringField(
        _("Telefoonnummer"),
        [Optional(), at_most(30), no_control_characters, check_phone],
        filters=STRIP,
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    people = people_field(_("Met hoeveel personen komt u?"))
    # A field people never see: bots fill it in, and are then quietly refused.
    website = HiddenField()


class ChangeForm(BaseForm):
    people = people_field(_("Met hoeveel personen komt u?"))


class LinkMailForm(BaseForm):
    email = EmailField(
        _("Uw e-mailadres"),
        [required(_("uw e-mailadres")), at_most(254), valid_email],
        filters=STRIP,
        render_kw={"autocomplete": "email"},
    )


def _page(
    request: Request, template: str, context: dict, status: int = 200, headers: dict | None = None
) -> Response:
    response = page(request, template, {**HELPERS, **context}, status_code=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# --- The list ------------------------------------------------------------------------------


async def meetings_page(request: Request) -> Response:
    db = request.app.state.db
    thema_slug = request.query_params.get("thema", "")
    raw_page = request.query_params.get("pagina", "1")
    themas = agenda.thema_choices(db)
    errors = []
    if thema_slug and thema_slug not in {t["slug"] for t in themas}:
        errors.append(_("Dit thema bestaat niet. Kies een thema uit de lijst."))
    page_number = parse_int(raw_page, 1, 10_000)
    if page_number is None:
        errors.append(_("Dit paginanummer bestaat niet."))
    context = {
        "themas": themas,
        "thema_slug": thema_slug,
        "errors": errors,
        "upcoming": [],
        "next_meeting": None,
        "next_open": False,
        "more_upcoming": 0,
        "past": [],
        "page_number": 1,
        "pages": 1,
        "elsewhere": [],
    }
    if errors:
        return _page(request, "kern/bijeenkomsten.html", context, 400)
    thema = thema_slug or None
    upcoming = meetings.list_upcoming(db, thema, UPCOMING_LIMIT)
    # The next meeting that goes ahead stands on top; a cancelled one stays in the list.
    next_meeting = next((m for m in upcoming if m["status"] == "gepland"), None)
    past_total = meetings.count_past(db, thema)
    pages = max(1, -(-past_total // PAST_PER_PAGE))
    if page_number > pages:
        context["errors"] = [_("Dit paginanummer bestaat niet.")]
        return _page(request, "kern/bijeenkomsten.html", context, 400)
    upcoming_total = (
        len(upcoming) if len(upcoming) < UPCOMING_LIMIT else meetings.count_upcoming(db, thema)
    )
    context.update(
        upcoming=[m for m in upcoming if next_meeting is None or m["id"] != next_meeting["id"]],
        next_meeting=next_meeting,
        next_open=next_meeting is not None and rsvp.closed_reason(next_meeting) is None,
        more_upcoming=upcoming_total - len(upcoming),
        past=meetings.list_past(db, thema, PAST_PER_PAGE, (page_number - 1) * PAST_PER_PAGE),
        past_total=past_total,
        page_number=page_number,
        pages=pages,
        elsewhere=_from_elsewhere(db) if thema is None and page_number == 1 else [],
    )
    return _page(request, "kern/bijeenkomsten.html", context)


def _from_elsewhere(db) -> list[elsewhere.EventFromElsewhere]:
    """Coming events of followed agendas, when the group turned that on in beheer."""
    conn = db.read()
    if not elsewhere.shown(conn):
        return []
    return elsewhere.upcoming(conn, datetime.now(meetings.AMSTERDAM))


# --- One meeting ---------------------------------------------------------------------------


def public_meeting_or_404(request: Request):
    meeting = meetings.get_meeting(request.app.state.db, request.path_params["slug"])
    if meeting is None:
        raise HTTPException(404)
    return meeting


def meeting_page_response(
    request: Request,
    meeting,
    form: RsvpForm | None = None,
    error: str = "",
    status_code: int = 200,
    evaluation: EvaluationForm | None = None,
) -> Response:
    db = request.app.state.db
    series = [
        m
        for m in meetings.series_of(db, meeting["series_id"])
        if m["id"] != meeting["id"] and meetings.status_of(m) == "gepland"
    ][:6]
    return _page(
        request,
        "kern/bijeenkomst.html",
        {
            "meeting": meeting,
            "status": meetings.status_of(meeting),
            "left": meetings.places_left(meeting),
            "closed": rsvp.closed_reason(meeting),
            "themas": meetings.themas_of(db, meeting["id"]),
            "projects": meetings.projects_of(db, meeting["id"]),
            "decisions": meetings.decisions_of(db, meeting["id"]),
            "series": series,
            "form": form or RsvpForm(),
            "rsvp_error": error,
            # The form promises mail only when mail can leave the node.
            "mail_ready": smtp_configured(request.app.state.settings),
            **evaluation_context(meeting, evaluation),
        },
        status_code,
    )


async def meeting_page(request: Request) -> Response:
    return meeting_page_response(request, public_meeting_or_404(request))


# --- Calendars -----------------------------------------------------------------------------


def _ics(
    request: Request,
    render: Callable[[], bytes],
    filename: str,
    inline: bool,
    changed_at: datetime | None,
    version: str,
) -> Response:
    disposition = "inline" if inline else "attachment"
    return conditional_response(
        request,
        render,
        calendar.CONTENT_TYPE,
        changed_at,
        {
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "public, max-age=300",
        },
        version,
    )


async def calendar_feed(request: Request) -> Response:
    """Every meeting of the kern, for a phone's calendar to subscribe to."""
    state = request.app.state
    settings = state.settings
    name = _("Bijeenkomsten in %s") % settings.name
    since = meetings.calendar_since()
    # Read these first: a change landing in between then makes them too old, never too new.
    version = meetings.calendar_version(state.db, since)
    changed_at = meetings.calendar_changed_at(state.db, since)

    def make() -> bytes:
        return calendar.feed(
            settings,
            meetings.for_calendar(state.db, since),
            name,
            _("Bijeenkomsten van %(group)s. Meer op %(url)s")
            % {
                "group": state.site().get("group_name") or _("de inwonersgroep"),
                "url": settings.url("/bijeenkomsten"),
            },
        )

    def render() -> bytes:
        # Kept per version: every poll until the next change is the same bytes, shared.
        return kept_feed(state, (version, name), make)

    filename = f"bijeenkomsten-{settings.slug}.ics"
    return _ics(request, render, filename, True, changed_at, version)


async def meeting_calendar(request: Request) -> Response:
    version = str(request.app.state.db.data_version())
    meeting = public_meeting_or_404(request)
    return _ics(
        request,
        lambda: calendar.single(request.app.state.settings, meeting),
        calendar.filename(meeting),
        False,
        datetime.fromisoformat(meeting["updated_at"]),
        version,
    )


# --- Signing up ----------------------------------------------------------------------------


async def sign_up(request: Request) -> Response:
    meeting = public_meeting_or_404(request)
    state = request.app.state
    form = RsvpForm(formdata=await read_form(request))
    closed = rsvp.closed_reason(meeting)
    if closed:
        return meeting_page_response(request, meeting, form, closed, 400)
    if not form.validate():
        return meeting_page_response(request, meeting, form, status_code=400)
    if form.website.data:
        # Only a bot fills in the hidden field; it gets an answer that looks like success.
        flash(request, _("Dank u wel! U bent aangemeld."), at="aanmelden")
        return RedirectResponse(meetings.meeting_path(meeting["slug"]), status_code=303)
    if not limiter(request, "aanmelden", *RSVP_LIMIT).allow(client_key(request, "aanmelden")):
        return meeting_page_response(
            request,
            meeting,
            form,
            _("Er kwamen te veel aanmeldingen van uw adres. Probeer het later opnieuw."),
            429,
        )
    day = address_counts.today()
    try:
        result = state.db.write(
            rsvp.sign_up_anonymous,
            state.settings,
            meeting["id"],
            form.name.data,
            form.email.data or "",
            form.phone.data or "",
            form.people.data,
            address_counts.address_key(state.settings.secret_key, visitor_address(request), day),
            day,
        )
    except rsvp.NeedsConfirmation as why:
        return await _request_sign_up(request, meeting, form, str(why))
    except rsvp.RsvpError as error:
        return meeting_page_response(request, meeting, form, str(error), 400)
    if result.status == "aangemeld":
        message = _("U bent aangemeld. Welkom!")
    else:
        message = _(
            "De bijeenkomst is vol. U staat op de wachtlijst. Komt er plaats vrij, dan schuift u vanzelf door."
        )
    # Only a mail that can leave the node is promised; without a mail set-up it waits.
    if form.email.data and smtp_configured(state.settings):
        message += " " + _("We hebben u een e-mail gestuurd.")
    flash(request, message, at="aanmelding", done=True)
    return RedirectResponse(rsvp.personal_path(result.token), status_code=303)


async def _request_sign_up(request: Request, meeting, form: RsvpForm, why: str) -> Response:
    """A large group (or many from one address): nothing counts until the e-mail address is
    confirmed by the mailed link; `why` tells a resident without one what to do."""
    state = request.app.state
    if not form.email.data:
        form.email.errors = [why]
        return meeting_page_response(request, meeting, form, status_code=400)
    try:
        state.db.write(
            rsvp.request_sign_up,
            state.settings,
            meeting["id"],
            form.name.data,
            form.email.data,
            form.phone.data or "",
            form.people.data,
        )
    except rsvp.RsvpError as error:
        return meeting_page_response(request, meeting, form, str(error), 400)
    if smtp_configured(state.settings):
        message = _(
            "Bijna klaar! We hebben u een e-mail gestuurd. Klik binnen %(hours)d uur op de link in die e-mail. Pas dan tellen uw %(people)d plaatsen mee."
        ) % {"hours": state.settings.rsvp_confirm_hours, "people": form.people.data}
    else:
        # The request is kept, and its mail waits in the queue until mail is set up; what
        # the resident must not believe is that it is already on its way.
        message = _(
            "Uw aanmelding is nog niet klaar. U moet hem bevestigen met een link die we per e-mail sturen. Maar deze site kan op dit moment geen e-mail versturen. Meld u aan met hoogstens %(num)d personen, of neem contact op met de inwonersgroep."
        ) % {"num": state.settings.rsvp_people_without_confirmation}
    flash(
        request,
        message,
        at="aanmelden",
        done=True,
    )
    return RedirectResponse(meetings.meeting_path(meeting["slug"]), status_code=303)


async def confirm_page(request: Request) -> Response:
    """The link in the mail. A GET only shows a button: mail scanners open links too."""
    token = request.path_params["token"]
    state = request.app.state
    pending = rsvp.get_request(state.db, token)
    if request.method == "POST":
        if not limiter(request, "bevestigen", *PERSONAL_LIMIT).allow(
            client_key(request, "bevestigen")
        ):
            return _confirm_response(
                request,
                pending,
                _("U heeft het te vaak geprobeerd. Probeer het later opnieuw."),
                429,
            )
        try:
            result = state.db.write(rsvp.confirm_request, state.settings, token)
        except rsvp.RsvpError as error:
            return _confirm_response(request, None, str(error), 400)
        flash(
            request,
            _("Uw aanmelding is bevestigd. Welkom!")
            if result.status == "aangemeld"
            else _(
                "Uw aanmelding is bevestigd. De bijeenkomst is vol: u staat op de wachtlijst. Komt er plaats vrij, dan schuift u vanzelf door."
            ),
            at="aanmelding",
            done=True,
        )
        return RedirectResponse(rsvp.personal_path(token), status_code=303)
    if pending is None:
        return _confirm_response(
            request,
            None,
            _(
                "Deze link werkt niet meer. Misschien is hij verlopen of al gebruikt. Meld u opnieuw aan."
            ),
            404,
        )
    return _confirm_response(request, pending)


def _confirm_response(request: Request, pending, error: str = "", status: int = 200) -> Response:
    db = request.app.state.db
    meeting = meetings.get_meeting_by_id(db, pending["meeting_id"]) if pending else None
    return _page(
        request,
        "kern/aanmelding_bevestigen.html",
        {"pending": pending, "meeting": meeting, "error": error},
        status,
        NO_STORE,
    )


# --- The personal link ---------------------------------------------------------------------


def _personal_response(
    request: Request,
    token: str,
    form: ChangeForm | None = None,
    error: str = "",
    status=200,
    link_form: LinkMailForm | None = None,
) -> Response:
    db = request.app.state.db
    settings = request.app.state.settings
    entry = rsvp.get_by_token(db, token)
    meeting = meetings.get_meeting_by_id(db, entry["meeting_id"])
    closed = rsvp.closed_reason(meeting)
    response = _page(
        request,
        "kern/aanmelding.html",
        {
            "entry": entry,
            "meeting": meeting,
            "status": meetings.status_of(meeting),
            "left": meetings.places_left(meeting),
            "closed": closed,
            "changeable": entry["status"] != "afgemeld" and not closed,
            "token": token,
            "form": form or ChangeForm(data={"people": entry["people"]}),
            "error": error,
            "personal_url": settings.url(rsvp.personal_path(token)),
            "mail_ready": smtp_configured(settings),
            "link_form": link_form or LinkMailForm(),
        },
        status,
        NO_STORE,
    )
    # The copy button's small script (templates/static/kopieer.js) may run here.
    response.headers["Content-Security-Policy"] = PAGE_SCRIPTS_POLICY
    return response


async def personal_page(request: Request) -> Response:
    """What a resident sees behind the link in their mail: change the number, or sign off."""
    token = request.path_params["token"]
    state = request.app.state
    entry = rsvp.get_by_token(state.db, token)
    if entry is None:
        raise HTTPException(404)
    if request.method == "GET":
        return _personal_response(request, token)
    if not limiter(request, "aanmelding", *PERSONAL_LIMIT).allow(client_key(request, "aanmelding")):
        return _personal_response(
            request,
            token,
            error=_("U heeft het te vaak geprobeerd. Probeer het later opnieuw."),
            status=429,
        )
    data = await read_form(request)
    action = data.get("actie", "")
    try:
        if action == "afmelden":
            state.db.write(rsvp.cancel_rsvp, state.settings, entry["id"])
            flash(request, _("U bent afgemeld. Jammer dat u niet kunt komen!"), "aanmelding", True)
        elif action == "wijzigen":
            form = ChangeForm(formdata=data)
            if not form.validate():
                return _personal_response(request, token, form, status=400)
            status = state.db.write(
                rsvp.change_people,
                state.settings,
                entry["id"],
                form.people.data,
            )
            flash(
                request,
                _("Uw aanmelding is veranderd.")
                if status == "aangemeld"
                else _("Uw aanmelding is veranderd. U staat nog op de wachtlijst."),
                at="aanmelding",
                done=True,
            )
        elif action == "mailen":
            return _mail_link(request, token, entry, data)
        else:
            return _personal_response(request, token, error=_("Kies wat u wilt doen."), status=400)
    except rsvp.RsvpError as error:
        form = ChangeForm(formdata=data) if action == "wijzigen" else None
        return _personal_response(request, token, form, str(error), 400)
    return RedirectResponse(rsvp.personal_path(token), status_code=303)


def _mail_link(request: Request, token: str, entry, data) -> Response:
    """Send the personal link to the address a resident gives now, through the mail queue."""
    state = request.app.state
    form = LinkMailForm(formdata=data)
    if not smtp_configured(state.settings):
        form.email.errors = [
            _("Deze site kan nu geen e-mail versturen. Bewaar de link op een andere manier.")
        ]
        return _personal_response(request, token, status=400, link_form=form)
    if not form.validate():
        return _personal_response(request, token, status=400, link_form=form)
    if not limiter(request, "linkmailen", *LINK_MAIL_LIMIT).allow(
        client_key(request, "linkmailen")
    ):
        form.email.errors = [_("U heeft het te vaak geprobeerd. Probeer het later opnieuw.")]
        return _personal_response(request, token, status=429, link_form=form)
    try:
        state.db.write(rsvp.mail_link, state.settings, entry["id"], form.email.data, token)
    except rsvp.RsvpError as error:
        form.email.errors = [str(error)]
        return _personal_response(request, token, status=400, link_form=form)
    flash(
        request,
        _("We hebben de link naar %(email)s gestuurd. Kijk ook in uw map met ongewenste e-mail.")
        % {"email": form.email.data},
        at="bewaar",
        done=True,
    )
    return RedirectResponse(rsvp.personal_path(token), status_code=303)
