"""All kernen of the municipality on the overview: the list, its roll-out states, the map."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from gemeente_helpers import gemeente_folder
from real_kern import follow

from node.app import create_app
from node.gemeente import places
from node.settings import SettingsError, load_settings
from tests.markup import select, select_one, text_of

SVG = "{http://www.w3.org/2000/svg}"


def test_west_betuwe_has_26_kernen_with_their_facts():
    known = places.load_places()
    assert known.municipality == "West Betuwe"
    assert len(known.kernen) == 26
    assert [p.name for p in known.kernen if p.kind == "stadje"] == ["Asperen", "Heukelum"]
    # CONTEXT: about 53,000 inhabitants in all.
    assert 50_000 < sum(p.inhabitants for p in known.kernen) < 56_000
    # Every centre lies within the municipality's box (west of Zaltbommel, east of Gorinchem).
    for place in known.kernen:
        assert 51.80 < place.latitude < 51.91 and 5.04 < place.longitude < 5.40, place.name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Beesd", "Beesd"),
        ("Dorpsplatform Beesd", "Beesd"),
        ("kerngroep heukelum", "Heukelum"),
        ("Westerbeek", ""),  # "Est" is a kern, but not inside another word
        ("Beesd en Rhenoy", ""),  # two kernen: nothing guessed
        ("Gemeente", ""),
    ],
)
def test_a_kern_is_found_by_its_name_as_whole_words(name, expected):
    assert places.place_by_name(name, places.load_places()) == expected


def _kern(kern_id, name, state="actief", rollout="pilot", place=""):
    return {"id": kern_id, "name": name, "state": state, "rollout": rollout, "place": place}


def test_roll_out_states_follow_the_followed_kernen():
    known = places.load_places()
    followed = [
        _kern(1, "Beesd"),
        _kern(2, "Stadsraad", rollout="uitrol", place="Asperen"),
        _kern(3, "Heukelum", state="gestopt"),  # stopped: not joined any more
        _kern(4, "Tuil", state="gevraagd", rollout="uitrol"),
        _kern(5, "Dorpsplatform Beesd", rollout="uitrol"),  # a second node claims Beesd
    ]
    states = {e["place"].name: (e["state"], e["kern"]) for e in places.rollout(known, followed)}
    assert len(states) == 26
    assert states["Beesd"] == ("aangesloten", followed[4])
    assert states["Asperen"] == ("aangesloten", followed[1])
    assert states["Heukelum"] == ("nog_niet", None)
    assert states["Tuil"][0] == "aangesloten"
    assert sum(1 for state, _ in states.values() if state == "nog_niet") == 23


def test_a_wrong_places_file_stops_the_start_with_one_line(tmp_path):
    folder = gemeente_folder(tmp_path)
    with open(folder / "bloei.toml", "a", encoding="utf-8") as config:
        config.write('places_file = "kernen.toml"\n')
    settings = load_settings(folder)
    (folder / "kernen.toml").write_text(
        'municipality = "Proef"\n[[kern]]\nname = "A"\nkind = "dorp"\ninhabitants = 10\n'
        "latitude = 5.1\nlongitude = 51.8\n",
        encoding="utf-8",
    )
    places._load.cache_clear()
    with pytest.raises(SettingsError, match=r"kernen.toml: kern\.0\.latitude"):
        create_app(settings)
    (folder / "kernen.toml").write_text("municipality = [", encoding="utf-8")
    places._load.cache_clear()
    with pytest.raises(SettingsError, match="not valid TOML"):
        create_app(settings)


def test_another_municipality_gives_its_own_list(tmp_path):
    path = tmp_path / "kernen.toml"
    path.write_text(
        'municipality = "Proef"\n'
        '[[kern]]\nname = "Noord"\nkind = "dorp"\ninhabitants = 800\n'
        "latitude = 52.1\nlongitude = 5.2\n"
        '[[kern]]\nname = "noord"\nkind = "dorp"\ninhabitants = 800\n'
        "latitude = 52.2\nlongitude = 5.2\n",
        encoding="utf-8",
    )
    with pytest.raises(places.PlacesError, match="listed twice"):
        places.load_places(path)


async def test_the_overview_lists_all_26_kernen_on_a_map(gemeente_app, staff, real_kernen):
    http, token = staff
    await follow(gemeente_app, http, token, real_kernen["beesd.test"])
    heukelum = await follow(gemeente_app, http, token, real_kernen["heukelum.test"])
    await http.post(f"/beheer/kernen/{heukelum}/fase", data={"csrf": token, "rollout": "uitrol"})
    page = (await http.get("/")).text

    rows = {
        text_of(select(tr, "th")[0]): [text_of(td) for td in select(tr, "td")]
        for tr in select(page, ".bloei-places__list tbody tr")
    }
    assert len(rows) == 26
    assert rows["Beesd"] == ["3.300", "Pilot"]
    assert rows["Heukelum"] == ["2.300", "Aangesloten"]
    assert rows["Geldermalsen"] == ["11.000", "Nog niet"]
    links = {text_of(a): a["href"] for a in select(page, ".bloei-places__list a")}
    assert set(links) == {"Beesd", "Heukelum"}
    assert links["Heukelum"] == f"/kernen/{heukelum}"
    assert "Nog niet: 24; Pilot: 1; Aangesloten: 1" in page

    # The map is well-formed SVG with one dot per kern, drawn where the kern lies.
    svg = ET.fromstring(str(select(page, "svg.bloei-map")[0]))  # noqa: S314 - our own page
    kernen = svg.findall(f"{SVG}g")
    assert len(kernen) == 26
    where = {}
    for group in kernen:
        name = group.find(f"{SVG}title").text
        dot = group.find(f"{SVG}circle")
        where[name] = (float(dot.get("cx")), float(dot.get("cy")))
        state = re.search(r"bloei-map__kern--(\w+)", group.get("class")).group(1)
        assert state == {"Beesd": "pilot", "Heukelum": "aangesloten"}.get(name, "nog_niet")
    # Heukelum lies west of Beesd, Haaften south of it, Enspijk north.
    assert where["Heukelum"][0] < where["Beesd"][0]
    assert where["Haaften"][1] > where["Beesd"][1] > where["Enspijk"][1]
    assert svg.get("role") == "img" and svg.find(f"{SVG}desc").text.startswith("West Betuwe")


async def test_staff_put_a_kern_on_the_map_when_its_name_does_not_say(
    gemeente_app, staff, real_kernen, gemeente_db
):
    http, token = staff
    beesd = await follow(gemeente_app, http, token, real_kernen["beesd.test"])
    gemeente_db.write(
        lambda conn: conn.execute(
            "UPDATE gemeente_kernen SET name = 'Dorpsplatform' WHERE id = ?", [beesd]
        )
    )
    page = (await http.get("/beheer")).text
    assert text_of(select_one(page, f"#plaats-{beesd} option[selected]")) == "Nog niet op de kaart"

    refused = await http.post(f"/beheer/kernen/{beesd}/plaats", data={"csrf": token, "place": "X"})
    assert refused.status_code == 400 and "Kies een kern uit de lijst" in refused.text
    answer = await http.post(
        f"/beheer/kernen/{beesd}/plaats", data={"csrf": token, "place": "Rhenoy"}
    )
    assert answer.status_code == 303
    assert "Dorpsplatform staat op de kaart als Rhenoy" in (await http.get("/beheer")).text
    overview = (await http.get("/")).text
    rows = {
        text_of(select(tr, "th")[0]): text_of(select(tr, "td")[1])
        for tr in select(overview, ".bloei-places__list tbody tr")
    }
    assert rows["Rhenoy"] == "Pilot" and rows["Beesd"] == "Nog niet"
    assert gemeente_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'kern.plaats'") == 1
