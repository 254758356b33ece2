"""Which broad thema a kern's thema is about, so kernen working on the same can be found.

Every kern names its thema's in its own words ("Verkeer en vervoer", "Veilig naar school",
"Te hard rijden"). The gemeente groups them by a short list of broad thema's, matched on the
stemmed words of the name (the same Dutch stemming as search), so "fietsers" matches "fiets".
A thema can fall under several; one that matches none is "overig".
"""

from __future__ import annotations

from functools import lru_cache

from node.search import terms
from node.web.i18n import _ as translate
from node.web.i18n import lazy as _

# key -> (label, words that point to it). Words are stemmed when first used.
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "verkeer": (
        _("Verkeer en vervoer"),
        ("verkeer", "vervoer", "weg", "wegen", "fiets", "fietspad", "oversteek", "oversteken",
         "snelheid", "hard", "rijden", "parkeren", "drempel", "kruispunt", "bus", "trottoir",
         "stoep", "school", "route"),
    ),
    "wonen": (
        _("Wonen"),
        ("wonen", "woning", "woningbouw", "huis", "huizen", "huisvesting", "starter",
         "starters", "senioren", "bouwen", "nieuwbouw"),
    ),
    "ontmoeten": (
        _("Ontmoeten"),
        ("ontmoeten", "ontmoeting", "dorpshuis", "buurthuis", "eenzaamheid", "eenzaam",
         "samen", "verenigingen", "vereniging", "activiteiten"),
    ),
    "groen": (
        _("Groen en openbare ruimte"),
        ("groen", "openbare", "ruimte", "boom", "bomen", "natuur", "park", "speeltuin",
         "spelen", "hond", "honden", "fruitbomen", "hitte", "water", "dijk"),
    ),
    "voorzieningen": (
        _("Voorzieningen"),
        ("voorziening", "voorzieningen", "winkel", "winkels", "zorg", "huisarts", "aed",
         "glasvezel", "internet", "bibliotheek"),
    ),
    "veiligheid": (
        _("Veiligheid"),
        ("veiligheid", "veilig", "onveilig", "verlichting", "inbraak", "overlast"),
    ),
    "sport_cultuur": (
        _("Sport, cultuur en recreatie"),
        ("sport", "cultuur", "recreatie", "ontspanning", "muziek", "kunst", "zwembad",
         "rietput", "wandelen", "wandelroute", "toerisme"),
    ),
    "economie": (
        _("Economie en werk"),
        ("economie", "ondernemers", "ondernemer", "werk", "bedrijven", "markt"),
    ),
    "communicatie": (
        _("Samenwerken met de gemeente"),
        ("communicatie", "gemeente", "contact", "informatie", "participatie"),
    ),
}  # fmt: skip
OTHER = "overig"
OTHER_LABEL = _("Overig")


@lru_cache(maxsize=1)
def _stemmed() -> dict[str, frozenset[str]]:
    return {
        key: frozenset(terms(" ".join(words)).split()) for key, (_l, words) in CATEGORIES.items()
    }


def categorize(name: str, description: str = "") -> list[str]:
    """The broad thema's a thema belongs to, by its name first, else its description."""
    for text in (name, description):
        words = set(terms(text).split())
        found = [key for key, stems in _stemmed().items() if words & stems]
        if found:
            return found
    return [OTHER]


def category_label(key: str) -> str:
    if key in CATEGORIES:
        return translate(CATEGORIES[key][0])
    return translate(OTHER_LABEL)


def all_categories() -> list[tuple[str, str]]:
    return [(key, category_label(key)) for key in (*CATEGORIES, OTHER)]
