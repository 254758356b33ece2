"""Dutch labels for the aggregator's own states: how a kern stands with the gemeente, what
it received, and why it refused an activity.

The values kernen send (phases, thema statuses, who acts) are labelled by the shared
vocabulary, node/vocabulary.py, so the gemeente shows the same words as the kern's own site;
show these with its `label()`, which shows a value it does not know as it came.
"""

from __future__ import annotations

from node.web.i18n import lazy as _

# How a kern stands with the gemeente (node.gemeente.kernen.state_of).
KERN_STATES = {
    "gevraagd": _("Gevraagd"),
    "actief": _("Actief"),
    "geweigerd": _("Geweigerd"),
    "onbereikbaar": _("Onbereikbaar"),
    "gestopt": _("Niet meer gevolgd"),
}
KERN_STATE_EXPLAINED = {
    "gevraagd": _("De gemeente vroeg om de kern te volgen. De kern heeft nog niet geantwoord."),
    "actief": _("De kern stuurt elke wijziging. De gemeente haalt ook zelf op wat ze mist."),
    "geweigerd": _("De kern wil niet gevolgd worden. Neem contact op met de kern."),
    "onbereikbaar": _(
        "De gemeente kan de kern nu niet bereiken. U ziet de laatst bekende gegevens."
    ),
    "gestopt": _(
        "De gemeente volgt deze kern niet meer. De gegevens van de kern staan op de eigen site "
        "van de kern."
    ),
}
ROLLOUT = {"pilot": _("Pilot"), "uitrol": _("Uitrol")}
# Where each of the municipality's kernen stands (node/gemeente/places/).
PLACE_STATES = {
    "nog_niet": _("Nog niet"),
    "pilot": _("Pilot"),
    "aangesloten": _("Aangesloten"),
}
OBJECT_TYPES = {
    "Project": _("Project"),
    "Thema": _("Thema"),
    "AgendaVersie": _("Kernagenda"),
    "Bijeenkomst": _("Bijeenkomst"),
    "Idee": _("Idee"),
    "Bericht": _("Nieuws"),
    "Reactie": _("Antwoord van de kern"),
    "Partner": _("Partner"),
}
VERBS = {
    "Create": _("nieuw"),
    "Update": _("gewijzigd"),
    "Delete": _("verwijderd"),
    "Announce": _("nieuw"),
}
# Why an activity was refused (node.gemeente.ingest, handlers, pull), for staff.
REFUSALS = {
    "proof_missing": _("Zonder digitale handtekening"),
    "proof_bad_signature": _("De digitale handtekening klopt niet"),
    "proof_unknown_key": _("Ondertekend met een sleutel die niet van de kern is"),
    "proof_malformed": _("Onleesbare of verkeerde digitale handtekening"),
    "proof_unsupported": _("Een soort handtekening die Bloei niet kent"),
    "foreign_object": _("Gaat over iets op een andere site"),
    "foreign_id": _("Komt niet van de site van de kern"),
    "not_owner": _("Gaat over iets van een andere kern"),
    "other_actor": _("Komt van een ander dan de kern"),
    "not_an_activity": _("Onleesbaar"),
    "object_without_id": _("Onleesbaar: zonder adres"),
    "not_an_answer": _("Een reactie van de kern op iets wat de gemeente haar niet schreef"),
    # A kern's Move (node/gemeente/moves.py) that was not taken.
    "move_not_confirmed": _("Verhuizing: het nieuwe adres bevestigt die niet"),
    "move_target_unknown": _("Verhuizing: het nieuwe adres is niet te bereiken"),
    "move_target_not_a_kern": _("Verhuizing: het nieuwe adres is geen kern in Bloei"),
    "move_target_not_an_actor": _("Verhuizing: op het nieuwe adres staat geen kern"),
    "move_target_known": _("Verhuizing naar een kern die de gemeente al volgt"),
    "move_other_actor": _("Verhuizing van een ander dan de kern"),
    "move_without_target": _("Verhuizing zonder nieuw adres"),
}
