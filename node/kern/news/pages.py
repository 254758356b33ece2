"""News on the public site: the list of berichten, newest first, and each bericht."""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from node.kern.news import model as news
from node.kern.rendering import page
from node.web.i18n import _
from node.web.numbers import parse_int

MAX_PAGE = 10_000


def _catch_up_search(request: Request) -> None:
    """A scheduled bericht that came due enters search on the first visit after its time.

    Usually this is one cheap read; the write happens once per bericht.
    """
    db = request.app.state.db
    if news.has_due_unindexed(db):
        db.write(news.index_due_news)


async def news_list(request: Request) -> Response:
    db = request.app.state.db
    raw = request.query_params.get("pagina", "1")
    number = parse_int(raw, 0, 999_999) or 0
    if not 1 <= number <= MAX_PAGE:
        return page(
            request,
            "kern/nieuws.html",
            {
                "items": [],
                "number": 1,
                "last": 1,
                "error": _("Dit paginanummer bestaat niet. Kies een pagina uit de lijst."),
                "summary": news.summary_of,
            },
            status_code=400,
        )
    _catch_up_search(request)
    total = news.count_news(db)
    last = max(1, math.ceil(total / news.PER_PAGE))
    if number > last:
        raise HTTPException(404)
    return page(
        request,
        "kern/nieuws.html",
        {
            "items": news.list_news(db, number),
            "number": number,
            "last": last,
            "error": None,
            "summary": news.summary_of,
        },
    )


async def news_item(request: Request) -> Response:
    item = news.get_news(request.app.state.db, request.path_params["slug"])
    if item is None:
        raise HTTPException(404)
    _catch_up_search(request)
    return page(request, "kern/bericht.html", {"item": item})
