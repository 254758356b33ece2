"""`bloei init`, `bloei demo` and `bloei pilot` make a node the same way: through
node.commands.init.create_node, which the `init` command only wraps. Demo and pilot do not
go through the CLI's argv, and none of these modules hides an import inside a function.
"""

from __future__ import annotations

import ast
import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from node import demo, pilot
from node.cli import main
from node.commands import init
from node.commands.init import BadNodeInput, create_node
from node.settings import SettingsError, load_settings
from node.web.auth import verify_password

ROOT = Path(__file__).resolve().parents[1]
# The modules of the `bloei` command and what it starts.
COMMAND_MODULES = sorted(
    [ROOT / "node" / "pilot.py", ROOT / "node" / "demo.py", ROOT / "node" / "sites.py"]
    + list((ROOT / "node" / "commands").glob("*.py"))
)
# A comment on the line above an import inside a function, saying why it is lazy on purpose.
LAZY_MARK = "# lazy import:"


def imports_in(path: Path) -> list[tuple[ast.Import | ast.ImportFrom, str | None]]:
    """Every import in the module, with the function it is in (None at module level)."""
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, function))
            inner = (
                child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else None
            )
            visit(child, inner or function)

    visit(ast.parse(path.read_text()), None)
    return found


def imported_names(statement: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names]
    base = statement.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in statement.names]


def users(folder: Path) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(folder / "bloei.db")
    conn.row_factory = sqlite3.Row
    try:
        return {row["username"]: row for row in conn.execute("SELECT * FROM users")}
    finally:
        conn.close()


def audit(folder: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(folder / "bloei.db")
    try:
        return conn.execute("SELECT username, action FROM audit_log ORDER BY id").fetchall()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the modules' imports ------------------------------------------------------------------


@pytest.mark.parametrize("path", [ROOT / "node" / "demo.py", ROOT / "node" / "pilot.py"])
def test_demo_and_pilot_never_import_the_cli(path):
    for statement, _ in imports_in(path):
        names = imported_names(statement)
        assert not any(name == "node.cli" or name.startswith("node.cli.") for name in names), (
            f"{path.name}:{statement.lineno} imports the CLI: {names}"
        )
        if isinstance(statement, ast.ImportFrom) and statement.module == "node":
            assert "cli" not in [alias.name for alias in statement.names], path.name


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda path: path.name)
def test_no_import_hides_inside_a_function(path):
    lines = path.read_text().splitlines()
    hidden = [
        f"{path.name}:{statement.lineno} in {function}()"
        for statement, function in imports_in(path)
        if function is not None and LAZY_MARK not in lines[statement.lineno - 2]
    ]
    assert not hidden, f"imports inside functions, without a {LAZY_MARK!r} reason: {hidden}"


# --- create_node, the one path -------------------------------------------------------------


def test_create_node_returns_what_it_made(tmp_path):
    folder = tmp_path / "heukelum"

    node = create_node(
        folder,
        name=" Heukelum ",
        public_url="https://heukelum.example",
        admin="wim",
        admin_name="Wim Verhoeven",
        more_settings={"delivery_retry_seconds": 2},
    )

    assert node.folder == folder
    assert (node.settings.name, node.settings.slug, node.settings.role) == (
        "Heukelum",
        "heukelum",
        "kern",
    )
    assert load_settings(folder, environ={}).delivery_retry_seconds == 2
    wim = users(folder)["wim"]
    assert (wim["display_name"], wim["role"], wim["must_change_password"]) == (
        "Wim Verhoeven",
        "beheerder",
        1,
    )
    assert verify_password(wim["password_hash"], node.password)
    assert mode(folder / "bloei.toml") == 0o600
    assert all(mode(key) == 0o600 for key in (folder / "keys").iterdir())


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "Beesd\nrole = 'gemeente'"}, "name"),
        ({"admin_name": "Beheer\tBeesd"}, "admin_name"),
        ({"role": "provincie"}, "role"),
        ({"port": 0}, "port"),
        ({"more_settings": {"role": "gemeente"}}, "more_settings"),
    ],
)
def test_bad_input_is_one_clear_error_naming_the_field_and_writes_nothing(tmp_path, given, field):
    folder = tmp_path / "data"
    arguments = {"name": "Beesd", "public_url": "https://beesd.example", **given}

    with pytest.raises(BadNodeInput) as raised:
        create_node(folder, **arguments)

    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field} ")
    assert not folder.exists()


def test_a_wrong_extra_setting_leaves_no_half_node(tmp_path):
    folder = tmp_path / "data"

    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        create_node(
            folder, name="Beesd", public_url="https://b.example", more_settings={"colour": 1}
        )

    assert not folder.exists()


def test_the_cli_names_the_option_where_create_node_names_the_parameter(tmp_path, capsys):
    argv = ["init", "--name", "Beesd", "--url", "https://b.example", "--data", str(tmp_path / "d")]

    assert main([*argv, "--admin-name", "Beheer\nBeesd"]) == 1

    assert capsys.readouterr().err == (
        "bloei: --admin-name must be one line, without line breaks or tabs\n"
    )


def no_space(folder: Path) -> None:
    raise OSError(28, "No space left on device", str(folder))


def test_a_failure_in_init_reaches_the_cli_demo_and_pilot_alike(tmp_path, monkeypatch, capsys):
    # One fault in the one path: each of the three commands meets it, as itself, and leaves
    # no half node behind.
    monkeypatch.setattr(init, "create_federation_keys", no_space)
    gemeente = pilot.PilotNode("gemeente", "Gemeente", "gemeente", "gemeente", 8000, tmp_path / "g")
    beesd = pilot.PilotNode("beesd", "Beesd", "kern", "beesd", 8001, tmp_path / "pilot-beesd")

    argv = ["init", "--name", "Beesd", "--url", "https://b.example"]
    assert main([*argv, "--data", str(tmp_path / "cli")]) == 1
    assert capsys.readouterr().err == f"bloei: no space left on device: {tmp_path / 'cli'}\n"
    with pytest.raises(OSError, match="No space left on device"):
        demo.create_demo(tmp_path / "demo", 8001)
    with pytest.raises(OSError, match="No space left on device"):
        pilot._create(beesd, gemeente)

    for folder in ("cli", "demo", "pilot-beesd"):
        assert not (tmp_path / folder).exists(), folder


def test_the_demo_node_is_an_init_node_with_sample_data_and_a_demo_login(tmp_path):
    folder = tmp_path / "demo"

    demo.create_demo(folder, 8123)

    settings = load_settings(folder, environ={})
    assert (settings.name, settings.slug, settings.public_url, settings.port) == (
        "Beesd",
        "beesd",
        "http://127.0.0.1:8123",
        8123,
    )
    beheer = users(folder)[demo.ADMIN]
    assert beheer["must_change_password"] == 0
    assert verify_password(beheer["password_hash"], (folder / demo.LOGIN_FILE).read_text())
    assert mode(folder / demo.LOGIN_FILE) == 0o600
    # The same first audit line as `bloei init` writes, then the sample's own.
    assert audit(folder)[0] == ("cli", "user.create")
    conn = sqlite3.connect(folder / "bloei.db")
    try:
        assert conn.execute("SELECT count(*) FROM projects").fetchone()[0] > 0
    finally:
        conn.close()


def test_the_pilot_gemeente_gets_its_pull_interval_at_creation(tmp_path):
    gemeente = pilot.PilotNode("gemeente", "Gemeente", "gemeente", "gemeente", 8000, tmp_path / "g")

    pilot._create(gemeente, gemeente)

    settings = load_settings(gemeente.folder, environ={})
    assert (settings.role, settings.pull_interval_seconds) == ("gemeente", 60)
    beheer = users(gemeente.folder)[pilot.ADMIN]
    assert beheer["must_change_password"] == 0
    assert verify_password(
        beheer["password_hash"], (gemeente.folder / pilot.LOGIN_FILE).read_text()
    )


def test_a_half_made_demo_is_one_clear_line(tmp_path, capsys):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "bloei.toml").write_text("")

    assert main(["demo", "--data", str(folder), "--port", str(free_port())]) == 1

    assert capsys.readouterr().err == (
        f"bloei: {folder} was left half made; start over with --fresh\n"
    )
