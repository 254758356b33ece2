"""Ideas on the public site: the list, sending one in, the sender's own link, support.

Sending an idea needs no account and no CAPTCHA. Spam is kept out by three quiet checks:
a hidden field only bots fill in, a signed time stamp in the form (a person needs more
than a few seconds, and a form older than a day is stale), and a limit per address.
"""

from __future__ import annotations

import re
import time

from itsdangerous import BadSignature, Signer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import HiddenField, StringField, TextAreaField, ValidationError
from wtforms.validators import Optional, StopValidation

from node.email_address import is_email_address
from node.kern.fields import at_most
from node.kern.ideas import model as ideas
from node.kern.projects.participation import support_answer
from node.kern.rendering import page
from node.mail.mailer import smtp_configured
from node.web.forms import BaseForm, no_control_characters, read_form, strip_text
from node.web.i18n import _
from node.web.middleware import PAGE_SCRIPTS_POLICY
from node.web.numbers import ascii_digits, parse_int
from node.web.ratelimit import client_key, limiter
from node.web.templating import flash

STAMP_SALT = "bloei.idee-formulier"
MIN_SECONDS = 3
MAX_SECONDS = 24 * 3600
# Per address: a village hall shares one connection, but nobody sends ten ideas an hour.
IDEA_LIMIT = (10, 3600)
IDEAS_PER_PAGE = 24
# The sender's own page: never kept by a browser or proxy, never sent on as a Referer.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


# --- The signed time stamp --------------------------------------------------------------


def form_stamp(secret: str, at: float | None = None) -> str:
    """When the form was handed out, signed so it cannot be forged. Tests pass `at`."""
    moment = int(time.time() if at is None else at)
    return Signer(secret, salt=STAMP_SALT).sign(str(moment)).decode()


def stamp_problem(secret: str, stamp: str | None, at: float | None = None) -> str | None:
    """Why this stamp is refused, in words for the sender; None when it is fine."""
    stale = _("Het formulier stond te lang open. Controleer uw idee en verstuur het opnieuw.")
    try:
        started = int(Signer(secret, salt=STAMP_SALT).unsign(stamp or "").decode())
    except (BadSignature, ValueError):
        return stale
    elapsed = (time.time() if at is None else at) - started
    if elapsed < MIN_SECONDS:
        return _(
            "U verstuurde het formulier erg snel. Controleer uw idee en verstuur het nog een keer."
        )
    if elapsed > MAX_SECONDS:
        return stale
    return None


# --- The form ---------------------------------------------------------------------------


def one_line(value):
    """Titles and names are one line: a newline in them could end up in a mail header."""
    value = strip_text(value)
    return " ".join(value.split()) if isinstance(value, str) else value


class filled:
    """Required, after the filters: a field of only spaces is empty too.

    (InputRequired looks at what was sent before the filters strip it.)
    """

    field_flags = {"required": True}

    def __init__(self, what: str):
        self.message = _("Vul %s in.") % what

    def __call__(self, form, field) -> None:
        if not field.data:
            raise StopValidation(self.message)


def contact_check(form, field) -> None:
    value = field.data or ""
    if not value:
        return
    if "@" in value:
        if not is_email_address(value):
            raise ValidationError(
                _("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.")
            )
    elif len(ascii_digits(value)) < 10 or any(c not in "0123456789 +-()" for c in value):
        raise ValidationError(
            _("Vul een geldig e-mailadres of telefoonnummer in, bijvoorbeeld 06 12345678.")
        )


class IdeaForm(BaseForm):
    title = StringField(
        _("Titel van uw idee"),
        [filled(_("een titel")), at_most(120), no_control_characters],
        filters=[one_line],
    )
    body = TextAreaField(
        _("Uw idee"),
        [filled(_("uw idee")), at_most(5000), no_control_characters],
        filters=[strip_text],
    )
    name = StringField(
        _("Uw naam"), [Optional(), at_most(100), no_control_characters], filters=[one_line]
    )
    contact = StringField(
        _("E-mailadres of telefoonnummer"),
        [Optional(), at_most(200), no_control_characters, contact_check],
        filters=[one_line],
    )
    started = HiddenField()
    # A field people never see: bots fill it in, and are then quietly refused.
    website = HiddenField()


# --- Pages ------------------------------------------------------------------------------


async def idea_list(request: Request) -> Response:
    """Published ideas, newest first, a page at a time as /projecten: the list grows with
    every idea the group publishes, and one page of hundreds is slow to make and to read."""
    db = request.app.state.db
    number = parse_int(request.query_params.get("pagina", "1"), 1, 10_000)
    total = ideas.count_published_ideas(db)
    pages = max(1, -(-total // IDEAS_PER_PAGE))
    if number is None or number > pages:
        return page(
            request,
            "kern/ideeen.html",
            {**_list_context(total, 1, pages), "error": _("Dit paginanummer bestaat niet.")},
            status_code=400,
        )
    rows = ideas.published_ideas(db, IDEAS_PER_PAGE, offset=(number - 1) * IDEAS_PER_PAGE)
    return page(request, "kern/ideeen.html", {**_list_context(total, number, pages), "ideas": rows})


def _list_context(total: int, number: int, pages: int) -> dict:
    return {
        "ideas": [],
        "total": total,
        "page_number": number,
        "pages": pages,
        "error": None,
        "summary": ideas.summary_of,
    }


def _form_page(
    request: Request, form: IdeaForm, status_code: int = 200, stamp_error: str | None = None
) -> Response:
    # Every showing of the form gets a fresh stamp, also after an error: whoever sends it
    # again a few seconds later passes.
    form.started.data = form_stamp(request.app.state.settings.secret_key)
    response = page(
        request,
        "kern/idee_nieuw.html",
        {
            "form": form,
            "stamp_error": stamp_error,
            # Senders are promised mail only when mail can leave the node.
            "mail_ready": smtp_configured(request.app.state.settings),
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def idea_new(request: Request) -> Response:
    if request.method == "GET":
        return _form_page(request, IdeaForm())
    form = IdeaForm(formdata=await read_form(request))
    if form.website.data:
        # Only a bot fills in the hidden field; it is thanked like a person, and nothing
        # is stored or mailed.
        flash(request, _("Dank u wel! De inwonersgroep heeft uw idee ontvangen."))
        return RedirectResponse("/ideeen", status_code=303)
    valid = form.validate()
    settings = request.app.state.settings
    problem = stamp_problem(settings.secret_key, form.started.data)
    if not valid or problem:
        return _form_page(request, form, 400, problem)
    if not limiter(request, "idee", *IDEA_LIMIT).allow(client_key(request, "idee")):
        return _form_page(
            request,
            form,
            429,
            _("Er kwamen te veel ideeën van uw adres. Probeer het later opnieuw."),
        )
    _idea_id, token = request.app.state.db.write(
        ideas.submit_idea,
        settings,
        form.title.data,
        form.body.data,
        form.name.data or "",
        form.contact.data or "",
    )
    flash(
        request,
        _(
            "Dank u wel! Uw idee is ontvangen. Bewaar het adres van deze pagina: hier leest u wat de inwonersgroep met uw idee doet."
        ),
        at="idee",
        done=True,
    )
    return RedirectResponse(ideas.status_path(token), status_code=303)


async def idea_status(request: Request) -> Response:
    """The sender's own page: status, the group's answer or the reason for declining."""
    token = request.path_params["token"]
    idea = ideas.get_idea_by_token(request.app.state.db, token) if _TOKEN_RE.match(token) else None
    if idea is None:
        raise HTTPException(404)
    settings = request.app.state.settings
    response = page(
        request,
        "kern/idee_status.html",
        {
            "idea": idea,
            # Said only when the mail can leave the node (node/kern/mail_effects.py).
            "mail_to_sender": smtp_configured(settings) and ideas.sender_address(idea) != "",
        },
    )
    response.headers.update(PRIVATE_HEADERS)
    # The copy button's small script (templates/static/kopieer.js) may run here.
    response.headers["Content-Security-Policy"] = PAGE_SCRIPTS_POLICY
    return response


def _published_or_404(request: Request):
    idea = ideas.get_published_idea(request.app.state.db, request.path_params["slug"])
    if idea is None:
        raise HTTPException(404)
    return idea


async def idea_page(request: Request) -> Response:
    return page(request, "kern/idee.html", {"idea": _published_or_404(request)})


async def support(request: Request) -> Response:
    """Support an idea once per person, counted like a project's support (participation)."""
    idea = _published_or_404(request)
    target = ideas.idea_path(idea["slug"])
    return support_answer(
        request, "idee", idea["id"], target, _("U steunt dit idee al. Dank u wel!")
    )
