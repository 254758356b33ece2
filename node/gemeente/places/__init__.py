"""Every kern of the municipality, followed or not yet: where each stands in the roll-out.

The gemeente follows the kernen that run a node; the municipality has more kernen than that
(West Betuwe: 26). The list comes from a TOML file shipped with Bloei (west-betuwe.toml) or
given with the setting `places_file`: each kern's name, kind, rounded inhabitants and the
approximate centre used for the overview map (node/gemeente/places/drawing.py). The file is
checked completely at start-up; a mistake names the file and the entry.

A followed kern belongs to a place by the choice staff made in beheer, or else by its name:
"Beesd" and "Dorpsplatform Beesd" both mean Beesd. Its roll-out state is derived, never
stored: nog niet (no node followed), pilot, aangesloten (the uitrol phase).
"""

from __future__ import annotations

import re
import sqlite3
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from node.settings import Settings
from node.web.audit import record_audit
from node.web.auth import User

SHIPPED = Path(__file__).with_name("west-betuwe.toml")
STATES = ("nog_niet", "pilot", "aangesloten")
# The followed kernen whose data the overview shows: a stopped one is "nog niet" again.
_FOLLOWED_STATES = frozenset({"actief", "gevraagd", "onbereikbaar", "geweigerd"})


class PlacesError(Exception):
    """The kernen file cannot be used; the message names the file and what is wrong."""


class _Place(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=80, pattern=r"^[^\n\r\t]+$")
    kind: Literal["dorp", "stadje", "stad"]
    inhabitants: int = Field(ge=0, le=10_000_000)
    # Within the Netherlands' wide surroundings: a swapped latitude and longitude is refused.
    latitude: float = Field(ge=50.0, le=54.0)
    longitude: float = Field(ge=3.0, le=7.5)
    label: Literal["right", "left", "above", "below"] = "right"


class _PlacesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    municipality: str = Field(min_length=1, max_length=100)
    kern: list[_Place] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def names_differ(self) -> _PlacesFile:
        seen: set[str] = set()
        for place in self.kern:
            key = place.name.casefold()
            if key in seen:
                raise ValueError(f"kern {place.name!r} is listed twice")
            seen.add(key)
        return self


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    inhabitants: int
    latitude: float
    longitude: float
    label: str = "right"


@dataclass(frozen=True)
class Places:
    municipality: str
    kernen: tuple[Place, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(place.name for place in self.kernen)

    @cached_property
    def names_by_word(self) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
        """Each place's name with its words, filed under one of them and made once: the
        overview matches every followed kern's name against them, and a name then needs a
        look-up per word instead of a comparison with every place (2,600 kernen times 26
        places took 100 ms a page)."""
        filed: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for place in self.kernen:
            words = frozenset(_words(place.name))
            filed.setdefault(min(words), []).append((place.name, words))
        return {word: tuple(entries) for word, entries in filed.items()}

    @cached_property
    def by_folded_name(self) -> dict[str, Place]:
        return {place.name.casefold(): place for place in self.kernen}

    def find(self, name: str) -> Place | None:
        return self.by_folded_name.get(name.casefold())


def load_places(path: str | Path = "") -> Places:
    """The kernen in `path` (the shipped West Betuwe list when empty), checked whole."""
    return _load(Path(path) if path else SHIPPED)


def places_of(settings: Settings) -> Places:
    """The node's list: `places_file` is relative to the data folder, so a folder moves whole."""
    if not settings.places_file:
        return load_places()
    return load_places(settings.data_dir / settings.places_file)


@lru_cache(maxsize=8)
def _load(path: Path) -> Places:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PlacesError(f"cannot read the kernen file {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PlacesError(f"the kernen file {path} is not valid TOML: {error}") from None
    try:
        parsed = _PlacesFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlacesError(f"the kernen file {path}: {where}: {first['msg']}") from None
    return Places(
        parsed.municipality,
        tuple(Place(**place.model_dump()) for place in parsed.kern),
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'-]+", text.casefold()))


def place_by_name(kern_name: str, places: Places) -> str:
    """The place a kern's own name points to ("Dorpsplatform Beesd": Beesd), or ''.

    Whole words only, so "Est" is not found in "Westerbeek"; when several match (a name that
    mentions two villages) nothing is guessed and staff choose in beheer."""
    words = _words(kern_name)
    filed = places.names_by_word
    found = [name for word in words for name, own in filed.get(word, ()) if own <= words]
    return found[0] if len(found) == 1 else ""


def set_place(conn: sqlite3.Connection, kern_id: int, place: str, who: User | str) -> bool:
    """Staff say which of the municipality's kernen a followed node is ('' : by its name)."""
    cursor = conn.execute("UPDATE gemeente_kernen SET place = ? WHERE id = ?", (place, kern_id))
    if cursor.rowcount:
        record_audit(conn, who, "kern.plaats", "Kern", kern_id, place or "(naam)")
    return cursor.rowcount > 0


def rollout(places: Places, followed: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every place with its roll-out state and, when a node is followed for it, that kern.

    `followed` are the gemeente's kern records with their derived `state` (node/gemeente/
    kernen.py); a stopped kern counts as not (yet) joined. When two nodes claim one place,
    the one further in the roll-out (then the oldest) is shown."""
    claimed: dict[str, Mapping[str, Any]] = {}
    for kern in followed:
        if kern["state"] not in _FOLLOWED_STATES:
            continue
        name = kern.get("place") or place_by_name(kern["name"], places)
        place = places.find(name) if name else None
        if place is None:
            continue
        earlier = claimed.get(place.name)
        if earlier is None or _rank(kern) > _rank(earlier):
            claimed[place.name] = kern
    result = []
    for place in places.kernen:
        kern = claimed.get(place.name)
        state = "nog_niet" if kern is None else _state(kern)
        result.append({"place": place, "state": state, "kern": kern})
    return result


def _state(kern: Mapping[str, Any]) -> str:
    return "aangesloten" if kern["rollout"] == "uitrol" else "pilot"


def _rank(kern: Mapping[str, Any]) -> tuple[int, int]:
    return (1 if kern["rollout"] == "uitrol" else 0, -int(kern["id"]))
