"""Outbox positions only grow: also after `bloei restore` of an older backup, new activities get
positions above every position the node handed out before (node/positions.py)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from federation import outbox
from node import positions
from node.app import open_database
from node.backup import create_backup, restore_backup
from node.cli import main
from node.kern.news.model import save_news
from node.settings import Settings, load_settings


def publish_news(settings: Settings, count: int, prefix: str) -> list[int]:
    """Publish `count` berichten as beheer would; the outbox positions they got."""
    db = open_database(settings)
    try:
        before = outbox.last_position(db.read())
        for number in range(count):
            values = {
                "title": f"{prefix} {number}",
                "body": "Nieuws uit Beesd.",
                "published_at": "",
            }
            db.write(save_news, settings, "test", values)
        found = db.execute(
            "SELECT position FROM federation_outbox WHERE position > ? ORDER BY position",
            (before,),
        )
        return [row[0] for row in found]
    finally:
        db.close()


def highest_position(folder: Path) -> int:
    conn = sqlite3.connect(folder / "bloei.db")
    try:
        return outbox.last_position(conn)
    finally:
        conn.close()


@pytest.fixture
def older_backup(settings, tmp_path) -> Path:
    """A backup made after a few berichten, after which the node published many more."""
    publish_news(settings, 3, "Voor de back-up")
    archive = tmp_path / "beesd.tar.gz"
    create_backup(settings, archive)
    publish_news(settings, 40, "Na de back-up")
    return archive


# --- the mark beside the database ------------------------------------------------------------


def test_publishing_keeps_a_mark_above_every_position_in_the_data_folder(settings):
    handed_out = publish_news(settings, 5, "Bericht")

    mark = positions.read_mark(settings.data_dir)
    assert mark is not None and mark >= max(handed_out)
    assert mark < max(handed_out) + positions.BLOCK + 1


def test_the_mark_is_raised_again_once_positions_pass_it(settings, monkeypatch):
    monkeypatch.setattr(positions, "BLOCK", 2)
    handed_out = publish_news(settings, 7, "Bericht")

    assert positions.read_mark(settings.data_dir) >= max(handed_out)


def test_a_write_that_cannot_raise_the_mark_publishes_nothing(settings, monkeypatch):
    def broken(data_dir: Path, value: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(positions, "write_mark", broken)
    with pytest.raises(OSError):
        publish_news(settings, 1, "Bericht")

    assert highest_position(settings.data_dir) == 0


# --- restoring -------------------------------------------------------------------------------


def test_restore_of_an_older_backup_over_the_live_folder_goes_on_above_it(
    settings, older_backup, capsys
):
    before = highest_position(settings.data_dir)
    mark = positions.read_mark(settings.data_dir)

    code = main(["restore", str(older_backup), "--data", str(settings.data_dir), "--force"])
    after = publish_news(load_settings(settings.data_dir), 3, "Na het terugzetten")

    assert code == 0
    assert min(after) > before
    # The old folder continues the backup's history, so its mark is exact: no margin for time.
    assert min(after) == mark + 1
    assert "outbox positions after" in capsys.readouterr().out


def test_restore_goes_on_above_the_mark_when_the_old_database_is_damaged(settings, older_backup):
    before = highest_position(settings.data_dir)
    (settings.data_dir / "bloei.db").write_bytes(b"not a database any more" * 100)
    for side in ("bloei.db-wal", "bloei.db-shm"):
        (settings.data_dir / side).unlink(missing_ok=True)

    restore_backup(older_backup, settings.data_dir, force=True)
    after = publish_news(load_settings(settings.data_dir), 1, "Na het terugzetten")

    assert min(after) > before


def test_restore_into_a_new_folder_leaves_a_margin_for_what_it_cannot_know(
    settings, older_backup, tmp_path
):
    before = highest_position(settings.data_dir)
    shutil.rmtree(settings.data_dir)  # the disk is gone; only the backup is left
    fresh = tmp_path / "nieuwe-schijf" / "beesd"

    result = restore_backup(older_backup, fresh)
    after = publish_news(load_settings(fresh), 1, "Na het terugzetten")

    assert result.outbox_floor is not None and result.outbox_floor >= positions.BLOCK
    assert min(after) > before
    assert positions.read_mark(fresh) >= min(after)


def test_the_margin_grows_with_the_age_of_the_backup(settings, older_backup, tmp_path):
    restored = tmp_path / "restored"
    restore_backup(older_backup, restored)
    conn = sqlite3.connect(restored / "bloei.db")
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    try:
        counter = positions.sequence(conn)
        a_day_old = positions.restore_floor(conn, None, None, now - timedelta(days=1), now)
        unknown_age = positions.restore_floor(conn, None, None, None, now)
    finally:
        conn.close()

    assert a_day_old >= counter + positions.MAX_RATE * 86_400
    assert unknown_age > a_day_old


def test_restore_over_a_folder_with_another_history_still_leaves_the_margin(
    settings, older_backup, tmp_path
):
    # The host made a fresh node before restoring: its small counter says nothing about how far
    # the lost node got.
    before = highest_position(settings.data_dir)
    fresh = tmp_path / "fresh"
    assert (
        main(["init", "--name", "Beesd", "--url", "http://beesd.test", "--data", str(fresh)]) == 0
    )

    result = restore_backup(older_backup, fresh, force=True)

    assert result.outbox_floor >= before
    assert result.outbox_floor >= positions.BLOCK


@pytest.mark.parametrize("content", [b"", b"veel\n", b"-5\n", b"\xff\xfe", b"9" * 40])
def test_a_mark_that_cannot_be_read_counts_as_none(tmp_path, content):
    (tmp_path / positions.MARK_FILE).write_bytes(content)

    assert positions.read_mark(tmp_path) is None
