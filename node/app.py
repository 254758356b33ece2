"""create_app(settings) -> Starlette: the explicit list of routes and middleware of a node."""

from __future__ import annotations

import contextlib
import importlib
import json
from collections.abc import AsyncIterator
from types import ModuleType

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route

from node import positions
from node.db import Database
from node.diskwatch import DiskWatch
from node.jobs import Job, Worker
from node.settings import Settings
from node.storage import StorageError
from node.web import errors
from node.web.client_address import ClientAddressMiddleware
from node.web.compression import CompressionMiddleware
from node.web.csrf import OriginCheckMiddleware
from node.web.feedback import FeedbackAnchorMiddleware
from node.web.middleware import (
    BodySizeLimitMiddleware,
    PageCacheMiddleware,
    SecurityHeadersMiddleware,
    ServerErrorPageMiddleware,
)
from node.web.page_validators import PageValidatorsMiddleware
from node.web.security_txt import security_txt_route
from node.web.static_assets import RandomlyNamedFiles, VersionedStaticFiles, release_assets
from node.web.templating import STATIC_DIR

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


# Each role hands the app the same parts (node/role.py); the app never looks inside a role.
# Only the node's own role is imported: a kern's process need not hold the gemeente's
# modules (some 10 MB: its calendar, read model and data-file checks), nor the other way.
ROLE_WIRING = {"kern": "node.kern.wiring", "gemeente": "node.gemeente.wiring"}


def role_wiring(role: str) -> ModuleType:
    """The `wiring` module of a role (node/role.py)."""
    return importlib.import_module(ROLE_WIRING[role])


def open_database(settings: Settings, templates: jinja2.Environment | None = None) -> Database:
    """The node's database, wired by its role: a kern's writes publish their events and queue
    their mails (rendered with `templates`, a fresh environment when left out)."""
    db = role_wiring(settings.role).open_database(settings, templates)
    # Outbox positions must stay above those handed out before a restore (node/positions.py).
    positions.guard(db, settings.data_dir)
    return db


def background_jobs(settings: Settings, db: Database, federation=None) -> list[Job]:
    """The periodic jobs of a node, for the server's lifespan and for `bloei worker`.

    `federation` is the app's, so the server's delivery job wakes up as soon as a write
    publishes something; `bloei worker` makes its own.
    """
    return role_wiring(settings.role).background_jobs(settings, db, federation)


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
    settings.media_dir.mkdir(exist_ok=True)
    disk_watch = DiskWatch(settings)

    parts = role_wiring(settings.role).parts(settings, db, templates)
    federation = parts.federation
    routes = [
        *parts.routes,
        Route("/.well-known/security.txt", security_txt_route),
        Mount("/static", VersionedStaticFiles(release_assets(STATIC_DIR)), name="static"),
        Mount(
            "/media",
            RandomlyNamedFiles(directory=settings.media_dir, check_dir=False),
            name="media",
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for start in parts.on_start:
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
            exempt_prefixes=parts.cross_site_posts,
        ),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_days * 24 * 3600,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
        # Points the redirect after a form at its confirmation (node/web/feedback.py).
        Middleware(FeedbackAnchorMiddleware),
        *parts.middleware,
    ]
    # Just inside the page cache, so the cache keeps each page with its validators.
    middleware.insert(2, Middleware(PageValidatorsMiddleware, session_cookie=SESSION_COOKIE))
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
    middleware[2:2] = parts.front_middleware
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
    app.state.templates = parts.templates
    app.state.site = SiteInfo(db)
    app.state.federation = federation
    app.state.beheer_menu = parts.menu
    app.state.disk_watch = disk_watch
    return app


def route_names(app: Starlette) -> list[str]:
    return [r.path for r in app.routes if isinstance(r, Route)]
