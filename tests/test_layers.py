"""Which part of the node may import which: node/web is the HTTP layer, below the roles.

Read from the source with ast (every import, also one inside a function), so a cycle
cannot hide behind an import placed in a function body.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file, as dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from node.web import auth` imports the module node.web.auth.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for path in NODE.rglob("*.py")}


def reachable(start: str, modules: dict[str, Path]) -> set[str]:
    """The project modules that importing `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        todo.extend(imported(modules[name]))
    return seen


def test_guards_import_nothing_that_renders():
    modules = project_modules()
    for guard in ("node.web.auth", "node.web.csrf"):
        below = reachable(guard, modules)
        assert "node.web.errors" not in below, guard
        assert "node.web.templating" not in below, guard


def test_the_web_layer_has_no_import_cycle():
    modules = project_modules()
    web = sorted(name for name in modules if name.startswith("node.web."))
    for name in web:
        others = {m for m in imported(modules[name]) if m in modules and m != name}
        for other in others:
            assert name not in reachable(other, modules), f"{name} -> {other} -> ... -> {name}"


def test_the_web_layer_imports_no_role():
    for path in (NODE / "web").rglob("*.py"):
        for name in imported(path):
            assert not name.startswith(("node.kern", "node.gemeente")), (path.name, name)


def test_settings_import_nothing_from_the_web_layer():
    for name in imported(NODE / "settings.py"):
        assert not name.startswith("node.web"), name


def test_mail_jobs_remote_client_and_schema_live_outside_the_web_layer():
    moved = ("mail", "mailer", "worker", "remote", "schema", "diskwatch", "email_address")
    for stem in moved:
        assert not (NODE / "web" / f"{stem}.py").exists(), stem
    old = {f"node.web.{stem}" for stem in moved}
    for folder in ("node", "tests", "bench", "deploy"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not imported(path) & old, path
