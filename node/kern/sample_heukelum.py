"""Realistic sample data for Heukelum, the second kern of the pilot (`bloei pilot`).

Written for Bloei from public facts (see CONTEXT.md): Heukelum is a small stadje on the Linge
with about 2,300 residents and a kerngroep of seven residents with one contact person. It was
the first kern with a kernagenda (2019-2021), after a start evening with about sixty residents
and a cycling tour along the roads. Its themes: verkeer (safer junctions and crossings, speed
bumps, cycle crossings), the Rietput recreation area, and ontmoeten.

Everything goes through the same data functions as beheer and as Beesd's sample
(node.kern.sample), so the pilot's data also makes events, audit entries and federation.
"""

from __future__ import annotations

import sqlite3

from node.db import Database
from node.kern import agenda
from node.kern.sample import (
    WHO,
    _set_site,
    load_ideas_and_news,
    load_meetings,
    load_projects,
)
from node.settings import Settings

SITE = {
    "group_name": "Kerngroep Heukelum",
    "group_description": (
        "Wij zijn de kerngroep van Heukelum: zeven inwoners, met één vast aanspreekpunt, die "
        "samen met de plaatselijke vereniging en de gemeente de kernagenda bijhouden.\n\n"
        "Heukelum had als eerste kern van West Betuwe een kernagenda. Die begon met een "
        "startavond met zo'n zestig inwoners en een fietstocht langs de wegen in en om het "
        "stadje. Heeft u een idee of een zorg? Laat het ons weten."
    ),
    "contact_email": "kerngroep@heukelum.example",
    "contact_address": "Kerngroep Heukelum, p/a Dorpshuis, Heukelum",
}

# (title, priority, status, actor, actor_other, description)
THEMAS = [
    (
        "Veilige kruispunten en oversteken",
        "hoog",
        "loopt",
        "gemeente",
        "",
        "Op de fietstocht van de startavond zagen we het zelf: bij de kruispunten aan de rand "
        "van het stadje en bij de oversteek naar de Lingedijk is het **onoverzichtelijk**. We "
        "vragen de gemeente om betere oversteekplekken voor fietsers en voetgangers.",
    ),
    (
        "Te hard rijden en verkeersdrempels",
        "hoog",
        "eerste_successen",
        "samen",
        "",
        "Auto's en landbouwverkeer rijden te hard door de smalle straten. Er liggen nu twee "
        "nieuwe drempels; we meten samen met de gemeente of het helpt.",
    ),
    (
        "Recreatiegebied de Rietput",
        "middel",
        "loopt",
        "anderen",
        "recreatieschap en gemeente",
        "De Rietput is de plek om te zwemmen, te wandelen en te vissen. We willen hem schoon, "
        "veilig en goed bereikbaar houden, ook voor wie niet zo goed ter been is.",
    ),
    (
        "Ontmoeten",
        "middel",
        "nieuw",
        "inwoners",
        "",
        "Een plek en een moment om elkaar te zien: een koffieochtend, een buurttafel, samen "
        "iets doen voor het stadje. Juist voor wie nieuw is of alleen woont.",
    ),
    (
        "Fietspad langs de Linge",
        "laag",
        "afgerond",
        "gemeente",
        "",
        "Het fietspad had diepe gaten en losse tegels. De gemeente heeft het in 2021 opnieuw "
        "geasfalteerd.",
    ),
]

PROJECTS = [
    {
        "title": "Veilige fietsoversteek bij de Lingedijk",
        "summary": "Een verhoogde, goed verlichte oversteek voor fietsers waar het fietspad de "
        "weg naar de Lingedijk kruist.",
        "description": "Kinderen fietsen hier elke dag naar school in Geldermalsen. Auto's "
        "komen met een bocht aanrijden en zien fietsers laat. We vragen de gemeente om een "
        "**verhoogde oversteek** met verlichting en duidelijke markering.",
        "themas": ["Veilige kruispunten en oversteken"],
        "path": [
            ("idee", 420, "Genoemd op de startavond en gezien op de fietstocht."),
            ("verkenning", 330, "Verkeerstelling met ouders: 140 fietsers op een ochtend."),
            ("planvorming", 120, "De gemeente maakte een schetsontwerp; wij gaven advies."),
        ],
        "trekker": ("Wim Verhoeven", True),
        "ladder": "adviseren",
        "needs": ["besluit_gemeente"],
        "updates": [
            (
                "Schetsontwerp besproken",
                "Op de kernavond hebben we het schetsontwerp van de gemeente bekeken. De "
                "verlichting komt er; over de plaats van de drempel praten we nog.",
                35,
            )
        ],
        "supports": 96,
    },
    {
        "title": "Drempels in de Voorstraat",
        "summary": "Twee verkeersdrempels en een bord 'stadje, 30 km' om het verkeer in de "
        "smalle straat af te remmen.",
        "description": "Na metingen met een snelheidsdisplay heeft de gemeente twee drempels "
        "gelegd. We meten over een half jaar opnieuw.",
        "themas": ["Te hard rijden en verkeersdrempels"],
        "path": [
            ("idee", 600, ""),
            ("verkenning", 520, "Snelheidsdisplay een maand opgehangen."),
            ("planvorming", 400, "Gemeente en kerngroep kozen samen de plekken."),
            ("uitvoering", 240, "Aannemer is begonnen."),
            ("afgerond", 200, "De drempels liggen er. Nieuwe meting over een half jaar."),
        ],
        "trekker": ("Els van Wijk", True),
        "ladder": "meebeslissen",
        "updates": [
            (
                "De drempels liggen er",
                "Sinds deze week liggen beide drempels in de Voorstraat. Dank aan de buren "
                "voor hun geduld tijdens het werk.",
                198,
            )
        ],
        "supports": 71,
    },
    {
        "title": "Snelheidsmetingen door inwoners",
        "summary": "Met een geleend snelheidsdisplay meten inwoners zelf hoe hard er gereden "
        "wordt op de toegangswegen.",
        "description": "Cijfers helpen in het gesprek met de gemeente. We zoeken "
        "**vrijwilligers** die het display om de twee weken verhangen en de cijfers noteren.",
        "themas": ["Te hard rijden en verkeersdrempels"],
        "path": [
            ("idee", 150, ""),
            ("uitvoering", 60, "Het display hangt; de eerste metingen zijn binnen."),
        ],
        "trekker": ("Kees de Jong", True),
        "ladder": "zelfbeheer",
        "needs": ["vrijwilligers"],
        "budget": (45000, 45000, "leefbaarheidsbudget"),
        "supports": 28,
        "volunteers": [("Sanne Bakker", "sanne@example.org", "Ik woon aan de Achterweg.")],
    },
    {
        "title": "Toegankelijk wandelpad rond de Rietput",
        "summary": "Een verhard rondje rond de plas, met bankjes, zodat ook mensen met een "
        "rollator of rolstoel bij het water kunnen komen.",
        "description": "Het pad is nu zand en gras en na regen onbegaanbaar. Het recreatieschap "
        "en de gemeente willen meedenken.",
        "themas": ["Recreatiegebied de Rietput", "Ontmoeten"],
        "path": [
            ("idee", 260, ""),
            ("verkenning", 140, "Wandeling met het recreatieschap en twee rolstoelgebruikers."),
        ],
        "trekker": ("Anja Smits", True),
        "ladder": "coproduceren",
        "needs": ["geld", "besluit_gemeente"],
        "updates": [
            (
                "Wandeling langs de plas",
                "Met het recreatieschap liepen we het rondje. De knelpunten staan op een kaart.",
                130,
            )
        ],
        "supports": 54,
    },
    {
        "title": "Schoonmaakdag aan de Rietput",
        "summary": "Elk voorjaar ruimen inwoners samen het zwerfafval rond de plas op, met "
        "koffie en soep na afloop.",
        "description": "Een ochtend de handen uit de mouwen, en meteen een goede manier om "
        "buren te leren kennen.",
        "themas": ["Recreatiegebied de Rietput", "Ontmoeten"],
        "path": [
            ("idee", 700, ""),
            ("uitvoering", 650, "Eerste schoonmaakdag met 30 inwoners."),
            ("afgerond", 300, "Het recreatieschap neemt de grijpers en zakken nu over."),
        ],
        "trekker": ("Mohamed Amrani", True),
        "ladder": "zelfbeheer",
        "budget": (15000, 15000, "leefbaarheidsbudget"),
        "supports": 40,
    },
    {
        "title": "Buurttafel in het dorpshuis",
        "summary": "Eens per maand samen eten voor een klein bedrag, gekookt door vrijwilligers.",
        "description": "Voor iedereen die graag in gezelschap eet. We zoeken koks, mensen die "
        "tafels dekken en een plek met een goede keuken.",
        "themas": ["Ontmoeten"],
        "path": [("idee", 40, "")],
        "needs": ["vrijwilligers", "plek"],
        "supports": 19,
    },
    {
        "title": "Zwemsteiger aan de Rietput",
        "summary": "Een houten steiger om veilig het water in te gaan.",
        "description": "Het recreatieschap onderzoekt eerst de waterkwaliteit en de diepte.",
        "themas": ["Recreatiegebied de Rietput"],
        "path": [
            ("idee", 320, ""),
            ("verkenning", 250, ""),
            (
                "gepauzeerd",
                90,
                "We wachten op het onderzoek van het recreatieschap naar het water.",
            ),
        ],
        "ladder": "adviseren",
        "supports": 33,
    },
    {
        "title": "Rotonde op de N830",
        "summary": "Een rotonde op de provinciale weg bij de afslag naar Heukelum.",
        "description": "Een rotonde is hier niet mogelijk.",
        "themas": ["Veilige kruispunten en oversteken"],
        "path": [
            ("idee", 500, ""),
            (
                "gestopt",
                380,
                "De provincie gaat over deze weg en kiest voor een andere oplossing: een "
                "verlaagde snelheid en betere verlichting.",
            ),
        ],
        "supports": 25,
    },
]

DORPSHUIS = ("Dorpshuis Heukelum", "Heukelum")

# (title, days from today, start, end, place, capacity, description, thema's, projects)
MEETINGS = [
    (
        "Kernavond Heukelum",
        -45,
        "19:30",
        "21:30",
        DORPSHUIS,
        None,
        "We bespreken de kernagenda: de oversteken, de drempels en de Rietput.",
        ["Veilige kruispunten en oversteken", "Recreatiegebied de Rietput"],
        ["Veilige fietsoversteek bij de Lingedijk", "Toegankelijk wandelpad rond de Rietput"],
    ),
    (
        "Fietstocht langs de kruispunten",
        -20,
        "10:00",
        "12:00",
        ("Start bij de kerk", "Kerkstraat, Heukelum"),
        25,
        "Net als bij de start van de kernagenda fietsen we met de gemeente langs de plekken "
        "waar oversteken lastig is.",
        ["Veilige kruispunten en oversteken", "Te hard rijden en verkeersdrempels"],
        ["Snelheidsmetingen door inwoners"],
    ),
    (
        "Koffieochtend voor nieuwe inwoners",
        6,
        "10:00",
        "11:30",
        DORPSHUIS,
        30,
        "Nieuw in Heukelum? Kom kennismaken met buren en met de kerngroep.",
        ["Ontmoeten"],
        ["Buurttafel in het dorpshuis"],
    ),
    (
        "Schoonmaakochtend Rietput",
        18,
        "09:30",
        "12:30",
        ("Parkeerplaats Rietput", "Rietput, Heukelum"),
        40,
        "Grijpers en zakken liggen klaar. Na afloop soep voor iedereen.",
        ["Recreatiegebied de Rietput"],
        ["Toegankelijk wandelpad rond de Rietput"],
    ),
]

# Who has signed up for the coming meetings (names only, no contact details).
GUESTS = [("Truus", 1), ("Bram", 2), ("Yasmina", 2)]

# Verslagen of past meetings, with the decisions that moved linked projects.
MINUTES = {
    "Kernavond Heukelum": (
        "Er waren 41 inwoners, de kerngroep en de gebiedsmakelaar.\n\n"
        "**Besproken:** het schetsontwerp voor de fietsoversteek, de eerste snelheidsmetingen "
        "en de wandeling rond de Rietput.\n\n"
        "**Besloten:** we geven de gemeente advies over de plek van de drempel bij de "
        "oversteek, en we werken het wandelpad verder uit met het recreatieschap.",
        [],
    ),
    "Fietstocht langs de kruispunten": (
        "Met vijftien fietsers en twee verkeerskundigen van de gemeente langs zes plekken. Bij "
        "de Lingedijk en bij de school is het het drukst. De snelheidsmetingen gaan door; we "
        "zoeken nog twee vrijwilligers.",
        [],
    ),
}

IDEAS = [
    (
        "Jeu-de-boulesbaan bij de Rietput",
        "Een baan bij de plas, waar jong en oud samen kunnen spelen.",
        "published",
        "Leuk! We nemen het mee in het gesprek met het recreatieschap.",
    ),
    (
        "Bord 'Welkom in Heukelum' bij de Lingedijk",
        "Een vriendelijk bord dat automobilisten eraan herinnert dat ze een stadje inrijden.",
        "published",
        "",
    ),
    (
        "Parkeerverbod in de hele binnenstad",
        "Geen auto's meer in het oude centrum.",
        "declined",
        "Daarover beslist de gemeente, en niet iedereen kan zonder auto. We houden het bij de "
        "drempels en de metingen.",
    ),
    ("Bloembakken op de Lingebrug", "Zomerbloemen op de brug, verzorgd door buren.", "new", ""),
]

NEWS = [
    (
        "Afsluiting Lingedijk in het voorjaar",
        -8,
        "De gemeente werkt twee weken aan de Lingedijk. Fietsers kunnen erlangs; auto's rijden "
        "om via de Achterweg.",
    ),
    (
        "Verslag van de kernavond staat online",
        -43,
        "Dank aan iedereen die kwam. Het verslag staat bij de bijeenkomst.",
    ),
    (
        "Vijf jaar kernagenda in Heukelum",
        -120,
        "Heukelum was de eerste kern met een kernagenda. Wat begon met een startavond en een "
        "fietstocht, is nu een vaste manier van samenwerken met de gemeente.",
    ),
]


def load_sample(db: Database, settings: Settings) -> None:
    """Fill an empty kern with Heukelum's sample data; refuses a kern with content."""
    if db.scalar("SELECT count(*) FROM themas") or db.scalar("SELECT count(*) FROM projects"):
        raise ValueError("this kern already has content; sample data goes into an empty kern only")
    db.write(_load, settings)


def _thema_values(title, priority, status, actor, other, description) -> dict:
    return {
        "title": title,
        "description": description,
        "priority": priority,
        "status": status,
        "actor": actor,
        "actor_other": other,
    }


def _load(conn: sqlite3.Connection, settings: Settings) -> None:
    _set_site(conn, SITE)
    thema_ids = {}
    # The first kernagenda (2021): everything that is done or going well now started as new.
    for title, priority, status, actor, other, description in THEMAS:
        first = "nieuw" if status in ("afgerond", "eerste_successen") else status
        values = _thema_values(title, priority, first, actor, other, description)
        slug = agenda.save_thema(conn, settings, WHO, values)
        thema_ids[title] = conn.execute("SELECT id FROM themas WHERE slug = ?", (slug,)).fetchone()[
            0
        ]
    agenda.publish_version(
        conn,
        settings,
        WHO,
        "Kernagenda 2021",
        "De eerste kernagenda van Heukelum, na de startavond en de fietstocht langs de wegen.",
    )
    # Heukelum's first kernagenda really dates from 2021.
    conn.execute(
        "UPDATE agenda_versions SET published_at = '2021-06-15T17:30:00+00:00' "
        "WHERE slug = 'kernagenda-2021'"
    )
    for title, priority, status, actor, other, description in THEMAS:
        row = conn.execute("SELECT status FROM themas WHERE id = ?", (thema_ids[title],)).fetchone()
        if row["status"] != status:
            values = _thema_values(title, priority, status, actor, other, description)
            agenda.save_thema(conn, settings, WHO, values, thema_ids[title])
    agenda.publish_version(
        conn,
        settings,
        WHO,
        "Voorjaar 2026",
        "Na de kernavond: de drempels liggen er, het fietspad is klaar, ontmoeten is nieuw.",
    )

    load_projects(conn, settings, thema_ids, PROJECTS, "sample-heukelum")
    load_meetings(conn, settings, thema_ids, MEETINGS, MINUTES, GUESTS)
    load_ideas_and_news(conn, settings, IDEAS, NEWS)
