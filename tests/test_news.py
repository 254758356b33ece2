"""News from the group: written in beheer, scheduled, paginated, recorded and searchable."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from node.app import create_app
from node.kern.news import model as news
from node.kern.news.beheer import NewsForm
from tests.conftest import BASE_URL
from tests.idea_helpers import add_news, events_of
from tests.markup import field_error, link_targets, select

SCRIPT = "<script>alert(1)</script>"


def news_form(csrf: str, **changes) -> dict:
    return {
        "csrf": csrf,
        "title": "Nieuwe bankjes geplaatst",
        "body": "Bij de kerk staan nu **drie** bankjes.",
        "published_at": "",
        **changes,
    }


@pytest.fixture
async def uncached_client(settings, db):
    """A node without the page cache: shows what the pages themselves answer at this moment."""
    app = create_app(settings.with_changes(page_cache=False), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


async def test_a_bericht_written_in_beheer_is_public_recorded_and_searchable(admin, db):
    client, csrf = admin
    response = await client.post("/beheer/nieuws/nieuw", data=news_form(csrf))
    assert response.status_code == 303 and response.headers["location"] == "/beheer/nieuws#melding"

    row = db.one("SELECT * FROM news")
    assert row["slug"] == "nieuwe-bankjes-geplaatst" and row["created_by"] == "Anna de Vries"
    page = await client.get("/nieuws/nieuwe-bankjes-geplaatst")
    assert page.status_code == 200 and "<strong>drie</strong>" in page.text
    assert "Nieuwe bankjes geplaatst" in (await client.get("/nieuws")).text
    found = (await client.get("/zoeken?q=bankje")).text
    assert "/nieuws/nieuwe-bankjes-geplaatst" in link_targets(found)
    [event] = events_of(db, "Bericht")
    snapshot = json.loads(event["snapshot"])
    assert event["verb"] == "Create" and snapshot["id"] == f"{BASE_URL}/nieuws/{row['slug']}"
    assert snapshot["gepubliceerd"] == row["published_at"]
    assert "Anna de Vries" not in event["snapshot"], "who wrote it in beheer is not public"


async def test_a_scheduled_bericht_stays_hidden_until_its_time(admin, db, uncached_client):
    client, csrf = admin
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(news.AMSTERDAM)
    form = news_form(csrf, title="Straks", published_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    assert (await client.post("/beheer/nieuws/nieuw", data=form)).status_code == 303
    assert "Gepland voor" in (await client.get("/beheer/nieuws")).text
    await client.post("/beheer/uitloggen", data={"csrf": csrf})

    # Hidden: list, own address, search, the home page function.
    assert "Straks" not in (await client.get("/nieuws")).text
    assert (await client.get("/nieuws/straks")).status_code == 404
    assert "/nieuws/straks" not in link_targets((await client.get("/zoeken?q=straks")).text)
    assert news.latest_news(db, 5) == []
    # Recorded at once, with its future publish time in the snapshot.
    [event] = events_of(db, "Bericht")
    assert json.loads(event["snapshot"])["gepubliceerd"] > datetime.now(UTC).isoformat()

    # Time passes: no write bumps the data version, the pages compare with now themselves.
    with sqlite3.connect(db.path) as raw:
        past = news.utc_stamp(datetime.now(UTC) - timedelta(minutes=1))
        raw.execute("UPDATE news SET published_at = ?", (past,))
    assert "Straks" in (await uncached_client.get("/nieuws")).text
    assert (await uncached_client.get("/nieuws/straks")).status_code == 200
    assert [row["title"] for row in news.latest_news(db, 5)] == ["Straks"]
    # ... and the first visit after its time puts it in search.
    assert "/nieuws/straks" in link_targets((await uncached_client.get("/zoeken?q=straks")).text)


async def test_news_is_newest_first_in_pages_of_ten(client, db, settings):
    for number in range(23):
        add_news(db, settings, hours_from_now=-100 + number, title=f"Bericht {number:02d}")
    add_news(db, settings, hours_from_now=5, title="Bericht gepland")

    first = (await client.get("/nieuws")).text
    titles = re.findall(r"Bericht (\d\d)</a>", first)
    assert titles == [f"{n:02d}" for n in range(22, 12, -1)]
    assert link_targets(first, 'a[rel="next"]') == ["/nieuws?pagina=2"]
    assert "Pagina 1 van 3" in first
    second = (await client.get("/nieuws?pagina=2")).text
    assert re.findall(r"Bericht (\d\d)</a>", second) == [f"{n:02d}" for n in range(12, 2, -1)]
    assert link_targets(second, 'a[rel="prev"]') == ["/nieuws"]
    third = (await client.get("/nieuws?pagina=3")).text
    assert re.findall(r"Bericht (\d\d)</a>", third) == ["02", "01", "00"]
    assert 'rel="next"' not in third and "gepland" not in first + second + third
    assert (await client.get("/nieuws?pagina=4")).status_code == 404
    for wrong in ("0", "abc", "-1", "1" * 30):
        response = await client.get(f"/nieuws?pagina={wrong}")
        assert response.status_code == 400 and "Dit paginanummer bestaat niet" in response.text


async def test_no_news_yet_is_said_plainly(client):
    response = await client.get("/nieuws")
    assert response.status_code == 200 and "Er is nog geen nieuws." in response.text


async def test_the_publish_time_is_amsterdam_time(admin, db):
    client, csrf = admin
    summer = news_form(csrf, title="Zomer", published_at="2026-07-01T12:00")
    winter = news_form(csrf, title="Winter", published_at="2026-01-15T12:00")
    await client.post("/beheer/nieuws/nieuw", data=summer)
    await client.post("/beheer/nieuws/nieuw", data=winter)
    stored = {r["title"]: r["published_at"] for r in db.execute("SELECT * FROM news")}
    assert stored == {"Zomer": "2026-07-01T10:00:00+00:00", "Winter": "2026-01-15T11:00:00+00:00"}
    news_id = db.scalar("SELECT id FROM news WHERE title = 'Zomer'")
    edit = (await client.get(f"/beheer/nieuws/{news_id}")).text
    assert "2026-07-01T12:00" in [f.get("value") for f in select(edit, "form input")]
    assert "1 juli 2026 om 12:00" in (await client.get("/nieuws/zomer")).text


async def test_form_errors_keep_the_fields_and_write_nothing(admin, db):
    client, csrf = admin
    far = (datetime.now() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    cases = [
        ({"title": " "}, "title", "Vul een titel in."),
        ({"body": ""}, "body", "Vul een tekst in."),
        ({"title": "x" * 121}, "title", "Gebruik hoogstens 120 tekens."),
        ({"body": "y" * 20001}, "body", "Gebruik hoogstens 20000 tekens."),
        ({"published_at": "morgen"}, "published_at", "Vul een datum en tijd in"),
        ({"published_at": "2026-02-30T10:00"}, "published_at", "Vul een datum en tijd in"),
        ({"published_at": far}, "published_at", "Kies een datum binnen een jaar"),
        ({"published_at": "1999-12-31T23:59"}, "published_at", "Kies een datum na 1 januari 2000"),
    ]
    for change, field_id, message in cases:
        response = await client.post("/beheer/nieuws/nieuw", data=news_form(csrf, **change))
        assert response.status_code == 400, change
        assert message in field_error(response.text, field_id), change
        assert "Controleer wat u heeft ingevuld" in response.text
        if field_id != "body":
            assert "Bij de kerk staan nu **drie** bankjes." in response.text
    assert db.scalar("SELECT count(*) FROM news") == 0


async def test_a_wrong_csrf_token_writes_nothing(admin, db, settings):
    client, _csrf = admin
    slug = add_news(db, settings)
    news_id = db.scalar("SELECT id FROM news WHERE slug = ?", (slug,))
    version = db.data_version()
    for path, data in (
        ("/beheer/nieuws/nieuw", news_form("fout")),
        (f"/beheer/nieuws/{news_id}", news_form("fout", title="Anders")),
        (f"/beheer/nieuws/{news_id}/verwijderen", {"csrf": "fout"}),
    ):
        response = await client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Het formulier is verlopen" in response.text
    assert db.data_version() == version
    assert [r["title"] for r in db.execute("SELECT title FROM news")] == ["Dorpsschouw op zaterdag"]


async def test_script_is_escaped_and_markdown_sanitised(admin, db):
    client, csrf = admin
    body = f"{SCRIPT}\n\n[klik](javascript:alert(1)) <img src=x onerror=alert(1)>"
    await client.post(
        "/beheer/nieuws/nieuw", data=news_form(csrf, title=f"Let op {SCRIPT}", body=body)
    )
    slug = db.scalar("SELECT slug FROM news")
    for path in ("/nieuws", f"/nieuws/{slug}", "/beheer/nieuws"):
        page = (await client.get(path)).text
        assert SCRIPT not in page and "<img" not in page, path
        assert select(page, "script, img, [onerror]") == [], path
        assert not [h for h in link_targets(page) if h.lower().startswith("javascript:")], path
        assert "&lt;script&gt;" in page and "&amp;lt;" not in page, path


async def test_edit_keeps_the_slug_and_records_an_update(admin, db, settings):
    client, csrf = admin
    slug = add_news(db, settings)
    news_id = db.scalar("SELECT id FROM news")
    form = (await client.get(f"/beheer/nieuws/{news_id}")).text
    assert "Dorpsschouw op zaterdag" in form
    stamp = news.to_local(db.scalar("SELECT published_at FROM news")).strftime("%Y-%m-%dT%H:%M")
    response = await client.post(
        f"/beheer/nieuws/{news_id}",
        data=news_form(csrf, title="Dorpsschouw gaat door", published_at=stamp),
    )
    assert response.status_code == 303
    assert db.scalar("SELECT slug FROM news") == slug
    assert "Dorpsschouw gaat door" in (await client.get(f"/nieuws/{slug}")).text
    assert [e["verb"] for e in events_of(db, "Bericht")] == ["Create", "Update"]


async def test_remove_takes_it_off_the_site_and_out_of_search(admin, db, settings):
    client, csrf = admin
    slug = add_news(db, settings)
    news_id = db.scalar("SELECT id FROM news")
    assert (await client.get(f"/beheer/nieuws/{news_id}/verwijderen")).status_code == 200
    response = await client.post(f"/beheer/nieuws/{news_id}/verwijderen", data={"csrf": csrf})
    assert response.status_code == 303
    assert (await client.get(f"/nieuws/{slug}")).status_code == 404
    assert db.scalar("SELECT count(*) FROM search_index") == 0
    assert [e["verb"] for e in events_of(db, "Bericht")] == ["Create", "Delete"]
    assert (await client.get(f"/beheer/nieuws/{news_id}")).status_code == 404


async def test_only_signed_in_users_write_news(client, db):
    response = await client.post("/beheer/nieuws/nieuw", data=news_form("x"))
    assert response.status_code == 303 and "/beheer/inloggen" in response.headers["location"]
    assert db.scalar("SELECT count(*) FROM news") == 0


def test_an_empty_publish_time_means_now():
    from starlette.datastructures import FormData

    form = NewsForm(formdata=FormData([("title", "T"), ("body", "B"), ("published_at", "")]))
    assert form.validate() and form.values()["published_at"] == ""
