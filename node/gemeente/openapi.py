"""The OpenAPI 3.0 document of the aggregator's open-data API, as a plain dict.

It describes exactly what node/gemeente/api.py returns; the tests validate real answers
against these schemas, so the document cannot drift from the code. Schemas allow extra
properties: adding one is a minor version.
"""

from __future__ import annotations

from typing import Any

from node.gemeente.labels import KERN_STATES, PLACE_STATES
from node.settings import Settings
from node.vocabulary import PARTNER_KINDS, PARTNER_ROLES, PHASES, WHO_ACTS

API_VERSION = "1.0.0"
BASE = "/api/v1"
REF = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


def _text(description: str = "", nullable: bool = False) -> dict:
    schema: dict[str, Any] = {"type": "string"}
    if description:
        schema["description"] = description
    if nullable:
        schema["nullable"] = True
    return schema


def _integer(description: str = "", nullable: bool = False) -> dict:
    schema: dict[str, Any] = {"type": "integer"}
    if description:
        schema["description"] = description
    if nullable:
        schema["nullable"] = True
    return schema


LINK = {"type": "object", "required": ["href"], "properties": {"href": _text()}}


def _page_of(name: str, key: str) -> dict:
    """One page of a paged list, with its figures and links (first, last, prev, next)."""
    return {
        "type": "object",
        "required": [key, "totaal", "pagina", "paginaGrootte", "aantalPaginas"],
        "properties": {
            key: {"type": "array", "items": _ref(name)},
            "totaal": _integer(),
            "pagina": _integer(),
            "paginaGrootte": _integer(),
            "aantalPaginas": _integer(),
            "_links": {"type": "object", "additionalProperties": LINK},
        },
    }


def _list_of(name: str, key: str) -> dict:
    return {
        "type": "object",
        "required": [key, "totaal", "_links"],
        "properties": {
            key: {"type": "array", "items": _ref(name)},
            "totaal": _integer(),
            "_links": {"type": "object", "additionalProperties": LINK},
        },
    }


def schemas() -> dict[str, Any]:
    links = {"type": "object", "additionalProperties": LINK}
    return {
        "Kern": {
            "type": "object",
            "required": ["id", "naam", "actor", "stand", "uitrolfase", "achterstand"],
            "properties": {
                "id": _integer(),
                "naam": _text(),
                "actor": _text("Het ActivityPub-adres van de kern."),
                "website": _text(),
                "stand": {
                    "type": "string",
                    "enum": list(KERN_STATES),
                    "description": "gestopt: de gemeente volgt de kern niet meer en heeft "
                    "geen gegevens meer van de kern.",
                },
                "uitrolfase": {"type": "string", "enum": ["pilot", "uitrol"]},
                "laatsteContact": _text("UTC", nullable=True),
                "laatsteWijziging": _text("UTC", nullable=True),
                "achterstand": _integer(
                    "Wijzigingen in de outbox van de kern die nog niet zijn opgehaald; null "
                    "als de laatste poging om op te halen mislukte (dan is het onbekend).",
                    nullable=True,
                ),
                "_links": links,
            },
        },
        "Kernen": _list_of("Kern", "kernen"),
        "Plaats": {
            "type": "object",
            "required": ["naam", "soort", "inwoners", "breedtegraad", "lengtegraad", "stand"],
            "properties": {
                "naam": _text(),
                "soort": {"type": "string", "enum": ["dorp", "stadje", "stad"]},
                "inwoners": _integer("Afgerond."),
                "breedtegraad": {"type": "number", "description": "Ongeveer het midden (WGS 84)."},
                "lengtegraad": {"type": "number", "description": "Ongeveer het midden (WGS 84)."},
                "stand": {"type": "string", "enum": list(PLACE_STATES)},
                "kern": _integer(
                    "Het nummer van de kern die de gemeente volgt (zie /kernen), of null.",
                    nullable=True,
                ),
            },
        },
        "Uitrol": {
            **_list_of("Plaats", "kernen"),
            "required": ["gemeente", "kernen", "totaal", "_links"],
            "properties": {
                **_list_of("Plaats", "kernen")["properties"],
                "gemeente": _text(),
            },
        },
        "Project": {
            "type": "object",
            "required": ["id", "titel", "fase", "kern", "kernNaam", "gemeenteNodig", "_links"],
            "properties": {
                "id": _text("Het adres van het project bij de kern."),
                "titel": _text(),
                "samenvatting": _text(),
                "fase": _text(f"Meestal een van: {', '.join(PHASES)}."),
                "faseSinds": _text("Datum", nullable=True),
                "kern": _integer(),
                "kernNaam": _text(),
                "themas": {"type": "array", "items": _text()},
                "partners": {"type": "array", "items": _ref("PartnerRol")},
                "behoeften": {"type": "array", "items": _text()},
                "gemeenteNodig": {"type": "boolean"},
                "participatieladder": _text(nullable=True),
                "aantalSteunbetuigingen": _integer(),
                "startdatum": _text(nullable=True),
                "streefdatum": _text(nullable=True),
                "bijgewerkt": _text("UTC", nullable=True),
                "_links": links,
            },
        },
        "Projecten": _page_of("Project", "projecten"),
        "Thema": {
            "type": "object",
            "required": ["naam", "kern", "categorie"],
            "properties": {
                "naam": _text(),
                "kern": _integer(),
                "kernNaam": _text(),
                "categorie": _text("Het brede thema: verkeer, wonen, ontmoeten, ..."),
                "status": _text(nullable=True),
                "wieIsAanZet": {"type": "string", "enum": [*WHO_ACTS, None], "nullable": True},
                "aantalProjecten": _integer(),
                "_links": links,
            },
        },
        "Themas": _page_of("Thema", "themas"),
        "Bijeenkomst": {
            "type": "object",
            "required": ["id", "titel", "kern", "begin", "geannuleerd"],
            "properties": {
                "id": _text(),
                "titel": _text(),
                "kern": _integer(),
                "kernNaam": _text(),
                "begin": _text("UTC"),
                "einde": _text("UTC", nullable=True),
                "plaats": _text(nullable=True),
                "adres": _text(nullable=True),
                "geannuleerd": {"type": "boolean"},
                "_links": links,
            },
        },
        "Bijeenkomsten": _list_of("Bijeenkomst", "bijeenkomsten"),
        "PartnerRol": {
            "type": "object",
            "required": ["naam", "rol", "_links"],
            "description": "Een partner bij een project of thema, of andersom, met de rol.",
            "properties": {
                "naam": _text(),
                "rol": {"type": "string", "enum": list(PARTNER_ROLES)},
                "_links": links,
            },
        },
        "Partner": {
            "type": "object",
            "required": ["id", "naam", "kern", "projecten", "themas", "_links"],
            "description": "Een organisatie waarmee een kern samenwerkt.",
            "properties": {
                "id": _text("Het adres van de partner bij de kern."),
                "naam": _text(),
                "soort": _text(f"Meestal een van: {', '.join(PARTNER_KINDS)}.", nullable=True),
                "samenvatting": _text(),
                "website": _text(nullable=True),
                "contact": _text("Een openbaar contact van de organisatie.", nullable=True),
                "kern": _integer(),
                "kernNaam": _text(),
                "projecten": {"type": "array", "items": _ref("PartnerRol")},
                "themas": {"type": "array", "items": _ref("PartnerRol")},
                "_links": links,
            },
        },
        "Partners": _list_of("Partner", "partners"),
        "Problem": {
            "type": "object",
            "required": ["title", "status"],
            "properties": {
                "type": _text(),
                "title": _text(),
                "status": _integer(),
                "detail": _text(),
                "invalidParams": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": _text(), "reason": _text()},
                    },
                },
            },
        },
    }


# Inzicht (node/gemeente/insight_export.py): every figure is a table, described once.
INSIGHT_SCHEMAS = {
    "InzichtFiguur": {
        "type": "object",
        "required": ["titel", "uitleg", "kolommen", "rijen"],
        "properties": {
            "titel": _text(),
            "uitleg": _text(),
            "kolommen": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["sleutel", "naam"],
                    "properties": {
                        "sleutel": _text("De naam van de waarde in elke rij."),
                        "naam": _text("De kop van de kolom, zoals op de pagina en in de CSV."),
                        "eenheid": {
                            "type": "string",
                            "enum": ["cent"],
                            "description": "Bedragen staan in eurocenten (hele getallen).",
                        },
                    },
                },
            },
            "rijen": {
                "type": "array",
                "description": "Eén object per rij, met een waarde per kolom; null is geen "
                "gegeven. Kwartalen staan er allemaal in, ook lege (als 0).",
                "items": {
                    "type": "object",
                    "additionalProperties": {
                        "anyOf": [
                            {"type": "string", "nullable": True},
                            {"type": "number", "nullable": True},
                        ]
                    },
                },
            },
        },
    },
    "Inzicht": {
        "type": "object",
        "description": "Alle figuren, per sleutel (fasen, afgerond, geld, ...).",
        "additionalProperties": _ref("InzichtFiguur"),
    },
}


def _insight_paths(settings: Settings) -> dict[str, Any]:
    # Inzicht lives beside the API, at the site's root: its own server entry says so.
    root = [{"url": settings.url("")}]
    one = _get("Eén figuur van Inzicht", "InzichtFiguur")
    one["get"]["responses"]["404"] = {"description": "Geen figuur met deze sleutel"}
    return {
        "/inzicht.json": {**_get("Alle figuren van Inzicht", "Inzicht"), "servers": root},
        "/inzicht/{figuur}.json": {
            **one,
            "servers": root,
            "parameters": [
                {"name": "figuur", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
        },
    }


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


KERN_PARAM = _query("kern", "Alleen deze kern (het nummer uit /kernen).", {"type": "integer"})


def _get(summary: str, schema: str, parameters: list | None = None) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters or [],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _ref(schema)}},
                },
                "304": {"description": "Niet gewijzigd sinds de ETag"},
                "400": {
                    "description": "Ongeldige parameters",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                },
            },
        }
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    projects = [
        KERN_PARAM,
        _query("zoek", "Zoekwoorden (Nederlands, ook vervoegingen)."),
        _query("thema", "Een breed thema, zoals verkeer of wonen."),
        _query("fase", "Een fase, of actief voor alle lopende projecten."),
        _query("wieIsAanZet", "inwoners, gemeente, samen of anderen."),
        _query(
            "gemeenteNodig", "true: alleen projecten die een besluit van de gemeente nodig hebben."
        ),
        _query(
            "stilSindsMaanden",
            "Alleen projecten zonder wijziging sinds zoveel maanden.",
            {"type": "integer"},
        ),
        _query("sorteer", "gewijzigd, stilst, naam, kern of fase."),
        _query("pagina", "Paginanummer, vanaf 1.", {"type": "integer"}),
        _query("paginaGrootte", "1 tot en met 100, standaard 20.", {"type": "integer"}),
    ]
    themas = [
        KERN_PARAM,
        _query("categorie", "Een breed thema, zoals verkeer of wonen."),
        _query("pagina", "Paginanummer, vanaf 1.", {"type": "integer"}),
        _query("paginaGrootte", "1 tot en met 500, standaard 100.", {"type": "integer"}),
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"Bloei: open data van de kernen van {settings.name}",
            "version": API_VERSION,
            "description": "Wat de kernen zelf publiceren, op één plek. Alleen lezen.",
        },
        "servers": [{"url": settings.url(BASE)}],
        "paths": {
            "/kernen": _get("Alle kernen die de gemeente volgt", "Kernen"),
            "/kernen/{kern_id}": {
                **_get("Eén kern", "Kern"),
                "parameters": [
                    {
                        "name": "kern_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
            },
            "/uitrol": _get(
                "Alle kernen van de gemeente, gevolgd of nog niet, en waar elk staat", "Uitrol"
            ),
            "/projecten": _get("Projecten van alle kernen", "Projecten", projects),
            "/themas": _get("Thema's van alle kernen", "Themas", themas),
            "/bijeenkomsten": _get("Komende bijeenkomsten", "Bijeenkomsten", [KERN_PARAM]),
            "/partners": _get("Partners van alle kernen", "Partners", [KERN_PARAM]),
            **_insight_paths(settings),
        },
        "components": {"schemas": {**schemas(), **INSIGHT_SCHEMAS}},
    }
