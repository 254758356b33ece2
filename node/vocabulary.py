"""The words of West Betuwe's practice, with the labels residents read, for both roles.

Stored values are stable identifiers: they appear in the API and in the federated objects a
kern publishes (docs/FEDERATION.md), and the gemeente shows what kernen send with these same
labels. Labels go through gettext. Words only the gemeente uses (how a kern stands with it,
why it refused an activity) are in node/gemeente/labels.py.
"""

from __future__ import annotations

from node.web.i18n import _ as translate
from node.web.i18n import lazy as _

PHASES = {
    "idee": _("Idee"),
    "verkenning": _("Verkenning"),
    "planvorming": _("Planvorming"),
    "uitvoering": _("Uitvoering"),
    "afgerond": _("Afgerond"),
    "gepauzeerd": _("Gepauzeerd"),
    "gestopt": _("Gestopt"),
}
# The main path a project walks; gepauzeerd and gestopt stand beside it.
PHASE_PATH = ("idee", "verkenning", "planvorming", "uitvoering", "afgerond")
SIDE_PHASES = ("gepauzeerd", "gestopt")
ACTIVE_PHASES = ("idee", "verkenning", "planvorming", "uitvoering")
# Moving into these always needs a reason that residents can read.
PHASES_NEEDING_REASON = ("gepauzeerd", "gestopt")

THEMA_STATUSES = {
    "nieuw": _("Nieuw"),
    "loopt": _("Loopt"),
    "eerste_successen": _("Eerste successen"),
    "afgerond": _("Afgerond"),
    "in_stand_houden": _("In stand houden"),
}
# Who acts now on a thema ("wie is aan zet").
WHO_ACTS = {
    "inwoners": _("Inwoners"),
    "gemeente": _("Gemeente"),
    "samen": _("Samen"),
    "anderen": _("Anderen"),
}
PRIORITIES = {"hoog": _("Hoog"), "middel": _("Middel"), "laag": _("Laag")}
PRIORITY_ORDER = {"hoog": 0, "middel": 1, "laag": 2}

LADDER = {
    "informeren": _("Informeren"),
    "raadplegen": _("Raadplegen"),
    "adviseren": _("Adviseren"),
    "coproduceren": _("Coproduceren"),
    "meebeslissen": _("Meebeslissen"),
    "zelfbeheer": _("Zelfbeheer"),
}
LADDER_EXPLAINED = {
    "informeren": _("De gemeente vertelt wat er gebeurt."),
    "raadplegen": _("De gemeente vraagt uw mening, maar hoeft die niet te volgen."),
    "adviseren": _("De gemeente volgt het advies, of legt uit waarom niet."),
    "coproduceren": _("Inwoners en gemeente zoeken samen een oplossing en houden zich eraan."),
    "meebeslissen": _("Inwoners beslissen mee."),
    "zelfbeheer": _("Inwoners doen het zelf."),
}
NEEDS = {
    "vrijwilligers": _("Vrijwilligers"),
    "geld": _("Geld"),
    "besluit_gemeente": _("Een besluit van de gemeente"),
    "plek": _("Een plek"),
}
BUDGET_SOURCES = {
    "leefbaarheidsbudget": _("Leefbaarheidsbudget"),
    "kernenbudget": _("Kernenbudget"),
    "gemeente": _("Andere gemeentelijke middelen"),
    "fonds": _("Fonds of subsidie"),
    "eigen": _("Eigen middelen of sponsors"),
    "provincie": _("Provincie"),
    "anders": _("Anders"),
}


def label(table: dict, key: str | None) -> str:
    """The translated label of `key`, or `key` itself when the table does not know it (a
    value from a newer kern is shown as it came, never dropped)."""
    if not key:
        return ""
    return translate(table[key]) if key in table else key


def choices(table: dict) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a form's select, in the table's order."""
    return [(key, translate(value)) for key, value in table.items()]


# The kinds of a kern's partner organisations (node/kern/partners/).
PARTNER_KINDS = {
    "vereniging": _("Vereniging"),
    "school": _("School"),
    "zorg": _("Zorg en welzijn"),
    "woningcorporatie": _("Woningcorporatie"),
    "bedrijf": _("Bedrijf"),
    "stichting": _("Stichting"),
    "kerk": _("Kerk"),
    "overheid": _("Overheid"),
    "overig": _("Overig"),
}
# What a partner does on a thema or project.
PARTNER_ROLES = {"aan_zet": _("Aan zet"), "helpt": _("Helpt")}
