"""The first-run checklist of a new group: what a kern site needs before residents come.

Every step is read from the data, never ticked by hand, so the list shows where a group really
stands and a step done once stays done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from node.db import Database
from node.mail.mailer import smtp_configured
from node.settings import Settings
from node.web.i18n import lazy as _


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    why: str
    href: str
    done: bool


def _site_value(db: Database, key: str) -> str:
    raw = db.scalar("SELECT value FROM site WHERE key = ?", (key,))
    return (json.loads(raw) or "") if raw else ""


def _count(db: Database, sql: str) -> int:
    return int(db.scalar(sql) or 0)


def first_steps(db: Database, settings: Settings) -> list[Step]:
    """The steps in the order a new group takes them, each with whether it is done."""
    return [
        Step(
            "over",
            _("Vertel wie u bent"),
            _("Schrijf op de pagina Over ons wie de inwonersgroep is en wat u doet."),
            "/beheer/site",
            bool(_site_value(db, "group_description")),
        ),
        Step(
            "contact",
            _("Zet uw contactgegevens op de site"),
            _("Zo kunnen inwoners en de gemeente u bereiken. Meldingen gaan ook naar dit adres."),
            "/beheer/site",
            bool(_site_value(db, "contact_email") or _site_value(db, "contact_phone")),
        ),
        Step(
            "samen",
            _("Nodig een tweede persoon uit voor beheer"),
            _("Doe het niet alleen: met twee kan de een het overnemen als de ander weg is."),
            "/beheer/gebruikers",
            _count(db, "SELECT count(*) FROM users WHERE disabled = 0") >= 2,
        ),
        Step(
            "mail",
            _("Stel de e-mail in"),
            _("Zonder e-mail krijgen inwoners geen bevestiging van hun aanmelding."),
            "/beheer/mail",
            smtp_configured(settings),
        ),
        Step(
            "thema",
            _("Zet het eerste thema op de kernagenda"),
            _("Een thema is iets wat inwoners belangrijk vinden, zoals verkeer of groen."),
            "/beheer/themas/nieuw",
            _count(db, "SELECT count(*) FROM themas WHERE removed_at IS NULL") > 0,
        ),
        Step(
            "versie",
            _("Publiceer de eerste versie van de kernagenda"),
            _("Een versie legt vast wat op een moment de kernagenda was. De gemeente leest mee."),
            "/beheer/versies/nieuw",
            _count(db, "SELECT count(*) FROM agenda_versions") > 0,
        ),
        Step(
            "bijeenkomst",
            _("Plan een kernavond"),
            _("Elkaar ontmoeten is het belangrijkste. De site helpt met aanmelden en een poster."),
            "/beheer/bijeenkomsten/nieuw",
            _count(db, "SELECT count(*) FROM meetings WHERE removed_at IS NULL") > 0,
        ),
        Step(
            "gemeente",
            _("Laat de gemeente u volgen"),
            _(
                "Geef het adres van uw site aan de gemeente. Als de gemeente u volgt, leest zij "
                "de kernagenda en de projecten mee en kan zij reageren."
            ),
            "/beheer/federatie",
            _count(db, "SELECT count(*) FROM federation_followers WHERE state = 'accepted'") > 0,
        ),
    ]
