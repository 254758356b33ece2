"""What a serving node loads at start: heavy libraries used only now and then (pyld for a
peer's JSON-LD keys, fpdf2 for a PDF poster, Pillow for an upload) wait until they are needed, and Babel, whose
first date would load its whole Dutch locale database, is not used by a serving node at all
(node/web/dutch_format.py), so a kern stays within its memory budget (bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOADED = """
import sys
import node.asgi, node.app, node.kern.routes, node.gemeente.routes
print(" ".join(sorted(name for name in ("pyld", "requests", "fpdf", "babel", "PIL") if name in sys.modules)))
"""


def test_a_node_starts_without_the_heavy_rarely_used_libraries():
    # A fresh interpreter: the test session itself has imported everything long ago.
    found = subprocess.run(
        [sys.executable, "-c", LOADED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert found.stdout.split() == []


ONE_ROLE = """
import sys
from node.app import role_wiring
role_wiring(sys.argv[1])
other = {"kern": "node.gemeente", "gemeente": "node.kern"}[sys.argv[1]]
print(" ".join(sorted(name for name in sys.modules if name.startswith(other))))
"""


def test_a_node_loads_only_its_own_role():
    """A kern's process holds none of the gemeente's modules (its read model, calendar and
    data-file checks: some 10 MB), and a gemeente's none of the kern's."""
    for role in ("kern", "gemeente"):
        found = subprocess.run(
            [sys.executable, "-c", ONE_ROLE, role],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert found.stdout.split() == [], role
