"""The aggregator's own tables, beside `core` and the protocol's (`federation.store`).

* `gemeente_kernen`: every kern the gemeente added, its roll-out phase and how contact goes:
  the outbox position it pulled up to, the newest position the kern reported, failures, and
  when staff stopped following it (`stopped_at`; the row stays, so following it again later
  resumes the same kern), and when its outbox last went back below what was read
  (`went_back_at`, from which position to which; staff see it on the kern's page). Whether the follow is asked, accepted or refused lives in
  `federation_following`.
* `gemeente_activities`: every kern activity applied (or seen and skipped), by id: pull and
  push de-duplicate here, and the overview's "recent changes" read it.
* `gemeente_kern_moves`: each Move of a kern to a new actor (old id, new id, when), so staff
  and the pages can still tell where the kern's older objects came from.
* `gemeente_refused`: activities refused (a proof that fails, an object of another origin),
  kept so staff see what went wrong and where.
* `gemeente_objects`: the faithful copy, one row per object as its kern last described it; a
  deleted object stays as a row marked deleted.
* `gemeente_projects`, `gemeente_project_themas`, `gemeente_phase_changes`,
  `gemeente_project_search` (FTS5), `gemeente_themas`, `gemeente_thema_categories`,
  `gemeente_meetings`: projections of those objects the pages query, kept in the same
  transaction as the copy.
"""

from sqlite_utils.migrations import Migrations

gemeente = Migrations("gemeente")


@gemeente(name="0001_kernen_read_model")
def _initial(db) -> None:
    db.execute(
        """CREATE TABLE gemeente_kernen (
            id INTEGER PRIMARY KEY,
            actor_id TEXT NOT NULL UNIQUE,
            address TEXT NOT NULL,
            name TEXT NOT NULL,
            username TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            inbox TEXT NOT NULL,
            outbox TEXT NOT NULL,
            rollout TEXT NOT NULL DEFAULT 'pilot' CHECK (rollout IN ('pilot', 'uitrol')),
            added_at TEXT NOT NULL,
            settled_at TEXT,
            last_contact_at TEXT,
            last_change_at TEXT,
            last_pull_at TEXT,
            next_pull_at TEXT,
            position INTEGER NOT NULL DEFAULT 0,
            outbox_position INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            last_error_at TEXT,
            refused INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute(
        """CREATE TABLE gemeente_activities (
            id INTEGER PRIMARY KEY,
            activity_id TEXT NOT NULL UNIQUE,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            type TEXT NOT NULL,
            object_id TEXT,
            object_type TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL DEFAULT '',
            published TEXT NOT NULL,
            received_at TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('push', 'pull')),
            outcome TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_activities_kern ON gemeente_activities (kern_id, published)")
    db.execute("CREATE INDEX gemeente_activities_published ON gemeente_activities (published)")
    db.execute(
        """CREATE TABLE gemeente_refused (
            id INTEGER PRIMARY KEY,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            activity_id TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('push', 'pull')),
            at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_refused_kern ON gemeente_refused (kern_id, at)")
    db.execute(
        """CREATE TABLE gemeente_objects (
            object_id TEXT PRIMARY KEY,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            type TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL,
            document TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT
        )"""
    )
    db.execute("CREATE INDEX gemeente_objects_kern ON gemeente_objects (kern_id, type)")
    db.execute(
        """CREATE TABLE gemeente_projects (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL,
            fase TEXT NOT NULL DEFAULT '',
            fase_since TEXT,
            ladder TEXT NOT NULL DEFAULT '',
            behoeften TEXT NOT NULL DEFAULT '[]',
            needs_gemeente INTEGER NOT NULL DEFAULT 0,
            trekker TEXT NOT NULL DEFAULT '',
            startdatum TEXT,
            streefdatum TEXT,
            supporters INTEGER NOT NULL DEFAULT 0,
            requested INTEGER,
            granted INTEGER,
            budget_source TEXT NOT NULL DEFAULT '',
            published_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_projects_kern ON gemeente_projects (kern_id, fase)")
    db.execute("CREATE INDEX gemeente_projects_fase ON gemeente_projects (fase)")
    db.execute("CREATE INDEX gemeente_projects_updated ON gemeente_projects (updated_at)")
    db.execute(
        """CREATE TABLE gemeente_project_themas (
            project_id INTEGER NOT NULL REFERENCES gemeente_projects (id) ON DELETE CASCADE,
            thema_object_id TEXT NOT NULL,
            PRIMARY KEY (project_id, thema_object_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "CREATE INDEX gemeente_project_themas_thema ON gemeente_project_themas (thema_object_id)"
    )
    db.execute(
        """CREATE TABLE gemeente_phase_changes (
            project_id INTEGER NOT NULL REFERENCES gemeente_projects (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            van TEXT NOT NULL DEFAULT '',
            naar TEXT NOT NULL,
            datum TEXT NOT NULL,
            PRIMARY KEY (project_id, seq)
        ) WITHOUT ROWID"""
    )
    # Stemmed words (node.search.terms); the rowid is gemeente_projects.id.
    db.execute("CREATE VIRTUAL TABLE gemeente_project_search USING fts5 (terms)")
    db.execute(
        """CREATE TABLE gemeente_themas (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            prioriteit TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT '',
            wie TEXT NOT NULL DEFAULT '',
            wie_toelichting TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_themas_kern ON gemeente_themas (kern_id)")
    db.execute("CREATE INDEX gemeente_themas_wie ON gemeente_themas (wie)")
    db.execute(
        """CREATE TABLE gemeente_thema_categories (
            thema_id INTEGER NOT NULL REFERENCES gemeente_themas (id) ON DELETE CASCADE,
            category TEXT NOT NULL,
            PRIMARY KEY (category, thema_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE gemeente_meetings (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT,
            location TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            cancelled INTEGER NOT NULL DEFAULT 0,
            cancel_reason TEXT NOT NULL DEFAULT '',
            has_verslag INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_meetings_start ON gemeente_meetings (starts_at)")
    db.execute("CREATE INDEX gemeente_meetings_kern ON gemeente_meetings (kern_id, starts_at)")


@gemeente(name="0002_reacties_needs_since")
def _reacties(db) -> None:
    # When a project first asked for a decision of the gemeente (as the gemeente saw it):
    # the start of the gemeente's response time.
    db.execute("ALTER TABLE gemeente_projects ADD COLUMN needs_since TEXT")
    # What the gemeente said to the kernen, the trail of who said what, when. kern_id is
    # NULL for a gemeentebericht to all kernen.
    db.execute(
        """CREATE TABLE gemeente_reacties (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            activity_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('Reactie', 'Gemeentebericht')),
            kern_id INTEGER REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            in_reply_to TEXT,
            name TEXT NOT NULL DEFAULT '',
            content TEXT NOT NULL,
            author TEXT NOT NULL,
            published TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_reacties_target ON gemeente_reacties (in_reply_to)")
    db.execute("CREATE INDEX gemeente_reacties_kern ON gemeente_reacties (kern_id, published)")


@gemeente(name="0003_page_indexes")
def _page_indexes(db) -> None:
    # The overview's next meeting per kern: one short index range per kern (kern, not
    # cancelled, from now on) instead of numbering every coming meeting of every kern.
    db.execute(
        """CREATE INDEX gemeente_meetings_next
           ON gemeente_meetings (kern_id, cancelled, starts_at)"""
    )


@gemeente(name="0004_kern_moves")
def _kern_moves(db) -> None:
    db.execute(
        """CREATE TABLE gemeente_kern_moves (
            id INTEGER PRIMARY KEY,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            old_actor_id TEXT NOT NULL,
            new_actor_id TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            moved_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_kern_moves_old ON gemeente_kern_moves (old_actor_id)")


@gemeente(name="0005_kern_stopped")
def _kern_stopped(db) -> None:
    # When staff stopped following the kern (node/gemeente/stopping.py); NULL while followed.
    # The row stays after a stop: the gemeente's reacties and the kern's moves point at it.
    db.execute("ALTER TABLE gemeente_kernen ADD COLUMN stopped_at TEXT")


@gemeente(name="0006_kern_outbox_went_back")
def _kern_outbox_went_back(db) -> None:
    # When a pull last found the kern's outbox ending below the position already read (the kern
    # restored an older backup), and the two positions; NULL while that never happened.
    db.execute("ALTER TABLE gemeente_kernen ADD COLUMN went_back_at TEXT")
    db.execute("ALTER TABLE gemeente_kernen ADD COLUMN went_back_from INTEGER")
    db.execute("ALTER TABLE gemeente_kernen ADD COLUMN went_back_to INTEGER")


@gemeente(name="0007_deleted_copies_keep_only_tombstones")
def _deleted_copies(db) -> None:
    # A removed object's copy keeps nothing but its tombstone (readmodel.delete).
    db.execute(
        """UPDATE gemeente_objects SET document = json_object('id', object_id, 'type', 'Tombstone')
           WHERE deleted = 1"""
    )


@gemeente(name="0008_kern_failing_since")
def _kern_failing_since(db) -> None:
    # The first failed pull since the last one that worked; NULL while pulls work. While it is
    # set the gemeente does not know how far behind it is (the lag is "onbekend").
    db.execute("ALTER TABLE gemeente_kernen ADD COLUMN failing_since TEXT")


@gemeente(name="0009_kern_answers_threads")
def _kern_answers_threads(db) -> None:
    # A kern's answers to the gemeente's reacties (readmodel._kern_answer): `reactie_id` is the
    # gemeente's reactie it answers, `about` that reactie's project or thema. The text is kept
    # as plain text, like everything else a kern sends. `closes` is set when the message closed
    # the conversation ("afgerond"), on the kern's answers and on the gemeente's own reacties.
    db.execute(
        """CREATE TABLE gemeente_kern_answers (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            reactie_id TEXT NOT NULL,
            about TEXT NOT NULL,
            content TEXT NOT NULL,
            closes INTEGER NOT NULL DEFAULT 0,
            published TEXT NOT NULL,
            received_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_kern_answers_about ON gemeente_kern_answers (about)")
    db.execute("CREATE INDEX gemeente_kern_answers_reactie ON gemeente_kern_answers (reactie_id)")
    db.execute("ALTER TABLE gemeente_reacties ADD COLUMN closes INTEGER NOT NULL DEFAULT 0")


@gemeente(name="0014_kern_places")
def _kern_places(db) -> None:
    # Which of the municipality's kernen (node/gemeente/places/) a followed node is, when
    # staff chose it in beheer; empty: found from the kern's name.
    db.execute("ALTER TABLE gemeente_kernen ADD COLUMN place TEXT NOT NULL DEFAULT ''")


@gemeente(name="0010_project_budgets")
def _project_budgets(db) -> None:
    # What a kern wrote for a source outside the fixed list (budget_source 'anders'), so
    # Inzicht can sum money per source with the group's own words beside "anders". Projects
    # that arrived before keep '' until their next Update.
    db.execute(
        "ALTER TABLE gemeente_projects ADD COLUMN budget_source_other TEXT NOT NULL DEFAULT ''"
    )


@gemeente(name="0015_gebiedsmakelaars")
def _gebiedsmakelaars(db) -> None:
    # The gebiedsmakelaar: the staff member a kern is assigned to (node/gemeente/assignment.py).
    # Removing the account leaves the kern without one.
    db.execute(
        "ALTER TABLE gemeente_kernen ADD COLUMN staff_user_id INTEGER "
        "REFERENCES users (id) ON DELETE SET NULL"
    )
    # Each reminder sent: one per conversation, per time it started waiting, per threshold, so
    # the job may run as often as it likes (node/gemeente/reminders.py).
    db.execute(
        """CREATE TABLE gemeente_reminders (
            about TEXT NOT NULL,
            since TEXT NOT NULL,
            threshold_days INTEGER NOT NULL,
            sent_at TEXT NOT NULL,
            recipients INTEGER NOT NULL,
            PRIMARY KEY (about, since, threshold_days)
        )"""
    )


@gemeente(name="0016_gemeente_mail")
def _gemeente_mail(db) -> None:
    # The gemeente now mails (reminders and notices): the same queue as a kern's
    # (node/mail/queue.py, node/mail/mailer.py), created with all the columns it has there.
    db.execute(
        """CREATE TABLE mail_queue (
            id INTEGER PRIMARY KEY,
            purpose TEXT NOT NULL,
            to_address TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            attachments TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            next_try_at TEXT NOT NULL,
            tries INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            lease_until TEXT,
            sent_at TEXT,
            given_up_at TEXT,
            retry_since TEXT,
            handed_over_at TEXT
        )"""
    )
    db.execute("CREATE INDEX mail_queue_due ON mail_queue (sent_at, given_up_at, next_try_at)")
    # How far the notices got in each table they watch (node/gemeente/notices.py); the
    # choices per person are core tables (node/schema.py, 0005_notification_preferences).
    db.execute(
        """CREATE TABLE gemeente_notice_marks (
            source TEXT PRIMARY KEY,
            last_id INTEGER NOT NULL
        )"""
    )
    # What was there before needs no notice: the marks start at the newest rows.
    for source, table in (
        ("antwoorden", "gemeente_kern_answers"),
        ("projecten", "gemeente_projects"),
        ("gesprekken", "gemeente_reacties"),
    ):
        db.execute(
            f"INSERT INTO gemeente_notice_marks (source, last_id) "
            f"SELECT ?, coalesce(max(id), 0) FROM {table}",
            [source],
        )


@gemeente(name="0017_partners")
def _partners(db) -> None:
    # The kernen's partner organisations (Partner objects), and which thema's and projects
    # name them with a role (aan_zet or helpt, from their `partners`). Links are by object id,
    # as a project's thema's are: a partner that comes in after its project still joins.
    db.execute(
        """CREATE TABLE gemeente_partners (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            website TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_partners_kern ON gemeente_partners (kern_id)")
    db.execute(
        """CREATE TABLE gemeente_partner_links (
            kern_id INTEGER NOT NULL REFERENCES gemeente_kernen (id) ON DELETE CASCADE,
            object_id TEXT NOT NULL,
            partner_id TEXT NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (object_id, partner_id)
        )"""
    )
    db.execute("CREATE INDEX gemeente_partner_links_partner ON gemeente_partner_links (partner_id)")


@gemeente(name="0018_meeting_change_indexes")
def _meeting_change_indexes(db) -> None:
    # The calendar feed's Last-Modified asks for the newest meeting received or removed. Without
    # these that read every object the kernen published (about 100 ms at 2,600 kernen, on
    # every poll, a 304 too); partial indexes keep only the meetings.
    db.execute(
        "CREATE INDEX gemeente_objects_meeting_received ON gemeente_objects (received_at) "
        "WHERE type = 'Bijeenkomst'"
    )
    db.execute(
        "CREATE INDEX gemeente_objects_meeting_deleted ON gemeente_objects (deleted_at) "
        "WHERE type = 'Bijeenkomst'"
    )


@gemeente(name="0019_thema_categories_by_thema")
def _thema_categories_by_thema(db) -> None:
    # The broad thema's of one thema: read for a kern's thema's (the API's kern filter) and
    # replaced whenever a thema changes. The primary key starts with the category, so both
    # scanned every row (20,800 at 2,600 kernen: 7 ms a read, on every ingested thema too).
    db.execute(
        "CREATE INDEX gemeente_thema_categories_thema ON gemeente_thema_categories (thema_id)"
    )
