"""Realistic sample data for a kern, written for Bloei from public facts about West Betuwe.

Used by `bloei demo`, the browser tests and the benchmarks. Everything goes through the
same data functions as beheer, so the sample also exercises events, audit and search.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

from node.db import Database
from node.kern import agenda, projects
from node.settings import Settings

WHO = "Inwonersgroep (voorbeeld)"

SITE = {
    "beesd": {
        "group_name": "Werkgroep Kernagenda Beesd",
        "group_description": (
            "Wij zijn een groep inwoners van Beesd, verbonden aan de werkgroepen van de "
            "dorpsvereniging. We houden samen met de gemeente de kernagenda bij en helpen "
            "inwoners die iets willen verbeteren in het dorp.\n\n"
            "We komen elke eerste maandag van de maand bij elkaar in het dorpshuis. "
            "Iedereen is welkom."
        ),
        "contact_email": "kernagenda@beesd.example",
        "contact_address": "Dorpshuis, Beesd",
    },
}

THEMAS = [
    (
        "Woningbouw voor senioren en jongeren",
        "hoog",
        "loopt",
        "samen",
        "",
        "Ouderen willen in Beesd blijven wonen en jongeren willen er een eerste woning vinden. "
        "We zoeken met de gemeente naar plekken voor **levensloopbestendige woningen** en "
        "starterswoningen.",
    ),
    (
        "Openbare ruimte en groen",
        "middel",
        "eerste_successen",
        "samen",
        "",
        "Meer bomen tegen de hitte, bloeiende bermen en een nette speeltuin. Inwoners doen mee "
        "met het onderhoud.",
    ),
    (
        "Verkeer en vervoer",
        "hoog",
        "loopt",
        "gemeente",
        "",
        "Te hard rijden op de Dorpsstraat en onveilige oversteekplekken bij de school.",
    ),
    (
        "Voorzieningen",
        "middel",
        "nieuw",
        "inwoners",
        "",
        "Een AED die dag en nacht bereikbaar is, en een plek om elkaar te ontmoeten.",
    ),
    (
        "Betere communicatie met de gemeente",
        "hoog",
        "eerste_successen",
        "samen",
        "",
        "Snel weten wie je bij de gemeente kunt bellen, en horen wat er met vragen gebeurt.",
    ),
    (
        "Overlast van fruitbomen",
        "laag",
        "afgerond",
        "gemeente",
        "",
        "Afvallend fruit op de stoep van de Molenweg. De gemeente ruimt in het seizoen vaker op.",
    ),
    (
        "Sport, cultuur en recreatie",
        "middel",
        "in_stand_houden",
        "anderen",
        "sportverenigingen",
        "De sportvelden en het zwembad blijven belangrijk voor jong en oud.",
    ),
]

PROJECTS = [
    {
        "title": "AED dag en nacht bereikbaar",
        "summary": "Een AED in een verwarmde kast aan de buitenmuur van het dorpshuis, met een groep getrainde burgerhulpverleners.",
        "description": "Nu hangt de AED binnen in het dorpshuis en is hij 's nachts niet te bereiken. "
        "We willen een buitenkast en zoeken **vrijwilligers** die een reanimatiecursus willen volgen.",
        "themas": ["Voorzieningen"],
        "path": [
            ("idee", 240, ""),
            ("verkenning", 200, "Het dorpshuis wil meewerken."),
            ("planvorming", 120, "Offerte voor de kast is binnen."),
            ("uitvoering", 30, "Het leefbaarheidsbudget is toegekend."),
        ],
        "trekker": ("Marieke van Dam", True),
        "ladder": "zelfbeheer",
        "needs": ["vrijwilligers"],
        "budget": (240000, 240000, "leefbaarheidsbudget"),
        "updates": [
            (
                "De kast hangt!",
                "Sinds vorige week hangt de AED-kast aan het dorpshuis. Nu nog de cursus.",
                10,
            )
        ],
        "supports": 48,
        "volunteers": [("Jan Bos", "jan@example.org", "Ik heb een EHBO-diploma.")],
    },
    {
        "title": "Veilig oversteken bij de basisschool",
        "summary": "Een zebrapad met verlichting en een drempel op de Dorpsstraat, waar kinderen elke dag oversteken.",
        "description": "Ouders maken zich zorgen over het verkeer bij de school. We vragen de gemeente om een veilige oversteek.",
        "themas": ["Verkeer en vervoer"],
        "path": [
            ("idee", 300, ""),
            ("verkenning", 250, "Verkeerstelling gedaan met ouders."),
            ("planvorming", 90, "De gemeente werkt een ontwerp uit."),
        ],
        "trekker": ("Ahmed el Amrani", True),
        "ladder": "adviseren",
        "needs": ["besluit_gemeente"],
        "updates": [
            (
                "Ontwerp besproken",
                "Op de bijeenkomst van maart hebben we het ontwerp van de gemeente bekeken.",
                40,
            )
        ],
        "supports": 112,
    },
    {
        "title": "Levensloopbestendig wonen aan de Kerkweg",
        "summary": "Samen met de gemeente en een woningcorporatie zoeken naar een plek voor twaalf seniorenwoningen.",
        "description": "Veel ouderen in Beesd wonen in een te groot huis. Als zij kunnen verhuizen in het dorp, komt er ook ruimte voor jonge gezinnen.",
        "themas": ["Woningbouw voor senioren en jongeren"],
        "path": [("idee", 400, ""), ("verkenning", 180, "Enquête onder 65-plussers: 80 reacties.")],
        "ladder": "coproduceren",
        "needs": ["besluit_gemeente", "plek"],
        "supports": 87,
    },
    {
        "title": "Bloeiende bermen langs de Lingedijk",
        "summary": "Inwoners zaaien inheemse bloemen in de bermen en maaien samen met de gemeente minder vaak.",
        "description": "Goed voor bijen en vlinders, en mooi om langs te fietsen.",
        "themas": ["Openbare ruimte en groen"],
        "path": [
            ("idee", 500, ""),
            ("verkenning", 450, ""),
            ("planvorming", 400, ""),
            ("uitvoering", 330, "Eerste zaaidag met 25 inwoners."),
            ("afgerond", 60, "De bermen bloeien. De gemeente maait voortaan twee keer per jaar."),
        ],
        "trekker": ("Henk de Groot", True),
        "ladder": "zelfbeheer",
        "budget": (80000, 65000, "leefbaarheidsbudget"),
        "updates": [("Het bloeit!", "Dank aan iedereen die hielp zaaien.", 70)],
        "supports": 64,
    },
    {
        "title": "Jongerenplek bij het sportpark",
        "summary": "Een overdekte hangplek met een bankje en een basketbalpaal, bedacht door jongeren zelf.",
        "description": "Jongeren willen een plek waar ze elkaar kunnen zien zonder overlast voor de buren.",
        "themas": ["Sport, cultuur en recreatie", "Openbare ruimte en groen"],
        "path": [("idee", 30, "")],
        "needs": ["plek", "geld"],
        "supports": 23,
    },
    {
        "title": "Vast aanspreekpunt bij de gemeente",
        "summary": "Eén telefoonnummer en een gebiedsmakelaar die elke maand op het spreekuur in het dorpshuis zit.",
        "description": "Uit de gesprekken bij de supermarkt bleek dat veel mensen niet weten wie ze moeten bellen.",
        "themas": ["Betere communicatie met de gemeente"],
        "path": [
            ("idee", 200, ""),
            ("verkenning", 150, ""),
            ("uitvoering", 90, "Spreekuur gestart."),
            (
                "gepauzeerd",
                20,
                "De gebiedsmakelaar is met verlof; het spreekuur start weer in het voorjaar.",
            ),
        ],
        "ladder": "meebeslissen",
        "supports": 31,
    },
    {
        "title": "Dorpsmoestuin achter de kerk",
        "summary": "Een gezamenlijke moestuin voor buren, school en de zorgboerderij.",
        "description": "Het idee was mooi, maar de grond bleek vervuild.",
        "themas": ["Openbare ruimte en groen"],
        "path": [
            ("idee", 380, ""),
            ("verkenning", 300, ""),
            (
                "gestopt",
                250,
                "Bodemonderzoek: de grond is niet geschikt voor groente. We zoeken een andere plek.",
            ),
        ],
        "supports": 12,
    },
]


def _set_site(conn: sqlite3.Connection, values: dict) -> None:
    for key, value in values.items():
        conn.execute(
            "INSERT OR REPLACE INTO site (key, value) VALUES (?, ?)",
            (key, json.dumps(value, ensure_ascii=False)),
        )


def _project_values(spec: dict) -> dict:
    requested, granted, source = spec["budget"]
    name, consent = spec["trekker"]
    return {
        "title": spec["title"],
        "summary": spec["summary"],
        "description": spec["description"],
        "trekker_name": name,
        "trekker_consent": consent,
        "ladder": spec["ladder"],
        "needs": spec["needs"],
        "budget_requested": requested,
        "budget_granted": granted,
        "budget_source": source,
        "start_date": (date.today() - timedelta(days=spec["path"][0][1])).isoformat(),
        "target_date": None,
    }


MEETINGS = [
    # (title, days from today, start, end, place, capacity, description, thema's, projects)
    (
        "Kernavond voorjaar",
        -60,
        "19:30",
        "21:30",
        ("Dorpshuis Beesd", "Kerkweg 2, Beesd"),
        None,
        "We bespreken de kernagenda en kiezen samen wat voorrang krijgt.",
        ["Verkeer en vervoer", "Voorzieningen"],
        ["Jongerenplek bij het sportpark"],
    ),
    (
        "Fietstocht langs de oversteekplekken",
        -25,
        "14:00",
        "16:00",
        ("Start bij de basisschool", "Dorpsstraat 10, Beesd"),
        30,
        "Samen met de gemeente fietsen we langs de plekken waar oversteken lastig is.",
        ["Verkeer en vervoer"],
        ["Veilig oversteken bij de basisschool"],
    ),
    (
        "Inloopavond seniorenwoningen",
        9,
        "19:30",
        "21:00",
        ("Dorpshuis Beesd", "Kerkweg 2, Beesd"),
        40,
        "Wat voor woningen wilt u? Kom langs, drink een kop koffie en praat mee.",
        ["Woningbouw voor senioren en jongeren"],
        ["Levensloopbestendig wonen aan de Kerkweg"],
    ),
    (
        "Reanimatiecursus voor buurtbewoners",
        23,
        "19:00",
        "22:00",
        ("Dorpshuis Beesd", "Kerkweg 2, Beesd"),
        16,
        "Leer in één avond reanimeren en de AED gebruiken. Gratis, voor iedereen vanaf 16 jaar.",
        ["Voorzieningen"],
        ["AED dag en nacht bereikbaar"],
    ),
]

MINUTES = {
    # title: (the verslag, [(project title, the phase the meeting moved it to)])
    "Kernavond voorjaar": (
        "Er waren 34 inwoners en de gebiedsmakelaar.\n\n"
        "**Besproken:** de kernagenda voor het voorjaar, het idee voor een jongerenplek en de "
        "AED.\n\n**Besloten:** de jongerenplek gaan we verder verkennen met de jongeren zelf "
        "en de sportvereniging.",
        [("Jongerenplek bij het sportpark", "verkenning")],
    ),
    "Fietstocht langs de oversteekplekken": (
        "Met twaalf fietsers en twee mensen van de gemeente langs vijf plekken. Bij de school en "
        "bij de Molenweg is oversteken echt lastig. De gemeente neemt dit mee in het ontwerp.",
        [],
    ),
}

GUESTS = [("Gerda", 2), ("Kees", 1), ("Fatima", 3)]

IDEAS = [
    (
        "Bankjes langs de Linge",
        "Langs het fietspad aan de Linge zijn geen bankjes. Voor ouderen is "
        "een rustpunt halverwege fijn.",
        "published",
        "Mooi idee! We nemen het mee naar de volgende kernavond.",
    ),
    (
        "Ruilkast voor boeken bij de bushalte",
        "Een kastje waar je een boek neemt en een boek terugzet.",
        "published",
        "",
    ),
    (
        "Vuurwerkvrije zone bij de kinderboerderij",
        "De dieren schrikken elk jaar.",
        "declined",
        "De gemeente gaat hierover en heeft al besloten; we hebben uw idee doorgegeven.",
    ),
    (
        "Zomerfeest op het kerkplein",
        "Een feest voor het hele dorp, met muziek van de fanfare.",
        "new",
        "",
    ),
]

NEWS = [
    (
        "Werk aan de Dorpsstraat in maart",
        -12,
        "Van 3 tot 14 maart krijgt de Dorpsstraat nieuwe riolering. De weg is dan afgesloten "
        "voor auto's. Fietsers en voetgangers kunnen er wel langs.",
    ),
    (
        "Verslag van de kernavond staat online",
        -58,
        "Dank aan iedereen die kwam! Het verslag staat bij de bijeenkomst.",
    ),
]


def load_sample(db: Database, settings: Settings) -> None:
    """Fill an empty kern with sample data; refuses a kern that already has content."""
    if db.scalar("SELECT count(*) FROM themas") or db.scalar("SELECT count(*) FROM projects"):
        raise ValueError("this kern already has content; sample data goes into an empty kern only")
    db.write(_load, settings)


def _load(conn: sqlite3.Connection, settings: Settings) -> None:
    today = date.today()
    _set_site(conn, SITE.get(settings.slug, {"group_name": f"Inwonersgroep {settings.name}"}))
    thema_ids = {}
    for title, priority, status, actor, other, description in THEMAS:
        first_status = "nieuw" if status in ("afgerond", "eerste_successen") else status
        slug = agenda.save_thema(
            conn,
            settings,
            WHO,
            {
                "title": title,
                "description": description,
                "priority": priority,
                "status": first_status,
                "actor": actor,
                "actor_other": other,
            },
        )
        thema_ids[title] = conn.execute("SELECT id FROM themas WHERE slug = ?", (slug,)).fetchone()[
            0
        ]
    agenda.publish_version(
        conn,
        settings,
        WHO,
        "Najaar 2025",
        "De eerste kernagenda, na de startavond in het dorpshuis.",
    )
    conn.execute(
        "UPDATE agenda_versions SET published_at = ? WHERE slug = 'najaar-2025'",
        ((today - timedelta(days=200)).isoformat() + "T19:30:00+00:00",),
    )
    for title, priority, status, actor, other, description in THEMAS:
        row = conn.execute("SELECT * FROM themas WHERE id = ?", (thema_ids[title],)).fetchone()
        if row["status"] != status:
            agenda.save_thema(
                conn,
                settings,
                WHO,
                {
                    "title": title,
                    "description": description,
                    "priority": priority,
                    "status": status,
                    "actor": actor,
                    "actor_other": other,
                },
                thema_ids[title],
            )
    agenda.save_thema(
        conn,
        settings,
        WHO,
        {
            "title": "Ontmoeten en eenzaamheid",
            "description": "Een koffieochtend voor wie alleen is, en een dorpswandeling.",
            "priority": "middel",
            "status": "nieuw",
            "actor": "inwoners",
            "actor_other": "",
        },
    )
    agenda.publish_version(
        conn,
        settings,
        WHO,
        "Voorjaar 2026",
        "Na de bijeenkomst van april: wat is klaar en wat is nieuw.",
    )

    load_projects(conn, settings, thema_ids, PROJECTS, "sample")
    load_meetings(conn, settings, thema_ids, MEETINGS, MINUTES, GUESTS)
    load_ideas_and_news(conn, settings, IDEAS, NEWS)


def _moment(day: date, clock: str) -> str:
    from datetime import time as clock_time

    from node.kern.meetings import local_moment, utc_iso

    hours, minutes = (int(part) for part in clock.split(":"))
    return utc_iso(local_moment(day, clock_time(hours, minutes)))


# What a project spec leaves out: no trekker, ladder step, needs, budget, updates or helpers.
PROJECT_DEFAULTS = {
    "trekker": ("", False),
    "ladder": "",
    "needs": [],
    "budget": (None, None, ""),
    "updates": [],
    "supports": 0,
    "volunteers": [],
}


def load_projects(
    conn: sqlite3.Connection, settings: Settings, thema_ids: dict, project_specs: list, tag: str
) -> None:
    """Projects with their phase history, updates, supporters and volunteers, backdated."""
    today = date.today()
    for number, given in enumerate(project_specs):
        spec = {**PROJECT_DEFAULTS, **given}
        first_phase, first_days, first_note = spec["path"][0]
        slug = projects.save_project(
            conn,
            settings,
            WHO,
            _project_values(spec),
            [thema_ids[t] for t in spec["themas"]],
            phase=first_phase,
            phase_note=first_note,
            started_on=today - timedelta(days=first_days),
        )
        project_id = conn.execute("SELECT id FROM projects WHERE slug = ?", (slug,)).fetchone()[0]
        for phase, days, note in spec["path"][1:]:
            projects.change_phase(
                conn, settings, WHO, project_id, phase, note, today - timedelta(days=days)
            )
        for title, body, days in spec["updates"]:
            projects.add_update(
                conn, settings, WHO, project_id, title, body, today - timedelta(days=days)
            )
        for supporter in range(spec["supports"]):
            projects.add_support(conn, project_id, f"{tag}-{number}-{supporter}")
        for name, contact, message in spec["volunteers"]:
            projects.add_volunteer(conn, project_id, name, contact, message)


def load_meetings(
    conn: sqlite3.Connection,
    settings: Settings,
    thema_ids: dict,
    meeting_specs: list,
    minutes: dict,
    guests: list[tuple[str, int]],
) -> None:
    """Meetings with their thema's and projects: RSVPs for the coming ones, verslagen (and
    the phase moves they decided) for the past ones."""
    from node.kern import meetings, rsvp

    today = date.today()
    for title, days, start, end, place, capacity, description, themas, linked in meeting_specs:
        day = today + timedelta(days=days)
        project_ids = {
            name: conn.execute("SELECT id FROM projects WHERE title = ?", (name,)).fetchone()[0]
            for name in linked
        }
        slug = meetings.create_meeting(
            conn,
            settings,
            WHO,
            {
                "title": title,
                "description": description,
                "capacity": capacity,
                "starts_at": _moment(day, start),
                "ends_at": _moment(day, end),
                "place_name": place[0],
                "place_address": place[1],
            },
            [thema_ids[t] for t in themas],
            list(project_ids.values()),
        )
        meeting_id = conn.execute("SELECT id FROM meetings WHERE slug = ?", (slug,)).fetchone()[0]
        if days > 0:
            for number, (name, people) in enumerate(guests):
                rsvp.sign_up(
                    conn, settings, meeting_id, f"{name} (voorbeeld {number})", "", "", people
                )
        elif title in minutes:
            text, moves = minutes[title]
            decisions = [
                meetings.Decision(project_ids[project], phase, "") for project, phase in moves
            ]
            meetings.save_minutes(conn, settings, WHO, meeting_id, text, decisions)


def load_ideas_and_news(
    conn: sqlite3.Connection, settings: Settings, idea_specs: list, news_specs: list
) -> None:
    """Ideas in each state the group can give them, and news."""
    from node.kern import ideas, news

    for title, body, state, text in idea_specs:
        idea_id, _token = ideas.submit_idea(conn, settings, title, body)
        if state == "published":
            ideas.publish_idea(conn, settings, WHO, idea_id)
            if text:
                ideas.answer_idea(conn, settings, WHO, idea_id, text)
        elif state == "declined":
            ideas.decline_idea(conn, settings, WHO, idea_id, text)
    for title, days, body in news_specs:
        published = (date.today() + timedelta(days=days)).isoformat() + "T09:00:00+00:00"
        news.save_news(
            conn, settings, WHO, {"title": title, "body": body, "published_at": published}
        )
