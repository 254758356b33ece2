"""The list of bijeenkomsten, planning a new one, and editing one."""

from __future__ import annotations

from datetime import time

from starlette.requests import Request
from starlette.responses import Response

from node.kern.meetings import model as meetings
from node.kern.meetings.beheer.common import (
    LIST_URL,
    link_choices,
    meeting_or_404,
    redirect,
    render_page,
    show_error,
    write,
)
from node.kern.meetings.beheer.forms import EditForm, MeetingForm
from node.web.auth import login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.numbers import parse_int
from node.web.templating import flash

PAST_PER_PAGE = 50


@login_required()
async def meeting_list(request: Request) -> Response:
    db = request.app.state.db
    raw_page = request.query_params.get("pagina", "1")
    page_number = parse_int(raw_page, 1, 10_000) or 1
    past_total = meetings.count_past(db)
    return render_page(
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


@login_required()
async def meeting_new(request: Request) -> Response:
    template = "beheer/bijeenkomst_form.html"
    themas, project_rows = link_choices(request)
    if request.method == "GET":
        form = MeetingForm(data={"starts": time(19, 30), "ends": time(21, 30)})
        form.set_link_choices(themas, project_rows)
        return render_page(request, template, {"form": form, "meeting": None})
    data, csrf_ok = await read_beheer_form(request)
    form = MeetingForm(formdata=data)
    form.set_link_choices(themas, project_rows)
    if not csrf_ok:
        return render_page(
            request, template, {"form": form, "meeting": None, "csrf_error": True}, 400
        )
    if not form.validate():
        return render_page(request, template, {"form": form, "meeting": None}, 400)
    thema_ids, project_ids = form.link_ids()
    slug = write(request, meetings.create_meeting, form.values(), thema_ids, project_ids)
    flash(request, _("De bijeenkomst „%s” is gepland.") % form.title.data)
    return redirect(f"{LIST_URL}#{slug}")


@login_required()
async def meeting_edit(request: Request) -> Response:
    meeting = meeting_or_404(request)
    state = request.app.state
    template = "beheer/bijeenkomst_form.html"
    themas, project_rows = link_choices(request)
    if request.method == "GET":
        form = EditForm(
            data={
                **dict(meeting),
                "themas": [str(t["id"]) for t in meetings.themas_of(state.db, meeting["id"])],
                "projects": [str(p["id"]) for p in meetings.projects_of(state.db, meeting["id"])],
            }
        )
        form.set_link_choices(themas, project_rows)
        return render_page(request, template, {"form": form, "meeting": meeting})
    data, csrf_ok = await read_beheer_form(request)
    form = EditForm(formdata=data)
    form.set_link_choices(themas, project_rows)
    context = {"form": form, "meeting": meeting}
    if not csrf_ok:
        return render_page(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate():
        return render_page(request, template, context, 400)
    thema_ids, project_ids = form.link_ids()
    try:
        write(
            request,
            meetings.update_meeting,
            meeting["id"],
            form.values(),
            thema_ids,
            project_ids,
        )
    except meetings.MeetingError as error:
        show_error(form, error, "title")
        return render_page(request, template, context, 400)
    flash(request, _("De bijeenkomst „%s” is opgeslagen.") % form.title.data)
    return redirect()
