"""The beheer page where a gemeente beheerder assigns each kern to a staff member (the
gebiedsmakelaar) and sets after how many days the work list sends a reminder.

    GET/POST /beheer/gebiedsmakelaars    (beheerders)
"""

from __future__ import annotations

import sqlite3

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.gemeente import assignment, kernen
from node.web import auth
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash, render

HOME = "/beheer/gebiedsmakelaars"
NOBODY = ""
DAYS_FIELD = "dagen"


def _field(kern_id: int) -> str:
    return f"kern-{kern_id}"


def _page(
    request: Request,
    chosen: dict[int, str],
    days: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra,
) -> Response:
    conn = request.app.state.db.read()
    context = {
        "kernen": kernen.list_kernen(conn, stopped=False),
        "staff": assignment.staff(conn),
        "chosen": chosen,
        "days": days,
        "errors": errors or {},
        "min_days": assignment.MIN_REMINDER_DAYS,
        "max_days": assignment.MAX_REMINDER_DAYS,
        **extra,
    }
    return render(request, "gemeente/beheer/gebiedsmakelaars.html", context, status)


def _current(conn: sqlite3.Connection) -> tuple[dict[int, str], str]:
    assigned = assignment.assignments(conn)
    chosen = {k["id"]: str(assigned.get(k["id"], NOBODY)) for k in kernen.list_kernen(conn)}
    return chosen, str(assignment.reminder_days(conn))


@auth.login_required(role="beheerder")
async def gebiedsmakelaars(request: Request) -> Response:
    db = request.app.state.db
    if request.method == "GET":
        chosen, days = _current(db.read())
        return _page(request, chosen, days)
    data, csrf_ok = await read_beheer_form(request)
    conn = db.read()
    listed = kernen.list_kernen(conn, stopped=False)
    chosen = {k["id"]: data.get(_field(k["id"]), NOBODY).strip() for k in listed}
    days_text = data.get(DAYS_FIELD, "").strip()
    if not csrf_ok:
        return _page(request, chosen, days_text, status=400, csrf_error=True)

    errors: dict[str, str] = {}
    staff_ids = {str(p["id"]): p["id"] for p in assignment.staff(conn)}
    wanted: dict[int, int | None] = {}
    for kern in listed:
        value = chosen[kern["id"]]
        if value == NOBODY:
            wanted[kern["id"]] = None
        elif value in staff_ids:
            wanted[kern["id"]] = staff_ids[value]
        else:
            errors[_field(kern["id"])] = _("Kies een medewerker uit de lijst.")
    # At most a few digits: a number far too long is refused before it is read.
    short = days_text.isascii() and days_text.isdigit() and len(days_text) <= 3
    days = int(days_text) if short else 0
    if not assignment.MIN_REMINDER_DAYS <= days <= assignment.MAX_REMINDER_DAYS:
        errors[DAYS_FIELD] = _("Vul een aantal dagen in van %(min)s tot en met %(max)s.") % {
            "min": assignment.MIN_REMINDER_DAYS,
            "max": assignment.MAX_REMINDER_DAYS,
        }
    if errors:
        return _page(request, chosen, days_text, errors, 400)

    me = auth.current_user(request)

    def save(conn: sqlite3.Connection) -> int:
        changed = 0
        for kern_id, user_id in wanted.items():
            try:
                changed += assignment.assign(conn, kern_id, user_id, me)
            except assignment.NotAssignable:
                continue  # removed between reading and saving: nothing to assign
        changed += assignment.set_reminder_days(conn, days, me)
        return changed

    db.write(save)
    flash(request, _("De gebiedsmakelaars en de herinnering zijn bewaard."))
    return RedirectResponse(HOME, status_code=303)


def routes() -> list[BaseRoute]:
    return [Route(HOME, gebiedsmakelaars, methods=["GET", "POST"])]
