"""Signing in and out of beheer, changing one's own password, and choosing which mails one
gets about new things to handle (/beheer/account/meldingen)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import PasswordField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from node.web import auth, login_sessions, two_step
from node.web import notification_preferences as preferences
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.csrf import valid_csrf
from node.web.forms import BaseForm, read_form, strip_text
from node.web.i18n import _
from node.web.password_check import BUSY_MESSAGE, check_password, new_password_hash
from node.web.templating import flash, render


class LoginForm(BaseForm):
    username = StringField(
        _("Gebruikersnaam"),
        [InputRequired(message=_("Vul uw gebruikersnaam in.")), Length(max=100)],
        filters=[strip_text],
    )
    password = PasswordField(
        _("Wachtwoord"), [InputRequired(message=_("Vul uw wachtwoord in.")), Length(max=1000)]
    )


class PasswordForm(BaseForm):
    current = PasswordField(
        _("Huidig wachtwoord"), [InputRequired(message=_("Vul uw huidige wachtwoord in."))]
    )
    new = PasswordField(
        _("Nieuw wachtwoord"),
        [
            InputRequired(message=_("Vul een nieuw wachtwoord in.")),
            Length(
                min=auth.MIN_PASSWORD_LENGTH,
                max=1000,
                message=_("Gebruik minstens %d tekens.") % auth.MIN_PASSWORD_LENGTH,
            ),
        ],
    )
    repeat = PasswordField(
        _("Herhaal het nieuwe wachtwoord"),
        [InputRequired(message=_("Herhaal het nieuwe wachtwoord."))],
    )

    def validate_repeat(self, field) -> None:
        if field.data != self.new.data:
            raise ValidationError(_("De twee wachtwoorden zijn niet hetzelfde."))


def safe_next(target: str | None) -> str:
    """Only follow a 'volgende' address on this site, never to another one."""
    if not target:
        return "/beheer"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/beheer"
    return target


async def login(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("volgende"))
    if request.method == "GET":
        if auth.current_user(request):
            return RedirectResponse(next_url, status_code=303)
        return render(request, "beheer/inloggen.html", {"form": LoginForm(), "next_url": next_url})

    form = LoginForm(formdata=await read_form(request))
    if not form.validate():
        return render(request, "beheer/inloggen.html", {"form": form, "next_url": next_url}, 400)
    check = await check_password(request, form.username.data, form.password.data)
    user = check.user
    if user is None:
        field = form.password if check.status == 400 else form.username
        field.errors = [check.error]
        context = {"form": form, "next_url": next_url}
        return render(request, "beheer/inloggen.html", context, check.status)
    if two_step.is_on(request.app.state.db.read(), user.id):
        return _ask_for_code(request, user, next_url)
    return finish_sign_in(request, user, next_url)


CODE_STEP = "/beheer/inloggen/code"


def _ask_for_code(request: Request, user: auth.User, next_url: str) -> Response:
    """The password was right and the account uses two-step sign-in: the code comes next.

    The session made here signs nobody in; it only remembers, for a few minutes, whose
    password was right, so the code page knows whose code to check.
    """
    lifetime, idle = auth.session_limits(request)
    token = request.app.state.db.write_quiet(
        login_sessions.create,
        user.id,
        request.headers.get("user-agent", ""),
        auth.client_address(request),
        lifetime,
        idle,
        awaiting_code=True,
    )
    auth.start_session(request, token)
    return RedirectResponse(f"{CODE_STEP}?volgende={quote(next_url)}", status_code=303)


def finish_sign_in(
    request: Request, user: auth.User, next_url: str, how: str = "password", replaces: int = 0
) -> Response:
    """Open the session of a user who proved who they are, and send them on.

    `replaces` is the half-way session of a two-step sign-in, ended in the same transaction:
    the signed-in session always gets a new token.
    """
    lifetime, idle = auth.session_limits(request)
    user_agent = request.headers.get("user-agent", "")
    address = auth.client_address(request)

    def signed_in(conn) -> str:
        conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (auth.now(), user.id))
        if replaces:
            login_sessions.end(conn, user.id, replaces)
        token = login_sessions.create(conn, user.id, user_agent, address, lifetime, idle)
        record_audit(conn, user, "user.login", "User", user.username, how)
        return token

    auth.start_session(request, request.app.state.db.write(signed_in))
    if user.must_change_password:
        return RedirectResponse("/beheer/wachtwoord", status_code=303)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    form = await read_form(request)
    session = auth.current_session(request)
    user = auth.current_user(request)
    if session is not None and user is not None and valid_csrf(request, form.get("csrf")):

        def signed_out(conn) -> None:
            login_sessions.end(conn, user.id, session.id)
            record_audit(conn, user, "user.logout", "User", user.username)

        request.app.state.db.write(signed_out)
        auth.end_session(request)
    return RedirectResponse("/", status_code=303)


@auth.login_required()
async def change_password(request: Request) -> Response:
    user = auth.current_user(request)
    db = request.app.state.db
    if request.method == "GET":
        return render(request, "beheer/wachtwoord.html", {"form": PasswordForm()})
    data = await read_form(request)
    form = PasswordForm(formdata=data)
    if not valid_csrf(request, data.get("csrf")):
        return render(request, "beheer/wachtwoord.html", {"form": form, "csrf_error": True}, 400)
    if not form.validate():
        return render(request, "beheer/wachtwoord.html", {"form": form}, 400)
    check = await check_password(request, user.username, form.current.data)
    if check.user is None:
        form.current.errors = [
            _("Uw huidige wachtwoord klopt niet.") if check.status == 400 else check.error
        ]
        return render(request, "beheer/wachtwoord.html", {"form": form}, check.status)
    password_hash = await new_password_hash(form.new.data)
    if password_hash is None:
        form.new.errors = [BUSY_MESSAGE]
        return render(request, "beheer/wachtwoord.html", {"form": form}, 429)

    this_session = auth.current_session(request)

    def save(conn) -> None:
        # Every other session ends: whoever may have known the old password is out.
        auth.set_password_hash(conn, user.id, password_hash, keep_session=this_session.id)
        record_audit(conn, user, "user.password", "User", user.username, "changed own password")

    db.write(save)
    flash(request, _("Uw wachtwoord is gewijzigd."))
    return RedirectResponse("/beheer", status_code=303)


# --- notices by mail ---------------------------------------------------------------------------

NOTICES_PAGE = "/beheer/account/meldingen"


def _may_choose(request: Request, user: auth.User) -> bool:
    """Gemeente staff all get notices; on a kern its beheerders do."""
    role = request.app.state.settings.role
    return user.role in preferences.receiving_roles(role)


def _notices_page(request: Request, chosen: dict[str, str], status: int = 200, **extra) -> Response:
    role = request.app.state.settings.role
    user = auth.current_user(request)
    context = {
        "topics": preferences.topics_of(role),
        "modes": preferences.MODES,
        "mode_labels": preferences.MODE_LABELS,
        "chosen": chosen,
        "errors": {},
        "may_choose": _may_choose(request, user),
        "has_email": bool(
            request.app.state.db.scalar("SELECT email FROM users WHERE id = ?", (user.id,))
        ),
        **extra,
    }
    return render(request, "beheer/meldingen.html", context, status)


@auth.login_required()
async def notices(request: Request) -> Response:
    """Per subject: a mail at once, one mail a day, or none."""
    user = auth.current_user(request)
    role = request.app.state.settings.role
    db = request.app.state.db
    if request.method == "GET":
        return _notices_page(request, preferences.choices(db.read(), role, user.id))
    data, csrf_ok = await read_beheer_form(request)
    submitted = {t.key: data.get(t.key, "") for t in preferences.topics_of(role)}
    if not csrf_ok:
        return _notices_page(request, submitted, 400, csrf_error=True)
    if not _may_choose(request, user):
        return _notices_page(request, submitted, 403)
    errors = {
        key: _("Kies een van de drie mogelijkheden.")
        for key, mode in submitted.items()
        if mode not in preferences.MODES
    }
    if errors:
        return _notices_page(request, submitted, 400, errors=errors)

    def save(conn) -> None:
        preferences.save(conn, role, user.id, submitted)
        summary = ", ".join(f"{key}={mode}" for key, mode in submitted.items())
        record_audit(conn, user, "user.notices", "User", user.username, summary)

    db.write(save)
    flash(request, _("Uw keuze voor meldingen is bewaard."))
    return RedirectResponse(NOTICES_PAGE, status_code=303)
