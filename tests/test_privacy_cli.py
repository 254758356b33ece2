"""`bloei privacy`: one person's data shown, exported or erased by the host, also from the
kern's published history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from federation import followers
from node.app import open_database
from node.cli import main
from tests.helpers import PROJECT, add_project
from tests.meeting_helpers import add_meeting, sign_up

TREKKER = PROJECT["trekker_name"]
FOLLOWER_INBOX = "https://gemeente.example/inbox"


@pytest.fixture
def folder(settings):
    """A kern with a trekker who may be named and a resident signed up, and a follower."""
    db = open_database(settings)
    try:

        def follow(conn):
            followers.save_follower(
                conn, "https://gemeente.example/actor", "https://gemeente.example/actor/inbox",
                FOLLOWER_INBOX, "accepted", datetime.now(UTC),
            )  # fmt: skip

        db.write_quiet(follow)
        add_project(db, settings)
        meeting_id, _slug = add_meeting(db, settings)
        sign_up(db, settings, meeting_id, name="Jan Bos", email="jan.bos@example.org")
    finally:
        db.close()
    return settings


def outbox_and_queue(settings) -> str:
    db = open_database(settings)
    try:
        documents = [r["document"] for r in db.execute("SELECT document FROM federation_outbox")]
        bodies = [
            bytes(r["body"]).decode() for r in db.execute("SELECT body FROM federation_deliveries")
        ]
        return "".join(documents + bodies)
    finally:
        db.close()


def test_show_and_export_list_what_the_kern_holds(folder, capsys):
    data = str(folder.data_dir)
    assert main(["privacy", "show", TREKKER.lower(), "--data", data]) == 0
    shown = capsys.readouterr().out
    assert f"trekker: {PROJECT['title']}: {TREKKER} (op de site)" in shown

    assert main(["privacy", "export", "jan.bos@example.org", "--data", data]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in exported["rsvps"]] == ["Jan Bos"]


def test_erase_takes_a_trekker_name_out_of_the_published_history(folder, capsys):
    assert TREKKER in outbox_and_queue(folder)

    assert main(["privacy", "erase", TREKKER, "--data", str(folder.data_dir)]) == 0

    printed = capsys.readouterr().out
    assert "trekkers=1" in printed and TREKKER not in printed
    assert TREKKER not in outbox_and_queue(folder)
    db = open_database(folder)
    try:
        [update] = [
            json.loads(r["body"])
            for r in db.execute("SELECT body FROM federation_deliveries ORDER BY id")
            if json.loads(r["body"])["type"] == "Update"
        ]
        assert "trekker" not in update["object"]
        audit = db.one("SELECT username, summary FROM audit_log WHERE action = 'privacy.delete'")
        assert audit["username"] == "cli" and TREKKER not in audit["summary"]
    finally:
        db.close()


@pytest.mark.parametrize("person", ["   ", "x" * 201])
def test_an_unusable_search_is_one_line_and_exit_1(folder, capsys, person):
    assert main(["privacy", "erase", person, "--data", str(folder.data_dir)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bloei: ")
