"""The mail sender against a real SMTP server on 127.0.0.1 (aiosmtpd).

Time is moved by passing `now` to process_next, never by sleeping.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from node.db import Database
from node.mail import mailer
from node.mail.queue import Attachment, queue_mail
from node.settings import SettingsError, load_settings

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Dorpsavond\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
REFUSED = "niemand@beesd.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps every message and refuses one recipient with 550."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 Deze ontvanger bestaat niet"
        envelope.rcpt_tos.append(address)
        self.recipients.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a free port of 127.0.0.1; start() and stop() it at will."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = Collector()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list:
        return self.handler.messages

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def smtp_settings(settings, port: int):
    return settings.with_changes(
        smtp_host="127.0.0.1", smtp_port=port, smtp_from="noreply@beesd.test", smtp_starttls=False
    )


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def queue(db, to="marieke@example.nl", subject="Aanmelding bevestigd", body="Tot dan!", **kw):
    return db.write(lambda conn: queue_mail(conn, "rsvp.confirm", to, subject, body, **kw))


def row(db, mail_id):
    return db.one("SELECT * FROM mail_queue WHERE id = ?", (mail_id,))


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_queued_mail_is_delivered_with_its_utf8_text_and_ics(db, settings, smtp):
    # Given a confirmation with a calendar item in the queue
    body = "Beste Marieke,\n\nU komt naar de dorpsavond in café ‘De Linde’. Tot ziens – ë ü €"
    mail_id = queue(
        db,
        subject="Bevestiging: dorpsavond in café ‘De Linde’",
        body=body,
        attachments=[Attachment("dorpsavond.ics", "text/calendar; method=PUBLISH", ICS)],
    )
    # When the sender runs once
    handled = mailer.process_next(db, smtp_settings(settings, smtp.port))
    # Then the SMTP server received it, readable and complete
    assert handled == 1
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "Bevestiging: dorpsavond in café ‘De Linde’"
    assert message["To"] == "marieke@example.nl"
    assert message["From"].addresses[0].display_name == "Beesd"
    assert message["From"].addresses[0].addr_spec == "noreply@beesd.test"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@beesd.test>") and message["Date"]
    text = message.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n").rstrip("\n") == body
    (ics,) = list(message.iter_attachments())
    assert ics.get_filename() == "dorpsavond.ics"
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_payload(decode=True) == ICS
    stored = row(db, mail_id)
    assert stored["sent_at"] and stored["tries"] == 1 and stored["lease_until"] is None


def test_server_down_loses_nothing_and_retries_with_growing_delay(db, settings):
    # Given a mail server that is down (nothing listens on its port)
    server = SmtpServer()
    configured = smtp_settings(settings, server.port)
    mail_id = queue(db)
    t0 = at(row(db, mail_id)["created_at"])
    # When the sender tries, the mail stays queued with the error and waits 1 minute
    assert mailer.process_next(db, configured, now=t0) == 1
    first = row(db, mail_id)
    assert first["sent_at"] is None and first["given_up_at"] is None
    assert first["tries"] == 1 and first["last_error"]
    assert at(first["next_try_at"]) == t0 + timedelta(minutes=1)
    # Not due yet: nothing happens
    assert mailer.process_next(db, configured, now=t0 + timedelta(seconds=30)) == 0
    assert row(db, mail_id)["tries"] == 1
    # Each failure waits longer: 5 minutes, then 15
    t1 = t0 + timedelta(minutes=1)
    mailer.process_next(db, configured, now=t1)
    assert at(row(db, mail_id)["next_try_at"]) == t1 + timedelta(minutes=5)
    t2 = t1 + timedelta(minutes=5)
    mailer.process_next(db, configured, now=t2)
    assert at(row(db, mail_id)["next_try_at"]) == t2 + timedelta(minutes=15)
    assert row(db, mail_id)["tries"] == 3
    # When the server is back, the next due try delivers it
    server.start()
    try:
        assert mailer.process_next(db, configured, now=t2 + timedelta(minutes=15)) == 1
        assert len(server.messages) == 1
    finally:
        server.stop()
    done = row(db, mail_id)
    assert done["sent_at"] and done["tries"] == 4


def test_a_mail_is_given_up_after_the_retry_window(db, settings):
    server = SmtpServer()
    configured = smtp_settings(settings, server.port).with_changes(mail_retry_hours=72)
    mail_id = queue(db)
    created = at(row(db, mail_id)["created_at"])
    deadline = created + timedelta(hours=72)
    # A failure shortly before the deadline gets one last try at the deadline, not later
    db.write(lambda conn: conn.execute("UPDATE mail_queue SET tries = 8 WHERE id = ?", (mail_id,)))
    mailer.process_next(db, configured, now=deadline - timedelta(hours=1))
    assert at(row(db, mail_id)["next_try_at"]) == deadline
    assert row(db, mail_id)["given_up_at"] is None
    # That last try fails too: given up, and never claimed again
    mailer.process_next(db, configured, now=deadline)
    given_up = row(db, mail_id)
    assert given_up["given_up_at"] and given_up["sent_at"] is None
    assert mailer.process_next(db, configured, now=deadline + timedelta(days=1)) == 0
    assert row(db, mail_id)["tries"] == 10


def test_a_refused_recipient_is_given_up_at_once_and_others_still_go(db, settings, smtp):
    refused = queue(db, to=REFUSED)
    fine = queue(db, to="piet@example.nl")
    assert mailer.process_next(db, smtp_settings(settings, smtp.port)) == 2
    assert [m["To"] for m in smtp.messages] == ["piet@example.nl"]
    gone = row(db, refused)
    assert gone["given_up_at"] and gone["tries"] == 1
    assert gone["last_error"].startswith("550")
    assert row(db, fine)["sent_at"]


@pytest.mark.parametrize(
    "to",
    [
        "a,marieke@example.nl",
        "marieke@example.nl, piet@example.nl",
        "marieke@example.nl;piet@example.nl",
        "Marieke <marieke@example.nl>",
        '"marieke piet"@example.nl',
        "marieke@example.nl\r\nBcc: piet@example.nl",
    ],
)
def test_a_recipient_that_is_not_one_address_is_never_sent_to(db, settings, smtp, to):
    # Given a queued message whose recipient is a list, a display name or a header
    odd = queue(db, to=to)
    fine = queue(db, to="kees@example.nl")
    # When the sender runs, only the one valid address gets mail
    assert mailer.process_next(db, smtp_settings(settings, smtp.port)) == 2
    assert [m["To"] for m in smtp.messages] == ["kees@example.nl"]
    assert smtp.handler.recipients == ["kees@example.nl"]
    # And the odd one is given up at once, with the reason for beheer
    gone = row(db, odd)
    assert gone["given_up_at"] and gone["sent_at"] is None
    assert "not one valid e-mail address" in gone["last_error"]
    assert row(db, fine)["sent_at"]


def test_a_subject_with_line_breaks_is_sent_on_one_line(db, settings, smtp):
    # Given a meeting title that reached a subject with line breaks in it
    mail_id = queue(db, subject="Bevestiging: dorpsavond\r\nBcc: piet@example.nl\nin de Linde")
    # When the sender runs, the mail goes out with the subject on one line
    assert mailer.process_next(db, smtp_settings(settings, smtp.port)) == 1
    (message,) = smtp.messages
    assert message["Subject"] == "Bevestiging: dorpsavond Bcc: piet@example.nl in de Linde"
    assert message["Bcc"] is None
    assert row(db, mail_id)["sent_at"]


def test_two_workers_on_one_database_never_send_a_message_twice(db, settings, smtp):
    configured = smtp_settings(settings, smtp.port)
    ids = db.write(
        lambda conn: [
            queue_mail(conn, "test", f"inwoner{n}@example.nl", f"Bericht {n}", "Hallo")
            for n in range(40)
        ]
    )
    second = Database(settings.database_path).open()
    errors: list[BaseException] = []

    def work(database):
        try:
            while mailer.process_next(database, configured, limit=3):
                pass
        except BaseException as error:  # surfaced below; a thread cannot fail a test itself
            errors.append(error)

    threads = [threading.Thread(target=work, args=(d,)) for d in (db, second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        second.close()
    assert not errors
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == sorted(f"Bericht {n}" for n in range(40))
    assert db.scalar("SELECT count(*) FROM mail_queue WHERE sent_at IS NOT NULL") == len(ids)


def test_a_claimed_mail_is_leased_to_one_worker_until_the_lease_ends(db):
    mail_id = queue(db)
    now = at(row(db, mail_id)["created_at"])
    other = Database(db.path).open()
    try:
        assert [r["id"] for r in mailer.claim_due(db, now)] == [mail_id]
        assert mailer.claim_due(other, now + timedelta(minutes=1)) == []
        # A worker that died leaves a lease that runs out; then another takes over
        later = now + mailer.LEASE + timedelta(seconds=1)
        assert [r["id"] for r in mailer.claim_due(other, later)] == [mail_id]
    finally:
        other.close()


def test_without_smtp_settings_the_queue_keeps_every_mail(db, settings):
    assert not mailer.smtp_configured(settings)
    mail_id = queue(db)
    assert mailer.process_next(db, settings) == 0
    kept = row(db, mail_id)
    assert kept["tries"] == 0 and kept["lease_until"] is None and kept["sent_at"] is None
    status = mailer.mail_status(db, settings)
    assert not status.configured and status.waiting == 1
    assert "niet ingesteld" in status.message


def test_mail_status_counts_and_failures(db, settings, smtp):
    configured = smtp_settings(settings, smtp.port)
    queue(db)
    refused = queue(db, to=REFUSED, subject="Komt niet aan")
    mailer.process_next(db, configured)
    status = mailer.mail_status(db, configured)
    assert (status.configured, status.sent, status.given_up, status.waiting) == (True, 1, 1, 0)
    assert [f["id"] for f in status.failures] == [refused]
    assert "kon niet worden bezorgd" in status.message


# --- settings --------------------------------------------------------------------------------


def test_smtp_password_comes_from_the_environment_or_a_file_never_the_toml(settings):
    folder = settings.data_dir
    env = {"BLOEI_SMTP_PASSWORD": "uit-de-omgeving"}
    assert load_settings(folder, environ=env).smtp_password == "uit-de-omgeving"
    (folder / "smtp-wachtwoord").write_text("uit-een-bestand\n")
    with (folder / "bloei.toml").open("a") as toml:
        toml.write('smtp_password_file = "smtp-wachtwoord"\n')
    from_file = load_settings(folder, environ={})
    assert from_file.smtp_password == "uit-een-bestand"
    assert "uit-een-bestand" not in repr(from_file)
    with (folder / "bloei.toml").open("a") as toml:
        toml.write('smtp_password = "in-de-toml"\n')
    with pytest.raises(SettingsError, match="BLOEI_SMTP_PASSWORD"):
        load_settings(folder, environ={})


def test_smtp_and_retention_settings_are_checked(settings):
    folder = settings.data_dir
    for env, message in [
        ({"BLOEI_SMTP_HOST": "mail.example.nl"}, "smtp_from"),
        (
            {"BLOEI_SMTP_HOST": "mail.example.nl", "BLOEI_SMTP_FROM": "a,noreply@example.nl"},
            "smtp_from",
        ),
        ({"BLOEI_SMTP_PORT": "0"}, "smtp_port"),
        ({"BLOEI_PRIVACY_RETENTION_DAYS": "0"}, "privacy_retention_days"),
        ({"BLOEI_SMTP_PASSWORD_FILE": "bestaat-niet"}, "smtp_password_file"),
    ]:
        with pytest.raises(SettingsError, match=message):
            load_settings(folder, environ=env)
    loaded = load_settings(folder, environ={})
    assert (loaded.privacy_retention_days, loaded.mail_retry_hours) == (90, 72)
    assert loaded.background_jobs is True and loaded.smtp_host == ""


def test_retry_delays_grow():
    delays = [mailer.retry_delay(n) for n in range(1, 9)]
    assert delays[:5] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=3),
    ]
    assert delays == sorted(delays) and delays[-1] == delays[-2]


def test_stamps_sort_as_time():
    early = datetime(2026, 1, 1, 23, 0, tzinfo=UTC)
    assert mailer.stamp(early) < mailer.stamp(early + timedelta(hours=2))


def test_a_login_the_server_cannot_do_keeps_the_mail_for_later(db, settings, smtp):
    configured = smtp_settings(settings, smtp.port).with_changes(
        smtp_username="beesd", smtp_password="geheim-wachtwoord"
    )
    mail_id = queue(db)
    assert mailer.process_next(db, configured) == 1
    kept = row(db, mail_id)
    assert smtp.messages == [] and kept["sent_at"] is None and kept["given_up_at"] is None
    assert "AUTH" in kept["last_error"] and "geheim-wachtwoord" not in kept["last_error"]
