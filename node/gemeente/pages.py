"""The aggregator's pages: the overview of every kern, one kern, projects across kernen,
thema's across kernen, and one calendar of all meetings.

Everything here was published by the kernen, so the pages are open to all (and cached like a
kern's pages); what staff do (adding kernen, pulling) lives in beheer. Each item links to its
source on the kern's own site.
"""

from __future__ import annotations

import math
from collections.abc import Set
from datetime import timedelta
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from federation.store import utcnow
from node import search, vocabulary
from node.gemeente import calendar_feed as feed
from node.gemeente import categories, conversations, kernen, labels, places, queries
from node.gemeente.kern_options import kern_options
from node.gemeente.places.drawing import draw_map
from node.ical import kept_feed
from node.web import i18n, thread_state
from node.web.conditional import conditional_response
from node.web.i18n import _, ngettext
from node.web.numbers import parse_id, parse_int
from node.web.templating import render

MAX_STALE_MONTHS = 120
MAX_PAGE = 10_000
# /themas: the names in a broad thema's row of the table, and the kernen in its section; a
# thema with more links to its own page, which lists CATEGORY_PAGE kernen at a time.
TABLE_NAMES = 12
SECTION_KERNEN = 30
CATEGORY_PAGE = 50
# Kernen per page of the overview's table: every kern of West Betuwe (26) on one page.
OVERVIEW_PAGE = 50
CALENDAR_PAGE = 100
THEMA_LINK = Markup('<a href="{}">{}</a> <span class="bloei-muted">({})</span>')


def _db(request: Request):
    return request.app.state.db


async def overview(request: Request) -> Response:
    conn = _db(request).read()
    number = parse_int(request.query_params.get("pagina", "1"), 1, MAX_PAGE)
    if number is None:
        raise HTTPException(400, _("Dit paginanummer bestaat niet."))
    # A kern the gemeente stopped following has no data here: a line below the table, not a
    # row of zeros, and not in the counts of the kernen it follows.
    everything = kernen.summaries(conn)
    followed = [kern for kern in everything if kern["state"] != "gestopt"]
    stopped = [kern for kern in everything if kern["state"] == "gestopt"]
    pages = max(1, math.ceil(len(followed) / OVERVIEW_PAGE))
    if number > pages:
        raise HTTPException(400, _("Dit paginanummer bestaat niet."))
    states: dict[str, int] = {}
    rollout: dict[str, int] = {}
    for kern in followed:
        states[kern["state"]] = states.get(kern["state"], 0) + 1
        rollout[kern["rollout"]] = rollout.get(kern["rollout"], 0) + 1
    # One page of the table: a gemeente of 26 kernen sees them all, a very large one pages
    # rather than waiting for thousands of rows of which only a screenful is read.
    page_ids = [
        kern["id"] for kern in followed[(number - 1) * OVERVIEW_PAGE : number * OVERVIEW_PAGE]
    ]
    shown = kernen.by_ids(conn, page_ids)
    queries.with_phases_and_meetings(conn, shown, utcnow())
    # Labels, links and dates made here, once per value: rows of template calls (label(),
    # filters, dict lookups per phase) cost more than the queries.
    state_labels = {key: vocabulary.label(labels.KERN_STATES, key) for key in labels.KERN_STATES}
    rollout_labels = {key: vocabulary.label(labels.ROLLOUT, key) for key in labels.ROLLOUT}
    for kern in shown:
        kern["state_label"] = state_labels.get(kern["state"], kern["state"])
        kern["rollout_label"] = rollout_labels.get(kern["rollout"], kern["rollout"])
        kern["cells"] = [
            (phase, kern["phases"].get(phase, 0)) for phase in vocabulary.ACTIVE_PHASES
        ]
        meeting = kern["meetings"][0] if kern["meetings"] else None
        kern["next_meeting"] = meeting
        kern["next_meeting_at"] = i18n.dutch_datetime(meeting["starts_at"]) if meeting else ""
        kern["last_change"] = i18n.dutch_date(kern["last_change_at"])
        kern["contact_date"] = (
            i18n.dutch_date(kern["last_contact_at"]) if kern["state"] == "onbereikbaar" else ""
        )
    return render(
        request,
        "gemeente/overzicht.html",
        {
            **_all_kernen(request, everything),
            "kernen": shown,
            "followed": len(followed),
            "page": number,
            "pages": pages,
            "stopped": stopped,
            "states": states,
            "rollout": rollout,
            "recent": queries.recent_changes(conn, 15),
            "active_phases": vocabulary.ACTIVE_PHASES,
            "state_labels": state_labels,
            "rollout_labels": rollout_labels,
        },
    )


def _all_kernen(request: Request, followed: list[dict]) -> dict:
    """Every kern of the municipality with its roll-out state, counted and on the map."""
    known = places.places_of(request.app.state.settings)
    entries = places.rollout(known, followed)
    place_labels = {key: vocabulary.label(labels.PLACE_STATES, key) for key in labels.PLACE_STATES}
    counts = {key: sum(1 for e in entries if e["state"] == key) for key in place_labels}
    summary = _("%(municipality)s heeft %(total)d kernen.") % {
        "municipality": known.municipality,
        "total": len(entries),
    }
    summary += " " + "; ".join(f"{place_labels[key]}: {counts[key]}" for key in place_labels)
    title = _("Kaart van de kernen van %(municipality)s") % {"municipality": known.municipality}
    return {
        "municipality": known.municipality,
        "places": entries,
        "place_labels": place_labels,
        "place_counts": counts,
        "places_summary": summary + ".",
        "places_map": draw_map(entries, title, summary + "."),
    }


async def kern_page(request: Request) -> Response:
    conn = _db(request).read()
    kern = kernen.get(conn, request.path_params["kern_id"])
    if kern is None:
        raise HTTPException(404)
    now = utcnow()
    f = queries.ProjectFilter(kern=kern["id"], size=100)
    projects, total = queries.projects(conn, f, now)
    return render(
        request,
        "gemeente/kern.html",
        {
            "kern": kern,
            "phases": queries.phase_counts(conn, [kern["id"]]).get(kern["id"], {}),
            "projects": projects,
            "total": total,
            "meetings": queries.next_meetings(conn, now, 10, [kern["id"]]).get(kern["id"], []),
            "recent": queries.recent_changes(conn, 10, kern["id"]),
            "themas": queries.themas_of_kern(conn, kern["id"]),
            "partners": queries.partners_across_kernen(conn, kern_id=kern["id"]),
            "refusals": kernen.recent_refusals(conn, kern["id"], 5),
            "conversation_states": conversations.states_of_kern(conn, kern["id"]),
            "state_label": thread_state.label,
        },
    )


# --- projects ----------------------------------------------------------------------------------


def project_filter(request: Request, kern_ids: Set[int]) -> queries.ProjectFilter:
    """The filter from the query string; what does not fit becomes a message, not a crash."""
    params = request.query_params
    f = queries.ProjectFilter(q=params.get("q", "").strip()[:200])
    kern = params.get("kern", "")
    if kern:
        if parse_id(kern) in kern_ids:
            f.kern = parse_id(kern)
        else:
            f.errors.append(_("Deze kern volgt de gemeente niet."))
    thema = params.get("thema", "")
    if thema:
        if thema in dict(categories.all_categories()):
            f.thema = thema
        else:
            f.errors.append(_("Dit thema bestaat niet."))
    fase = params.get("fase", "")
    if fase:
        if fase in vocabulary.PHASES or fase == "actief":
            f.fase = fase
        else:
            f.errors.append(_("Deze fase bestaat niet."))
    wie = params.get("wie", "")
    if wie:
        if wie in vocabulary.WHO_ACTS:
            f.wie = wie
        else:
            f.errors.append(_("Kies bij 'wie is aan zet' een van de mogelijkheden."))
    f.gemeente = params.get("gemeente") == "ja"
    stil = params.get("stil", "")
    if stil:
        months = parse_int(stil, 1, MAX_STALE_MONTHS)
        if months is not None:
            f.stil = months
        else:
            f.errors.append(
                _("Vul bij 'geen wijziging sinds' een aantal maanden in, van 1 tot 120.")
            )
    sort = params.get("sorteer", "gewijzigd")
    if sort in queries.SORTS:
        f.sort = sort
    else:
        f.errors.append(_("Zo kan de lijst niet gesorteerd worden."))
    page = params.get("pagina", "1")
    number = parse_int(page, 1, MAX_PAGE)
    if number is not None:
        f.page = number
    else:
        f.errors.append(_("Dit paginanummer bestaat niet."))
    return f


def _query_string(f: queries.ProjectFilter, **changes) -> str:
    values = {
        "q": f.q,
        "kern": f.kern or "",
        "thema": f.thema,
        "fase": f.fase,
        "wie": f.wie,
        "gemeente": "ja" if f.gemeente else "",
        "stil": f.stil or "",
        "sorteer": f.sort if f.sort != "gewijzigd" else "",
        "pagina": f.page if f.page > 1 else "",
    }
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


async def projects_page(request: Request) -> Response:
    conn = _db(request).read()
    options = kern_options(request)
    f = project_filter(request, options.ids)
    found, total = queries.projects(conn, f, utcnow())
    pages = max(1, math.ceil(total / f.size))
    return render(
        request,
        "gemeente/projecten.html",
        {
            "filter": f,
            "projects": found,
            "total": total,
            "pages": pages,
            "kern_options": options.html(f.kern),
            "categories": categories.all_categories(),
            "query": lambda **changes: _query_string(f, **changes),
            # With search words, each result marks them in its name and summary.
            "highlight": search.highlight,
            "passage": search.passage,
            "passage_start": search.passage_start,
            "sorts": {
                "gewijzigd": _("Laatst gewijzigd eerst"),
                "stilst": _("Langst niet gewijzigd eerst"),
                "naam": _("Naam"),
                "kern": _("Kern"),
                "fase": _("Fase"),
            },
        },
        status_code=400 if f.errors else 200,
    )


# --- thema's and calendar ----------------------------------------------------------------------


def _thema_groups(request: Request) -> tuple[list, int]:
    """The thema's of every kern by category, read once per change of the read model.

    Staff are signed in, so the page cache does not serve them; this list is the heaviest to
    read and changes only when a kern's data does.
    """
    state = request.app.state
    version = state.db.data_version()
    cached = getattr(state, "gemeente_thema_groups", None)
    if cached is not None and cached[0] == version:
        return cached[1], cached[2]
    conn = _db(request).read()
    groups = queries.themas_by_category(conn)
    kern_count = conn.execute(
        "SELECT count(*) FROM gemeente_kernen WHERE stopped_at IS NULL"
    ).fetchone()[0]
    state.gemeente_thema_groups = (version, groups, kern_count)
    return groups, kern_count


def _with_themas_html(kernen: list[dict]) -> list[dict]:
    """Each kern's thema's as one piece of HTML, made once per kern and kept with the list:
    hundreds of links with the few words after them cost little in Python and a lot as
    template calls. The words repeat (status, who acts, number of projects), so each is made
    once."""
    details: dict[tuple, Markup] = {}
    for kern in kernen:
        if "themas_html" in kern:
            continue
        parts = []
        for thema in kern["themas"]:
            key = (thema["status"], thema["wie"], thema["projects"])
            detail = details.get(key)
            if detail is None:
                detail = details[key] = escape(_thema_detail(thema))
            parts.append(THEMA_LINK.format(thema["url"], thema["name"], detail))
        kern["themas_html"] = Markup("; ").join(parts)
    return kernen


async def partners_page(request: Request) -> Response:
    """The partners of every kern: who the clubs, schools and corporations are, and where
    they act or help."""
    kind = request.query_params.get("soort", "")
    error = ""
    if kind and kind not in vocabulary.PARTNER_KINDS:
        error = _("Deze soort bestaat niet. Kies een soort uit de lijst.")
    found = [] if error else queries.partners_across_kernen(_db(request).read(), kind or None)
    return render(
        request,
        "gemeente/partners.html",
        {"partners": found, "kind": "" if error else kind, "error": error},
        status_code=400 if error else 200,
    )


async def themas_page(request: Request) -> Response:
    """Every broad thema with the kernen that work on it. West Betuwe's 26 kernen fit on one
    page; in a much larger gemeente each thema lists its first kernen and links to a page of
    its own, so the page stays a page and not megabytes."""
    groups, kern_count = _thema_groups(request)
    shown = [
        {
            **group,
            "count": len(group["kernen"]),
            "names": [kern["name"] for kern in group["kernen"][:TABLE_NAMES]],
            "kernen": _with_themas_html(group["kernen"][:SECTION_KERNEN]),
        }
        for group in groups
    ]
    return render(request, "gemeente/themas.html", {"groups": shown, "kern_count": kern_count})


async def thema_category_page(request: Request) -> Response:
    """One broad thema: every kern that works on it with its own thema's, a page at a time."""
    key = request.path_params["categorie"]
    known = dict(categories.all_categories())
    if key not in known:
        raise HTTPException(404)
    number = parse_int(request.query_params.get("pagina", "1"), 1, MAX_PAGE)
    if number is None:
        raise HTTPException(400, _("Dit paginanummer bestaat niet."))
    groups, kern_count = _thema_groups(request)
    kernen_of = next((group["kernen"] for group in groups if group["key"] == key), [])
    pages = max(1, math.ceil(len(kernen_of) / CATEGORY_PAGE))
    if number > pages:
        raise HTTPException(400, _("Dit paginanummer bestaat niet."))
    shown = kernen_of[(number - 1) * CATEGORY_PAGE : number * CATEGORY_PAGE]
    return render(
        request,
        "gemeente/thema_categorie.html",
        {
            "key": key,
            "label": known[key],
            "kernen": _with_themas_html(shown),
            "count": len(kernen_of),
            "kern_count": kern_count,
            "page": number,
            "pages": pages,
        },
    )


def _thema_detail(thema: dict) -> str:
    parts = [
        vocabulary.label(vocabulary.THEMA_STATUSES, thema["status"]).lower() or _("geen status")
    ]
    if thema["wie"]:
        parts.append(_("aan zet: %s") % vocabulary.label(vocabulary.WHO_ACTS, thema["wie"]).lower())
    if thema["projects"]:
        parts.append(
            ngettext("%(num)s project", "%(num)s projecten", thema["projects"])
            % {"num": thema["projects"]}
        )
    return ", ".join(parts)


def _kern_param(request: Request, conn) -> dict | None:
    raw = request.query_params.get("kern", "")
    if not raw:
        return None
    kern_id = parse_id(raw)
    kern = kernen.get(conn, kern_id) if kern_id is not None else None
    if kern is None:
        raise HTTPException(400, _("Deze kern volgt de gemeente niet."))
    return kern


async def calendar_page(request: Request) -> Response:
    conn = _db(request).read()
    kern = _kern_param(request, conn)
    page = request.query_params.get("pagina", "1")
    number = parse_int(page, 1, MAX_PAGE)
    if number is None:
        raise HTTPException(400, _("Dit paginanummer bestaat niet."))
    now = utcnow()
    found = queries.meetings(
        conn,
        now - timedelta(hours=12),
        kern_id=kern["id"] if kern else None,
        limit=CALENDAR_PAGE + 1,
        offset=(number - 1) * CALENDAR_PAGE,
    )
    return render(
        request,
        "gemeente/kalender.html",
        {
            "meetings": found[:CALENDAR_PAGE],
            "more": len(found) > CALENDAR_PAGE,
            "page": number,
            "kern": kern,
            "kern_options": kern_options(request).html(kern["id"] if kern else None),
        },
    )


async def calendar_feed(request: Request) -> Response:
    conn = _db(request).read()
    kern = _kern_param(request, conn)
    since = utcnow() - queries.CALENDAR_PAST
    kern_id = kern["id"] if kern else None
    # Read these first: a change landing in between then makes them too old, never too new.
    version = f"{_db(request).data_version()}|{queries.first_meeting_from(conn, since)}"
    changed_at = queries.meetings_changed_at(conn, since, kern_id)
    settings = request.app.state.settings
    name = _("Bijeenkomsten in de kernen van %s") % settings.name
    if kern:
        name = _("Bijeenkomsten in %s") % kern["name"]

    def render() -> bytes:
        return kept_feed(
            request.app.state,
            (version, kern_id, name),
            lambda: feed.feed(queries.meetings(conn, since, kern_id=kern_id, limit=5000), name),
        )

    return conditional_response(
        request,
        render,
        feed.CONTENT_TYPE,
        changed_at,
        {"Content-Disposition": 'inline; filename="bijeenkomsten.ics"'},
        version,
    )


async def accessibility_page(request: Request) -> Response:
    return render(request, "gemeente/toegankelijkheid.html")
