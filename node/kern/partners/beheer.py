"""Beheer of the kern's partners: add, change and remove the organisations it works with."""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import Optional

from node.kern.agenda import model as agenda
from node.kern.fields import STRIP, at_most, choice_validator, chosen, required
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.kern.rendering import VOCABULARY
from node.settings import Settings
from node.vocabulary import PARTNER_KINDS, choices
from node.web.auth import User, current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters
from node.web.i18n import _
from node.web.templating import flash, render

LIST_URL = "/beheer/partners"


def _web_address(form, field) -> None:
    if field.data and not partners.is_web_address(field.data):
        raise ValidationError(
            _(
                "Vul een webadres in dat begint met https:// of http://, bijvoorbeeld https://vv-beesd.nl."
            )
        )


class PartnerForm(BaseForm):
    name = StringField(
        _("Naam"), [required(_("een naam")), at_most(120), no_control_characters], filters=STRIP
    )
    kind = SelectField(
        _("Soort organisatie"),
        choices=[("", _("Kies een soort")), *choices(PARTNER_KINDS)],
        validators=[chosen(_("een soort organisatie"))],
        validate_choice=False,
    )
    description = TextAreaField(
        _("Wat doet deze partner"),
        [Optional(), at_most(300), no_control_characters],
        filters=STRIP,
    )
    website = StringField(_("Website"), [Optional(), at_most(300), _web_address], filters=STRIP)
    contact = StringField(
        _("Contact voor inwoners"),
        [Optional(), at_most(200), no_control_characters],
        filters=STRIP,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.validators.append(choice_validator(_("Kies een soort uit de lijst.")))

    def values(self) -> dict:
        return {key: self[key].data or "" for key in partners.PARTNER_FIELDS}


def _partner_or_404(request: Request) -> sqlite3.Row:
    found = partners.get_partner_by_id(request.app.state.db, request.path_params["partner_id"])
    if found is None:
        raise HTTPException(404)
    return found


def _render(request: Request, template: str, context: dict, status: int = 200) -> Response:
    return render(request, template, {**VOCABULARY, **context}, status_code=status)


def _write(request: Request, fn, *args):
    state = request.app.state
    return state.db.write(fn, state.settings, current_user(request), *args)


def remove_everywhere(
    conn: sqlite3.Connection, settings: Settings, who: User | str, partner_id: int
) -> None:
    """Remove a partner and publish its thema's and projects again without it, in the same
    transaction, so no follower keeps a link to a partner that is gone."""
    linked = partners.remove_partner(conn, settings, who, partner_id)
    for thema_id in linked["thema"]:
        agenda.republish_thema(conn, settings, who, thema_id)
    for project_id in linked["project"]:
        projects.republish_project(conn, settings, who, project_id)


@login_required()
async def partner_list(request: Request) -> Response:
    return _render(
        request, "beheer/partners.html", {"partners": partners.list_partners(request.app.state.db)}
    )


@login_required()
async def partner_edit(request: Request) -> Response:
    """New partner (no id in the path) or change an existing one."""
    partner = _partner_or_404(request) if "partner_id" in request.path_params else None
    template = "beheer/partner_form.html"
    if request.method == "GET":
        form = PartnerForm(data=dict(partner) if partner else None)
        return _render(request, template, {"form": form, "partner": partner})
    data, csrf_ok = await read_beheer_form(request)
    form = PartnerForm(formdata=data)
    context = {"form": form, "partner": partner}
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, context, 400)
    _write(request, partners.save_partner, form.values(), partner["id"] if partner else None)
    flash(request, _("De partner „%s” is opgeslagen.") % form.name.data)
    return RedirectResponse(LIST_URL, status_code=303)


@login_required()
async def partner_remove(request: Request) -> Response:
    partner = _partner_or_404(request)
    template = "beheer/partner_verwijderen.html"
    if request.method == "GET":
        return _render(request, template, {"partner": partner})
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(request, template, {"partner": partner, "csrf_error": True}, 400)
    _write(request, remove_everywhere, partner["id"])
    flash(request, _("De partner „%s” is weggehaald.") % partner["name"])
    return RedirectResponse(LIST_URL, status_code=303)
