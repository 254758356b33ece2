"""Seeding helpers for ideas and news: through the same functions as the pages and beheer."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from node.kern.ideas import model as ideas
from node.kern.ideas.pages import form_stamp
from node.kern.news import model as news

SENDER_NAME = "Fatima Yilmaz"
SENDER_EMAIL = "fatima.yilmaz@example.org"
SENDER_PHONE = "06 98765432"
IDEA = {
    "title": "Een bankje bij de speeltuin",
    "body": "Ouders willen graag zitten terwijl de kinderen spelen.\n\nMisschien twee bankjes?",
    "name": SENDER_NAME,
    "contact": SENDER_EMAIL,
}
NEWS = {
    "title": "Dorpsschouw op zaterdag",
    "body": "We lopen samen door het dorp en kijken wat beter kan.",
    "published_at": "",
}
# The redirect points at the confirmation on the page (#idee-melding).
STATUS_RE = re.compile(r"^/ideeen/status/([A-Za-z0-9_-]{43})(?:#idee-melding)?$")


def idea_form(settings, seconds_ago: float = 10, **changes) -> dict:
    """What a person sends: the form as shown `seconds_ago`, filled in, hidden field empty."""
    stamp = form_stamp(settings.secret_key, at=time.time() - seconds_ago)
    return {**IDEA, "started": stamp, "website": "", **changes}


def token_of(response) -> str:
    """The sender's status token from the redirect after sending an idea."""
    match = STATUS_RE.match(response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


def add_idea(db, app, settings, **changes) -> tuple[int, str]:
    """A new (unpublished) idea; returns (id, status token)."""
    values = {**IDEA, **changes}
    return db.write(
        ideas.submit_idea,
        settings,
        values["title"],
        values["body"],
        values["name"],
        values["contact"],
    )


def add_published_idea(db, app, settings, **changes) -> tuple[int, str, str]:
    """A published idea; returns (id, status token, slug)."""
    idea_id, token = add_idea(db, app, settings, **changes)
    slug = db.write(ideas.publish_idea, settings, "test", idea_id)
    return idea_id, token, slug


def add_news(db, settings, hours_from_now: float | None = None, **changes) -> str:
    """A bericht, published now, or `hours_from_now` (negative: in the past)."""
    values = {**NEWS, **changes}
    if hours_from_now is not None:
        moment = datetime.now(UTC) + timedelta(hours=hours_from_now)
        values["published_at"] = news.utc_stamp(moment)
    return db.write(news.save_news, settings, "test", values)


def events_of(db, object_type: str) -> list:
    return db.execute(
        "SELECT verb, object_id, snapshot FROM events WHERE object_type = ? ORDER BY id",
        (object_type,),
    )
