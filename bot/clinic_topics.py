"""What only the clinic can say: recognise questions about its own prices, insurance, booking, place and
hours, what to bring, who is in the room, how it runs its sessions and integration visits, and its staff.

Patterns are reviewed data (bot/data/clinic_topics.yaml); a question asked of the clinic itself that no topic
names gets the file's `other` topic (its own pattern); the learned recogniser (bot/clinic_model.py) adds the
wording they miss, and lends such a question the topic of the closest labelled one, else the `other` topic.
A recognised question is answered from the clinic's
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

import numpy as np

from bot import yamlfile
from bot.clinic_model import ClinicModel
from bot.config import DATA_DIR
from bot.guards.normalise import fold

TOPICS_FILE = DATA_DIR / "clinic_topics.yaml"


@dataclass(frozen=True)
class ClinicTopic:
    name: str
    label: str  # finishes the sentence "<clinic> can tell you about …"
    pattern: re.Pattern[str] | None  # None: only the learned recogniser gives this topic
    addressed: re.Pattern[str] | None = None  # `other` only: asked of the clinic, about no named topic

    @property
    def template_key(self) -> str:
        return f"clinic_topic:{self.name}"


def load_topics(path: Path = TOPICS_FILE) -> list[ClinicTopic]:
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    try:
        topics = [ClinicTopic(str(t["name"]), str(t["label"]), re.compile(t["pattern"])) for t in raw["topics"]]
        other = raw["other"]
        addressed = re.compile(other["pattern"]) if other.get("pattern") else None
        return topics + [ClinicTopic(str(other["name"]), str(other["label"]), None, addressed)]
    except (KeyError, TypeError, re.error) as exc:
        raise ValueError(f"{path.name}: each topic needs name, label and a valid pattern, and `other` a name "
                         f"and label ({exc})") from exc


def recognise(question: str, topics: list[ClinicTopic], model: ClinicModel | None = None,
              vec: np.ndarray | None = None, bar: float | None = None) -> ClinicTopic | None:
    """The first topic whose pattern matches the folded question; else the `other` topic when the question is
    asked of the clinic itself (its pattern); else, when the learned model (given the question's embedding)
    takes it, the topic of the closest labelled question, or the `other` topic. An asked-of-the-clinic question
    keeps the `other` topic: the closest labelled question names its topic for only 23 of the 63 clinic-batch
    questions it alone takes ("does your clinic have references on the trials?" would read as insurance).
    `bar`: the model's probability needed, when not its own bar (a lower one where a wrong topic costs only
    the wording of a reply that has no answer anyway: `Settings.clinic_fallback_probability`).

    >>> topics = load_topics()
    >>> recognise("is your prescriber an MD or a nurse practitioner", topics).name
    'practice'
    >>> recognise("can you do ketamine while on adderall", topics) is None
    True
    """
    folded = fold(question)
    found = next((t for t in topics if t.pattern is not None and t.pattern.search(folded)), None)
    if found:
        return found
    other = next((t for t in topics if t.pattern is None), None)
    if other is not None and other.addressed is not None and other.addressed.search(folded):
        return other
    if model is None or vec is None or model.probability(question, vec) < (model.bar if bar is None else bar):
        return None
    name = model.nearest_topic(vec)
    return next((t for t in topics if t.name == name), other)


def topic_templates(template: str, topics: list[ClinicTopic]) -> dict[str, str]:
    """One filled text per topic, keyed by ClinicTopic.template_key: every line a visitor sees is a whole
    reviewed template, so the evaluation can check it as one."""
    return {t.template_key: template.replace("{topic}", t.label) for t in topics}
