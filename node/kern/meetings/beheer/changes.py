"""Moving, cancelling and removing a bijeenkomst; each page shows how many signed up.

Moving and cancelling send word to whoever signed up, and only while the bijeenkomst is
still gepland (not cancelled, not over); removing takes it off the site without a word.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern.meetings import model as meetings
from node.kern.meetings import rsvp
from node.kern.meetings.beheer.common import (
    meeting_or_404,
    redirect,
    render_page,
    show_error,
    write,
)
from node.kern.meetings.beheer.forms import CancelForm, MoveForm
from node.web.auth import login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash


def _attendee_counts(request: Request, meeting_id: int) -> dict[str, int]:
    return rsvp.totals(request.app.state.db, meeting_id)


@login_required()
async def meeting_move(request: Request) -> Response:
    meeting = meeting_or_404(request)
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
        return render_page(request, template, {**context, "form": form, "closed": closed})
    data, csrf_ok = await read_beheer_form(request)
    form = MoveForm(formdata=data)
    context.update(form=form, closed=closed)
    if not csrf_ok:
        return render_page(request, template, {**context, "csrf_error": True}, 400)
    if closed:
        return render_page(request, template, context, 400)
    if not form.validate():
        return render_page(request, template, context, 400)
    try:
        moved = write(
            request,
            meetings.move_meeting,
            meeting["id"],
            form.values(),
            form.note.data or "",
        )
    except meetings.MeetingError as error:
        show_error(form, error, "day")
        return render_page(request, template, context, 400)
    flash(
        request,
        _("De bijeenkomst „%s” is verplaatst. Wie zich heeft aangemeld, krijgt bericht.")
        % meeting["title"]
        if moved
        else _("Er is niets veranderd aan de tijd of de plaats."),
    )
    return redirect()


@login_required()
async def meeting_cancel(request: Request) -> Response:
    meeting = meeting_or_404(request)
    template = "beheer/bijeenkomst_annuleren.html"
    closed = meetings.status_of(meeting) != "gepland"
    context = {
        "meeting": meeting,
        "totals": _attendee_counts(request, meeting["id"]),
        "closed": closed,
    }
    if request.method == "GET":
        return render_page(request, template, {**context, "form": CancelForm()})
    data, csrf_ok = await read_beheer_form(request)
    form = CancelForm(formdata=data)
    context["form"] = form
    if not csrf_ok:
        return render_page(request, template, {**context, "csrf_error": True}, 400)
    if closed:
        return render_page(request, template, context, 400)
    if not form.validate():
        return render_page(request, template, context, 400)
    try:
        write(request, meetings.cancel_meeting, meeting["id"], form.reason.data)
    except meetings.MeetingError as error:
        show_error(form, error, "reason")
        return render_page(request, template, context, 400)
    flash(
        request,
        _("De bijeenkomst „%s” is geannuleerd. Wie zich heeft aangemeld, krijgt bericht.")
        % meeting["title"],
    )
    return redirect()


@login_required()
async def meeting_remove(request: Request) -> Response:
    meeting = meeting_or_404(request)
    template = "beheer/bijeenkomst_verwijderen.html"
    context = {"meeting": meeting, "totals": _attendee_counts(request, meeting["id"])}
    if request.method == "GET":
        return render_page(request, template, context)
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return render_page(request, template, {**context, "csrf_error": True}, 400)
    write(request, meetings.remove_meeting, meeting["id"])
    flash(request, _("De bijeenkomst „%s” is van de site gehaald.") % meeting["title"])
    return redirect()
