"""Planning a series of bijeenkomsten at once: weekly, every few weeks, or monthly."""

from __future__ import annotations

from datetime import time

from starlette.requests import Request
from starlette.responses import Response

from node.kern.meetings import model as meetings
from node.kern.meetings.beheer.common import link_choices, redirect, render_page, show_error, write
from node.kern.meetings.beheer.forms import SeriesForm
from node.web.auth import login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash


@login_required()
async def series_new(request: Request) -> Response:
    template = "beheer/bijeenkomst_reeks.html"
    themas, project_rows = link_choices(request)
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
        return render_page(request, template, {"form": form})
    data, csrf_ok = await read_beheer_form(request)
    form = SeriesForm(formdata=data)
    form.set_link_choices(themas, project_rows)
    if not csrf_ok:
        return render_page(request, template, {"form": form, "csrf_error": True}, 400)
    if not form.validate():
        return render_page(request, template, {"form": form}, 400)
    thema_ids, project_ids = form.link_ids()
    try:
        slugs = write(
            request, meetings.create_series, form.rule, form.values(), thema_ids, project_ids
        )
    except meetings.MeetingError as error:
        show_error(form, error, "starts")
        return render_page(request, template, {"form": form}, 400)
    flash(
        request,
        _("Er zijn %(n)d bijeenkomsten „%(title)s” gepland.")
        % {"n": len(slugs), "title": form.title.data},
    )
    return redirect()
