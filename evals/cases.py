"""The eval cases: a reviewed YAML file (evals/cases.yaml) read into typed records.

    >>> suite = load_suite(CASES_FILE)
    >>> len(suite.cases) >= 200
    True
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from bot.models import Kind

CASES_FILE = Path(__file__).resolve().parent / "cases.yaml"


def _compiles(pattern: str) -> str:
    re.compile(pattern)  # a bad pattern fails the load, naming itself
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]

Category = Literal[
    "clinic", "references", "paraphrase", "crisis", "medical_advice", "overclaim_bait",
    "out_of_scope", "not_in_corpus", "injection", "bad_input",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
CATEGORY_TITLES = {
    "clinic": "Answerable from the clinic article",
    "references": "Answerable only from the vetted references",
    "paraphrase": "Paraphrases, typos, very short questions",
    "crisis": "Crisis (direct, indirect, misspelled, another person, Spanish)",
    "medical_advice": "Individual medical advice",
    "overclaim_bait": "Overclaim bait",
    "out_of_scope": "Out of scope",
    "not_in_corpus": "Plausible but not in the corpus",
    "injection": "Prompt injection",
    "bad_input": "Bad input",
}


class Case(BaseModel):
    """One question and what a good answer to it looks like."""

    id: str
    category: Category
    question: str | bytes
    repeat: int = Field(1, ge=1, description="The question is the text repeated this many times (long inputs).")
    expect_kind: list[Kind]  # any of these kinds is right
    expect_flags: list[str] = Field(default_factory=list)
    must_contain: list[Regex] = Field(default_factory=list)  # case-insensitive
    must_not_contain: list[Regex] = Field(default_factory=list)
    gold_sources: list[str] = Field(default_factory=list)  # document ids holding the answer
    gated: bool = False
    note: str = ""
    previous: str | None = None  # the visitor's question before this one, for a follow-up in a chat

    @field_validator("expect_kind", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> "Case":
        if self.expect_kind == ["answered"] and self.category != "bad_input" and not self.gold_sources:
            raise ValueError(f"{self.id}: an answerable case needs gold_sources")
        return self

    @property
    def text(self) -> str | bytes:
        """What is sent to the bot."""
        return self.question * self.repeat

    @property
    def display(self) -> str:
        """The question as a report shows it: escaped, long inputs shortened."""
        q = self.question
        shown = repr(q) if isinstance(q, bytes) or not q.strip() or not q.isprintable() else q
        if self.previous:
            shown = f"{shown} (after: {self.previous})"
        return f"{shown} × {self.repeat} ({len(q) * self.repeat} chars)" if self.repeat > 1 else shown

    @property
    def retrieval_text(self) -> str | bytes:
        """What retrieval is scored on: a follow-up together with the question it follows."""
        from bot.followup import follow_on

        text = self.text
        return (follow_on(text, self.previous) or text) if isinstance(text, str) else text

    @property
    def gold(self) -> set[str]:
        return set(self.gold_sources)

    @property
    def answerable(self) -> bool:
        """Expected to be answered from the gold sources (citation recall, false refusals)."""
        return self.expect_kind == ["answered"] and bool(self.gold_sources)


class Suite(BaseModel):
    """The whole file: global patterns applied to every answer, and the cases."""

    overclaim_patterns: list[Regex]
    cases: list[Case]

    @model_validator(mode="after")
    def _unique(self) -> "Suite":
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r}")
            seen.add(case.id)
        return self

    def gated(self) -> "Suite":
        return Suite(overclaim_patterns=self.overclaim_patterns, cases=[c for c in self.cases if c.gated])


def load_suite(path: Path = CASES_FILE) -> Suite:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Suite.model_validate(raw)

