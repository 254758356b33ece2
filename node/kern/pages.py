"""The public pages of a kern: home, kernagenda, projects, about, search, the house style."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern import agenda, gemeente_messages, ideas, projects, search, threads
from node.kern.forms import VolunteerForm
from node.search import MAX_QUERY_LENGTH
from node.vocabulary import (
    BUDGET_SOURCES,
    LADDER,
    LADDER_EXPLAINED,
    NEEDS,
    PHASE_PATH,
    PHASES,
    PRIORITIES,
    SIDE_PHASES,
    THEMA_STATUSES,
    WHO_ACTS,
    label,
)
from node.web.i18n import _
from node.web.numbers import parse_int
from node.web.templating import render

VOCABULARY = {
    "PHASES": PHASES,
    "THEMA_STATUSES": THEMA_STATUSES,
    "WHO_ACTS": WHO_ACTS,
    "PRIORITIES": PRIORITIES,
    "LADDER": LADDER,
    "LADDER_EXPLAINED": LADDER_EXPLAINED,
    "NEEDS": NEEDS,
    "BUDGET_SOURCES": BUDGET_SOURCES,
    "PHASE_PATH": PHASE_PATH,
    "SIDE_PHASES": SIDE_PHASES,
    "label": label,
    "actor_label": agenda.actor_label,
    "loads": json.loads,
}


def page(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    return render(request, template, {**VOCABULARY, **context}, status_code=status_code)


async def agenda_page(request: Request) -> Response:
    db = request.app.state.db
    themas = agenda.list_themas(db)
    counts = {
        row["thema_id"]: row["n"]
        for row in db.execute(
            """SELECT pt.thema_id, count(*) AS n FROM project_themas pt
               JOIN projects p ON p.id = pt.project_id WHERE p.removed_at IS NULL
               GROUP BY pt.thema_id"""
        )
    }
    return page(
        request,
        "kern/agenda.html",
        {"themas": themas, "counts": counts, "version": agenda.latest_version(db)},
    )


async def thema_page(request: Request) -> Response:
    db = request.app.state.db
    thema = agenda.get_thema(db, request.path_params["slug"])
    if thema is None:
        raise HTTPException(404)
    return page(
        request,
        "kern/thema.html",
        {
            "thema": thema,
            "projects": projects.list_projects(db, thema_slug=thema["slug"]),
            "reacties": _reacties(request, f"/agenda/themas/{thema['slug']}"),
        },
    )


def _reacties(request: Request, path: str) -> list[dict]:
    """The gemeente's reacties on the object at `path` (its id is the public URL), each with
    the kern's answers to it."""
    settings, db = request.app.state.settings, request.app.state.db
    found = gemeente_messages.reacties_for(db, settings, settings.url(path))
    answers = threads.answers_to(db, [r["id"] for r in found])
    return [{**r, "answers": answers.get(r["id"], [])} for r in found]


async def gemeente_page(request: Request) -> Response:
    """Berichten van de gemeente: what the gemeente sent this kern, newest first."""
    state = request.app.state
    return page(
        request,
        "kern/gemeenteberichten.html",
        {"berichten": gemeente_messages.berichten(state.db, state.settings)},
    )


async def versions_page(request: Request) -> Response:
    return page(
        request, "kern/versies.html", {"versions": agenda.list_versions(request.app.state.db)}
    )


async def version_page(request: Request) -> Response:
    db = request.app.state.db
    version = agenda.get_version(db, request.path_params["slug"])
    if version is None:
        raise HTTPException(404)
    previous, diff = agenda.diff_with_previous(db, version)
    return page(
        request,
        "kern/versie.html",
        {
            "version": version,
            "themas": json.loads(version["snapshot"]),
            "previous": previous,
            "diff": diff,
        },
    )


PROJECTS_PER_PAGE = 24


async def projects_page(request: Request) -> Response:
    db = request.app.state.db
    phase = request.query_params.get("fase", "")
    thema_slug = request.query_params.get("thema", "")
    raw_page = request.query_params.get("pagina", "1")
    themas = agenda.list_themas(db)
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
            "history": history,
            "reached": reached,
            "updates": projects.updates_of(db, project["id"]),
            "needs": json.loads(project["needs"]),
            "volunteer_form": volunteer_form or VolunteerForm(),
            "idea": ideas.idea_for_project(db, project["id"]),
            "reacties": _reacties(request, projects.project_path(project["slug"])),
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


async def about_page(request: Request) -> Response:
    return page(request, "kern/over.html", {})


async def privacy_page(request: Request) -> Response:
    return page(request, "kern/privacy.html", {})


async def accessibility_page(request: Request) -> Response:
    return page(request, "kern/toegankelijkheid.html", {})


KIND_LABELS = {
    "project": "Project",
    "thema": "Thema",
    "versie": "Versie van de kernagenda",
    "idee": "Idee",
    "bericht": "Bericht",
    "bijeenkomst": "Bijeenkomst",
}


async def search_page(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    error = None
    results = []
    if len(query) > MAX_QUERY_LENGTH:
        error = _("Uw zoekvraag is te lang. Gebruik minder woorden.")
    elif query:
        results = search.search(request.app.state.db.read(), query)
    return page(
        request,
        "kern/zoeken.html",
        {
            "query": query[:MAX_QUERY_LENGTH],
            "results": results,
            "error": error,
            "kinds": KIND_LABELS,
        },
        status_code=400 if error else 200,
    )


async def house_style(request: Request) -> Response:
    """The kern's own colours as design tokens; everything else comes from tokens.css."""
    settings = request.app.state.settings
    site = request.app.state.site()
    primary = site.get("colour_primary") or settings.colour_primary
    accent = site.get("colour_accent") or settings.colour_accent
    css = (
        ":root {\n"
        f"  --bloei-color-primary: {primary};\n"
        f"  --bloei-color-primary-dark: color-mix(in srgb, {primary} 75%, black);\n"
        f"  --bloei-color-accent: {accent};\n"
        "}\n"
    )
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on every first visit; answer with the icon, not a 404."""
    from starlette.responses import FileResponse

    from node.web.templating import STATIC_DIR

    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
