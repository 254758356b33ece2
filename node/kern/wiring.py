"""What node/app.py needs to run a node in the kern role, in one place (as the gemeente's).

The database is opened with the kern's migrations and two before-commit hooks: the publisher
(recorded changes become signed activities) and the mail effects (what happened becomes the
mails about it), so every write carries its activities and mails in its own transaction.
"""

from __future__ import annotations

import jinja2
from sqlite_utils.migrations import Migrations
from starlette.middleware import Middleware

from federation.store import migrations as federation_tables
from node.db import Database
from node.jobs import Job
from node.kern import address_counts
from node.kern.federation.actor import announce_profile_change
from node.kern.federation.pages import ActivityJsonMiddleware
from node.kern.federation.publishing import attach_publisher
from node.kern.federation.runtime import KernFederation
from node.kern.federation.schema import kern_federation
from node.kern.happenings import happenings_table
from node.kern.learning import agenda_reminder
from node.kern.mail_effects import attach_mail_effects
from node.kern.meetings import evaluations, rsvp
from node.kern.moving.moved import MovedMiddleware
from node.kern.neighbours import refresh as neighbours
from node.kern.privacy import model as privacy
from node.kern.routes import kern_routes
from node.kern.schema import kern
from node.kern.site.menu import MENU
from node.kern.subscriptions import sending as subscriptions
from node.kern.subscriptions.routes import UNSUBSCRIBE_PREFIX
from node.mail import mailer, notices
from node.role import RoleParts
from node.schema import core
from node.settings import Settings
from node.web.templating import create_environment

MAIL_INTERVAL = 10
PRIVACY_INTERVAL = 3600
SUBSCRIPTIONS_INTERVAL = 60


def migrations() -> list[Migrations]:
    return [core, kern, federation_tables, kern_federation, happenings_table]


def open_database(settings: Settings, templates: jinja2.Environment | None = None) -> Database:
    db = Database(settings.database_path).open(migrations())
    # Every write from now on publishes the events it records and queues the mails about
    # what it did, in its own transaction.
    attach_publisher(db, settings)
    attach_mail_effects(db, settings, templates or create_environment())
    return db


def parts(settings: Settings, db: Database, templates: jinja2.Environment | None) -> RoleParts:
    federation = KernFederation(settings, db, db.services["publisher"])
    return RoleParts(
        federation=federation,
        routes=kern_routes(),
        menu=MENU,
        templates=templates or create_environment(),
        # Innermost: its JSON answers are cached like pages, keyed by the Accept header.
        middleware=[Middleware(ActivityJsonMiddleware)],
        # In front of the page cache: once moved, no stored page is served instead.
        front_middleware=[Middleware(MovedMiddleware, db=db, settings=settings)],
        # The kern's name comes from bloei.toml: a new name reaches followers at the next start.
        on_start=[lambda: db.write(announce_profile_change, settings, federation.publisher)],
        cross_site_posts=(UNSUBSCRIBE_PREFIX,),
    )


def background_jobs(
    settings: Settings,
    db: Database,
    federation: KernFederation | None = None,
    templates: jinja2.Environment | None = None,
) -> list[Job]:
    """Mail, retention, expiry and deliveries. `federation` is the app's, so the server's
    delivery job wakes up as soon as a write publishes something; `bloei worker` makes its own."""
    federation = federation or KernFederation(settings, db, db.services["publisher"])
    templates = templates or create_environment()
    return [
        Job("mail", MAIL_INTERVAL, lambda: mailer.process_next(db, settings)),
        Job("privacy", PRIVACY_INTERVAL, lambda: privacy.run_retention(db, settings)),
        # What only lives a day or two: unconfirmed large RSVPs (an expired link already
        # fails; this removes the names and addresses) and yesterday's address keys.
        Job(
            "expiry", PRIVACY_INTERVAL, lambda: (rsvp.run_expiry(db), address_counts.run_expiry(db))
        ),
        # Learning: a meeting's evaluation figures once its answers settled, and the
        # reminder when the kernagenda is half a year old (each idempotent, so hourly is fine).
        Job(
            "learning",
            PRIVACY_INTERVAL,
            lambda: (
                evaluations.run_publishing(db, settings),
                agenda_reminder.run_reminder(db, settings),
            ),
        ),
        # What other kernen do on the same thema's, read from the gemeente's open API.
        Job(
            "neighbours",
            neighbours.JOB_INTERVAL,
            lambda: neighbours.run_refresh(db, settings, federation.new_fetcher),
        ),
        # The daily mail of each beheerder who chose it (at most one a day, so hourly is fine).
        Job(
            "notices",
            PRIVACY_INTERVAL,
            lambda: notices.run_digests(db, settings, templates),
        ),
        # Residents who follow the kern by mail: new items from the events, weekly digests.
        Job(
            "subscriptions",
            SUBSCRIPTIONS_INTERVAL,
            lambda: subscriptions.run_subscriptions(db, settings, templates),
        ),
        federation.delivery_job(),
    ]
