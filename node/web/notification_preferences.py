"""Who hears of what by mail: each person's choice per subject, and the tables behind it.

Kern beheerders and gemeente staff choose per subject (new ideas, a kern's answer, ...)
between a mail at once, one mail a day with everything together (the digest), or none.
The choices live here, beside the users; node/mail/notices.py queues the mails or keeps the
items for the digest, and sends the digest once a day. The subjects differ per role; both
roles have the same tables (core migration 0005_notification_preferences, node/schema.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from node.web.i18n import lazy

DIRECT = "direct"
DIGEST = "dagelijks"
NONE = "geen"
MODES = (DIRECT, DIGEST, NONE)
MODE_LABELS = {
    DIRECT: lazy("Meteen een mail"),
    DIGEST: lazy("Eén mail per dag met alles samen"),
    NONE: lazy("Geen mail"),
}


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    default: str


KERN_TOPICS = (
    Topic("reacties", lazy("Reacties van de gemeente"), DIRECT),
    Topic("berichten", lazy("Berichten van de gemeente"), DIRECT),
    Topic("ideeen", lazy("Nieuwe ideeën van inwoners"), DIRECT),
    Topic("vrijwilligers", lazy("Nieuwe vrijwilligers voor een project"), DIRECT),
    Topic("aanmeldingen", lazy("Aanmeldingen voor een bijeenkomst"), DIGEST),
)
GEMEENTE_TOPICS = (
    Topic("antwoorden", lazy("Antwoorden van kernen op een reactie"), DIRECT),
    Topic("projecten", lazy("Nieuwe projecten van kernen"), DIGEST),
    Topic("gesprekken", lazy("Nieuwe gesprekken van collega's met kernen"), DIGEST),
)


def topics_of(role: str) -> tuple[Topic, ...]:
    return GEMEENTE_TOPICS if role == "gemeente" else KERN_TOPICS


def receiving_roles(role: str) -> tuple[str, ...]:
    """Who may receive notices: on a kern its beheerders, at the gemeente all staff."""
    return ("beheerder", "medewerker") if role == "gemeente" else ("beheerder",)


def choices(conn: sqlite3.Connection, role: str, user_id: int) -> dict[str, str]:
    """The person's mode per subject, the default where they never chose."""
    chosen = {
        row[0]: row[1]
        for row in conn.execute(
            "SELECT topic, mode FROM notification_preferences WHERE user_id = ?", (user_id,)
        )
    }
    return {t.key: chosen.get(t.key, t.default) for t in topics_of(role)}


def save(conn: sqlite3.Connection, role: str, user_id: int, chosen: dict[str, str]) -> None:
    """Keep a person's choices; subjects or modes not known here are left out."""
    for topic in topics_of(role):
        mode = chosen.get(topic.key)
        if mode in MODES:
            conn.execute(
                """INSERT INTO notification_preferences (user_id, topic, mode) VALUES (?, ?, ?)
                   ON CONFLICT (user_id, topic) DO UPDATE SET mode = excluded.mode""",
                (user_id, topic.key, mode),
            )


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    mode: str


def recipients(conn: sqlite3.Connection, role: str, topic: str) -> list[Recipient]:
    """Every active person of the receiving roles with an e-mail address, with their mode."""
    default = next(t.default for t in topics_of(role) if t.key == topic)
    roles = receiving_roles(role)
    marks = ",".join("?" * len(roles))
    found = conn.execute(
        f"""SELECT u.id, u.email, coalesce(p.mode, ?) AS mode FROM users u
            LEFT JOIN notification_preferences p ON p.user_id = u.id AND p.topic = ?
            WHERE u.disabled = 0 AND u.email != '' AND u.role IN ({marks}) ORDER BY u.id""",
        (default, topic, *roles),
    ).fetchall()
    return [Recipient(row[0], row[1].strip(), row[2]) for row in found]
