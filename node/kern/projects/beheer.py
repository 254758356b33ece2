"""Beheer of projects: their content, phases, news, photo and volunteers.

Redacteuren and beheerders may both edit content. Every endpoint follows the pattern of
themas.py: GET shows the form, POST checks the CSRF token and the fields, shows the form
again with everything kept and status 400 when something is wrong, or writes through the
data layer (which records the event and the audit trail) and redirects.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import FileField, TextAreaField, ValidationError

from node.kern.agenda import model as agenda
from node.kern.fields import STRIP, at_most
from node.kern.partners import links
from node.kern.privacy.contact import VOLUNTEER_CONTACT, sees_contact, visible_rows
from node.kern.projects import model as projects
from node.kern.projects import photos
from node.kern.projects.forms import PhaseForm, PhotoForm, ProjectForm, UpdateForm
from node.kern.rendering import VOCABULARY
from node.vocabulary import PHASES, PHASES_NEEDING_REASON, label
from node.web.auth import current_user, login_required
from node.web.beheerforms import read_beheer_form
from node.web.forms import no_control_characters
from node.web.i18n import _, dutch_date
from node.web.templating import flash, render

LIST_URL = "/beheer/projecten"
# Volunteers' names and contact details must not linger in any browser or proxy cache.
NO_STORE = {"Cache-Control": "no-store"}


class NewProjectForm(ProjectForm):
    """A new project also says why it starts in its phase (needed for gepauzeerd/gestopt)."""

    phase_note = TextAreaField(
        _("Toelichting bij de fase"),
        # No Optional(): it would stop the chain before the reason check below runs.
        [at_most(2000), no_control_characters],
        filters=STRIP,
    )

    def validate_phase_note(self, field) -> None:
        if self.phase.data in PHASES_NEEDING_REASON and not field.data:
            raise ValidationError(_("Schrijf op waarom het project gepauzeerd of gestopt wordt."))


class PhotoUploadForm(PhotoForm):
    """The alt text, with the file beside it so its errors show like any other field's."""

    photo = FileField(_("Foto"), render_kw={"accept": "image/jpeg,image/png,image/webp"})


def _render(
    request: Request, template: str, context: dict, status: int = 200, headers: dict | None = None
) -> Response:
    return render(request, template, {**VOCABULARY, **context}, status_code=status, headers=headers)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _project_or_404(request: Request) -> sqlite3.Row:
    project = projects.get_project_by_id(request.app.state.db, request.path_params["project_id"])
    if project is None:
        raise HTTPException(404)
    return project


def _thema_choices(request: Request) -> list[tuple[str, str]]:
    return [(str(t["id"]), t["title"]) for t in agenda.list_themas(request.app.state.db)]


def _write(request: Request, fn, *args, **kwargs):
    """Run a data-layer write as the signed-in user, in one transaction."""
    state = request.app.state
    return state.db.write(fn, state.settings, current_user(request), *args, **kwargs)


# --- The list --------------------------------------------------------------------------


@login_required()
async def project_list(request: Request) -> Response:
    db = request.app.state.db
    volunteers = {
        row["project_id"]: row["n"]
        for row in db.execute(
            "SELECT project_id, count(*) AS n FROM volunteers GROUP BY project_id"
        )
    }
    return _render(
        request,
        "beheer/projecten.html",
        {"projects": projects.list_projects(db), "volunteers": volunteers},
    )


# --- New and edit -----------------------------------------------------------------------


def _cents_to_euros(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents) / 100


def _form_data(request: Request, project: sqlite3.Row) -> dict:
    """A stored project as the form's initial values."""
    data = {key: project[key] for key in projects.PROJECT_FIELDS}
    data["budget_source_other"] = project["budget_source_other"]
    data["needs"] = json.loads(project["needs"] or "[]")
    data["trekker_consent"] = bool(project["trekker_consent"])
    data["themas"] = [str(t["id"]) for t in projects.themas_of(request.app.state.db, project["id"])]
    for key in ("budget_requested", "budget_granted"):
        data[key] = _cents_to_euros(project[key])
    for key in ("start_date", "target_date"):
        data[key] = date.fromisoformat(project[key]) if project[key] else None
    return data


def _project_form(
    request: Request, project: sqlite3.Row | None, formdata: FormData | None = None
) -> ProjectForm:
    choices = _thema_choices(request)
    if project is None:
        return NewProjectForm(formdata=formdata, thema_choices=choices)
    form = ProjectForm(
        formdata=formdata,
        data=None if formdata else _form_data(request, project),
        thema_choices=choices,
    )
    # The phase of an existing project changes only on its own page, with a note.
    del form.phase
    return form


@login_required()
async def project_edit(request: Request) -> Response:
    """New project (no id in the path) or change an existing one, with its partners."""
    project = _project_or_404(request) if "project_id" in request.path_params else None
    template = "beheer/project_form.html"
    db = request.app.state.db
    project_id = project["id"] if project else None
    if request.method == "GET":
        form = _project_form(request, project)
        choices = links.link_choices(db, "project", project_id)
        return _render(
            request, template, {"form": form, "project": project, "partner_links": choices}
        )
    data, csrf_ok = await read_beheer_form(request)
    form = _project_form(request, project, data)
    choices = links.link_choices(db, "project", project_id, data)
    partner_links, partner_errors = links.read_links(choices)
    context = {
        "form": form,
        "project": project,
        "partner_links": choices,
        "partner_errors": partner_errors,
    }
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate() or partner_errors:
        return _render(request, template, context, 400)
    thema_ids = [int(value) for value in form.themas.data or []]
    if project is None:
        _write(
            request,
            projects.save_project,
            form.values(),
            thema_ids,
            None,
            form.phase.data,
            form.phase_note.data or "",
            partner_links=partner_links,
        )
    else:
        _write(
            request,
            projects.save_project,
            form.values(),
            thema_ids,
            project["id"],
            partner_links=partner_links,
        )
    saved = _("Het project „%s” is opgeslagen.") % form.title.data
    if form.granted_above_requested():
        saved += " " + _("Let op: er is meer geld toegekend dan gevraagd. Klopt dat?")
    flash(request, saved)
    return _redirect(LIST_URL)


# --- Phase ------------------------------------------------------------------------------


def _phase_error_field(project: sqlite3.Row, to_phase: str) -> str:
    """Which field a PhaseError belongs to: a missing reason is about the note."""
    if to_phase in PHASES and to_phase != project["phase"]:
        return "note"
    return "phase"


def _after_last_change(form: PhaseForm, history: list[sqlite3.Row]) -> bool:
    """A change dated before the previous one would put the history out of order."""
    last = date.fromisoformat(history[-1]["changed_on"]) if history else None
    if form.changed_on.data and last and form.changed_on.data < last:
        form.changed_on.errors.append(
            _("De datum ligt voor de vorige verandering van fase (%s).") % dutch_date(last)
        )
        return False
    return True


@login_required()
async def phase_change(request: Request) -> Response:
    project = _project_or_404(request)
    template = "beheer/project_fase.html"
    context = {
        "project": project,
        "history": projects.phase_history(request.app.state.db, project["id"]),
    }
    if request.method == "GET":
        return _render(request, template, {**context, "form": PhaseForm()})
    data, csrf_ok = await read_beheer_form(request)
    form = PhaseForm(formdata=data)
    context["form"] = form
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate() or not _after_last_change(form, context["history"]):
        return _render(request, template, context, 400)
    try:
        _write(
            request,
            projects.change_phase,
            project["id"],
            form.phase.data,
            form.note.data or "",
            form.changed_on.data,
        )
    except projects.PhaseError as error:
        form[_phase_error_field(project, form.phase.data)].errors.append(str(error))
        return _render(request, template, context, 400)
    flash(
        request,
        _("Het project „%(title)s” is nu in de fase %(phase)s.")
        % {"title": project["title"], "phase": label(PHASES, form.phase.data)},
    )
    return _redirect(f"{LIST_URL}/{project['id']}/fase")


# --- Updates ----------------------------------------------------------------------------


@login_required()
async def update_new(request: Request) -> Response:
    project = _project_or_404(request)
    template = "beheer/project_update.html"
    context = {
        "project": project,
        "updates": projects.updates_of(request.app.state.db, project["id"]),
    }
    if request.method == "GET":
        return _render(request, template, {**context, "form": UpdateForm()})
    data, csrf_ok = await read_beheer_form(request)
    form = UpdateForm(formdata=data)
    context["form"] = form
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    if not form.validate():
        return _render(request, template, context, 400)
    _write(
        request,
        projects.add_update,
        project["id"],
        form.title.data,
        form.body.data,
        form.published_on.data,
    )
    flash(request, _("Het nieuws „%s” staat op de projectpagina.") % form.title.data)
    return _redirect(f"{LIST_URL}/{project['id']}/updates/nieuw")


@login_required()
async def update_remove(request: Request) -> Response:
    project = _project_or_404(request)
    update = request.app.state.db.one(
        "SELECT * FROM project_updates WHERE id = ? AND project_id = ?",
        (request.path_params["update_id"], project["id"]),
    )
    if update is None:
        raise HTTPException(404)
    template = "beheer/update_verwijderen.html"
    context = {"project": project, "update": update}
    if request.method == "GET":
        return _render(request, template, context)
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    _write(request, projects.remove_update, project["id"], update["id"])
    flash(request, _("Het nieuws „%s” is weggehaald.") % update["title"])
    return _redirect(f"{LIST_URL}/{project['id']}/updates/nieuw")


# --- Photo ------------------------------------------------------------------------------


async def _store_upload(request: Request, form: PhotoUploadForm, upload) -> str | None:
    """The stored file name of a valid upload; None with an error on the field otherwise."""
    try:
        data = await photos.read_upload(upload)
        # Decoding and resizing is heavy work: keep it off the event loop.
        return await run_in_threadpool(
            photos.save_photo, data, request.app.state.settings.media_dir
        )
    except photos.PhotoError as error:
        form.photo.errors = [str(error)]
        return None


def _replace_photo(request: Request, project: sqlite3.Row, name: str | None, alt: str) -> None:
    """Point the project to its new photo, then delete the old file once that is committed."""
    media_dir = request.app.state.settings.media_dir
    try:
        _write(request, projects.set_photo, project["id"], name, alt)
    except BaseException:
        if name != project["photo"]:
            photos.delete_photo(media_dir, name)  # nothing points to it
        raise
    if project["photo"] and project["photo"] != name:
        photos.delete_photo(media_dir, project["photo"])


async def _save_photo_form(request: Request, project: sqlite3.Row, data: FormData) -> Response:
    template = "beheer/project_foto.html"
    form = PhotoUploadForm(formdata=data)
    context = {"form": form, "project": project}
    valid = form.validate()
    upload = data.get("photo")
    if not photos.has_upload(upload) and not project["photo"]:
        form.photo.errors = [_("Kies een foto.")]
        valid = False
    if not valid:
        return _render(request, template, context, 400)
    name = project["photo"]
    if photos.has_upload(upload):
        name = await _store_upload(request, form, upload)
        if name is None:
            return _render(request, template, context, 400)
    _replace_photo(request, project, name, form.photo_alt.data)
    flash(request, _("De foto van „%s” is opgeslagen.") % project["title"])
    return _redirect(f"{LIST_URL}/{project['id']}/foto")


@login_required()
async def photo_edit(request: Request) -> Response:
    """Upload a photo, replace it, or only change what its description says."""
    project = _project_or_404(request)
    if request.method == "GET":
        form = PhotoUploadForm(data={"photo_alt": project["photo_alt"]})
        return _render(request, "beheer/project_foto.html", {"form": form, "project": project})
    data, csrf_ok = await read_beheer_form(request, max_files=1)
    try:
        if not csrf_ok:
            # Keep the description; a file input can never be filled in again by the server.
            form = PhotoUploadForm(formdata=data)
            context = {"form": form, "project": project, "csrf_error": True}
            return _render(request, "beheer/project_foto.html", context, 400)
        return await _save_photo_form(request, project, data)
    finally:
        await data.close()  # the spooled upload, on disk when large


@login_required()
async def photo_remove(request: Request) -> Response:
    project = _project_or_404(request)
    if not project["photo"]:
        raise HTTPException(404)
    template = "beheer/project_foto.html"
    form = PhotoUploadForm(data={"photo_alt": project["photo_alt"]})
    context = {"form": form, "project": project, "confirm_remove": True}
    if request.method == "GET":
        return _render(request, template, context)
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(request, template, {**context, "csrf_error": True}, 400)
    _replace_photo(request, project, None, "")
    flash(request, _("De foto van „%s” is weggehaald.") % project["title"])
    return _redirect(f"{LIST_URL}/{project['id']}/foto")


# --- Volunteers -------------------------------------------------------------------------


@login_required()
async def volunteer_list(request: Request) -> Response:
    """Names and contact details: only for signed-in users, and never stored in a cache."""
    project = _project_or_404(request)
    volunteers = projects.volunteers_of(request.app.state.db, project["id"])
    return _render(
        request,
        "beheer/project_vrijwilligers.html",
        {
            "project": project,
            "volunteers": visible_rows(request, volunteers, VOLUNTEER_CONTACT),
            "show_contact": sees_contact(request),
        },
        headers=NO_STORE,
    )


# --- Remove -----------------------------------------------------------------------------


@login_required()
async def project_remove(request: Request) -> Response:
    project = _project_or_404(request)
    template = "beheer/project_verwijderen.html"
    if request.method == "GET":
        return _render(request, template, {"project": project})
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        return _render(request, template, {"project": project, "csrf_error": True}, 400)
    photo = _write(request, projects.remove_project, project["id"])
    photos.delete_photo(request.app.state.settings.media_dir, photo)
    flash(request, _("Het project „%s” is weggehaald.") % project["title"])
    return _redirect(LIST_URL)
