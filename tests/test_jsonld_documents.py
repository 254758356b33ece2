"""Every JSON-LD document a kern serves or sends reads cleanly in a strict JSON-LD processor.

An ActivityPub peer may read documents as JSON-LD (ActivityStreams 2.0, section 2.1). Such a
peer drops every term the document's own `@context` does not define, so a key, an address or
a link that plain JSON readers see would silently be gone for it. This test drives a real kern
in process through everything it publishes and sends (every object type of
`as_objects.BUILDERS`, every activity of the vocabulary), walks the outbox, every activity and
object URL and the collections, reads the delivery queue, and expands each document with pyld
(tests/jsonld/strict.py): no term may be lost, no id relative, no typed value of the wrong type.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from federation import follows, proofs, vocabulary
from federation.actors import ActorProfile, ActorRoutes, RemoteActor, actor_document
from federation.followers import save_follower
from federation.jsonld import Contexts, published_keys
from federation.store import timestamp
from node import migrate
from node.kern import sample
from node.kern.agenda import model as agenda
from node.kern.conversation import threads
from node.kern.federation import actor as kern_actor
from node.kern.federation import as_objects
from node.kern.federation import pages as federation_pages
from node.kern.ideas import model as ideas
from node.kern.meetings import evaluations
from node.kern.meetings import model as meetings
from node.kern.partners import beheer as partner_beheer
from node.kern.partners import model as partners
from node.kern.projects import model as projects
from node.web.auth import User
from tests.helpers import add_project
from tests.idea_helpers import add_news, add_published_idea
from tests.jsonld.strict import (
    expand,
    make_loader,
    official_contexts,
    problems,
    require_contexts,
)
from tests.meeting_helpers import add_meeting

AS_ACCEPT = {"Accept": "application/activity+json"}
GEMEENTE_ONLY = {"Organization", "Gemeentebericht", "Reactie"}


def _types(document, found: set[str]) -> None:
    if isinstance(document, list):
        for item in document:
            _types(item, found)
    elif isinstance(document, dict):
        found.update(vocabulary.types_of(document))
        for key, value in document.items():
            if key != "@context":
                _types(value, found)


def _keys(document, found: set[str]) -> None:
    if isinstance(document, list):
        for item in document:
            _keys(item, found)
    elif isinstance(document, dict):
        for key, value in document.items():
            if key != "@context":
                found.add(key)
                _keys(value, found)


def busy_kern(db, settings, app) -> None:
    """A kern that did everything it can publish: each object type, each change, follows."""
    sample.load_sample(db, settings)
    project_id = db.scalar("SELECT id FROM projects ORDER BY id LIMIT 1")
    thema_id = db.scalar("SELECT id FROM themas ORDER BY id LIMIT 1")
    db.write(projects.change_phase, settings, "test", project_id, "gepauzeerd", "Even wachten.")
    planned_id, _ = add_project(db, settings, title="Een pannaveld", target_date="2027-06-30")
    # Money from a source outside the list, in the group's own words (bronAnders).
    add_project(
        db,
        settings,
        title="Bloembakken",
        budget_source="anders",
        budget_source_other="Opbrengst van de dorpsmarkt",
    )
    past_id, _ = add_meeting(db, settings, days=-3, thema_ids=[thema_id], project_ids=[planned_id])
    decision = meetings.Decision(planned_id, "verkenning", "We gaan het uitzoeken.")
    db.write(meetings.save_minutes, settings, "test", past_id, "Afgesproken.", [decision])
    # An evaluation of the evening, published once its answers settled, and the look back
    # on a project that ended: the Evaluatie and Terugblik objects.
    db.write(evaluations.save_evaluation, past_id, "browser-a", 4, "Gezellig.", "")
    later = datetime.now(UTC) + timedelta(hours=1)
    db.write(evaluations.publish_settled_figures, settings, later)
    db.write(projects.change_phase, settings, "test", planned_id, "gestopt", "Geen plek.")
    db.write(
        projects.save_reflection,
        settings,
        "test",
        planned_id,
        "Veel hulp.",
        "Eerder vragen.",
        "adviseren",
    )
    add_partners(db, settings, thema_id, planned_id)
    cancelled_id, _ = add_meeting(db, settings, days=10, capacity=20)
    db.write(meetings.cancel_meeting, settings, "test", cancelled_id, "De zaal is dicht.")
    add_meeting(db, settings, days=12, thema_ids=[thema_id], project_ids=[project_id])
    idea_id, _, _ = add_published_idea(db, app, settings, title="Een pluktuin")
    db.write(ideas.answer_idea, settings, "test", idea_id, "Mooi idee!")
    db.write(ideas.make_project, settings, "test", idea_id)
    add_news(db, settings)
    db.write(projects.remove_project, settings, "test", project_id)

    # Follows: a follower approved, one refused; a kern followed and no longer followed.
    identity = db.services["publisher"].identity
    now = datetime.now(UTC)
    other = RemoteActor(
        id="https://heukelum.example/actor",
        type="Group",
        inbox="https://heukelum.example/actor/inbox",
        outbox="https://heukelum.example/actor/outbox",
    )

    def follow_traffic(conn):
        for name, state in (("gemeente", "pending"), ("mastodon", "pending")):
            save_follower(
                conn, f"https://{name}.example/actor", f"https://{name}.example/inbox",
                None, state, now,
            )  # fmt: skip
        follows.approve(conn, identity, "https://gemeente.example/actor", now)
        follows.refuse(conn, identity, "https://mastodon.example/actor", now)
        follows.follow(conn, identity, other, now)
        follows.unfollow(conn, identity, other.id, now)

    db.write(follow_traffic)
    publisher = db.services["publisher"]
    answer_and_close_a_reactie(db, settings, thema_id, now)
    db.write(kern_actor.rotate_keys, settings, publisher, datetime.now(UTC) + timedelta(seconds=1))


def add_partners(db, settings, thema_id: int, project_id: int) -> None:
    """Two partners, one aan zet on a thema and one helping on a project; a third that went."""

    def write(conn) -> None:
        values = {
            "name": "Voetbalvereniging Beesd",
            "kind": "vereniging",
            "description": "De voetbalclub.",
            "website": "https://vv-beesd.example/",
            "contact": "info@vv-beesd.example",
        }
        club = partners.save_partner(conn, settings, "test", values)
        school = partners.save_partner(
            conn, settings, "test", {**values, "name": "De Klimop", "kind": "school"}
        )
        gone = partners.save_partner(conn, settings, "test", {**values, "name": "Weg"})
        ids = {
            slug: conn.execute("SELECT id FROM partners WHERE slug = ?", (slug,)).fetchone()[0]
            for slug in (club, school, gone)
        }
        row = conn.execute("SELECT * FROM themas WHERE id = ?", (thema_id,)).fetchone()
        thema_values = {key: row[key] for key in agenda.THEMA_FIELDS}
        agenda.save_thema(conn, settings, "test", thema_values, thema_id, {ids[club]: "aan_zet"})
        partners.set_links(conn, "project", project_id, {ids[school]: "helpt", ids[gone]: "helpt"})
        projects.republish_project(conn, settings, "test", project_id)
        partner_beheer.remove_everywhere(conn, settings, "test", ids[gone])

    db.write(write)


def answer_and_close_a_reactie(db, settings, thema_id: int, now: datetime) -> None:
    """The gemeente reacted on a thema; the kern answers and closes the conversation."""
    gemeente = "https://gemeente.example/actor"
    slug = db.scalar("SELECT slug FROM themas WHERE id = ?", (thema_id,))
    reactie_id = "https://gemeente.example/reacties/1"
    reactie = {
        "id": reactie_id,
        "type": "Reactie",
        "inReplyTo": settings.url(f"/agenda/themas/{slug}"),
        "content": "<p>We komen kijken.</p>",
    }
    stamp = timestamp(now)

    def receive_and_answer(conn):
        conn.execute(
            """INSERT INTO received_objects (object_id, actor_id, activity_id, type, document,
                   received_at, updated_at) VALUES (?, ?, ?, 'Reactie', ?, ?, ?)""",
            (reactie_id, gemeente, reactie_id + "/create", json.dumps(reactie), stamp, stamp),
        )
        author = User(1, "anna", "Anna de Vries", "beheerder", False)
        answering = settings.with_changes(gemeente_actor=gemeente)
        publisher = db.services["publisher"]
        threads.answer(conn, answering, publisher, reactie_id, "Graag.", True, author, now)

    db.write(receive_and_answer)


async def served_documents(app, settings, with_objects: bool = True) -> dict[str, object]:
    """Every JSON-LD document the kern serves, by the path it was read from. After a move
    the object pages send people on to the new address, so then `with_objects` is False."""
    documents: dict[str, object] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:

        async def get(path: str) -> dict:
            response = await client.get(path, headers=AS_ACCEPT)
            assert response.status_code in (200, 410), (path, response.status_code)
            documents[path] = response.json()
            return documents[path]

        if with_objects:  # after the move, the old node sends this on like its pages
            await get(vocabulary.CONTEXT_PATH)
        await get("/actor")
        await get("/actor/followers")
        await get("/actor/following")
        collection = await get("/actor/outbox")
        items: list[dict] = []
        for start in (collection["first"], "/actor/outbox?after=0"):
            url = start
            while url:
                page = await get(urlsplit(url)._replace(scheme="", netloc="").geturl())
                items.extend(page["orderedItems"])
                url = page.get("next")
        object_ids = set()
        for item in items:
            await get(urlsplit(item["id"]).path)
            object_id = vocabulary.id_of(item.get("object"))
            if with_objects and object_id and object_id.startswith(settings.public_url):
                object_ids.add(urlsplit(object_id).path)
        for path in sorted(object_ids - {"/actor"}):
            await get(path)
    return documents


def sent_documents(db) -> dict[str, object]:
    """Every body in the delivery queue: what the kern sends to other servers."""
    rows = db.execute("SELECT id, body FROM federation_deliveries ORDER BY id")
    return {f"delivery {row['id']}": json.loads(row["body"]) for row in rows}


async def test_every_document_a_kern_serves_or_sends_expands_without_loss(db, settings, app):
    require_contexts()
    busy_kern(db, settings, app)
    documents = await served_documents(app, settings)
    # Then it moves: the Move, and the actor document naming where it went (movedTo).
    migrate.announce_move(db, settings, "https://beesd.example.org/actor")
    moved = await served_documents(app, settings, with_objects=False)
    documents.update({f"after the move: {path}": doc for path, doc in moved.items()})
    documents.update(sent_documents(db))
    # An actor that moved here from elsewhere names its former ids (never both on one node).
    routes = ActorRoutes.under(settings.public_url)
    documents["actor with alsoKnownAs"] = actor_document(
        ActorProfile(routes, "beesd", "Beesd", also_known_as=("https://oud.example/actor",)),
        db.services["publisher"].identity.public_keys(),
    )

    # Each distinct problem once, with the first document it was found in.
    found: dict[str, str] = {}
    for where, document in documents.items():
        for line in problems(document):
            found.setdefault(line.split(": ", 1)[1], f"{where} at {line.split(': ', 1)[0]}")
    assert found == {}, "\n".join(f"{p}: {w}" for p, w in found.items())

    # Every type and term of the vocabulary was in what was checked, so none went unchecked.
    types: set[str] = set()
    keys: set[str] = set()
    _types(list(documents.values()), types)
    _keys(list(documents.values()), keys)
    assert set(vocabulary.all_types()) - GEMEENTE_ONLY - types == set()
    assert set(as_objects.BUILDERS) <= types
    assert set(vocabulary.BLOEI_PROPERTIES) - keys == set()
    assert {"movedTo", "alsoKnownAs", "address", "assertionMethod"} <= keys
    # And every federation address that serves JSON-LD was read, so none went unchecked.
    assert unread_routes(federation_pages.routes(), documents) == []


def unread_routes(routes, documents: dict[str, object]) -> list[str]:
    """GET routes (discovery aside: WebFinger and NodeInfo are plain JSON) none of the
    documents was read from."""
    return [
        route.path
        for route in routes
        if "GET" in (route.methods or ())
        and not route.path.startswith(("/.well-known/", "/nodeinfo/"))
        and not any(route.path_regex.match(path.split("?")[0]) for path in documents)
    ]


def test_the_strict_reader_sees_a_term_the_context_does_not_define():
    require_contexts()
    document = {
        "@context": vocabulary.CONTEXT,
        "id": "https://beesd.example/x",
        "type": "Note",
        "published": "2026-12-01",
        "wieDoetHet": "iedereen",
        "url": "/relatief",
        "trekker": "https://beesd.example/mensen/jan",
    }
    lost = problems(document)
    assert any("the link 'https://beesd.example/mensen/jan' is read as text" in x for x in lost)
    assert any("wieDoetHet" in line for line in lost)
    assert any("is not a http://www.w3.org/2001/XMLSchema#dateTime" in line for line in lost)
    assert any("'/relatief'" in line or "relatief" in line for line in lost)


def test_the_actors_key_is_found_under_the_expanded_assertion_method(db, settings):
    require_contexts()
    publisher = db.services["publisher"]
    with db.read() as conn:
        document = kern_actor.document(conn, settings, publisher)
    [actor] = expand(document)
    methods = actor.get("https://w3id.org/security#assertionMethod")
    assert methods, "a JSON-LD reader finds no assertionMethod"
    [key] = methods
    assert key["@id"] == settings.url("/actor#ed25519-key")
    assert key["https://w3id.org/security#controller"] == [{"@id": settings.url("/actor")}]


async def test_the_context_is_served_as_a_document_that_means_the_same(client, db, settings):
    response = await client.get(vocabulary.CONTEXT_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json() == vocabulary.context_document()

    # A document that names the context by its URL reads exactly as one that carries it inline.
    require_contexts()
    add_project(db, settings)
    activity = json.loads(db.scalar("SELECT document FROM federation_outbox ORDER BY position"))
    activity.pop("proof")
    by_url = {**activity, "@context": [*activity["@context"][:-1], settings.url(response.url.path)]}
    loader = make_loader({settings.url(vocabulary.CONTEXT_PATH): response.json()})
    assert "https://w3id.org/bloei/ns#fase" in json.dumps(expand(by_url, loader))
    assert expand(by_url, loader) == expand(activity)


async def test_a_strict_peer_verifies_every_activity_in_the_outbox(db, settings, app):
    # The walk: actor, outbox, each proof checked with the key a JSON-LD reader finds.
    require_contexts()
    busy_kern(db, settings, app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:
        actor = (await client.get("/actor", headers=AS_ACCEPT)).json()
        items, url = [], "/actor/outbox?after=0"
        while url:
            page = (await client.get(url, headers=AS_ACCEPT)).json()
            items.extend(page["orderedItems"])
            url = page.get("next")

    keys = published_keys(actor, actor["id"], Contexts(official_contexts()))
    assert set(keys) == {settings.url("/actor#main-key"), settings.url("/actor#ed25519-key")}
    verified = [proofs.verify_document(item, keys.get) for item in items]
    assert len(verified) == len(items) > 50
