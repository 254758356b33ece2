"""Beheer of the kernagenda: thema's, and publishing a new version."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.agenda import model as agenda
from node.kern.agenda.forms import ThemaForm, VersionForm
from node.kern.partners import links
from node.kern.rendering import VOCABULARY
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash, render


def _render(request: Request, template: str, context: dict, status: int = 200) -> Response:
    return render(request, template, {**VOCABULARY, **context}, status_code=status)


@login_required()
async def thema_list(request: Request) -> Response:
    db = request.app.state.db
    return _render(
        request,
        "beheer/themas.html",
        {
            "themas": agenda.list_themas(db),
            "pending": agenda.unpublished_changes(db, request.app.state.settings),
            "version": agenda.latest_version(db),
        },
    )


def _thema_or_404(request: Request):
    thema = agenda.get_thema_by_id(request.app.state.db, request.path_params["thema_id"])
    if thema is None:
        raise HTTPException(404)
    return thema


@login_required()
async def thema_edit(request: Request) -> Response:
    """New thema (no id in the path) or change an existing one, with its partners."""
    thema = _thema_or_404(request) if "thema_id" in request.path_params else None
    template = "beheer/thema_form.html"
    db = request.app.state.db
    thema_id = thema["id"] if thema else None
    if request.method == "GET":
        form = ThemaForm(
            data=dict(thema)
            if thema
            else {"priority": "middel", "status": "nieuw", "actor": "inwoners"}
        )
        choices = links.link_choices(db, "thema", thema_id)
        return _render(request, template, {"form": form, "thema": thema, "partner_links": choices})
    data, csrf_ok = await read_beheer_form(request)
    form = ThemaForm(formdata=data)
    choices = links.link_choices(db, "thema", thema_id, data)
    partner_links, partner_errors = links.read_links(choices)
    context = {
        "form": form,
        "thema": thema,
        "partner_links": choices,
        "partner_errors": partner_errors,
    }
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate() or partner_errors:
        return _render(request, template, context, 400)
    settings = request.app.state.settings
    db.write(
        agenda.save_thema,
        settings,
        current_user(request),
        form.values(),
        thema_id,
        partner_links,
    )
    flash(request, _("Het thema „%s” is opgeslagen.") % form.title.data)
    return RedirectResponse("/beheer/themas", status_code=303)


@login_required()
async def thema_remove(request: Request) -> Response:
    thema = _thema_or_404(request)
    if request.method == "GET":
        return _render(request, "beheer/thema_verwijderen.html", {"thema": thema})
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(
            request, "beheer/thema_verwijderen.html", {"thema": thema, "csrf_error": True}, 400
        )
    request.app.state.db.write(
        agenda.remove_thema, request.app.state.settings, current_user(request), thema["id"]
    )
    flash(request, _("Het thema „%s” is van de agenda gehaald.") % thema["title"])
    return RedirectResponse("/beheer/themas", status_code=303)


@login_required()
async def version_publish(request: Request) -> Response:
    db = request.app.state.db
    settings = request.app.state.settings
    template = "beheer/versie_form.html"
    context = {
        "pending": agenda.unpublished_changes(db, settings),
        "version": agenda.latest_version(db),
    }
    if request.method == "GET":
        return _render(request, template, {**context, "form": VersionForm()})
    data, csrf_ok = await read_beheer_form(request)
    form = VersionForm(formdata=data)
    if not csrf_ok:
        return _render(request, template, {**context, "form": form, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, {**context, "form": form}, 400)
    slug = db.write(
        agenda.publish_version,
        settings,
        current_user(request),
        form.title.data,
        form.introduction.data or "",
    )
    flash(request, _("Versie „%s” van de kernagenda is gepubliceerd.") % form.title.data)
    return RedirectResponse(f"/agenda/versies/{slug}", status_code=303)
