"""The help page for residents: how to take part, what a project's phases mean and what the
participatieladder is, with an example from village life for every step. Written at B1."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.kern.rendering import page
from node.web.i18n import lazy as _

# What each phase means for a resident, in the order a project walks them.
PHASE_MEANING = {
    "idee": _("Iemand heeft een idee. De inwonersgroep kijkt of meer mensen het willen."),
    "verkenning": _(
        "We zoeken uit wat er nodig is: wie doet mee, wat kost het, wat vindt de gemeente?"
    ),
    "planvorming": _("We maken samen een plan, met geld, mensen en een planning."),
    "uitvoering": _("Het plan wordt uitgevoerd. Hulp is welkom."),
    "afgerond": _("Het project is klaar. De groep kijkt terug op wat werkte."),
    "gepauzeerd": _("Het project ligt even stil, bijvoorbeeld omdat we wachten op geld."),
    "gestopt": _("Het project gaat niet door. De reden staat op de projectpagina."),
}

# One example per step of the ladder, from what kernen in West Betuwe work on.
LADDER_EXAMPLES = {
    "informeren": _(
        "De gemeente vertelt in de kernavond wanneer de weg opnieuw wordt geasfalteerd."
    ),
    "raadplegen": _(
        "De gemeente vraagt wat u van drie ontwerpen voor het plein vindt, en kiest zelf."
    ),
    "adviseren": _(
        "De inwonersgroep geeft advies over de plek van de nieuwe bankjes. De gemeente volgt "
        "het advies, of legt uit waarom niet."
    ),
    "coproduceren": _(
        "Inwoners en gemeente maken samen het plan voor een veiliger schoolroute en houden "
        "zich aan wat ze afspraken."
    ),
    "meebeslissen": _("Inwoners kiezen samen welke projecten het leefbaarheidsbudget krijgen."),
    "zelfbeheer": _("Inwoners onderhouden zelf de speeltuin, met een beetje geld van de gemeente."),
}


async def help_page(request: Request) -> Response:
    return page(
        request,
        "kern/hulp.html",
        {"phase_meaning": PHASE_MEANING, "ladder_examples": LADDER_EXAMPLES},
    )
