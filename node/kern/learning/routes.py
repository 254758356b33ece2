"""The addresses of learning: the help for residents and the handleiding for the group."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from node.kern.learning import handbook, help


def routes() -> list[BaseRoute]:
    return [
        Route("/hulp", help.help_page),
        Route("/beheer/handleiding", handbook.handbook_page),
    ]
