"""The evaluation form on a meeting's page, and the answers for the group in beheer.

Like the RSVP form, the evaluation sits on a cached public page without a session token: the
Origin check refuses cross-site POSTs, a hidden field catches bots and a limit per address
stops a script. Who answered is known only as a keyed hash of the browser's token, the same
token that counts support once (node/kern/projects/participation.py): one cookie, one person.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.meetings import evaluations
from node.kern.meetings import model as meetings
from node.kern.meetings.beheer.common import meeting_or_404, render_page
from node.kern.meetings.evaluation_form import SCORE_LABELS, EvaluationForm
from node.kern.meetings.pages import meeting_page_response, public_meeting_or_404
from node.kern.projects.participation import (
    SUPPORTER_COOKIE,
    supporter_hash,
    supporter_token,
)
from node.web.auth import login_required
from node.web.forms import read_form
from node.web.i18n import _
from node.web.ratelimit import client_key, limiter
from node.web.templating import flash

EVALUATION_LIMIT = (30, 3600)
NO_STORE = {"Cache-Control": "no-store"}


async def evaluate(request: Request) -> Response:
    meeting = public_meeting_or_404(request)
    state = request.app.state
    form = EvaluationForm(formdata=await read_form(request))
    target = meetings.meeting_path(meeting["slug"])
    window = evaluations.evaluation_window(meeting)
    if window != "open":
        form.score.errors = [
            {
                "not_yet": _("U kunt de bijeenkomst beoordelen zodra die begonnen is."),
                "closed": _("Beoordelen kan tot %d dagen na de bijeenkomst.")
                % evaluations.EVALUATION_DAYS,
                "cancelled": _("Deze bijeenkomst ging niet door."),
            }[window]
        ]
        return meeting_page_response(request, meeting, evaluation=form, status_code=400)
    if not form.validate():
        return meeting_page_response(request, meeting, evaluation=form, status_code=400)
    if form.website.data:
        flash(request, _("Dank u wel voor uw mening!"), at="evaluatie", done=True)
        return RedirectResponse(target, status_code=303)
    if not limiter(request, "evaluatie", *EVALUATION_LIMIT).allow(client_key(request, "evaluatie")):
        form.score.errors = [
            _("Er kwamen te veel antwoorden van uw adres. Probeer het later opnieuw.")
        ]
        return meeting_page_response(request, meeting, evaluation=form, status_code=429)
    token = supporter_token(request)
    replaced = state.db.write(
        evaluations.save_evaluation,
        meeting["id"],
        supporter_hash(state.settings.secret_key, token),
        int(form.score.data),
        form.went_well.data or "",
        form.could_be_better.data or "",
    )
    flash(
        request,
        _("Dank u wel! Uw eerdere antwoord is vervangen door dit antwoord.")
        if replaced
        else _("Dank u wel voor uw mening! De inwonersgroep leest alle antwoorden."),
        at="evaluatie",
        done=True,
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SUPPORTER_COOKIE,
        token,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=state.settings.secure_cookies,
    )
    return response


@login_required()
async def evaluation_list(request: Request) -> Response:
    """What people said about a meeting: the scores and every text, for the group."""
    meeting = meeting_or_404(request)
    db = request.app.state.db
    counts = evaluations.score_counts(db, meeting["id"])
    return render_page(
        request,
        "beheer/bijeenkomst_evaluaties.html",
        {
            "meeting": meeting,
            "answers": evaluations.evaluations_of(db, meeting["id"]),
            "summary": meetings.evaluation_summary(db.read(), meeting["id"]),
            "counts": counts,
            "most": max(counts.values()) or 1,
            "score_labels": SCORE_LABELS,
            "window": evaluations.evaluation_window(meeting),
            "evaluation_days": evaluations.EVALUATION_DAYS,
        },
        headers=NO_STORE,
    )
