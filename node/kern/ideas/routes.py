"""The addresses of residents' ideas: sending one in, the public list, and their beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.ideas import beheer, pages
from node.web.methods import GET_POST

IDEA = "/beheer/ideeen/{idea_id:id}"


def routes() -> list[BaseRoute]:
    return [
        Route("/ideeen", pages.idea_list),
        # Before /ideeen/{slug}: "nieuw" is never given to an idea as its slug.
        Route("/ideeen/nieuw", pages.idea_new, methods=GET_POST),
        Route("/ideeen/status/{token}", pages.idea_status),
        Route("/ideeen/{slug}", pages.idea_page),
        Route("/ideeen/{slug}/steun", pages.support, methods=["POST"]),
        Route("/beheer/ideeen", beheer.idea_list),
        Route(IDEA, beheer.idea_detail),
        Route(f"{IDEA}/publiceren", beheer.idea_publish, methods=["POST"]),
        Route(f"{IDEA}/antwoord", beheer.idea_answer, methods=["POST"]),
        Route(f"{IDEA}/afwijzen", beheer.idea_decline, methods=["POST"]),
        Route(f"{IDEA}/project", beheer.idea_make_project, methods=["POST"]),
        Route(f"{IDEA}/verwijderen", beheer.idea_remove, methods=GET_POST),
    ]
