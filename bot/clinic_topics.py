"""What only the clinic can say: recognise questions about its own prices, insurance, booking, place and
hours, what to bring, who is in the room, how it runs its sessions and integration visits, and its staff.

Patterns are reviewed data (bot/data/clinic_topics.yaml). A recognised question is answered from the clinic's
own reviewed statements when they say something relevant, else with the fixed text "<clinic> can tell you
about <topic>", never with a research quote that merely shares a word, and never with an invented fact.

    >>> topics = load_topics()
    >>> recognise("How much does a session cost?", topics).label
    'costs and payment'
    >>> recognise("Do you take Blue Cross?", topics).name, recognise("What is KAP?", topics) is None
    ('insurance', True)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


from bot import yamlfile
from bot.config import DATA_DIR
from bot.guards.normalise import fold

TOPICS_FILE = DATA_DIR / "clinic_topics.yaml"


@dataclass(frozen=True)
class ClinicTopic:
    name: str
    label: str  # finishes the sentence "<clinic> can tell you about …"
    pattern: re.Pattern[str]

    @property
    def template_key(self) -> str:
        return f"clinic_topic:{self.name}"


def load_topics(path: Path = TOPICS_FILE) -> list[ClinicTopic]:
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    try:
        return [ClinicTopic(str(t["name"]), str(t["label"]), re.compile(t["pattern"])) for t in raw["topics"]]
    except (KeyError, TypeError, re.error) as exc:
        raise ValueError(f"{path.name}: each topic needs name, label and a valid pattern ({exc})") from exc


def recognise(question: str, topics: list[ClinicTopic]) -> ClinicTopic | None:
    """The first topic whose pattern matches the folded question."""
    folded = fold(question)
    return next((t for t in topics if t.pattern.search(folded)), None)


def topic_templates(template: str, topics: list[ClinicTopic]) -> dict[str, str]:
    """One filled text per topic, keyed by ClinicTopic.template_key: every line a visitor sees is a whole
    reviewed template, so the evaluation can check it as one."""
    return {t.template_key: template.replace("{topic}", t.label) for t in topics}
