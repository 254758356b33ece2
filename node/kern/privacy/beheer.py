"""Beheer of residents' personal data (beheerders only): the retention rule, and one person's
data found, exported or deleted on request.

The person's search term travels in POST bodies only, never in an address, so it ends up in
no access log or browser history; the audit log gets counts, never the person's details.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from node.kern.privacy import model as privacy
from node.web import auth
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, strip_text
from node.web.i18n import _
from node.web.templating import flash, render

NO_STORE = {"Cache-Control": "no-store"}


class PersonForm(BaseForm):
    query = StringField(
        _("E-mailadres, telefoonnummer of naam"),
        [
            # DataRequired: a query of only spaces is empty once stripped.
            DataRequired(message=_("Vul een e-mailadres, telefoonnummer of naam in.")),
            Length(max=200, message=_("Gebruik hoogstens 200 tekens.")),
        ],
        filters=[strip_text],
    )


def _overview(request: Request, form: PersonForm, status_code: int = 200, **extra) -> Response:
    db = request.app.state.db
    return render(
        request,
        "beheer/privacy.html",
        {"form": form, "held": privacy.held_counts(db), **extra},
        status_code,
        headers=NO_STORE,
    )


@auth.login_required("beheerder")
async def privacy_page(request: Request) -> Response:
    return _overview(request, PersonForm())


async def _person_form(request: Request) -> tuple[PersonForm, Response | None]:
    """The submitted search term, or the overview page again with what is wrong."""
    data, csrf_ok = await read_beheer_form(request)
    form = PersonForm(formdata=data)
    if not csrf_ok:
        return form, _overview(request, form, 400, csrf_error=True)
    if not form.validate():
        return form, _overview(request, form, 400)
    return form, None


def _find_and_audit(request: Request, query: str, action: str) -> privacy.PersonData:
    me = auth.current_user(request)

    def find(conn) -> privacy.PersonData:
        found = privacy.find_person(conn, query)
        record_audit(conn, me, action, "Persoon", "", found.summary())
        return found

    return request.app.state.db.write(find)


@auth.login_required("beheerder")
async def person_search(request: Request) -> Response:
    form, problem = await _person_form(request)
    if problem:
        return problem
    found = _find_and_audit(request, form.query.data, "privacy.search")
    return render(request, "beheer/privacy_persoon.html", {"found": found}, headers=NO_STORE)


@auth.login_required("beheerder")
async def person_export(request: Request) -> Response:
    form, problem = await _person_form(request)
    if problem:
        return problem
    settings = request.app.state.settings
    found = _find_and_audit(request, form.query.data, "privacy.export")
    document = privacy.export_person(found, settings)
    # No name or address in the file name: it shows up in download lists and logs.
    filename = f"gegevens-{settings.slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@auth.login_required("beheerder")
async def person_delete(request: Request) -> Response:
    """First a page that shows what goes; only a second POST with bevestigd=ja deletes."""
    data, csrf_ok = await read_beheer_form(request)
    form = PersonForm(formdata=data)
    if not csrf_ok:
        return _overview(request, form, 400, csrf_error=True)
    if not form.validate():
        return _overview(request, form, 400)
    db = request.app.state.db
    if data.get("bevestigd") != "ja":
        found = privacy.find_person(db.read(), form.query.data)
        return render(
            request, "beheer/privacy_verwijderen.html", {"found": found}, headers=NO_STORE
        )
    me = auth.current_user(request)

    def delete(conn) -> privacy.PersonData:
        removed = privacy.delete_person(
            conn, form.query.data, settings=request.app.state.settings, who=me
        )
        record_audit(conn, me, "privacy.delete", "Persoon", "", removed.summary())
        return removed

    removed = db.write(delete)
    flash(
        request,
        _("De gegevens zijn verwijderd: %(count)s onderdelen.") % {"count": removed.total}
        if removed.total
        else _("Er waren geen gegevens om te verwijderen."),
    )
    return RedirectResponse("/beheer/privacy", status_code=303)


@auth.login_required("beheerder")
async def retention_now(request: Request) -> Response:
    """Run the automatic cleanup now instead of waiting for the hourly run."""
    _data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse("/beheer/privacy", status_code=303)
    db = request.app.state.db
    removed = privacy.run_retention(db, request.app.state.settings, who=auth.current_user(request))
    flash(
        request,
        _("Opgeruimd: %(count)s onderdelen waarvan de bewaartermijn voorbij was.")
        % {"count": removed.total}
        if removed.total
        else _("Er was niets op te ruimen."),
    )
    return RedirectResponse("/beheer/privacy", status_code=303)
