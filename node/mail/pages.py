"""Beheer of outgoing mail, the same on both roles (beheerders only): is mail set up, how the
queue stands, which messages failed, retry one, send a test."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from node.mail import mailer
from node.mail.queue import queue_mail
from node.web import auth
from node.web.audit import record_audit
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, strip_text, valid_email
from node.web.i18n import _
from node.web.templating import flash, render

TEMPLATE = "beheer/mail.html"
PAGE = "/beheer/mail"


class MailTestForm(BaseForm):
    address = StringField(
        _("Stuur een testmail naar"),
        [
            InputRequired(message=_("Vul een e-mailadres in.")),
            Length(max=200, message=_("Gebruik hoogstens 200 tekens.")),
            valid_email,
        ],
        filters=[strip_text],
    )


def _page(request: Request, form: MailTestForm, status_code: int = 200, **extra) -> Response:
    db = request.app.state.db
    status = mailer.mail_status(db, request.app.state.settings)
    return render(request, TEMPLATE, {"status": status, "form": form, **extra}, status_code)


@auth.login_required("beheerder")
async def mail_page(request: Request) -> Response:
    return _page(request, MailTestForm())


@auth.login_required("beheerder")
async def test_mail(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    form = MailTestForm(formdata=data)
    if not csrf_ok:
        return _page(request, form, 400, csrf_error=True)
    if not form.validate():
        return _page(request, form, 400)
    settings = request.app.state.settings
    if not mailer.smtp_configured(settings):
        form.address.errors = [
            _("Mail is nog niet ingesteld. Vraag de beheerder van de server om dat te doen.")
        ]
        return _page(request, form, 400)
    db = request.app.state.db
    me = auth.current_user(request)
    subject = _("Testmail van %(kern)s") % {"kern": settings.name}
    body = _(
        "Dit is een testmail van de site van %(kern)s (%(url)s).\n\n"
        "Krijgt u deze mail? Dan werkt het versturen van mail."
    ) % {"kern": settings.name, "url": settings.public_url}

    def queue(conn) -> int:
        mail_id = queue_mail(conn, "mail.test", form.address.data, subject, body)
        # The address stays out of the log: the log is read by every beheerder for years.
        record_audit(conn, me, "mail.test", "Mail", mail_id)
        return mail_id

    mail_id = db.write(queue)
    # Sent now rather than by the worker, so the beheerder sees the server's answer at once.
    row = await run_in_threadpool(mailer.send_now, db, settings, mail_id)
    if row is not None and row["sent_at"]:
        flash(request, _("De testmail is verstuurd. Kijk of hij aankomt."))
    elif row is not None and row["last_error"]:
        flash(
            request,
            _("De testmail kon niet worden verstuurd: %(error)s") % {"error": row["last_error"]},
        )
    else:
        flash(request, _("De testmail staat in de wachtrij."))
    return RedirectResponse(PAGE, status_code=303)


@auth.login_required("beheerder")
async def retry_mail(request: Request) -> Response:
    data, csrf_ok = await read_beheer_form(request)
    if not csrf_ok:
        flash(request, _("Het formulier is verlopen. Probeer het opnieuw."))
        return RedirectResponse(PAGE, status_code=303)
    mail_id = request.path_params["mail_id"]
    db = request.app.state.db
    me = auth.current_user(request)

    def retry(conn) -> bool:
        if conn.execute("SELECT 1 FROM mail_queue WHERE id = ?", (mail_id,)).fetchone() is None:
            raise HTTPException(404)
        done = mailer.retry_given_up(conn, mail_id)
        if done:
            record_audit(conn, me, "mail.retry", "Mail", mail_id)
        return done

    if db.write(retry):
        flash(request, _("Het bericht staat weer in de wachtrij en wordt zo opnieuw verstuurd."))
    else:
        flash(request, _("Dit bericht is al verstuurd of staat nog in de wachtrij."))
    return RedirectResponse(PAGE, status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route(PAGE, mail_page),
        Route(PAGE + "/test", test_mail, methods=["POST"]),
        Route(PAGE + "/{mail_id:id}/opnieuw", retry_mail, methods=["POST"]),
    ]
