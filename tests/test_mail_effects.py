"""Data functions record what happened; node/kern/mail_effects.py queues the mails about it,
before the write commits. A change and its mails land together or not at all."""

from __future__ import annotations

import inspect

import grimp
import jinja2
import pytest

from node.app import open_database
from node.kern.conversation import notice as gemeente_notice
from node.kern.ideas import model as ideas
from node.kern.meetings import model as meetings
from node.kern.meetings import rsvp, waiting_list
from node.web.templating import TEMPLATES_DIR, create_environment
from tests.meeting_helpers import add_meeting, mails, sign_up


class Interrupted(Exception):
    """Raised inside a write after the data function has recorded what it did."""


def happenings_left(db) -> int:
    return db.scalar("SELECT count(*) FROM happenings")


def test_a_sign_up_and_its_mail_commit_together(db, settings):
    meeting_id, _slug = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, email="jan@example.org")
    (mail,) = mails(db, "rsvp.confirm")
    assert mail["to_address"] == "jan@example.org"
    assert "Jan Bos" in mail["body"]
    # The happening was turned into the mail and removed in the same transaction.
    assert happenings_left(db) == 0


def test_a_write_failing_after_a_sign_up_leaves_neither_the_rsvp_nor_its_mail(db, settings):
    meeting_id, _slug = add_meeting(db, settings)

    def sign_up_then_fail(conn):
        rsvp.sign_up(conn, settings, meeting_id, "Jan Bos", "jan@example.org", "", 2)
        raise Interrupted

    with pytest.raises(Interrupted):
        db.write(sign_up_then_fail)
    assert db.scalar("SELECT count(*) FROM rsvps") == 0
    assert mails(db) == []
    assert happenings_left(db) == 0
    # The next write sends nothing for the sign-up that never happened.
    add_meeting(db, settings, days=20)
    assert mails(db) == []


def test_a_write_failing_after_a_cancellation_tells_nobody(db, settings):
    meeting_id, _slug = add_meeting(db, settings)
    sign_up(db, settings, meeting_id, email="jan@example.org")

    def cancel_then_fail(conn):
        meetings.cancel_meeting(conn, settings, "test", meeting_id, "Ziek.")
        raise Interrupted

    with pytest.raises(Interrupted):
        db.write(cancel_then_fail)
    assert db.scalar("SELECT status FROM meetings WHERE id = ?", (meeting_id,)) == "gepland"
    assert mails(db, "meeting.cancelled") == []
    assert happenings_left(db) == 0


def test_a_mail_that_cannot_be_made_keeps_the_change_out_too(settings, tmp_path):
    """The effects run inside the write: when a mail fails, so does the change it is about."""
    without_mail_templates = create_environment(tmp_path / "geen-sjablonen")
    db = open_database(settings, without_mail_templates)
    try:
        meeting_id, _slug = add_meeting(db, settings)
        with pytest.raises(jinja2.TemplateNotFound):
            sign_up(db, settings, meeting_id, email="jan@example.org")
        assert db.scalar("SELECT count(*) FROM rsvps") == 0
        assert mails(db) == []
    finally:
        db.close()


def test_mails_are_made_with_the_templates_given_at_wiring(settings):
    own = create_environment()
    own.loader = jinja2.ChoiceLoader(
        [
            jinja2.DictLoader({"mail/idea_new.txt": "Eigen bericht over {{ title }}."}),
            jinja2.FileSystemLoader(TEMPLATES_DIR),
        ]
    )
    db = open_database(settings, own)
    try:
        db.write(
            lambda conn: conn.execute(
                "INSERT INTO site (key, value) VALUES ('contact_email', '\"groep@example.org\"')"
            )
        )
        db.write(ideas.submit_idea, settings, "Een bankje", "Bij de kerk.")
        (mail,) = mails(db, ideas.NOTICE_PURPOSE)
        assert mail["to_address"] == "groep@example.org"
        assert mail["body"] == "Eigen bericht over Een bankje."
    finally:
        db.close()


DATA_MODULES = (meetings, rsvp, ideas, waiting_list, gemeente_notice)


@pytest.mark.parametrize("module", DATA_MODULES, ids=lambda m: m.__name__)
def test_no_data_function_takes_a_template_environment(module):
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module.__name__:
            continue
        for parameter in inspect.signature(function).parameters.values():
            assert parameter.name not in ("env", "templates"), f"{name}({parameter.name})"
            assert "jinja2" not in str(parameter.annotation), f"{name}({parameter.name})"


def test_the_meetings_module_is_in_no_import_cycle():
    # grimp reads the imports as import-linter does (the contracts in pyproject.toml).
    graph = grimp.build_graph("node")
    model = "node.kern.meetings.model"
    for imported in graph.find_modules_directly_imported_by(model):
        assert not graph.chain_exists(importer=imported, imported=model), imported
    # The calendar is made from meetings, so it must not need the data module for its text.
    assert not graph.chain_exists(importer="node.kern.meetings.calendar", imported=model)
