"""Errors in Dutch for people, and as application/problem+json for the API."""

from __future__ import annotations

import html
import logging
import re
import uuid

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Scope

from node.storage import StorageError
from node.web.i18n import _
from node.web.templating import render

log = logging.getLogger("bloei")

TITLES = {
    400: "Dit verzoek klopt niet",
    403: "Dit mag niet",
    404: "Deze pagina bestaat niet",
    405: "Dit kan zo niet",
    413: "Dit is te groot",
    429: "Even wachten",
    500: "Er ging iets mis",
    503: "De site kan nu niets opslaan",
}
EXPLANATIONS = {
    400: "De gegevens in uw verzoek kloppen niet. Ga terug en probeer het opnieuw.",
    403: "U heeft geen toestemming voor deze pagina of actie.",
    404: "Misschien is de pagina verplaatst of verwijderd. Controleer het adres, "
    "of ga naar de startpagina.",
    405: "Deze pagina kan zo niet gebruikt worden.",
    413: "Wat u stuurde is te groot. Maak het kleiner en probeer het opnieuw.",
    429: "U heeft het te vaak geprobeerd. Wacht een paar minuten en probeer het dan opnieuw.",
    500: "Dit is niet uw fout. Probeer het later nog eens. Blijft het misgaan? "
    "Neem dan contact op met de beheerders van deze site.",
    503: "Probeer het later nog eens. Wat u net verstuurde, is niet opgeslagen.",
}
# A full disk or a read-only folder takes a person to fix: ask clients to wait a while.
STORAGE_RETRY_AFTER_SECONDS = 300
# Fields whose value never goes back into a page: the account forms' passwords
# (node/web/account.py).
SECRET_FIELDS = frozenset({"password", "current", "new", "repeat"})


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def problem(status: int, title: str, detail: str = "", **extra) -> JSONResponse:
    """An RFC 9457 problem document, as the NL API Design Rules ask."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(
        body,
        status_code=status,
        media_type="application/problem+json",
        headers={"API-Version": "1.0.0"},
    )


def error_page(
    request: Request,
    status: int,
    detail: str = "",
    *,
    template: str = "error.html",
    context: dict | None = None,
    headers: dict | None = None,
) -> Response:
    title = _(TITLES.get(status, TITLES[500]))
    if is_api(request.url.path):
        return problem(status, title, detail)
    explanation = detail or _(EXPLANATIONS.get(status, EXPLANATIONS[500]))
    try:
        return render(
            request,
            template,
            {"status": status, "title": title, "explanation": explanation, **(context or {})},
            status_code=status,
            headers=headers,
        )
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        return HTMLResponse(
            f"<h1>{html.escape(title)}</h1><p>{html.escape(explanation)}</p>",
            status_code=status,
            headers=headers,
        )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_page(request, exc.status_code, exc.detail if exc.status_code == 400 else "")
    # Keep what the exception says about the resource, such as Allow on a 405.
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if is_api(request.url.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(scope: Scope) -> str:
    """The proxy's X-Request-ID when it sent a sensible one, else a new one."""
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            given = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex[:16]


def log_server_error(scope: Scope, exc: BaseException, rid: str) -> None:
    """One line that says what failed where, with the traceback once.

    The path and the message are cut short: both may carry what a visitor sent.
    """
    summary = f"{type(exc).__name__}: {exc}"
    log.error(
        "500 %s %s request=%s %s",
        scope.get("method", ""),
        scope.get("path", "")[:200],
        rid,
        summary[:300],
        exc_info=exc,
    )


def server_error_page(request: Request, rid: str) -> Response:
    """The 500 page, naming the request id people can pass on to the beheerders."""
    detail = _(EXPLANATIONS[500]) + " " + _("Noem daarbij deze code: %s.") % rid
    response = error_page(request, 500, detail)
    response.headers["X-Request-ID"] = rid
    return response


async def storage_failure(request: Request, exc: Exception) -> Response:
    """Nothing could be saved: a 503 that says so, and one log line for the host.

    An exception handler, not the 500 path, so the connection stays open (uvicorn closes
    it after an exception that reaches the server) and no traceback fills the log on every
    request while the disk is full.
    """
    assert isinstance(exc, StorageError)
    settings = request.app.state.settings
    log.error(
        "nothing saved: %s (%s); data folder %s; %s %s",
        exc.cause,
        exc.path,
        settings.data_dir,
        request.method,
        request.url.path,
    )
    headers = {"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_api(request.url.path) or _sent_json(request):
        response = problem(503, _(TITLES[503]), _(EXPLANATIONS[503]))
        response.headers.update(headers)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    typed, resend, had_files = await _what_was_sent(request)
    return error_page(
        request,
        503,
        template="error_storage.html",
        context={"typed": typed, "resend": resend, "had_files": had_files},
        headers=headers,
    )


def _sent_json(request: Request) -> bool:
    """A program sent JSON (an ActivityPub inbox delivery): it reads a problem, not a page."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


async def _what_was_sent(
    request: Request,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], bool]:
    """The text fields of the form that could not be saved: what to show (to copy) and what
    to send again (with the form's CSRF token), and whether a file came with it. Nothing if
    the form holds a password."""
    if request.method != "POST":
        return [], [], False
    try:
        # The endpoint read the form already; Starlette keeps it on the request.
        data = await request.form()
    except Exception:
        return [], [], False
    fields = [(name, value) for name, value in data.multi_items() if isinstance(value, str)]
    had_files = any(
        isinstance(value, UploadFile) and value.filename for _name, value in data.multi_items()
    )
    if any(name in SECRET_FIELDS for name, _value in fields):
        return [], [], had_files
    typed = [(name, value) for name, value in fields if name != "csrf" and value.strip()]
    return typed, fields, had_files


def forbidden_cross_site(scope: Scope) -> Response:
    detail = (
        "Dit formulier kwam niet van deze site. Open de pagina opnieuw en probeer het nog eens."
    )
    if is_api(scope["path"]):
        return problem(403, _(TITLES[403]), _(detail))
    return HTMLResponse(
        f"<!doctype html><html lang='nl'><title>{_(TITLES[403])}</title>"
        f"<h1>{_(TITLES[403])}</h1><p>{_(detail)}</p>",
        status_code=403,
    )
