"""The kern's own tables: the kernagenda, projects and their phases, support and volunteers."""

from sqlite_utils.migrations import Migrations

kern = Migrations("kern")


@kern(name="0001_agenda_projects")
def _initial(db) -> None:
    db.execute(
        """CREATE TABLE themas (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            priority TEXT NOT NULL CHECK (priority IN ('hoog', 'middel', 'laag')),
            status TEXT NOT NULL CHECK (status IN
                ('nieuw', 'loopt', 'eerste_successen', 'afgerond', 'in_stand_houden')),
            actor TEXT NOT NULL CHECK (actor IN ('inwoners', 'gemeente', 'samen', 'anderen')),
            actor_other TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT
        )"""
    )
    # A published version keeps a frozen copy of every thema as it stood, so versions can be
    # compared long after the thema's themselves have changed.
    db.execute(
        """CREATE TABLE agenda_versions (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            introduction TEXT NOT NULL DEFAULT '',
            published_at TEXT NOT NULL,
            published_by TEXT NOT NULL,
            snapshot TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            phase TEXT NOT NULL CHECK (phase IN ('idee', 'verkenning', 'planvorming',
                'uitvoering', 'afgerond', 'gepauzeerd', 'gestopt')),
            trekker_name TEXT NOT NULL DEFAULT '',
            trekker_consent INTEGER NOT NULL DEFAULT 0,
            ladder TEXT NOT NULL DEFAULT '' CHECK (ladder IN ('', 'informeren', 'raadplegen',
                'adviseren', 'coproduceren', 'meebeslissen', 'zelfbeheer')),
            needs TEXT NOT NULL DEFAULT '[]',
            budget_requested INTEGER,
            budget_granted INTEGER,
            budget_source TEXT NOT NULL DEFAULT '',
            start_date TEXT,
            target_date TEXT,
            photo TEXT,
            photo_alt TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT
        )"""
    )
    db.execute("CREATE INDEX projects_phase ON projects (phase)")
    db.execute(
        """CREATE TABLE project_themas (
            project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
            thema_id INTEGER NOT NULL REFERENCES themas (id) ON DELETE CASCADE,
            PRIMARY KEY (project_id, thema_id)
        )"""
    )
    db.execute("CREATE INDEX project_themas_thema ON project_themas (thema_id)")
    db.execute(
        """CREATE TABLE phase_changes (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
            from_phase TEXT,
            to_phase TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            changed_on TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX phase_changes_project ON phase_changes (project_id, changed_at)")
    db.execute(
        """CREATE TABLE project_updates (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            published_on TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX project_updates_project ON project_updates (project_id)")
    # Support is counted per person without knowing who: only a keyed hash of a random
    # browser token is stored, which says nothing about the resident.
    db.execute(
        """CREATE TABLE supports (
            project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
            supporter TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (project_id, supporter)
        )"""
    )
    db.execute(
        """CREATE TABLE volunteers (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            contact TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            consent_at TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    # Search over everything public, Dutch-aware: the terms column holds stemmed words
    # (Snowball, Dutch) with accents folded; what is shown comes from the display columns.
    db.execute(
        """CREATE VIRTUAL TABLE search_index USING fts5(
            kind UNINDEXED, ref UNINDEXED, url UNINDEXED, title UNINDEXED, summary UNINDEXED,
            terms, tokenize = 'unicode61 remove_diacritics 2'
        )"""
    )


@kern(name="0002_meetings_ideas_news_mail")
def _meetings_ideas_news(db) -> None:
    # A series groups meetings made at once ("every first Monday"); each stays its own row
    # so it can be changed or cancelled on its own.
    db.execute(
        """CREATE TABLE meeting_series (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            rule TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            series_id INTEGER REFERENCES meeting_series (id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            place_name TEXT NOT NULL,
            place_address TEXT NOT NULL DEFAULT '',
            capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
            status TEXT NOT NULL DEFAULT 'gepland' CHECK (status IN ('gepland', 'geannuleerd')),
            cancel_reason TEXT NOT NULL DEFAULT '',
            minutes TEXT NOT NULL DEFAULT '',
            minutes_published_at TEXT,
            sequence INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT,
            CHECK (ends_at > starts_at)
        )"""
    )
    db.execute("CREATE INDEX meetings_starts_at ON meetings (starts_at)")
    db.execute(
        """CREATE TABLE meeting_themas (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            thema_id INTEGER NOT NULL REFERENCES themas (id) ON DELETE CASCADE,
            PRIMARY KEY (meeting_id, thema_id)
        )"""
    )
    db.execute(
        """CREATE TABLE meeting_projects (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
            PRIMARY KEY (meeting_id, project_id)
        )"""
    )
    # An RSVP without an account. The personal link carries a random token; only its hash
    # is stored. Contact details are personal data: removed after the retention period
    # (contact_removed_at says when), never federated, never in the API.
    db.execute(
        """CREATE TABLE rsvps (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            people INTEGER NOT NULL CHECK (people BETWEEN 1 AND 20),
            status TEXT NOT NULL CHECK (status IN ('aangemeld', 'wachtlijst', 'afgemeld')),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            contact_removed_at TEXT
        )"""
    )
    db.execute("CREATE INDEX rsvps_meeting ON rsvps (meeting_id, status, created_at)")
    # A decision in a meeting's verslag can move a project: its phase history points there.
    db.execute("ALTER TABLE phase_changes ADD COLUMN meeting_id INTEGER REFERENCES meetings (id)")
    db.execute(
        """CREATE TABLE ideas (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'nieuw'
                CHECK (status IN ('nieuw', 'gepubliceerd', 'afgewezen')),
            answer TEXT NOT NULL DEFAULT '',
            decline_reason TEXT NOT NULL DEFAULT '',
            token_hash TEXT NOT NULL UNIQUE,
            project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            decided_at TEXT,
            published_at TEXT,
            contact_removed_at TEXT,
            removed_at TEXT
        )"""
    )
    db.execute("CREATE INDEX ideas_status ON ideas (status, created_at)")
    db.execute(
        """CREATE TABLE idea_supports (
            idea_id INTEGER NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
            supporter TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (idea_id, supporter)
        )"""
    )
    db.execute(
        """CREATE TABLE news (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT
        )"""
    )
    db.execute("CREATE INDEX news_published ON news (published_at)")
    # Outgoing mail waits here until the SMTP server took it: a server that is down loses
    # nothing. A worker claims a message with a lease, so two processes never send twice.
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
            given_up_at TEXT
        )"""
    )
    db.execute("CREATE INDEX mail_queue_due ON mail_queue (sent_at, given_up_at, next_try_at)")


@kern(name="0003_mail_privacy")
def _mail_privacy(db) -> None:
    # Volunteers' contact details are removed after the retention period like the others';
    # the row stays so a project keeps its count of volunteers.
    db.execute("ALTER TABLE volunteers ADD COLUMN contact_removed_at TEXT")
    # A beheerder can retry a given-up mail: its retry window starts again from here.
    db.execute("ALTER TABLE mail_queue ADD COLUMN retry_since TEXT")


@kern(name="0004_mail_handed_over")
def _mail_handed_over(db) -> None:
    # Set by `bloei export` on mail the export takes along: the new node sends it, this one
    # never does (node/kern/moving/handover.py).
    db.execute("ALTER TABLE mail_queue ADD COLUMN handed_over_at TEXT")


@kern(name="0005_rsvp_requests")
def _rsvp_requests(db) -> None:
    # A large group's sign-up waits here until its e-mail address is confirmed: it takes no
    # places yet, so made-up addresses cannot fill a meeting. Unconfirmed rows are deleted
    # when they expire (node/kern/meetings/rsvp.py), with the name and address in them.
    db.execute(
        """CREATE TABLE rsvp_requests (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            phone TEXT NOT NULL DEFAULT '',
            people INTEGER NOT NULL CHECK (people BETWEEN 1 AND 20),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX rsvp_requests_expires ON rsvp_requests (expires_at)")
    # When the resident confirmed the address by the link in a mail: such an RSVP may grow
    # beyond the size allowed without one.
    db.execute("ALTER TABLE rsvps ADD COLUMN email_confirmed_at TEXT")


@kern(name="0006_address_counts")
def _address_counts(db) -> None:
    # How often an address supported a project or idea today, or how many places it took at
    # a meeting without a confirmed e-mail address: under a key that changes daily and names
    # no address (node/kern/address_counts.py). Old days are deleted.
    db.execute(
        """CREATE TABLE address_counts (
            kind TEXT NOT NULL CHECK (kind IN ('project', 'idee', 'bijeenkomst')),
            object_id INTEGER NOT NULL,
            address_key TEXT NOT NULL,
            day TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (kind, object_id, address_key, day)
        )"""
    )
    db.execute("CREATE INDEX address_counts_day ON address_counts (day)")


@kern(name="0007_gemeente_answers")
def _gemeente_answers(db) -> None:
    # The kern's answers to the gemeente's reacties (node/kern/conversation/threads.py). `reactie_id` is the
    # gemeente's reactie it answers, `about` the kern's own project or thema (its public URL).
    # `closes` marks an answer that closed the thread ("afgerond").
    db.execute(
        """CREATE TABLE gemeente_answers (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            activity_id TEXT NOT NULL,
            reactie_id TEXT NOT NULL,
            about TEXT NOT NULL,
            content TEXT NOT NULL,
            closes INTEGER NOT NULL DEFAULT 0 CHECK (closes IN (0, 1)),
            author TEXT NOT NULL,
            published TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX gemeente_answers_about ON gemeente_answers (about, published)")
    db.execute("CREATE INDEX gemeente_answers_reactie ON gemeente_answers (reactie_id)")


@kern(name="0008_evaluations_reflections")
def _evaluations_reflections(db) -> None:
    # "Participeren moet je leren": a short anonymous evaluation after a meeting, one per
    # browser (a keyed hash of its random token, as with support: it names nobody), and the
    # group's look back when a project ends (node/kern/meetings/evaluations.py,
    # node/kern/projects/reflection.py).
    db.execute(
        """CREATE TABLE meeting_evaluations (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            evaluator TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            went_well TEXT NOT NULL DEFAULT '',
            could_be_better TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (meeting_id, evaluator)
        )"""
    )
    # The figures the meeting's last published Update carried (how many answers, the sum of
    # their scores): they go out again only when they changed and the answers settled.
    db.execute(
        """CREATE TABLE meeting_evaluation_figures (
            meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
            published_count INTEGER NOT NULL,
            published_sum INTEGER NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE project_reflections (
            project_id INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
            what_worked TEXT NOT NULL DEFAULT '',
            learned TEXT NOT NULL DEFAULT '',
            ladder_reached TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )"""
    )


@kern(name="0016_neighbour_themas")
def _neighbour_themas(db) -> None:
    # What other kernen do on the same thema's (node/kern/neighbours/): the gemeente's list of
    # every kern's thema's, each with the broad category the gemeente matched it to, copied
    # whole at each refresh. `fetches` keeps when the last refresh ran and what went wrong.
    db.execute(
        """CREATE TABLE neighbour_themas (
            url TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kern_name TEXT NOT NULL,
            category TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT '',
            projects INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX neighbour_themas_category ON neighbour_themas (category)")
    db.execute(
        """CREATE TABLE neighbour_fetches (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            tried_at TEXT NOT NULL,
            fetched_at TEXT,
            error TEXT NOT NULL DEFAULT ''
        )"""
    )


@kern(name="0011_budget_sources")
def _budget_sources(db) -> None:
    # What "anders" means when a project's money comes from a source outside the fixed list
    # (a village party, a church collection): free text, kept only with budget_source
    # 'anders'. Old projects get '' and read as before.
    db.execute("ALTER TABLE projects ADD COLUMN budget_source_other TEXT NOT NULL DEFAULT ''")


@kern(name="0019_subscriptions")
def _subscriptions(db) -> None:
    # Residents who follow the kern by e-mail, without an account
    # (node/kern/subscriptions/): the kern's news, its meetings, or one project's updates.
    # Nothing is mailed before the address is confirmed by the link in a mail; an unconfirmed
    # row is deleted when its link expires, an unsubscribed one at once. The confirmation and
    # unsubscribe links are keyed hashes of the row (never stored), so the table holds no
    # secret. `frequency` is what the resident chose; `pending_frequency` a new choice that
    # waits for its own confirmation.
    db.execute(
        """CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            topic TEXT NOT NULL CHECK (topic IN ('nieuws', 'bijeenkomsten', 'project')),
            project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
            frequency TEXT NOT NULL CHECK (frequency IN ('direct', 'wekelijks')),
            pending_frequency TEXT NOT NULL CHECK (pending_frequency IN ('direct', 'wekelijks')),
            created_at TEXT NOT NULL,
            confirm_sent_at TEXT NOT NULL,
            confirmed_at TEXT,
            last_digest_at TEXT,
            CHECK ((topic = 'project') = (project_id IS NOT NULL))
        )"""
    )
    db.execute(
        """CREATE UNIQUE INDEX subscriptions_one_per_topic
           ON subscriptions (email, topic, coalesce(project_id, 0))"""
    )
    # What subscribers hear of, found in the recorded events by the worker: each new item
    # once (`source` names it), mailed at once to `direct` subscribers when it is due
    # (`announced_at`), and gathered in the weekly digest of the others.
    db.execute(
        """CREATE TABLE subscription_items (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL CHECK (topic IN ('nieuws', 'bijeenkomsten', 'project')),
            project_id INTEGER REFERENCES projects (id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL,
            due_at TEXT NOT NULL,
            announced_at TEXT
        )"""
    )
    db.execute("CREATE INDEX subscription_items_due ON subscription_items (announced_at, due_at)")
    # How far the worker read the events table; one row.
    db.execute(
        """CREATE TABLE subscription_cursor (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_event_id INTEGER NOT NULL
        )"""
    )
    db.execute(
        "INSERT INTO subscription_cursor (id, last_event_id) "
        "SELECT 1, coalesce(max(id), 0) FROM events"
    )
    # A mail about a subscription names the address that ends it (RFC 2369 / RFC 8058): the
    # sender puts it in the List-Unsubscribe headers.
    db.execute("ALTER TABLE mail_queue ADD COLUMN list_unsubscribe TEXT NOT NULL DEFAULT ''")


@kern(name="0021_partners")
def _partners(db) -> None:
    # The kern's partner organisations (node/kern/partners/): the sports club, the school, the
    # housing corporation. All of it is public (it is an organisation, not a resident); a
    # removed partner keeps its row so that its address stays a Tombstone.
    db.execute(
        """CREATE TABLE partners (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            website TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            removed_at TEXT
        )"""
    )
    # Who acts ("aan_zet") or helps ("helpt") on a thema or a project.
    for table, column, parent in (
        ("thema_partners", "thema_id", "themas"),
        ("project_partners", "project_id", "projects"),
    ):
        db.execute(
            f"""CREATE TABLE {table} (
                {column} INTEGER NOT NULL REFERENCES {parent} (id) ON DELETE CASCADE,
                partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
                role TEXT NOT NULL CHECK (role IN ('aan_zet', 'helpt')),
                PRIMARY KEY ({column}, partner_id)
            )"""
        )
        db.execute(f"CREATE INDEX {table}_partner ON {table} (partner_id)")


@kern(name="0022_list_indexes")
def _list_indexes(db) -> None:
    # The lists a visitor opens first read the newest few: the home page five projects per
    # phase and the last updates, /projecten one page of 24. With these indexes each is a
    # short walk in the order shown instead of a sort of every live project or update (the
    # home page rendered a third faster without the page cache, bench_pages.py).
    db.execute(
        """CREATE INDEX projects_live_changed ON projects (updated_at DESC, id DESC)
           WHERE removed_at IS NULL"""
    )
    db.execute(
        """CREATE INDEX projects_live_phase_changed
           ON projects (phase, updated_at DESC, id DESC) WHERE removed_at IS NULL"""
    )
    db.execute(
        "CREATE INDEX project_updates_newest ON project_updates (published_on DESC, id DESC)"
    )


@kern(name="0023_neighbour_themas_per_category")
def _neighbour_themas_per_category(db) -> None:
    # The gemeente matches a thema to every broad category its words fit ("Te hard rijden op
    # de dijk" is about traffic and about the dike), and lists it once per category; keyed by
    # its address alone the copy kept only the first, so a thema page missed the kernen
    # working on the same subject under another. Now one row per thema and category.
    db.execute("ALTER TABLE neighbour_themas RENAME TO neighbour_themas_old")
    db.execute("DROP INDEX neighbour_themas_category")
    db.execute(
        """CREATE TABLE neighbour_themas (
            url TEXT NOT NULL,
            name TEXT NOT NULL,
            kern_name TEXT NOT NULL,
            category TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT '',
            projects INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (url, category)
        )"""
    )
    db.execute(
        """INSERT INTO neighbour_themas (url, name, kern_name, category, status, projects)
           SELECT url, name, kern_name, category, status, projects FROM neighbour_themas_old"""
    )
    db.execute("DROP TABLE neighbour_themas_old")
    db.execute("CREATE INDEX neighbour_themas_category ON neighbour_themas (category)")
