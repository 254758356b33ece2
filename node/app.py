"""create_app(settings) -> Starlette: the explicit list of routes and middleware of a node."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from node.db import Database
from node.settings import Settings
from node.web import errors
from node.web.csrf import OriginCheckMiddleware
from node.web.middleware import (
    BodySizeLimitMiddleware,
    PageCacheMiddleware,
    SecurityHeadersMiddleware,
)
from node.web.schema import core
from node.web.templating import STATIC_DIR, create_environment
from node.web.worker import Job, Worker

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


def open_database(settings: Settings) -> Database:
    from node.kern.schema import kern

    migrations = [core, kern] if settings.role == "kern" else [core]
    return Database(settings.database_path).open(migrations)


MAIL_INTERVAL = 10
PRIVACY_INTERVAL = 3600


def background_jobs(settings: Settings, db: Database) -> list[Job]:
    """The periodic jobs of a node, for the server's lifespan and for `bloei worker`."""
    if settings.role != "kern":
        return []
    from node.kern import privacy
    from node.web import mailer

    return [
        Job("mail", MAIL_INTERVAL, lambda: mailer.process_next(db, settings)),
        Job("privacy", PRIVACY_INTERVAL, lambda: privacy.run_retention(db, settings)),
    ]


def create_app(settings: Settings, database: Database | None = None) -> Starlette:
    db = database or open_database(settings)
    settings.media_dir.mkdir(exist_ok=True)

    from node.kern.routes import kern_routes

    routes = [
        *kern_routes(),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/media", StaticFiles(directory=settings.media_dir, check_dir=False), name="media"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = Worker(background_jobs(settings, db) if settings.background_jobs else [])
        await worker.start()
        app.state.worker = worker
        try:
            yield
        finally:
            # Stop the jobs before the database closes under them.
            await worker.stop()
            db.close()

    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY),
        Middleware(OriginCheckMiddleware, public_url=settings.public_url),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_days * 24 * 3600,
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
    ]
    if settings.page_cache:
        middleware.insert(
            1,
            Middleware(
                PageCacheMiddleware, data_version=db.data_version, session_cookie=SESSION_COOKIE
            ),
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: errors.http_exception, Exception: errors.server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = create_environment()
    app.state.site = SiteInfo(db)
    from node.kern.beheer import MENU

    app.state.beheer_menu = MENU
    return app


def route_names(app: Starlette) -> list[str]:
    return [r.path for r in app.routes if isinstance(r, Route)]
