"""Beheer: stop following a kern (beheerders only), on a page of its own.

The page says plainly what stopping does (node/gemeente/stopping.py) and asks for a ticked
confirmation, since the gemeente's copy of the kern's data goes. The form carries the
session's CSRF token; a form that fails either check changes nothing.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import BooleanField
from wtforms.validators import DataRequired

from federation.store import utcnow
from node.gemeente import kernen, stopping
from node.web import auth
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm
from node.web.i18n import _
from node.web.templating import flash, render

HOME = "/beheer"
TEMPLATE = "gemeente/beheer/stoppen.html"


class StopForm(BaseForm):
    # DataRequired, not InputRequired: "bevestigd=false" is sent, yet not a confirmation.
    bevestigd = BooleanField(
        _("Ja, de gemeente stopt met het volgen van deze kern"),
        [
            DataRequired(
                message=_("Zet een vinkje als u zeker weet dat de gemeente wil stoppen met volgen.")
            )
        ],
    )


def _kern(request: Request) -> dict:
    kern = kernen.get(request.app.state.db.read(), request.path_params["kern_id"])
    if kern is None:
        raise HTTPException(404)
    return kern


def _page(
    request: Request, kern: dict, form: StopForm, status_code: int = 200, **extra
) -> Response:
    return render(request, TEMPLATE, {"kern": kern, "form": form, **extra}, status_code)


def _already_stopped(request: Request, kern: dict) -> Response:
    flash(request, _("De gemeente volgt %(name)s al niet meer.") % {"name": kern["name"]})
    return RedirectResponse(HOME, status_code=303)


@auth.login_required("beheerder")
async def stop_kern(request: Request) -> Response:
    kern = _kern(request)
    if kern["state"] == "gestopt":
        return _already_stopped(request, kern)
    if request.method == "GET":
        return _page(request, kern, StopForm())
    data, csrf_ok = await read_beheer_form(request)
    form = StopForm(formdata=data)
    if not csrf_ok:
        return _page(request, kern, form, 400, csrf_error=True)
    if not form.validate():
        return _page(request, kern, form, 400)
    fed = request.app.state.federation
    me = auth.current_user(request)
    # stop() looks again inside the transaction: two beheerders may submit at once.
    if not request.app.state.db.write(stopping.stop, fed.identity, kern["id"], me, utcnow()):
        return _already_stopped(request, kern)
    fed.queued.set()  # the Undo to the kern
    flash(
        request,
        _(
            "De gemeente volgt %(name)s niet meer. De gegevens van de kern zijn hier weggehaald. "
            "U kunt de kern later weer volgen."
        )
        % {"name": kern["name"]},
    )
    return RedirectResponse(HOME, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route(HOME + "/kernen/{kern_id:id}/stoppen", stop_kern, methods=["GET", "POST"]),
    ]
