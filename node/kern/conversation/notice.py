"""What the group hears when the gemeente reacted or sent a bericht: the notice's subject, text
and the address where it is handled. The inbox records the message as a happening;
node/kern/mail_effects.py turns it into a notice with these and sends it (the group's contact
address at once, each beheerder as they chose) before the inbox's transaction commits, so the
message and the mail about it are kept together or not at all."""

from __future__ import annotations

import html
import re
import sqlite3
from typing import Any

import nh3

from node.kern.conversation.model import own_object
from node.mail import notices
from node.settings import Settings
from node.web.i18n import _

MAX_TEXT = 5000
_BREAK_RE = re.compile(r"</p>|</li>|<br\s*/?>", re.IGNORECASE)


def reactie_notice(
    conn: sqlite3.Connection, settings: Settings, reactie: dict[str, Any]
) -> notices.Notice | None:
    """The notice of a new reactie of the gemeente, with its text and where to answer."""
    about = own_object(conn, settings, reactie.get("inReplyTo"))
    if about is None:
        return None  # the inbox refuses such a reactie before it gets here
    title = " ".join(about["title"].split())
    answer_url = settings.url(f"/beheer/gemeente/antwoord?op={reactie['id']}")
    text = "\n\n".join(
        [
            _("De gemeente heeft gereageerd op %(title)s.") % {"title": title},
            _plain(reactie.get("content")),
            _("De reactie staat ook op de site:") + "\n" + settings.url(about["path"]),
        ]
    )
    return notices.Notice(
        topic="reacties",
        subject=_("Reactie van de gemeente op %(title)s") % {"title": title},
        text=text,
        title=_("Reactie van de gemeente op %(title)s") % {"title": title},
        url=answer_url,
    )


def bericht_notice(settings: Settings, bericht: dict[str, Any]) -> notices.Notice:
    """The notice of a new gemeentebericht, with its text; handled on the gemeente page."""
    name = bericht.get("name")
    title = " ".join(name.split()) if isinstance(name, str) and name.strip() else _("Bericht")
    return notices.Notice(
        topic="berichten",
        subject=_("Bericht van de gemeente: %(title)s") % {"title": title},
        text=_("De gemeente stuurde een bericht: %(title)s.") % {"title": title}
        + "\n\n"
        + _plain(bericht.get("content")),
        title=_("Bericht van de gemeente: %(title)s") % {"title": title},
        url=settings.url("/beheer/gemeente"),
    )


def _plain(content: Any) -> str:
    """The words of the gemeente's HTML, for a plain-text mail."""
    broken = _BREAK_RE.sub("\n", content if isinstance(content, str) else "")
    return html.unescape(nh3.clean(broken, tags=set())).strip()[:MAX_TEXT]
