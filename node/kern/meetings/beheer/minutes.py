"""The verslag of a bijeenkomst, with a decision per linked project to move it to a phase.

The verslag and its decisions are saved in one transaction: when a decision is not allowed,
nothing of the verslag is saved.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from wtforms import SelectField, TextAreaField
from wtforms.validators import Optional

from node.kern.fields import STRIP, at_most
from node.kern.meetings import model as meetings
from node.kern.meetings.beheer.common import (
    meeting_or_404,
    redirect,
    render_page,
    show_error,
    write,
)
from node.kern.meetings.beheer.forms import one_of
from node.vocabulary import PHASES, PHASES_NEEDING_REASON, label
from node.web.auth import login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _
from node.web.templating import flash


class MinutesForm(BaseForm):
    minutes = TextAreaField(
        _("Verslag"), [Optional(), at_most(20000), no_control_characters], filters=STRIP
    )


def minutes_form(project_rows: list, formdata: FormData | None = None, data=None) -> MinutesForm:
    """The verslag with, for every linked project, a choice to move it to another phase."""

    class Form(MinutesForm):
        pass

    for project in project_rows:
        current = project["phase"]
        setattr(
            Form,
            f"fase_{project['id']}",
            SelectField(
                _("Besluit over „%s”") % project["title"],
                choices=[("", _("Blijft in de fase %s") % label(PHASES, current))]
                + [(key, _("Naar %s") % label(PHASES, key)) for key in PHASES if key != current],
                validators=[one_of(_("Kies een fase uit de lijst."))],
                validate_choice=False,
            ),
        )
        setattr(
            Form,
            f"toelichting_{project['id']}",
            TextAreaField(
                _("Toelichting bij „%s”") % project["title"],
                [Optional(), at_most(2000), no_control_characters],
                filters=STRIP,
            ),
        )
    form = Form(formdata=formdata, data=data)
    form.project_rows = project_rows
    return form


def _decisions(form: MinutesForm) -> list[meetings.Decision] | None:
    """The decisions in a filled-in verslag form; None when one needs a reason it lacks."""
    decisions, ok = [], True
    for project in form.project_rows:
        phase = form[f"fase_{project['id']}"].data
        note = form[f"toelichting_{project['id']}"]
        if not phase:
            continue
        if phase in PHASES_NEEDING_REASON and not note.data:
            note.errors.append(_("Schrijf op waarom het project gepauzeerd of gestopt wordt."))
            ok = False
        decisions.append(meetings.Decision(project["id"], phase, note.data or ""))
    return decisions if ok else None


@login_required()
async def minutes_edit(request: Request) -> Response:
    meeting = meeting_or_404(request)
    db = request.app.state.db
    template = "beheer/bijeenkomst_verslag.html"
    linked = meetings.projects_of(db, meeting["id"])
    context = {
        "meeting": meeting,
        "not_yet": meetings.can_have_minutes(meeting),
        "decisions": meetings.decisions_of(db, meeting["id"]),
    }
    if request.method == "GET":
        form = minutes_form(linked, data={"minutes": meeting["minutes"]})
        return render_page(request, template, {**context, "form": form})
    data, csrf_ok = await read_beheer_form(request)
    form = minutes_form(linked, formdata=data)
    context["form"] = form
    if not csrf_ok:
        return render_page(request, template, {**context, "csrf_error": True}, 400)
    if context["not_yet"]:
        return render_page(request, template, context, 400)
    valid = form.validate()
    decisions = _decisions(form)
    if not valid or decisions is None:
        return render_page(request, template, context, 400)
    try:
        write(request, meetings.save_minutes, meeting["id"], form.minutes.data or "", decisions)
    except meetings.MeetingError as error:
        show_error(form, error, "minutes")
        return render_page(request, template, context, 400)
    flash(request, _("Het verslag van „%s” is opgeslagen.") % meeting["title"], at="verslag")
    return redirect(meetings.meeting_path(meeting["slug"]))
