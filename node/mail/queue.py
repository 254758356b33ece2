"""Queueing mail: a message is written to the database in the caller's transaction.

The sender (node/mail/mailer.py) takes it from there, so a change and the mail about it land
together or not at all, and an SMTP server that is down loses nothing.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def queue_mail(
    conn: sqlite3.Connection,
    purpose: str,
    to_address: str,
    subject: str,
    body: str,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
) -> int:
    """Queue one plain-text message; `purpose` names why (rsvp.confirm, idea.new, ...)."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    encoded = [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "data": base64.b64encode(a.data).decode("ascii"),
        }
        for a in attachments
    ]
    cursor = conn.execute(
        """INSERT INTO mail_queue (purpose, to_address, subject, body, attachments, created_at,
           next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (purpose, to_address, subject, body, json.dumps(encoded), stamp, stamp),
    )
    return int(cursor.lastrowid)


def decode_attachments(raw: str) -> list[Attachment]:
    return [
        Attachment(item["filename"], item["content_type"], base64.b64decode(item["data"]))
        for item in json.loads(raw)
    ]
