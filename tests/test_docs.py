"""Documentation that must keep up with the code."""

from __future__ import annotations

from pathlib import Path

from node.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    documented = (ROOT / "docs" / "settings.md").read_text()
    hidden = {"data_dir", "secret_key", "extra"}
    missing = [
        name
        for name in Settings.__dataclass_fields__
        if name not in hidden and f"`{name}`" not in documented
    ]
    assert not missing, f"document these settings in docs/settings.md: {missing}"


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
