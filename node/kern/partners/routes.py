"""The addresses of the kern's partners: their public pages and their beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.partners import beheer, pages
from node.web.methods import GET_POST

PARTNER = "/beheer/partners/{partner_id:id}"


def routes() -> list[BaseRoute]:
    return [
        Route("/partners", pages.partners_page),
        Route("/partners/{slug}", pages.partner_page),
        Route("/beheer/partners", beheer.partner_list),
        Route("/beheer/partners/nieuw", beheer.partner_edit, methods=GET_POST),
        Route(PARTNER, beheer.partner_edit, methods=GET_POST),
        Route(f"{PARTNER}/verwijderen", beheer.partner_remove, methods=GET_POST),
    ]
