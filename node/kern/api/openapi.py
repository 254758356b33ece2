"""The OpenAPI 3.0 document of the kern's open-data API, built as a plain dict.

The NL API Design Rules ask for an OpenAPI document at the API's base (`openapi.json`),
so anyone can generate a client or check a kern's answers. The schemas describe exactly
what `node/kern/api/endpoints.py` returns; tests validate real responses against them, so the
document cannot quietly drift from the code. The schemas do not forbid extra properties:
adding a property is a minor version, and clients must not break on it.
"""

from __future__ import annotations

from node.settings import Settings
from node.vocabulary import (
    BUDGET_SOURCES,
    LADDER,
    NEEDS,
    PARTNER_KINDS,
    PARTNER_ROLES,
    PHASES,
    PRIORITIES,
    THEMA_STATUSES,
    WHO_ACTS,
)

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0.0"
BASE = "/api/v1"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

SCHEMA_REF = "#/components/schemas/"


def ref(name: str) -> dict:
    return {"$ref": SCHEMA_REF + name}


def text(description: str = "", nullable: bool = False, **extra) -> dict:
    schema: dict = {"type": "string", **extra}
    if description:
        schema["description"] = description
    if nullable:
        schema["nullable"] = True
    return schema


def choice(values, description: str, nullable: bool = False) -> dict:
    """A string from a fixed list; in OAS 3.0 a nullable enum must list null itself."""
    options: list = list(values)
    schema: dict = {"type": "string", "enum": options, "description": description}
    if nullable:
        schema["nullable"] = True
        schema["enum"] = [*options, None]
    return schema


def array(items: dict, description: str = "") -> dict:
    schema: dict = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict, required: list[str] | None = None, description: str = "") -> dict:
    schema: dict = {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
    }
    if description:
        schema["description"] = description
    return schema


URI = text("Een absoluut adres.", format="uri")
DATE = text("Een datum (JJJJ-MM-DD).", format="date")
DATE_TIME = text("Een tijdstip in UTC (RFC 3339).", format="date-time")


# --- Schemas ---------------------------------------------------------------------------------

PARTNER_ROLES_ARRAY = array(
    {"$ref": SCHEMA_REF + "PartnerRol"},
    "De partners die hierbij aan zet zijn of helpen; wie aan zet is eerst.",
)


def _link_schemas() -> dict:
    return {
        "Link": obj({"href": URI}, description="Een verwijzing naar een andere resource."),
        "ZelfLinks": obj({"self": ref("Link")}),
    }


def _problem_schemas() -> dict:
    problem = {
        "type": text("Het soort fout, als URI; `about:blank` als er geen nadere uitleg is."),
        "title": text("Korte omschrijving van de fout, in het Nederlands."),
        "status": {"type": "integer", "description": "De HTTP-statuscode."},
        "detail": text("Uitleg over deze fout, in het Nederlands."),
    }
    invalid_param = obj(
        {
            "name": text("De naam van de parameter die niet klopt."),
            "reason": text("Waarom de waarde niet klopt, in het Nederlands."),
        }
    )
    return {
        "Probleem": obj(
            problem,
            required=["type", "title", "status"],
            description="Een foutmelding volgens RFC 9457 (application/problem+json).",
        ),
        "OngeldigeParameter": invalid_param,
        "ProbleemMetParameters": obj(
            {**problem, "invalidParams": array(ref("OngeldigeParameter"))},
            required=["type", "title", "status", "invalidParams"],
            description="Een foutmelding over parameters die niet kloppen.",
        ),
    }


def _thema_properties() -> dict:
    return {
        "id": text("Het vaste adres van dit thema op de site van de kern.", format="uri"),
        "slug": text("De korte naam van het thema in adressen; verandert nooit."),
        "titel": text(),
        "beschrijving": text("Uitleg, in Markdown."),
        "prioriteit": choice(PRIORITIES, "Hoe belangrijk de kern dit thema vindt."),
        "status": choice(THEMA_STATUSES, "Hoe het thema ervoor staat."),
        "wieIsAanZet": choice(WHO_ACTS, "Wie nu iets moet doen."),
        "wieIsAanZetToelichting": text("Wie precies, als `wieIsAanZet` 'anderen' is."),
        "bijgewerkt": DATE_TIME,
    }


def _agenda_schemas() -> dict:
    thema = _thema_properties()
    version = {
        "id": text("Het vaste adres van deze versie op de site van de kern.", format="uri"),
        "slug": text("De korte naam van de versie in adressen."),
        "titel": text("Bijvoorbeeld 'Voorjaar 2026'."),
        "inleiding": text("Uitleg bij deze versie, in Markdown."),
        "gepubliceerd": DATE_TIME,
    }
    return {
        "ThemaMomentopname": obj(thema, description="Een thema zoals het stond in een versie."),
        "ThemaLinks": obj({"self": ref("Link"), "projecten": ref("Link")}),
        "Thema": obj(
            {**thema, "partners": PARTNER_ROLES_ARRAY, "_links": ref("ThemaLinks")},
            description="Een thema van de kernagenda.",
        ),
        "ThemaLijst": obj(
            {
                "_links": ref("ZelfLinks"),
                "themas": array(ref("Thema")),
                "totaal": {"type": "integer", "minimum": 0},
            }
        ),
        "AgendaversieLinks": obj(
            {"self": ref("Link"), "vorigeVersie": ref("Link")}, required=["self"]
        ),
        "Agendaversie": obj(
            {
                **version,
                "aantalThemas": {"type": "integer", "minimum": 0},
                "_links": ref("AgendaversieLinks"),
            },
            description="Een gepubliceerde versie van de kernagenda, zonder haar thema's.",
        ),
        "AgendaversieLijst": obj(
            {
                "_links": ref("ZelfLinks"),
                "agendaversies": array(ref("Agendaversie"), "De nieuwste eerst."),
                "totaal": {"type": "integer", "minimum": 0},
            }
        ),
        "ThemaVoorNa": obj(
            {"voor": ref("ThemaMomentopname"), "na": ref("ThemaMomentopname")},
            description="Een thema in de vorige versie (voor) en in deze versie (na).",
        ),
        "Wijzigingen": obj(
            {
                "toegevoegd": array(ref("ThemaMomentopname"), "Nieuw in deze versie."),
                "afgerond": array(ref("ThemaMomentopname"), "Sinds de vorige versie afgerond."),
                "statusGewijzigd": array(ref("ThemaVoorNa"), "Met een andere status."),
                "gewijzigd": array(
                    ref("ThemaVoorNa"),
                    "Met dezelfde status, maar een andere titel, beschrijving, prioriteit "
                    "of wie aan zet is.",
                ),
                "verwijderd": array(
                    ref("ThemaMomentopname"), "Stond in de vorige versie, nu niet meer."
                ),
            },
            description="Wat er veranderde ten opzichte van de vorige versie; bij de eerste "
            "versie is alles toegevoegd.",
        ),
        "AgendaversieDetail": obj(
            {
                **version,
                "aantalThemas": {"type": "integer", "minimum": 0},
                "themas": array(ref("ThemaMomentopname"), "De thema's zoals ze toen stonden."),
                "vorigeVersie": text("De slug van de vorige versie.", nullable=True),
                "wijzigingen": ref("Wijzigingen"),
                "_links": ref("AgendaversieLinks"),
            }
        ),
    }


def _project_properties() -> dict:
    budget = obj(
        {
            "aangevraagd": {"type": "integer", "nullable": True, "minimum": 0},
            "toegekend": {"type": "integer", "nullable": True, "minimum": 0},
            "bron": choice(BUDGET_SOURCES, "Waar het geld vandaan komt.", nullable=True),
            "bronAnders": text(
                "Welke bron, in de woorden van de groep; alleen bij bron anders.", nullable=True
            ),
            "valuta": choice(["EUR"], "Altijd euro."),
            "eenheid": choice(["cent"], "Bedragen staan in centen."),
        }
    )
    return {
        "id": text("Het vaste adres van dit project op de site van de kern.", format="uri"),
        "slug": text("De korte naam van het project in adressen; verandert nooit."),
        "titel": text(),
        "samenvatting": text(),
        "beschrijving": text("Uitleg, in Markdown."),
        "fase": choice(PHASES, "De fase waarin het project nu is."),
        "themas": array(URI, "De thema's (hun `id`) waar het project onder valt."),
        "trekker": text(
            "Wie het project trekt; alleen als die daar toestemming voor gaf.", nullable=True
        ),
        "participatieladder": choice(LADDER, "De trede op de participatieladder.", True),
        "behoeften": array(choice(NEEDS, "Wat het project nodig heeft.")),
        "budget": budget,
        "startdatum": {**DATE, "nullable": True},
        "streefdatum": {**DATE, "nullable": True},
        "foto": text("Adres van de foto.", nullable=True, format="uri"),
        "fotoBeschrijving": text("Tekstalternatief voor de foto.", nullable=True),
        "aantalSteunbetuigingen": {
            "type": "integer",
            "minimum": 0,
            "description": "Hoeveel mensen het project steunen; wie dat zijn blijft geheim.",
        },
        "terugblik": {
            **obj(
                {
                    "watWerkte": text("Wat goed werkte, in Markdown."),
                    "geleerd": text("Wat de groep leerde, in Markdown."),
                    "bereikteTrede": choice(
                        LADDER, "De trede op de participatieladder die echt bereikt is.", True
                    ),
                    "datum": DATE,
                },
                description="De terugblik van de groep als het project afgerond of gestopt is.",
            ),
            "nullable": True,
        },
        "partners": PARTNER_ROLES_ARRAY,
        "bijgewerkt": DATE_TIME,
    }


def _project_schemas() -> dict:
    project = _project_properties()
    phase_change = obj(
        {
            "van": choice(PHASES, "De fase ervoor; leeg bij de start.", nullable=True),
            "naar": choice(PHASES, "De nieuwe fase."),
            "datum": DATE,
            "toelichting": text("Waarom; bij gepauzeerd en gestopt altijd ingevuld."),
            "bijeenkomst": text(
                "De bijeenkomst waar dit is besloten; leeg als het niet op een bijeenkomst was.",
                nullable=True,
                format="uri",
            ),
        }
    )
    update = obj({"id": URI, "titel": text(), "tekst": text("In Markdown."), "datum": DATE})
    return {
        "ProjectLinks": obj({"self": ref("Link")}),
        "Project": obj(
            {**project, "_links": ref("ProjectLinks")},
            description="Een project, zonder fasegeschiedenis en updates.",
        ),
        "Fasewijziging": phase_change,
        "ProjectUpdate": update,
        "ProjectDetailLinks": obj({"self": ref("Link"), "themas": array(ref("Link"))}),
        "ProjectDetail": obj(
            {
                **project,
                "fasegeschiedenis": array(ref("Fasewijziging"), "Oudste eerst."),
                "updates": array(ref("ProjectUpdate"), "Nieuwste eerst."),
                "_links": ref("ProjectDetailLinks"),
            },
            description="Een project met zijn fasegeschiedenis en updates. Namen en "
            "contactgegevens van vrijwilligers en steunbetuigers staan nooit in de API.",
        ),
        "PaginaLinks": obj(
            {
                "self": ref("Link"),
                "first": ref("Link"),
                "last": ref("Link"),
                "prev": ref("Link"),
                "next": ref("Link"),
            },
            required=["self", "first", "last"],
            description="`prev` en `next` ontbreken op de eerste en de laatste pagina.",
        ),
        "ProjectenPagina": obj(
            {
                "_links": ref("PaginaLinks"),
                "projecten": array(ref("Project"), "Laatst bijgewerkt eerst."),
                "totaal": {"type": "integer", "minimum": 0, "description": "Alle treffers."},
                "pagina": {"type": "integer", "minimum": 1},
                "paginaGrootte": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "aantalPaginas": {"type": "integer", "minimum": 1},
            }
        ),
    }


MEETING_STATUSES = ("gepland", "geannuleerd", "afgelopen")
LOCAL_TIME = text(
    "Een tijdstip in Nederlandse tijd, op de minuut, met de afwijking van UTC "
    "(ISO 8601, bijvoorbeeld 2026-03-02T19:30+01:00).",
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}$",
)


def _meeting_schemas() -> dict:
    count = {"type": "integer", "minimum": 0}
    meeting = {
        "id": text("Het vaste adres van deze bijeenkomst op de site van de kern.", format="uri"),
        "slug": text("De korte naam van de bijeenkomst in adressen; verandert nooit."),
        "titel": text(),
        "samenvatting": text("Wanneer en waar, in één zin."),
        "beschrijving": text("Uitleg, in Markdown."),
        "begintijd": LOCAL_TIME,
        "eindtijd": LOCAL_TIME,
        "tijdzone": choice(["Europe/Amsterdam"], "De tijdzone van begin- en eindtijd."),
        "plaats": obj({"naam": text(), "adres": text(nullable=True)}),
        "status": choice(
            MEETING_STATUSES,
            "Gepland, geannuleerd (gaat niet door) of afgelopen (de eindtijd is voorbij).",
        ),
        "redenAnnulering": text("Waarom de bijeenkomst niet doorgaat.", nullable=True),
        "capaciteit": {**count, "nullable": True, "description": "Leeg: geen maximum."},
        "plaatsenOver": {**count, "nullable": True, "description": "Leeg: geen maximum."},
        "aantalAanmeldingen": {
            **count,
            "description": "Hoeveel mensen zich aanmeldden; wie dat zijn blijft geheim.",
        },
        "themas": array(URI, "De thema's (hun `id`) waar de bijeenkomst over gaat."),
        "projecten": array(URI, "De projecten (hun `id`) die aan bod komen."),
        "verslag": text("Het verslag, in Markdown.", nullable=True),
        "verslagGepubliceerd": {**DATE_TIME, "nullable": True},
        "evaluatie": {
            **obj(
                {
                    "aantal": {**count, "description": "Hoeveel bezoekers een oordeel gaven."},
                    "gemiddeld": {
                        "type": "number",
                        "minimum": 1,
                        "maximum": 5,
                        "description": "Het gemiddelde, van 1 (slecht) tot 5 (heel goed).",
                    },
                },
                description="Wat bezoekers van de bijeenkomst vonden, alleen in cijfers.",
            ),
            "nullable": True,
        },
        "kalender": text("Adres van de bijeenkomst als iCalendar-bestand.", format="uri"),
        "volgnummer": {
            **count,
            "description": "Gaat omhoog als de bijeenkomst verschuift of niet doorgaat "
            "(SEQUENCE in iCalendar).",
        },
        "bijgewerkt": DATE_TIME,
    }
    return {
        "BijeenkomstLinks": obj(
            {"self": ref("Link"), "themas": array(ref("Link")), "projecten": array(ref("Link"))}
        ),
        "Bijeenkomst": obj(
            {**meeting, "_links": ref("BijeenkomstLinks")},
            description="Een bijeenkomst. Wie zich aanmeldde staat nooit in de API.",
        ),
        "BijeenkomstenPagina": obj(
            {
                "_links": ref("PaginaLinks"),
                "bijeenkomsten": array(
                    ref("Bijeenkomst"),
                    "Bij komend en alles de eerstvolgende eerst, bij voorbij de laatste eerst.",
                ),
                "totaal": {**count, "description": "Alle treffers."},
                "pagina": {"type": "integer", "minimum": 1},
                "paginaGrootte": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "aantalPaginas": {"type": "integer", "minimum": 1},
            }
        ),
    }


def _partner_schemas() -> dict:
    return {
        "PartnerRol": obj(
            {
                "partner": text("Het `id` van de partner.", format="uri"),
                "rol": choice(PARTNER_ROLES, "Of de partner aan zet is of helpt."),
            },
            description="Een partner bij een thema of project, met zijn rol.",
        ),
        "PartnerLinks": obj({"self": ref("Link")}),
        "Partner": obj(
            {
                "id": text(
                    "Het vaste adres van deze partner op de site van de kern.", format="uri"
                ),
                "slug": text("De korte naam van de partner in adressen; verandert nooit."),
                "naam": text(),
                "soort": choice(PARTNER_KINDS, "Wat voor organisatie het is."),
                "beschrijving": text("Wat de partner doet, in een of twee zinnen."),
                "website": text("De website van de partner.", nullable=True, format="uri"),
                "contact": text(
                    "Een openbaar contact van de organisatie (e-mail of telefoon).", nullable=True
                ),
                "bijgewerkt": DATE_TIME,
                "_links": ref("PartnerLinks"),
            },
            description="Een organisatie waarmee de kern samenwerkt: een vereniging, de "
            "school, de woningcorporatie.",
        ),
        "PartnerLijst": obj(
            {
                "_links": ref("ZelfLinks"),
                "partners": array(ref("Partner"), "Op naam."),
                "totaal": {"type": "integer", "minimum": 0},
            }
        ),
    }


def _index_schema() -> dict:
    links = obj(
        {
            "self": ref("Link"),
            "openapi": ref("Link"),
            "themas": ref("Link"),
            "agendaversies": ref("Link"),
            "projecten": ref("Link"),
            "bijeenkomsten": ref("Link"),
            "partners": ref("Link"),
        }
    )
    return {
        "IndexLinks": links,
        "Index": obj(
            {
                "naam": text("De naam van de API."),
                "kern": text("De naam van de kern."),
                "versie": text("De volledige versie van de API."),
                "_links": ref("IndexLinks"),
            }
        ),
    }


def schemas() -> dict:
    return {
        **_link_schemas(),
        **_problem_schemas(),
        **_agenda_schemas(),
        **_project_schemas(),
        **_meeting_schemas(),
        **_partner_schemas(),
        **_index_schema(),
    }


# --- Parameters, headers, responses ----------------------------------------------------------


def _parameters() -> dict:
    return {
        "slug": {
            "name": "slug",
            "in": "path",
            "required": True,
            "description": "De korte naam uit het veld `slug`.",
            "schema": {"type": "string"},
        },
        "fase": {
            "name": "fase",
            "in": "query",
            "required": False,
            "description": "Alleen projecten in deze fase.",
            "schema": {"type": "string", "enum": list(PHASES)},
        },
        "thema": {
            "name": "thema",
            "in": "query",
            "required": False,
            "description": "Alleen projecten onder het thema met deze slug.",
            "schema": {"type": "string"},
        },
        "wanneer": {
            "name": "wanneer",
            "in": "query",
            "required": False,
            "description": "komend: wat nog niet is afgelopen; voorbij: wat is afgelopen; "
            "alles: allebei.",
            "schema": {
                "type": "string",
                "enum": ["komend", "voorbij", "alles"],
                "default": "komend",
            },
        },
        "themaBijeenkomst": {
            "name": "thema",
            "in": "query",
            "required": False,
            "description": "Alleen bijeenkomsten over het thema met deze slug.",
            "schema": {"type": "string"},
        },
        "pagina": {
            "name": "pagina",
            "in": "query",
            "required": False,
            "description": "Welke pagina; de eerste is 1.",
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        },
        "paginaGrootte": {
            "name": "paginaGrootte",
            "in": "query",
            "required": False,
            "description": "Hoeveel per pagina.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PAGE_SIZE,
                "default": DEFAULT_PAGE_SIZE,
            },
        },
        "ifNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "De ETag van een eerder antwoord; is er sindsdien niets veranderd, "
            "dan volgt 304 zonder inhoud.",
            "schema": {"type": "string"},
        },
    }


def _headers() -> dict:
    return {
        "API-Version": {
            "description": "De volledige versie van de API.",
            "schema": {"type": "string", "example": API_VERSION},
        },
        "ETag": {
            "description": "Verandert zodra de gegevens van de kern veranderen.",
            "schema": {"type": "string"},
        },
        "Access-Control-Allow-Origin": {
            "description": "Open data: elke site mag de API aanroepen.",
            "schema": {"type": "string", "enum": ["*"]},
        },
    }


def header_refs(*names: str) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _problem_response(description: str, schema: str) -> dict:
    return {
        "description": description,
        "headers": header_refs("API-Version"),
        "content": {"application/problem+json": {"schema": ref(schema)}},
    }


def _responses() -> dict:
    return {
        "NietGewijzigd": {
            "description": "Niets veranderd sinds de meegestuurde ETag.",
            "headers": header_refs("API-Version", "ETag", "Access-Control-Allow-Origin"),
        },
        "OngeldigVerzoek": _problem_response(
            "Een of meer parameters kloppen niet; `invalidParams` zegt welke en waarom.",
            "ProbleemMetParameters",
        ),
        "NietGevonden": _problem_response("Dit bestaat niet.", "Probleem"),
        "Serverfout": _problem_response("Er ging iets mis op de server.", "Probleem"),
    }


def _ok(schema: dict, description: str) -> dict:
    return {
        "description": description,
        "headers": header_refs("API-Version", "ETag", "Access-Control-Allow-Origin"),
        "content": {"application/json": {"schema": schema}},
    }


def operation(
    operation_id: str,
    summary: str,
    tag: str,
    schema: dict,
    parameters: tuple[str, ...] = (),
    can_be_missing: bool = False,
) -> dict:
    """One GET: every one answers 304 on a matching ETag and 400 on unknown parameters."""
    responses = {
        "200": _ok(schema, summary),
        "304": {"$ref": "#/components/responses/NietGewijzigd"},
        "400": {"$ref": "#/components/responses/OngeldigVerzoek"},
    }
    if can_be_missing:
        responses["404"] = {"$ref": "#/components/responses/NietGevonden"}
    responses["500"] = {"$ref": "#/components/responses/Serverfout"}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "parameters": [
                {"$ref": f"#/components/parameters/{name}"} for name in (*parameters, "ifNoneMatch")
            ],
            "responses": responses,
        }
    }


def paths() -> dict:
    return {
        BASE: operation("getIndex", "Wat deze API biedt, met links.", "API", ref("Index")),
        f"{BASE}/openapi.json": operation(
            "getOpenapi",
            "Dit OpenAPI-document.",
            "API",
            {"type": "object", "description": "Een OpenAPI 3.0-document."},
        ),
        f"{BASE}/themas": operation(
            "getThemas", "Alle thema's van de kernagenda.", "Kernagenda", ref("ThemaLijst")
        ),
        f"{BASE}/themas/{{slug}}": operation(
            "getThema", "Eén thema.", "Kernagenda", ref("Thema"), ("slug",), can_be_missing=True
        ),
        f"{BASE}/agendaversies": operation(
            "getAgendaversies",
            "De gepubliceerde versies van de kernagenda.",
            "Kernagenda",
            ref("AgendaversieLijst"),
        ),
        f"{BASE}/agendaversies/{{slug}}": operation(
            "getAgendaversie",
            "Eén versie, met haar thema's en wat er veranderde sinds de vorige.",
            "Kernagenda",
            ref("AgendaversieDetail"),
            ("slug",),
            can_be_missing=True,
        ),
        f"{BASE}/projecten": operation(
            "getProjecten",
            "Projecten, per pagina, te filteren op fase en thema.",
            "Projecten",
            ref("ProjectenPagina"),
            ("fase", "thema", "pagina", "paginaGrootte"),
        ),
        f"{BASE}/projecten/{{slug}}": operation(
            "getProject",
            "Eén project, met fasegeschiedenis en updates.",
            "Projecten",
            ref("ProjectDetail"),
            ("slug",),
            can_be_missing=True,
        ),
        f"{BASE}/bijeenkomsten": operation(
            "getBijeenkomsten",
            "Bijeenkomsten, per pagina, te filteren op tijd en thema.",
            "Bijeenkomsten",
            ref("BijeenkomstenPagina"),
            ("wanneer", "themaBijeenkomst", "pagina", "paginaGrootte"),
        ),
        f"{BASE}/bijeenkomsten/{{slug}}": operation(
            "getBijeenkomst",
            "Eén bijeenkomst.",
            "Bijeenkomsten",
            ref("Bijeenkomst"),
            ("slug",),
            can_be_missing=True,
        ),
        f"{BASE}/partners": operation(
            "getPartners", "Alle partners van de kern.", "Partners", ref("PartnerLijst")
        ),
        f"{BASE}/partners/{{slug}}": operation(
            "getPartner", "Eén partner.", "Partners", ref("Partner"), ("slug",), can_be_missing=True
        ),
    }


def openapi_document(settings: Settings, contact_email: str = "") -> dict:
    """The whole document; the server is the node's public address, paths carry /api/v1."""
    contact = {"name": f"Inwonersgroep {settings.name}", "url": settings.url("/over")}
    if contact_email:
        contact["email"] = contact_email
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"Bloei: open data van {settings.name}",
            "version": API_VERSION,
            "description": (
                f"De kernagenda, projecten en bijeenkomsten van {settings.name}, als open "
                "data. "
                "Alleen lezen, zonder account. Persoonsgegevens (vrijwilligers, "
                "steunbetuigers, deelnemers) staan er nooit in. Gebruik de ETag met "
                "If-None-Match om zuinig te verversen. Fouten volgen RFC 9457 "
                "(application/problem+json)."
            ),
            "contact": contact,
        },
        "servers": [{"url": settings.url(""), "description": f"De node van {settings.name}"}],
        "tags": [
            {"name": "API", "description": "Over de API zelf."},
            {"name": "Kernagenda", "description": "Thema's en gepubliceerde versies."},
            {"name": "Projecten", "description": "Projecten en hun fasen."},
            {"name": "Bijeenkomsten", "description": "Bijeenkomsten, komend en voorbij."},
            {"name": "Partners", "description": "Organisaties waarmee de kern samenwerkt."},
        ],
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "parameters": _parameters(),
            "headers": _headers(),
            "responses": _responses(),
        },
    }
