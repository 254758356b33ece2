"""Telling the group that the gemeente reacted: a mail to the group's contact address and
its beheerders (the same people who hear of a new idea). The inbox records the reactie as a
happening; node/kern/mail_effects.py calls tell_the_group before the inbox's transaction
commits, so the reactie and the mail about it are kept together or not at all."""

from __future__ import annotations

import html
import re
import sqlite3
from typing import Any

import nh3

from node.kern import happenings
from node.kern.conversation.model import own_object
from node.kern.ideas.model import notice_recipients
from node.mail.queue import queue_mail
from node.settings import Settings
from node.web.i18n import _

PURPOSE = happenings.GEMEENTE_REACTIE
MAX_TEXT = 5000
_BREAK_RE = re.compile(r"</p>|</li>|<br\s*/?>", re.IGNORECASE)


def tell_the_group(conn: sqlite3.Connection, settings: Settings, reactie: dict[str, Any]) -> None:
    """Queue a notice of a new reactie of the gemeente, with its text and where to answer."""
    about = own_object(conn, settings, reactie.get("inReplyTo"))
    if about is None:
        return  # the inbox refuses such a reactie before it gets here
    title = " ".join(about["title"].split())
    subject = (_("Reactie van de gemeente op %(title)s") % {"title": title})[:200]
    answer_url = settings.url(f"/beheer/gemeente/antwoord?op={reactie['id']}")
    body = "\n\n".join(
        [
            _("De gemeente heeft gereageerd op %(title)s.") % {"title": title},
            _plain(reactie.get("content")),
            _("U kunt de gemeente antwoorden in beheer:") + "\n" + answer_url,
            _("De reactie staat ook op de site:") + "\n" + settings.url(about["path"]),
        ]
    )
    for address in notice_recipients(conn):
        queue_mail(conn, PURPOSE, address, subject, body)


def _plain(content: Any) -> str:
    """The words of the gemeente's HTML, for a plain-text mail."""
    broken = _BREAK_RE.sub("\n", content if isinstance(content, str) else "")
    return html.unescape(nh3.clean(broken, tags=set())).strip()[:MAX_TEXT]
