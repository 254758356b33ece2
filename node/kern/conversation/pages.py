"""What the gemeente said, on the public site: its berichten, and its reacties with the kern's answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern.conversation import model as gemeente_messages
from node.kern.conversation import threads
from node.kern.rendering import page


def reacties_with_answers(request: Request, path: str) -> list[dict]:
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
