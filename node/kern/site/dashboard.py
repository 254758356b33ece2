"""The first page after signing in: what needs attention."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern.agenda import model as agenda
from node.kern.conversation import threads
from node.kern.projects import model as projects
from node.kern.rendering import VOCABULARY
from node.kern.site.attention import needs_attention
from node.mail.mailer import mail_status
from node.web.auth import login_required
from node.web.templating import render


@login_required()
async def dashboard(request: Request) -> Response:
    db = request.app.state.db
    return render(
        request,
        "beheer/overzicht.html",
        {
            **VOCABULARY,
            "counts": projects.counts_by_phase(db),
            "thema_count": len(agenda.list_themas(db)),
            "volunteers": db.execute(
                """SELECT v.name, v.created_at, p.title, p.slug, p.id AS project_id FROM volunteers v
                   JOIN projects p ON p.id = v.project_id WHERE v.contact_removed_at IS NULL
                   ORDER BY v.created_at DESC LIMIT 5"""
            ),
            "mail": mail_status(db, request.app.state.settings, failures=0),
            "pending": agenda.unpublished_changes(db, request.app.state.settings),
            "gemeente_waiting": threads.waiting_for_kern(db, request.app.state.settings),
            "attention": needs_attention(db, request.app.state.settings),
        },
    )
