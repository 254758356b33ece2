"""What node/app.py needs to run a node in the gemeente role, in one place.

`open_database` and `create_app` choose by `settings.role`; for a gemeente they take the
migrations, routes, beheer menu, templates and background jobs from here.
"""

from __future__ import annotations

import jinja2
from sqlite_utils.migrations import Migrations

from federation.store import migrations as federation_tables
from node import vocabulary
from node.db import Database
from node.gemeente import labels, reminders
from node.gemeente.notices import attach_notices
from node.gemeente.places import PlacesError, places_of
from node.gemeente.routes import gemeente_routes
from node.gemeente.runtime import GemeenteFederation
from node.gemeente.schema import gemeente
from node.jobs import Job
from node.mail import mailer, notices
from node.role import RoleParts
from node.schema import core
from node.settings import Settings, SettingsError
from node.web.i18n import _
from node.web.templating import TEMPLATES_DIR, create_environment

# The gemeente's own base template (and nothing else) comes first: shared beheer templates
# (login, users, log) extend "base.html" and so get the gemeente's header and menu.
LAYOUT_DIR = TEMPLATES_DIR / "gemeente" / "layout"

MAIL_INTERVAL = 10
HOURLY = 3600

# (address, label, only for beheerders)
MENU = [
    ("/beheer", _("Kernen volgen"), False),
    ("/beheer/berichten", _("Berichten en reacties"), False),
    ("/beheer/werklijst", _("Werklijst"), False),
    ("/beheer/gebiedsmakelaars", _("Gebiedsmakelaars"), True),
    ("/beheer/gebruikers", _("Gebruikers"), True),
    ("/beheer/mail", _("Mail"), True),
    ("/beheer/logboek", _("Logboek"), True),
]


def migrations() -> list[Migrations]:
    return [core, federation_tables, gemeente]


def open_database(settings: Settings, templates: jinja2.Environment | None = None) -> Database:
    # Every write from now on tells staff (as each chose) of the kernen's new answers and
    # projects and colleagues' new conversations. The mails are rendered with the gemeente's
    # own templates, so a `templates` given for the shape both roles share is not used.
    db = Database(settings.database_path).open(migrations())
    attach_notices(db, settings, gemeente_templates())
    return db


def gemeente_templates() -> jinja2.Environment:
    env = create_environment()
    env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(LAYOUT_DIR), env.loader])
    env.globals.update(label=vocabulary.label, labels=labels, vocabulary=vocabulary)
    # The `datum` and `datumtijd` filters remember the dates they wrote (create_environment):
    # pages across 26 kernen show hundreds of dates, mostly the same few.
    return env


def parts(settings: Settings, db: Database, templates: jinja2.Environment | None) -> RoleParts:
    try:
        # Checked at start: a mistake in the kernen file stops the node with one line.
        places_of(settings)
    except PlacesError as error:
        raise SettingsError(str(error)) from None
    # The gemeente has a layout of its own, so an environment shared with kernen is not used.
    return RoleParts(
        GemeenteFederation(settings, db), gemeente_routes(), MENU, gemeente_templates()
    )


def background_jobs(
    settings: Settings, db: Database, federation: GemeenteFederation | None = None
) -> list[Job]:
    """Deliveries (the Follows, later reacties), pulls of the kernen's outboxes, and mail: the
    queue, the work list's reminders and the staff's daily mail."""
    federation = federation or GemeenteFederation(settings, db)
    templates = gemeente_templates()
    return [
        federation.delivery_job(),
        federation.pull_job(),
        Job("mail", MAIL_INTERVAL, lambda: mailer.process_next(db, settings)),
        # Each idempotent (a reminder once per conversation and threshold, a daily mail once
        # a day), so running them hourly is enough.
        Job(
            "reminders",
            HOURLY,
            lambda: (
                reminders.run_reminders(db, settings, templates),
                notices.run_digests(db, settings, templates),
            ),
        ),
    ]
