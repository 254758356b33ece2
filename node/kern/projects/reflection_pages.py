"""Looking back on a project that ended ("participeren moet je leren"): beheer writes what
worked, what the group learned and the step on the participatieladder it reached. The look
back is public on the project's page, federates with the project and is summed per kern on
the gemeente's Inzicht."""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.projects import model as projects
from node.kern.projects.forms import ReflectionForm
from node.kern.rendering import VOCABULARY
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash, render

TEMPLATE = "beheer/project_terugblik.html"


def _project_or_404(request: Request) -> sqlite3.Row:
    project = projects.get_project_by_id(request.app.state.db, request.path_params["project_id"])
    if project is None:
        raise HTTPException(404)
    return project


def _render(
    request: Request, project, form: ReflectionForm, status: int = 200, **extra
) -> Response:
    return render(
        request,
        TEMPLATE,
        {
            **VOCABULARY,
            "project": project,
            "form": form,
            "can_reflect": project["phase"] in projects.REFLECTION_PHASES,
            **extra,
        },
        status_code=status,
    )


@login_required()
async def reflection_edit(request: Request) -> Response:
    project = _project_or_404(request)
    db = request.app.state.db
    if request.method == "GET":
        saved = projects.reflection_of(db, project["id"])
        form = ReflectionForm(
            data={
                "what_worked": saved["what_worked"],
                "learned": saved["learned"],
                "ladder_reached": saved["ladder_reached"],
            }
            if saved
            else {"ladder_reached": project["ladder"] or ""}
        )
        return _render(request, project, form)
    data, csrf_ok = await read_beheer_form(request)
    form = ReflectionForm(formdata=data)
    if not csrf_ok:
        return _render(request, project, form, 400, csrf_error=True)
    if project["phase"] not in projects.REFLECTION_PHASES:
        return _render(request, project, form, 400)
    if not form.validate():
        return _render(request, project, form, 400)
    state = request.app.state
    state.db.write(
        projects.save_reflection,
        state.settings,
        current_user(request),
        project["id"],
        form.what_worked.data,
        form.learned.data,
        form.ladder_reached.data,
    )
    flash(request, _("De terugblik staat op de projectpagina."))
    return RedirectResponse(f"/beheer/projecten/{project['id']}/terugblik", status_code=303)
