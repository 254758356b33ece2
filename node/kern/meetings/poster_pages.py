"""The poster of a meeting as a page to print, as SVG and as PDF."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from node.kern.meetings import posters
from node.web.templating import render


def _poster_or_404(request: Request) -> posters.Poster:
    state = request.app.state
    poster = posters.load_poster(
        state.db, state.settings, state.site(), request.path_params["slug"]
    )
    if poster is None:
        raise HTTPException(404)
    return poster


def _qr_context(poster: posters.Poster) -> dict:
    qr = posters.qr_code(poster.url)
    return {
        "poster": poster,
        "meeting_path": posters.meeting_path(poster.slug),
        "qr_path": posters.qr_path(qr),
        "qr_modules": posters.qr_modules(qr),
    }


def _filename(poster: posters.Poster, suffix: str) -> str:
    # Only safe characters in a header value, whatever a slug may hold.
    return "poster-" + (re.sub(r"[^a-z0-9-]", "", poster.slug) or "bijeenkomst") + suffix


async def poster_page(request: Request) -> Response:
    poster = _poster_or_404(request)
    # CSS cannot shrink a long text until it fits: the PDF's layout decides for it.
    fit = await run_in_threadpool(posters.fit, poster)
    return render(request, "kern/poster.html", {**_qr_context(poster), "fit": fit})


async def poster_svg(request: Request) -> Response:
    poster = _poster_or_404(request)
    template = request.app.state.templates.get_template("kern/poster.svg")
    svg = template.render({**_qr_context(poster), "plan": posters.layout(poster)})
    return Response(
        svg,
        media_type="image/svg+xml; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{_filename(poster, ".svg")}"'},
    )


async def poster_pdf(request: Request) -> Response:
    poster = _poster_or_404(request)
    # Drawing a PDF takes some milliseconds of CPU: keep the event loop free meanwhile.
    pdf = await run_in_threadpool(posters.render_pdf, poster)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{_filename(poster, ".pdf")}"'},
    )
