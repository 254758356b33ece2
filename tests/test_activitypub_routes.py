"""The ActivityPub route table is written once (node/web/activitypub.py) and serves the
addresses both roles' actors advertise (node/actor_paths.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from federation.actors import nodeinfo_discovery
from node.actor_paths import NODEINFO_PATH, actor_routes
from node.gemeente import actor_pages
from node.kern.federation import pages as federation_pages
from node.web.activitypub import ActorEndpoints, activitypub_routes

ROLES = {"kern": federation_pages.routes, "gemeente": actor_pages.routes}


async def _endpoint(request):
    raise AssertionError("not called")


def table(routes) -> list[tuple[str, frozenset[str]]]:
    return [(route.path, frozenset(route.methods or ())) for route in routes]


def shared_table() -> list[tuple[str, frozenset[str]]]:
    handlers = dict.fromkeys(
        ("webfinger", "actor", "inbox", "outbox", "followers", "following", "activity"),
        _endpoint,
    )
    return table(activitypub_routes(ActorEndpoints(**handlers)))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_serves_the_shared_table_first(role):
    served = table(ROLES[role]())
    assert served[: len(shared_table())] == shared_table()


@pytest.mark.parametrize("role", ROLES)
def test_every_address_the_actor_advertises_is_served(role):
    paths = {path for path, _ in table(ROLES[role]())}
    routes = actor_routes("https://example.nl")
    advertised = [
        routes.id,
        routes.inbox,
        routes.outbox,
        routes.followers,
        routes.following,
        routes.shared_inbox,
    ]
    assert {urlsplit(url).path for url in advertised} - paths == set()


def test_nodeinfo_is_served_where_discovery_points():
    (link,) = nodeinfo_discovery("https://example.nl")["links"]
    assert urlsplit(link["href"]).path == NODEINFO_PATH
