"""What every beheer page of bijeenkomsten shares: rendering, redirects, lookups, writes."""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.agenda import model as agenda
from node.kern.meetings import model as meetings
from node.kern.meetings.pages import HELPERS
from node.kern.projects import model as projects
from node.kern.rendering import VOCABULARY
from node.web.auth import current_user
from node.web.forms import BaseForm
from node.web.templating import render

LIST_URL = "/beheer/bijeenkomsten"


def render_page(
    request: Request, template: str, context: dict, status: int = 200, headers: dict | None = None
) -> Response:
    return render(
        request,
        template,
        {**VOCABULARY, **HELPERS, **context},
        status_code=status,
        headers=headers,
    )


def redirect(url: str = LIST_URL) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def meeting_or_404(request: Request) -> sqlite3.Row:
    meeting = meetings.get_meeting_by_id(request.app.state.db, request.path_params["meeting_id"])
    if meeting is None:
        raise HTTPException(404)
    return meeting


def write(request: Request, fn, *args):
    """Run a data-layer write as the signed-in user, in one transaction."""
    state = request.app.state
    return state.db.write(fn, state.settings, current_user(request), *args)


def link_choices(request: Request) -> tuple[list, list]:
    """The thema's and projects a bijeenkomst can be linked to."""
    db = request.app.state.db
    return agenda.list_themas(db), projects.list_projects(db)


def show_error(form: BaseForm, error: meetings.MeetingError, fallback: str) -> None:
    """Put an error of the data layer under the field it belongs to."""
    name = error.field if error.field and error.field in form else fallback
    form[name].errors = [*form[name].errors, str(error)]
