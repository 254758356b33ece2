"""The kern's read-only open-data API under /api/v1, following the NL API Design Rules.

Every answer carries `API-Version`, allows any origin (it is open data) and, when it
succeeds, an ETag derived from the node's data version: every write bumps that version, so
an aggregator that polls with If-None-Match gets a cheap 304 until something changed.
Objects come from the same `*_public` functions that feed events and federation, so the
API can never show more than the public pages do: no volunteers, no supporters, no users.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from node.kern.agenda import model as agenda
from node.kern.api.openapi import (
    API_VERSION,
    BASE,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    openapi_document,
)
from node.kern.meetings import model as meetings
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.vocabulary import PHASES
from node.web.conditional import client_has_current, http_date, settled_last_modified
from node.web.errors import problem
from node.web.numbers import parse_int

# Browsers only let a page read headers outside the CORS safelist when they are exposed.
OPEN_DATA_HEADERS = {
    "API-Version": API_VERSION,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "API-Version, ETag",
}
# Clients may keep an answer but must ask again each time; with the ETag that costs a 304.
CACHE_CONTROL = "no-cache"
PROJECT_DETAIL_ONLY = ("fasegeschiedenis", "updates")


class InvalidParams(Exception):
    """Query parameters that do not fit; each entry is {name, reason} for `invalidParams`."""

    def __init__(self, params: list[dict[str, str]]):
        super().__init__(params)
        self.params = params


class NotFound(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


Params = dict
Parser = Callable[[Request], Params]
Builder = Callable[[Request, Params], dict]
# What else, besides the data version, decides an answer (for meetings: the clock).
EtagPart = Callable[[Request], str]


# --- Responses ------------------------------------------------------------------------------


def validators(etag: str, last_modified: datetime | None) -> dict[str, str]:
    headers = {**OPEN_DATA_HEADERS, "ETag": etag, "Cache-Control": CACHE_CONTROL}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


def ok(body: dict, etag: str, last_modified: datetime | None = None) -> JSONResponse:
    headers = validators(etag, last_modified)
    return JSONResponse(body, headers=headers, media_type="application/json")


def not_modified(etag: str, last_modified: datetime | None = None) -> Response:
    return Response(status_code=304, headers=validators(etag, last_modified))


def last_modified(request: Request, clock_matters: bool) -> datetime | None:
    """When the data last changed, for If-Modified-Since; none for answers that also change
    with the clock (meetings that end), which no data change dates: those go by ETag only.
    Read it before the ETag and the data, so it is too old rather than too new."""
    if clock_matters:
        return None
    changed = request.app.state.db.data_changed_at()
    return settled_last_modified(changed, datetime.now(UTC))


def api_problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    response = problem(status, title, detail, **extra)
    response.headers.update(OPEN_DATA_HEADERS)
    return response


def bad_request(params: list[dict[str, str]]) -> JSONResponse:
    return api_problem(
        400,
        "Ongeldige parameters",
        "Een of meer parameters kloppen niet. Zie invalidParams.",
        invalidParams=params,
    )


def not_found(detail: str) -> JSONResponse:
    return api_problem(404, "Niet gevonden", detail)


# --- ETags ----------------------------------------------------------------------------------


def make_etag(request: Request, extra: str = "") -> str:
    """Same data version, address, API version and `extra` give the same bytes, so the same tag.

    Call this before reading any data: a write landing in between then yields a tag that
    is already stale (one extra fetch), never a new tag on an old body (a missed update).
    """
    settings = request.app.state.settings
    version = request.app.state.db.data_version()
    key = "|".join(
        (API_VERSION, settings.public_url, str(version), request.url.path, request.url.query, extra)
    )
    return f'"{version}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"'


# --- Query parameters -----------------------------------------------------------------------


def query_params(request: Request, allowed: tuple[str, ...]) -> tuple[dict[str, str], list]:
    """The query as a dict, and a problem for every unknown or repeated parameter."""
    values: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    reported: set[str] = set()
    for name, value in request.query_params.multi_items():
        if name in reported:
            continue
        if name not in allowed:
            known = ", ".join(allowed) if allowed else "geen"
            problems.append(param(name, f"Deze parameter bestaat niet. Toegestaan: {known}."))
            reported.add(name)
        elif name in values:
            problems.append(param(name, "Geef deze parameter maar één keer mee."))
            reported.add(name)
        else:
            values[name] = value
    return values, problems


def param(name: str, reason: str) -> dict[str, str]:
    return {"name": name, "reason": reason}


def no_params(request: Request) -> Params:
    _, problems = query_params(request, ())
    if problems:
        raise InvalidParams(problems)
    return {}


# What "or higher" means for a parameter without its own maximum: nine digits.
UNBOUNDED = 999_999_999


def whole_number(raw: str, name: str, low: int, high: int | None, problems: list) -> int | None:
    """The number in raw when it lies in [low, high]; otherwise a problem and None."""
    limit = f"van {low} tot en met {high}" if high else f"van {low} of hoger"
    number = parse_int(raw, low, high or UNBOUNDED)
    if number is None:
        problems.append(param(name, f"Moet een geheel getal zijn {limit}."))
    return number


def thema_param(request: Request, values: dict[str, str], problems: list) -> str | None:
    thema = values.get("thema")
    if thema is not None and agenda.get_thema(request.app.state.db, thema) is None:
        problems.append(param("thema", "Er is geen thema met deze slug."))
    return thema


def paging_params(values: dict[str, str], problems: list) -> Params:
    page = whole_number(values.get("pagina", "1"), "pagina", 1, None, problems)
    size_raw = values.get("paginaGrootte", str(DEFAULT_PAGE_SIZE))
    size = whole_number(size_raw, "paginaGrootte", 1, MAX_PAGE_SIZE, problems)
    return {"pagina": page, "paginaGrootte": size, "grootteGegeven": "paginaGrootte" in values}


def project_params(request: Request) -> Params:
    values, problems = query_params(request, ("fase", "thema", "pagina", "paginaGrootte"))
    fase = values.get("fase")
    if fase is not None and fase not in PHASES:
        problems.append(param("fase", f"Onbekende fase. Kies uit: {', '.join(PHASES)}."))
    thema = thema_param(request, values, problems)
    paging = paging_params(values, problems)
    if problems:
        raise InvalidParams(problems)
    return {"fase": fase, "thema": thema, **paging}


def meeting_params(request: Request) -> Params:
    values, problems = query_params(request, ("wanneer", "thema", "pagina", "paginaGrootte"))
    when = values.get("wanneer")
    if when is not None and when not in meetings.WHEN:
        choices = ", ".join(meetings.WHEN)
        problems.append(param("wanneer", f"Onbekende waarde. Kies uit: {choices}."))
    thema = thema_param(request, values, problems)
    paging = paging_params(values, problems)
    if problems:
        raise InvalidParams(problems)
    # `wanneer` stays None when it was not given, so the page links leave it out too.
    return {"wanneer": when, "thema": thema, **paging}


# --- Links ----------------------------------------------------------------------------------


def api_url(request: Request, path: str = "", query: dict | None = None) -> str:
    url = request.app.state.settings.url(BASE + path)
    return f"{url}?{urlencode(query)}" if query else url


def link(request: Request, path: str = "", query: dict | None = None) -> dict[str, str]:
    return {"href": api_url(request, path, query)}


# --- The endpoint wrapper -------------------------------------------------------------------


def endpoint(
    build: Builder, parse: Parser = no_params, etag_part: EtagPart | None = None
) -> Callable[[Request], Awaitable]:
    """Validate the query, answer 304 when nothing changed, else build the JSON body."""

    async def handle(request: Request) -> Response:
        try:
            params = parse(request)
        except InvalidParams as error:
            return bad_request(error.params)
        changed = last_modified(request, clock_matters=etag_part is not None)
        etag = make_etag(request, etag_part(request) if etag_part else "")
        if client_has_current(request.headers, etag, changed):
            return not_modified(etag, changed)
        try:
            return ok(build(request, params), etag, changed)
        except NotFound as error:
            return not_found(error.detail)

    handle.__name__ = build.__name__
    return handle


# --- Index and OpenAPI ----------------------------------------------------------------------


def build_index(request: Request, params: Params) -> dict:
    settings = request.app.state.settings
    return {
        "naam": f"Bloei: open data van {settings.name}",
        "kern": settings.name,
        "versie": API_VERSION,
        "_links": {
            "self": link(request),
            "openapi": link(request, "/openapi.json"),
            "themas": link(request, "/themas"),
            "agendaversies": link(request, "/agendaversies"),
            "projecten": link(request, "/projecten"),
            "bijeenkomsten": link(request, "/bijeenkomsten"),
            "partners": link(request, "/partners"),
        },
    }


def build_openapi(request: Request, params: Params) -> dict:
    site = request.app.state.site()
    return openapi_document(request.app.state.settings, site.get("contact_email") or "")


# --- Kernagenda -----------------------------------------------------------------------------


def thema_body(request: Request, row) -> dict:
    settings = request.app.state.settings
    conn = request.app.state.db.read()
    body = agenda.thema_public(
        settings, row, partners.links_public(settings, conn, "thema", row["id"])
    )
    body["_links"] = {
        "self": link(request, f"/themas/{row['slug']}"),
        "projecten": link(request, "/projecten", {"thema": row["slug"]}),
    }
    return body


def build_themas(request: Request, params: Params) -> dict:
    themas = [thema_body(request, row) for row in agenda.list_themas(request.app.state.db)]
    return {"_links": {"self": link(request, "/themas")}, "themas": themas, "totaal": len(themas)}


def build_thema(request: Request, params: Params) -> dict:
    slug = request.path_params["slug"]
    row = agenda.get_thema(request.app.state.db, slug)
    if row is None:
        raise NotFound(f"Er is geen thema met de slug '{slug}'.")
    return thema_body(request, row)


def version_summary(request: Request, row, previous=None) -> dict:
    """A version without its thema's: those can be many, and the detail has them."""
    body = agenda.version_public(request.app.state.settings, row)
    body["aantalThemas"] = len(body.pop("themas"))
    body["_links"] = version_links(request, row, previous)
    return body


def version_links(request: Request, row, previous) -> dict:
    links = {"self": link(request, f"/agendaversies/{row['slug']}")}
    if previous is not None:
        links["vorigeVersie"] = link(request, f"/agendaversies/{previous['slug']}")
    return links


def build_versions(request: Request, params: Params) -> dict:
    rows = agenda.list_versions(request.app.state.db)
    # Newest first, so each version's predecessor is the next row.
    versions = [
        version_summary(request, row, rows[i + 1] if i + 1 < len(rows) else None)
        for i, row in enumerate(rows)
    ]
    return {
        "_links": {"self": link(request, "/agendaversies")},
        "agendaversies": versions,
        "totaal": len(versions),
    }


def changes_body(diff: agenda.AgendaDiff) -> dict:
    return {
        "toegevoegd": diff.added,
        "afgerond": diff.finished,
        "statusGewijzigd": [{"voor": old, "na": new} for old, new in diff.status_changed],
        "gewijzigd": [{"voor": old, "na": new} for old, new in diff.changed],
        "verwijderd": diff.removed,
    }


def build_version(request: Request, params: Params) -> dict:
    db = request.app.state.db
    slug = request.path_params["slug"]
    row = agenda.get_version(db, slug)
    if row is None:
        raise NotFound(f"Er is geen agendaversie met de slug '{slug}'.")
    previous, diff = agenda.diff_with_previous(db, row)
    body = agenda.version_public(request.app.state.settings, row)
    body["aantalThemas"] = len(body["themas"])
    body["vorigeVersie"] = previous["slug"] if previous else None
    body["wijzigingen"] = changes_body(diff)
    body["_links"] = version_links(request, row, previous)
    return body


# --- Projects -------------------------------------------------------------------------------


def project_summary(request: Request, project_id: int) -> dict:
    conn = request.app.state.db.read()
    body = projects.project_public(request.app.state.settings, conn, project_id)
    for key in PROJECT_DETAIL_ONLY:
        body.pop(key)
    body["_links"] = {"self": link(request, f"/projecten/{body['slug']}")}
    return body


def page_links(
    request: Request, path: str, filters: tuple[str, ...], params: Params, last: int
) -> dict:
    """self, first, last, prev and next of a paged list, each keeping the filters given."""

    def page_link(number: int) -> dict[str, str]:
        query = {key: params[key] for key in filters if params[key] is not None}
        query["pagina"] = number
        if params["grootteGegeven"]:
            query["paginaGrootte"] = params["paginaGrootte"]
        return link(request, path, query)

    page = params["pagina"]
    links = {"self": page_link(page), "first": page_link(1), "last": page_link(last)}
    if page > 1:
        # Past the end, 'prev' leads back to the last page that has projects.
        links["prev"] = page_link(min(page - 1, last))
    if page < last:
        links["next"] = page_link(page + 1)
    return links


def build_projects(request: Request, params: Params) -> dict:
    rows = projects.list_projects(request.app.state.db, params["fase"], params["thema"])
    page, size = params["pagina"], params["paginaGrootte"]
    last = max(1, math.ceil(len(rows) / size))
    shown = rows[(page - 1) * size : page * size]
    return {
        "_links": page_links(request, "/projecten", ("fase", "thema"), params, last),
        "projecten": [project_summary(request, row["id"]) for row in shown],
        "totaal": len(rows),
        "pagina": page,
        "paginaGrootte": size,
        "aantalPaginas": last,
    }


def build_project(request: Request, params: Params) -> dict:
    db = request.app.state.db
    slug = request.path_params["slug"]
    row = projects.get_project(db, slug)
    if row is None:
        raise NotFound(f"Er is geen project met de slug '{slug}'.")
    body = projects.project_public(request.app.state.settings, db.read(), row["id"])
    body["_links"] = {
        "self": link(request, f"/projecten/{slug}"),
        "themas": [
            link(request, f"/themas/{t['slug']}") for t in projects.themas_of(db, row["id"])
        ],
    }
    return body


# --- Partners -------------------------------------------------------------------------------


def partner_body(request: Request, row) -> dict:
    body = partners.partner_public(request.app.state.settings, row)
    body["_links"] = {"self": link(request, f"/partners/{row['slug']}")}
    return body


def build_partners(request: Request, params: Params) -> dict:
    rows = partners.list_partners(request.app.state.db)
    return {
        "_links": {"self": link(request, "/partners")},
        "partners": [partner_body(request, row) for row in rows],
        "totaal": len(rows),
    }


def build_partner(request: Request, params: Params) -> dict:
    slug = request.path_params["slug"]
    row = partners.get_partner(request.app.state.db, slug)
    if row is None:
        raise NotFound(f"Er is geen partner met de slug '{slug}'.")
    return partner_body(request, row)


# --- Bijeenkomsten --------------------------------------------------------------------------


def meeting_body(request: Request, meeting_id: int) -> dict:
    """The meeting's public shape, as its events carry it, with links into the API."""
    conn = request.app.state.db.read()
    body = meetings.meeting_public(request.app.state.settings, conn, meeting_id)
    body["_links"] = {
        "self": link(request, f"/bijeenkomsten/{body['slug']}"),
        "themas": [
            link(request, f"/themas/{t['slug']}") for t in meetings.themas_of(conn, meeting_id)
        ],
        "projecten": [
            link(request, f"/projecten/{p['slug']}") for p in meetings.projects_of(conn, meeting_id)
        ],
    }
    return body


def clock_part(request: Request) -> str:
    """Meetings change status by the clock ('afgelopen', and from komend to voorbij) without
    a write: the end of the next meeting to end goes into the ETag, so it changes then too."""
    return meetings.next_status_change(request.app.state.db) or ""


def build_meetings(request: Request, params: Params) -> dict:
    page, size = params["pagina"], params["paginaGrootte"]
    rows, total = meetings.list_when(
        request.app.state.db,
        params["wanneer"] or "komend",
        params["thema"],
        limit=size,
        offset=(page - 1) * size,
    )
    last = max(1, math.ceil(total / size))
    return {
        "_links": page_links(request, "/bijeenkomsten", ("wanneer", "thema"), params, last),
        "bijeenkomsten": [meeting_body(request, row["id"]) for row in rows],
        "totaal": total,
        "pagina": page,
        "paginaGrootte": size,
        "aantalPaginas": last,
    }


def build_meeting(request: Request, params: Params) -> dict:
    slug = request.path_params["slug"]
    row = meetings.get_meeting(request.app.state.db, slug)
    if row is None:
        raise NotFound(f"Er is geen bijeenkomst met de slug '{slug}'.")
    return meeting_body(request, row["id"])


# --- Routes ---------------------------------------------------------------------------------


async def unknown_path(request: Request) -> Response:
    """Anything else under /api/v1, a trailing slash included, is a 404, not a redirect.

    The NL API Design Rules (no trailing slashes) ask for exactly this, so a client learns
    the one right address instead of being bounced to it.
    """
    return not_found("Dit adres bestaat niet in deze API. Zie /api/v1/openapi.json.")


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, endpoint(build_index)),
        Route(f"{BASE}/openapi.json", endpoint(build_openapi)),
        Route(f"{BASE}/themas", endpoint(build_themas)),
        Route(f"{BASE}/themas/{{slug}}", endpoint(build_thema)),
        Route(f"{BASE}/agendaversies", endpoint(build_versions)),
        Route(f"{BASE}/agendaversies/{{slug}}", endpoint(build_version)),
        Route(f"{BASE}/projecten", endpoint(build_projects, project_params)),
        Route(f"{BASE}/projecten/{{slug}}", endpoint(build_project)),
        Route(
            f"{BASE}/bijeenkomsten",
            endpoint(build_meetings, meeting_params, etag_part=clock_part),
        ),
        Route(f"{BASE}/bijeenkomsten/{{slug}}", endpoint(build_meeting, etag_part=clock_part)),
        # Last, so it only catches what no route above matched.
        Route(f"{BASE}/partners", endpoint(build_partners)),
        Route(f"{BASE}/partners/{{slug}}", endpoint(build_partner)),
        Route(f"{BASE}/{{pad:path}}", unknown_path),
    ]
