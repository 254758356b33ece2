"""The gemeente's own actor: an `Organization`, its addresses, what it says about itself, and
its keys (made by `bloei init`, kept in the data folder's keys/).

Kernen fetch this document to check the gemeente's HTTP signatures (on its Follow, on its
outbox fetches) and the integrity proofs on the reacties it sends.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from federation.actors import ActorProfile, ActorRoutes, actor_document
from federation.identity import LocalIdentity
from federation.keys import load_or_create_key_pair
from node.actor_paths import ACTOR_PATH, actor_routes
from node.settings import Settings


def routes(settings: Settings) -> ActorRoutes:
    return actor_routes(settings.public_url)


def profile(settings: Settings) -> ActorProfile:
    return ActorProfile(
        routes=routes(settings),
        username=settings.slug,
        name=settings.name,
        kind="Organization",
        summary=f"<p>{_escape(settings.name)} volgt de kernen en antwoordt ze.</p>",
        url=settings.url("/"),
        icon_url=settings.url("/static/favicon.svg"),
        icon_media_type="image/svg+xml",
    )


def load_identity(settings: Settings) -> LocalIdentity:
    """The actor id with its key pair; creates the keys for a folder that has none yet."""
    return LocalIdentity(settings.url(ACTOR_PATH), load_or_create_key_pair(settings.keys_dir))


def document(settings: Settings, identity: LocalIdentity) -> dict[str, Any]:
    return actor_document(profile(settings), identity.public_keys())


def _escape(text: str) -> str:
    return str(escape(text))
