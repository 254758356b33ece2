"""Ingest on its own: odd values from a kern are cut to size or dropped, never a crash, and
nothing of a refused activity stays behind."""

from __future__ import annotations

import pytest

from federation.store import utcnow
from node.gemeente import ingest, kernen


@pytest.fixture
def kern(gemeente_app):
    db = gemeente_app.state.db

    def add(conn):
        conn.execute(
            """INSERT INTO gemeente_kernen (actor_id, address, name, inbox, outbox, added_at)
               VALUES ('http://beesd.test/actor', '@beesd@beesd.test', 'Beesd',
                       'http://beesd.test/actor/inbox', 'http://beesd.test/actor/outbox', '')"""
        )

    db.write(add)
    return db, kernen.Kern(1, "http://beesd.test/actor", "Beesd")


ODD_OBJECTS = [
    {"type": ["Page", "Project"], "name": ["geen", "tekst"], "fase": {"x": 1}},
    {"type": ["Page", "Project"], "faseGeschiedenis": "geen lijst", "behoeften": "geld"},
    {"type": ["Page", "Project"], "faseGeschiedenis": [{"naar": 3, "datum": "gisteren"}, 7]},
    {"type": ["Page", "Project"], "themas": {"id": "x"}, "budget": [1], "startdatum": 20260101},
    {"type": ["Page", "Project"], "aantalSteunbetuigingen": True, "updated": "morgen"},
    {"type": ["Page", "Project"], "themas": ["http://heukelum.test/agenda/themas/x", 5]},
    {"type": ["Event", "Bijeenkomst"], "startTime": 12, "location": "Dorpshuis"},
    {"type": ["Event", "Bijeenkomst"], "startTime": "2026-13-45T99:00:00Z"},
    {"type": ["Event", "Bijeenkomst"], "startTime": "2026-12-01T19:00:00", "geannuleerd": "ja"},
    {"type": ["Page", "Thema"], "name": "x" * 10_000, "wieIsAanZet": None, "content": 5},
    {"type": "Note", "content": "gewoon een bericht"},
    {"type": ["Note", "Idee"], "url": "javascript:alert(1)", "name": "<script>"},
]


@pytest.mark.parametrize("number", range(len(ODD_OBJECTS)))
def test_odd_values_never_crash_ingest(kern, number):
    db, beesd = kern
    obj = {"id": f"http://beesd.test/dingen/{number}", **ODD_OBJECTS[number]}
    activity = {"id": f"http://beesd.test/actor/activities/{number}", "type": "Create",
                "actor": beesd.actor_id, "object": obj}  # fmt: skip

    outcome = db.write(lambda conn: ingest.apply(conn, beesd, activity, via="pull", now=utcnow()))

    assert outcome in (ingest.APPLIED, ingest.IGNORED)
    url = db.scalar("SELECT url FROM gemeente_objects WHERE object_id = ?", (obj["id"],))
    assert url in (None, obj["id"])  # a link never leaves the kern's own site


def test_a_refused_activity_leaves_nothing_behind(kern):
    db, beesd = kern
    activity = {"id": "http://beesd.test/actor/activities/x", "type": "Create",
                "actor": beesd.actor_id,
                "object": {"id": "http://heukelum.test/projecten/y", "type": ["Page", "Project"]}}  # fmt: skip

    with pytest.raises(ingest.Refused, match="foreign_object"):
        db.write(lambda conn: ingest.apply(conn, beesd, activity, via="push", now=utcnow()))

    assert db.scalar("SELECT count(*) FROM gemeente_activities") == 0
    assert db.scalar("SELECT count(*) FROM gemeente_objects") == 0
