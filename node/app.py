"""create_app(settings) -> Starlette: the explicit list of routes and middleware of a node."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from node import positions
from node.db import Database
from node.diskwatch import DiskWatch
from node.jobs import Job, Worker
from node.schema import core
from node.settings import Settings
from node.storage import StorageError
from node.web import errors
from node.web.client_address import ClientAddressMiddleware
from node.web.compression import CompressionMiddleware
from node.web.csrf import OriginCheckMiddleware
from node.web.middleware import (
    BodySizeLimitMiddleware,
    PageCacheMiddleware,
    SecurityHeadersMiddleware,
    ServerErrorPageMiddleware,
)
from node.web.security_txt import security_txt_route
from node.web.templating import STATIC_DIR, create_environment

SESSION_COOKIE = "bloei_sessie"
MAX_BODY = 12 * 1024 * 1024


class SiteInfo:
    """The group's own texts and contact details from the `site` table, read once per change."""

    def __init__(self, db: Database):
        self.db = db
        self._version = -1
        self._values: dict = {}

    def __call__(self) -> dict:
        version = self.db.data_version()
        if version != self._version:
            rows = self.db.execute("SELECT key, value FROM site")
            self._values = {row["key"]: json.loads(row["value"]) for row in rows}
            self._version = version
        return self._values


def open_database(settings: Settings, templates: jinja2.Environment | None = None) -> Database:
    """The node's database, wired: its writes publish their events and queue their mails
    (rendered with `templates`, a fresh environment when left out)."""
    db = _open_database_of_role(settings, templates)
    # Outbox positions must stay above those handed out before a restore (node/positions.py).
    positions.guard(db, settings.data_dir)
    return db


def _open_database_of_role(settings: Settings, templates: jinja2.Environment | None) -> Database:
    if settings.role == "gemeente":
        from node.gemeente import wiring

        return wiring.open_database(settings)
    if settings.role != "kern":
        return Database(settings.database_path).open([core])
    from federation.store import migrations as federation_tables
    from node.kern.federation_schema import kern_federation
    from node.kern.happenings import happenings_table
    from node.kern.mail_effects import attach_mail_effects
    from node.kern.publishing import attach_publisher
    from node.kern.schema import kern

    db = Database(settings.database_path).open(
        [core, kern, federation_tables, kern_federation, happenings_table]
    )
    # Every write from now on publishes the events it records and queues the mails about
    # what it did, in its own transaction.
    attach_publisher(db, settings)
    attach_mail_effects(db, settings, templates or create_environment())
    return db


MAIL_INTERVAL = 10
PRIVACY_INTERVAL = 3600


def background_jobs(settings: Settings, db: Database, federation=None) -> list[Job]:
    """The periodic jobs of a node, for the server's lifespan and for `bloei worker`.

    `federation` is the app's KernFederation, so the server's delivery job wakes up as soon as
    a write publishes something; `bloei worker` makes its own.
    """
    if settings.role == "gemeente":
        from node.gemeente import wiring

        return wiring.background_jobs(settings, db, federation)
    if settings.role != "kern":
        return []
    from node.kern import address_counts, privacy, rsvp
    from node.mail import mailer

    jobs = [
        Job("mail", MAIL_INTERVAL, lambda: mailer.process_next(db, settings)),
        Job("privacy", PRIVACY_INTERVAL, lambda: privacy.run_retention(db, settings)),
        # What only lives a day or two: unconfirmed large RSVPs (an expired link already
        # fails; this removes the names and addresses) and yesterday's address keys.
        Job(
            "expiry", PRIVACY_INTERVAL, lambda: (rsvp.run_expiry(db), address_counts.run_expiry(db))
        ),
    ]
    if federation is None:
        from node.kern.federation_runtime import KernFederation

        federation = KernFederation(settings, db, db.services["publisher"])
    return [*jobs, federation.delivery_job()]


def create_app(
    settings: Settings,
    database: Database | None = None,
    *,
    templates: jinja2.Environment | None = None,
    page_cache_bytes: int | None = None,
) -> Starlette:
    """One node's app. A host serving several kernen (node/sites.py) passes the `templates`
    they share and a smaller `page_cache_bytes` for each; a single node leaves both out."""
    db = database or open_database(settings, templates)
    shared_templates = templates
    settings.media_dir.mkdir(exist_ok=True)
    disk_watch = DiskWatch(settings)

    role_middleware: list[Middleware] = []
    front_middleware: list[Middleware] = []
    on_start: list[Callable[[], object]] = []
    if settings.role == "gemeente":
        from node.gemeente import wiring

        parts = wiring.parts(settings, db)
        federation, role_routes, menu, templates = (
            parts.federation,
            parts.routes,
            parts.menu,
            parts.templates,
        )
    else:
        from node.kern.beheer import MENU as menu
        from node.kern.federation_pages import ActivityJsonMiddleware
        from node.kern.federation_runtime import KernFederation
        from node.kern.kern_actor import announce_profile_change
        from node.kern.moved import MovedMiddleware
        from node.kern.routes import kern_routes

        federation = KernFederation(settings, db, db.services["publisher"])
        role_routes = kern_routes()
        # Innermost: its JSON answers are cached like pages, keyed by the Accept header.
        role_middleware = [Middleware(ActivityJsonMiddleware)]
        # In front of the page cache: once moved, no stored page is served instead.
        front_middleware = [Middleware(MovedMiddleware, db=db, settings=settings)]
        # The kern's name comes from bloei.toml: a new name reaches followers at the next start.
        on_start.append(lambda: db.write(announce_profile_change, settings, federation.publisher))
        templates = shared_templates or create_environment()
    routes = [
        *role_routes,
        Route("/.well-known/security.txt", security_txt_route),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/media", StaticFiles(directory=settings.media_dir, check_dir=False), name="media"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for start in on_start:
            start()
        jobs = (
            [*background_jobs(settings, db, federation), disk_watch.job()]
            if settings.background_jobs
            else []
        )
        worker = Worker(jobs)
        await worker.start()
        app.state.worker = worker
        try:
            yield
        finally:
            # Stop the jobs before the database closes under them.
            await worker.stop()
            await federation.aclose()
            db.close()

    middleware = [
        Middleware(SecurityHeadersMiddleware),
        # Inside the headers: a 500 page carries them like every other answer.
        Middleware(ServerErrorPageMiddleware),
        Middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY),
        Middleware(
            OriginCheckMiddleware,
            public_url=settings.public_url,
            on_refusal=errors.forbidden_cross_site,
        ),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_days * 24 * 3600,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
        *role_middleware,
    ]
    if settings.page_cache:
        middleware.insert(
            2,
            Middleware(
                PageCacheMiddleware,
                data_version=db.data_version,
                session_cookie=SESSION_COOKIE,
                **({} if page_cache_bytes is None else {"max_total_bytes": page_cache_bytes}),
            ),
        )
    middleware[2:2] = front_middleware
    # Outside the page cache, so it keeps one (plain) form of every answer.
    middleware.insert(0, Middleware(CompressionMiddleware))
    # Outermost: everything after it sees the visitor's address, not the proxy's.
    middleware.insert(
        0, Middleware(ClientAddressMiddleware, trusted_proxies=settings.trusted_proxies)
    )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        # Any other exception is the 500 page of ServerErrorPageMiddleware.
        exception_handlers={
            HTTPException: errors.http_exception,
            StorageError: errors.storage_failure,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = templates
    app.state.site = SiteInfo(db)
    app.state.federation = federation
    app.state.beheer_menu = menu
    app.state.disk_watch = disk_watch
    return app


def route_names(app: Starlette) -> list[str]:
    return [r.path for r in app.routes if isinstance(r, Route)]
