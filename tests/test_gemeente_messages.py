"""What the gemeente says to a kern: reacties on its projects and thema's, gemeenteberichten.

In-process: the kern app, with the gemeente and another kern as signed remotes behind an
httpx.MockTransport (their actor documents are fetched from it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from federation import followers
from federation.addresses import AddressPolicy
from node.app import create_app
from node.kern.federation import received
from tests.conftest import BASE_URL
from tests.federation.federation_helpers import Remote, resolver
from tests.helpers import add_project, add_thema
from tests.test_federation_web import ACTOR, INBOX, FakeServers

GEMEENTE_NAME = "Gemeente West Betuwe"


@pytest.fixture
def gemeente() -> Remote:
    return Remote("gemeente.example")


@pytest.fixture
def beek() -> Remote:
    return Remote("beek.example", "beek", "Group")


def kern_app(settings, db, gemeente: Remote, beek: Remote, gemeente_actor: str):
    """The kern app, with `gemeente_actor` configured, following Beek."""
    app = create_app(settings.with_changes(gemeente_actor=gemeente_actor), db)
    fake = FakeServers()
    fake.documents[gemeente.id] = {**gemeente.document(), "name": GEMEENTE_NAME}
    fake.documents[beek.id] = beek.document()
    app.state.federation.use_transport(httpx.MockTransport(fake.handler))
    app.state.federation.policy = AddressPolicy(resolver=resolver())
    db.write_quiet(
        lambda conn: followers.save_following(
            conn, beek.id, beek.inbox, f"{ACTOR}/activities/f1", datetime.now(UTC),
            state="accepted",
        )
    )  # fmt: skip
    return app


@pytest.fixture
async def kern(settings, db, gemeente, beek):
    """An HTTP client of the kern, configured with its gemeente, which follows it."""
    app = kern_app(settings, db, gemeente, beek, gemeente.id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        # The gemeente follows the kern: only then may it write to the inbox at all.
        assert (await send(client, gemeente, "Follow", ACTOR, 0)).status_code == 202
        yield client


async def send(client, sender: Remote, kind: str, obj: Any, number: int) -> httpx.Response:
    activity = sender.activity(kind, obj, number)
    _target, headers, body = sender.signed_post(INBOX, activity, now=datetime.now(UTC))
    return await client.post("/actor/inbox", content=body, headers=headers)


def reactie(sender: Remote, in_reply_to: str, content: str, number: int = 1) -> dict:
    return {
        "id": f"https://{sender.host}/reacties/{number}",
        "type": ["Note", "Reactie"],
        "content": content,
        "inReplyTo": in_reply_to,
        "attributedTo": sender.id,
        "published": "2026-12-01T14:30:00Z",
        "to": [ACTOR],
        "cc": ["https://www.w3.org/ns/activitystreams#Public"],
    }


def bericht(sender: Remote, name: str, content: str, number: int = 1) -> dict:
    return {
        "id": f"https://{sender.host}/berichten/{number}",
        "type": ["Note", "Gemeentebericht"],
        "name": name,
        "content": content,
        "attributedTo": sender.id,
        "published": f"2026-12-1{number}T08:00:00Z",
        "to": [ACTOR],
    }


async def test_a_reactie_from_the_gemeente_is_shown_dated_on_the_project_page(
    kern, db, settings, gemeente
):
    _id, slug = add_project(db, settings)
    page = f"/projecten/{slug}"
    assert "Reactie van de gemeente" not in (await kern.get(page)).text  # now in the page cache
    answer = reactie(gemeente, settings.url(page), "<p>We nemen het zebrapad op.</p>")
    assert (await send(kern, gemeente, "Create", answer, 1)).status_code == 202

    html = (await kern.get(page)).text
    assert "Reactie van de gemeente" in html
    assert "We nemen het zebrapad op." in html
    assert "1 december 2026" in html
    assert GEMEENTE_NAME in html


async def test_a_reactie_on_a_thema_is_shown_as_a_trail_oldest_first(kern, db, settings, gemeente):
    slug = add_thema(db, settings)
    page = f"/agenda/themas/{slug}"
    first = reactie(gemeente, settings.url(page), "<p>Eerste antwoord.</p>", 1)
    later = {**reactie(gemeente, settings.url(page), "<p>Tweede antwoord.</p>", 2)}
    later["published"] = "2026-12-05T09:00:00Z"
    assert (await send(kern, gemeente, "Create", later, 2)).status_code == 202
    assert (await send(kern, gemeente, "Create", first, 1)).status_code == 202
    html = (await kern.get(page)).text
    assert html.index("Eerste antwoord.") < html.index("Tweede antwoord.")


async def test_only_the_gemeente_may_send_reacties_and_berichten(kern, db, settings, beek):
    _id, slug = add_project(db, settings)
    page = f"/projecten/{slug}"
    # Beek is a kern this kern follows, and the object lives on Beek's own origin: still 403.
    fake = reactie(beek, settings.url(page), "<p>Namens de gemeente: alles mag.</p>")
    response = await send(kern, beek, "Create", fake, 1)
    assert response.status_code == 403
    assert received.get(db.read(), fake["id"]) is None
    notice = bericht(beek, "Nep", "<p>Nepbericht</p>")
    assert (await send(kern, beek, "Create", notice, 2)).status_code == 403
    assert received.get(db.read(), notice["id"]) is None
    assert "Namens de gemeente" not in (await kern.get(page)).text
    assert "Nepbericht" not in (await kern.get("/gemeente")).text


async def test_a_kern_without_a_gemeente_takes_no_reacties(settings, db, gemeente, beek):
    app = kern_app(settings, db, gemeente, beek, "")
    _id, slug = add_project(db, settings)
    stranger = reactie(beek, settings.url(f"/projecten/{slug}"), "<p>Hallo</p>")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        assert (await send(client, beek, "Create", stranger, 1)).status_code == 403
    assert received.count(db.read()) == 0


async def test_a_reactie_on_something_not_of_this_kern_is_refused(kern, db, settings, gemeente):
    elsewhere = reactie(gemeente, "https://beek.example/projecten/speeltuin", "<p>Ja</p>", 1)
    assert (await send(kern, gemeente, "Create", elsewhere, 1)).status_code == 403
    missing = reactie(gemeente, settings.url("/projecten/bestaat-niet"), "<p>Ja</p>", 2)
    assert (await send(kern, gemeente, "Create", missing, 2)).status_code == 403
    assert received.count(db.read()) == 0


async def test_script_in_the_content_does_not_survive(kern, db, settings, gemeente):
    _id, slug = add_project(db, settings)
    page = f"/projecten/{slug}"
    content = (
        '<p onclick="steel()">Goed plan<script>alert("x")</script>'
        '<a href="javascript:alert(1)">klik</a><img src=x onerror="alert(2)"></p>'
    )
    assert (await send(kern, gemeente, "Create", reactie(gemeente, settings.url(page), content), 1)).status_code == 202  # fmt: skip
    html = (await kern.get(page)).text
    assert "Goed plan" in html
    for unsafe in ("<script>alert", "onclick", "javascript:", "onerror", "<img src=x"):
        assert unsafe not in html


async def test_an_update_changes_the_text_and_a_delete_removes_it(kern, db, settings, gemeente):
    _id, slug = add_project(db, settings)
    page = f"/projecten/{slug}"
    answer = reactie(gemeente, settings.url(page), "<p>Eerste versie.</p>")
    await send(kern, gemeente, "Create", answer, 1)
    assert "Eerste versie." in (await kern.get(page)).text

    changed = {**answer, "content": "<p>Verbeterde versie.</p>"}
    assert (await send(kern, gemeente, "Update", changed, 2)).status_code == 202
    html = (await kern.get(page)).text
    assert "Verbeterde versie." in html and "Eerste versie." not in html

    assert (await send(kern, gemeente, "Delete", answer["id"], 3)).status_code == 202
    assert "Reactie van de gemeente" not in (await kern.get(page)).text


async def test_a_gemeentebericht_is_shown_on_its_page_and_the_home_page(kern, gemeente):
    assert "Bericht van de gemeente" not in (await kern.get("/")).text  # cached now
    old = bericht(gemeente, "Afvalkalender", "<p>De nieuwe kalender is er.</p>", 1)
    new = bericht(gemeente, "Wegwerkzaamheden Dorpsstraat", "<p>Van 4 tot 15 januari.</p>", 2)
    assert (await send(kern, gemeente, "Create", old, 1)).status_code == 202
    assert (await send(kern, gemeente, "Create", new, 2)).status_code == 202

    listing = (await kern.get("/gemeente")).text
    assert "Berichten van de gemeente" in listing
    assert listing.index("Wegwerkzaamheden Dorpsstraat") < listing.index("Afvalkalender")
    assert "12 december 2026" in listing and GEMEENTE_NAME in listing

    home = (await kern.get("/")).text
    assert "Wegwerkzaamheden Dorpsstraat" in home and "Van 4 tot 15 januari." in home
    assert "Afvalkalender" not in home


async def test_the_gemeente_page_says_when_there_is_nothing_yet(kern):
    response = await kern.get("/gemeente")
    assert response.status_code == 200
    assert "nog geen berichten" in response.text
