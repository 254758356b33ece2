"""Bloei's JSON-LD vocabulary, in one place: the context, the terms, and activity builders.

Bloei speaks ActivityStreams 2.0. Where AS has no word for something of a village's practice (a
project's phase, who acts on a thema) Bloei adds a term in its own namespace, `BLOEI_NS`. Every
Bloei object keeps a standard AS type beside its Bloei type (`["Page", "Project"]`), so a
fediverse server that does not know Bloei still shows something sensible.

The namespace is the stable project URL `https://w3id.org/bloei/ns#`, not a node's own domain:
a term must mean the same on every node, and a node's domain can change. The context is always
embedded inline, so no processor ever has to fetch it; docs/FEDERATION.md documents each term.

Builders return plain dicts with `@context`; ids are minted by the caller (see `new_id`), and
signing (`LocalIdentity.sign`) happens when an activity is stored or sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
BLOEI_NS = "https://w3id.org/bloei/ns#"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Activities Bloei sends; every one has a builder below and a section in FEDERATION.md.
ACTIVITY_TYPES = (
    "Create",
    "Update",
    "Delete",
    "Follow",
    "Accept",
    "Reject",
    "Undo",
    "Announce",
    "Move",
)
# Standard (AS 2.0 and security) object types that appear in what Bloei publishes.
OBJECT_TYPES = (
    "Group",
    "Organization",
    "Event",
    "Note",
    "Page",
    "Place",
    "Image",
    "Tombstone",
    "OrderedCollection",
    "OrderedCollectionPage",
    "Multikey",
    "DataIntegrityProof",
)


@dataclass(frozen=True)
class Term:
    """One Bloei term: a type, or a property with how its value reads."""

    name: str
    description: str
    kind: str = "property"  # or "type"
    value: str = ""  # "@id" (a link), "xsd:date", "xsd:integer", "xsd:boolean", or "" (text)
    container: str = ""  # "@set" for unordered lists, "@list" for ordered ones
    beside: str = ""  # for a type: the standard AS type it always travels with

    @property
    def iri(self) -> str:
        return BLOEI_NS + self.name

    def context_entry(self) -> str | dict[str, str]:
        if self.kind == "type" or not (self.value or self.container):
            return "bloei:" + self.name
        entry = {"@id": "bloei:" + self.name}
        if self.value:
            entry["@type"] = self.value
        if self.container:
            entry["@container"] = self.container
        return entry


def _type(name: str, beside: str, description: str) -> Term:
    return Term(name, description, kind="type", beside=beside)


# Domain words stay Dutch, as the kernen say them; protocol mechanics are English.
TERMS: tuple[Term, ...] = (
    # types
    _type("Project", "Page", "Concrete work under a thema, moving through phases."),
    _type("Thema", "Page", "A theme or point of attention on the kernagenda."),
    _type("AgendaVersie", "Page", "A published, frozen version of the whole kernagenda."),
    _type("Bijeenkomst", "Event", "A meeting in person, with its verslag afterwards."),
    _type("Idee", "Note", "A resident's idea, published after moderation."),
    _type("Bericht", "Note", "News from the kern."),
    _type("Gemeentebericht", "Note", "News the gemeente sends to one kern or to all."),
    _type(
        "Reactie",
        "Note",
        "The gemeente's answer on a thema or project, or a kern's answer to one (inReplyTo).",
    ),
    Term("FaseWijziging", "One change of a project's phase, dated, with a note.", kind="type"),
    Term(
        "Terugblik",
        "The group's look back on a project that ended: what worked, what was learned, the "
        "step on the participatieladder reached.",
        kind="type",
    ),
    Term(
        "Evaluatie",
        "What residents said of a meeting, in figures: how many answered, the average score.",
        kind="type",
    ),
    Term("Budget", "A project's money: requested, granted, source.", kind="type"),
    _type(
        "Partner",
        "Organization",
        "An organisation the kern works with: a club, the school, a housing corporation.",
    ),
    Term(
        "PartnerRol",
        "A Partner named on a thema or project, with what it does there (rol).",
        kind="type",
    ),
    # project
    Term(
        "fase",
        "The project's phase: idee, verkenning, planvorming, uitvoering, afgerond, "
        "gepauzeerd or gestopt.",
    ),
    Term("faseGeschiedenis", "Every phase change, oldest first.", container="@list"),
    Term("van", "The phase a FaseWijziging left (absent for the first)."),
    Term("naar", "The phase a FaseWijziging entered."),
    Term("toelichting", "The note with a change: why, or what was decided."),
    Term("datum", "The date of a FaseWijziging or a Terugblik.", value="xsd:date"),
    Term("bijeenkomst", "The meeting whose verslag decided a change.", value="@id"),
    Term(
        "participatieladder",
        "The level on the participatieladder: informeren, raadplegen, adviseren, "
        "coproduceren, meebeslissen or zelfbeheer.",
    ),
    Term(
        "behoeften",
        "What the project needs: vrijwilligers, geld, besluit_gemeente, plek.",
        container="@set",
    ),
    Term("budget", "The project's Budget object."),
    Term("aangevraagd", "Amount requested, in euro cents.", value="xsd:integer"),
    Term("toegekend", "Amount granted, in euro cents.", value="xsd:integer"),
    Term(
        "bron",
        "Where the money comes from: leefbaarheidsbudget, kernenbudget, gemeente, fonds, "
        "eigen, provincie or anders.",
    ),
    Term("bronAnders", "What the source is, in the group's words, when bron is anders."),
    Term("valuta", "ISO 4217 currency of the amounts; always EUR."),
    Term("startdatum", "When the project started.", value="xsd:date"),
    Term("streefdatum", "When the project aims to be done.", value="xsd:date"),
    Term("trekker", "The name of the project's lead, only with their consent."),
    Term("terugblik", "The project's Terugblik, once the group wrote one."),
    Term("watWerkte", "What worked well (HTML)."),
    Term("geleerd", "What the group learned (HTML)."),
    Term(
        "bereikteTrede",
        "The step on the participatieladder the project reached: informeren, raadplegen, "
        "adviseren, coproduceren, meebeslissen or zelfbeheer.",
    ),
    Term(
        "aantalSteunbetuigingen",
        "How many residents support it (a count, never who).",
        value="xsd:integer",
    ),
    Term(
        "themas",
        "The thema's an object is about (links), or an AgendaVersie's thema's (embedded).",
        value="@id",
        container="@set",
    ),
    Term("projecten", "The projects a meeting is about.", value="@id", container="@set"),
    # thema
    Term("prioriteit", "The thema's priority: hoog, middel or laag."),
    Term(
        "themaStatus",
        "The thema's status: nieuw, loopt, eerste_successen, afgerond or in_stand_houden.",
    ),
    Term("wieIsAanZet", "Who acts: inwoners, gemeente, samen or anderen."),
    Term("wieIsAanZetToelichting", "Who the others are, when wieIsAanZet is anderen."),
    # partners
    Term(
        "partners",
        "The partners of a thema or project: PartnerRol objects, those aan zet first.",
        container="@set",
    ),
    Term("partner", "The Partner a PartnerRol names.", value="@id"),
    Term("rol", "What a partner does on a thema or project: aan_zet or helpt."),
    Term(
        "partnerSoort",
        "The kind of a Partner: vereniging, school, zorg, woningcorporatie, bedrijf, "
        "stichting, kerk, overheid or overig.",
    ),
    Term("website", "A Partner's own website.", value="@id"),
    Term(
        "contact",
        "A public contact of a Partner: an e-mail address or telephone number of the "
        "organisation, never of a resident.",
    ),
    # meeting
    Term("capaciteit", "How many people fit; absent when there is no limit.", value="xsd:integer"),
    Term(
        "aanmeldingen",
        "How many people signed up, as of the meeting's last published change (a count only).",
        value="xsd:integer",
    ),
    Term("geannuleerd", "True when the meeting was cancelled.", value="xsd:boolean"),
    Term("annuleringsreden", "Why the meeting was cancelled."),
    Term("verslag", "The minutes and decisions (HTML), once published."),
    Term("evaluatie", "The meeting's Evaluatie, once someone evaluated it."),
    Term(
        "aantalAntwoorden",
        "How many residents evaluated the meeting (one answer per browser).",
        value="xsd:integer",
    ),
    Term(
        "gemiddeldeScore",
        "The average of the answers, from 1 (slecht) to 5 (heel goed), one decimal.",
        value="xsd:decimal",
    ),
    # reactie
    Term(
        "afgerond",
        "True on a Reactie that closes the conversation about its project or thema.",
        value="xsd:boolean",
    ),
    # idea
    Term("antwoord", "The kern's public answer to an idea."),
    Term("project", "The project an idea became.", value="@id"),
    # protocol
    Term(
        "kind",
        "The Bloei type of an object that travels with one plain AS type, so that readers "
        "which compare `type` with a string (Gancio) accept it: a meeting is "
        '`"type": "Event", "kind": "Bijeenkomst"`. On a Tombstone it names what the object was.',
        value="@vocab",
    ),
    Term(
        "lastPosition",
        "The outbox position of the newest item in an outbox, or of the last item on a "
        "catch-up page.",
        value="xsd:integer",
    ),
)
TERMS_BY_NAME: dict[str, Term] = {term.name: term for term in TERMS}
BLOEI_TYPES = tuple(term.name for term in TERMS if term.kind == "type")
BLOEI_PROPERTIES = tuple(term.name for term in TERMS if term.kind == "property")

# Standard terms Bloei writes that none of the context documents it names defines where Bloei
# uses them; a JSON-LD reader would drop each (the AS context maps unknown terms to blank
# nodes). Mastodon's extensions are defined the way Mastodon does; `assertionMethod` as the
# security vocabulary (v2) defines it, because data-integrity/v2 defines it only inside a
# proof's `proofPurpose` and multikey/v1 not at all; a place's `address` as schema.org's (text).
# `formerType` is redefined: the AS context makes its value an `@id`, so a strict reader takes
# "Page" for a link relative to the document; as `@vocab` it is the type it names.
_EXTENSION_TERMS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "sec": "https://w3id.org/security#",
    "schema": "http://schema.org/",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "discoverable": "toot:discoverable",
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "assertionMethod": {"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
    # A meeting's place, capacity and time zone in the terms Mobilizon writes (schema.org
    # for the address and capacity, Mobilizon's own namespace for time zone and count).
    "mz": "https://joinmobilizon.org/ns#",
    "address": "schema:address",
    "PostalAddress": "schema:PostalAddress",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "addressLocality": "schema:addressLocality",
    "addressRegion": "schema:addressRegion",
    "addressCountry": "schema:addressCountry",
    "timezone": "mz:timezone",
    "maximumAttendeeCapacity": {"@id": "schema:maximumAttendeeCapacity", "@type": "xsd:integer"},
    "remainingAttendeeCapacity": {
        "@id": "schema:remainingAttendeeCapacity",
        "@type": "xsd:integer",
    },
    "participantCount": {"@id": "mz:participantCount", "@type": "xsd:integer"},
    # Whether a meeting goes ahead, as iCalendar says it (Mobilizon reads CONFIRMED/CANCELLED).
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "status": "ical:status",
    "formerType": {"@id": "as:formerType", "@type": "@vocab"},
}


def bloei_context() -> dict[str, Any]:
    """The inline context object with every Bloei term (and Mastodon's few extensions)."""
    context: dict[str, Any] = {"bloei": BLOEI_NS, "xsd": "http://www.w3.org/2001/XMLSchema#"}
    context.update(_EXTENSION_TERMS)
    for term in TERMS:
        context[term.name] = term.context_entry()
    return context


# Where every node serves `context_document()`, as application/ld+json: the same context as a
# document of its own, for JSON-LD tools that want to load it by URL.
CONTEXT_PATH = "/ns/bloei.jsonld"
LD_JSON_MEDIA = "application/ld+json"


def context_document() -> dict[str, Any]:
    """Bloei's context as a JSON-LD context document (what CONTEXT_PATH serves)."""
    return {"@context": bloei_context()}


# Built once: documents share the list, and JSON encoding never mutates it.
CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_V1, DATA_INTEGRITY_V2, bloei_context()]
ACTOR_CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_V1, DATA_INTEGRITY_V2, MULTIKEY_V1, CONTEXT[3]]

# Property names of AS 2.0, security v1, data integrity and Multikey that Bloei writes.
STANDARD_PROPERTIES = frozenset(
    {
        "@context", "id", "type", "actor", "object", "target", "origin", "to", "cc", "bto",
        "bcc", "audience", "published", "updated", "deleted", "formerType", "name", "summary",
        "content", "mediaType", "url", "href", "icon", "image", "attributedTo", "inReplyTo",
        "startTime", "endTime", "location", "address", "latitude", "longitude", "tag",
        "attachment", "preferredUsername", "inbox", "outbox", "followers", "following",
        "endpoints", "sharedInbox", "publicKey", "owner", "publicKeyPem", "assertionMethod",
        "controller", "publicKeyMultibase", "proof", "cryptosuite", "verificationMethod",
        "proofPurpose", "proofValue", "created", "totalItems", "first", "last", "next", "prev",
        "partOf", "orderedItems", "items", "manuallyApprovesFollowers", "discoverable",
        "alsoKnownAs", "movedTo", "duration", "contentMap", "nameMap", "summaryMap",
        "streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry",
        "timezone", "maximumAttendeeCapacity", "remainingAttendeeCapacity", "participantCount",
        "status",
    }
)  # fmt: skip


def undefined_terms(document: Any) -> set[str]:
    """Property names in `document` (walked deeply) that neither AS nor Bloei defines.

    A test over a busy outbox calls this to prove every published property is documented.
    """
    found: set[str] = set()
    _collect_undefined(document, found)
    return found


def _collect_undefined(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_undefined(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                continue
            if key not in STANDARD_PROPERTIES and key not in TERMS_BY_NAME:
                found.add(key)
            _collect_undefined(item, found)


# --- small helpers -----------------------------------------------------------------------------


def new_id(base: str) -> str:
    """A fresh, unguessable id under `base`, e.g. new_id(actor_id + "/activities")."""
    return f"{base.rstrip('/')}/{uuid.uuid4()}"


def format_time(moment: datetime) -> str:
    """xsd:dateTime in UTC to the second, the way Mastodon writes `published`."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def id_of(value: Any) -> str | None:
    """The id of a link or an embedded object; None when there is none."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]
    return None


_ADDRESS_PARTS = ("streetAddress", "postalCode", "addressLocality", "addressRegion")


def address_text(value: Any) -> str:
    """A Place's `address` as one line, whether it came as text or as a PostalAddress."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, Mapping):
        return ""
    parts = [value.get(key) for key in _ADDRESS_PARTS]
    return ", ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def types_of(value: Any) -> tuple[str, ...]:
    """An object's types as a tuple, whether `type` is one string or a list, Bloei's `kind` last.

    A meeting reads ("Event", "Bijeenkomst") whether it came as `"type": "Event"` with
    `"kind": "Bijeenkomst"` or, as Bloei wrote it before, `"type": ["Event", "Bijeenkomst"]`.
    """
    if not isinstance(value, Mapping):
        return ()
    kind = value.get("type")
    found: tuple[str, ...] = ()
    if isinstance(kind, str):
        found = (kind,)
    elif isinstance(kind, list):
        found = tuple(k for k in kind if isinstance(k, str))
    bloei_kind = value.get("kind")
    if isinstance(bloei_kind, str) and bloei_kind not in found:
        found = (*found, bloei_kind)
    return found


def former_types_of(tombstone: Any) -> tuple[str, ...]:
    """What a Tombstone says the object was: its formerType(s), Bloei's `kind` last."""
    if not isinstance(tombstone, Mapping):
        return ()
    return types_of({"type": tombstone.get("formerType"), "kind": tombstone.get("kind")})


# Bloei types sent as one plain AS type with the Bloei type in `kind`: the readers of these
# (Gancio, Mobilizon) accept an object only when `type` is exactly the string they expect.
PLAIN_TYPED = frozenset({"Bijeenkomst"})


def typed(bloei_type: str, **properties: Any) -> dict[str, Any]:
    """An object with its Bloei type and the standard type it travels with.

    typed("Project", id=..., name=...) gives {"type": ["Page", "Project"], "id": ..., ...};
    typed("Bijeenkomst", ...) gives {"type": "Event", "kind": "Bijeenkomst", ...}.
    """
    term = TERMS_BY_NAME.get(bloei_type)
    if term is None or term.kind != "type" or not term.beside:
        raise ValueError(f"{bloei_type} is not a Bloei object type")
    if bloei_type in PLAIN_TYPED:
        return {"type": term.beside, "kind": bloei_type, **properties}
    return {"type": [term.beside, bloei_type], **properties}


def _without_context(obj: Any) -> Any:
    if isinstance(obj, Mapping) and "@context" in obj:
        return {k: v for k, v in obj.items() if k != "@context"}
    return obj


def _context_for(obj: Any) -> list[Any]:
    """An activity that embeds an actor (an Update with new keys) needs the Multikey context."""
    if isinstance(obj, Mapping) and "assertionMethod" in obj:
        return ACTOR_CONTEXT
    return CONTEXT


def _activity(
    kind: str,
    activity_id: str,
    actor: str,
    obj: Any,
    *,
    published: datetime | None = None,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "@context": _context_for(obj),
        "id": activity_id,
        "type": kind,
        "actor": actor,
        "object": _without_context(obj),
    }
    if published is not None:
        activity["published"] = format_time(published)
    if to:
        activity["to"] = list(to)
    if cc:
        activity["cc"] = list(cc)
    activity.update(extra)
    return activity


def _addressed(obj: Mapping[str, Any], to: Sequence[str], cc: Sequence[str]) -> dict[str, Any]:
    # Mastodon decides visibility from the object's own addressing: give it the activity's.
    result = dict(_without_context(obj))
    if to and "to" not in result:
        result["to"] = list(to)
    if cc and "cc" not in result:
        result["cc"] = list(cc)
    return result


# --- builders ----------------------------------------------------------------------------------


def public_audience(followers_url: str) -> dict[str, list[str]]:
    """The addressing of everything a kern publishes: public, and its followers."""
    return {"to": [PUBLIC], "cc": [followers_url]}


def create(
    actor: str,
    obj: Mapping[str, Any],
    *,
    activity_id: str,
    published: datetime,
    to: Sequence[str] = (PUBLIC,),
    cc: Sequence[str] = (),
) -> dict[str, Any]:
    """Create of a new object; the object gets the activity's addressing if it has none."""
    return _activity(
        "Create", activity_id, actor, _addressed(obj, to, cc), published=published, to=to, cc=cc
    )


def update(
    actor: str,
    obj: Mapping[str, Any],
    *,
    activity_id: str,
    published: datetime,
    to: Sequence[str] = (PUBLIC,),
    cc: Sequence[str] = (),
) -> dict[str, Any]:
    """Update with the whole object as it now is (not a patch): receivers replace their copy."""
    return _activity(
        "Update", activity_id, actor, _addressed(obj, to, cc), published=published, to=to, cc=cc
    )


def tombstone(
    object_id: str, former_type: str | Sequence[str], deleted: datetime
) -> dict[str, Any]:
    """What remains of a deleted object: its id, what it was, and when it went.

    A plain-typed Bloei type (a meeting) becomes `"formerType": "Event"` with
    `"kind": "Bijeenkomst"`: Gancio takes a Tombstone's formerType for the object's type.
    """
    former: Any = former_type if isinstance(former_type, str) else list(former_type)
    extra: dict[str, str] = {}
    if isinstance(former, list):
        plain = [kind for kind in former if kind in PLAIN_TYPED]
        if plain:
            extra["kind"] = plain[0]
            former = TERMS_BY_NAME[plain[0]].beside
    elif former in PLAIN_TYPED:
        extra["kind"] = former
        former = TERMS_BY_NAME[former].beside
    return {
        "id": object_id,
        "type": "Tombstone",
        "formerType": former,
        **extra,
        "deleted": format_time(deleted),
    }


def delete(
    actor: str,
    object_id: str,
    former_type: str | Sequence[str],
    *,
    activity_id: str,
    published: datetime,
    to: Sequence[str] = (PUBLIC,),
    cc: Sequence[str] = (),
) -> dict[str, Any]:
    """Delete of an object, carrying a Tombstone (Mastodon also accepts the bare id)."""
    return _activity(
        "Delete",
        activity_id,
        actor,
        tombstone(object_id, former_type, published),
        published=published,
        to=to,
        cc=cc,
    )


def follow(actor: str, target: str, *, activity_id: str) -> dict[str, Any]:
    """Follow of another actor; addressed to it, as Mastodon expects."""
    return _activity("Follow", activity_id, actor, target, to=(target,))


def accept(
    actor: str, follow_activity: Mapping[str, Any] | str, *, activity_id: str
) -> dict[str, Any]:
    """Accept of a Follow, embedding the Follow so the receiver need not fetch it."""
    follower = _follower_of(follow_activity)
    return _activity(
        "Accept", activity_id, actor, follow_activity, to=(follower,) if follower else ()
    )


def reject(
    actor: str, follow_activity: Mapping[str, Any] | str, *, activity_id: str
) -> dict[str, Any]:
    """Reject of a Follow (also sent to remove an accepted follower)."""
    follower = _follower_of(follow_activity)
    return _activity(
        "Reject", activity_id, actor, follow_activity, to=(follower,) if follower else ()
    )


def undo(
    actor: str, activity: Mapping[str, Any], *, activity_id: str, to: Sequence[str] = ()
) -> dict[str, Any]:
    """Undo of one of our own activities (a Follow, an Announce), embedding it."""
    return _activity("Undo", activity_id, actor, activity, to=to)


def announce(
    actor: str,
    obj: Mapping[str, Any] | str,
    *,
    activity_id: str,
    published: datetime,
    to: Sequence[str] = (PUBLIC,),
    cc: Sequence[str] = (),
) -> dict[str, Any]:
    """Announce (boost) of an object: how a Group shows a new meeting or news item on Mastodon.

    Mastodon expects the object itself here, not its Create.
    """
    return _activity("Announce", activity_id, actor, obj, published=published, to=to, cc=cc)


def move(
    actor: str,
    target: str,
    *,
    activity_id: str,
    published: datetime,
    to: Sequence[str] = (),
) -> dict[str, Any]:
    """Move of this actor to a new one (`target`, which lists us in alsoKnownAs)."""
    return _activity("Move", activity_id, actor, actor, published=published, to=to, target=target)


def _follower_of(follow_activity: Mapping[str, Any] | str) -> str | None:
    if isinstance(follow_activity, Mapping):
        return id_of(follow_activity.get("actor"))
    return None


def all_types() -> Iterable[str]:
    """Every type name Bloei writes: activities, standard objects, Bloei's own."""
    return (*ACTIVITY_TYPES, *OBJECT_TYPES, *BLOEI_TYPES)
