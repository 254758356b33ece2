"""Two-step sign-in in beheer: the code after the password, and switching it on and off."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from node.web import auth, login_throttle, two_step
from node.web.account import finish_sign_in, safe_next
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, read_form, strip_text
from node.web.i18n import _, ngettext
from node.web.password_check import check_password, code_keys, too_many_attempts
from node.web.templating import flash, render

SETUP = "/beheer/account/tweestaps"
WRONG_CODE = _("Deze code klopt niet. Kijk in de app en vul de code in die u nu ziet.")


class CodeForm(BaseForm):
    code = StringField(
        _("Code"),
        [InputRequired(message=_("Vul de code in.")), Length(max=40)],
        filters=[strip_text],
    )


class TurnOffForm(BaseForm):
    password = PasswordField(
        _("Wachtwoord"), [InputRequired(message=_("Vul uw wachtwoord in.")), Length(max=1000)]
    )
    code = StringField(
        _("Code"),
        [InputRequired(message=_("Vul de code in.")), Length(max=40)],
        filters=[strip_text],
    )


class TooManyAttempts(Exception):
    """The account or address must wait before the next code; the message says how long."""


def _use_code(request: Request, user: auth.User, code: str) -> str | None:
    """Check an app or recovery code, counted like a password attempt: 'app', 'recovery',
    None for a wrong code; raises TooManyAttempts when the account must wait."""
    db = request.app.state.db
    keys = code_keys(request, user.id)
    reservation = db.write_quiet(login_throttle.reserve, keys)
    if not reservation.allowed:
        raise TooManyAttempts(too_many_attempts(reservation))

    def check(conn) -> str | None:
        how = two_step.use_code(conn, user.id, code, auth.now())
        if how:
            login_throttle.succeeded(conn, reservation, keys[0][0])
        return how

    return db.write(check)


async def login_code(request: Request) -> Response:
    """The second step of signing in: the code from the app, or a recovery code."""
    next_url = safe_next(request.query_params.get("volgende"))
    waiting = auth.awaiting_code(request)
    if waiting is None:
        flash(request, _("Log opnieuw in. Het duurde te lang voordat u de code invulde."))
        return RedirectResponse(f"/beheer/inloggen?volgende={quote(next_url)}", status_code=303)
    session, user = waiting
    template = "beheer/inloggen_code.html"
    if request.method == "GET":
        return render(request, template, {"form": CodeForm(), "next_url": next_url})
    form = CodeForm(formdata=await read_form(request))
    if not form.validate():
        return render(request, template, {"form": form, "next_url": next_url}, 400)
    try:
        how = _use_code(request, user, form.code.data)
    except TooManyAttempts as refused:
        form.code.errors = [str(refused)]
        return render(request, template, {"form": form, "next_url": next_url}, 429)
    if how is None:
        form.code.errors = [WRONG_CODE]
        return render(request, template, {"form": form, "next_url": next_url}, 400)
    response = finish_sign_in(
        request, user, next_url, how=f"password and {how} code", replaces=session.id
    )
    if how == "recovery":
        left = two_step.recovery_codes_left(request.app.state.db.read(), user.id)
        flash(
            request,
            ngettext(
                "U heeft een herstelcode gebruikt. U heeft nog %d herstelcode over.",
                "U heeft een herstelcode gebruikt. U heeft nog %d herstelcodes over.",
                left,
            )
            % left,
        )
    return response


def _setup_context(request: Request, user: auth.User) -> dict:
    db = request.app.state.db
    if two_step.is_on(db.read(), user.id):
        return {"on": True, "codes_left": two_step.recovery_codes_left(db.read(), user.id)}
    secret = db.write_quiet(two_step.pending_secret, user.id)
    uri = two_step.provisioning_uri(secret, user.username, request.app.state.settings.name)
    return {"on": False, "qr": two_step.qr_code(uri), "secret": two_step.grouped(secret)}


@auth.login_required()
async def setup(request: Request) -> Response:
    """Switch two-step sign-in on: scan the QR code, confirm with a first code."""
    user = auth.current_user(request)
    template = "beheer/tweestaps.html"
    if request.method == "GET":
        context = _setup_context(request, user)
        return render(request, template, {**context, "form": CodeForm(), "off": TurnOffForm()})
    data, csrf_ok = await read_beheer_form(request)
    form = CodeForm(formdata=data)
    context = {**_setup_context(request, user), "form": form, "off": TurnOffForm()}
    if not csrf_ok:
        return render(request, template, {**context, "csrf_error": True}, 400)
    if context["on"]:
        return RedirectResponse(SETUP, status_code=303)
    if not form.validate():
        return render(request, template, context, 400)

    def switch_on(conn) -> list[str] | None:
        codes = two_step.confirm(conn, user.id, form.code.data, auth.now())
        if codes:
            record_audit(conn, user, "user.two_step_on", "User", user.username)
        return codes

    codes = request.app.state.db.write(switch_on)
    if codes is None:
        form.code.errors = [WRONG_CODE]
        return render(request, template, context, 400)
    # Shown once, on the answer to this POST; only their hashes are stored.
    return render(request, "beheer/tweestaps_codes.html", {"codes": codes})


@auth.login_required()
async def turn_off(request: Request) -> Response:
    """Switch two-step sign-in off: only with the password and a code."""
    user = auth.current_user(request)
    db = request.app.state.db
    template = "beheer/tweestaps.html"
    data, csrf_ok = await read_beheer_form(request)
    off = TurnOffForm(formdata=data)
    context = {**_setup_context(request, user), "form": CodeForm(), "off": off}
    if not context["on"]:
        return RedirectResponse(SETUP, status_code=303)
    if not csrf_ok:
        return render(request, template, {**context, "csrf_error": True}, 400)
    if not off.validate():
        return render(request, template, context, 400)
    check = await check_password(request, user.username, off.password.data)
    if check.user is None:
        off.password.errors = [
            _("Uw wachtwoord klopt niet.") if check.status == 400 else check.error
        ]
        return render(request, template, context, check.status)
    try:
        how = _use_code(request, user, off.code.data)
    except TooManyAttempts as refused:
        off.code.errors = [str(refused)]
        return render(request, template, context, 429)
    if how is None:
        off.code.errors = [WRONG_CODE]
        return render(request, template, context, 400)

    def switch_off(conn) -> None:
        two_step.turn_off(conn, user.id)
        record_audit(conn, user, "user.two_step_off", "User", user.username)

    db.write(switch_off)
    flash(request, _("Inloggen in twee stappen staat nu uit."))
    return RedirectResponse("/beheer/account", status_code=303)
