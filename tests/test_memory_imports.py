"""What a serving node loads at start: heavy libraries used only now and then (pyld for a
peer's JSON-LD keys, fpdf2 for a PDF poster) wait until they are needed, so a kern stays
within its memory budget (bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOADED = """
import sys
import node.asgi, node.app, node.kern.routes, node.gemeente.routes
print(" ".join(sorted(name for name in ("pyld", "requests", "fpdf") if name in sys.modules)))
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
