"""The account page: where one is signed in, and ending the sessions one does not trust."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.web import auth, login_sessions
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.numbers import parse_id
from node.web.templating import flash, render

HOME = "/beheer/account"


@auth.login_required()
async def account_page(request: Request) -> Response:
    user = auth.current_user(request)
    db = request.app.state.db
    row = db.one("SELECT two_step_enabled_at FROM users WHERE id = ?", (user.id,))
    return render(
        request,
        "beheer/account.html",
        {
            "sessions": login_sessions.of_user(db.read(), user.id),
            "this_session": auth.current_session(request),
            "two_step_since": row["two_step_enabled_at"],
        },
    )


@auth.login_required()
async def end_sessions(request: Request) -> Response:
    """End one other session ('sessie' = its number) or all others ('sessie' = 'alle')."""
    user = auth.current_user(request)
    this_session = auth.current_session(request)
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(HOME, status_code=303)
    which = data.get("sessie", "")
    session_id = None if which == "alle" else parse_id(which)
    if which != "alle" and session_id is None:
        raise HTTPException(400, _("Kies een sessie uit de lijst."))

    def apply(conn) -> int:
        if which == "alle":
            ended = login_sessions.end_all(conn, user.id, keep=this_session.id)
        else:
            ended = int(login_sessions.end(conn, user.id, session_id))
        if ended:
            record_audit(
                conn, user, "user.sessions_ended", "User", user.username, f"{ended} by self"
            )
        return ended

    ended = request.app.state.db.write(apply)
    if session_id == this_session.id:
        # Ending the session one is using is signing out.
        auth.end_session(request)
        return RedirectResponse("/beheer/inloggen", status_code=303)
    if which == "alle":
        flash(request, _("U bent nu op alle andere apparaten uitgelogd."))
    elif ended:
        flash(request, _("U bent op dat apparaat uitgelogd."))
    else:
        flash(request, _("Die sessie was al beëindigd."))
    return RedirectResponse(HOME, status_code=303)
