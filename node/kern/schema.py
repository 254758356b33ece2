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
