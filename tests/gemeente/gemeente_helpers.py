"""Pieces for the gemeente tests: a gemeente node in a temporary folder, fake kernen whose
outbox and inbox are served through httpx.MockTransport, and a transport that routes requests
to the right host (a kern, or the gemeente app itself through ASGI).

Most tests read real kern apps (tests/gemeente/real_kern.py). The fake kern is for what a real
one never does on purpose: forged or unsigned activities, broken outbox pages, replays, moves,
an outbox that went back. Its objects still come from the kern's own serializer.

No outside network: every host is in-process, and development mode lets plain http through.
"""

from __future__ import annotations

import atexit
import functools
import json
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from federation import vocabulary
from federation.actors import ActorProfile, ActorRoutes, actor_document
from federation.delivery import encode
from federation.identity import LocalIdentity
from federation.keys import KeyPair, generate_key_pair
from federation.signatures import sign_cavage
from node.kern.federation import as_objects
from node.settings import create_secret, load_settings, write_config
from node.web import auth

GEMEENTE_URL = "http://gemeente.test"
STAFF_PASSWORD = "test-wachtwoord-gemeente"
NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@functools.cache
def key_pair(name: str) -> KeyPair:
    """One RSA-2048 + Ed25519 pair per name for the whole run: RSA generation is slow."""
    return generate_key_pair(2048)


@functools.cache
def template_gemeente() -> Path:
    """A migrated gemeente folder with keys and two staff accounts, made once per run."""
    from node.app import open_database

    root = Path(tempfile.mkdtemp(prefix="bloei-gemeente-"))
    atexit.register(shutil.rmtree, root, True)
    folder = root / "gemeente"
    folder.mkdir()
    write_config(
        folder,
        {
            "role": "gemeente",
            "name": "Gemeente West Betuwe",
            "slug": "gemeente",
            "public_url": GEMEENTE_URL,
            "dev": True,
            "background_jobs": False,
        },
    )
    create_secret(folder)
    from federation.keys import load_or_create_key_pair

    load_or_create_key_pair(folder / "keys", rsa_bits=2048)
    db = open_database(load_settings(folder))

    def users(conn):
        auth.create_user(
            conn, "gerda", "Gerda Smit", "beheerder", STAFF_PASSWORD, must_change_password=False
        )
        auth.create_user(
            conn, "mo", "Mo Bakker", "medewerker", STAFF_PASSWORD, must_change_password=False
        )

    db.write(users)
    db.close()
    return folder


def gemeente_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "gemeente"
    shutil.copytree(template_gemeente(), folder)
    return folder


async def login(http: httpx.AsyncClient, username: str = "gerda") -> str:
    """Sign in and return the session's CSRF token."""
    response = await http.post(
        "/beheer/inloggen", data={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 303, response.text
    page = await http.get("/beheer/wachtwoord")
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF token on a beheer page"
    return match.group(1)


# --- fake kernen -------------------------------------------------------------------------------


class FakeKern:
    """A kern as the gemeente sees it over the wire: actor, WebFinger, outbox, inbox; for
    hostile and broken input (see the module's docstring)."""

    def __init__(self, host: str = "beesd.test", name: str = "Beesd", kind: str = "Group"):
        self.host = host
        self.base = f"http://{host}"
        self.identity = LocalIdentity(f"{self.base}/actor", key_pair(host))
        self.profile = ActorProfile(
            routes=ActorRoutes.under(self.base), username=host.split(".")[0], name=name, kind=kind
        )
        self.outbox: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.up = True
        self.requests: list[httpx.Request] = []
        self.bloei = True  # publish Bloei's context in the actor document
        self.clock = NOW
        self.broken_pages: dict[int, Any] = {}  # after -> what to serve instead

    @property
    def id(self) -> str:
        return self.identity.actor_id

    def document(self) -> dict[str, Any]:
        document = actor_document(self.profile, self.identity.public_keys())
        if not self.bloei:
            document["@context"] = ["https://www.w3.org/ns/activitystreams"]
        return document

    # --- publishing ---

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def publish(self, kind: str, obj: Any, *, sign: bool = True) -> dict[str, Any]:
        """Append an activity to the outbox (signed, as a kern does) and return it."""
        now = self.tick()
        activity_id = vocabulary.new_id(self.id + "/activities")
        audience = {"to": [vocabulary.PUBLIC], "cc": [self.profile.routes.followers]}
        if kind == "Create":
            activity = vocabulary.create(
                self.id, obj, activity_id=activity_id, published=now, **audience
            )
        elif kind == "Update":
            activity = vocabulary.update(
                self.id, obj, activity_id=activity_id, published=now, **audience
            )
        elif kind == "Delete":
            activity = vocabulary.delete(
                self.id,
                obj["id"],
                obj.get("type", "Page"),
                activity_id=activity_id,
                published=now,
                **audience,
            )
        elif kind == "Announce":
            activity = vocabulary.announce(
                self.id, obj, activity_id=activity_id, published=now, **audience
            )
        else:
            raise ValueError(kind)
        signed = self.identity.sign(activity, created=now) if sign else activity
        self.outbox.append(signed)
        return signed

    # The objects come from the kern's own serializer (node/kern/federation/as_objects.py), from snapshots
    # in the shape the kern's *_public functions make: a property the kern renames on the wire
    # is renamed here too. Keywords are the wire names; `extra` adds what no kern sends.

    def project(self, slug: str, extra: dict[str, Any] | None = None, **wire: Any) -> dict:
        snapshot = {
            "id": f"{self.base}/projecten/{slug}",
            "titel": slug.replace("-", " ").capitalize(),
            "samenvatting": "Samen aan de slag.",
            "beschrijving": "Een project van de kern.",
            "fase": "idee",
            "fasegeschiedenis": [{"naar": "idee", "datum": "2026-01-10"}],
            **_snapshot(PROJECT_SNAPSHOT, wire),
        }
        return self._built("Project", snapshot, extra)

    def thema(self, slug: str, name: str, extra: dict[str, Any] | None = None, **wire: Any):
        snapshot = {
            "id": f"{self.base}/agenda/themas/{slug}",
            "titel": name,
            "status": "loopt",
            "wieIsAanZet": "gemeente",
            "prioriteit": "hoog",
            **_snapshot(THEMA_SNAPSHOT, wire),
        }
        return self._built("Thema", snapshot, extra)

    def meeting(
        self, slug: str, start: datetime, extra: dict[str, Any] | None = None, **wire: Any
    ) -> dict[str, Any]:
        cancelled = wire.pop("geannuleerd", False)
        snapshot = {
            "id": f"{self.base}/bijeenkomsten/{slug}",
            "titel": slug.replace("-", " ").capitalize(),
            "samenvatting": "Dorpsavond in het dorpshuis",
            "begintijd": start.isoformat(),
            "eindtijd": (start + timedelta(hours=2)).isoformat(),
            "plaats": {"naam": "Dorpshuis", "adres": "Kerkstraat 1"},
            "status": "geannuleerd" if cancelled else "gepland",
            **_snapshot(MEETING_SNAPSHOT, wire),
        }
        return self._built("Bijeenkomst", snapshot, extra)

    def _built(self, kind: str, snapshot: dict[str, Any], extra: dict[str, Any] | None) -> dict:
        author = as_objects.Author(self.id, self.profile.routes.followers)
        obj = as_objects.build(kind, snapshot, author)
        return {**obj, **(extra or {})}

    # --- talking to the gemeente ---

    def signed_post(self, url: str, activity: dict[str, Any]) -> tuple[str, dict, bytes]:
        body = encode(activity)
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_cavage(
                "POST",
                url,
                self.identity.main_key_id,
                self.identity.keys.rsa,
                body=body,
                headers=headers,
                now=datetime.now(UTC),
            )
        )
        return httpx.URL(url).raw_path.decode(), headers, body

    async def push(self, http: httpx.AsyncClient, activity: dict[str, Any]) -> httpx.Response:
        """POST an activity to the gemeente's inbox, signed as this kern signs."""
        target, headers, body = self.signed_post(GEMEENTE_URL + "/actor/inbox", activity)
        return await http.post(target, content=body, headers=headers)

    def answer(self, kind: str = "Accept") -> dict[str, Any]:
        """An Accept (or Reject) of the last Follow this kern received, signed."""
        follow = next(a for a in reversed(self.received) if a.get("type") == "Follow")
        inner = {k: v for k, v in follow.items() if k not in ("@context", "proof")}
        build = vocabulary.accept if kind == "Accept" else vocabulary.reject
        activity = build(self.id, inner, activity_id=vocabulary.new_id(self.id + "/activities"))
        return self.identity.sign(activity)

    # --- serving ---

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.up:
            raise httpx.ConnectError("the kern is down", request=request)
        path = request.url.path
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        if request.method == "POST" and path in ("/actor/inbox", "/inbox"):
            self.received.append(json.loads(request.content))
            return httpx.Response(202)
        if path == "/.well-known/webfinger":
            return _json(
                {
                    "subject": f"acct:{self.profile.username}@{self.host}",
                    "links": [
                        {"rel": "self", "type": "application/activity+json", "href": self.id}
                    ],
                },
                "application/jrd+json",
            )
        if path in ("/actor", "/"):
            return _json(self.document())
        if path == "/actor/outbox":
            return self._outbox(query)
        return httpx.Response(404)

    def _outbox(self, query: dict[str, str]) -> httpx.Response:
        outbox_url = self.profile.routes.outbox
        if "after" not in query:
            return _json(
                {
                    "@context": vocabulary.CONTEXT,
                    "id": outbox_url,
                    "type": "OrderedCollection",
                    "totalItems": len(self.outbox),
                    "lastPosition": len(self.outbox),
                }
            )
        after = int(query["after"])
        if after in self.broken_pages:
            broken = self.broken_pages[after]
            return broken if isinstance(broken, httpx.Response) else _json(broken)
        size = int(query.get("size", 100))
        items = self.outbox[after : after + size]
        last = after + len(items)
        page = {
            "@context": vocabulary.CONTEXT,
            "id": f"{outbox_url}?after={after}",
            "type": "OrderedCollectionPage",
            "partOf": outbox_url,
            "orderedItems": items,
            "lastPosition": last,
        }
        if last < len(self.outbox):
            page["next"] = f"{outbox_url}?after={last}"
        return _json(page)


# Wire name -> snapshot key, per type: what node/kern/federation/as_objects.py reads for each property.
PROJECT_SNAPSHOT = {
    "name": "titel",
    "summary": "samenvatting",
    "content": "beschrijving",
    "fase": "fase",
    "behoeften": "behoeften",
    "themas": "themas",
    "updated": "bijgewerkt",
    "faseGeschiedenis": "fasegeschiedenis",
    "budget": "budget",
    "startdatum": "startdatum",
}
THEMA_SNAPSHOT = {
    "themaStatus": "status",
    "wieIsAanZet": "wieIsAanZet",
    "prioriteit": "prioriteit",
    "updated": "bijgewerkt",
}
MEETING_SNAPSHOT = {
    "name": "titel",
    "summary": "samenvatting",
    "aanmeldingen": "aantalAanmeldingen",
    "annuleringsreden": "redenAnnulering",
    "updated": "bijgewerkt",
}


def _snapshot(keys: dict[str, str], wire: dict[str, Any]) -> dict[str, Any]:
    unknown = set(wire) - set(keys)
    if unknown:
        raise TypeError(f"no snapshot key for {sorted(unknown)}: pass it in `extra`")
    return {keys[name]: value for name, value in wire.items()}


def _json(document: Any, media: str = "application/activity+json") -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(document).encode(), headers={"Content-Type": media}
    )


class Router(httpx.AsyncBaseTransport):
    """Sends each request to the transport of its host."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]):
        self.routes = routes

    def add(self, host: str, transport: httpx.AsyncBaseTransport) -> None:
        self.routes[host] = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.routes.get(request.url.netloc.decode())
        if transport is None:
            raise httpx.ConnectError(f"no such host {request.url.host}", request=request)
        return await transport.handle_async_request(request)


def kern_transport(kern: FakeKern) -> httpx.MockTransport:
    return httpx.MockTransport(kern.handler)


async def follow_kern(
    app, http: httpx.AsyncClient, token: str, kern: FakeKern, accept: bool = True
) -> int:
    """Add a kern in beheer, deliver the Follow, and let the kern accept it; its kern id."""
    response = await http.post(
        "/beheer/kernen",
        data={
            "csrf": token,
            "address": f"@{kern.profile.username}@{kern.host}",
            "rollout": "pilot",
        },
    )
    assert response.status_code == 303, response.text
    await app.state.federation.deliver()
    assert any(a.get("type") == "Follow" for a in kern.received)
    if accept:
        answer = await kern.push(http, kern.answer("Accept"))
        assert answer.status_code == 202, answer.text
    kern_id = app.state.db.scalar("SELECT id FROM gemeente_kernen WHERE actor_id = ?", (kern.id,))
    return int(kern_id)
