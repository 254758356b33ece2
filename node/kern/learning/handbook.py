"""The handleiding in beheer: the first-run checklist and how to run the group's work."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern.learning.checklist import first_steps
from node.kern.rendering import VOCABULARY
from node.web.auth import login_required
from node.web.templating import render


@login_required()
async def handbook_page(request: Request) -> Response:
    steps = first_steps(request.app.state.db, request.app.state.settings)
    return render(
        request,
        "beheer/handleiding.html",
        {
            **VOCABULARY,
            "steps": steps,
            "steps_done": sum(step.done for step in steps),
        },
    )
