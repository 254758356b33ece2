"""The aggregator's read-only open-data API under /api/v1, in the kern API's style.

NL API Design Rules as in node/kern/api/endpoints.py: Dutch names, version in the path, `API-Version`
on every answer, problem+json errors with `invalidParams`, no trailing slashes, an OpenAPI
document at the base, and an ETag from the data version so a client that polls gets a cheap
304 until something changed. The kern is a filter everywhere (`kern=<id>`). Everything here
was published by the kernen; nothing personal is in it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from federation.store import parse_timestamp, utcnow
from node import vocabulary
from node.gemeente import categories, kernen, places, queries
from node.gemeente.openapi import API_VERSION, BASE, openapi_document
from node.web.conditional import client_has_current, http_date, settled_last_modified
from node.web.errors import problem
from node.web.numbers import parse_id, parse_int

OPEN_DATA_HEADERS = {
    "API-Version": API_VERSION,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "API-Version, ETag",
}
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class InvalidParams(Exception):
    def __init__(self, params: list[dict[str, str]]):
        super().__init__(params)
        self.params = params


class NotFound(Exception):
    pass


Params = dict[str, Any]


def _param(name: str, reason: str) -> dict[str, str]:
    return {"name": name, "reason": reason}


def api_problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    response = problem(status, title, detail, **extra)
    response.headers.update(OPEN_DATA_HEADERS)
    return response


def _etag(request: Request) -> str:
    """Read before the data, so a write in between gives a stale tag, never a wrong body."""
    version = request.app.state.db.data_version()
    key = f"{API_VERSION}|{version}|{request.url.path}|{request.url.query}"
    return f'"{version}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"'


def _query(request: Request, allowed: tuple[str, ...]) -> tuple[dict[str, str], list]:
    values: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            known = ", ".join(allowed) or "geen"
            problems.append(_param(name, f"Deze parameter bestaat niet. Toegestaan: {known}."))
        elif name in values:
            problems.append(_param(name, "Geef deze parameter maar één keer mee."))
        else:
            values[name] = value
    return values, problems


def _number(raw: str, name: str, low: int, high: int, problems: list) -> int | None:
    number = parse_int(raw, low, high)
    if number is None:
        problems.append(_param(name, f"Moet een geheel getal zijn van {low} tot en met {high}."))
    return number


def _kern_filter(request: Request, values: dict[str, str], problems: list) -> int | None:
    if "kern" not in values:
        return None
    kern_id = parse_id(values["kern"])
    if kern_id is not None and kernen.get(request.app.state.db.read(), kern_id):
        return kern_id
    problems.append(_param("kern", "Er is geen kern met dit nummer. Zie /api/v1/kernen."))
    return None


def endpoint(
    build: Callable[[Request, Params], dict], parse: Callable[[Request], Params] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        try:
            params = parse(request) if parse else _no_params(request)
        except InvalidParams as error:
            return api_problem(
                400,
                "Ongeldige parameters",
                "Een of meer parameters kloppen niet. Zie invalidParams.",
                invalidParams=error.params,
            )
        # The time first, then the tag: a write in between makes both too old, never too new.
        changed = settled_last_modified(request.app.state.db.data_changed_at(), datetime.now(UTC))
        etag = _etag(request)
        headers = {**OPEN_DATA_HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
        if changed is not None:
            headers["Last-Modified"] = http_date(changed)
        if client_has_current(request.headers, etag, changed):
            return Response(status_code=304, headers=headers)
        try:
            body = build(request, params)
        except NotFound as error:
            return api_problem(404, "Niet gevonden", str(error))
        return JSONResponse(body, headers=headers)

    handle.__name__ = build.__name__
    return handle


def _no_params(request: Request) -> Params:
    _values, problems = _query(request, ())
    if problems:
        raise InvalidParams(problems)
    return {}


def _url(request: Request, path: str = "", query: dict | None = None) -> dict[str, str]:
    url = request.app.state.settings.url(BASE + path)
    return {"href": f"{url}?{urlencode(query)}" if query else url}


def _time(value: str | None) -> str | None:
    return parse_timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- index, OpenAPI ----------------------------------------------------------------------------


def build_index(request: Request, params: Params) -> dict:
    settings = request.app.state.settings
    return {
        "naam": f"Bloei: open data van de kernen van {settings.name}",
        "versie": API_VERSION,
        "_links": {
            "self": _url(request),
            "openapi": _url(request, "/openapi.json"),
            "kernen": _url(request, "/kernen"),
            "uitrol": _url(request, "/uitrol"),
            "projecten": _url(request, "/projecten"),
            "themas": _url(request, "/themas"),
            "bijeenkomsten": _url(request, "/bijeenkomsten"),
            "partners": _url(request, "/partners"),
        },
    }


def build_openapi(request: Request, params: Params) -> dict:
    return openapi_document(request.app.state.settings)


# --- kernen ------------------------------------------------------------------------------------


def kern_body(request: Request, kern: dict) -> dict:
    return {
        "id": kern["id"],
        "naam": kern["name"],
        "actor": kern["actor_id"],
        "website": kern["url"],
        "stand": kern["state"],
        "uitrolfase": kern["rollout"],
        "laatsteContact": _time(kern["last_contact_at"]),
        "laatsteWijziging": _time(kern["last_change_at"]),
        "achterstand": kern["lag"] if kern["lag_known"] else None,
        "_links": {
            "self": _url(request, f"/kernen/{kern['id']}"),
            "projecten": _url(request, "/projecten", {"kern": kern["id"]}),
        },
    }


def build_kernen(request: Request, params: Params) -> dict:
    found = [kern_body(request, k) for k in kernen.list_kernen(request.app.state.db.read())]
    return {"_links": {"self": _url(request, "/kernen")}, "kernen": found, "totaal": len(found)}


def build_rollout(request: Request, params: Params) -> dict:
    """Every kern of the municipality, followed or not yet, with its roll-out state."""
    known = places.places_of(request.app.state.settings)
    entries = places.rollout(known, kernen.list_kernen(request.app.state.db.read()))
    found = [
        {
            "naam": entry["place"].name,
            "soort": entry["place"].kind,
            "inwoners": entry["place"].inhabitants,
            "breedtegraad": entry["place"].latitude,
            "lengtegraad": entry["place"].longitude,
            "stand": entry["state"],
            "kern": entry["kern"]["id"] if entry["kern"] else None,
        }
        for entry in entries
    ]
    return {
        "_links": {"self": _url(request, "/uitrol")},
        "gemeente": known.municipality,
        "kernen": found,
        "totaal": len(found),
    }


def build_kern(request: Request, params: Params) -> dict:
    kern = kernen.get(request.app.state.db.read(), request.path_params["kern_id"])
    if kern is None:
        raise NotFound("Er is geen kern met dit nummer.")
    return kern_body(request, kern)


# --- projects ----------------------------------------------------------------------------------

PROJECT_PARAMS = (
    "kern", "zoek", "thema", "fase", "wieIsAanZet", "gemeenteNodig", "stilSindsMaanden",
    "sorteer", "pagina", "paginaGrootte",
)  # fmt: skip


def project_params(request: Request) -> Params:
    values, problems = _query(request, PROJECT_PARAMS)
    f = queries.ProjectFilter(q=values.get("zoek", "")[:200])
    f.kern = _kern_filter(request, values, problems)
    if "thema" in values:
        if values["thema"] in dict(categories.all_categories()):
            f.thema = values["thema"]
        else:
            keys = ", ".join(key for key, _label in categories.all_categories())
            problems.append(_param("thema", f"Onbekend thema. Kies uit: {keys}."))
    if "fase" in values:
        if values["fase"] in vocabulary.PHASES or values["fase"] == "actief":
            f.fase = values["fase"]
        else:
            problems.append(
                _param("fase", f"Onbekende fase. Kies uit: actief, {', '.join(vocabulary.PHASES)}.")
            )
    if "wieIsAanZet" in values:
        if values["wieIsAanZet"] in vocabulary.WHO_ACTS:
            f.wie = values["wieIsAanZet"]
        else:
            problems.append(_param("wieIsAanZet", f"Kies uit: {', '.join(vocabulary.WHO_ACTS)}."))
    if "gemeenteNodig" in values:
        if values["gemeenteNodig"] in ("true", "false"):
            f.gemeente = values["gemeenteNodig"] == "true"
        else:
            problems.append(_param("gemeenteNodig", "Moet true of false zijn."))
    if "stilSindsMaanden" in values:
        f.stil = _number(values["stilSindsMaanden"], "stilSindsMaanden", 1, 120, problems)
    if "sorteer" in values:
        if values["sorteer"] in queries.SORTS:
            f.sort = values["sorteer"]
        else:
            problems.append(_param("sorteer", f"Kies uit: {', '.join(queries.SORTS)}."))
    f.page = _number(values.get("pagina", "1"), "pagina", 1, 100_000, problems) or 1
    size = values.get("paginaGrootte", str(DEFAULT_PAGE_SIZE))
    f.size = _number(size, "paginaGrootte", 1, MAX_PAGE_SIZE, problems) or DEFAULT_PAGE_SIZE
    if problems:
        raise InvalidParams(problems)
    return {"filter": f, "query": {k: v for k, v in values.items() if k != "pagina"}}


def project_body(request: Request, project: dict) -> dict:
    return {
        "id": project["object_id"],
        "titel": project["name"],
        "samenvatting": project["summary"],
        "fase": project["fase"],
        "faseSinds": project["fase_since"],
        "kern": project["kern_id"],
        "kernNaam": project["kern_name"],
        "themas": [t["name"] for t in project["themas"]],
        "partners": [_partner_role(p) for p in project["partners"]],
        "behoeften": json.loads(project["behoeften"]),
        "gemeenteNodig": bool(project["needs_gemeente"]),
        "participatieladder": project["ladder"] or None,
        "aantalSteunbetuigingen": project["supporters"],
        "startdatum": project["startdatum"],
        "streefdatum": project["streefdatum"],
        "bijgewerkt": _time(project["updated_at"]),
        "_links": {
            "bron": {"href": project["url"]},
            "kern": _url(request, f"/kernen/{project['kern_id']}"),
        },
    }


def _partner_role(item: dict) -> dict:
    """A partner, project or thema named with a role: its name, role and page at the kern."""
    return {"naam": item["name"], "rol": item["role"], "_links": {"bron": {"href": item["url"]}}}


def build_projects(request: Request, params: Params) -> dict:
    f: queries.ProjectFilter = params["filter"]
    found, total = queries.projects(request.app.state.db.read(), f, utcnow())
    return {
        "projecten": [project_body(request, p) for p in found],
        **_paging(request, "/projecten", params["query"], f.page, f.size, total),
    }


def _paging(
    request: Request, path: str, query: dict[str, str], page: int, size: int, total: int
) -> dict[str, Any]:
    """The links and figures of one page of a paged list (first, last, prev, next)."""
    last = max(1, math.ceil(total / size))

    def link(number: int) -> dict[str, str]:
        return _url(request, path, {**query, "pagina": number})

    links = {"self": link(page), "first": link(1), "last": link(last)}
    if page > 1:
        links["prev"] = link(min(page - 1, last))
    if page < last:
        links["next"] = link(page + 1)
    return {
        "_links": links,
        "totaal": total,
        "pagina": page,
        "paginaGrootte": size,
        "aantalPaginas": last,
    }


# --- thema's and meetings ----------------------------------------------------------------------


def kern_only_params(request: Request) -> Params:
    values, problems = _query(request, ("kern",))
    kern = _kern_filter(request, values, problems)
    if problems:
        raise InvalidParams(problems)
    return {"kern": kern}


THEMA_PARAMS = ("kern", "categorie", "pagina", "paginaGrootte")
# Thema's are small rows: a page holds every thema of a few dozen kernen.
THEMA_PAGE_SIZE = 100
MAX_THEMA_PAGE_SIZE = 500


def thema_params(request: Request) -> Params:
    values, problems = _query(request, THEMA_PARAMS)
    kern = _kern_filter(request, values, problems)
    category = values.get("categorie")
    if category is not None and category not in dict(categories.all_categories()):
        keys = ", ".join(key for key, _label in categories.all_categories())
        problems.append(_param("categorie", f"Onbekende categorie. Kies uit: {keys}."))
    page = _number(values.get("pagina", "1"), "pagina", 1, 100_000, problems) or 1
    size = values.get("paginaGrootte", str(THEMA_PAGE_SIZE))
    size = _number(size, "paginaGrootte", 1, MAX_THEMA_PAGE_SIZE, problems) or THEMA_PAGE_SIZE
    if problems:
        raise InvalidParams(problems)
    query = {k: v for k, v in values.items() if k != "pagina"}
    return {"kern": kern, "category": category, "page": page, "size": size, "query": query}


def build_themas(request: Request, params: Params) -> dict:
    page, size = params["page"], params["size"]
    found, total = queries.themas(
        request.app.state.db.read(),
        kern_id=params["kern"],
        category=params["category"],
        limit=size,
        offset=(page - 1) * size,
    )
    return {
        "themas": [
            {
                "naam": thema["name"],
                "kern": thema["kern_id"],
                "kernNaam": thema["kern_name"],
                "categorie": thema["category"],
                "status": thema["status"] or None,
                "wieIsAanZet": thema["wie"] or None,
                "aantalProjecten": thema["projects"],
                "_links": {"bron": {"href": thema["url"]}},
            }
            for thema in found
        ],
        **_paging(request, "/themas", params["query"], page, size, total),
    }


def build_partners(request: Request, params: Params) -> dict:
    found = queries.partners_across_kernen(request.app.state.db.read(), kern_id=params["kern"])
    rows = [
        {
            "id": partner["object_id"],
            "naam": partner["name"],
            "soort": partner["kind"] or None,
            "samenvatting": partner["summary"],
            "website": partner["website"] or None,
            "contact": partner["contact"] or None,
            "kern": partner["kern_id"],
            "kernNaam": partner["kern_name"],
            "projecten": [_partner_role(item) for item in partner["projects"]],
            "themas": [_partner_role(item) for item in partner["themas"]],
            "_links": {
                "bron": {"href": partner["url"]},
                "kern": _url(request, f"/kernen/{partner['kern_id']}"),
            },
        }
        for partner in found
    ]
    query = {"kern": params["kern"]} if params["kern"] is not None else None
    return {
        "_links": {"self": _url(request, "/partners", query)},
        "partners": rows,
        "totaal": len(rows),
    }


def build_meetings(request: Request, params: Params) -> dict:
    conn = request.app.state.db.read()
    since: datetime = utcnow() - timedelta(hours=12)
    found = queries.meetings(conn, since, kern_id=params["kern"], limit=1000)
    rows = [
        {
            "id": m["object_id"],
            "titel": m["name"],
            "kern": m["kern_id"],
            "kernNaam": m["kern_name"],
            "begin": _time(m["starts_at"]),
            "einde": _time(m["ends_at"]),
            "plaats": m["location"] or None,
            "adres": m["address"] or None,
            "geannuleerd": bool(m["cancelled"]),
            "_links": {"bron": {"href": m["url"]}},
        }
        for m in found
    ]
    query = {"kern": params["kern"]} if params["kern"] is not None else None
    return {
        "_links": {"self": _url(request, "/bijeenkomsten", query)},
        "bijeenkomsten": rows,
        "totaal": len(rows),
    }


async def unknown_path(request: Request) -> Response:
    return api_problem(
        404, "Niet gevonden", "Dit adres bestaat niet in deze API. Zie /api/v1/openapi.json."
    )


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, endpoint(build_index)),
        Route(f"{BASE}/openapi.json", endpoint(build_openapi)),
        Route(f"{BASE}/kernen", endpoint(build_kernen)),
        Route(f"{BASE}/kernen/{{kern_id:id}}", endpoint(build_kern)),
        Route(f"{BASE}/uitrol", endpoint(build_rollout)),
        Route(f"{BASE}/projecten", endpoint(build_projects, project_params)),
        Route(f"{BASE}/themas", endpoint(build_themas, thema_params)),
        Route(f"{BASE}/bijeenkomsten", endpoint(build_meetings, kern_only_params)),
        Route(f"{BASE}/partners", endpoint(build_partners, kern_only_params)),
        Route(f"{BASE}/{{pad:path}}", unknown_path),
    ]
