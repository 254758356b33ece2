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
    list_unsubscribe: str = "",
) -> int:
    """Queue one plain-text message; `purpose` names why (rsvp.confirm, idea.new, ...).

    `list_unsubscribe` is the https address that ends what this mail is part of (a
    subscription): the sender puts it in the List-Unsubscribe headers (RFC 8058).
    """
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    encoded = [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "data": base64.b64encode(a.data).decode("ascii"),
        }
        for a in attachments
    ]
    values = {
        "purpose": purpose,
        "to_address": to_address,
        "subject": subject,
        "body": body,
        "attachments": json.dumps(encoded),
        "created_at": stamp,
        "next_try_at": stamp,
    }
    if list_unsubscribe:
        values["list_unsubscribe"] = list_unsubscribe
    columns = ", ".join(values)
    cursor = conn.execute(
        f"INSERT INTO mail_queue ({columns}) VALUES ({', '.join(':' + k for k in values)})",
        values,
    )
    return int(cursor.lastrowid)


def decode_attachments(raw: str) -> list[Attachment]:
    return [
        Attachment(item["filename"], item["content_type"], base64.b64decode(item["data"]))
        for item in json.loads(raw)
    ]
