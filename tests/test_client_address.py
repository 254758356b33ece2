"""The visitor's address behind the proxies of deploy/: forwarded headers only from a trusted peer."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from node.addresses import address_group, is_trusted, parse_trusted_proxies
from node.app import create_app
from node.commands import serve
from node.kern.meetings import pages as meeting_pages
from node.settings import Settings, SettingsError, load_settings
from node.web.client_address import ClientAddressMiddleware, forwarded_client
from node.web.login_throttle import ADDRESS_FACTOR
from tests.conftest import BASE_URL
from tests.meeting_helpers import add_meeting
from tests.process_helpers import free_port, wait_for
from tests.test_deploy import (
    COMPOSE,
    DEPLOY,
    DOCKERFILE,
    ROOT,
    dockerfile_instructions,
    load_yaml,
)

LOOPBACK = "127.0.0.1,::1"


async def _who(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.client.host} {request.url.scheme}")


async def seen_as(peer: str, headers: dict[str, str], trusted: str = LOOPBACK) -> str:
    """What an app behind ClientAddressMiddleware sees as the client, for one request."""
    echo = ClientAddressMiddleware(Starlette(routes=[Route("/", _who)]), trusted_proxies=trusted)
    transport = httpx.ASGITransport(app=echo, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        return (await http.get("/", headers=headers)).text


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored():
    spoofed = {"X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"}
    assert await seen_as("192.0.2.7", spoofed) == "192.0.2.7 http"
    headers = {"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"}
    assert await seen_as("192.0.2.7", headers) == "192.0.2.7 http"


async def test_the_forwarded_for_of_a_trusted_proxy_names_the_visitor():
    # nginx in deploy/ sends one address; Caddy appends to what the visitor sent.
    assert await seen_as("127.0.0.1", {"X-Forwarded-For": "198.51.100.9"}) == "198.51.100.9 http"
    chain = {"X-Forwarded-For": "10.9.9.9, 198.51.100.9", "X-Forwarded-Proto": "https"}
    assert await seen_as("127.0.0.1", chain) == "198.51.100.9 https"
    assert await seen_as("::1", {"X-Real-IP": "2001:db8::5"}) == "2001:db8::5 http"
    # A network in the setting: the container's bridge.
    bridge = "127.0.0.1,172.17.0.0/16"
    seen = await seen_as("172.17.0.1", {"X-Forwarded-For": "198.51.100.9"}, bridge)
    assert seen == "198.51.100.9 http"


async def test_garbage_from_a_trusted_proxy_leaves_the_peer():
    assert await seen_as("127.0.0.1", {"X-Forwarded-For": "niet-een-adres"}) == "127.0.0.1 http"
    assert await seen_as("127.0.0.1", {}) == "127.0.0.1 http"


def test_the_visitor_is_the_first_untrusted_address_from_the_right():
    trusted = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8")
    # What the visitor wrote themselves (left of the last untrusted address) is not believed.
    assert forwarded_client(["6.6.6.6, 198.51.100.9, 10.1.2.3"], None, trusted) == "198.51.100.9"
    assert forwarded_client(["6.6.6.6", "198.51.100.9"], None, trusted) == "198.51.100.9"
    assert forwarded_client(["::ffff:198.51.100.9"], None, trusted) == "198.51.100.9"
    assert forwarded_client([], "198.51.100.9", trusted) == "198.51.100.9"
    assert forwarded_client([], None, trusted) is None


@pytest.mark.parametrize("value", ["127.0.0.1, localhost", "300.1.1.1", "10.0.0.0/33"])
def test_a_wrong_trusted_proxies_setting_is_one_clear_line(settings, value):
    with pytest.raises(SettingsError, match="setting trusted_proxies: .* is not an IP address"):
        load_settings(settings.data_dir, environ={"BLOEI_TRUSTED_PROXIES": value})


async def post_rsvps(app, peer: str, forwarded_for: str, count: int) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    codes = []
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        for _ in range(count):
            response = await http.post(
                "/bijeenkomsten/" + app.state.slug + "/aanmelden",
                data={"name": "Jan Bos", "email": "", "phone": "", "people": "1"},
                headers={"X-Forwarded-For": forwarded_for},
            )
            codes.append(response.status_code)
    return codes


async def test_residents_behind_the_proxy_each_have_their_own_limit(app, db, settings, monkeypatch):
    monkeypatch.setattr(meeting_pages, "RSVP_LIMIT", (2, 3600))
    _, app.state.slug = add_meeting(db, settings)
    assert await post_rsvps(app, "127.0.0.1", "198.51.100.1", 3) == [303, 303, 429]
    # Another household behind the same Caddy is not refused for the first one's posts.
    assert await post_rsvps(app, "127.0.0.1", "198.51.100.2", 1) == [303]


async def test_a_spoofed_address_does_not_escape_the_limit(app, db, settings, monkeypatch):
    monkeypatch.setattr(meeting_pages, "RSVP_LIMIT", (2, 3600))
    _, app.state.slug = add_meeting(db, settings)
    assert await post_rsvps(app, "192.0.2.7", "198.51.100.1", 2) == [303, 303]
    assert await post_rsvps(app, "192.0.2.7", "198.51.100.2", 1) == [429]


async def test_the_node_trusts_what_its_setting_names(settings, db, monkeypatch):
    monkeypatch.setattr(meeting_pages, "RSVP_LIMIT", (1, 3600))
    # With no trusted proxy at all, even loopback's headers are not believed.
    app = create_app(settings.with_changes(trusted_proxies=""), db)
    _, app.state.slug = add_meeting(db, settings)
    assert await post_rsvps(app, "127.0.0.1", "198.51.100.1", 1) == [303]
    assert await post_rsvps(app, "127.0.0.1", "198.51.100.2", 1) == [429]


def test_the_default_trusts_where_the_shipped_proxies_connect_from():
    default = parse_trusted_proxies(Settings(data_dir=DEPLOY).trusted_proxies)
    # Caddy and nginx in deploy/ connect to the node over loopback.
    assert "reverse_proxy 127.0.0.1:8001" in (DEPLOY / "caddy" / "Caddyfile").read_text()
    assert "proxy_pass http://127.0.0.1:8001;" in (DEPLOY / "nginx" / "bloei.conf").read_text()
    assert is_trusted("127.0.0.1", default) and is_trusted("::1", default)
    assert not is_trusted("192.0.2.7", default)
    # The pilot's compose file shares the host's network: loopback there too.
    services = load_yaml(COMPOSE)["services"].values()
    assert {service["network_mode"] for service in services} == {"host"}
    # The image on its own is reached through Docker's default bridge.
    env = " ".join(a for n, a in dockerfile_instructions(DOCKERFILE) if n == "ENV")
    image = parse_trusted_proxies(dict(re.findall(r"(\w+)=(\S+)", env))["BLOEI_TRUSTED_PROXIES"])
    assert is_trusted("172.17.0.1", image) and is_trusted("127.0.0.1", image)


def test_serve_leaves_the_proxy_headers_to_the_app():
    # uvicorn's own reading would believe 127.0.0.1 whatever trusted_proxies says.
    assert "proxy_headers=False" in inspect.getsource(serve._run_uvicorn)


def test_an_ipv6_household_counts_as_one_address():
    assert address_group("2001:db8:1:2::1") == address_group("2001:db8:1:2:aaaa::9")
    assert address_group("2001:db8:1:2::1") != address_group("2001:db8:1:3::1")
    assert address_group("198.51.100.7") == "198.51.100.7"
    assert address_group("::ffff:198.51.100.7") == "198.51.100.7"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.processes
@pytest.mark.parametrize(
    ("trusted", "neighbour_locked_out"), [("127.0.0.1,::1", False), ("", True)]
)
def test_bloei_serve_believes_the_proxy_only_as_the_setting_says(
    settings, trusted, neighbour_locked_out
):
    """A real server on loopback, as behind Caddy: uvicorn must not read the headers itself."""
    port = free_port()
    env = {
        **os.environ,
        "BLOEI_PORT": str(port),
        "BLOEI_TRUSTED_PROXIES": trusted,
        "BLOEI_BACKGROUND_JOBS": "false",
    }
    url = f"http://127.0.0.1:{port}"
    with subprocess.Popen(
        [sys.executable, "-m", "node.cli", "serve", "--data", str(settings.data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    ) as server:
        try:
            wait_for(lambda: server.poll() is not None or _answers(url), 30, "bloei serve")
            assert server.poll() is None, server.stderr.read().decode()
            with httpx.Client(base_url=url, timeout=30) as http:
                # One visitor tries many user names: enough to use up what one address may try.
                for attempt in range(settings.login_attempts * ADDRESS_FACTOR):
                    wrong = {"username": f"naam{attempt}", "password": "fout"}
                    http.post(
                        "/beheer/inloggen", data=wrong, headers={"X-Forwarded-For": "198.51.100.1"}
                    )
                neighbour = http.post(
                    "/beheer/inloggen",
                    data={"username": "piet", "password": "fout"},
                    headers={"X-Forwarded-For": "198.51.100.2"},
                )
            assert (neighbour.status_code == 429) is neighbour_locked_out
        finally:
            server.terminate()
            server.wait(timeout=30)
