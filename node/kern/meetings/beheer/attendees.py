"""Who comes to a bijeenkomst: the sign-ups on screen, and a list to print for the door."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.meetings import model as meetings
from node.kern.meetings import rsvp
from node.kern.meetings.beheer.common import meeting_or_404, render_page
from node.kern.privacy.contact import RSVP_CONTACT, sees_contact, visible_rows
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _, ngettext
from node.web.templating import flash

# Attendees' names and contact details must not linger in any browser or proxy cache.
NO_STORE = {"Cache-Control": "no-store"}


def _list_page(request: Request, meeting, error: str = "", status: int = 200, **extra) -> Response:
    db = request.app.state.db
    # Read again: after a removal the places left have changed.
    meeting = meetings.get_meeting_by_id(db, meeting["id"])
    return render_page(
        request,
        "beheer/aanmeldingen.html",
        {
            "meeting": meeting,
            "attendees": visible_rows(request, rsvp.attendees(db, meeting["id"]), RSVP_CONTACT),
            "show_contact": sees_contact(request),
            "totals": rsvp.totals(db, meeting["id"]),
            "pending": rsvp.pending(db, meeting["id"]),
            "left": meetings.places_left(meeting),
            "remove_error": error,
            **extra,
        },
        status,
        headers=NO_STORE,
    )


@login_required()
async def attendee_list(request: Request) -> Response:
    return _list_page(request, meeting_or_404(request))


@login_required()
async def attendee_remove(request: Request) -> Response:
    """Remove several sign-ups at once, e.g. made-up ones that fill the hall: one POST."""
    meeting = meeting_or_404(request)
    state = request.app.state
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _list_page(request, meeting, status=400, csrf_error=True)
    raw = data.getlist("aanmelding")
    if not raw:
        return _list_page(
            request, meeting, _("Kies eerst de aanmeldingen die u wilt verwijderen."), 400
        )
    if not all(value.isdigit() and len(value) <= 18 for value in raw):
        return _list_page(
            request, meeting, _("Een van de gekozen aanmeldingen bestaat niet. Kies opnieuw."), 400
        )
    try:
        removed = state.db.write(
            rsvp.remove_rsvps,
            state.settings,
            current_user(request),
            meeting["id"],
            [int(value) for value in raw],
        )
    except rsvp.RsvpError as error:
        return _list_page(request, meeting, str(error), 400)
    flash(
        request,
        ngettext(
            "%(num)s aanmelding is verwijderd.", "%(num)s aanmeldingen zijn verwijderd.", removed
        )
        % {"num": removed},
    )
    return RedirectResponse(f"/beheer/bijeenkomsten/{meeting['id']}/aanmeldingen", status_code=303)


@login_required()
async def attendee_print(request: Request) -> Response:
    """A plain list to print and take to the door: who is coming, and a box to tick."""
    meeting = meeting_or_404(request)
    db = request.app.state.db
    return render_page(
        request,
        "beheer/bijeenkomst_aanwezigheidslijst.html",
        {
            "meeting": meeting,
            "attendees": visible_rows(
                request,
                (a for a in rsvp.attendees(db, meeting["id"]) if a["status"] != "afgemeld"),
                RSVP_CONTACT,
            ),
            "show_contact": sees_contact(request),
            "totals": rsvp.totals(db, meeting["id"]),
        },
        headers=NO_STORE,
    )
