"""The kern tries the peers' routes first (node/kern/federation/routes.py: the actor must not
wait for a hundred page routes). That is only safe while no other route shares an address
with them, either way round; this test keeps it so."""

from __future__ import annotations

import re

from starlette.routing import Match, Route

from node.kern.federation.routes import peer_routes
from node.kern.routes import kern_routes

SAMPLES = {"int": "7", "id": "7", "path": "een/twee", "str": "voorbeeld-7", None: "voorbeeld-7"}


def sample_path(route: Route) -> str:
    return re.sub(r"\{\w+(?::(\w+))?\}", lambda m: SAMPLES.get(m.group(1), "7"), route.path)


def matches(route: Route, path: str) -> bool:
    for method in route.methods or {"GET"}:
        scope = {"type": "http", "path": path, "root_path": "", "method": method}
        if route.matches(scope)[0] != Match.NONE:
            return True
    return False


def test_peer_routes_come_first_and_share_no_address_with_the_others():
    routes = kern_routes()
    peers = peer_routes()
    assert [r.path for r in routes[: len(peers)]] == [r.path for r in peers]
    others = [r for r in routes[len(peers) :] if isinstance(r, Route)]
    assert len(others) > 50
    for peer in peers:
        path = sample_path(peer)
        assert matches(peer, path), path
        assert not [r.path for r in others if matches(r, path)], path
    for other in others:
        path = sample_path(other)
        assert not [p.path for p in peers if matches(p, path)], path
