"""Tables every node has, whatever its role: meta, users, the audit log and the event log."""

from sqlite_utils.migrations import Migrations

core = Migrations("core")


@core(name="0001_meta_users_audit_events")
def _initial(db) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta (key, value) VALUES ('data_version', 0)")
    db.execute(
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('beheerder', 'redacteur', 'medewerker')),
            password_hash TEXT NOT NULL,
            must_change_password INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            session_epoch INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            last_login_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX login_attempts_key ON login_attempts (key, at)")
    # Who did what, when: every change in beheer and on the command line.
    db.execute(
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER REFERENCES users (id),
            username TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL DEFAULT '',
            object_id TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX audit_log_at ON audit_log (at)")
    # The seam for federation: every change to a public object, in order, with a snapshot
    # of the object as the public sees it. Federation turns these into activities.
    db.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            verb TEXT NOT NULL CHECK (verb IN ('Create', 'Update', 'Delete')),
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            snapshot TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX events_object ON events (object_id)")
    db.execute(
        """CREATE TABLE site (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )"""
    )


@core(name="0002_login_sessions")
def _login_sessions(db) -> None:
    # A sign-in lives here, not in the cookie: the cookie holds a random token whose hash is
    # token_hash, so signing out (or a new password) ends the session everywhere at once.
    db.execute(
        """CREATE TABLE login_sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            device TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            csrf TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX login_sessions_user ON login_sessions (user_id)")


@core(name="0003_two_step_sign_in")
def _two_step(db) -> None:
    # The TOTP secret (RFC 6238) once two-step sign-in is on; the one being set up until the
    # first code confirms it; and the last time step used, so no code works twice.
    db.execute("ALTER TABLE users ADD COLUMN two_step_secret TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE users ADD COLUMN two_step_pending_secret TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE users ADD COLUMN two_step_enabled_at TEXT")
    db.execute("ALTER TABLE users ADD COLUMN two_step_last_step INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """CREATE TABLE recovery_codes (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL,
            used_at TEXT
        )"""
    )
    db.execute("CREATE INDEX recovery_codes_user ON recovery_codes (user_id)")
    # A session that has passed the password but still waits for the two-step code.
    db.execute("ALTER TABLE login_sessions ADD COLUMN awaiting_code INTEGER NOT NULL DEFAULT 0")


# Now in unix seconds with a fraction (unixepoch('subsec') needs SQLite 3.42).
_NOW_UNIX = "(julianday('now') - 2440587.5) * 86400.0"


@core(name="0004_data_changed_at")
def _data_changed_at(db) -> None:
    # When the data version last moved, kept by the database itself on every bump whoever
    # makes it: the Last-Modified of answers that follow the data version (the outbox, the
    # actor, the open-data API), and it survives a restart.
    db.execute(f"INSERT INTO meta (key, value) VALUES ('data_changed_at', {_NOW_UNIX})")
    db.execute(
        f"""CREATE TRIGGER meta_data_changed_at AFTER UPDATE OF value ON meta
            WHEN NEW.key = 'data_version'
            BEGIN
              UPDATE meta SET value = {_NOW_UNIX} WHERE key = 'data_changed_at';
            END"""
    )


@core(name="0005_notification_preferences")
def _notification_preferences(db) -> None:
    # Each person's choice per subject between a mail at once, a daily mail or none
    # (node/web/notification_preferences.py); both roles have these tables.
    db.execute(
        """CREATE TABLE notification_preferences (
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('direct', 'dagelijks', 'geen')),
            PRIMARY KEY (user_id, topic)
        )"""
    )
    # What waits for someone's daily mail; `sent_at` is set in the transaction that queues
    # that mail, so a restart never sends an item twice nor loses one.
    db.execute(
        """CREATE TABLE notification_digest_items (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            title TEXT NOT NULL,
            url TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )"""
    )
    db.execute(
        "CREATE INDEX notification_digest_waiting ON notification_digest_items (sent_at, user_id)"
    )
    # One daily mail per person per day: the day it went out.
    db.execute(
        """CREATE TABLE notification_digests (
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (user_id, day)
        )"""
    )
