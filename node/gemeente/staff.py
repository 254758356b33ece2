"""Staff accounts of the gemeente (beheerders only): the kern's user beheer, with the
gemeente's roles.

A kern has beheerders and redacteuren; the gemeente has beheerders (everything, also
accounts) and medewerkers (kernen volgen, ophalen, later reacties). Everything else is
node/web/users.py's: its templates, its audit names, and the rule that there is always one
active beheerder.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import SelectField, ValidationError

from node.web import auth, users
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.i18n import _
from node.web.templating import flash, render

ROLE_LABELS = {
    "beheerder": _("Beheerder: alles, ook gebruikers"),
    "medewerker": _("Medewerker: kernen volgen en beantwoorden"),
}
HOME = "/beheer/gebruikers"


class StaffForm(users.UserForm):
    role = SelectField(_("Rol"), choices=list(ROLE_LABELS.items()), validate_choice=False)

    def validate_role(self, field) -> None:
        if field.data not in ROLE_LABELS:
            raise ValidationError(_("Kies een rol uit de lijst."))


@auth.login_required("beheerder")
async def staff_list(request: Request) -> Response:
    rows = request.app.state.db.execute("SELECT * FROM users ORDER BY disabled, username")
    return render(request, "beheer/gebruikers.html", {"users": rows, "roles": ROLE_LABELS})


@auth.login_required("beheerder")
async def staff_add(request: Request) -> Response:
    template = "beheer/gebruiker_form.html"
    if request.method == "GET":
        return render(request, template, {"form": StaffForm(data={"role": "medewerker"})})
    data, csrf_ok = await read_beheer_form(request)
    form = StaffForm(formdata=data)
    if not csrf_ok:
        return render(request, template, {"form": form, "csrf_error": True}, 400)
    if not form.validate():
        return render(request, template, {"form": form}, 400)
    db = request.app.state.db
    if db.one("SELECT 1 FROM users WHERE username = ?", (form.username.data,)):
        form.username.errors = [_("Deze gebruikersnaam bestaat al.")]
        return render(request, template, {"form": form}, 400)
    password = auth.generate_password()
    me = auth.current_user(request)

    def add(conn) -> None:
        auth.create_user(
            conn,
            form.username.data,
            form.display_name.data,
            form.role.data,
            password,
            form.email.data or "",
        )
        record_audit(conn, me, "user.create", "User", form.username.data, form.role.data)

    db.write(add)
    return render(
        request,
        "beheer/gebruiker_wachtwoord.html",
        {"username": form.username.data, "password": password},
    )


@auth.login_required("beheerder")
async def staff_action(request: Request) -> Response:
    """Disable, enable, reset the password or change the role of one account (POST only)."""
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(HOME, status_code=303)
    db = request.app.state.db
    target = db.one("SELECT * FROM users WHERE id = ?", (request.path_params["user_id"],))
    if target is None:
        raise HTTPException(404)
    action = data.get("actie", "")
    if action not in users.AUDIT_ACTIONS:
        raise HTTPException(400, _("Onbekende actie."))
    new_role = data.get("rol", "")
    if action == "rol" and new_role not in ROLE_LABELS:
        raise HTTPException(400, _("Kies een rol uit de lijst."))
    removes_beheerder = (
        target["role"] == "beheerder"
        and not target["disabled"]
        and (action == "uitzetten" or (action == "rol" and new_role != "beheerder"))
    )
    password = auth.generate_password() if action == "wachtwoord" else None
    me = auth.current_user(request)

    def apply(conn) -> bool:
        if removes_beheerder and users._active_beheerders(conn) <= 1:
            return False
        if action == "uitzetten":
            conn.execute(
                "UPDATE users SET disabled = 1, session_epoch = session_epoch + 1 WHERE id = ?",
                (target["id"],),
            )
        elif action == "aanzetten":
            conn.execute("UPDATE users SET disabled = 0 WHERE id = ?", (target["id"],))
        elif action == "wachtwoord":
            auth.set_password(conn, target["id"], password, must_change=True)
        else:
            conn.execute("UPDATE users SET role = ? WHERE id = ?", (new_role, target["id"]))
        record_audit(conn, me, users.AUDIT_ACTIONS[action], "User", target["username"], new_role)
        return True

    if not db.write(apply):
        flash(request, _("Dit kan niet: er moet altijd minstens één actieve beheerder zijn."))
        return RedirectResponse(HOME, status_code=303)
    if password:
        return render(
            request,
            "beheer/gebruiker_wachtwoord.html",
            {"username": target["username"], "password": password},
        )
    flash(request, _("De gebruiker %s is bijgewerkt.") % target["username"])
    return RedirectResponse(HOME, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route(HOME, staff_list),
        Route(HOME + "/nieuw", staff_add, methods=["GET", "POST"]),
        Route(HOME + "/{user_id:int}", staff_action, methods=["POST"]),
        Route("/beheer/logboek", users.audit_log),
    ]
