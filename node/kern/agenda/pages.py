"""The kernagenda on the public site: its thema's and the versions the group published."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from node.kern.agenda import model as agenda
from node.kern.conversation.pages import reacties_with_answers
from node.kern.neighbours import model as neighbours
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.kern.rendering import page


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
            "partners": partners.partners_of(db, "thema", thema["id"]),
            "reacties": reacties_with_answers(request, f"/agenda/themas/{thema['slug']}"),
            "elsewhere": _elsewhere(request, thema["slug"]),
        },
    )


def _elsewhere(request: Request, slug: str) -> list[dict]:
    """Other kernen's thema's on the same subject, when the group shows them."""
    conn = request.app.state.db.read()
    if not neighbours.turned_on(conn):
        return []
    own_url = request.app.state.settings.url(f"/agenda/themas/{slug}")
    return neighbours.same_thema_elsewhere(conn, own_url)


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
