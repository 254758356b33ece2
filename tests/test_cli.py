"""The `bloei` command: init, serve, user; errors are one line, never a traceback."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from node import cli
from node.cli import COMMANDS, Command, main
from node.commands import init, serve
from node.settings import SettingsError, create_secret, load_settings, write_config
from node.web import login_sessions, two_step
from node.web.auth import verify_password

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_RE = re.compile(r"password[^:]*: (\S+)", re.IGNORECASE)


def init_args(data: Path, *extra: str) -> list[str]:
    return [
        "init",
        "--name",
        "Beesd",
        "--url",
        "https://beesd.example",
        "--data",
        str(data),
        "--admin",
        "anna",
        *extra,
    ]


def one_time_password(out: str) -> str:
    match = PASSWORD_RE.search(out)
    assert match, out
    return match.group(1)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def users(data: Path) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(data / "bloei.db")
    conn.row_factory = sqlite3.Row
    try:
        return {row["username"]: row for row in conn.execute("SELECT * FROM users")}
    finally:
        conn.close()


def open_session_for(data: Path, username: str) -> None:
    """A sign-in session, as the web app would make one, straight in the node's database."""
    with sqlite3.connect(data / "bloei.db") as conn:
        user_id = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0]
        login_sessions.create(conn, user_id, "", "", timedelta(days=1), timedelta(days=1))
    conn.close()


def session_count(data: Path, username: str) -> int:
    with sqlite3.connect(data / "bloei.db") as conn:
        count = conn.execute(
            "SELECT count(*) FROM login_sessions JOIN users ON users.id = user_id"
            " WHERE username = ?",
            (username,),
        ).fetchone()[0]
    conn.close()
    return count


def audit(data: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(data / "bloei.db")
    try:
        return conn.execute(
            "SELECT username, action, object_id FROM audit_log ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def assert_one_error_line(err: str, needle: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bloei: ")
    assert needle in lines[0]
    assert "Traceback" not in err


@pytest.fixture(scope="session")
def template_node(tmp_path_factory) -> Path:
    """One initialised node per session; tests get a copy (key generation is slow-ish)."""
    data = tmp_path_factory.mktemp("template") / "data"
    assert main(init_args(data)) == 0
    return data


@pytest.fixture
def node(template_node: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(template_node, data)
    return data


# --- init ------------------------------------------------------------------------------------


def test_init_creates_a_private_node_with_a_working_first_login(tmp_path, capsys):
    data = tmp_path / "nieuw" / "data"

    assert main(init_args(data)) == 0

    out = capsys.readouterr().out
    assert "https://beesd.example/beheer/inloggen" in out
    password = one_time_password(out)
    assert mode(data) == 0o700
    for name in ("bloei.toml", "secret.key", "bloei.db"):
        assert mode(data / name) == 0o600, name
    assert mode(data / "keys") == 0o700
    assert sorted(p.name for p in (data / "keys").iterdir()) == [
        "ed25519-private.pem",
        "rsa-private.pem",
    ]
    assert all(mode(p) == 0o600 for p in (data / "keys").iterdir())
    assert (data / "media").is_dir()
    settings = load_settings(data, environ={})
    assert (settings.role, settings.name, settings.slug) == ("kern", "Beesd", "beesd")
    assert settings.public_url == "https://beesd.example"
    anna = users(data)["anna"]
    assert anna["role"] == "beheerder"
    assert anna["must_change_password"] == 1
    assert verify_password(anna["password_hash"], password)
    assert not verify_password(anna["password_hash"], password + "x")
    assert audit(data) == [("cli", "user.create", str(anna["id"]))]


def test_init_derives_the_slug_and_honours_an_explicit_one(tmp_path):
    auto, explicit = tmp_path / "a", tmp_path / "b"
    base = ["--url", "http://127.0.0.1:8001", "--port", "8123"]

    assert main(["init", "--name", "Heukelum & Spijk", "--data", str(auto), *base]) == 0
    assert (
        main(["init", "--name", "Heukelum", "--slug", "hkl", "--data", str(explicit), *base]) == 0
    )

    assert load_settings(auto, environ={}).slug == "heukelum-spijk"
    assert load_settings(auto, environ={}).port == 8123
    assert load_settings(explicit, environ={}).slug == "hkl"


def test_init_twice_refuses_and_keeps_the_node(node, capsys):
    before = (node / "secret.key").read_bytes()

    assert main(init_args(node)) == 1

    assert_one_error_line(capsys.readouterr().err, "already holds a node")
    assert (node / "secret.key").read_bytes() == before


def test_init_accepts_an_existing_empty_folder(tmp_path):
    tmp_path.joinpath("data").mkdir()
    assert main(init_args(tmp_path / "data")) == 0


def test_init_gemeente_makes_an_aggregator(tmp_path, capsys):
    data = tmp_path / "data"

    assert main(init_args(data, "--role", "gemeente")) == 0

    assert load_settings(data).role == "gemeente"
    assert "an Organization" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["ftp://beesd.example", "beesd.example", "https://x.example/pad"])
def test_init_with_a_bad_url_says_so_and_writes_nothing(tmp_path, capsys, url):
    data = tmp_path / "data"

    assert main(["init", "--name", "Beesd", "--url", url, "--data", str(data)]) == 1

    assert_one_error_line(capsys.readouterr().err, "public URL")
    assert not data.exists()


def test_init_with_a_bad_admin_name_writes_nothing(tmp_path, capsys):
    data = tmp_path / "data"

    assert main([*init_args(data), "--admin", "a b"]) == 1

    assert_one_error_line(capsys.readouterr().err, "user name")
    assert not data.exists()


@pytest.mark.parametrize("option", ["--name", "--admin-name"])
@pytest.mark.parametrize("value", ["Beesd\nrole = 'gemeente'", "Beesd\tWest", "Bee\rsd"])
def test_init_refuses_a_line_break_in_a_name_and_writes_nothing(tmp_path, capsys, option, value):
    data = tmp_path / "data"

    assert main([*init_args(data), option, value]) == 1

    assert_one_error_line(capsys.readouterr().err, f"{option} must be one line")
    assert not data.exists()


def test_settings_with_quotes_and_backslashes_read_back_the_same(tmp_path):
    values = {"role": "kern", "name": 'De "Pluk" \\ Beesd', "slug": "beesd", "port": 8001}
    values |= {"public_url": "https://beesd.example", "page_cache": False}
    create_secret(tmp_path)
    write_config(tmp_path, values)

    settings = load_settings(tmp_path, environ={})
    assert (settings.name, settings.port, settings.page_cache) == (values["name"], 8001, False)


def test_a_line_break_in_a_setting_from_the_environment_is_one_clear_error(tmp_path):
    write_config(tmp_path, {"role": "kern", "name": "Beesd", "public_url": "https://b.example"})
    create_secret(tmp_path)

    with pytest.raises(SettingsError, match="setting name must be one line"):
        load_settings(tmp_path, environ={"BLOEI_NAME": "Beesd\nWest"})


def test_init_that_fails_halfway_leaves_no_half_node(tmp_path, capsys, monkeypatch):
    def broken(folder):
        raise OSError(28, "No space left on device", str(folder))

    monkeypatch.setattr(init, "create_federation_keys", broken)
    data = tmp_path / "data"

    assert main(init_args(data)) == 1

    assert_one_error_line(capsys.readouterr().err, "no space left on device")
    assert not data.exists()


# --- data folder errors ----------------------------------------------------------------------


def test_missing_data_folder_is_one_line(tmp_path, capsys):
    assert main(["user", "list", "--data", str(tmp_path / "nergens")]) == 1
    assert_one_error_line(capsys.readouterr().err, "does not exist")


def test_folder_without_a_node_is_one_line(tmp_path, capsys):
    assert main(["backup", str(tmp_path / "b.tar.gz"), "--data", str(tmp_path)]) == 1
    assert_one_error_line(capsys.readouterr().err, "bloei init")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway")
def test_unreadable_data_folder_is_one_line(node, capsys):
    node.chmod(0)
    try:
        assert main(["user", "list", "--data", str(node)]) == 1
    finally:
        node.chmod(0o700)
    assert_one_error_line(capsys.readouterr().err, "not readable")


def test_data_defaults_to_bloei_data(node, capsys, monkeypatch):
    monkeypatch.setenv("BLOEI_DATA", str(node))

    assert main(["user", "list"]) == 0

    assert "anna" in capsys.readouterr().out


def test_data_defaults_to_dot_data(node, capsys, monkeypatch):
    monkeypatch.delenv("BLOEI_DATA", raising=False)
    monkeypatch.chdir(node.parent)

    assert main(["user", "list"]) == 0

    assert "anna" in capsys.readouterr().out


def test_broken_database_is_one_line(node, capsys):
    (node / "bloei.db").write_bytes(b"this is not a database" * 100)

    assert main(["user", "list", "--data", str(node)]) == 1

    assert_one_error_line(capsys.readouterr().err, "database")


# --- users -----------------------------------------------------------------------------------


def test_user_add_gives_a_one_time_password_and_an_audit_line(node, capsys):
    capsys.readouterr()
    args = ["user", "add", "bert", "--role", "redacteur", "--name", "Bert de Vries"]

    assert main([*args, "--email", "bert@example.org", "--data", str(node)]) == 0

    password = one_time_password(capsys.readouterr().out)
    bert = users(node)["bert"]
    assert (bert["role"], bert["display_name"], bert["email"]) == (
        "redacteur",
        "Bert de Vries",
        "bert@example.org",
    )
    assert bert["must_change_password"] == 1
    assert verify_password(bert["password_hash"], password)
    assert audit(node)[-1] == ("cli", "user.create", str(bert["id"]))


def test_user_add_refuses_a_name_that_exists_in_any_case(node, capsys):
    assert main(["user", "add", "ANNA", "--role", "redacteur", "--data", str(node)]) == 1

    assert_one_error_line(capsys.readouterr().err, "already exists")
    assert len(users(node)) == 1
    assert len(audit(node)) == 1


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--email", "a,bert@example.nl"], "e-mail address"),
        (["--email", "Bert <bert@example.nl>"], "e-mail address"),
        (["--name", "Bert\nde Vries"], "one line"),
    ],
)
def test_user_add_refuses_a_bad_email_or_a_name_of_two_lines(node, capsys, option, message):
    args = ["user", "add", "bert", "--role", "redacteur", *option, "--data", str(node)]
    assert main(args) == 1

    assert_one_error_line(capsys.readouterr().err, message)
    assert len(users(node)) == 1


def test_user_add_refuses_an_unknown_role(node):
    with pytest.raises(SystemExit) as exit_info:
        main(["user", "add", "bert", "--role", "baas", "--data", str(node)])
    assert exit_info.value.code == 2


def test_user_list_shows_a_table(node, capsys):
    main(["user", "add", "bert", "--role", "redacteur", "--name", "Bert", "--data", str(node)])
    main(["user", "add", "carla", "--role", "beheerder", "--data", str(node)])
    main(["user", "disable", "bert", "--data", str(node)])
    capsys.readouterr()

    assert main(["user", "list", "--data", str(node)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["USERNAME", "NAME", "ROLE", "STATUS", "LAST", "LOGIN"]
    assert [line.split() for line in lines[1:]] == [
        ["anna", "anna", "beheerder", "active", "never"],
        ["bert", "Bert", "redacteur", "disabled", "never"],
        ["carla", "carla", "beheerder", "active", "never"],
    ]


def test_the_last_active_beheerder_cannot_be_disabled(node, capsys):
    main(["user", "add", "bert", "--role", "redacteur", "--data", str(node)])
    audit_before = audit(node)

    assert main(["user", "disable", "anna", "--data", str(node)]) == 1

    assert_one_error_line(capsys.readouterr().err, "last active beheerder")
    assert users(node)["anna"]["disabled"] == 0
    assert audit(node) == audit_before


def test_a_disabled_beheerder_does_not_count_as_the_other_one(node, capsys):
    main(["user", "add", "carla", "--role", "beheerder", "--data", str(node)])
    assert main(["user", "disable", "carla", "--data", str(node)]) == 0

    assert main(["user", "disable", "anna", "--data", str(node)]) == 1

    assert "last active beheerder" in capsys.readouterr().err


def test_disable_and_enable_end_sessions_and_write_audit_lines(node, capsys):
    main(["user", "add", "carla", "--role", "beheerder", "--data", str(node)])
    open_session_for(node, "anna")
    open_session_for(node, "carla")

    assert main(["user", "disable", "anna", "--data", str(node)]) == 0
    anna = users(node)["anna"]
    assert anna["disabled"] == 1
    assert session_count(node, "anna") == 0
    assert session_count(node, "carla") == 1

    assert main(["user", "enable", "anna", "--data", str(node)]) == 0
    assert users(node)["anna"]["disabled"] == 0
    assert [row[1] for row in audit(node)[-2:]] == ["user.disable", "user.enable"]
    assert audit(node)[-1] == ("cli", "user.enable", str(anna["id"]))


def test_reset_password_ends_sessions_and_forces_a_change(node, capsys):
    before = users(node)["anna"]
    open_session_for(node, "anna")
    capsys.readouterr()

    assert main(["user", "reset-password", "anna", "--data", str(node)]) == 0

    password = one_time_password(capsys.readouterr().out)
    after = users(node)["anna"]
    assert verify_password(after["password_hash"], password)
    assert after["password_hash"] != before["password_hash"]
    assert after["must_change_password"] == 1
    assert session_count(node, "anna") == 0
    assert audit(node)[-1] == ("cli", "user.reset_password", str(after["id"]))


def test_reset_two_step_switches_it_off_for_a_lost_phone(node, capsys):
    with sqlite3.connect(node / "bloei.db") as conn:
        conn.row_factory = sqlite3.Row
        anna = conn.execute("SELECT id FROM users WHERE username = 'anna'").fetchone()["id"]
        conn.execute("UPDATE users SET two_step_pending_secret = ? WHERE id = ?", ("A" * 32, anna))
        assert two_step.confirm(conn, anna, two_step.code_at("A" * 32, time.time()), "nu")
    conn.close()
    capsys.readouterr()

    assert main(["user", "reset-two-step", "anna", "--data", str(node)]) == 0

    assert "Two-step sign-in is off for anna" in capsys.readouterr().out
    assert users(node)["anna"]["two_step_secret"] == ""
    assert audit(node)[-1] == ("cli", "user.two_step_reset", str(anna))
    assert main(["user", "reset-two-step", "anna", "--data", str(node)]) == 0
    assert "had no two-step sign-in" in capsys.readouterr().out


@pytest.mark.parametrize("action", ["disable", "enable", "reset-password", "reset-two-step"])
def test_unknown_user_is_one_line(node, capsys, action):
    assert main(["user", action, "niemand", "--data", str(node)]) == 1
    assert_one_error_line(capsys.readouterr().err, "no user named 'niemand'")


# --- serve -----------------------------------------------------------------------------------


def test_serve_settings_take_host_port_and_dev(node):
    args = cli.build_parser().parse_args(
        ["serve", "--data", str(node), "--host", "10.0.0.5", "--port", "8100", "--dev"]
    )
    settings = serve.serve_settings(args)
    assert (settings.host, settings.port, settings.dev) == ("10.0.0.5", 8100, True)

    plain = serve.serve_settings(cli.build_parser().parse_args(["serve", "--data", str(node)]))
    assert (plain.host, plain.port, plain.dev) == ("127.0.0.1", 8001, False)


def test_serve_on_an_occupied_port_is_one_line(node):
    with socket.socket() as occupied:
        occupied.bind(("127.0.0.1", 0))
        occupied.listen()
        port = occupied.getsockname()[1]
        command = [sys.executable, "-m", "node.cli", "serve", "--data", str(node)]
        result = subprocess.run(
            [*command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "BLOEI_DATA": ""},
        )
    assert result.returncode == 1
    assert result.stderr == f"bloei: port {port} on 127.0.0.1 is already in use\n"


def test_bind_socket_returns_a_bound_socket_for_a_free_port():
    sock = serve.bind_socket("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


# --- the command table -----------------------------------------------------------------------


def test_a_new_command_is_one_table_entry(monkeypatch, capsys):
    def configure(parser):
        parser.add_argument("--kern", default="Beesd")

    def run(args):
        print(f"demo for {args.kern}")
        return 7

    monkeypatch.setitem(COMMANDS, "demo", Command("a demo", configure, run))

    assert main(["demo", "--kern", "Deil"]) == 7
    assert capsys.readouterr().out == "demo for Deil\n"


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_os_errors_lose_their_errno_noise():
    error = OSError(28, "No space left on device", "/srv/backup.tar.gz")
    assert cli.describe(error) == "no space left on device: /srv/backup.tar.gz"
