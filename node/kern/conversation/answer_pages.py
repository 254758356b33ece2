"""The address of a kern's answer to the gemeente (its id, node/kern/conversation/threads.py).

GET /antwoorden/<id>   with an ActivityStreams Accept: the answer as published
                       (node/kern/federation/pages.py); for a person: the project's or
                       thema's page, where the answer is shown under the reactie
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.kern.conversation.threads import ANSWERS_PATH


async def answer_page(request: Request) -> Response:
    state = request.app.state
    about = state.db.scalar(
        "SELECT about FROM gemeente_answers WHERE object_id = ?",
        (state.settings.url(f"{ANSWERS_PATH}/{request.path_params['answer']}"),),
    )
    if about is None:
        raise HTTPException(404)
    return RedirectResponse(f"{about}#reacties-gemeente", status_code=303)


def routes() -> list[BaseRoute]:
    return [Route(ANSWERS_PATH + "/{answer}", answer_page)]
