"""Interface texts and crisis resources: read defensively, 988 always present."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import Clinic
from bot.ui.content import CRISIS_FILE, LIFELINE, actions_from, crisis_resources, redact, ui_text


def test_ui_text_fills_clinic_name_and_has_examples() -> None:
    text = ui_text(Clinic(name="Calm Clinic"))
    assert "Calm Clinic" in text["subtitle"] and text.examples
    assert "not medical advice" in text["notice"]


def test_repository_crisis_file_gives_988_first_with_call_and_text() -> None:
    resources = crisis_resources()
    assert resources[0].call == "988" and resources[0].text == "988"


def test_repository_crisis_buttons_agree_with_the_reviewed_text() -> None:
    """The explicit call/text fields dial exactly what each entry's `how` sentence tells the visitor."""
    raw = yaml.safe_load(CRISIS_FILE.read_text())["resources"]
    assert all("call" in e or "text" in e for e in raw)  # every button is stated, not guessed
    for entry, resource in zip(raw, crisis_resources()):
        for field, value in actions_from(entry["how"]).items():
            assert getattr(resource, field) == value, (entry["name"], field)


@pytest.mark.parametrize("content", [None, "", "::: not yaml [", "resources: 3", "- just a string",
                                     "resources:\n  - {how: no name}\n"])
def test_unusable_crisis_file_falls_back_to_988(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "crisis_resources.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert crisis_resources(path) == (LIFELINE,)


def test_structured_and_prose_entries(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("resources:\n"
                    "  - {name: Local line, call: '555-0100', url: 'https://local.example'}\n"
                    "  - {name: Text line, how: 'Text HOME to 741741. Free.'}\n", encoding="utf-8")
    local, lifeline, text_line = (crisis_resources(path)[i] for i in (1, 0, 2))
    assert lifeline == LIFELINE  # added first: the file named no 988 service
    assert local.call == "555-0100" and local.url == "https://local.example"
    assert (text_line.text, text_line.text_body) == ("741741", "HOME")


def test_redact_masks_contact_details() -> None:
    out = redact("I'm jo@example.org, call 555-123-4567")
    assert "jo@example.org" not in out and "555-123-4567" not in out
