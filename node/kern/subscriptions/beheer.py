"""Beheer of the residents who follow the kern by e-mail: how many follow what, and who.

Everyone in the group sees the counts; the addresses are personal data, so only beheerders
see the list (as with the privacy page) and can take someone off it (a resident who asks by
phone, an address that bounces). Nothing of it is on a public page or in the API.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.subscriptions import model
from node.web import auth
from node.web.auth import login_required
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash, render

LIST_PATH = "/beheer/volgers"

NO_STORE = {"Cache-Control": "no-store"}


@login_required()
async def subscriber_list(request: Request) -> Response:
    db = request.app.state.db
    me = auth.current_user(request)
    show_addresses = bool(me and me.is_beheerder)
    return render(
        request,
        "beheer/volgers.html",
        {
            "counts": model.counts(db),
            "subscriptions": model.all_subscriptions(db) if show_addresses else [],
            "show_addresses": show_addresses,
            "topics": model.TOPICS,
            "frequencies": model.FREQUENCIES,
            "confirm_hours": model.CONFIRM_HOURS,
        },
        headers=NO_STORE,
    )


@login_required("beheerder")
async def subscriber_remove(request: Request) -> Response:
    """Take one subscription off the list (POST only): no mail goes to the address again."""
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(LIST_PATH, status_code=303)
    me = auth.current_user(request)
    removed = request.app.state.db.write(
        model.remove_by_beheer, me, request.path_params["subscription_id"]
    )
    if removed:
        flash(request, _("%s krijgt hierover geen mail meer.") % removed)
    else:
        flash(request, _("Deze volger stond al niet meer op de lijst."))
    return RedirectResponse(LIST_PATH, status_code=303)
