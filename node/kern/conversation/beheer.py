"""Beheer of the conversation with the gemeente: its reacties, and the kern's answers.

GET      /beheer/gemeente                          every project or thema the gemeente
                                                   reacted on, with who is to answer
GET/POST /beheer/gemeente/antwoord?op=<reactie id> answer one reactie (and close it)
"""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from federation.store import utcnow
from node.kern.conversation import threads
from node.web import thread_state
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters, strip_text
from node.web.i18n import _
from node.web.templating import flash, render

LIST_URL = "/beheer/gemeente"
CLOSE = "afronden"  # the name of the button that sends the answer and closes the thread


class AnswerForm(BaseForm):
    text = TextAreaField(
        _("Uw antwoord"),
        [
            DataRequired(message=_("Schrijf een antwoord.")),
            Length(max=5000, message=_("Gebruik hoogstens 5000 tekens.")),
            no_control_characters,
        ],
        filters=[strip_text],
    )


@login_required()
async def conversation_list(request: Request) -> Response:
    state = request.app.state
    return render(
        request,
        "beheer/gemeente.html",
        {
            "conversations": threads.conversations(state.db, state.settings),
            "state_label": thread_state.label,
            "WAITS_FOR_KERN": thread_state.WAITS_FOR_KERN,
        },
    )


def _conversation_of(request: Request, reactie_id: str) -> tuple[dict, dict]:
    """The conversation the reactie belongs to, and the reactie; 404 when there is none."""
    state = request.app.state
    for conversation in threads.conversations(state.db, state.settings):
        for reactie in conversation["reacties"]:
            if reactie["id"] == reactie_id:
                return conversation, reactie
    raise HTTPException(404)


def _answer_page(
    request: Request, reactie_id: str, form: AnswerForm, status: int = 200, **extra
) -> Response:
    conversation, reactie = _conversation_of(request, reactie_id)
    context = {
        "conversation": conversation,
        "reactie": reactie,
        "form": form,
        "state_label": thread_state.label,
        **extra,
    }
    return render(request, "beheer/gemeente_antwoord.html", context, status)


@login_required()
async def answer(request: Request) -> Response:
    reactie_id = request.query_params.get("op", "")
    if request.method == "GET":
        return _answer_page(request, reactie_id, AnswerForm())
    data, csrf_ok = await read_beheer_form(request)
    form = AnswerForm(formdata=data)
    if not csrf_ok:
        return _answer_page(request, reactie_id, form, 400, csrf_error=True)
    if not form.validate():
        return _answer_page(request, reactie_id, form, 400)
    closes = data.get(CLOSE) == "ja"
    state = request.app.state
    publisher = state.federation.publisher
    me = current_user(request)

    def send(conn: sqlite3.Connection) -> str:
        return threads.answer(
            conn, state.settings, publisher, reactie_id, form.text.data, closes, me, utcnow()
        )

    try:
        state.db.write(send)
    except threads.NotAnswerable:
        raise HTTPException(404) from None
    if closes:
        flash(request, _("Uw antwoord is naar de gemeente gestuurd. Het gesprek is afgerond."))
    else:
        flash(request, _("Uw antwoord is naar de gemeente gestuurd."))
    return RedirectResponse(LIST_URL, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route(LIST_URL, conversation_list),
        Route(LIST_URL + "/antwoord", answer, methods=["GET", "POST"]),
    ]
