"""Inzicht: figures as charts and tables, and the same numbers as CSV and JSON."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from gemeente_helpers import follow_kern
from markup import select, texts

from node.kern.meetings import evaluations
from node.kern.projects import model as projects


async def test_the_insight_page_has_a_chart_and_a_table_per_figure(two_kernen):
    http, _ids = two_kernen

    page = await http.get("/inzicht")

    assert page.status_code == 200
    text = page.text
    charts = select(text, '.bloei-chart[role="img"]')
    assert len(charts) == 7  # afgerond has no data yet; lessen is words, not a chart
    assert len(select(text, "table")) == 7  # lessen has no rows yet
    assert select(text, "script") == [] and select(text, "[style]") == []
    fasen = 'section[aria-labelledby="fasen"] table th[scope="row"]'
    assert "Beesd" in texts(text, fasen)


async def test_the_gemeentes_response_time_counts_from_asking_to_answering(
    two_kernen, gemeente_app, real_kernen
):
    http, _ids = two_kernen
    token = re.search(r'name="csrf" value="([^"]+)"', (await http.get("/beheer")).text).group(1)
    project = real_kernen["beesd.test"].objects["Zebrapad bij de school"]
    await http.post(f"/beheer/reactie?op={project}", data={"csrf": token, "text": "Ja."})

    figures = (await http.get("/inzicht.json")).json()

    rows = figures["reactietijd"]["rijen"]
    assert rows == [
        {
            "kern": "Beesd",
            "gevraagd": 1,
            "beantwoord": 1,
            "wachtNog": 0,
            "mediaanDagen": rows[0]["mediaanDagen"],
        }
    ]
    assert rows[0]["mediaanDagen"] is not None


async def test_exports_have_the_same_numbers(two_kernen):
    http, _ids = two_kernen

    exported = await http.get("/inzicht/fasen.csv")
    figures = (await http.get("/inzicht.json")).json()

    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][0] == "Kern" and "Uitvoering" in table[0]
    beesd = next(r for r in table[1:] if r[0] == "Beesd")
    json_beesd = next(r for r in figures["fasen"]["rijen"] if r["kern"] == "Beesd")
    assert int(beesd[table[0].index("Uitvoering")]) == json_beesd["uitvoering"] == 1
    assert (await http.get("/inzicht/onbekend.csv")).status_code == 404


async def test_meetings_per_kern_count_the_people_who_signed_up_for_held_ones(
    gemeente_app, staff, beesd
):
    """Held, coming and cancelled meetings with their sign-up counts, published by a fake kern
    (objects from the kern's own serializer): a real one would need 55 sign-ups first."""
    http, token = staff
    await follow_kern(gemeente_app, http, token, beesd)
    past = datetime.now(UTC) - timedelta(days=10)
    meetings = [
        beesd.meeting("avond", past, aanmeldingen=34),
        beesd.meeting("later", past + timedelta(days=30), aanmeldingen=12),
        beesd.meeting("afgelast", past, aanmeldingen=9, geannuleerd=True),
    ]
    for meeting in meetings:
        assert (await beesd.push(http, beesd.publish("Create", meeting))).status_code == 202

    rows = (await http.get("/inzicht.json")).json()["bijeenkomsten"]["rijen"]

    beesd_row = next(r for r in rows if r["kern"] == "Beesd")
    assert beesd_row["aanmeldingen"] == 34, "only held meetings count, not cancelled or coming"


async def test_evaluations_and_reflections_of_the_kernen_are_summed_per_kern(
    two_kernen, real_kernen
):
    """What residents said of a meeting and what a group learned from a project travel from a
    real kern through its own outbox; the gemeente sums them and lists the lessons."""
    http, _ids = two_kernen
    beesd = real_kernen["beesd.test"]
    evening = beesd.meeting("Kernavond voorjaar", datetime.now(UTC) - timedelta(days=2))
    meeting_id = beesd._meeting_id(evening.rsplit("/", 1)[1])
    for browser, score in (("a", 5), ("b", 4), ("c", 4)):
        beesd.db.write(evaluations.save_evaluation, meeting_id, browser, score, "", "")
    settled = datetime.now(UTC) + timedelta(hours=1)
    assert beesd.db.write(evaluations.publish_settled_figures, beesd.settings, settled) == 1
    speeltuin = beesd.db.scalar("SELECT id FROM projects WHERE title = 'Nieuwe speeltuin'")
    beesd.db.write(projects.change_phase, beesd.settings, "test", speeltuin, "afgerond", "Klaar.")
    beesd.db.write(
        projects.save_reflection,
        beesd.settings,
        "test",
        speeltuin,
        "De school hielp mee.",
        "Vraag de **buren** eerder.",
        "coproduceren",
    )
    await beesd.deliver()

    figures = (await http.get("/inzicht.json")).json()

    rated = {row["kern"]: row for row in figures["evaluaties"]["rijen"]}
    assert rated["Beesd"] == {
        "kern": "Beesd",
        "bijeenkomsten": 1,
        "antwoorden": 3,
        "gemiddeld": 4.3,
    }
    assert rated["Heukelum"]["antwoorden"] == 0 and rated["Heukelum"]["gemiddeld"] is None
    looked_back = {row["kern"]: row for row in figures["terugblikken"]["rijen"]}
    assert looked_back["Beesd"]["geeindigd"] == 1
    assert looked_back["Beesd"]["metTerugblik"] == 1
    assert looked_back["Beesd"]["coproduceren"] == 1
    assert looked_back["Heukelum"]["metTerugblik"] == 0
    [lesson] = figures["lessen"]["rijen"]
    assert lesson["kern"] == "Beesd" and lesson["project"] == "Nieuwe speeltuin"
    assert lesson["trede"] == "Coproduceren"
    # The kern's HTML arrives as words only.
    assert lesson["geleerd"] == "Vraag de buren eerder."

    page = (await http.get("/inzicht")).text
    assert "Vraag de buren eerder." in texts(page, 'section[aria-labelledby="lessen"] td')
    exported = await http.get("/inzicht/lessen.csv")
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff")), delimiter=";"))
    assert table[1][:3] == ["Beesd", "Nieuwe speeltuin", "Coproduceren"]
