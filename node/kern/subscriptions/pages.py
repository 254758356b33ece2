"""The public side of following by e-mail: subscribing, confirming, and unsubscribing.

The forms sit on cached public pages without a session token, like the RSVP form: the
Origin check refuses cross-site POSTs, a hidden field catches bots and a limit per address
stops a script filling someone's inbox. What the page says after a subscription does not
tell whether the address already followed this, so the form reveals nobody's choices.

Unsubscribing follows RFC 8058: a POST to the address in the List-Unsubscribe header ends
the subscription at once, without a token in a cookie or a form and without a question in
between (mail programs send it for the resident); a GET, which link checkers and mail
scanners also do, only shows a button.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.kern.projects import model as projects
from node.kern.rendering import page
from node.kern.subscriptions import model
from node.kern.subscriptions.form import SubscribeForm, subscribe_form
from node.web.forms import read_form
from node.web.i18n import _
from node.web.ratelimit import client_key, limiter
from node.web.templating import flash

SUBSCRIBE_LIMIT = (10, 3600)
# Confirmation mails to one address, from wherever the requests come: nobody can fill
# someone's inbox by asking from many computers.
ADDRESS_LIMIT = (4, 3600)
# Generous: a mail provider unsubscribing many of its users comes from few addresses.
LINK_LIMIT = (300, 3600)
NO_STORE = {"Cache-Control": "no-store"}


def _topic_of(db, topic: str, project_slug: str) -> tuple[str, object]:
    """The topic asked for and its project row (None unless a project is followed)."""
    if topic == "project":
        return topic, projects.get_project(db, project_slug) if project_slug else None
    return (topic if topic in model.TOPICS else "nieuws"), None


def _form_page(
    request: Request,
    form: SubscribeForm,
    project,
    status: int = 200,
    error: str = "",
) -> Response:
    response = page(
        request,
        "kern/volgen.html",
        {"form": form, "project": project, "error": error, "topics": model.TOPICS},
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def subscribe_page(request: Request) -> Response:
    db = request.app.state.db
    settings = request.app.state.settings
    if request.method == "GET":
        topic, project = _topic_of(
            db,
            request.query_params.get("onderwerp", "nieuws"),
            request.query_params.get("project", "")[:200],
        )
        if topic == "project" and project is None:
            topic = "nieuws"
        form = subscribe_form(topic, project["slug"] if project else "")
        return _form_page(request, form, project)
    form = subscribe_form(formdata=await read_form(request))
    topic, project = _topic_of(db, form.topic.data or "", (form.project.data or "")[:200])
    form.topic.data = topic
    if topic == "project" and project is None:
        return _form_page(request, form, None, 404, _("Dit project bestaat niet (meer)."))
    if not form.validate():
        return _form_page(request, form, project, 400)
    done = _(
        "Bijna klaar! We hebben u een e-mail gestuurd. Klik op de link in die e-mail om te bevestigen. Pas daarna krijgt u berichten."
    )
    target = projects.project_path(project["slug"]) if project else _back(topic)
    if form.website.data:
        flash(request, done)
        return RedirectResponse(target, status_code=303)
    if not limiter(request, "volgen", *SUBSCRIBE_LIMIT).allow(client_key(request, "volgen")):
        return _form_page(
            request,
            form,
            project,
            429,
            _("Er kwamen te veel aanmeldingen van uw adres. Probeer het later opnieuw."),
        )
    if not limiter(request, "volgen-adres", *ADDRESS_LIMIT).allow(_address_key(form.email.data)):
        # The same answer as always: the page tells nothing about the address.
        flash(request, done)
        return RedirectResponse(target, status_code=303)
    try:
        db.write(
            model.subscribe,
            settings,
            form.email.data,
            topic,
            form.frequency.data,
            project["id"] if project else None,
        )
    except model.SubscriptionError as error:
        return _form_page(request, form, project, 400, str(error))
    flash(request, done)
    return RedirectResponse(target, status_code=303)


def _address_key(email: str) -> str:
    # Only a hash in memory: the counts never hold the address itself.
    return "volgen-adres:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _back(topic: str) -> str:
    return "/bijeenkomsten" if topic == "bijeenkomsten" else "/nieuws"


def _link_page(
    request: Request, template: str, row, error: str = "", status: int = 200, **extra
) -> Response:
    response = page(
        request,
        template,
        {
            "subscription": row,
            "what": model.topic_label(row) if row else "",
            "error": error,
            "confirmed": False,
            "done": False,
            **extra,
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def confirm_page(request: Request) -> Response:
    """The link in the confirmation mail. A GET only shows a button: scanners open links."""
    state = request.app.state
    token = request.path_params["token"]
    row = model.by_token(state.db, state.settings, model.CONFIRM, token)
    gone = _(
        "Deze link werkt niet meer. Misschien is hij verlopen of al gebruikt. Meld u opnieuw aan."
    )
    if row is None or model.confirm_expired(row):
        return _link_page(request, "kern/volgen_bevestigen.html", None, gone, 404)
    if request.method == "POST":
        if not limiter(request, "volgen-link", *LINK_LIMIT).allow(
            client_key(request, "volgen-link")
        ):
            return _link_page(
                request,
                "kern/volgen_bevestigen.html",
                row,
                _("U heeft het te vaak geprobeerd. Probeer het later opnieuw."),
                429,
            )
        state.db.write(model.confirm, row["id"])
        return _link_page(request, "kern/volgen_bevestigen.html", row, confirmed=True)
    return _link_page(request, "kern/volgen_bevestigen.html", row)


async def unsubscribe_page(request: Request) -> Response:
    """One-click unsubscribe (RFC 8058): POST ends it at once; GET shows the button."""
    state = request.app.state
    token = request.path_params["token"]
    row = model.by_token(state.db, state.settings, model.UNSUBSCRIBE, token)
    if request.method == "POST":
        if not limiter(request, "volgen-link", *LINK_LIMIT).allow(
            client_key(request, "volgen-link")
        ):
            return _link_page(
                request,
                "kern/afmelden.html",
                row,
                _("U heeft het te vaak geprobeerd. Probeer het later opnieuw."),
                429,
            )
        if row is not None:
            state.db.write(model.unsubscribe, row["id"])
        # Gone already (a second click, a mail program and the resident both) is done too.
        return _link_page(request, "kern/afmelden.html", row, done=True)
    if row is None:
        return _link_page(request, "kern/afmelden.html", None, done=True)
    return _link_page(request, "kern/afmelden.html", row)
