"""How Gancio and Mobilizon read an incoming Event, written down from their source code.

Each function returns the reasons a real server would refuse (or crash on) an activity; an empty
list means it would store it. The rules, and where they come from:

Gancio 1.21.0 (`server/federation/inbox.js`, `events.js`, `helpers.js` parsePlace/parseAPEvent,
`api/controller/event.js` _findOrCreatePlace):
- Create, Update: `object.type === 'Event'`, a string compare (an array is "unsupported Object",
  404). Delete: a Tombstone's `formerType` replaces its type, and must then be `'Event'`.
- Create: `name`, `startTime` and `id` must be truthy (400). A `location` Place needs a name and
  an address: text, or a PostalAddress with streetAddress, addressLocality, addressRegion or
  addressCountry (otherwise _findOrCreatePlace throws: 400). Every attachment it looks at needs
  a `mediaType` string (`a?.mediaType.includes('image')` throws on one without). `tag` a list.
- Update: `location.name` and an address read as `address.streetAddress ?? addressLocality ??
  addressCountry ?? address` that must be a non-empty string (`.trim()`; otherwise 500);
  `attachment.length` (500 without a list); `content` through linkifyHtml (500 unless a string);
  `name.trim()`.

Mobilizon (`lib/federation/activity_stream/converter/event.ex`, `address.ex`):
- Create/Update of `"type": "Event"` (pattern-matched string); `name` (title) and `startTime`
  (begins_on) are required by the event changeset; `to` is a list (`@ap_public in
  object["to"]`); `attachment`, when there, a list; `location.address`, when there, a map (it
  reads `object["address"]["addressCountry"]`, which raises on text);
  `maximumAttendeeCapacity` an integer when there; `timezone` text when there; `status`
  (default CONFIRMED) one of TENTATIVE, CONFIRMED, CANCELLED, downcased into its EventStatus.

Mastodon (`app/lib/activitypub/activity.rb`, `activity/create.rb`, `parser/status_parser.rb`):
- an object is taken when its `type` is, or (as a list) includes, a SUPPORTED type (Note,
  Question) or a CONVERTED one (Image, Audio, Video, Article, Page, Event); anything else is
  dropped without a word. Its `id` must be on the sending actor's host (invalid_origin?).
- a converted object becomes a post of `<h2>name</h2>`, then `summary`, then a link to `url`
  (or `id` when `url` is missing or on another host); `content` is not shown. Public when `to`
  or `cc` holds the Public collection.

Mobilizon, further (`converter/utils.ex`): the organizer is the object's `actor` or
`attributedTo` (neither: no_actor_found); `status` is downcased (text only); with Document
attachments `content` goes through String.replace (text only).

Gancio 1.21.0 "add trusted instance" (`api/controller/instance.js` addTrust, `helpers.js`
getNodeInfo): `@user@host` is looked up through WebFinger and its `self` link trusted; a URL
is taken as an instance, whose discovery document's FEP-2677 link (rel `...#Application`) is
trusted, else a default account for Gancio and Mobilizon only, else 404. Gancio reads the first
discovery link as the NodeInfo link whatever its rel. Only Events *sent by* the trusted and
followed actor are stored (inbox.js).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"
PLACE_PARTS = ("streetAddress", "addressLocality", "addressRegion", "addressCountry")


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def gancio_refusals(activity: dict[str, Any]) -> list[str]:
    """Why Gancio 1.21.0 would not store this Create, Update or Delete of an Event."""
    kind = activity.get("type")
    obj = activity.get("object")
    if not obj or not kind:
        return ["no object or type (404)"]
    if kind == "Delete":
        return _gancio_delete(obj)
    if not isinstance(obj, dict) or obj.get("type") != "Event":
        return [f"{kind} with unsupported object type {obj.get('type')!r} (404)"]
    if kind == "Create":
        return _gancio_create(obj)
    if kind == "Update":
        return _gancio_update(obj)
    return [f"unknown message type {kind!r} (404)"]


def _gancio_create(event: dict[str, Any]) -> list[str]:
    problems = [
        f"{field} required (400)" for field in ("name", "startTime", "id") if not event.get(field)
    ]
    location = event.get("location")
    if location is not None:
        places = location if isinstance(location, list) else [location]
        physical = [p for p in places if isinstance(p, dict) and not _online(p)]
        if physical:
            place = next((p for p in physical if p.get("address")), physical[0])
            address = place.get("address")
            if isinstance(address, str):
                line = address
            elif isinstance(address, dict):
                line = ", ".join(a for a in (address.get(k) for k in PLACE_PARTS) if _filled(a))
            else:
                line = place.get("name")
            if not _filled(place.get("name")) or not _filled(line):
                problems.append("place_name and place_address are required (400)")
    for attachment in event.get("attachment") or []:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("mediaType"), str):
            problems.append("attachment without mediaType: TypeError (400)")
            break
        if "image" in attachment["mediaType"] and attachment.get("url"):
            break
    if "tag" in event and not isinstance(event["tag"], list):
        problems.append("tag is not a list (400)")
    return problems


def _online(place: dict[str, Any]) -> bool:
    address = place.get("address")
    return isinstance(address, dict) and bool(address.get("url"))


def _gancio_update(event: dict[str, Any]) -> list[str]:
    problems = []
    if not event.get("id"):
        problems.append("id not found in body.object (404)")
    location = event.get("location") if isinstance(event.get("location"), dict) else {}
    address = location.get("address")
    if isinstance(address, dict):
        line = next(
            (
                address[k]
                for k in ("streetAddress", "addressLocality", "addressCountry")
                if k in address and address[k] is not None
            ),
            address,
        )
    else:
        line = address if address is not None else ""
    if not _filled(location.get("name")) or not _filled(line):
        problems.append("place_name and place_address are required (500)")
    if not isinstance(event.get("attachment"), list):
        problems.append("attachment.length of a missing list (500)")
    if not isinstance(event.get("content"), str):
        problems.append("linkifyHtml of a missing content (500)")
    if not isinstance(event.get("name"), str):
        problems.append("name.trim() of a missing name (500)")
    if not _time(event.get("startTime")):
        problems.append("startTime is not a date (invalid date stored)")
    return problems


def _gancio_delete(obj: Any) -> list[str]:
    if isinstance(obj, dict) and obj.get("type") == "Tombstone":
        kind = obj.get("formerType", "Tombstone")
    else:
        kind = obj.get("type") if isinstance(obj, dict) else None
    if kind != "Event":
        return [f"Delete of {kind!r} is not an event removal"]
    if not (obj.get("id") if isinstance(obj, dict) else obj):
        return ["Delete without an id (404)"]
    return []


def mobilizon_refusals(activity: dict[str, Any]) -> list[str]:
    """Why Mobilizon would not turn this Create or Update into an event."""
    obj = activity.get("object")
    if activity.get("type") not in ("Create", "Update"):
        return [f"not a Create or Update: {activity.get('type')!r}"]
    if not isinstance(obj, dict) or obj.get("type") != "Event":
        return [f'object type {obj.get("type") if isinstance(obj, dict) else obj!r} is not "Event"']
    problems = []
    if not _filled(obj.get("name")):
        problems.append("title can't be blank")
    if not _time(obj.get("startTime")):
        problems.append("begins_on can't be blank")
    if obj.get("endTime") is not None and not _time(obj.get("endTime")):
        problems.append("ends_on is not a date")
    if not isinstance(obj.get("to"), list):
        problems.append("`to` is not a list (visibility)")
    if "attachment" in obj and not isinstance(obj["attachment"], list):
        problems.append("attachment is not a list")
    location = obj.get("location")
    if location is not None:
        if not isinstance(location, dict) or location.get("type") != "Place":
            problems.append("location is not a Place")
        elif location.get("address") is not None and not isinstance(location["address"], dict):
            problems.append("location.address is not a PostalAddress (Access on text raises)")
    capacity = obj.get("maximumAttendeeCapacity")
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool)):
        problems.append("maximumAttendeeCapacity is not an integer")
    if "timezone" in obj and not isinstance(obj["timezone"], str):
        problems.append("timezone is not text")
    if "status" in obj and obj["status"] not in ("TENTATIVE", "CONFIRMED", "CANCELLED"):
        problems.append("status is not an iCalendar event status")
    if not (obj.get("actor") or obj.get("attributedTo")):
        problems.append("no_actor_found (no actor nor attributedTo)")
    documents = [a for a in obj.get("attachment") or [] if isinstance(a, dict)]
    if any(a.get("type") == "Document" for a in documents) and not isinstance(
        obj.get("content"), str
    ):
        problems.append("String.replace on a missing content")
    return problems


def mobilizon_address(place: dict[str, Any]) -> dict[str, Any]:
    """What Mobilizon stores of a Place (AddressConverter.as_to_model_data)."""
    address = place.get("address") or {}
    return {
        "description": place.get("name"),
        "street": address.get("streetAddress"),
        "postal_code": address.get("postalCode"),
        "locality": address.get("addressLocality"),
        "region": address.get("addressRegion"),
        "country": address.get("addressCountry"),
    }


def gancio_trusted_actor(
    entered: str, discovery: dict[str, Any], webfinger: dict[str, Any] | None
) -> str | None:
    """The actor Gancio trusts when its admin enters `entered`, or None where Gancio says 404.

    `discovery` is the instance's /.well-known/nodeinfo, `webfinger` its answer for the account
    (None when it has none).
    """
    if not entered.startswith("http") and "@" in entered:
        links = (webfinger or {}).get("links") or []
        found = next((link for link in links if link.get("rel") == "self"), None)
        return found.get("href") if found else None
    links = discovery.get("links") or []
    if not links or "nodeinfo.diaspora.software/ns/schema" not in links[0].get("rel", ""):
        return None  # the first link is fetched as NodeInfo: the instance is not read
    application = next((link for link in links if link.get("rel") == APPLICATION_REL), None)
    return application.get("href") if application else None


MASTODON_TYPES = ("Note", "Question", "Image", "Audio", "Video", "Article", "Page", "Event")
MASTODON_CONVERTED = ("Image", "Audio", "Video", "Article", "Page", "Event")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("type")
    return [kind] if isinstance(kind, str) else [k for k in kind or [] if isinstance(k, str)]


def _host(url: Any) -> str:
    return urlsplit(url).netloc.lower() if isinstance(url, str) else ""


def mastodon_refusals(activity: dict[str, Any]) -> list[str]:
    """Why Mastodon would drop this Create or Update rather than show a post."""
    obj = activity.get("object")
    if not isinstance(obj, dict):
        return ["object is not embedded"]
    if not any(kind in MASTODON_TYPES for kind in _types(obj)):
        return [f"unsupported object type {obj.get('type')!r}"]
    problems = []
    if _host(obj.get("id")) != _host(activity.get("actor")):
        problems.append("id on another host than the actor (invalid_origin)")
    audience = [*(obj.get("to") or []), *(obj.get("cc") or [])]
    if PUBLIC not in audience:
        problems.append("not public: shown to followers at most")
    return problems


def mastodon_post(activity: dict[str, Any]) -> list[str]:
    """The parts of the post Mastodon makes of a converted object (Event, Page): heading,
    summary, link; empty parts left out."""
    obj = activity["object"]
    if not any(kind in MASTODON_CONVERTED for kind in _types(obj)):
        return [obj.get("content") or ""]
    url = obj.get("url")
    link = url if _host(url) == _host(activity.get("actor")) else obj.get("id")
    parts = [obj.get("name") or "", obj.get("summary") or "", link or ""]
    return [part for part in parts if part]
