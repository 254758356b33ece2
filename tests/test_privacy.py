"""Residents' contact details: removed after the retention period, exported and deleted on request."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from node.kern.privacy import model as privacy
from tests.conftest import EDITOR_PASSWORD, login

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat(timespec="seconds")


def seed(db, sql: str, params: dict) -> int:
    return db.write(lambda conn: conn.execute(sql, params).lastrowid)


def meeting(db, ended_days_ago: float) -> int:
    return seed(
        db,
        """INSERT INTO meetings (slug, title, starts_at, ends_at, place_name, created_at,
           updated_at) VALUES (:slug, :title, :start, :end, 'Dorpshuis', :end, :end)""",
        {
            "slug": f"avond-{secrets.token_hex(4)}",
            "title": f"Dorpsavond {ended_days_ago}",
            "start": ago(ended_days_ago + 0.1),
            "end": ago(ended_days_ago),
        },
    )


def rsvp(db, meeting_id: int, name: str, email: str = "", phone: str = "", people=3) -> int:
    return seed(
        db,
        """INSERT INTO rsvps (meeting_id, name, email, phone, people, status, token_hash,
           created_at, updated_at)
           VALUES (:m, :name, :email, :phone, :people, 'aangemeld', :token, :at, :at)""",
        {
            "m": meeting_id,
            "name": name,
            "email": email,
            "phone": phone,
            "people": people,
            "token": secrets.token_hex(16),
            "at": ago(120),
        },
    )


def project(db, phase: str) -> int:
    return seed(
        db,
        """INSERT INTO projects (slug, title, summary, phase, created_at, updated_at)
           VALUES (:slug, :title, 'Samen doen', :phase, :at, :at)""",
        {
            "slug": f"p-{secrets.token_hex(4)}",
            "title": f"Project {phase}",
            "phase": phase,
            "at": ago(200),
        },
    )


def volunteer(db, project_id: int, name: str, contact: str, days_ago: float) -> int:
    return seed(
        db,
        """INSERT INTO volunteers (project_id, name, contact, message, consent_at, created_at)
           VALUES (:p, :name, :contact, 'Ik help graag', :at, :at)""",
        {"p": project_id, "name": name, "contact": contact, "at": ago(days_ago)},
    )


def idea(
    db, name: str, contact: str, decided_days_ago: float | None, title: str = "Een bankje"
) -> int:
    return seed(
        db,
        """INSERT INTO ideas (slug, title, body, name, contact, status, token_hash, created_at,
           decided_at) VALUES (:slug, :title, 'Een bankje bij de kerk', :name, :contact,
           :status, :token, :created, :decided)""",
        {
            "slug": f"idee-{secrets.token_hex(4)}",
            "title": title,
            "name": name,
            "contact": contact,
            "status": "nieuw" if decided_days_ago is None else "gepubliceerd",
            "token": secrets.token_hex(16),
            "created": ago(200),
            "decided": None if decided_days_ago is None else ago(decided_days_ago),
        },
    )


def mail(db, to: str, body: str = "Hallo", sent_days_ago: float | None = None) -> int:
    sent = None if sent_days_ago is None else ago(sent_days_ago)
    return seed(
        db,
        """INSERT INTO mail_queue (purpose, to_address, subject, body, created_at, next_try_at,
           sent_at) VALUES ('test', :to, :body, :body, :at, :at, :sent)""",
        {"to": to, "body": body, "at": sent or ago(0), "sent": sent},
    )


def contact_of(db, table: str, row_id: int) -> tuple:
    columns = {
        "rsvps": "name, email, phone, people, contact_removed_at IS NOT NULL",
        "volunteers": "name, contact, message, contact_removed_at IS NOT NULL",
        "ideas": "name, contact, contact_removed_at IS NOT NULL",
    }[table]
    return tuple(db.one(f"SELECT {columns} FROM {table} WHERE id = ?", (row_id,)))


# --- retention -------------------------------------------------------------------------------


def test_retention_removes_exactly_the_expired_contact_details(db, settings):
    # Given contact details on both sides of the 90-day line
    old_rsvp = rsvp(db, meeting(db, 100), "Jan Smit", "jan@example.nl", "0612345678")
    recent_rsvp = rsvp(db, meeting(db, 10), "Els Bos", "els@example.nl")
    future_rsvp = rsvp(db, meeting(db, -10), "Ali Kaya", phone="0698765432")
    running, finished = project(db, "uitvoering"), project(db, "afgerond")
    old_volunteer = volunteer(db, running, "Kees", "kees@example.nl", 100)
    new_volunteer = volunteer(db, running, "Fatima", "fatima@example.nl", 10)
    done_volunteer = volunteer(db, finished, "Wim", "0611111111", 10)
    old_idea = idea(db, "Ria", "ria@example.nl", decided_days_ago=100)
    recent_idea = idea(db, "Tom", "tom@example.nl", decided_days_ago=10)
    open_idea = idea(db, "Sara", "sara@example.nl", decided_days_ago=None)
    old_mail = mail(db, "jan@example.nl", sent_days_ago=100)
    recent_mail = mail(db, "els@example.nl", sent_days_ago=10)
    waiting_mail = mail(db, "ali@example.nl")
    # When the cleanup runs
    removed = privacy.run_retention(db, settings, now=NOW)
    # Then exactly the expired ones are gone, and the counts stay
    assert removed == privacy.Removed(rsvps=1, volunteers=2, ideas=1, mails=1)
    assert contact_of(db, "rsvps", old_rsvp) == ("verwijderd", "", "", 3, 1)
    assert contact_of(db, "rsvps", recent_rsvp) == ("Els Bos", "els@example.nl", "", 3, 0)
    assert contact_of(db, "rsvps", future_rsvp) == ("Ali Kaya", "", "0698765432", 3, 0)
    assert contact_of(db, "volunteers", old_volunteer) == ("verwijderd", "", "", 1)
    assert contact_of(db, "volunteers", done_volunteer) == ("verwijderd", "", "", 1)
    assert contact_of(db, "volunteers", new_volunteer) == (
        "Fatima",
        "fatima@example.nl",
        "Ik help graag",
        0,
    )
    assert contact_of(db, "ideas", old_idea) == ("", "", 1)
    assert contact_of(db, "ideas", recent_idea) == ("Tom", "tom@example.nl", 0)
    assert contact_of(db, "ideas", open_idea) == ("Sara", "sara@example.nl", 0)
    remaining = [r[0] for r in db.execute("SELECT id FROM mail_queue ORDER BY id")]
    assert remaining == [recent_mail, waiting_mail] and old_mail not in remaining
    assert db.scalar("SELECT count(*) FROM volunteers WHERE project_id = ?", (running,)) == 2
    # The audit log has the counts, no names; a second run finds nothing and writes nothing
    (line,) = db.execute("SELECT * FROM audit_log WHERE action = 'privacy.retention'")
    assert line["username"] == "systeem" and "volunteers=2" in line["summary"]
    assert "Jan" not in line["summary"]
    version = db.data_version()
    assert privacy.run_retention(db, settings, now=NOW).total == 0
    assert db.data_version() == version


def test_the_retention_period_is_a_setting(db, settings):
    rsvp_id = rsvp(db, meeting(db, 10), "Els Bos", "els@example.nl")
    assert privacy.run_retention(db, settings, now=NOW).rsvps == 0
    assert privacy.run_retention(db, settings.with_changes(privacy_retention_days=7), now=NOW).rsvps
    assert contact_of(db, "rsvps", rsvp_id)[:2] == ("verwijderd", "")


def test_matching_is_exact_case_insensitive_and_phone_numbers_match_however_typed():
    assert privacy.matches("Marieke@Example.NL", "marieke@example.nl")
    assert privacy.matches("Marieke  de Vries", "marieke de vries")
    assert privacy.matches("+31 6 1234 5678", "06-12345678")
    assert privacy.matches("0031612345678", "06 12 34 56 78")
    assert not privacy.matches("marieke@example.nl", "marieke")
    assert not privacy.matches("Marieke de Vries", "Marieke")
    assert not privacy.matches("0612345678", "0612345679")
    assert not privacy.matches("", "")


# --- one person, through beheer --------------------------------------------------------------

MARIEKE = "marieke@example.nl"


@pytest.fixture
def people(db):
    """Marieke's details in every table, and Kees's beside them."""
    evening = meeting(db, -5)
    running = project(db, "uitvoering")
    return {
        "rsvp": rsvp(db, evening, "Marieke de Vries", MARIEKE, "06 12345678"),
        "volunteer": volunteer(db, running, "Marieke de Vries", "+31 6 1234 5678", 5),
        "idea": idea(db, "Marieke", "Marieke@Example.nl", None, title="Bankje bij de kerk"),
        "mail": mail(db, MARIEKE, "Beste Marieke, tot donderdag.", sent_days_ago=2),
        "notice": mail(db, "groep@beesd.test", f"Nieuw idee van Marieke ({MARIEKE})"),
        "kees_rsvp": rsvp(db, evening, "Kees Jansen", "kees@example.nl", "0687654321"),
        "kees_volunteer": volunteer(db, running, "Kees Jansen", "kees@example.nl", 5),
        "kees_idea": idea(db, "Kees", "kees@example.nl", decided_days_ago=None),
        "kees_mail": mail(db, "kees@example.nl", "Beste Kees"),
    }


def traces(db, *needles: str) -> list[str]:
    """Every text cell in the personal-data tables that holds one of the needles."""
    found = []
    for table in ("rsvps", "volunteers", "ideas", "mail_queue"):
        for row in db.execute(f"SELECT * FROM {table}"):
            for value in tuple(row):
                text = str(value).lower().replace(" ", "")
                if any(needle in text for needle in needles):
                    found.append(f"{table}: {value}")
    return found


async def test_search_finds_a_person_across_tables_by_address_or_phone(admin, people):
    http, csrf = admin
    page = await http.post(
        "/beheer/privacy/zoeken", data={"query": "MARIEKE@example.nl", "csrf": csrf}
    )
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for text in ("Dorpsavond", "Bankje bij de kerk", "Beste Marieke", "Nieuw idee"):
        assert text in page.text
    # Her volunteer row holds her phone number, not her address
    assert "Kees" not in page.text and "Project uitvoering" not in page.text
    by_phone = await http.post("/beheer/privacy/zoeken", data={"query": "0612345678", "csrf": csrf})
    assert "Dorpsavond" in by_phone.text and "Project uitvoering" in by_phone.text
    assert "Bankje bij de kerk" not in by_phone.text
    nothing = await http.post(
        "/beheer/privacy/zoeken", data={"query": "marieke@example", "csrf": csrf}
    )
    assert "We hebben niets gevonden" in nothing.text


async def test_export_is_a_json_download_of_everything_found(admin, people):
    http, csrf = admin
    response = await http.post("/beheer/privacy/export", data={"query": MARIEKE, "csrf": csrf})
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert "marieke" not in response.headers["content-disposition"].lower()
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    document = json.loads(response.text)
    assert [r["email"] for r in document["rsvps"]] == [MARIEKE]
    assert document["rsvps"][0]["meeting"].startswith("Dorpsavond")
    assert [i["contact"] for i in document["ideas"]] == ["Marieke@Example.nl"]
    assert document["volunteers"] == []  # her volunteer row has her phone, not her address
    assert sorted(m["to"] for m in document["mails"]) == ["groep@beesd.test", MARIEKE]
    assert "kees" not in response.text.lower()


async def test_delete_asks_first_then_leaves_no_trace_and_keeps_others(admin, db, people):
    http, csrf = admin
    # The first POST only shows what would go
    confirm = await http.post("/beheer/privacy/verwijderen", data={"query": MARIEKE, "csrf": csrf})
    assert confirm.status_code == 200 and "Ja, verwijder deze gegevens" in confirm.text
    unknown = await http.post(
        "/beheer/privacy/verwijderen", data={"query": "onbekend@example.nl", "csrf": csrf}
    )
    assert "niets gevonden om te verwijderen" in unknown.text
    assert traces(db, "marieke")
    # Confirmed: by address, then by phone number for the volunteer row
    for query in (MARIEKE, "06 12345678", "Marieke de Vries"):
        response = await http.post(
            "/beheer/privacy/verwijderen", data={"query": query, "csrf": csrf, "bevestigd": "ja"}
        )
        assert response.status_code == 303
    assert traces(db, "marieke", "12345678") == []
    # Kees keeps everything; rows and counts stay
    assert contact_of(db, "rsvps", people["kees_rsvp"])[:2] == ("Kees Jansen", "kees@example.nl")
    assert contact_of(db, "volunteers", people["kees_volunteer"])[1] == "kees@example.nl"
    assert contact_of(db, "ideas", people["kees_idea"])[1] == "kees@example.nl"
    assert db.one("SELECT 1 FROM mail_queue WHERE id = ?", (people["kees_mail"],))
    assert contact_of(db, "rsvps", people["rsvp"]) == ("verwijderd", "", "", 3, 1)
    assert db.scalar("SELECT count(*) FROM volunteers") == 2


async def test_the_audit_log_records_each_action_without_the_persons_data(admin, db, people):
    http, csrf = admin
    await http.post("/beheer/privacy/zoeken", data={"query": MARIEKE, "csrf": csrf})
    await http.post("/beheer/privacy/export", data={"query": MARIEKE, "csrf": csrf})
    await http.post(
        "/beheer/privacy/verwijderen", data={"query": MARIEKE, "csrf": csrf, "bevestigd": "ja"}
    )
    lines = db.execute("SELECT * FROM audit_log WHERE action LIKE 'privacy.%' ORDER BY id")
    assert [line["action"] for line in lines] == [
        "privacy.search",
        "privacy.export",
        "privacy.delete",
    ]
    assert lines[-1]["summary"] == "rsvps=1 volunteers=0 ideas=1 mails=2 trekkers=0 subscriptions=0"
    for line in lines:
        assert line["username"] == "anna"
        assert not any("marieke" in str(value).lower() for value in tuple(line))


async def test_person_forms_need_the_token_and_a_query(admin, db, people):
    http, csrf = admin
    for path in ("zoeken", "export", "verwijderen"):
        response = await http.post(
            f"/beheer/privacy/{path}", data={"query": MARIEKE, "bevestigd": "ja"}
        )
        assert response.status_code == 400, path
        empty = await http.post(f"/beheer/privacy/{path}", data={"query": " ", "csrf": csrf})
        assert empty.status_code == 400 and "Vul een e-mailadres" in empty.text
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'privacy.%'") == 0
    assert traces(db, "marieke")


async def test_the_privacy_page_explains_the_rule_and_runs_the_cleanup(admin, db):
    http, csrf = admin
    page = await http.get("/beheer/privacy")
    assert page.status_code == 200 and "90 dagen na het einde van de bijeenkomst" in page.text
    rsvp_id = rsvp(db, meeting(db, 100), "Jan Smit", "jan@example.nl")
    response = await http.post("/beheer/privacy/opruimen", data={"csrf": csrf})
    assert response.status_code == 303
    assert contact_of(db, "rsvps", rsvp_id)[0] == "verwijderd"
    assert db.one("SELECT username FROM audit_log WHERE action = 'privacy.retention'")[0] == "anna"


async def test_privacy_beheer_is_for_beheerders_only(client):
    await login(client, "piet", EDITOR_PASSWORD)
    assert (await client.get("/beheer/privacy")).status_code == 403
    response = await client.post("/beheer/privacy/export", data={"query": MARIEKE})
    assert response.status_code == 403


def test_a_mail_mentions_only_the_whole_address():
    assert privacy.mentions("Nieuw idee van Marieke (Marieke@example.nl).", MARIEKE)
    assert not privacy.mentions("anne-marieke@example.nl", MARIEKE)
    assert not privacy.mentions("marieke@example.nl.eu", MARIEKE)
