"""The addresses of federation: WebFinger, NodeInfo, the actor and its collections, and beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute

from node.kern.federation import beheer, pages


def routes() -> list[BaseRoute]:
    return [*pages.routes(), *beheer.routes()]
