"""The addresses of the conversation with the gemeente: public, beheer, and the answers' ids."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.conversation import answer_pages, beheer, pages


def routes() -> list[BaseRoute]:
    return [
        Route("/gemeente", pages.gemeente_page),
        *beheer.routes(),
        *answer_pages.routes(),
    ]
