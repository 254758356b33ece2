"""What staff and council see: the overview, projects across kernen with search and filters,
thema's across kernen, and one calendar (page and iCalendar)."""

from __future__ import annotations

import icalendar
import pytest
from markup import link_targets, links_with_text, select, text_of, texts

from node.gemeente import kernen, pages


async def test_the_overview_shows_every_kern(two_kernen):
    http, ids = two_kernen

    page = await http.get("/")

    assert page.status_code == 200
    text = page.text
    assert "Beesd" in text and "Heukelum" in text
    assert f"/projecten?kern={ids['beesd.test']}&fase=uitvoering" in link_targets(text)
    assert "Dorpsavond Beesd" in text and "Wandeling Rietput" in text
    assert "Laatste wijzigingen" in text and "Drempels op de dijk" in text
    assert select(text, "script") == []


def follow_many(gemeente_db, count: int) -> None:
    """`count` more kernen that accepted the follow and sent nothing yet."""
    stamp = "2026-11-01T10:00:00+00:00"

    def register(conn) -> None:
        for number in range(1, count + 1):
            actor = f"http://kern{number:02}.test/actor"
            conn.execute(
                """INSERT INTO federation_following
                       (actor_id, inbox, outbox, state, follow_id, created_at, updated_at)
                   VALUES (?, ?, ?, 'accepted', ?, ?, ?)""",
                (actor, actor + "/inbox", actor + "/outbox", actor + "#f", stamp, stamp),
            )
            conn.execute(
                """INSERT INTO gemeente_kernen (actor_id, address, name, url, inbox, outbox,
                       rollout, added_at, settled_at)
                   VALUES (?, ?, ?, ?, ?, ?, 'uitrol', ?, ?)""",
                (actor, actor, f"Kern {number:02}", actor[:-6] + "/", actor + "/inbox",
                 actor + "/outbox", stamp, stamp),
            )  # fmt: skip

    gemeente_db.write(register)


async def test_the_overview_pages_its_table_when_the_gemeente_follows_many_kernen(
    two_kernen, gemeente_db
):
    http, ids = two_kernen
    follow_many(gemeente_db, 58)

    first = (await http.get("/")).text
    rows = texts(first, "table:has(#kernen-tabel) tbody th a")
    # Sixty kernen, fifty a page, in name order; the counts speak of all of them.
    assert len(rows) == 50 and rows[:3] == ["Beesd", "Heukelum", "Kern 01"]
    assert "De gemeente volgt 60 kernen." in text_of(first)
    assert "Pagina 1 van 2" in text_of(first) and links_with_text(first, "Volgende pagina")
    # Beesd's row still has its own projects and next meeting.
    assert f"/projecten?kern={ids['beesd.test']}&fase=uitvoering" in link_targets(first)
    assert "Dorpsavond Beesd" in text_of(first, "table:has(#kernen-tabel)")

    second = (await http.get(links_with_text(first, "Volgende pagina")[0])).text
    assert texts(second, "table:has(#kernen-tabel) tbody th a")[:1] == ["Kern 49"]
    assert "Dorpsavond Beesd" not in text_of(second, "table:has(#kernen-tabel)")
    assert links_with_text(second, "Vorige pagina") == ["/?pagina=1"]
    for wrong in ("3", "0", "twee", "9" * 30):
        response = await http.get("/", params={"pagina": wrong})
        assert response.status_code == 400, wrong
        assert "Dit paginanummer bestaat niet." in response.text


async def test_a_kern_page_shows_its_state_projects_and_meetings(two_kernen, real_kernen):
    http, ids = two_kernen

    page = await http.get(f"/kernen/{ids['beesd.test']}")

    beesd = real_kernen["beesd.test"]
    assert links_with_text(page.text, "Zebrapad bij de school") != []
    assert beesd.objects["Zebrapad bij de school"] in link_targets(page.text)
    assert "Dorpsavond Beesd" in page.text
    assert "Verkeer en vervoer" in page.text
    assert "alles is binnen" in page.text
    assert (await http.get("/kernen/999")).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected", "not_expected"),
    [
        ("q=speeltuinen", {"Nieuwe speeltuin"}, {"Zebrapad bij de school"}),
        ("q=kinderen", {"Nieuwe speeltuin"}, {"Drempels op de dijk"}),
        ("thema=verkeer", {"Zebrapad bij de school", "Drempels op de dijk"}, {"Nieuwe speeltuin"}),
        ("fase=verkenning", {"Drempels op de dijk"}, {"Zebrapad bij de school"}),
        ("fase=actief", {"Drempels op de dijk", "Nieuwe speeltuin"}, set()),
        ("wie=gemeente", {"Zebrapad bij de school"}, {"Drempels op de dijk"}),
        ("wie=samen", {"Drempels op de dijk"}, {"Zebrapad bij de school"}),
        ("gemeente=ja", {"Zebrapad bij de school"}, {"Nieuwe speeltuin"}),
        ("stil=6", {"Nieuwe speeltuin"}, {"Zebrapad bij de school"}),
    ],
)
async def test_projects_across_kernen_can_be_searched_and_filtered(
    two_kernen, query, expected, not_expected
):
    http, _ids = two_kernen

    page = await http.get(f"/projecten?{query}")

    assert page.status_code == 200
    # the words searched for are marked inside the names: compare the text a reader sees
    shown = text_of(page.text)
    for name in expected:
        assert name in shown
    for name in not_expected:
        assert name not in shown


async def test_projects_filter_by_kern_and_sort(two_kernen, real_kernen):
    http, ids = two_kernen

    heukelum = await http.get(f"/projecten?kern={ids['heukelum.test']}")
    by_name = await http.get("/projecten?sorteer=naam")

    assert "Drempels op de dijk" in heukelum.text and "Zebrapad" not in heukelum.text
    order = [by_name.text.index(n) for n in ("Drempels", "Nieuwe speeltuin", "Zebrapad")]
    assert order == sorted(order)
    zebrapad = real_kernen["beesd.test"].objects["Zebrapad bij de school"]
    assert zebrapad in link_targets(by_name.text)  # links to its source


async def test_a_wrong_filter_says_what_is_wrong(two_kernen):
    http, _ids = two_kernen

    page = await http.get("/projecten?fase=klaar&stil=abc&kern=77&sorteer=x&pagina=0")

    assert page.status_code == 400
    for message in ("Deze fase bestaat niet", "aantal maanden", "Deze kern volgt", "gesorteerd"):
        assert message in page.text


async def test_themas_show_which_kernen_work_on_what(two_kernen):
    http, _ids = two_kernen

    page = await http.get("/themas")

    verkeer = text_of(page.text, 'section[aria-labelledby="thema-verkeer"]')
    assert "Te hard rijden op de dijk" in verkeer and "Verkeer en vervoer" in verkeer
    ontmoeten = text_of(page.text, 'section[aria-labelledby="thema-ontmoeten"]')
    assert "Een dorpshuis voor iedereen" in ontmoeten
    assert "Een dorpshuis voor iedereen" not in verkeer


async def test_one_calendar_for_all_kernen(two_kernen, real_kernen):
    http, ids = two_kernen

    page = await http.get("/kalender")
    one = await http.get(f"/kalender?kern={ids['heukelum.test']}")
    feed = await http.get("/kalender.ics")

    assert page.text.index("Dorpsavond Beesd") < page.text.index("Wandeling Rietput")
    assert "Gaat niet door" in page.text
    assert "Dorpsavond Beesd" not in one.text and "Wandeling Rietput" in one.text
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert real_kernen["beesd.test"].objects["Dorpsavond Beesd"] in events
    cancelled = events[real_kernen["heukelum.test"].objects["Afgelaste avond"]]
    assert str(cancelled["status"]) == "CANCELLED"
    assert (await http.get("/kalender?kern=abc")).status_code == 400


async def test_the_accessibility_statement_is_linked_from_every_page(gemeente):
    page = await gemeente.get("/")
    statement = await gemeente.get("/toegankelijkheid")
    assert "/toegankelijkheid" in link_targets(page.text)
    assert "WCAG 2.1" in statement.text


async def test_the_calendar_answers_304_until_a_meeting_arrives_or_goes(two_kernen, real_kernen):
    """Calendar apps poll with If-None-Match and If-Modified-Since; a change a kern made long
    ago but that arrives only now is still new to them."""
    http, ids = two_kernen
    plain = {"Accept-Encoding": "identity"}  # the tag of the uncompressed body is strong
    first = await http.get("/kalender.ics", headers=plain)
    etag, changed = first.headers["etag"], first.headers["last-modified"]
    assert first.status_code == 200 and not etag.startswith("W/")
    for headers in ({"If-None-Match": f'W/{etag}, "x"'}, {"If-Modified-Since": changed}):
        again = await http.get("/kalender.ics", headers={**plain, **headers})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    one = await http.get(f"/kalender.ics?kern={ids['beesd.test']}")
    assert one.headers["etag"] != etag
    assert (await http.get("/kalender.ics?kern=abc")).status_code == 400

    beesd = real_kernen["beesd.test"]
    meeting = beesd.objects["Dorpsavond Beesd"]
    beesd.rename_meeting(meeting, "Dorpsavond Beesd verplaatst", "2025-01-01T10:00:00+00:00")
    await beesd.deliver()
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": changed}):
        response = await http.get("/kalender.ics", headers=headers)
        assert response.status_code == 200 and "verplaatst" in response.text
    etag, changed = response.headers["etag"], response.headers["last-modified"]

    beesd.remove_meeting(meeting)
    await beesd.deliver()
    response = await http.get("/kalender.ics", headers={"If-Modified-Since": changed})
    assert response.status_code == 200 and "verplaatst" not in response.text
    assert response.headers["etag"] != etag


async def test_project_search_marks_the_words_in_name_and_summary(two_kernen):
    http, _ids = two_kernen

    page = (await http.get("/projecten?q=speeltuinen")).text

    row = [th for th in select(page, "tbody th") if "Nieuwe speeltuin" in text_of(th)][0]
    assert [m.get_text() for m in select(row, "a mark")] == ["speeltuin"]
    # without search words nothing is marked
    assert select((await http.get("/projecten")).text, "mark") == []


async def test_the_kern_filters_offer_the_followed_kernen_by_name(two_kernen, gemeente_db):
    """The filters read only id and name (`kernen.choices`): the same kernen, in the same
    order, as the full list without the stopped ones."""
    http, ids = two_kernen

    projects = (await http.get("/projecten")).text
    calendar = (await http.get("/kalender")).text

    expected = [("", "Alle kernen"), (str(ids["beesd.test"]), "Beesd")]
    expected.append((str(ids["heukelum.test"]), "Heukelum"))
    for page, field in ((projects, "#f-kern"), (calendar, "#k-kern")):
        options = [(o.get("value"), o.get_text()) for o in select(page, f"{field} option")]
        assert options == expected
    conn = gemeente_db.read()
    full = [(k["id"], k["name"]) for k in kernen.list_kernen(conn, stopped=False)]
    assert [(k["id"], k["name"]) for k in kernen.choices(conn)] == full


def kern_of(item) -> str:
    """The kern an item of a broad thema's list is about: its first link."""
    return select(item, "a")[0].get_text(strip=True)


async def test_a_broad_thema_has_a_page_of_its_own(two_kernen):
    http, ids = two_kernen

    page = await http.get("/themas/verkeer")

    assert page.status_code == 200
    assert text_of(page.text, "h1") == "Verkeer en vervoer"
    items = select(page.text, "main ul.bloei-stack > li")
    assert [kern_of(item) for item in items] == ["Beesd", "Heukelum"]
    assert "Te hard rijden op de dijk" in text_of(items[1])
    # A broad thema no kern works on yet is a page that says so; an unknown one is not.
    assert "Nog geen kern werkt hieraan" in (await http.get("/themas/economie")).text
    assert (await http.get("/themas/onbekend")).status_code == 404
    for wrong in ("0", "2", "abc"):
        assert (await http.get(f"/themas/verkeer?pagina={wrong}")).status_code == 400


def add_kernen_with_thema(db, names: list[str], thema: str) -> None:
    """Kernen in the read model, each with one thema in the broad thema verkeer."""

    def add(conn) -> None:
        for n, name in enumerate(names):
            base = f"https://kern{n}.example"
            kern_id = conn.execute(
                """INSERT INTO gemeente_kernen (actor_id, address, name, username, url, inbox,
                       outbox, rollout, added_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'uitrol', '2026-01-01T00:00:00+00:00')""",
                (f"{base}/actor", f"@kern{n}@kern{n}.example", name, f"kern{n}", base + "/",
                 f"{base}/actor/inbox", f"{base}/actor/outbox"),
            ).lastrowid  # fmt: skip
            thema_id = conn.execute(
                """INSERT INTO gemeente_themas (object_id, kern_id, name, url, updated_at)
                   VALUES (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')""",
                (f"{base}/agenda/themas/dijk", kern_id, thema, f"{base}/agenda/themas/dijk"),
            ).lastrowid
            conn.execute(
                "INSERT INTO gemeente_thema_categories (thema_id, category) VALUES (?, 'verkeer')",
                (thema_id,),
            )

    db.write(add)


async def test_a_broad_thema_of_many_kernen_lists_the_first_and_pages_the_rest(
    gemeente, gemeente_db, monkeypatch
):
    http = gemeente
    monkeypatch.setattr(pages, "SECTION_KERNEN", 2)
    monkeypatch.setattr(pages, "TABLE_NAMES", 3)
    monkeypatch.setattr(pages, "CATEGORY_PAGE", 2)
    many = [f"Kern {n:02}" for n in range(1, 6)]
    add_kernen_with_thema(gemeente_db, many, "Verkeer op de dijk")

    overview = await http.get("/themas")
    section = 'section[aria-labelledby="thema-verkeer"]'
    assert [kern_of(li) for li in select(overview.text, f"{section} li")] == many[:2]
    assert "Alle 5 kernen die werken aan verkeer" in text_of(overview.text, section)
    row = text_of(overview.text, "tbody tr")
    assert "Kern 01, Kern 02, Kern 03 en 2 andere" in row

    seen = []
    for number in (1, 2, 3):
        page = await http.get(f"/themas/verkeer?pagina={number}")
        seen += [kern_of(li) for li in select(page.text, "main ul.bloei-stack > li")]
    assert seen == many
    assert (await http.get("/themas/verkeer?pagina=4")).status_code == 400


async def test_the_kern_filter_marks_the_chosen_kern_and_follows_changes(two_kernen, gemeente_db):
    """The options are made once per change of the read model (node/gemeente/kern_options.py):
    the chosen one is marked per request, a new kern appears, and names are escaped."""
    http, ids = two_kernen
    heukelum = str(ids["heukelum.test"])

    for path, field in (
        (f"/projecten?kern={heukelum}", "#f-kern"),
        (f"/kalender?kern={heukelum}", "#k-kern"),
    ):
        chosen = select((await http.get(path)).text, f"{field} option[selected]")
        assert [(o.get("value"), o.get_text()) for o in chosen] == [(heukelum, "Heukelum")]
    assert not select((await http.get("/projecten")).text, "#f-kern option[selected]")

    add_kernen_with_thema(gemeente_db, ["<b>Tuil</b> & Haaften"], "Verkeer op de dijk")
    page = (await http.get("/projecten")).text
    names = [o.get_text() for o in select(page, "#f-kern option")]
    assert names == ["Alle kernen", "<b>Tuil</b> & Haaften", "Beesd", "Heukelum"]
    assert "<b>Tuil" not in page
