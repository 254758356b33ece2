"""The mails a write sends: which happening tells whom what, with which template.

Data functions record happenings (node/kern/happenings.py) and send nothing. `MailEffects.hook`
runs inside every write (`Database.before_commit`, registered at wiring time next to the
publisher): it takes this transaction's happenings, renders their mails with the template
environment it was given, and queues them (node/web/mail.py) in the same transaction. A
change and its mails thus commit together or not at all, as the outbox does for events.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import jinja2

from node.db import Database
from node.kern import happenings
from node.kern.conversation import notice as gemeente_notice
from node.kern.ideas import model as ideas
from node.kern.meetings import calendar
from node.kern.meetings.display import day_text, location_text, meeting_path, when_text
from node.kern.subscriptions import mails as subscription_mails
from node.mail import notices
from node.mail.queue import Attachment, queue_mail
from node.settings import Settings
from node.web.i18n import _


def render_mail(env: jinja2.Environment, template: str, **context) -> str:
    """A plain-text mail from templates/mail/, with the app's gettext and settings."""
    return env.get_template(f"mail/{template}").render(**context).strip() + "\n"


def group_name(conn: sqlite3.Connection, settings: Settings) -> str:
    row = conn.execute("SELECT value FROM site WHERE key = 'group_name'").fetchone()
    name = json.loads(row[0]) if row else ""
    return name or _("De inwonersgroep van %s") % settings.name


def _organizer(conn: sqlite3.Connection, settings: Settings) -> tuple[str, str]:
    row = conn.execute("SELECT value FROM site WHERE key = 'contact_email'").fetchone()
    email = json.loads(row[0]) if row else ""
    return group_name(conn, settings), email


class MailEffects:
    """Turns happenings into queued mails; one per database, made at wiring time."""

    def __init__(self, settings: Settings, templates: jinja2.Environment):
        self.settings = settings
        self.templates = templates
        # kind -> what to queue for it. A kind without an entry sends nothing.
        self.effects: dict[str, Callable[[sqlite3.Connection, dict[str, Any]], None]] = {
            happenings.RSVP_CONFIRMED: self._signed_up,
            happenings.RSVP_WAITLISTED: self._signed_up,
            happenings.RSVP_REQUESTED: self._requested,
            happenings.RSVP_PROMOTED: self._promoted,
            happenings.RSVP_LINK_MAILED: self._link_mailed,
            happenings.MEETING_CANCELLED: self._cancelled,
            happenings.MEETING_MOVED: self._moved,
            happenings.IDEA_RECEIVED: self._idea_received,
            happenings.IDEA_SENDER_TOLD: self._idea_sender,
            happenings.GEMEENTE_REACTIE: self._gemeente_reactie,
            happenings.GEMEENTE_BERICHT: self._gemeente_bericht,
            happenings.VOLUNTEER_NEW: self._volunteer,
            happenings.RSVP_NEW: self._tell_of_sign_up,
            happenings.SUBSCRIPTION_REQUESTED: self._subscription_requested,
        }

    def hook(self, conn: sqlite3.Connection) -> None:
        """Database.before_commit: queue the mails of what this transaction recorded."""
        for kind, payload in happenings.take(conn):
            effect = self.effects.get(kind)
            if effect is not None:
                effect(conn, {**payload, "kind": kind})

    # --- RSVPs and meetings ---------------------------------------------------------------

    def _signed_up(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        meeting = _meeting(conn, payload["meeting_id"])
        rsvp = _rsvp(conn, payload["rsvp_id"])
        accepted = payload["kind"] == happenings.RSVP_CONFIRMED
        subject = (
            _("Aangemeld: %(title)s op %(day)s")
            if accepted
            else _("Wachtlijst: %(title)s op %(day)s")
        ) % {"title": meeting["title"], "day": day_text(meeting["starts_at"])}
        self._mail(
            conn,
            payload["kind"],
            meeting,
            rsvp,
            subject,
            "rsvp_bevestiging.txt" if accepted else "rsvp_wachtlijst.txt",
            link=payload["link"],
            invite=accepted,
        )

    def _requested(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        meeting = _meeting(conn, payload["meeting_id"])
        request = conn.execute(
            "SELECT * FROM rsvp_requests WHERE id = ?", (payload["request_id"],)
        ).fetchone()
        self._mail(
            conn,
            payload["kind"],
            meeting,
            request,
            _("Bevestig uw aanmelding: %(title)s op %(day)s")
            % {"title": meeting["title"], "day": day_text(meeting["starts_at"])},
            "rsvp_bevestigen.txt",
            link=payload["link"],
            hours=self.settings.rsvp_confirm_hours,
        )

    def _promoted(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        meeting = _meeting(conn, payload["meeting_id"])
        self._mail(
            conn,
            payload["kind"],
            meeting,
            _rsvp(conn, payload["rsvp_id"]),
            _("Er is plaats: u bent aangemeld voor %s") % meeting["title"],
            "rsvp_doorgeschoven.txt",
            invite=True,
        )

    def _link_mailed(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        meeting = _meeting(conn, payload["meeting_id"])
        rsvp = _rsvp(conn, payload["rsvp_id"])
        self._mail(
            conn,
            payload["kind"],
            meeting,
            rsvp,
            _("Uw persoonlijke link: %(title)s op %(day)s")
            % {"title": meeting["title"], "day": day_text(meeting["starts_at"])},
            "rsvp_link.txt",
            link=payload["link"],
            invite=rsvp["status"] == "aangemeld",
            waiting=rsvp["status"] == "wachtlijst",
        )

    def _cancelled(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        """Everyone signed up (and waiting) hears that the meeting does not go ahead."""
        meeting = _meeting(conn, payload["meeting_id"])
        subject = _("Gaat niet door: %(title)s op %(day)s") % {
            "title": meeting["title"],
            "day": day_text(meeting["starts_at"]),
        }
        for rsvp_id in payload["rsvp_ids"]:
            rsvp = _rsvp(conn, rsvp_id)
            self._mail(
                conn,
                payload["kind"],
                meeting,
                rsvp,
                subject,
                "meeting_geannuleerd.txt",
                invite=rsvp["status"] == "aangemeld",
                cancel=True,
            )

    def _moved(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        """Everyone signed up (and waiting) hears the new time or place, with the new item."""
        meeting = _meeting(conn, payload["meeting_id"])
        subject = _("Gewijzigd: %(title)s, nu op %(day)s") % {
            "title": meeting["title"],
            "day": day_text(meeting["starts_at"]),
        }
        for rsvp_id in payload["rsvp_ids"]:
            rsvp = _rsvp(conn, rsvp_id)
            self._mail(
                conn,
                payload["kind"],
                meeting,
                rsvp,
                subject,
                "meeting_verplaatst.txt",
                invite=rsvp["status"] == "aangemeld",
                before_when=payload["before_when"],
                before_where=payload["before_where"],
                note=payload["note"],
            )

    def _mail(
        self,
        conn: sqlite3.Connection,
        purpose: str,
        meeting: sqlite3.Row,
        rsvp: sqlite3.Row,
        subject: str,
        template: str,
        link: str = "",
        invite: bool = False,
        cancel: bool = False,
        **extra,
    ) -> int:
        settings = self.settings
        organizer = _organizer(conn, settings)
        body = render_mail(
            self.templates,
            template,
            settings=settings,
            group=organizer[0],
            meeting=meeting,
            when=when_text(meeting["starts_at"], meeting["ends_at"]),
            where=location_text(meeting),
            meeting_url=settings.url(meeting_path(meeting["slug"])),
            name=rsvp["name"],
            people=rsvp["people"],
            link=link,
            invite=invite,
            **extra,
        )
        attachments = []
        if invite:
            ics = calendar.invitation(
                settings, meeting, (rsvp["name"], rsvp["email"]), organizer, cancel=cancel
            )
            attachments.append(
                Attachment(
                    calendar.filename(meeting),
                    f"text/calendar; charset=utf-8; method={'CANCEL' if cancel else 'REQUEST'}",
                    ics,
                )
            )
        return queue_mail(conn, purpose, rsvp["email"], subject, body, attachments)

    # --- The group ------------------------------------------------------------------------

    def _idea_received(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        # Neither the subject nor the body carries the sender's name or contact details: a
        # mail leaves the node, and those stay where they can be removed on request.
        settings = self.settings
        url = settings.url(f"/beheer/ideeen/{payload['idea_id']}")
        idea = conn.execute(
            "SELECT id, title, body FROM ideas WHERE id = ?", (payload["idea_id"],)
        ).fetchone()
        text = self.templates.get_template("mail/idea_new.txt").render(
            kern=settings.name,
            title=idea["title"],
            body=idea["body"],
            url=url,
            left_details=payload["left_details"],
        )
        one_line_title = " ".join(idea["title"].split())
        subject = (
            _("Nieuw idee voor %(kern)s: %(title)s")
            % {"kern": settings.name, "title": one_line_title}
        )[:200]
        # The group's contact address at once; each beheerder as they chose.
        notice = notices.Notice("ideeen", subject, text, idea["title"], url)
        notices.notify(
            conn,
            settings,
            self.templates,
            notice,
            also=[ideas.contact_address(conn)],
            body=text,
            purpose=ideas.NOTICE_PURPOSE,
        )

    def _idea_sender(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        """The sender who left an e-mail address hears what became of their idea."""
        settings = self.settings
        idea = conn.execute(
            """SELECT i.*, p.slug AS project_slug FROM ideas i
               LEFT JOIN projects p ON p.id = i.project_id WHERE i.id = ?""",
            (payload["idea_id"],),
        ).fetchone()
        address = ideas.sender_address(idea)
        if not address:
            return
        what = payload["what"]
        title = " ".join(idea["title"].split())
        subject = {
            "received": _("Uw idee is ontvangen: %s"),
            "published": _("Uw idee staat op de site: %s"),
            "answered": _("Antwoord op uw idee: %s"),
            "project": _("Uw idee is een project geworden: %s"),
            "declined": _("Over uw idee: %s"),
        }[what] % title
        public_url = ""
        if what == "project" and idea["project_slug"]:
            public_url = settings.url(f"/projecten/{idea['project_slug']}")
        elif idea["status"] == "gepubliceerd":
            public_url = settings.url(ideas.idea_path(idea["slug"]))
        body = render_mail(
            self.templates,
            "idea_sender.txt",
            what=what,
            title=title,
            idea=idea,
            link=payload.get("link", ""),
            public_url=public_url,
            group=group_name(conn, settings),
            kern=settings.name,
        )
        queue_mail(conn, f"{happenings.IDEA_SENDER_TOLD}.{what}", address, subject[:200], body)

    def _gemeente_reactie(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        notice = gemeente_notice.reactie_notice(conn, self.settings, payload["reactie"])
        if notice is not None:
            self._tell_the_group(conn, notice, happenings.GEMEENTE_REACTIE)

    def _gemeente_bericht(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        notice = gemeente_notice.bericht_notice(self.settings, payload["bericht"])
        self._tell_the_group(conn, notice, happenings.GEMEENTE_BERICHT)

    def _tell_the_group(
        self, conn: sqlite3.Connection, notice: notices.Notice, purpose: str
    ) -> None:
        """The group's contact address at once, each beheerder as they chose."""
        also = [ideas.contact_address(conn)]
        notices.notify(conn, self.settings, self.templates, notice, also=also, purpose=purpose)

    def _volunteer(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        # Like an idea's: no name or contact details in a mail, they stay in beheer.
        project = conn.execute(
            "SELECT id, title FROM projects WHERE id = ?", (payload["project_id"],)
        ).fetchone()
        title = " ".join(project["title"].split())
        notice = notices.Notice(
            topic="vrijwilligers",
            subject=_("Nieuwe vrijwilliger voor %(title)s") % {"title": title},
            text=_(
                "Iemand meldde zich als vrijwilliger voor het project %(title)s. Naam en contactgegevens staan alleen in beheer."
            )
            % {"title": title},
            title=_("Nieuwe vrijwilliger voor %(title)s") % {"title": title},
            url=self.settings.url(f"/beheer/projecten/{project['id']}/vrijwilligers"),
        )
        notices.notify(conn, self.settings, self.templates, notice)

    def _tell_of_sign_up(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        """The beheerders hear (as they chose) that someone signed up; no name in the mail."""
        meeting = _meeting(conn, payload["meeting_id"])
        title = " ".join(meeting["title"].split())
        day = day_text(meeting["starts_at"])
        notice = notices.Notice(
            topic="aanmeldingen",
            subject=_("Nieuwe aanmelding: %(title)s op %(day)s") % {"title": title, "day": day},
            text=_(
                "Er is een nieuwe aanmelding voor %(title)s op %(day)s. Wie zich aanmeldde, staat in beheer."
            )
            % {"title": title, "day": day},
            title=_("Nieuwe aanmelding: %(title)s op %(day)s") % {"title": title, "day": day},
            url=self.settings.url(f"/beheer/bijeenkomsten/{meeting['id']}/aanmeldingen"),
        )
        notices.notify(conn, self.settings, self.templates, notice)

    def _subscription_requested(self, conn: sqlite3.Connection, payload: dict[str, Any]) -> None:
        subscription_mails.queue_confirmation(
            conn, self.settings, self.templates, payload["subscription_id"]
        )


def _meeting(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()


def _rsvp(conn: sqlite3.Connection, rsvp_id: int) -> sqlite3.Row:
    return conn.execute("SELECT * FROM rsvps WHERE id = ?", (rsvp_id,)).fetchone()


def attach_mail_effects(
    db: Database, settings: Settings, templates: jinja2.Environment
) -> MailEffects:
    """Wire the mails into every write of `db`, in its transaction."""
    effects = MailEffects(settings, templates)
    db.before_commit(effects.hook)
    return effects
