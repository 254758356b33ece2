"""What residents do without an account: support a project, sign up as a volunteer."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern import address_counts, supporting
from node.kern.projects import model as projects
from node.kern.projects.forms import VolunteerForm
from node.kern.projects.pages import project_page_response
from node.web.client_address import visitor_address
from node.web.forms import read_form
from node.web.i18n import _, lazy
from node.web.ratelimit import client_key, limiter
from node.web.templating import flash

SUPPORTER_COOKIE = "bloei_steun"
# Requests per address: generous, because a whole village hall can share one internet
# connection. How many of them count is supporting.py's to decide.
SUPPORT_LIMIT = (300, 3600)
VOLUNTEER_LIMIT = (20, 3600)


def _project(request: Request):
    project = projects.get_project(request.app.state.db, request.path_params["slug"])
    if project is None:
        raise HTTPException(404)
    return project


def supporter_hash(secret: str, token: str) -> str:
    """A keyed hash of the browser's random token: counts a person once, names nobody."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def supporter_token(request: Request) -> str:
    """The browser's random token from its cookie, or a new one."""
    token = request.cookies.get(SUPPORTER_COOKIE, "")
    return token if len(token) == 43 else secrets.token_urlsafe(32)


def count_support(
    request: Request, kind: supporting.Kind, object_id: int, token: str
) -> supporting.Outcome:
    """Count one support of this browser and this address (node/kern/supporting.py)."""
    secret = request.app.state.settings.secret_key
    day = address_counts.today()
    return request.app.state.db.write(
        supporting.support_once,
        kind,
        object_id,
        supporter_hash(secret, token),
        address_counts.address_key(secret, visitor_address(request), day),
        day,
    )


def support_response(request: Request, target: str, token: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SUPPORTER_COOKIE,
        token,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


# Translated where it is shown.
ADDRESS_FULL = lazy(
    "Vanaf uw internetadres is vandaag al een paar keer steun gegeven. Dat kan bijvoorbeeld "
    "iemand anders in uw huis zijn geweest. Probeer het morgen opnieuw."
)


def support_answer(
    request: Request, kind: supporting.Kind, object_id: int, target: str, already: str
) -> Response:
    """Count a resident's support of a project or idea and say so where they clicked: per
    browser once, per address a few times a day (node/kern/supporting.py)."""
    if not limiter(request, "steun", *SUPPORT_LIMIT).allow(client_key(request, "steun")):
        flash(
            request,
            _("Er kwamen te veel steunbetuigingen van uw adres. Probeer het later opnieuw."),
            at="steun",
        )
        return RedirectResponse(target, status_code=303)
    # One browser token for projects and ideas alike: one cookie, one person.
    token = supporter_token(request)
    outcome = count_support(request, kind, object_id, token)
    flash(
        request,
        {
            "counted": _("Dank u wel! Uw steun is geteld."),
            "already": already,
            "address_full": _(ADDRESS_FULL),
        }[outcome],
        at="steun",
        done=outcome != "address_full",
    )
    return support_response(request, target, token)


async def support(request: Request) -> Response:
    project = _project(request)
    target = f"/projecten/{project['slug']}"
    return support_answer(
        request, "project", project["id"], target, _("U steunt dit project al. Dank u wel!")
    )


async def volunteer(request: Request) -> Response:
    project = _project(request)
    form = VolunteerForm(formdata=await read_form(request))
    if not form.validate():
        return project_page_response(request, project, volunteer_form=form, status_code=400)
    if form.website.data:
        # Only a bot fills in the hidden field; it gets the same answer as a person.
        flash(request, _("Dank u wel! De inwonersgroep neemt contact met u op."), "meedoen", True)
        return RedirectResponse(f"/projecten/{project['slug']}", status_code=303)
    if not limiter(request, "vrijwilliger", *VOLUNTEER_LIMIT).allow(
        client_key(request, "vrijwilliger")
    ):
        form.name.errors = [
            _("Er kwamen te veel aanmeldingen van uw adres. Probeer het later opnieuw.")
        ]
        return project_page_response(request, project, volunteer_form=form, status_code=429)
    request.app.state.db.write(
        projects.add_volunteer,
        project["id"],
        form.name.data,
        form.contact.data,
        form.message.data or "",
    )
    flash(request, _("Dank u wel! De inwonersgroep neemt contact met u op."), "meedoen", True)
    return RedirectResponse(f"/projecten/{project['slug']}", status_code=303)
