"""Who comes to a bijeenkomst: the sign-ups on screen, and a list to print for the door."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern import meetings, rsvp
from node.kern.beheer.contact import RSVP_CONTACT, sees_contact, visible_rows
from node.kern.beheer.meetings.common import meeting_or_404, render_page
from node.web.auth import login_required

# Attendees' names and contact details must not linger in any browser or proxy cache.
NO_STORE = {"Cache-Control": "no-store"}


@login_required()
async def attendee_list(request: Request) -> Response:
    meeting = meeting_or_404(request)
    db = request.app.state.db
    return render_page(
        request,
        "beheer/aanmeldingen.html",
        {
            "meeting": meeting,
            "attendees": visible_rows(request, rsvp.attendees(db, meeting["id"]), RSVP_CONTACT),
            "show_contact": sees_contact(request),
            "totals": rsvp.totals(db, meeting["id"]),
            "left": meetings.places_left(meeting),
        },
        headers=NO_STORE,
    )


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
