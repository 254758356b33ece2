"""The two roles share node.web and the shared modules beside it, never each other: no module
under node/gemeente imports node.kern, and none under node/kern imports node.gemeente.

Read from the source with ast, so an import inside a function or under TYPE_CHECKING counts
as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NODE = Path(__file__).resolve().parent.parent / "node"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, relative imports resolved."""
    package = ".".join(path.relative_to(NODE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            # `from node import kern` imports the package by its name.
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def crossings(role: str, other: str) -> list[str]:
    """One line per import statement in `role` that reaches into `other`."""
    forbidden = f"node.{other}"
    found: dict[str, None] = {}
    for path in sorted((NODE / role).rglob("*.py")):
        for line, module in imported_modules(path):
            if module == forbidden or module.startswith(forbidden + "."):
                found.setdefault(f"{path.relative_to(NODE.parent)}:{line}")
    return list(found)


@pytest.mark.parametrize(("role", "other"), [("gemeente", "kern"), ("kern", "gemeente")])
def test_a_role_never_imports_the_other(role, other):
    assert crossings(role, other) == []


def test_the_guard_sees_every_form_of_import(tmp_path, monkeypatch):
    package = tmp_path / "node"
    (package / "gemeente").mkdir(parents=True)
    (package / "gemeente" / "a.py").write_text("import node.kern.search\n")
    (package / "gemeente" / "b.py").write_text("from node import kern\n")
    (package / "gemeente" / "c.py").write_text("def f():\n    from ..kern import vocabulary\n")
    (package / "gemeente" / "d.py").write_text("from node.kernen import x\nimport node.web\n")
    monkeypatch.setattr(__import__(__name__), "NODE", package)
    found = crossings("gemeente", "kern")
    assert [line.split(":")[0] for line in found] == [
        "node/gemeente/a.py",
        "node/gemeente/b.py",
        "node/gemeente/c.py",
    ]
