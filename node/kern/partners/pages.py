"""Partners on the public site: the list of organisations and each one with its work."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from node.kern.partners import model as partners
from node.kern.rendering import page


async def partners_page(request: Request) -> Response:
    return page(
        request, "kern/partners.html", {"partners": partners.list_partners(request.app.state.db)}
    )


async def partner_page(request: Request) -> Response:
    db = request.app.state.db
    partner = partners.get_partner(db, request.path_params["slug"])
    if partner is None:
        raise HTTPException(404)
    return page(
        request, "kern/partner.html", {"partner": partner, **partners.work_of(db, partner["id"])}
    )
