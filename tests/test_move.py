"""Moving a kern: export, import at a new address, and the Move its old actor announces."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from node import migrate
from node.app import open_database
from node.cli import main
from node.kern import kern_actor
from node.settings import load_settings


@pytest.fixture
def old_node(tmp_path: Path) -> Path:
    data = tmp_path / "old"
    args = ["init", "--name", "Beesd", "--url", "https://beesd.example", "--data", str(data)]
    assert main(args) == 0
    (data / "media" / "foto.jpg").write_bytes(b"\xff\xd8 photo")
    return data


def actor_document(folder: Path) -> dict:
    settings = load_settings(folder)
    db = open_database(settings)
    try:
        return kern_actor.document(db.read(), settings, db.services["publisher"])
    finally:
        db.close()


def rows(folder: Path, sql: str) -> list:
    with sqlite3.connect(folder / "bloei.db") as conn:
        return conn.execute(sql).fetchall()


def test_export_and_import_at_a_new_address(old_node, tmp_path, capsys):
    archive = tmp_path / "beesd-export.tar.gz"
    assert main(["export", str(archive), "--data", str(old_node)]) == 0
    new = tmp_path / "new"
    url = "https://beesd.nieuw.example"
    assert main(["import", str(archive), "--data", str(new), "--url", url]) == 0

    assert load_settings(new).public_url == url
    assert (new / "media" / "foto.jpg").read_bytes() == b"\xff\xd8 photo"
    for name in ("keys", "secret.key"):
        old_files = sorted(p.relative_to(old_node) for p in (old_node / name).rglob("*"))
        new_files = sorted(p.relative_to(new) for p in (new / name).rglob("*"))
        assert old_files == new_files
    for path in (old_node / "keys").rglob("*"):
        if path.is_file():
            assert (new / path.relative_to(old_node)).read_bytes() == path.read_bytes()
    assert rows(new, "SELECT username FROM users") == rows(old_node, "SELECT username FROM users")

    document = actor_document(new)
    assert document["id"] == url + "/actor"
    assert document["alsoKnownAs"] == ["https://beesd.example/actor"]
    assert (
        document["publicKey"]["publicKeyPem"]
        == actor_document(old_node)["publicKey"]["publicKeyPem"]
    )
    assert "alsoKnownAs" not in actor_document(old_node)


def test_import_refuses_a_folder_that_holds_a_node(old_node, tmp_path, capsys):
    archive = tmp_path / "export.tar.gz"
    assert main(["export", str(archive), "--data", str(old_node)]) == 0
    assert main(["import", str(archive), "--data", str(old_node)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_move_checks_the_new_actor_and_announces_it(old_node, tmp_path):
    archive = tmp_path / "export.tar.gz"
    migrate.export_node(old_node, archive)
    new = tmp_path / "new"
    migrate.import_node(archive, new, "https://beesd.nieuw.example")
    new_document = actor_document(new)
    settings = load_settings(old_node)
    old_id = migrate.actor_id(settings)

    async def fetch(url):
        return url, new_document

    async def fetch_other(url):
        return url, {**new_document, "alsoKnownAs": []}

    with pytest.raises(migrate.MoveError, match="alsoKnownAs"):
        asyncio.run(migrate.confirmed_target(old_id, new_document["id"], fetch_other))
    target = asyncio.run(migrate.confirmed_target(old_id, new_document["id"], fetch))

    db = open_database(settings)
    try:
        move_id = migrate.announce_move(db, settings, target.id)
        stored = db.one(
            "SELECT type, document FROM federation_outbox WHERE activity_id = ?", (move_id,)
        )
    finally:
        db.close()
    assert stored["type"] == "Move"
    assert f'"target":"{target.id}"' in stored["document"].replace(" ", "")
    assert actor_document(old_node)["movedTo"] == target.id
