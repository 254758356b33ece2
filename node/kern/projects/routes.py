"""The addresses of projects: their public pages, what residents do there, and their beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.projects import beheer, pages, participation, reflection_pages
from node.web.methods import GET_POST

PROJECT = "/beheer/projecten/{project_id:id}"


def routes() -> list[BaseRoute]:
    return [
        Route("/projecten", pages.projects_page),
        Route("/projecten/{slug}", pages.project_page),
        Route("/projecten/{slug}/updates/{update_id:id}", pages.project_update_link),
        Route("/projecten/{slug}/steun", participation.support, methods=["POST"]),
        Route("/projecten/{slug}/vrijwilliger", participation.volunteer, methods=["POST"]),
        Route("/beheer/projecten", beheer.project_list),
        Route("/beheer/projecten/nieuw", beheer.project_edit, methods=GET_POST),
        Route(PROJECT, beheer.project_edit, methods=GET_POST),
        Route(f"{PROJECT}/fase", beheer.phase_change, methods=GET_POST),
        Route(f"{PROJECT}/updates/nieuw", beheer.update_new, methods=GET_POST),
        Route(
            f"{PROJECT}/updates/{{update_id:id}}/verwijderen",
            beheer.update_remove,
            methods=GET_POST,
        ),
        Route(f"{PROJECT}/foto", beheer.photo_edit, methods=GET_POST),
        Route(f"{PROJECT}/foto/verwijderen", beheer.photo_remove, methods=GET_POST),
        Route(f"{PROJECT}/vrijwilligers", beheer.volunteer_list),
        Route(f"{PROJECT}/terugblik", reflection_pages.reflection_edit, methods=GET_POST),
        Route(f"{PROJECT}/verwijderen", beheer.project_remove, methods=GET_POST),
    ]
