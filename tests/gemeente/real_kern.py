"""Real kern nodes for the gemeente tests: each a kern app in process, in its own folder, that
the gemeente reaches through httpx's ASGI transport. What crosses the wire is what the kern's own
code publishes (node/kern/federation/as_objects.py and its outbox), so a property the kern renames or drops
fails the gemeente's tests instead of passing them against a hand-written copy.

Content goes in through the kern's data functions, the same ones its beheer forms call.
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

import httpx
from gemeente_helpers import GEMEENTE_URL, login

from federation import vocabulary
from federation.delivery import encode
from federation.identity import LocalIdentity
from federation.keys import load_or_create_key_pair
from federation.signatures import sign_cavage
from node.app import create_app, open_database
from node.kern.agenda import model as agenda
from node.kern.meetings import model as meetings
from node.kern.projects import model as projects
from node.settings import create_secret, load_settings, write_config
from node.web import auth

KERN_PASSWORD = "test-wachtwoord-kern"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')

THEMA = {
    "description": "Waar het dorp mee bezig is.",
    "priority": "hoog",
    "status": "loopt",
    "actor": "gemeente",
    "actor_other": "",
}
PROJECT = {
    "summary": "Samen aan de slag.",
    "description": "Een project van de kern.",
    "trekker_name": "",
    "trekker_consent": False,
    "ladder": "adviseren",
    "needs": [],
    "budget_requested": None,
    "budget_granted": None,
    "budget_source": "",
    "start_date": "2026-01-10",
    "target_date": None,
}
MEETING = {
    "description": "Dorpsavond in het dorpshuis.",
    "place_name": "Dorpshuis",
    "place_address": "Kerkstraat 1",
    "capacity": None,
}


@functools.cache
def template_kern(host: str, name: str) -> Path:
    """A migrated kern folder with its keys, made once per run per host: RSA is slow."""
    root = Path(tempfile.mkdtemp(prefix=f"bloei-kern-{host}-"))
    atexit.register(shutil.rmtree, root, True)
    folder = root / "kern"
    folder.mkdir()
    write_config(
        folder,
        {
            "role": "kern",
            "name": name,
            "slug": name.lower(),
            "public_url": f"http://{host}",
            "dev": True,
            "background_jobs": False,
            "gemeente_actor": GEMEENTE_URL + "/actor",
        },
    )
    create_secret(folder)
    load_or_create_key_pair(folder / "keys", rsa_bits=2048)
    database = open_database(load_settings(folder))
    database.write(
        lambda conn: auth.create_user(
            conn, "anna", "Anna de Vries", "beheerder", KERN_PASSWORD, must_change_password=False
        )
    )
    database.close()
    return folder


class Reachable(httpx.AsyncBaseTransport):
    """The kern's ASGI app, or a refused connection while the kern is down."""

    def __init__(self, kern: RealKern):
        self.kern = kern
        self.asgi = httpx.ASGITransport(app=kern.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.kern.requests.append(request)
        if not self.kern.up:
            raise httpx.ConnectError("the kern is down", request=request)
        if request.method == "POST" and request.url.path in ("/actor/inbox", "/inbox"):
            self.kern.received.append(json.loads(await request.aread()))
        return await self.asgi.handle_async_request(request)


class Answers(httpx.AsyncBaseTransport):
    """The kern's way out: each answer to what it sent is noted, as (method, URL, status)."""

    def __init__(self, kern: RealKern, transport: httpx.AsyncBaseTransport):
        self.kern, self.transport = kern, transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.transport.handle_async_request(request)
        self.kern.answers.append((request.method, str(request.url), response.status_code))
        return response


class RealKern:
    """A kern node in process: its app, database and settings, and its content helpers."""

    def __init__(self, tmp_path: Path, host: str, name: str):
        self.host = host
        self.base = f"http://{host}"
        self.name = name
        folder = tmp_path / host
        shutil.copytree(template_kern(host, name), folder)
        self.settings = load_settings(folder)
        self.db = open_database(self.settings)
        self.app = create_app(self.settings, self.db)
        self.up = True
        self.requests: list[httpx.Request] = []
        self.received: list[dict[str, Any]] = []  # what was POSTed to its inbox, as sent
        self.answers: list[tuple[str, str, int]] = []  # what others answered its requests
        self.objects: dict[str, str] = {}  # title -> object id, of what the helpers made

    @property
    def id(self) -> str:
        return self.app.state.federation.publisher.identity.actor_id

    @property
    def identity(self) -> LocalIdentity:
        return self.app.state.federation.publisher.identity

    @property
    def username(self) -> str:
        return self.settings.slug

    @property
    def address(self) -> str:
        return f"@{self.username}@{self.host}"

    def transport(self) -> httpx.AsyncBaseTransport:
        return Reachable(self)

    def use_transport(self, transport: httpx.AsyncBaseTransport) -> None:
        self.app.state.federation.use_transport(Answers(self, transport))

    def close(self) -> None:
        self.db.close()

    def url(self, path: str) -> str:
        return self.settings.url(path)

    async def deliver(self, failing: bool = False):
        """Publish what changed and deliver it to the followers, as the kern's worker does;
        every delivery must succeed unless `failing`."""
        report = await self.app.state.federation.deliver()
        assert failing or report.failed == 0, report
        return report

    def outbox_length(self) -> int:
        return int(self.db.scalar("SELECT count(*) FROM federation_outbox"))

    async def push_by_hand(
        self, http: httpx.AsyncClient, obj: dict[str, Any], sign: bool = True
    ) -> httpx.Response:
        """POST a Create of a hand-written object to the gemeente's inbox, with this kern's
        HTTP signature and (if `sign`) its proof: for input the kern's own code never sends."""
        activity = vocabulary.create(
            self.id,
            obj,
            activity_id=vocabulary.new_id(self.id + "/activities"),
            published=datetime.now(UTC),
            to=[vocabulary.PUBLIC],
        )
        body = encode(self.identity.sign(activity) if sign else activity)
        url = GEMEENTE_URL + "/actor/inbox"
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
        return await http.post("/actor/inbox", content=body, headers=headers)

    async def answer(self, reactie_id: str, text: str):
        """Anna answers a reactie of the gemeente through the kern's beheer form; delivered."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=self.base) as http:
            signed_in = await http.post(
                "/beheer/inloggen", data={"username": "anna", "password": KERN_PASSWORD}
            )
            assert signed_in.status_code == 303, signed_in.text
            form = await http.get(f"/beheer/gemeente/antwoord?op={reactie_id}")
            assert form.status_code == 200, form.text
            token = CSRF_RE.search(form.text).group(1)
            sent = await http.post(
                f"/beheer/gemeente/antwoord?op={reactie_id}", data={"csrf": token, "text": text}
            )
            assert sent.status_code == 303, sent.text
        return await self.deliver()

    # --- content, through the kern's own data functions ---

    def thema(self, title: str, actor: str = "gemeente", **changes: Any) -> str:
        """A thema on the agenda; its object id."""
        values = {**THEMA, "title": title, "actor": actor, **changes}
        slug = self.db.write(agenda.save_thema, self.settings, "test", values)
        return self._made(title, f"/agenda/themas/{slug}")

    def project(
        self,
        title: str,
        themas: tuple[str, ...] = (),
        phase: str = "idee",
        updated_at: str | None = None,
        **changes: Any,
    ) -> str:
        """A project; its object id. `updated_at` backdates the change the kern publishes."""
        thema_ids = [self._thema_id(object_id) for object_id in themas]
        values = {**PROJECT, "title": title, **changes}
        with _clock(projects, updated_at):
            slug = self.db.write(
                projects.save_project, self.settings, "test", values, thema_ids, phase=phase
            )
        return self._made(title, projects.project_path(slug))

    def meeting(
        self, title: str, starts: datetime, cancelled: str | None = None, **changes: Any
    ) -> str:
        """A meeting of two hours from `starts`, cancelled with a reason if given; its id."""
        values = {
            **MEETING,
            "title": title,
            "starts_at": meetings.utc_iso(starts),
            "ends_at": meetings.utc_iso(starts + timedelta(hours=2)),
            **changes,
        }
        slug = self.db.write(meetings.create_meeting, self.settings, "test", values)
        if cancelled:
            meeting_id = self._meeting_id(slug)
            self.db.write(
                meetings.cancel_meeting,
                self.settings,
                "test",
                meeting_id,
                cancelled,
            )
        return self._made(title, meetings.meeting_path(slug))

    def rename_meeting(self, object_id: str, title: str, updated_at: str | None = None) -> None:
        """A new title; `updated_at` backdates the change the kern publishes."""
        slug = object_id.rsplit("/", 1)[1]
        row = meetings.get_meeting(self.db.read(), slug)
        values = {key: row[key] for key in ("description", "place_name", "place_address")}
        values.update(
            title=title, starts_at=row["starts_at"], ends_at=row["ends_at"], capacity=None
        )
        with _clock(meetings, updated_at):
            self.db.write(
                meetings.update_meeting,
                self.settings,
                "test",
                row["id"],
                values,
                [],
                [],
            )

    def remove_meeting(self, object_id: str) -> None:
        slug = object_id.rsplit("/", 1)[1]
        self.db.write(meetings.remove_meeting, self.settings, "test", self._meeting_id(slug))

    def _made(self, title: str, path: str) -> str:
        self.objects[title] = self.url(path)
        return self.objects[title]

    def _thema_id(self, object_id: str) -> int:
        slug = object_id.rsplit("/", 1)[1]
        return int(self.db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,)))

    def _meeting_id(self, slug: str) -> int:
        return int(self.db.scalar("SELECT id FROM meetings WHERE slug = ?", (slug,)))


class _clock:
    """Within the block, the module's `now()` answers `at` (when given)."""

    def __init__(self, module: Any, at: str | None):
        self.module, self.at, self.saved = module, at, module.now

    def __enter__(self) -> None:
        if self.at is not None:
            self.module.now = lambda: self.at

    def __exit__(self, *exc: object) -> None:
        self.module.now = self.saved


async def follow(gemeente_app, http: httpx.AsyncClient, token: str, kern: RealKern) -> int:
    """Add a kern in beheer, deliver the Follow, let the kern's Accept arrive; its kern id."""
    response = await http.post(
        "/beheer/kernen", data={"csrf": token, "address": kern.address, "rollout": "pilot"}
    )
    assert response.status_code == 303, response.text
    report = await gemeente_app.state.federation.deliver()
    assert report.done >= 1 and report.failed == 0, report
    await kern.deliver()  # the Accept
    kern_id = gemeente_app.state.db.scalar(
        "SELECT id FROM gemeente_kernen WHERE actor_id = ?", (kern.id,)
    )
    return int(kern_id)


def soon(days: int = 3) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)


__all__ = ["RealKern", "follow", "login", "soon"]
