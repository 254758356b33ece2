"""Beheer of residents' ideas: publish, answer, decline with a reason, make a project.

The pattern of themas.py: POST checks the CSRF token first and writes nothing without it;
a wrong field shows the page again with everything kept and status 400. The idea's page in
beheer shows the sender's name and contact details, so it is never stored in any cache.
"""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import TextAreaField

from node.kern.fields import STRIP, at_most
from node.kern.ideas import model as ideas
from node.kern.ideas.pages import filled
from node.kern.privacy.contact import IDEA_CONTACT, sees_contact, visible
from node.kern.rendering import VOCABULARY
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _
from node.web.templating import flash, render

LIST_URL = "/beheer/ideeen"
NO_STORE = {"Cache-Control": "no-store"}


class AnswerForm(BaseForm):
    answer = TextAreaField(
        _("Antwoord van de inwonersgroep"),
        [filled(_("een antwoord")), at_most(5000), no_control_characters],
        filters=STRIP,
    )


class DeclineForm(BaseForm):
    reason = TextAreaField(
        _("Reden van afwijzen"),
        [
            filled(_("de reden waarom het idee is afgewezen")),
            at_most(2000),
            no_control_characters,
        ],
        filters=STRIP,
    )


def _idea_or_404(request: Request) -> sqlite3.Row:
    idea = ideas.get_idea_by_id(request.app.state.db, request.path_params["idea_id"])
    if idea is None:
        raise HTTPException(404)
    return idea


def _detail(request: Request, idea: sqlite3.Row, status: int = 200, **context) -> Response:
    """The idea's page in beheer, with any form that needs its errors shown."""
    page = {
        "idea": visible(request, idea, IDEA_CONTACT),
        "show_contact": sees_contact(request),
        "answer_form": AnswerForm(data={"answer": idea["answer"]}),
        "decline_form": DeclineForm(),
        "action_error": None,
        "csrf_error": False,
        **context,
    }
    return render(
        request, "beheer/idee.html", {**VOCABULARY, **page}, status_code=status, headers=NO_STORE
    )


def _write(request: Request, fn, *args):
    state = request.app.state
    return state.db.write(fn, state.settings, current_user(request), *args)


@login_required()
async def idea_list(request: Request) -> Response:
    rows = ideas.ideas_for_moderation(request.app.state.db)
    groups = {
        status: [row for row in rows if row["status"] == status]
        for status in ("nieuw", "gepubliceerd", "afgewezen")
    }
    return render(request, "beheer/ideeen.html", {"groups": groups}, headers=NO_STORE)


@login_required()
async def idea_detail(request: Request) -> Response:
    return _detail(request, _idea_or_404(request))


async def _step(request: Request, fn, done: str, *args) -> Response:
    """One moderation step without fields of its own: check CSRF, write, say what happened."""
    idea = _idea_or_404(request)
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _detail(request, idea, 400, csrf_error=True)
    try:
        _write(request, fn, idea["id"], *args)
    except ideas.IdeaError as error:
        return _detail(request, idea, 400, action_error=str(error))
    flash(request, done % idea["title"])
    return RedirectResponse(f"{LIST_URL}/{idea['id']}", status_code=303)


@login_required()
async def idea_publish(request: Request) -> Response:
    return await _step(request, ideas.publish_idea, _("Het idee „%s” staat nu op de site."))


@login_required()
async def idea_make_project(request: Request) -> Response:
    return await _step(
        request,
        ideas.make_project,
        _("Van het idee „%s” is een project gemaakt. Vul het project verder aan."),
    )


@login_required()
async def idea_answer(request: Request) -> Response:
    idea = _idea_or_404(request)
    data, csrf_ok = await read_beheer_form(request)
    form = AnswerForm(formdata=data)
    if not csrf_ok:
        return _detail(request, idea, 400, answer_form=form, csrf_error=True)
    if not form.validate():
        return _detail(request, idea, 400, answer_form=form)
    try:
        _write(request, ideas.answer_idea, idea["id"], form.answer.data)
    except ideas.IdeaError as error:
        form.answer.errors = [str(error)]
        return _detail(request, idea, 400, answer_form=form)
    flash(request, _("Het antwoord op „%s” is opgeslagen.") % idea["title"])
    return RedirectResponse(f"{LIST_URL}/{idea['id']}", status_code=303)


@login_required()
async def idea_decline(request: Request) -> Response:
    idea = _idea_or_404(request)
    data, csrf_ok = await read_beheer_form(request)
    form = DeclineForm(formdata=data)
    if not csrf_ok:
        return _detail(request, idea, 400, decline_form=form, csrf_error=True)
    if not form.validate():
        return _detail(request, idea, 400, decline_form=form)
    try:
        _write(request, ideas.decline_idea, idea["id"], form.reason.data)
    except ideas.IdeaError as error:
        form.reason.errors = [str(error)]
        return _detail(request, idea, 400, decline_form=form)
    flash(
        request,
        _("Het idee „%s” is afgewezen. De indiener leest de reden via de eigen link.")
        % idea["title"],
    )
    return RedirectResponse(LIST_URL, status_code=303)


@login_required()
async def idea_remove(request: Request) -> Response:
    idea = _idea_or_404(request)
    template = "beheer/idee_verwijderen.html"
    if request.method == "GET":
        return render(request, template, {"idea": idea}, headers=NO_STORE)
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return render(request, template, {"idea": idea, "csrf_error": True}, 400, NO_STORE)
    _write(request, ideas.remove_idea, idea["id"])
    flash(request, _("Het idee „%s” is weggehaald.") % idea["title"])
    return RedirectResponse(LIST_URL, status_code=303)
