"""Public snapshots as ActivityStreams objects: what a kern's activities carry.

Every change records a snapshot made by the object's `*_public` function (agenda.thema_public,
projects.project_public, meetings.meeting_public, ...). Those snapshots never hold personal
data, and this module only reads them, so no activity can either. Each object gets a standard
type beside its Bloei type (`vocabulary.typed`), HTML `content` from the Markdown the group
wrote, and the public addressing, so Mastodon shows a meeting (`Event`) or a bericht (`Note`)
sensibly and Bloei receivers get every Bloei term.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import escape

from federation.vocabulary import TERMS_BY_NAME, format_time, typed
from node.kern.federation.postal import postal_address
from node.web.markdown import render_markdown

# Object types whose Create is also announced: Mastodon shows a Group's Announce as a boost.
ANNOUNCED = frozenset({"Bijeenkomst", "Bericht"})


@dataclass(frozen=True)
class Author:
    """The kern's actor as the objects name it."""

    actor_id: str
    followers: str
    # The kern's village: the locality of a meeting place without an address of its own.
    village: str = ""

    def audience(self) -> dict[str, list[str]]:
        # Mastodon decides visibility from the object's own addressing.
        return {"to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [self.followers]}


def former_type(object_type: str) -> list[str]:
    """The types a Tombstone names: ["Page", "Project"]."""
    return [TERMS_BY_NAME[object_type].beside, object_type]


def build(object_type: str, snapshot: dict[str, Any], author: Author) -> dict[str, Any] | None:
    """The AS object for a snapshot, or None for an object type Bloei does not federate."""
    builder = BUILDERS.get(object_type)
    if builder is None:
        return None
    properties = builder(snapshot)
    if object_type == "Bijeenkomst":
        properties["location"] = _place(snapshot.get("plaats") or {}, author.village)
    obj = typed(
        object_type,
        id=snapshot["id"],
        url=snapshot["id"],
        attributedTo=author.actor_id,
        **properties,
        **author.audience(),
    )
    kept = {key: value for key, value in obj.items() if value not in (None, "", [])}
    # What a generic client shows, and what Gancio reads without checking, is there even
    # when empty: a name, a text, and (on a meeting) the list of attachments.
    kept.setdefault("name", "")
    kept.setdefault("content", "")
    for key, value in ALWAYS_PRESENT.get(object_type, {}).items():
        kept.setdefault(key, value)
    return kept


# Per type, the properties a reader requires even when they are empty. Gancio reads
# `attachment.length` of every Event it is sent an Update of.
ALWAYS_PRESENT: dict[str, dict[str, Any]] = {"Bijeenkomst": {"attachment": []}}


# --- helpers -----------------------------------------------------------------------------------


def _html(markdown: str | None) -> str:
    return str(render_markdown(markdown)) if markdown else ""


def _time(value: str | None) -> str | None:
    """xsd:dateTime in UTC from a stored or local ISO time; None stays None."""
    if not value:
        return None
    return format_time(datetime.fromisoformat(value))


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# --- one builder per object type ---------------------------------------------------------------


def _thema_properties(snapshot: dict[str, Any]) -> dict[str, Any]:
    return _present(
        name=snapshot.get("titel"),
        prioriteit=snapshot.get("prioriteit"),
        themaStatus=snapshot.get("status"),
        wieIsAanZet=snapshot.get("wieIsAanZet"),
        wieIsAanZetToelichting=snapshot.get("wieIsAanZetToelichting") or None,
    )


def _partner_roles(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """A thema's or project's partners, each a PartnerRol that links the Partner."""
    return [
        {"type": "PartnerRol", "partner": item["partner"], "rol": item["rol"]}
        for item in snapshot.get("partners") or []
    ]


def thema(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        **_thema_properties(snapshot),
        "partners": _partner_roles(snapshot),
        "content": _html(snapshot.get("beschrijving")),
        "updated": _time(snapshot.get("bijgewerkt")),
    }


def agenda_version(snapshot: dict[str, Any]) -> dict[str, Any]:
    # A version embeds every thema as it stood, so versions can be compared later.
    themas = [
        {"id": item["id"], "type": ["Page", "Thema"], **_thema_properties(item)}
        for item in snapshot.get("themas") or []
    ]
    return {
        "name": snapshot.get("titel"),
        "content": _html(snapshot.get("inleiding")),
        "published": _time(snapshot.get("gepubliceerd")),
        "themas": themas,
    }


def project(snapshot: dict[str, Any]) -> dict[str, Any]:
    budget = snapshot.get("budget") or {}
    history = []
    for change in snapshot.get("fasegeschiedenis") or []:
        history.append(
            _present(
                type="FaseWijziging",
                van=change.get("van"),
                naar=change.get("naar"),
                datum=change.get("datum"),
                toelichting=change.get("toelichting") or "",
                bijeenkomst=change.get("bijeenkomst"),
            )
        )
    attachment = []
    if snapshot.get("foto"):
        attachment.append(
            _present(
                type="Image",
                # Photos are stored re-encoded as JPEG (projects/photos.py); Gancio and
                # Mastodon pick an image attachment by its mediaType.
                mediaType="image/jpeg",
                url=snapshot["foto"],
                name=snapshot.get("fotoBeschrijving"),
            )
        )
    return {
        "name": snapshot.get("titel"),
        "summary": snapshot.get("samenvatting"),
        "content": _html(snapshot.get("beschrijving")),
        "updated": _time(snapshot.get("bijgewerkt")),
        "fase": snapshot.get("fase"),
        "faseGeschiedenis": history,
        "themas": snapshot.get("themas") or [],
        "trekker": snapshot.get("trekker"),
        "participatieladder": snapshot.get("participatieladder"),
        "behoeften": snapshot.get("behoeften") or [],
        "budget": _present(
            type="Budget",
            aangevraagd=budget.get("aangevraagd"),
            toegekend=budget.get("toegekend"),
            bron=budget.get("bron"),
            bronAnders=budget.get("bronAnders"),
            valuta=budget.get("valuta") or "EUR",
        ),
        "startdatum": snapshot.get("startdatum"),
        "streefdatum": snapshot.get("streefdatum"),
        "aantalSteunbetuigingen": snapshot.get("aantalSteunbetuigingen"),
        "attachment": attachment,
        "terugblik": _reflection(snapshot.get("terugblik")),
        "partners": _partner_roles(snapshot),
    }


def _reflection(reflection: dict[str, Any] | None) -> dict[str, Any] | None:
    """The group's look back on an ended project, its texts as HTML like every content."""
    if not reflection:
        return None
    return _present(
        type="Terugblik",
        watWerkte=_html(reflection.get("watWerkte")),
        geleerd=_html(reflection.get("geleerd")),
        bereikteTrede=reflection.get("bereikteTrede"),
        datum=reflection.get("datum"),
    )


def _evaluation(evaluation: dict[str, Any] | None) -> dict[str, Any] | None:
    """How many evaluated a meeting and their average score; never what they wrote."""
    if not evaluation:
        return None
    return _present(
        type="Evaluatie",
        aantalAntwoorden=evaluation.get("aantal"),
        gemiddeldeScore=evaluation.get("gemiddeld"),
    )


def meeting(snapshot: dict[str, Any]) -> dict[str, Any]:
    summary = snapshot.get("samenvatting") or ""
    cancelled = snapshot.get("status") == "geannuleerd"
    # A verslag counts once it is published; a draft stays in beheer.
    minutes = snapshot.get("verslag") if snapshot.get("verslagGepubliceerd") else None
    return {
        "name": snapshot.get("titel"),
        # "Maandag 2 maart 2026, 19:30–21:30, Dorpshuis": date, time and place in one line.
        "summary": summary[:1].upper() + summary[1:],
        "content": _html(snapshot.get("beschrijving")),
        "startTime": _time(snapshot.get("begintijd")),
        "endTime": _time(snapshot.get("eindtijd")),
        "timezone": snapshot.get("tijdzone"),
        "capaciteit": snapshot.get("capaciteit"),
        "aanmeldingen": snapshot.get("aantalAanmeldingen"),
        # The same figures in the terms Mobilizon shows: places in all, left, and taken.
        "maximumAttendeeCapacity": snapshot.get("capaciteit"),
        "remainingAttendeeCapacity": snapshot.get("plaatsenOver"),
        "participantCount": snapshot.get("aantalAanmeldingen"),
        "geannuleerd": cancelled,
        # The same in the words of iCalendar, which Mobilizon shows (a cancelled event).
        "status": "CANCELLED" if cancelled else "CONFIRMED",
        "annuleringsreden": (snapshot.get("redenAnnulering") or None) if cancelled else None,
        "themas": snapshot.get("themas") or [],
        "projecten": snapshot.get("projecten") or [],
        "verslag": _html(minutes) or None,
        "evaluatie": _evaluation(snapshot.get("evaluatie")),
        "updated": _time(snapshot.get("bijgewerkt")),
    }


def _place(place: dict[str, Any], village: str) -> dict[str, Any]:
    """The meeting's Place as Mobilizon writes one: a name and a schema.org PostalAddress.

    Gancio refuses an Event whose place has no name or no street or locality, so the name
    falls back to the village and the address always has a locality.
    """
    name = place.get("naam") or village
    return {"type": "Place", "name": name, "address": postal_address(place.get("adres"), village)}


def idea(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": snapshot.get("titel"),
        "content": _html(snapshot.get("tekst")),
        "published": _time(snapshot.get("gepubliceerd")),
        "antwoord": _html(snapshot.get("antwoord")) or None,
        "project": snapshot.get("project"),
        "aantalSteunbetuigingen": snapshot.get("aantalSteunbetuigingen"),
    }


def news(snapshot: dict[str, Any]) -> dict[str, Any]:
    title = snapshot.get("titel") or ""
    # Mastodon shows a Note's content, not its name: the title leads the text.
    heading = f"<p><strong>{escape(title)}</strong></p>" if title else ""
    return {
        "name": title,
        "content": heading + _html(snapshot.get("tekst")),
        "published": _time(snapshot.get("gepubliceerd")),
        "updated": _time(snapshot.get("bijgewerkt")),
    }


def partner(snapshot: dict[str, Any]) -> dict[str, Any]:
    # `url` is the partner's page on the kern (as every object's); its own site is `website`.
    return {
        "name": snapshot.get("naam"),
        "summary": snapshot.get("beschrijving") or None,
        "partnerSoort": snapshot.get("soort"),
        "website": snapshot.get("website"),
        "contact": snapshot.get("contact"),
        "updated": _time(snapshot.get("bijgewerkt")),
    }


BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Thema": thema,
    "AgendaVersie": agenda_version,
    "Project": project,
    "Bijeenkomst": meeting,
    "Idee": idea,
    "Bericht": news,
    "Partner": partner,
}
