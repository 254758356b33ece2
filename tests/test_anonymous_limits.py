"""Every form anyone may send without an account has a limit per visitor, also behind the proxy."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Route

from node.kern.meetings import rsvp
from node.kern.subscriptions import model as subscriptions
from node.web.ratelimit import RateLimiter
from tests.conftest import BASE_URL
from tests.helpers import add_project
from tests.idea_helpers import add_published_idea, idea_form
from tests.meeting_helpers import add_meeting, sign_up

VOLUNTEER = {"name": "Jan Bos", "contact": "jan@example.org", "message": "", "consent": "y"}
RESIDENT = {"name": "Jan Bos", "email": "", "phone": "", "people": "1"}


def anonymous_posts(app) -> set[str]:
    """The public addresses that take a POST: everything but beheer and the inboxes."""
    return {
        route.path
        for route in app.routes
        if isinstance(route, Route)
        and "POST" in (route.methods or ())
        and not route.path.startswith("/beheer")
        and not route.path.endswith("inbox")
    }


def requests_for(app, db, settings) -> dict[str, tuple[str, dict]]:
    """For each anonymous POST route: a real address and a form that passes its checks."""
    _, project = add_project(db, settings)
    meeting_id, meeting = add_meeting(db, settings)
    _, _, idea = add_published_idea(db, app, settings)
    mine = sign_up(db, settings, meeting_id, 1)
    big = db.write(rsvp.request_sign_up, settings, meeting_id, "Club", "club@example.org", "", 8)
    _, held = add_meeting(db, settings, days=-1, title="Bijeenkomst van gisteren")
    follower = db.write(subscriptions.subscribe, settings, "volger@example.org", "nieuws", "direct")
    following = db.one("SELECT * FROM subscriptions WHERE id = ?", (follower.id,))
    return {
        "/projecten/{slug}/steun": (f"/projecten/{project}/steun", {}),
        "/projecten/{slug}/vrijwilliger": (f"/projecten/{project}/vrijwilliger", VOLUNTEER),
        "/bijeenkomsten/{slug}/aanmelden": (f"/bijeenkomsten/{meeting}/aanmelden", RESIDENT),
        "/aanmelding/{token}": (
            rsvp.personal_path(mine.token),
            {"actie": "wijzigen", "people": "1"},
        ),
        "/aanmelding/bevestigen/{token}": (rsvp.confirm_path(big), {}),
        "/ideeen/nieuw": ("/ideeen/nieuw", idea_form(settings)),
        "/ideeen/{slug}/steun": (f"/ideeen/{idea}/steun", {}),
        "/bijeenkomsten/{slug}/evaluatie": (f"/bijeenkomsten/{held}/evaluatie", {"score": "4"}),
        "/volgen": (
            "/volgen",
            {"volgen-email": "nieuw@example.org", "volgen-frequency": "direct"},
        ),
        "/volgen/bevestigen/{token}": (
            subscriptions.confirm_path(
                subscriptions.link_token(settings, subscriptions.CONFIRM, following)
            ),
            {},
        ),
        "/afmelden/{token}": (
            subscriptions.unsubscribe_path(
                subscriptions.link_token(settings, subscriptions.UNSUBSCRIBE, following)
            ),
            {},
        ),
    }


async def post_as(app, visitor: str, path: str, data: dict) -> httpx.Response:
    """A POST that reaches the node through Caddy or nginx on the same machine."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        response = await http.post(path, data=data, headers={"X-Forwarded-For": visitor})
        if response.status_code == 303:
            # Some forms answer a refusal with a message on the page they send you back to.
            response = await http.get(response.headers["location"])
        return response


def refused(response: httpx.Response) -> bool:
    return response.status_code == 429 or "te veel" in response.text or "te vaak" in response.text


@pytest.fixture
def one_per_visitor(monkeypatch):
    """Every limit allows one request per visitor, so the second shows whether it applies."""
    original = RateLimiter.__init__
    monkeypatch.setattr(
        RateLimiter, "__init__", lambda self, limit, window: original(self, 1, window)
    )


async def test_every_anonymous_post_is_limited_per_visitor(app, db, settings, one_per_visitor):
    cases = requests_for(app, db, settings)
    # A new public form must come with a limit, and be added here.
    assert anonymous_posts(app) == set(cases)
    # Fresh visitors per route: project and idea support share one limit.
    for number, (route, (path, data)) in enumerate(cases.items()):
        visitor, neighbour = f"198.51.100.{2 * number + 1}", f"198.51.100.{2 * number + 2}"
        first = await post_as(app, visitor, path, data)
        assert not refused(first), route
        again = await post_as(app, visitor, path, data)
        assert refused(again), f"{route} has no limit per address"
        # Another household behind the same proxy is not refused for the first one's posts.
        other = await post_as(app, neighbour, path, data)
        assert not refused(other), f"{route} counts the proxy, not the visitor"


async def test_failed_logins_count_per_visitor_behind_the_proxy(app, settings):
    wrong = {"username": "anna", "password": "fout"}
    for _ in range(settings.login_attempts):
        await post_as(app, "198.51.100.1", "/beheer/inloggen", wrong)
    assert (await post_as(app, "198.51.100.1", "/beheer/inloggen", wrong)).status_code == 429
    # Someone else trying to log in through the same proxy is not locked out by it; the
    # limit per user name still holds, so try another name.
    other = {"username": "piet", "password": "fout"}
    assert (await post_as(app, "198.51.100.2", "/beheer/inloggen", other)).status_code != 429


def test_a_limiter_remembers_a_bounded_number_of_addresses(monkeypatch):
    """A burst from many addresses (or a script rotating them) must not grow the process
    without bound: past max_keys the addresses idle longest are forgotten first."""
    clock = [1000.0]
    monkeypatch.setattr("node.web.ratelimit.time.monotonic", lambda: clock[0])
    limiter = RateLimiter(2, 3600, max_keys=100)
    for number in range(1000):
        clock[0] += 0.01
        assert limiter.allow(f"aanmelden:10.0.{number // 256}.{number % 256}")
    assert len(limiter) == 100
    # The most recent addresses are still limited; the earliest were forgotten.
    assert limiter.allow("aanmelden:10.0.3.231")
    assert not limiter.allow("aanmelden:10.0.3.231")
    assert limiter.allow("aanmelden:10.0.0.0")
    # Past the window every address starts afresh.
    clock[0] += 3601
    assert limiter.allow("aanmelden:10.0.3.231")
    assert len(limiter) == 1
