"""Beheer of the kernen the gemeente follows (staff: medewerkers and beheerders).

Adding a kern (the phased expansion, one kern at a time), its roll-out phase, asking again
after a refusal, when it was unreachable or after staff stopped following it, and pulling its
outbox now. Stopping is for beheerders only, on a page of its own (stop_pages.py). Every
change is in the audit log; every form carries the session's CSRF token.
"""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import RadioField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from federation.store import utcnow
from node import vocabulary
from node.gemeente import conversations, kernen, labels, places
from node.gemeente.runtime import GemeenteFederation
from node.mail import mailer
from node.web import auth
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, strip_text
from node.web.i18n import _, ngettext
from node.web.templating import flash, render

HOME = "/beheer"
TEMPLATE = "gemeente/beheer/kernen.html"


class AddKernForm(BaseForm):
    address = StringField(
        _("Adres van de kern"),
        [
            InputRequired(message=_("Vul het adres in van de kern die u wilt volgen.")),
            Length(max=300, message=_("Gebruik hoogstens 300 tekens.")),
        ],
        filters=[strip_text],
    )
    rollout = RadioField(
        _("Fase van de uitrol"),
        choices=vocabulary.choices(labels.ROLLOUT),
        default="pilot",
        validate_choice=False,
    )

    def validate_rollout(self, field) -> None:
        if field.data not in kernen.ROLLOUT_PHASES:
            raise ValidationError(_("Kies pilot of uitrol."))


def _federation(request: Request) -> GemeenteFederation:
    return request.app.state.federation


def _page(
    request: Request, form: AddKernForm | None = None, status_code: int = 200, **extra
) -> Response:
    conn = request.app.state.db.read()
    waiting = conversations.work_list(conn, utcnow())
    context = {
        "form": form or AddKernForm(),
        "kernen": kernen.list_kernen(conn),
        "places": places.places_of(request.app.state.settings),
        "place_by_name": places.place_by_name,
        "waiting": sum(len(k["items"]) for k in waiting),
        "mail_given_up": mailer.given_up_recently(request.app.state.db),
        "mail_set_up": mailer.smtp_configured(request.app.state.settings),
        **extra,
    }
    return render(request, TEMPLATE, context, status_code)


@auth.login_required()
async def kernen_page(request: Request) -> Response:
    return _page(request)


@auth.login_required()
async def add_kern(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    form = AddKernForm(formdata=data)
    if not csrf_ok:
        return _page(request, form, 400, csrf_error=True)
    if not form.validate():
        return _page(request, form, 400)
    fed = _federation(request)
    now = utcnow()
    try:
        actor, document = await kernen.discover(
            form.address.data, fed.fetcher, fed.keys, now, dev=fed.dev
        )
        kernen.check_bloei_kern(actor, document, fed.identity.actor_id)
    except kernen.AddressError as error:
        form.address.errors = [str(error)]
        return _page(request, form, 400)
    existing = kernen.by_actor(fed.db.read(), actor.id)
    if existing is not None and existing["follow_state"] == "accepted":
        form.address.errors = [_("De gemeente volgt deze kern al.")]
        return _page(request, form, 400)
    me = auth.current_user(request)

    def follow(conn: sqlite3.Connection) -> int:
        return kernen.add(conn, fed.identity, actor, form.address.data, form.rollout.data, me, now)

    request.app.state.db.write(follow)
    fed.queued.set()
    flash(
        request,
        _("De gemeente vroeg %(name)s om te volgen. Zodra de kern antwoordt, ziet u dat hier.")
        % {"name": actor.name or actor.preferred_username or actor.id},
    )
    return RedirectResponse(HOME, status_code=303)


async def _kern_action(request: Request) -> tuple[dict, dict] | Response:
    """The kern of the address and the submitted form, or a redirect for an expired form."""
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(HOME, status_code=303)
    kern = kernen.get(request.app.state.db.read(), request.path_params["kern_id"])
    if kern is None:
        raise HTTPException(404)
    return kern, data


@auth.login_required()
async def pull_now(request: Request) -> Response:
    found = await _kern_action(request)
    if isinstance(found, Response):
        return found
    kern, _data = found
    if not kernen.is_followed(kern):
        flash(request, _("De gemeente kan pas ophalen als de kern het volgverzoek accepteert."))
        return RedirectResponse(HOME, status_code=303)
    report = await _federation(request).pull_now(kern["id"])
    if report.error:
        flash(
            request,
            _("Ophalen bij %(name)s lukte niet: %(error)s")
            % {"name": kern["name"], "error": report.error},
        )
    else:
        done = ngettext(
            "%(num)s wijziging opgehaald", "%(num)s wijzigingen opgehaald", report.applied
        ) % {"num": report.applied}
        refused = (
            " " + _("%(num)s geweigerd: zie de kern.") % {"num": report.refused}
            if report.refused
            else ""
        )
        went_back = (
            " " + _("De lijst met wijzigingen ging terug: de gemeente heeft alles opnieuw gelezen.")
            if report.went_back_from is not None
            else ""
        )
        flash(request, f"{kern['name']}: {done}.{refused}{went_back}")
    return RedirectResponse(HOME, status_code=303)


@auth.login_required()
async def set_rollout(request: Request) -> Response:
    found = await _kern_action(request)
    if isinstance(found, Response):
        return found
    kern, data = found
    rollout = data.get("rollout", "")
    if rollout not in kernen.ROLLOUT_PHASES:
        raise HTTPException(400, _("Kies pilot of uitrol."))
    me = auth.current_user(request)
    request.app.state.db.write(kernen.set_rollout, kern["id"], rollout, me)
    flash(
        request,
        _("%(name)s staat nu in de fase %(phase)s.")
        % {"name": kern["name"], "phase": vocabulary.label(labels.ROLLOUT, rollout).lower()},
    )
    return RedirectResponse(HOME, status_code=303)


@auth.login_required()
async def set_place(request: Request) -> Response:
    """Which of the municipality's kernen this node is, when its name does not say."""
    found = await _kern_action(request)
    if isinstance(found, Response):
        return found
    kern, data = found
    known = places.places_of(request.app.state.settings)
    found_place = known.find(data.get("place", "")) if data.get("place") else None
    if data.get("place") and found_place is None:
        raise HTTPException(400, _("Kies een kern uit de lijst."))
    # The list's own spelling, so the choice shows as selected in beheer again.
    place = found_place.name if found_place else ""
    me = auth.current_user(request)
    request.app.state.db.write(places.set_place, kern["id"], place, me)
    chosen = place or places.place_by_name(kern["name"], known)
    flash(
        request,
        _("%(name)s staat op de kaart als %(place)s.") % {"name": kern["name"], "place": chosen}
        if chosen
        else _("%(name)s staat niet op de kaart: kies de kern.") % {"name": kern["name"]},
    )
    return RedirectResponse(HOME, status_code=303)


@auth.login_required()
async def follow_again(request: Request) -> Response:
    """Ask again: after a refusal, or when the Follow never arrived."""
    found = await _kern_action(request)
    if isinstance(found, Response):
        return found
    kern, _data = found
    fed = _federation(request)
    now = utcnow()
    try:
        actor, document = await kernen.discover(
            kern["actor_id"], fed.fetcher, fed.keys, now, dev=fed.dev
        )
        kernen.check_bloei_kern(actor, document, fed.identity.actor_id)
    except kernen.AddressError as error:
        flash(request, f"{kern['name']}: {error}")
        return RedirectResponse(HOME, status_code=303)
    me = auth.current_user(request)

    def follow(conn: sqlite3.Connection) -> None:
        kernen.add(conn, fed.identity, actor, kern["address"], kern["rollout"], me, now)
        record_audit(conn, me, "kern.opnieuw", "Kern", kern["id"], kern["name"])

    request.app.state.db.write(follow)
    fed.queued.set()
    flash(request, _("De gemeente vroeg %(name)s opnieuw om te volgen.") % {"name": kern["name"]})
    return RedirectResponse(HOME, status_code=303)


def routes() -> list[BaseRoute]:
    kern = HOME + "/kernen/{kern_id:id}"
    return [
        Route(HOME, kernen_page),
        Route(HOME + "/kernen", add_kern, methods=["POST"]),
        Route(kern + "/ophalen", pull_now, methods=["POST"]),
        Route(kern + "/fase", set_rollout, methods=["POST"]),
        Route(kern + "/plaats", set_place, methods=["POST"]),
        Route(kern + "/opnieuw", follow_again, methods=["POST"]),
    ]
