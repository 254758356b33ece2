"""The addresses of the kernagenda: its public pages and its beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.agenda import beheer, pages
from node.web.methods import GET_POST


def routes() -> list[BaseRoute]:
    return [
        Route("/agenda", pages.agenda_page),
        Route("/agenda/themas/{slug}", pages.thema_page),
        Route("/agenda/versies", pages.versions_page),
        Route("/agenda/versies/{slug}", pages.version_page),
        Route("/beheer/themas", beheer.thema_list),
        Route("/beheer/themas/nieuw", beheer.thema_edit, methods=GET_POST),
        Route("/beheer/themas/{thema_id:id}", beheer.thema_edit, methods=GET_POST),
        Route("/beheer/themas/{thema_id:id}/verwijderen", beheer.thema_remove, methods=GET_POST),
        Route("/beheer/versies/nieuw", beheer.version_publish, methods=GET_POST),
    ]
