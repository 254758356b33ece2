"""Projects on the public site: the list with its filters, and one project with its history."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.agenda import model as agenda
from node.kern.conversation.pages import reacties_with_answers
from node.kern.ideas import model as ideas
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.kern.projects.forms import VolunteerForm
from node.kern.rendering import page
from node.vocabulary import (
    PHASES,
)
from node.web.i18n import _
from node.web.numbers import parse_int

PROJECTS_PER_PAGE = 24


async def projects_page(request: Request) -> Response:
    db = request.app.state.db
    phase = request.query_params.get("fase", "")
    thema_slug = request.query_params.get("thema", "")
    raw_page = request.query_params.get("pagina", "1")
    themas = agenda.thema_choices(db)
    errors = []
    if phase and phase not in PHASES:
        errors.append(_("Deze fase bestaat niet. Kies een fase uit de lijst."))
    if thema_slug and thema_slug not in {t["slug"] for t in themas}:
        errors.append(_("Dit thema bestaat niet. Kies een thema uit de lijst."))
    page_number = parse_int(raw_page, 1, 10_000)
    if page_number is None:
        errors.append(_("Dit paginanummer bestaat niet."))
    if errors:
        page_number = 1
    total = 0 if errors else projects.count_projects(db, phase or None, thema_slug or None)
    pages = max(1, -(-total // PROJECTS_PER_PAGE))
    if not errors and page_number > pages:
        errors.append(_("Dit paginanummer bestaat niet."))
    rows = (
        []
        if errors
        else projects.list_projects(
            db,
            phase or None,
            thema_slug or None,
            PROJECTS_PER_PAGE,
            offset=(page_number - 1) * PROJECTS_PER_PAGE,
        )
    )
    return page(
        request,
        "kern/projecten.html",
        {
            "projects": rows,
            "total": total,
            "page_number": page_number,
            "pages": pages,
            "themas": themas,
            "phase": phase,
            "thema_slug": thema_slug,
            "errors": errors,
        },
        status_code=400 if errors else 200,
    )


def _project_or_404(request: Request):
    project = projects.get_project(request.app.state.db, request.path_params["slug"])
    if project is None:
        raise HTTPException(404)
    return project


def project_page_response(
    request: Request, project, volunteer_form: VolunteerForm | None = None, status_code: int = 200
) -> Response:
    db = request.app.state.db
    history = projects.phase_history(db, project["id"])
    reached = {change["to_phase"] for change in history}
    return page(
        request,
        "kern/project.html",
        {
            "project": project,
            "themas": projects.themas_of(db, project["id"]),
            "partners": partners.partners_of(db, "project", project["id"]),
            "history": history,
            "reached": reached,
            "updates": projects.updates_of(db, project["id"]),
            "reflection": projects.reflection_of(db, project["id"]),
            "needs": json.loads(project["needs"]),
            "volunteer_form": volunteer_form or VolunteerForm(),
            "idea": ideas.idea_for_project(db, project["id"]),
            "reacties": reacties_with_answers(request, projects.project_path(project["slug"])),
        },
        status_code=status_code,
    )


async def project_page(request: Request) -> Response:
    return project_page_response(request, _project_or_404(request))


async def project_update_link(request: Request) -> Response:
    """The stable address of one update: it lives on its project's page."""
    project = _project_or_404(request)
    update_id = request.path_params["update_id"]
    exists = request.app.state.db.one(
        "SELECT 1 FROM project_updates WHERE id = ? AND project_id = ?", (update_id, project["id"])
    )
    if not exists:
        raise HTTPException(404)
    return RedirectResponse(f"/projecten/{project['slug']}#update-{update_id}", status_code=303)
