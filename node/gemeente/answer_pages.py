"""Beheer pages for answering the kernen (medewerkers and beheerders): a reactie on a
project or thema, a gemeentebericht to one kern or to all, and the trail of what was sent.

    GET/POST /beheer/reactie?op=<id of the kern's project or thema>
    GET/POST /beheer/berichten
    GET      /beheer/werklijst    what waits for an answer of the gemeente, per kern, for
                                  everyone or one staff member (?medewerker=mij|<id>|niemand)
"""

from __future__ import annotations

import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from federation.store import utcnow
from node.gemeente import assignment, conversations, kernen, queries, reactions
from node.gemeente.runtime import GemeenteFederation
from node.web import auth, thread_state
from node.web.beheerforms import read_beheer_form
from node.web.forms import BaseForm, no_control_characters, strip_text
from node.web.i18n import _
from node.web.templating import flash, render

ALL = "alle"
CLOSE = "afronden"  # the name of the button that sends the reactie and closes the thread


class ReactieForm(BaseForm):
    text = TextAreaField(
        _("Reactie van de gemeente"),
        [
            DataRequired(message=_("Schrijf een reactie.")),
            Length(max=5000, message=_("Gebruik hoogstens 5000 tekens.")),
            no_control_characters,
        ],
        filters=[strip_text],
    )


class BerichtForm(BaseForm):
    kern = SelectField(_("Aan"), validate_choice=False)
    title = StringField(
        _("Titel"),
        [
            DataRequired(message=_("Vul een titel in.")),
            Length(max=150, message=_("Gebruik hoogstens 150 tekens.")),
            no_control_characters,
        ],
        filters=[strip_text],
    )
    text = TextAreaField(
        _("Bericht"),
        [
            DataRequired(message=_("Schrijf het bericht.")),
            Length(max=5000, message=_("Gebruik hoogstens 5000 tekens.")),
            no_control_characters,
        ],
        filters=[strip_text],
    )


def _federation(request: Request) -> GemeenteFederation:
    return request.app.state.federation


# --- reactie -----------------------------------------------------------------------------------


def _answered(request: Request, object_id: str) -> dict:
    try:
        return reactions.target(request.app.state.db.read(), object_id)
    except reactions.NotAnswerable:
        raise HTTPException(404) from None


def _reactie_page(request: Request, answered: dict, form: ReactieForm, status: int = 200, **extra):
    conn = request.app.state.db.read()
    # A reactie answers a project or a thema: the page shows the facts of whichever it is,
    # and the template is given both names, so neither is ever undefined.
    project = thema = None
    history: list = []
    if answered["type"] == "Project":
        project = _row(conn, "gemeente_projects", answered["object_id"])
        history = queries.phase_history(conn, project["id"]) if project else []
    else:
        thema = _row(conn, "gemeente_themas", answered["object_id"])
    trail = reactions.trail(conn, answered["object_id"])
    answers = conversations.answers_to(conn, [r["object_id"] for r in trail])
    context = {
        "answered": answered,
        "form": form,
        "trail": [{**r, "answers": answers.get(r["object_id"], [])} for r in trail],
        "state": thread_state.label(conversations.state_of(conn, answered["object_id"])),
        "project": project,
        "thema": thema,
        "history": history,
        **extra,
    }
    return render(request, "gemeente/beheer/reactie.html", context, status)


def _row(conn: sqlite3.Connection, table: str, object_id: str) -> dict | None:
    found = conn.execute(f"SELECT * FROM {table} WHERE object_id = ?", (object_id,)).fetchone()
    return dict(found) if found else None


@auth.login_required()
async def reactie(request: Request) -> Response:
    object_id = request.query_params.get("op", "")
    answered = _answered(request, object_id)
    if request.method == "GET":
        return _reactie_page(request, answered, ReactieForm())
    data, csrf_ok = await read_beheer_form(request)
    form = ReactieForm(formdata=data)
    if not csrf_ok:
        return _reactie_page(request, answered, form, 400, csrf_error=True)
    if not form.validate():
        return _reactie_page(request, answered, form, 400)
    fed = _federation(request)
    me = auth.current_user(request)
    settings = request.app.state.settings
    closes = data.get(CLOSE) == "ja"

    def send(conn: sqlite3.Connection) -> str:
        return reactions.send_reactie(
            conn, settings, fed.identity, answered, form.text.data, me, utcnow(), closes
        )

    request.app.state.db.write(send)
    fed.queued.set()
    flash(
        request,
        _("Uw reactie is verstuurd naar %(kern)s. Ze staat hieronder, met de datum.")
        % {"kern": answered["kern"]["name"]},
    )
    return RedirectResponse(f"/beheer/reactie?op={object_id}", status_code=303)


# --- gemeentebericht ---------------------------------------------------------------------------


def _bericht_form(conn: sqlite3.Connection, formdata=None) -> tuple[BerichtForm, list[dict]]:
    reachable = [k for k in kernen.list_kernen(conn) if kernen.may_send(k)]
    form = BerichtForm(formdata=formdata)
    form.kern.choices = [(ALL, _("Alle kernen die de gemeente volgt"))] + [
        (str(k["id"]), k["name"]) for k in reachable
    ]
    return form, reachable


def _bericht_page(request: Request, form: BerichtForm, status: int = 200, **extra) -> Response:
    conn = request.app.state.db.read()
    context = {"form": form, "sent": reactions.recent(conn), **extra}
    return render(request, "gemeente/beheer/berichten.html", context, status)


@auth.login_required()
async def berichten(request: Request) -> Response:
    conn = request.app.state.db.read()
    if request.method == "GET":
        form, _reachable = _bericht_form(conn)
        return _bericht_page(request, form)
    data, csrf_ok = await read_beheer_form(request)
    form, reachable = _bericht_form(conn, data)
    if not csrf_ok:
        return _bericht_page(request, form, 400, csrf_error=True)
    if not form.validate():
        return _bericht_page(request, form, 400)
    if form.kern.data == ALL:
        recipients = reachable
    else:
        recipients = [k for k in reachable if str(k["id"]) == form.kern.data]
    if not recipients:
        form.kern.errors = [_("Kies een kern die de gemeente volgt.")]
        return _bericht_page(request, form, 400)
    fed = _federation(request)
    me = auth.current_user(request)
    settings = request.app.state.settings

    def send(conn: sqlite3.Connection) -> str:
        return reactions.send_bericht(
            conn,
            settings,
            fed.identity,
            recipients,
            form.title.data,
            form.text.data,
            me,
            utcnow(),
        )

    request.app.state.db.write(send)
    fed.queued.set()
    flash(request, _("Het bericht is verstuurd."))
    return RedirectResponse("/beheer/berichten", status_code=303)


# --- work list ---------------------------------------------------------------------------------


MINE = "mij"
NOBODY = "niemand"


@auth.login_required()
async def werklijst(request: Request) -> Response:
    """?medewerker=mij (my kernen), =<user id> (a colleague's), =niemand (kernen without a
    gebiedsmakelaar); anything else, or nothing, shows every kern."""
    conn = request.app.state.db.read()
    me = auth.current_user(request)
    staff = assignment.staff(conn)
    assigned = assignment.assignments(conn)
    names = {p["id"]: p["display_name"] for p in staff}
    chosen = request.query_params.get("medewerker", "")
    wanted: int | None | str = ALL
    if chosen == MINE:
        wanted = me.id
    elif chosen == NOBODY:
        wanted = None
    elif chosen in {str(user_id) for user_id in names}:
        wanted = int(chosen)
    else:
        chosen = ""
    kernen_waiting = conversations.work_list(conn, utcnow())
    if wanted != ALL:
        kernen_waiting = [k for k in kernen_waiting if assigned.get(k["id"]) == wanted]
    for kern in kernen_waiting:
        kern["staff_name"] = names.get(assigned.get(kern["id"]), "")
    context = {
        "kernen": kernen_waiting,
        "total": sum(len(k["items"]) for k in kernen_waiting),
        "staff": staff,
        "chosen": chosen,
        "filtered": wanted != ALL,
    }
    return render(request, "gemeente/beheer/werklijst.html", context)


def routes() -> list[BaseRoute]:
    return [
        Route("/beheer/reactie", reactie, methods=["GET", "POST"]),
        Route("/beheer/berichten", berichten, methods=["GET", "POST"]),
        Route("/beheer/werklijst", werklijst),
    ]
