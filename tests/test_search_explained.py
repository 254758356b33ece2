"""Search results that explain themselves, and version pages that say what changed."""

from __future__ import annotations

from node.kern.agenda import model as agenda
from node.search import highlight, passage, passage_start
from tests.helpers import THEMA, add_project, add_thema
from tests.idea_helpers import add_news
from tests.markup import select, select_one, text_of, texts
from tests.meeting_helpers import add_meeting

LONG_START = " ".join(["Eerst een lange inleiding over het dorp en zijn mensen."] * 12)


def test_passage_marks_stemmed_words_and_escapes_the_rest():
    text = "De speeltuinen <script>alert(1)</script> & Fietsers willen een pad."
    shown = str(passage(text, "fietser speeltuin"))
    assert "<mark>speeltuinen</mark>" in shown
    assert "<mark>Fietsers</mark>" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "&amp;" in shown


def test_passage_is_cut_around_the_match_at_spaces():
    text = f"{LONG_START} Het zwembad gaat dicht. {LONG_START}"
    shown = str(passage(text, "zwembad", width=120))
    assert shown.startswith("… ") and shown.endswith(" …")
    assert "<mark>zwembad</mark>" in shown
    inner = shown[2:-2]
    assert len(inner.replace("<mark>", "").replace("</mark>", "")) <= 120
    # no word cut in half at either end
    for word in (inner.split()[0], inner.split()[-1]):
        assert word.strip(".") in LONG_START.replace(".", " ").split() + ["<mark>zwembad</mark>"]


def test_passage_none_without_a_match_and_start_instead():
    assert passage("Niets te vinden hier.", "zwembad") is None
    start = str(passage_start(LONG_START, width=60))
    assert start.endswith(" …") and len(start) <= 62


def test_highlight_marks_the_whole_title_escaped():
    assert (
        str(highlight("Café <b>de Zon</b>", "cafe"))
        == "<mark>Café</mark> &lt;b&gt;de Zon&lt;/b&gt;"
    )


async def test_results_show_their_kind_and_the_marked_passage(client, db, settings):
    add_project(
        db,
        settings,
        title="Groen dorpsplein",
        summary="Bomen en bankjes.",
        description=f"{LONG_START}\n\nAan de rand komt een **moestuin** voor de school.",
    )
    add_thema(db, settings, title="Moestuinen en groen", description="Samen tuinieren.")
    add_news(db, settings, title="Oogstfeest", body="Kom naar de moestuin op zaterdag.")
    add_meeting(db, settings, title="Moestuinavond", description="Plannen maken.")
    page = (await client.get("/zoeken", params={"q": "moestuin"})).text
    results = select(page, ".bloei-search-result")
    by_title = {text_of(r, ".bloei-card__title"): r for r in results}
    assert {title: text_of(r, ".bloei-search-result__kind") for title, r in by_title.items()} == {
        "Groen dorpsplein": "Project",
        "Moestuinen en groen": "Thema",
        "Oogstfeest": "Nieuws",
        "Moestuinavond": "Bijeenkomst",
    }
    project = by_title["Groen dorpsplein"]
    # the match sits far into the description: the passage around it is shown, marked
    passage_text = text_of(project, ".bloei-search-result__passage")
    assert passage_text.startswith("…") and "moestuin voor de school" in passage_text
    assert texts(project, "mark") == ["moestuin"]
    # a match in the title is marked there
    assert texts(by_title["Moestuinavond"], ".bloei-card__title mark") == ["Moestuinavond"]
    assert texts(by_title["Moestuinen en groen"], ".bloei-card__title mark") == ["Moestuinen"]


async def test_result_text_from_markdown_is_escaped_once(client, db, settings):
    add_project(
        db,
        settings,
        title="Brug",
        summary="Een brug.",
        description="Fietsers & <wandelaars> op de **brug**.",
    )
    page = (await client.get("/zoeken", params={"q": "fietsers"})).text
    shown = select_one(page, ".bloei-search-result__passage")
    # plain_text gives HTML-escaped text: unescaped before storing, escaped once on the page
    assert text_of(shown) == "Een brug. Fietsers & <wandelaars> op de brug."
    assert select(shown, "wandelaars") == []


async def test_version_page_lists_every_changed_field_old_and_new(client, db, settings):
    slug = add_thema(db, settings)
    db.write(agenda.publish_version, settings, "test", "Najaar 2025", "")
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    db.write(
        agenda.save_thema,
        settings,
        "test",
        {
            **THEMA,
            "priority": "laag",
            "actor": "anderen",
            "actor_other": "Dorpsraad",
            "description": "Minder hard rijden.",
        },
        thema_id,
    )
    db.write(agenda.publish_version, settings, "test", "Voorjaar 2026", "")
    page = (await client.get("/agenda/versies/voorjaar-2026")).text
    lines = texts(page, ".bloei-diff__fields li")
    assert lines == [
        "Beschrijving: van Te hard rijden op de Dorpsstraat. naar Minder hard rijden.",
        "Prioriteit: van Hoog naar Laag",
        "Wie is aan zet: van Gemeente naar Anderen",
        "Toelichting bij wie aan zet is: van (leeg) naar Dorpsraad",
    ]


async def test_a_change_of_only_the_actor_note_is_a_change(client, db, settings):
    slug = add_thema(db, settings, actor="anderen", actor_other="Dorpsraad")
    db.write(agenda.publish_version, settings, "test", "Eerste", "")
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    db.write(
        agenda.save_thema,
        settings,
        "test",
        {**THEMA, "actor": "anderen", "actor_other": "Sportclub"},
        thema_id,
    )
    db.write(agenda.publish_version, settings, "test", "Tweede", "")
    page = (await client.get("/agenda/versies/tweede")).text
    assert "Er is niets veranderd" not in page
    assert texts(page, ".bloei-diff__fields li") == [
        "Toelichting bij wie aan zet is: van Dorpsraad naar Sportclub"
    ]


async def test_status_change_lists_its_fields_too(client, db, settings):
    slug = add_thema(db, settings)
    db.write(agenda.publish_version, settings, "test", "Eerste", "")
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    db.write(
        agenda.save_thema,
        settings,
        "test",
        {**THEMA, "status": "eerste_successen", "priority": "middel"},
        thema_id,
    )
    db.write(agenda.publish_version, settings, "test", "Tweede", "")
    page = (await client.get("/agenda/versies/tweede")).text
    assert texts(page, ".bloei-diff__fields li") == [
        "Prioriteit: van Hoog naar Middel",
        "Status: van Loopt naar Eerste successen",
    ]


async def test_beheer_publish_form_lists_changed_fields(admin, db, settings):
    client, _ = admin
    slug = add_thema(db, settings)
    db.write(agenda.publish_version, settings, "test", "Eerste", "")
    thema_id = db.scalar("SELECT id FROM themas WHERE slug = ?", (slug,))
    db.write(agenda.save_thema, settings, "test", {**THEMA, "priority": "laag"}, thema_id)
    page = (await client.get("/beheer/versies/nieuw")).text
    assert texts(page, ".bloei-diff__fields li") == ["Prioriteit: van Hoog naar Laag"]
