"""The kern as an actor: its profile (from settings and the site table), its document, how it
takes follows, telling followers when the profile changed, and replacing its keys (`bloei keys
rotate`).

Whether follows wait for a beheerder is kept in the `site` table (`follow_approval`, set in
beheer); without a value there the `follow_approval` setting decides.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any

from federation import outbox, vocabulary
from federation.actors import ActorProfile, ActorRoutes, actor_document
from federation.keys import Rotation, rotate_key_pair
from node.kern.federation.identity import ACTOR_PATH
from node.kern.federation.publishing import Publisher
from node.kern.moving.rehome import former_actors, moved_to
from node.settings import Settings
from node.web.markdown import render_markdown

APPROVAL_KEY = "follow_approval"
APPROVAL_CHOICES = ("auto", "manual")


def follow_approval(conn: sqlite3.Connection, settings: Settings) -> str:
    """'auto' or 'manual': the beheer choice, else the setting."""
    found = conn.execute("SELECT value FROM site WHERE key = ?", (APPROVAL_KEY,)).fetchone()
    if found is not None:
        value = json.loads(found[0])
        if value in APPROVAL_CHOICES:
            return value
    return settings.follow_approval


def set_follow_approval(conn: sqlite3.Connection, value: str) -> None:
    if value not in APPROVAL_CHOICES:
        raise ValueError(f"follow_approval is auto or manual, not {value!r}")
    conn.execute(
        "INSERT OR REPLACE INTO site (key, value) VALUES (?, ?)", (APPROVAL_KEY, json.dumps(value))
    )


def routes(settings: Settings) -> ActorRoutes:
    return ActorRoutes.under(settings.public_url, ACTOR_PATH)


def profile(conn: sqlite3.Connection, settings: Settings) -> ActorProfile:
    """What the kern says about itself, as of now."""
    site = {
        key: json.loads(value)
        for key, value in conn.execute(
            "SELECT key, value FROM site WHERE key IN ('group_name', 'group_description')"
        )
    }
    description = site.get("group_description") or ""
    summary = (
        str(render_markdown(description))
        if description
        else f"<p>De kernagenda en projecten van {settings.name}.</p>"
    )
    return ActorProfile(
        routes=routes(settings),
        username=settings.slug,
        name=settings.name,
        kind="Group",
        summary=summary,
        url=settings.url("/"),
        icon_url=settings.url("/static/favicon.svg"),
        icon_media_type="image/svg+xml",
        manually_approves_followers=follow_approval(conn, settings) == "manual",
    )


def document(conn: sqlite3.Connection, settings: Settings, publisher: Publisher) -> dict[str, Any]:
    """The actor document with the keys now on disk; after a move (node/migrate.py) it names
    the old actor in alsoKnownAs, or the new one in movedTo."""
    base = profile(conn, settings)
    # A kern that moved back to an earlier address is not also known as itself.
    former = [actor for actor in former_actors(conn) if actor != routes(settings).id]
    if former:
        base = replace(base, also_known_as=tuple(former))
    document = actor_document(base, publisher.identity.public_keys())
    new_actor = moved_to(conn)
    if new_actor:
        document["movedTo"] = new_actor
    return document


# meta: a digest of the actor document as followers last heard of it (announce_profile_change).
PROFILE_DIGEST = "actor_profile_digest"


def _digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def remember_profile(conn: sqlite3.Connection, settings: Settings, publisher: Publisher) -> None:
    """Note the actor document as followers know it now (after an Update, or a move)."""
    digest = _digest(document(conn, settings, publisher))
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (PROFILE_DIGEST, digest))


def announce_profile_change(
    conn: sqlite3.Connection,
    settings: Settings,
    publisher: Publisher,
    now: datetime | None = None,
) -> str | None:
    """Publish an Update of the actor when its document changed since followers last heard
    (the group's name or description in beheer, the kern's name in bloei.toml, the follow
    approval); in the caller's transaction. Returns the Update's id, None when unchanged.
    The first time there is nothing to compare with: the document is only noted."""
    now = now or publisher.clock()
    current = document(conn, settings, publisher)
    known = conn.execute("SELECT value FROM meta WHERE key = ?", (PROFILE_DIGEST,)).fetchone()
    if known is not None and known[0] == _digest(current):
        return None
    remember_profile(conn, settings, publisher)
    if known is None:
        return None
    activity = vocabulary.update(
        publisher.routes.id,
        current,
        activity_id=publisher.new_activity_id(),
        published=now,
        **publisher.author.audience(),
    )
    return publisher.publish(conn, activity, now)


def rotate_keys(
    conn: sqlite3.Connection, settings: Settings, publisher: Publisher, now: datetime
) -> tuple[int, str]:
    """After the key files were replaced: sign the whole outbox again with the new Ed25519 key
    and publish an Update of the actor with the new keys; in the caller's transaction.

    The Update is delivered signed with the new RSA key (the old private key is gone): a
    follower's check with its cached key fails, it fetches the actor again (Bloei allows that
    once per five minutes per actor) and finds the new key. Returns (activities signed again,
    id of the Update).
    """
    resigned = outbox.resign(conn, publisher.identity, now)
    activity = vocabulary.update(
        publisher.routes.id,
        document(conn, settings, publisher),
        activity_id=publisher.new_activity_id(),
        published=now,
        **publisher.author.audience(),
    )
    remember_profile(conn, settings, publisher)
    return resigned, publisher.publish(conn, activity, now)


def replace_key_files(settings: Settings, now: datetime) -> Rotation:
    """New key files; the old public keys stay in keys/retired/ (federation/keys.py)."""
    return rotate_key_pair(settings.keys_dir, now=now)
