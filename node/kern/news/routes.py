"""The addresses of the kern's news: the public berichten and their beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.news import beheer, pages
from node.web.methods import GET_POST


def routes() -> list[BaseRoute]:
    return [
        Route("/nieuws", pages.news_list),
        Route("/nieuws/{slug}", pages.news_item),
        Route("/beheer/nieuws", beheer.news_list),
        Route("/beheer/nieuws/nieuw", beheer.news_edit, methods=GET_POST),
        Route("/beheer/nieuws/{news_id:id}", beheer.news_edit, methods=GET_POST),
        Route("/beheer/nieuws/{news_id:id}/verwijderen", beheer.news_remove, methods=GET_POST),
    ]
