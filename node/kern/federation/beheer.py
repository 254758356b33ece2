"""Beheer of federation (beheerders only): who follows the kern, whom it follows, the delivery
queue, whether follows wait for approval, and what came in from the kernen it follows."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import InputRequired, Length

from federation import delivery, followers, follows
from federation.actors import ActorError, RemoteActor, parse_acct
from federation.fetch import FetchError
from federation.store import utcnow
from node.kern.federation import actor as kern_actor
from node.kern.federation import elsewhere, received
from node.kern.federation.runtime import KernFederation
from node.web import auth
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, strip_text
from node.web.i18n import _
from node.web.templating import flash, render

TEMPLATE = "beheer/federatie.html"
HOME = "/beheer/federatie"

FOLLOW_STATES = {
    "pending": _("wacht op goedkeuring"),
    "accepted": _("geaccepteerd"),
    "rejected": _("geweigerd"),
}
JOB_STATES = {"pending": _("wacht"), "done": _("bezorgd"), "failed": _("mislukt")}


class FollowForm(BaseForm):
    address = StringField(
        _("Adres van de kern"),
        [
            InputRequired(message=_("Vul het adres in van de kern die u wilt volgen.")),
            Length(max=300, message=_("Gebruik hoogstens 300 tekens.")),
        ],
        filters=[strip_text],
    )


class ApprovalForm(BaseForm):
    follow_approval = RadioField(
        _("Wie mag de kern volgen?"),
        choices=[
            ("auto", _("Iedereen: volgverzoeken worden meteen geaccepteerd")),
            ("manual", _("Alleen wie een beheerder goedkeurt")),
        ],
        validators=[InputRequired(message=_("Kies een van de twee."))],
    )


class AddressError(Exception):
    """An address that does not lead to an actor; the message is for the beheerder."""


def _federation(request: Request) -> KernFederation:
    return request.app.state.federation


class ElsewhereForm(BaseForm):
    shown = BooleanField(
        _("Toon bijeenkomsten van agenda's die u volgt op de pagina Bijeenkomsten")
    )


def _page(
    request: Request,
    follow_form: FollowForm | None = None,
    approval_form: ApprovalForm | None = None,
    elsewhere_form: ElsewhereForm | None = None,
    status_code: int = 200,
    **extra,
) -> Response:
    state = request.app.state
    fed = _federation(request)
    conn = state.db.read()
    settings = state.settings
    if approval_form is None:
        approval_form = ApprovalForm(
            data={"follow_approval": kern_actor.follow_approval(conn, settings)}
        )
    context = {
        "address": f"@{settings.slug}@{urlsplit(settings.public_url).netloc}",
        "actor_id": fed.publisher.routes.id,
        "follow_form": follow_form or FollowForm(),
        "approval_form": approval_form,
        "elsewhere_form": elsewhere_form or ElsewhereForm(data={"shown": elsewhere.shown(conn)}),
        "followers": [_with_name(fed, f) for f in followers.list_followers(conn)],
        "following": [_with_name(fed, f) for f in followers.list_following(conn)],
        "queue": delivery.queue_summary(conn),
        "failed": delivery.list_jobs(conn, delivery.FAILED, limit=20),
        "retrying": [j for j in delivery.list_jobs(conn, delivery.PENDING, 50) if j["tries"]],
        "received": received.recent(conn, 20),
        "follow_states": FOLLOW_STATES,
        "gemeente_actor": settings.gemeente_actor,
        **extra,
    }
    return render(request, TEMPLATE, context, status_code)


def _with_name(fed: KernFederation, record) -> dict:
    actor = fed.keys.actor(record.actor_id)
    name = (actor.name or actor.preferred_username) if actor else ""
    return {**record.__dict__, "name": name or record.actor_id}


@auth.login_required("beheerder")
async def federation_page(request: Request) -> Response:
    return _page(request)


# --- following another kern --------------------------------------------------------------------


async def resolve_address(fed: KernFederation, text: str) -> RemoteActor:
    """The actor behind `@slug@host` (WebFinger) or a URL (an actor, or a site whose home page
    answers with its actor); AddressError with a Dutch message when there is none."""
    now = utcnow()
    try:
        if text.startswith(("https://", "http://")):
            final_url, document = await fed.fetcher.get_json(text)
            actor = RemoteActor.from_document(document, fetched_from=final_url)
            return await fed.keys.fetch_actor(actor.id, now)
        try:
            parse_acct(text)
        except ValueError:
            raise AddressError(
                _("Vul een adres in zoals @beesd@beesd.nl, of het webadres van de kern.")
            ) from None
        scheme = "http" if fed.settings.dev else "https"
        return await fed.keys.discover(text, now, scheme=scheme)
    except ActorError:
        raise AddressError(
            _("Op dit adres staat geen kern of account die u kunt volgen.")
        ) from None
    except FetchError as error:
        raise AddressError(_fetch_message(error)) from None


def _fetch_message(error: FetchError) -> str:
    if error.reason == "refused":
        return _("De site mag dit adres niet bereiken: alleen https-adressen op internet.")
    if error.reason == "network":
        return _(
            "De server op dit adres reageert niet. Controleer het adres of probeer het later opnieuw."
        )
    if error.reason == "status" and error.status in (404, 410):
        return _("Op dit adres is geen kern of account gevonden. Controleer het adres.")
    return _("Op dit adres staat geen kern of account die u kunt volgen.")


@auth.login_required("beheerder")
async def follow(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    form = FollowForm(formdata=data)
    if not csrf_ok:
        return _page(request, form, status_code=400, csrf_error=True)
    if not form.validate():
        return _page(request, form, status_code=400)
    fed = _federation(request)
    try:
        actor = await resolve_address(fed, form.address.data)
    except AddressError as error:
        form.address.errors = [str(error)]
        return _page(request, form, status_code=400)
    if actor.id == fed.publisher.routes.id:
        form.address.errors = [_("Dit is het adres van deze kern zelf.")]
        return _page(request, form, status_code=400)
    existing = followers.get_following(fed.db.read(), actor.id)
    if existing is not None and existing.state == "accepted":
        form.address.errors = [_("Deze kern volgt u al.")]
        return _page(request, form, status_code=400)
    me = auth.current_user(request)
    name = actor.name or actor.preferred_username or actor.id

    def send_follow(conn: sqlite3.Connection) -> None:
        follows.follow(conn, fed.publisher.identity, actor, utcnow())
        record_audit(conn, me, "federatie.volgen", "Actor", actor.id, name)

    fed.store.write(send_follow)
    fed.publisher.queued.set()
    flash(
        request,
        _("Het volgverzoek aan %(name)s is verstuurd. Als het is geaccepteerd, ziet u dat hier.")
        % {"name": name},
    )
    return RedirectResponse(HOME, status_code=303)


@auth.login_required("beheerder")
async def unfollow(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(HOME, status_code=303)
    fed = _federation(request)
    actor_id = data.get("actor", "")
    me = auth.current_user(request)

    def stop(conn: sqlite3.Connection) -> bool:
        done = follows.unfollow(conn, fed.publisher.identity, actor_id, utcnow())
        if done:
            record_audit(conn, me, "federatie.ontvolgen", "Actor", actor_id)
        return done

    if not fed.store.write(stop):
        raise HTTPException(404)
    fed.publisher.queued.set()
    flash(request, _("U volgt deze kern niet meer."))
    return RedirectResponse(HOME, status_code=303)


# --- followers ---------------------------------------------------------------------------------

FOLLOWER_ACTIONS = {
    "accepteren": _("%(name)s volgt de kern nu."),
    "weigeren": _("Het volgverzoek van %(name)s is geweigerd."),
    "verwijderen": _("%(name)s volgt de kern niet meer."),
}


@auth.login_required("beheerder")
async def follower_action(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(HOME, status_code=303)
    action = data.get("action", "")
    actor_id = data.get("actor", "")
    if action not in FOLLOWER_ACTIONS:
        raise HTTPException(400)
    fed = _federation(request)
    me = auth.current_user(request)

    def apply(conn: sqlite3.Connection) -> bool:
        identity, now = fed.publisher.identity, utcnow()
        if action == "accepteren":
            done = follows.approve(conn, identity, actor_id, now)
        else:
            done = follows.refuse(conn, identity, actor_id, now)
            if done and action == "verwijderen":
                followers.remove_follower(conn, actor_id)
        if done:
            record_audit(conn, me, f"federatie.volger.{action}", "Actor", actor_id)
        return done

    if not fed.store.write(apply):
        raise HTTPException(404)
    fed.publisher.queued.set()
    actor = fed.keys.actor(actor_id)
    name = (actor.name or actor.preferred_username) if actor else actor_id
    flash(request, FOLLOWER_ACTIONS[action] % {"name": name or actor_id})
    return RedirectResponse(HOME, status_code=303)


# --- the queue and the setting -----------------------------------------------------------------


@auth.login_required("beheerder")
async def retry_delivery(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(HOME, status_code=303)
    fed = _federation(request)
    job_id = request.path_params["job_id"]
    me = auth.current_user(request)

    def retry(conn: sqlite3.Connection) -> bool:
        done = delivery.retry_now(conn, job_id, utcnow())
        if done:
            record_audit(conn, me, "federatie.opnieuw", "Bezorging", job_id)
        return done

    if fed.store.write(retry):
        fed.publisher.queued.set()
        flash(request, _("De bezorging wordt nu opnieuw geprobeerd."))
    else:
        flash(request, _("Deze bezorging is al gelukt of bestaat niet meer."))
    return RedirectResponse(HOME, status_code=303)


@auth.login_required("beheerder")
async def approval_setting(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    form = ApprovalForm(formdata=data)
    if not csrf_ok:
        return _page(request, approval_form=form, status_code=400, csrf_error=True)
    if not form.validate():
        return _page(request, approval_form=form, status_code=400)
    value = form.follow_approval.data
    me = auth.current_user(request)

    settings, db = request.app.state.settings, request.app.state.db

    def save(conn: sqlite3.Connection) -> None:
        kern_actor.set_follow_approval(conn, value)
        record_audit(conn, me, "federatie.goedkeuren", "Site", "follow_approval", value)
        # The actor document says manuallyApprovesFollowers: followers hear of the change.
        kern_actor.announce_profile_change(
            conn, settings, request.app.state.federation.publisher, utcnow()
        )

    db.write(save)
    if value == "manual":
        flash(request, _("Nieuwe volgverzoeken wachten voortaan op uw goedkeuring."))
    else:
        flash(request, _("Nieuwe volgverzoeken worden voortaan meteen geaccepteerd."))
    return RedirectResponse(HOME, status_code=303)


@auth.login_required("beheerder")
async def elsewhere_setting(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    form = ElsewhereForm(formdata=data)
    if not csrf_ok:
        return _page(request, elsewhere_form=form, status_code=400, csrf_error=True)
    if not form.validate():
        return _page(request, elsewhere_form=form, status_code=400)
    value = bool(form.shown.data)
    me = auth.current_user(request)

    def save(conn: sqlite3.Connection) -> None:
        elsewhere.set_shown(conn, value)
        record_audit(conn, me, "federatie.elders", "Site", elsewhere.SETTING_KEY, str(value))

    request.app.state.db.write(save)
    if value:
        flash(
            request,
            _("Bijeenkomsten van agenda's die u volgt staan nu op de pagina Bijeenkomsten."),
        )
    else:
        flash(request, _("Bijeenkomsten van elders staan niet meer op de pagina Bijeenkomsten."))
    return RedirectResponse(HOME, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route(HOME, federation_page),
        Route(f"{HOME}/volgen", follow, methods=["POST"]),
        Route(f"{HOME}/ontvolgen", unfollow, methods=["POST"]),
        Route(f"{HOME}/volgers", follower_action, methods=["POST"]),
        Route(f"{HOME}/bezorging/{{job_id:id}}/opnieuw", retry_delivery, methods=["POST"]),
        Route(f"{HOME}/goedkeuren", approval_setting, methods=["POST"]),
        Route(f"{HOME}/elders", elsewhere_setting, methods=["POST"]),
    ]
