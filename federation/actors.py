"""Actor documents, WebFinger and NodeInfo: how a node is found and what it says about itself.

A kern is a `Group`, the gemeente an `Organization`. The actor document publishes the RSA key as
`publicKey` (`#main-key`, PEM, for Mastodon's HTTP signatures) and the Ed25519 key as a Multikey
in `assertionMethod` (`#ed25519-key`, FEP-521a, for integrity proofs). `RemoteActor` reads the
same shape back from other servers, keeping only what the protocol needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from federation.identity import MAIN_KEY_FRAGMENT, PROOF_KEY_FRAGMENT
from federation.keys import PublicKeyInfo
from federation.vocabulary import (
    ACTIVITY_JSON,
    ACTOR_CONTEXT,
    id_of,
    types_of,
)

ACTOR_TYPES = ("Group", "Organization")
# What Bloei accepts as a remote actor; Mastodon users are Person, bots Service or Application.
REMOTE_ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO_PROFILE = NODEINFO_SCHEMA + "#"
JRD_JSON = "application/jrd+json"


class ActorError(ValueError):
    """A remote document is not an actor Bloei can talk to."""


@dataclass(frozen=True)
class ActorRoutes:
    """The URLs of one local actor. `under(public_url)` gives Bloei's default layout."""

    id: str
    inbox: str
    outbox: str
    followers: str
    following: str
    shared_inbox: str

    @classmethod
    def under(cls, public_url: str, path: str = "/actor") -> ActorRoutes:
        base = public_url.rstrip("/")
        actor = base + path
        return cls(
            id=actor,
            inbox=actor + "/inbox",
            outbox=actor + "/outbox",
            followers=actor + "/followers",
            following=actor + "/following",
            shared_inbox=base + "/inbox",
        )


@dataclass(frozen=True)
class ActorProfile:
    """What a local actor says about itself; the node fills it from its settings."""

    routes: ActorRoutes
    username: str  # the slug: acct:<username>@<host>
    name: str
    kind: str = "Group"
    summary: str = ""  # HTML
    url: str = ""  # the human page
    icon_url: str = ""
    icon_media_type: str = "image/png"
    manually_approves_followers: bool = False
    published: str = ""  # xsd:dateTime
    also_known_as: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_TYPES:
            raise ValueError(f"a Bloei actor is a Group or an Organization, not {self.kind}")

    @property
    def host(self) -> str:
        return urlsplit(self.routes.id).netloc.lower()

    @property
    def acct(self) -> str:
        return f"acct:{self.username}@{self.host}"


def actor_document(
    profile: ActorProfile,
    keys: PublicKeyInfo,
    *,
    extra_proof_keys: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The actor document served at `profile.routes.id` (as application/activity+json).

    `extra_proof_keys` maps further key ids (say a retired `#ed25519-2026-05`) to their Multikey
    text, for receivers that still hold proofs made with them.
    """
    routes = profile.routes
    document: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": routes.id,
        "type": profile.kind,
        "preferredUsername": profile.username,
        "name": profile.name,
        "summary": profile.summary,
        "url": profile.url or routes.id,
        "inbox": routes.inbox,
        "outbox": routes.outbox,
        "followers": routes.followers,
        "following": routes.following,
        "endpoints": {"sharedInbox": routes.shared_inbox},
        "manuallyApprovesFollowers": profile.manually_approves_followers,
        "discoverable": True,
        "publicKey": {
            "id": routes.id + MAIN_KEY_FRAGMENT,
            "owner": routes.id,
            "publicKeyPem": keys.rsa_pem,
        },
        "assertionMethod": [
            _multikey(routes.id + PROOF_KEY_FRAGMENT, routes.id, keys.ed25519_multibase)
        ],
    }
    for key_id, multibase in (extra_proof_keys or {}).items():
        document["assertionMethod"].append(_multikey(key_id, routes.id, multibase))
    if profile.icon_url:
        document["icon"] = {
            "type": "Image",
            "mediaType": profile.icon_media_type,
            "url": profile.icon_url,
        }
    if profile.published:
        document["published"] = profile.published
    if profile.also_known_as:
        document["alsoKnownAs"] = list(profile.also_known_as)
    return document


def _multikey(key_id: str, controller: str, multibase: str) -> dict[str, str]:
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": multibase,
    }


# --- WebFinger ---------------------------------------------------------------------------------


def parse_acct(text: str) -> tuple[str, str]:
    """('beesd', 'beesd.example') from 'acct:beesd@beesd.example', '@beesd@beesd.example' or
    'beesd@beesd.example'; the host lower-cased. ValueError on anything else."""
    value = text.strip()
    if value.lower().startswith("acct:"):
        value = value[5:]
    value = value.removeprefix("@")
    user, sep, host = value.rpartition("@")
    if not sep or not user or not host or "@" in user or "/" in host or " " in value:
        raise ValueError(f"{text!r} is not an account address like beesd@beesd.example")
    return user, host.lower()


def webfinger_url(address: str, scheme: str = "https") -> str:
    """Where to ask about an account address (RFC 7033)."""

    user, host = parse_acct(address)
    resource = quote(f"acct:{user}@{host}", safe=":@")
    return f"{scheme}://{host}/.well-known/webfinger?resource={resource}"


def webfinger(profile: ActorProfile, resource: str) -> dict[str, Any] | None:
    """The JRD for `resource`, or None when it is not this actor (the caller answers 404).

    The actor is found by its acct: address (user part case-insensitive), its id or its page
    URL; the subject is always the canonical acct: form, so asking again with the subject
    gives the same document (round-trip stable), and the aliases list both URLs.
    """
    if not _is_this_actor(profile, resource):
        return None
    routes = profile.routes
    aliases = [routes.id] + ([profile.url] if profile.url and profile.url != routes.id else [])
    return {
        "subject": profile.acct,
        "aliases": aliases,
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": routes.id},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile.url or routes.id,
            },
        ],
    }


def _is_this_actor(profile: ActorProfile, resource: str) -> bool:
    resource = resource.strip()
    if resource in (profile.routes.id, profile.url) and resource:
        return True
    try:
        user, host = parse_acct(resource)
    except ValueError:
        return False
    return user.lower() == profile.username.lower() and host == profile.host


def actor_id_from_jrd(jrd: Mapping[str, Any]) -> str:
    """The actor id a WebFinger answer points to (its `self` link of an ActivityPub type)."""
    for link in jrd.get("links") or ():
        if not isinstance(link, Mapping) or link.get("rel") != "self":
            continue
        media = str(link.get("type", "")).split(";")[0].strip()
        if media in (ACTIVITY_JSON, "application/ld+json") and isinstance(link.get("href"), str):
            return link["href"]
    raise ActorError("the WebFinger answer has no ActivityPub self link")


# --- NodeInfo ----------------------------------------------------------------------------------


def nodeinfo_discovery(public_url: str) -> dict[str, Any]:
    """The document at /.well-known/nodeinfo, pointing to the NodeInfo 2.1 document."""
    return {
        "links": [
            {"rel": NODEINFO_SCHEMA, "href": public_url.rstrip("/") + "/nodeinfo/2.1"},
        ]
    }


def nodeinfo(
    version: str,
    *,
    local_posts: int = 0,
    users: int = 1,
    metadata: Mapping[str, Any] | None = None,
    homepage: str = "",
    repository: str = "",
) -> dict[str, Any]:
    """NodeInfo 2.1 (served as `application/json; profile="...schema/2.1#"`).

    A node has one actor, so `users` is 1; registrations are closed: accounts are for beheer.
    """
    software: dict[str, Any] = {"name": "bloei", "version": version}
    if homepage:
        software["homepage"] = homepage
    if repository:
        software["repository"] = repository
    return {
        "version": "2.1",
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_posts,
        },
        "metadata": dict(metadata or {}),
    }


# --- remote actors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteActor:
    """What Bloei keeps of another server's actor."""

    id: str
    type: str
    inbox: str
    shared_inbox: str | None = None
    outbox: str | None = None
    followers: str | None = None
    preferred_username: str = ""
    name: str = ""
    keys: Mapping[str, str] = field(default_factory=dict)  # key id -> PEM or Multikey text

    @property
    def delivery_inbox(self) -> str:
        """Where to deliver public activities: the shared inbox when there is one."""
        return self.shared_inbox or self.inbox

    @classmethod
    def from_document(cls, document: Any, fetched_from: str | None = None) -> RemoteActor:
        """Read an actor document; ActorError when it is not a usable actor.

        `fetched_from` is the URL it came from: an actor must live at its own id (or the
        same origin), else anyone could publish a document claiming someone else's id.
        """
        if not isinstance(document, Mapping):
            raise ActorError("the actor document is not a JSON object")
        actor_id = document.get("id")
        if not isinstance(actor_id, str) or not actor_id.startswith(("https://", "http://")):
            raise ActorError("the actor has no http(s) id")
        if fetched_from is not None and _origin(fetched_from) != _origin(actor_id):
            raise ActorError(f"{fetched_from} serves an actor of another origin: {actor_id}")
        kinds = set(types_of(document)) & REMOTE_ACTOR_TYPES
        if not kinds:
            raise ActorError(f"{actor_id} is not an actor type Bloei knows")
        inbox = document.get("inbox")
        if not isinstance(inbox, str) or _origin(inbox) != _origin(actor_id):
            raise ActorError(f"{actor_id} has no inbox on its own origin")
        endpoints = document.get("endpoints")
        shared = endpoints.get("sharedInbox") if isinstance(endpoints, Mapping) else None
        return cls(
            id=actor_id,
            type=sorted(kinds)[0],
            inbox=inbox,
            shared_inbox=shared if isinstance(shared, str) else None,
            outbox=_str_or_none(document.get("outbox")),
            followers=_str_or_none(document.get("followers")),
            preferred_username=str(document.get("preferredUsername") or ""),
            name=str(document.get("name") or ""),
            keys=dict(_published_keys(document, actor_id)),
        )


def _published_keys(document: Mapping[str, Any], actor_id: str) -> Iterable[tuple[str, str]]:
    """Key ids and their key text from `publicKey` and `assertionMethod`, owned by the actor.

    A key id on another origin is left out: else a document could claim someone else's key id
    and make us attribute that id to the wrong actor.
    """
    sources = (
        ("publicKey", "owner", "publicKeyPem"),
        ("assertionMethod", "controller", "publicKeyMultibase"),
    )
    for name, owner_field, key_field in sources:
        for entry in _as_list(document.get(name)):
            if not isinstance(entry, Mapping) or not isinstance(entry.get(key_field), str):
                continue
            if id_of(entry.get(owner_field)) in (None, actor_id) and _same_origin(entry, actor_id):
                yield entry["id"], entry[key_field]


def _same_origin(entry: Mapping[str, Any], actor_id: str) -> bool:
    key_id = entry.get("id")
    return isinstance(key_id, str) and _origin(key_id) == _origin(actor_id)


def _as_list(value: Any) -> Sequence[Any]:
    if value is None:
        return ()
    return value if isinstance(value, list) else (value,)


def _str_or_none(value: Any) -> str | None:
    found = id_of(value)
    return found if isinstance(found, str) else None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
