"""Writing a benchmark's run into bench/README.md, newest first under the benchmark's marker."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def record(marker: str, text: str, readme: Path = README) -> None:
    """Put `text` right under `marker` (an HTML comment naming the benchmark), or add the
    marker and the text at the end the first time."""
    content = readme.read_text(encoding="utf-8")
    if marker in content:
        content = content.replace(marker, marker + "\n\n" + text.strip() + "\n", 1)
    else:
        content = content.rstrip() + f"\n\n{marker}\n\n{text.strip()}\n"
    readme.write_text(content, encoding="utf-8")
