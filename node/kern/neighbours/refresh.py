"""The background job that copies the gemeente's list of every kern's thema's.

It reads the gemeente's open API at the origin of `gemeente_actor`, through the node's own
fetcher (address policy, timeouts, size cap, JSON checks), at most every REFRESH_INTERVAL, and
only while the group shows other kernen. Each entry is checked on its own: an entry that is
not what the API documents is left out, the rest is kept. A failed refresh keeps the last copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from federation.fetch import Fetcher, FetchError
from federation.store import parse_timestamp, utcnow
from node.db import Database
from node.kern.neighbours import model
from node.settings import Settings

log = logging.getLogger("bloei.neighbours")

# The job looks every few minutes (one read) and refreshes when the copy is older than
# REFRESH_INTERVAL: thema's change over weeks, and a gemeente that is down is not asked every
# minute. Sooner when the last try failed or the gemeente did not list this kern's thema's
# yet (it has just started following); in development mode (the pilot) within a minute.
JOB_INTERVAL = 300.0
REFRESH_INTERVAL = timedelta(hours=6)
RETRY_INTERVAL = timedelta(minutes=15)
DEV_RETRY_INTERVAL = timedelta(minutes=1)
API_PATH = "/api/v1/themas"
# Pages read in one refresh at most: MAX_THEMAS at the API's 100 a page.
MAX_PAGES = 50
TEXT_LIMITS = {"naam": 300, "kernNaam": 200, "categorie": 40, "status": 40}


def api_url(settings: Settings) -> str:
    parts = urlsplit(settings.gemeente_actor)
    return f"{parts.scheme}://{parts.netloc}{API_PATH}"


def is_due(db: Database, settings: Settings, now: datetime) -> bool:
    conn = db.read()
    if not settings.gemeente_actor or not model.turned_on(conn):
        return False
    last = model.last_fetch(conn)
    if last is None:
        return True
    complete = not last["error"] and model.knows_own(conn, settings.url("/"))
    wait = (
        REFRESH_INTERVAL if complete else (DEV_RETRY_INTERVAL if settings.dev else RETRY_INTERVAL)
    )
    return now - parse_timestamp(last["tried_at"]) >= wait


def run_refresh(db: Database, settings: Settings, new_fetcher) -> bool | None:
    """The job: refresh when due. `new_fetcher()` gives a Fetcher on a client of its own
    (this runs on an event loop of its own); None when nothing was due."""
    now = utcnow()
    if not is_due(db, settings, now):
        return None
    return asyncio.run(refresh(db, settings, new_fetcher(), now))


async def refresh(db: Database, settings: Settings, fetcher: Fetcher, now: datetime) -> bool:
    """Copy the list now; True when it worked."""
    url = api_url(settings)
    try:
        entries = await read_pages(fetcher, url)
    except FetchError as error:
        log.warning("could not read the thema's of other kernen from %s: %s", url, error)
        db.write_quiet(model.note_failure, now, str(error))
        return False
    finally:
        await fetcher.client.aclose()
    if entries is None:
        db.write_quiet(model.note_failure, now, f"{url} has no list of thema's")
        return False
    themas = list(parse_entries(entries[: model.MAX_THEMAS]))
    # A normal write: the thema pages that show the list are cached, and must change with it.
    db.write(model.replace_all, themas, now)
    return True


async def read_pages(fetcher: Fetcher, url: str) -> list[Any] | None:
    """The entries of every page, following `next` links on the gemeente's own origin, up to
    `model.MAX_THEMAS`; None when an answer holds no list. The API pages its thema's (100 a
    page); a gemeente of an earlier version sends them all at once, without a `next`."""
    origin = urlsplit(url)[:2]
    entries: list[Any] = []
    for _page in range(MAX_PAGES):
        _, document = await fetcher.get_json(url, accept="application/json")
        found = document.get("themas") if isinstance(document, dict) else None
        if not isinstance(found, list):
            return None
        entries += found
        following = _next_link(document)
        if len(entries) >= model.MAX_THEMAS or following is None:
            break
        if urlsplit(following)[:2] != origin:
            raise FetchError(
                "refused", f"{url} points to its next page elsewhere: {following[:200]}"
            )
        url = following
    return entries


def _next_link(document: dict) -> str | None:
    try:
        href = document["_links"]["next"]["href"]
    except (KeyError, TypeError):
        return None
    return href if isinstance(href, str) else None


def parse_entries(entries: list[Any]) -> Iterator[model.NeighbourThema]:
    for entry in entries:
        thema = _parse(entry)
        if thema is not None:
            yield thema


def _parse(entry: Any) -> model.NeighbourThema | None:
    if not isinstance(entry, dict):
        return None
    texts = {key: entry.get(key) for key in TEXT_LIMITS}
    if not all(isinstance(texts[key], str) for key in ("naam", "kernNaam", "categorie")):
        return None
    if texts["status"] is not None and not isinstance(texts["status"], str):
        return None
    try:
        url = entry["_links"]["bron"]["href"]
    except (KeyError, TypeError):
        return None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or len(url) > 2000:
        return None
    projects = entry.get("aantalProjecten", 0)
    if not isinstance(projects, int) or isinstance(projects, bool) or not 0 <= projects < 10**6:
        projects = 0
    clean = {key: _one_line(value or "", TEXT_LIMITS[key]) for key, value in texts.items()}
    if not clean["naam"] or not clean["categorie"]:
        return None
    return model.NeighbourThema(
        url, clean["naam"], clean["kernNaam"], clean["categorie"], clean["status"], projects
    )


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]
