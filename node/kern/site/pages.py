"""The kern's own pages: about, privacy, accessibility, search and the house style."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from node.kern import search
from node.kern.rendering import page
from node.kern.subscriptions import model as subscriptions
from node.search import MAX_QUERY_LENGTH, highlight, passage, passage_start
from node.web.house_style import house_style_css
from node.web.i18n import _, lazy
from node.web.static_assets import IMMUTABLE, SHORT, content_version
from node.web.templating import STATIC_DIR


async def about_page(request: Request) -> Response:
    return page(request, "kern/over.html", {})


async def privacy_page(request: Request) -> Response:
    return page(request, "kern/privacy.html", {"confirm_hours": subscriptions.CONFIRM_HOURS})


async def accessibility_page(request: Request) -> Response:
    return page(request, "kern/toegankelijkheid.html", {})


# What kind of thing each result is, said the way the site's own menu says it.
KIND_LABELS = {
    "project": lazy("Project"),
    "thema": lazy("Thema"),
    "versie": lazy("Versie van de kernagenda"),
    "idee": lazy("Idee"),
    "bericht": lazy("Nieuws"),
    "bijeenkomst": lazy("Bijeenkomst"),
    "partner": lazy("Partner"),
}


def _result(row, query: str) -> dict:
    """One result as shown: its kind, its title and the passage where it matched, marked."""
    text = row["summary"]
    shown = passage(text, query)
    if shown is None and text:
        shown = passage_start(text)
    return {
        "kind": row["kind"],
        "url": row["url"],
        "title": highlight(row["title"], query),
        "passage": shown,
    }


async def search_page(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    error = None
    results = []
    if len(query) > MAX_QUERY_LENGTH:
        error = _("Uw zoekvraag is te lang. Gebruik minder woorden.")
    elif query:
        results = [_result(row, query) for row in search.search(request.app.state.db.read(), query)]
    return page(
        request,
        "kern/zoeken.html",
        {
            "query": query[:MAX_QUERY_LENGTH],
            "results": results,
            "error": error,
            "kinds": KIND_LABELS,
        },
        status_code=400 if error else 200,
    )


async def house_style(request: Request) -> Response:
    """The kern's own colours as design tokens; everything else comes from tokens.css.

    Pages link it with the version of its text (house_style_url): that URL may be kept for a
    year, as new colours make a new URL; the plain one, or an old version, only briefly."""
    settings = request.app.state.settings
    site = request.app.state.site()
    css = house_style_css(settings, site)
    asked = request.query_params.get("v")
    current = content_version(css.encode())
    cache = IMMUTABLE if asked == current else SHORT
    return Response(css, media_type="text/css", headers={"Cache-Control": cache})


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on every first visit; answer with the icon, not a 404."""
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
