"""Sending queued mail over SMTP: claim due messages with a lease, send, record the outcome.

`queue_mail` (node/mail/queue.py) writes a message in the caller's transaction; this module
takes it from there. A message is claimed by setting `lease_until` inside one IMMEDIATE
transaction, so two processes on one database never take the same message. A failure is
retried with a growing delay until `mail_retry_hours` have passed; a mail server that says
"this recipient does not exist" (5xx) is believed at once. Mail that `bloei export` handed to
a new node (node/kern/moving/handover.py) is never claimed here.

`process_next` is synchronous and does one batch; the background worker runs it in a
thread so the event loop never waits for a mail server. Tests call it directly and pass
`now` to move time forward instead of sleeping.
"""

from __future__ import annotations

import hashlib
import smtplib
import sqlite3
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from node.db import Database
from node.email_address import mail_address
from node.mail.queue import decode_attachments
from node.settings import Settings
from node.web.i18n import _, ngettext

# After the 1st, 2nd, ... failure; the last delay repeats until mail_retry_hours have passed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
BATCH_SIZE = 10
SMTP_TIMEOUT = 30
# Longer than a whole batch can take at SMTP_TIMEOUT per message, so a lease never runs out
# while its worker is still sending; a crashed worker's messages wait this long.
LEASE = timedelta(minutes=10)
MAX_ERROR = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """The format every timestamp in the database has, so they compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_from)


def retry_delay(tries: int) -> timedelta:
    """The wait after the `tries`-th failure (1-based)."""
    return RETRY_DELAYS[min(max(tries, 1), len(RETRY_DELAYS)) - 1]


class NotOneAddress(ValueError):
    """A queued message's recipient is not exactly one valid address: it is never sent."""


def recipient(row: sqlite3.Row | dict) -> str:
    """The one address a queued message goes to, as SMTP gets it; raise NotOneAddress for
    anything else (a list, a display name, a comma), so nothing reaches a second inbox."""
    address = mail_address(row["to_address"])
    if address is None:
        raise NotOneAddress(f"not one valid e-mail address: {row['to_address']!r}"[:MAX_ERROR])
    return address


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): retrying will not help."""


class TemporaryFailure(Exception):
    """This message could not be sent now; try again later."""


# --- claiming and recording ------------------------------------------------------------------


def _due_exists(db: Database, now: str, only_id: int | None) -> bool:
    # A read first: claiming is a write, and every write makes the page cache start over.
    return bool(
        db.scalar(
            """SELECT 1 FROM mail_queue WHERE sent_at IS NULL AND given_up_at IS NULL
               AND handed_over_at IS NULL AND next_try_at <= :now
               AND (lease_until IS NULL OR lease_until < :now)
               AND (:id IS NULL OR id = :id) LIMIT 1""",
            {"now": now, "id": only_id},
        )
    )


def _claim(
    conn: sqlite3.Connection, now: str, lease_until: str, limit: int, only_id: int | None
) -> list[sqlite3.Row]:
    return conn.execute(
        """UPDATE mail_queue SET lease_until = :lease
           WHERE id IN (
               SELECT id FROM mail_queue
               WHERE sent_at IS NULL AND given_up_at IS NULL AND next_try_at <= :now
                 AND handed_over_at IS NULL
                 AND (lease_until IS NULL OR lease_until < :now)
                 AND (:id IS NULL OR id = :id)
               ORDER BY next_try_at, id LIMIT :limit)
           RETURNING *""",
        {"now": now, "lease": lease_until, "limit": limit, "id": only_id},
    ).fetchall()


def claim_due(
    db: Database, now: datetime, limit: int = BATCH_SIZE, only_id: int | None = None
) -> list[sqlite3.Row]:
    """Take up to `limit` due messages for this worker; nobody else takes them for LEASE."""
    moment = stamp(now)
    if not _due_exists(db, moment, only_id):
        return []
    rows = db.write(_claim, moment, stamp(now + LEASE), limit, only_id)
    return sorted(rows, key=lambda row: row["id"])


@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    # (id, error, permanent)
    failed: list[tuple[int, str, bool]] = field(default_factory=list)


def _record(
    conn: sqlite3.Connection,
    rows: list[sqlite3.Row],
    outcome: Outcome,
    now: datetime,
    retry_hours: int,
) -> None:
    moment = stamp(now)
    by_id = {row["id"]: row for row in rows}
    for mail_id in outcome.sent:
        conn.execute(
            "UPDATE mail_queue SET sent_at = ?, lease_until = NULL, tries = tries + 1 WHERE id = ?",
            (moment, mail_id),
        )
    for mail_id, error, permanent in outcome.failed:
        row = by_id[mail_id]
        tries = row["tries"] + 1
        since = datetime.fromisoformat(row["retry_since"] or row["created_at"])
        deadline = since + timedelta(hours=retry_hours)
        if permanent or now >= deadline:
            conn.execute(
                """UPDATE mail_queue SET tries = ?, last_error = ?, given_up_at = ?,
                   lease_until = NULL WHERE id = ?""",
                (tries, error[:MAX_ERROR], moment, mail_id),
            )
        else:
            # One last try at the deadline itself, so a mail is never given up early.
            next_try = min(now + retry_delay(tries), deadline)
            conn.execute(
                """UPDATE mail_queue SET tries = ?, last_error = ?, next_try_at = ?,
                   lease_until = NULL WHERE id = ?""",
                (tries, error[:MAX_ERROR], stamp(next_try), mail_id),
            )


# --- building and sending --------------------------------------------------------------------


def _mail_domain(settings: Settings) -> str:
    return urlsplit(settings.public_url).hostname or "localhost"


def header_text(value: str) -> str:
    """`value` on one line: a header may not contain CR or LF (the email package refuses it,
    and a header that is split open is an injection), so line breaks become spaces."""
    return " ".join(value.split())


def build_message(row: sqlite3.Row | dict, settings: Settings, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((header_text(settings.name), settings.smtp_from))
    message["To"] = recipient(row)
    message["Subject"] = header_text(row["subject"])
    message["Date"] = format_datetime(now.astimezone(UTC))
    # Stable per queued message, so a retry after a lost answer is recognisable as the same.
    digest = hashlib.sha256(f"{settings.slug}:{row['id']}:{row['created_at']}".encode())
    message["Message-ID"] = f"<{row['id']}.{digest.hexdigest()[:16]}@{_mail_domain(settings)}>"
    # RFC 3834: no holiday replies or other robots answering back.
    message["Auto-Submitted"] = "auto-generated"
    # Only a kern's queue has the column (node/kern/schema.py, 0019_subscriptions).
    unsubscribe = dict(row).get("list_unsubscribe") or ""
    if unsubscribe:
        # RFC 2369 and RFC 8058: mail programs show an "unsubscribe" button that POSTs
        # "List-Unsubscribe=One-Click" to this address, without a page in between.
        message["List-Unsubscribe"] = f"<{header_text(unsubscribe)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(row["body"], charset="utf-8", cte="quoted-printable")
    for attachment in decode_attachments(row["attachments"]):
        content_type = attachment.content_type.split(";", 1)[0].strip().lower()
        maintype, _sep, subtype = content_type.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


def connect(settings: Settings) -> smtplib.SMTP:
    """An SMTP connection as the settings ask: implicit TLS, STARTTLS or plain; logged in."""
    # The kern's own host name, not socket.getfqdn(), which can wait on a slow DNS.
    helo = _mail_domain(settings)
    context = ssl.create_default_context()
    if settings.smtp_ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            local_hostname=helo,
            timeout=SMTP_TIMEOUT,
            context=context,
        )
    else:
        smtp = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, local_hostname=helo, timeout=SMTP_TIMEOUT
        )
    try:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{error.smtp_code} {text}".strip()
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = []
        for code, text in error.recipients.values():
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            parts.append(f"{code} {text}")
        return "; ".join(parts)
    return f"{type(error).__name__}: {error}".strip().rstrip(":")


def send_one(smtp: smtplib.SMTP, message: EmailMessage, sender: str, to_address: str) -> None:
    """Send one message on an open connection; raise Permanent- or TemporaryFailure."""
    try:
        smtp.send_message(message, from_addr=sender, to_addrs=[to_address])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        failure = PermanentFailure if codes and min(codes) >= 500 else TemporaryFailure
        raise failure(_describe(error)) from error
    except smtplib.SMTPDataError as error:
        failure = PermanentFailure if error.smtp_code >= 500 else TemporaryFailure
        raise failure(_describe(error)) from error
    except smtplib.SMTPSenderRefused as error:
        # Our own address refused: a setting to fix, not a reason to drop residents' mail.
        raise TemporaryFailure(_describe(error)) from error


def _send_batch(rows: list[sqlite3.Row], settings: Settings, now: datetime) -> Outcome:
    outcome = Outcome()
    try:
        smtp = connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        # The server is down or refuses us: nothing was sent, all of them wait and retry.
        reason = _describe(error)
        outcome.failed = [(row["id"], reason, False) for row in rows]
        return outcome
    try:
        for index, row in enumerate(rows):
            try:
                message = build_message(row, settings, now)
                send_one(smtp, message, settings.smtp_from, recipient(row))
            except PermanentFailure as error:
                outcome.failed.append((row["id"], str(error), True))
            except TemporaryFailure as error:
                outcome.failed.append((row["id"], str(error), False))
            except (OSError, smtplib.SMTPException) as error:
                # The connection broke: this one and the rest try again later.
                reason = _describe(error)
                outcome.failed.extend((r["id"], reason, False) for r in rows[index:])
                break
            except (ValueError, TypeError, KeyError) as error:
                # A message that cannot be built will not improve by waiting.
                outcome.failed.append((row["id"], _describe(error), True))
            else:
                outcome.sent.append(row["id"])
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return outcome


def process_next(
    db: Database,
    settings: Settings,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    only_id: int | None = None,
) -> int:
    """Send one batch of due mail; return how many messages were handled (sent or failed).

    Without SMTP settings nothing is claimed: the queue keeps every message until a host
    sets up mail.
    """
    if not smtp_configured(settings):
        return 0
    now = now or utc_now()
    rows = claim_due(db, now, limit, only_id)
    if not rows:
        return 0
    outcome = _send_batch(rows, settings, now)
    db.write(_record, rows, outcome, now, settings.mail_retry_hours)
    return len(rows)


def send_now(db: Database, settings: Settings, mail_id: int) -> sqlite3.Row | None:
    """Try one queued message right away (the beheer test mail); return its row after."""
    process_next(db, settings, only_id=mail_id, limit=1)
    return db.one("SELECT * FROM mail_queue WHERE id = ?", (mail_id,))


def retry_given_up(conn: sqlite3.Connection, mail_id: int, now: datetime | None = None) -> bool:
    """Put a given-up message back in the queue with a fresh retry window."""
    moment = stamp(now or utc_now())
    cursor = conn.execute(
        """UPDATE mail_queue SET given_up_at = NULL, next_try_at = ?, retry_since = ?,
           lease_until = NULL WHERE id = ? AND given_up_at IS NOT NULL AND sent_at IS NULL""",
        (moment, moment, mail_id),
    )
    return cursor.rowcount == 1


# --- what beheer shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class MailStatus:
    configured: bool
    host: str
    port: int
    sender: str
    security: str
    login: bool
    waiting: int
    retrying: int
    sent: int
    given_up: int
    failures: list[sqlite3.Row]

    @property
    def message(self) -> str:
        """One line for the dashboard."""
        if not self.configured:
            return _(
                "Mail is niet ingesteld. De site werkt, maar stuurt geen mail: berichten "
                "wachten in de wachtrij (%(waiting)s) tot mail is ingesteld."
            ) % {"waiting": self.waiting}
        if self.given_up:
            return ngettext(
                "Mail werkt, maar %(num)s bericht kon niet worden bezorgd.",
                "Mail werkt, maar %(num)s berichten konden niet worden bezorgd.",
                self.given_up,
            ) % {"num": self.given_up}
        if self.retrying:
            return ngettext(
                "Mail werkt, maar %(num)s bericht wacht op een nieuwe poging.",
                "Mail werkt, maar %(num)s berichten wachten op een nieuwe poging.",
                self.retrying,
            ) % {"num": self.retrying}
        return _("Mail werkt.")


# How long a message that was given up keeps a warning on the beheer start page: long enough
# to be seen by a group that looks in once a week, short enough not to nag about old trouble.
GIVEN_UP_WARNING_DAYS = 14


def given_up_recently(db: Database, at: datetime | None = None) -> int:
    """How many messages the queue gave up on in the last GIVEN_UP_WARNING_DAYS."""
    since = (at or utc_now()) - timedelta(days=GIVEN_UP_WARNING_DAYS)
    return int(
        db.scalar(
            "SELECT count(*) FROM mail_queue WHERE given_up_at IS NOT NULL AND given_up_at >= ?",
            (stamp(since),),
        )
    )


def mail_status(db: Database, settings: Settings, failures: int = 20) -> MailStatus:
    """Whether mail is set up and how the queue stands; never the password."""
    counts = db.one(
        """SELECT
             sum(sent_at IS NULL AND given_up_at IS NULL AND handed_over_at IS NULL)
                 AS waiting,
             sum(sent_at IS NULL AND given_up_at IS NULL AND tries > 0) AS retrying,
             sum(sent_at IS NOT NULL) AS sent,
             sum(given_up_at IS NOT NULL) AS given_up
           FROM mail_queue"""
    )
    rows = db.execute(
        """SELECT id, purpose, to_address, subject, created_at, tries, last_error, next_try_at,
                  given_up_at
           FROM mail_queue WHERE sent_at IS NULL AND last_error != ''
           ORDER BY coalesce(given_up_at, next_try_at) DESC, id DESC LIMIT ?""",
        (failures,),
    )
    if settings.smtp_ssl:
        security = "SSL/TLS"
    elif settings.smtp_starttls:
        security = "STARTTLS"
    else:
        security = _("geen versleuteling")
    return MailStatus(
        configured=smtp_configured(settings),
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        security=security,
        login=bool(settings.smtp_username),
        waiting=counts["waiting"] or 0,
        retrying=counts["retrying"] or 0,
        sent=counts["sent"] or 0,
        given_up=counts["given_up"] or 0,
        failures=rows,
    )
