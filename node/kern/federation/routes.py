"""The addresses of federation: WebFinger, NodeInfo, the actor and its collections, and beheer."""

from __future__ import annotations

from starlette.routing import BaseRoute

from node.kern.federation import beheer, pages


def peer_routes() -> list[BaseRoute]:
    """What other servers ask, often and in bursts (a post shared on Mastodon brings many
    servers for the actor at once): the kern puts these first, because Starlette tries routes
    in order and a hundred page routes before them cost more than the actor's answer."""
    return pages.routes()


def beheer_routes() -> list[BaseRoute]:
    return beheer.routes()
