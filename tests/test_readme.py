"""The README a newcomer reads first: its set-up commands, its sections, and a line for every module of bot/."""
from __future__ import annotations

import re

from bot.config import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_it_starts_with_the_set_up_and_keeps_every_section():
    head = README[: README.index("## ")]
    assert "make run" in head and "make test" in head
    sections = re.findall(r"(?m)^## (.+)$", README)
    for name in ("Example", "How it works", "Safety", "Evaluation", "Speed", "The app", "Configuration", "Files", "Tests"):
        assert name in sections, f"README.md lost its section {name!r}"


def test_the_files_section_names_every_module_of_the_bot():
    files = README[README.index("## Files"): README.index("## Tests")]
    missing = [p.name for p in sorted((ROOT / "bot").glob("*.py"))
               if p.name != "__init__.py" and not re.search(rf"(?m)^\s+{re.escape(p.name)}\s", files)]
    assert not missing, f"README.md, section Files: add {missing}"
