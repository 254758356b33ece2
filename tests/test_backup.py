"""Backups: consistent while the server writes, and a restore that trusts nothing it reads."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest

from node import backup
from node.backup import BackupError, create_backup, restore_backup
from node.cli import main
from node.settings import load_settings


@pytest.fixture(scope="session")
def template_node(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("template") / "data"
    assert (
        main(["init", "--name", "Beesd", "--url", "https://beesd.example", "--data", str(data)])
        == 0
    )
    (data / "media" / "projecten").mkdir(parents=True)
    (data / "media" / "projecten" / "speeltuin.jpg").write_bytes(b"\xff\xd8 a photo " * 500)
    return data


@pytest.fixture
def node(template_node: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(template_node, data)
    return data


@pytest.fixture
def archive(node: Path, tmp_path: Path) -> Path:
    target = tmp_path / "beesd.tar.gz"
    create_backup(node, target)
    return target


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below folder with its bytes, minus SQLite's own side files."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(("-wal", "-shm"))
    }


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def write_archive(
    path: Path,
    files: dict[str, bytes],
    manifest_files: dict[str, bytes] | None = None,
    extra: tuple[tarfile.TarInfo, ...] = (),
) -> Path:
    """An archive with the given members and a manifest over manifest_files (default: files)."""
    listed = files if manifest_files is None else manifest_files
    manifest = {
        "format": "bloei-backup",
        "version": 1,
        "node": {"name": "Beesd", "slug": "beesd", "role": "kern"},
        "created_at": "2026-03-01T10:00:00+00:00",
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in listed.items()
        },
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {**files, "manifest.json": json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


def users(data: Path) -> list[str]:
    conn = sqlite3.connect(data / "bloei.db")
    try:
        return [row[0] for row in conn.execute("SELECT username FROM users ORDER BY username")]
    finally:
        conn.close()


def add_user(data: Path, username: str) -> None:
    assert main(["user", "add", username, "--role", "redacteur", "--data", str(data)]) == 0


def assert_untouched(data: Path, before: dict[str, bytes]) -> None:
    assert tree(data) == before
    leftovers = [p.name for p in data.parent.iterdir() if p.name.startswith(f".{data.name}.")]
    assert leftovers == []


# --- making a backup -------------------------------------------------------------------------


def test_backup_holds_the_node_with_a_manifest_and_mode_0600(node, tmp_path, capsys):
    target = tmp_path / "beesd.tar.gz"

    assert main(["backup", str(target), "--data", str(node)]) == 0

    assert "Backup written" in capsys.readouterr().out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    stored = members(target)
    assert sorted(stored) == [
        "bloei.db",
        "bloei.toml",
        "keys/ed25519-private.pem",
        "keys/rsa-private.pem",
        "manifest.json",
        "media/projecten/speeltuin.jpg",
        "secret.key",
    ]
    manifest = json.loads(stored.pop("manifest.json"))
    assert manifest["version"] == 1
    assert manifest["node"] == {"name": "Beesd", "slug": "beesd", "role": "kern"}
    assert manifest["created_at"]
    for name, data in stored.items():
        assert manifest["files"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
    assert stored["secret.key"] == (node / "secret.key").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_backup_while_a_writer_holds_an_open_transaction_is_consistent(node, tmp_path):
    add_user(node, "committed")
    writer = sqlite3.connect(node / "bloei.db", isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at)"
        " VALUES ('halfway', 'Halfway', 'redacteur', 'x', '2026-01-01')"
    )
    try:
        assert main(["backup", str(tmp_path / "b.tar.gz"), "--data", str(node)]) == 0
    finally:
        writer.execute("COMMIT")
        writer.close()

    restored = tmp_path / "restored"
    assert main(["restore", str(tmp_path / "b.tar.gz"), "--data", str(restored)]) == 0

    assert users(restored) == ["beheerder", "committed"]
    assert users(node) == ["beheerder", "committed", "halfway"]


def test_backup_takes_the_wal_into_account_not_the_bare_file(node, tmp_path):
    """A copy of bloei.db alone would miss committed writes still in the WAL."""
    conn = sqlite3.connect(node / "bloei.db", isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep the write in the WAL
    conn.execute(
        "INSERT INTO users (username, display_name, role, password_hash, created_at)"
        " VALUES ('inwal', 'In WAL', 'redacteur', 'x', '2026-01-01')"
    )
    bare = tmp_path / "bare.db"
    shutil.copyfile(node / "bloei.db", bare)
    assert "inwal" not in users_in(bare)
    try:
        create_backup(node, tmp_path / "b.tar.gz")
    finally:
        conn.close()

    db_bytes = members(tmp_path / "b.tar.gz")["bloei.db"]
    copy = tmp_path / "from-backup.db"
    copy.write_bytes(db_bytes)
    assert "inwal" in users_in(copy)


def users_in(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT username FROM users")]
    finally:
        conn.close()


def test_backup_into_the_data_folder_is_refused(node, capsys):
    assert main(["backup", str(node / "media" / "b.tar.gz"), "--data", str(node)]) == 1
    assert "outside the data folder" in capsys.readouterr().err


def test_backup_into_a_missing_folder_is_one_line(node, tmp_path, capsys):
    assert main(["backup", str(tmp_path / "nergens" / "b.tar.gz"), "--data", str(node)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bloei: ") and "does not exist" in err


def test_backup_replaces_an_older_file_atomically(node, tmp_path):
    target = tmp_path / "b.tar.gz"
    target.write_bytes(b"old")
    create_backup(load_settings(node), target)
    assert "manifest.json" in members(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# --- restoring -------------------------------------------------------------------------------


def test_restore_into_a_new_folder_gives_back_the_node(node, archive, tmp_path, capsys):
    restored = tmp_path / "elders" / "data"

    assert main(["restore", str(archive), "--data", str(restored)]) == 0

    assert "Restored Beesd" in capsys.readouterr().out
    original, copy = tree(node), tree(restored)
    # Beside the node's files, the restore leaves the outbox's high-water mark (node/positions.py).
    assert copy.pop("outbox-positions").strip().isdigit()
    assert original.keys() == copy.keys()
    for name in original.keys() - {"bloei.db"}:
        assert copy[name] == original[name], name
    assert users(restored) == ["beheerder"]
    assert stat.S_IMODE(restored.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in restored.rglob("*") if p.is_file())
    conn = sqlite3.connect(restored / "bloei.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert load_settings(restored, environ={}).secret_key == load_settings(node).secret_key


def test_restore_refuses_a_folder_with_data_without_force(node, archive, capsys):
    add_user(node, "nieuw")
    before = tree(node)

    assert main(["restore", str(archive), "--data", str(node)]) == 1

    assert "--force" in capsys.readouterr().err
    assert_untouched(node, before)


def test_restore_force_swaps_in_the_backup(node, archive, tmp_path, capsys):
    add_user(node, "nieuw")
    assert users(node) == ["beheerder", "nieuw"]

    assert main(["restore", str(archive), "--data", str(node), "--force"]) == 0

    assert users(node) == ["beheerder"]
    assert [p.name for p in node.parent.iterdir() if p.name.startswith(".data.")] == []


def test_restore_rejects_a_tampered_member_and_keeps_the_data(node, archive, tmp_path, capsys):
    stored = members(archive)
    manifest = json.loads(stored.pop("manifest.json"))
    stored["secret.key"] = b"x" * len(stored["secret.key"])  # same size, other bytes
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(tampered, "w:gz") as tar:
        for name, data in {**stored, "manifest.json": json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    before = tree(node)

    assert main(["restore", str(tampered), "--data", str(node), "--force"]) == 1

    err = capsys.readouterr().err
    assert "checksum of secret.key does not match" in err and "Traceback" not in err
    assert_untouched(node, before)


@pytest.mark.parametrize("name", ["../evil.txt", "/srv/evil.txt", "media/../../evil.txt"])
def test_restore_rejects_a_path_that_leaves_the_folder(node, archive, tmp_path, name):
    files = {k: v for k, v in members(archive).items() if k != "manifest.json"}
    bad = write_archive(tmp_path / "bad.tar.gz", {**files, name: b"boo"})
    before = tree(node)

    with pytest.raises(BackupError, match="leaves its folder|absolute"):
        restore_backup(bad, node, force=True)

    assert_untouched(node, before)
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize(
    ("kind", "linkname"),
    [
        (tarfile.SYMTYPE, "/etc/passwd"),
        (tarfile.LNKTYPE, "secret.key"),
        (tarfile.CHRTYPE, ""),
        (tarfile.FIFOTYPE, ""),
    ],
)
def test_restore_rejects_links_and_devices(node, archive, tmp_path, kind, linkname):
    files = {k: v for k, v in members(archive).items() if k != "manifest.json"}
    link = tarfile.TarInfo("media/link.jpg")
    link.type = kind
    link.linkname = linkname
    bad = write_archive(tmp_path / "bad.tar.gz", files, extra=(link,))
    before = tree(node)

    with pytest.raises(BackupError, match="not a regular file"):
        restore_backup(bad, node, force=True)

    assert_untouched(node, before)


def test_restore_rejects_members_outside_the_manifest(node, archive, tmp_path):
    files = {k: v for k, v in members(archive).items() if k != "manifest.json"}
    bad = write_archive(
        tmp_path / "bad.tar.gz", {**files, "media/extra.jpg": b"x"}, manifest_files=files
    )

    with pytest.raises(BackupError, match="disagree about 'media/extra.jpg'"):
        restore_backup(bad, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_restore_rejects_a_file_that_is_no_part_of_a_node(archive, tmp_path):
    files = {k: v for k, v in members(archive).items() if k != "manifest.json"}
    bad = write_archive(tmp_path / "bad.tar.gz", {**files, "crontab": b"* * * * * evil"})

    with pytest.raises(BackupError, match="not part of a Bloei node"):
        restore_backup(bad, tmp_path / "new")


def test_restore_rejects_an_oversized_member(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "MAX_MEMBER_SIZE", 1000)

    with pytest.raises(BackupError, match="too large"):
        restore_backup(archive, tmp_path / "new")


def test_restore_without_manifest_is_not_a_backup(archive, tmp_path):
    files = {k: v for k, v in members(archive).items() if k != "manifest.json"}
    bare = tmp_path / "bare.tar.gz"
    with tarfile.open(bare, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    with pytest.raises(BackupError, match="no manifest.json"):
        restore_backup(bare, tmp_path / "new")


@pytest.mark.parametrize("content", [b"", b"not a tar.gz at all", b"\x1f\x8b\x08\x00broken"])
def test_restore_of_something_else_is_one_line(node, tmp_path, capsys, content):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(content)
    before = tree(node)

    assert main(["restore", str(junk), "--data", str(node), "--force"]) == 1

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bloei: ") and "Traceback" not in err
    assert_untouched(node, before)


def test_restore_of_a_truncated_archive_keeps_the_data(node, archive, tmp_path, capsys):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    before = tree(node)

    assert main(["restore", str(cut), "--data", str(node), "--force"]) == 1

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert_untouched(node, before)


def test_restore_with_a_broken_database_keeps_the_data(node, archive, tmp_path, capsys):
    """Checksums can be right and the database still useless: found before the swap."""
    files = {k: v for k, v in members(archive).items() if k != "manifest.json"}
    files["bloei.db"] = b"SQLite format 3\x00" + b"\x00" * 200
    bad = write_archive(tmp_path / "bad.tar.gz", files)
    before = tree(node)

    assert main(["restore", str(bad), "--data", str(node), "--force"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("bloei: ") and err.count("\n") == 1
    assert_untouched(node, before)


def test_restore_of_a_newer_format_asks_for_an_upgrade(archive, tmp_path):
    stored = members(archive)
    manifest = json.loads(stored.pop("manifest.json"))
    manifest["version"] = 99
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(newer, "w:gz") as tar:
        for name, data in {**stored, "manifest.json": json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

    with pytest.raises(BackupError, match="newer Bloei"):
        restore_backup(newer, tmp_path / "new")


def test_a_failing_swap_puts_the_old_folder_back(node, archive, monkeypatch, capsys):
    """The last step can fail too (a full disk, a mount point): the old data stays."""
    real_rename = backup.os.rename

    def rename(source, target):
        if Path(source).name.startswith(".data.restore-"):
            raise OSError(18, "Invalid cross-device link", str(target))
        real_rename(source, target)

    monkeypatch.setattr(backup.os, "rename", rename)
    add_user(node, "nieuw")
    before = tree(node)

    assert main(["restore", str(archive), "--data", str(node), "--force"]) == 1

    assert "invalid cross-device link" in capsys.readouterr().err
    assert_untouched(node, before)


@pytest.mark.parametrize("where", ["data", ".", "data/"])
def test_restore_takes_a_relative_data_folder(node, archive, monkeypatch, where):
    monkeypatch.chdir(node if where == "." else node.parent)
    add_user(node, "nieuw")

    assert main(["restore", str(archive), "--data", where, "--force"]) == 0

    assert users(node) == ["beheerder"]
