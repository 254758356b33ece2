"""Beheer of accounts (beheerders only): add, change role, disable, reset a password."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from node.web import auth, login_sessions
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, strip_text, valid_email
from node.web.i18n import _
from node.web.numbers import parse_int
from node.web.password_check import BUSY_MESSAGE, new_password_hash
from node.web.templating import flash, render

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
# The accounts each kind of node has: a kern's group has redacteuren, the gemeente medewerkers.
ROLE_LABELS_BY_NODE = {
    "kern": {
        "beheerder": _("Beheerder: alles, ook gebruikers"),
        "redacteur": _("Redacteur: inhoud"),
    },
    "gemeente": {
        "beheerder": _("Beheerder: alles, ook gebruikers"),
        "medewerker": _("Medewerker: kernen volgen en beantwoorden"),
    },
}
ROLE_LABELS = ROLE_LABELS_BY_NODE["kern"]


def role_labels(request: Request) -> dict[str, str]:
    return ROLE_LABELS_BY_NODE[request.app.state.settings.role]


class UserForm(BaseForm):
    username = StringField(
        _("Gebruikersnaam"),
        [InputRequired(message=_("Vul een gebruikersnaam in.")), Length(max=40)],
        filters=[strip_text, lambda v: v.lower() if isinstance(v, str) else v],
    )
    display_name = StringField(
        _("Naam"),
        [
            InputRequired(message=_("Vul een naam in.")),
            Length(max=100, message=_("Gebruik hoogstens 100 tekens.")),
        ],
        filters=[strip_text],
    )
    email = StringField(_("E-mailadres"), [Length(max=200), valid_email], filters=[strip_text])
    role = SelectField(_("Rol"), validate_choice=False)

    def __init__(self, *args, roles: dict[str, str] = ROLE_LABELS, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles = roles
        self.role.choices = list(roles.items())

    def validate_username(self, field) -> None:
        if not USERNAME_RE.match(field.data or ""):
            raise ValidationError(
                _(
                    "Gebruik 2 tot 40 kleine letters, cijfers, punten, streepjes of liggende streepjes."
                )
            )

    def validate_role(self, field) -> None:
        if field.data not in self.roles:
            raise ValidationError(_("Kies een rol uit de lijst."))


def _users(db) -> list:
    return db.execute("SELECT * FROM users ORDER BY disabled, username")


@auth.login_required("beheerder")
async def user_list(request: Request) -> Response:
    return render(
        request,
        "beheer/gebruikers.html",
        {"users": _users(request.app.state.db), "roles": role_labels(request)},
    )


@auth.login_required("beheerder")
async def user_add(request: Request) -> Response:
    template = "beheer/gebruiker_form.html"
    if request.method == "GET":
        roles = role_labels(request)
        # The least powerful role first in the form: the one a new account usually gets.
        least = [role for role in roles if role != "beheerder"][0]
        return render(request, template, {"form": UserForm(data={"role": least}, roles=roles)})
    data, csrf_ok = await read_beheer_form(request)
    form = UserForm(formdata=data, roles=role_labels(request))
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
    # Shown once, on the answer to this POST; never stored in readable form.
    return render(
        request,
        "beheer/gebruiker_wachtwoord.html",
        {"username": form.username.data, "password": password},
    )


def _target(request: Request):
    row = request.app.state.db.one(
        "SELECT * FROM users WHERE id = ?", (request.path_params["user_id"],)
    )
    if row is None:
        raise HTTPException(404)
    return row


def _active_beheerders(conn) -> int:
    return conn.execute(
        "SELECT count(*) FROM users WHERE role = 'beheerder' AND disabled = 0"
    ).fetchone()[0]


@auth.login_required("beheerder")
async def user_action(request: Request) -> Response:
    """Disable, enable, reset the password, change the role or end every session of one
    account (POST only)."""
    target = _target(request)
    data, csrf_ok = await read_beheer_form(request)
    action = data.get("actie", "")
    db = request.app.state.db
    me = auth.current_user(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse("/beheer/gebruikers", status_code=303)
    if action not in AUDIT_ACTIONS:
        raise HTTPException(400, _("Onbekende actie."))
    new_role = data.get("rol", "")
    if action == "rol" and new_role not in role_labels(request):
        raise HTTPException(400, _("Kies een rol uit de lijst."))
    removes_beheerder = (
        target["role"] == "beheerder"
        and not target["disabled"]
        and (action == "uitzetten" or (action == "rol" and new_role != "beheerder"))
    )
    password = auth.generate_password() if action == "wachtwoord" else None
    password_hash = await new_password_hash(password) if password else None
    if password and password_hash is None:
        flash(request, BUSY_MESSAGE)
        return RedirectResponse("/beheer/gebruikers", status_code=303)

    def apply(conn) -> bool:
        summary = new_role
        if removes_beheerder and _active_beheerders(conn) <= 1:
            return False
        if action == "uitzetten":
            conn.execute("UPDATE users SET disabled = 1 WHERE id = ?", (target["id"],))
            login_sessions.end_all(conn, target["id"])
        elif action == "aanzetten":
            conn.execute("UPDATE users SET disabled = 0 WHERE id = ?", (target["id"],))
        elif action == "sessies":
            ended = login_sessions.end_all(conn, target["id"])
            summary = f"{ended} sessions ended"
        elif action == "wachtwoord":
            auth.set_password_hash(conn, target["id"], password_hash, must_change=True)
        else:
            conn.execute("UPDATE users SET role = ? WHERE id = ?", (new_role, target["id"]))
        record_audit(conn, me, AUDIT_ACTIONS[action], "User", target["username"], summary)
        return True

    if not db.write(apply):
        flash(request, _("Dit kan niet: er moet altijd minstens één actieve beheerder zijn."))
        return RedirectResponse("/beheer/gebruikers", status_code=303)
    if password:
        return render(
            request,
            "beheer/gebruiker_wachtwoord.html",
            {"username": target["username"], "password": password},
        )
    if action == "sessies":
        flash(request, _("%s is nu overal uitgelogd.") % target["username"])
    else:
        flash(request, _("De gebruiker %s is bijgewerkt.") % target["username"])
    return RedirectResponse("/beheer/gebruikers", status_code=303)


PAGE_SIZE = 50
# The same names as the command line writes, so the log reads the same either way.
AUDIT_ACTIONS = {
    "uitzetten": "user.disable",
    "aanzetten": "user.enable",
    "wachtwoord": "user.reset_password",
    "rol": "user.role",
    "sessies": "user.sessions_ended",
}


@auth.login_required("beheerder")
async def audit_log(request: Request) -> Response:
    raw_page = request.query_params.get("pagina", "1")
    page = parse_int(raw_page, 1, 100_000)
    if page is None:
        raise HTTPException(400, _("Dit paginanummer bestaat niet."))
    db = request.app.state.db
    rows = db.execute(
        "SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?",
        (PAGE_SIZE + 1, (page - 1) * PAGE_SIZE),
    )
    return render(
        request,
        "beheer/logboek.html",
        {"rows": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE},
    )
