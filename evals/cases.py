"""The eval cases: a reviewed YAML file (evals/cases.yaml) read into typed records, and the held-apart
cases (evals/heldout/*.yaml, same format), written by people who never saw the rules.

    >>> suite = load_suite(CASES_FILE)
    >>> len(suite.cases) >= 200 and all(c.id in suite.ids for c in suite.cases)
    True
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from bot import yamlfile
from bot.models import Kind

CASES_FILE = Path(__file__).resolve().parent / "cases.yaml"
HELDOUT_DIR = Path(__file__).resolve().parent / "heldout"


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


class Quote(BaseModel):
    """A corpus sentence, by document and exact text (whitespace aside)."""

    doc: str
    text: str


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
    # sentence-level gold, written by someone who read the corpus and never saw the bot's answers:
    gold_quotes: list[Quote] = Field(default_factory=list)  # sentences that directly answer the question
    related_quotes: list[Quote] = Field(default_factory=list)  # on its topic: fine as context or balance
    intent: str = ""  # what the visitor wants to know (held-apart patient questions)
    clinic_topic: str = ""  # for a question only the clinic can answer: which of its topics (bot/data/clinic_topics.yaml)
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
    def gold_texts(self) -> set[str]:
        """The gold sentences, whitespace folded: what a quoted answer sentence is compared with."""
        return {" ".join(q.text.split()) for q in self.gold_quotes}

    @property
    def on_topic_texts(self) -> set[str]:
        """Gold and related sentences: what a balance line must be one of to be on the question's topic."""
        return self.gold_texts | {" ".join(q.text.split()) for q in self.related_quotes}

    @property
    def answerable(self) -> bool:
        """Expected to be answered from the gold sources (citation recall, false refusals)."""
        return self.expect_kind == ["answered"] and bool(self.gold_sources)


class CaseFile(BaseModel):
    """A file of cases: cases.yaml, or a held-apart file (which may leave out the suite-wide keys)."""

    cases: list[Case]

    @model_validator(mode="after")
    def _unique(self) -> "CaseFile":
        _no_duplicates([c.id for c in self.cases])
        return self

    @property
    def ids(self) -> set[str]:
        return {c.id for c in self.cases}


class Suite(CaseFile):
    """cases.yaml: the cases, the patterns applied to every answer, and the allow-list."""

    overclaim_patterns: list[Regex] = Field(min_length=1)
    # sentences of the clinic article that must never reach a visitor verbatim and unqualified
    marketing_sentences: list[str] = Field(default_factory=list)
    # case id -> one-line reason: the only cases allowed to fail (make test); everything else must pass
    allow_fail: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _allow_list(self) -> "Suite":
        for case_id, reason in self.allow_fail.items():
            if case_id not in self.ids:
                raise ValueError(f"allow_fail names an unknown case {case_id!r}")
            if not reason.strip() or "\n" in reason.strip():
                raise ValueError(f"allow_fail[{case_id!r}]: give a one-line reason")
        return self

    def gated(self) -> "Suite":
        return self.model_copy(update={"cases": [c for c in self.cases if c.gated]})


def _no_duplicates(ids: list[str]) -> None:
    seen: set[str] = set()
    for case_id in ids:
        if case_id in seen:
            raise ValueError(f"duplicate case id {case_id!r}")
        seen.add(case_id)


def load_suite(path: Path = CASES_FILE) -> Suite:
    """Raises ValueError (pydantic's ValidationError is one) naming what is wrong with the file."""
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    return Suite.model_validate(raw if raw is not None else {})


def load_case_file(path: Path) -> list[Case]:
    """The cases of one file in the held-apart format; a ValueError names the file."""
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    try:
        return CaseFile.model_validate(raw if raw is not None else {}).cases
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def load_heldout(directory: Path = HELDOUT_DIR, taken: set[str] = frozenset()) -> list[Case]:
    """Every case of the held-apart files (*.yaml, sorted), [] when there are none. Ids must be unique
    across the files and must not reuse an id of the suite (`taken`)."""
    cases = [c for path in (sorted(directory.glob("*.yaml")) if directory.is_dir() else []) for c in load_case_file(path)]
    ids = [c.id for c in cases]
    _no_duplicates(ids)
    if clash := sorted(set(ids) & set(taken)):
        raise ValueError(f"held-apart ids reuse suite ids: {', '.join(clash)}")
    return cases


def questions(cases: list[Case]) -> dict[str, str]:
    """Every text a case sends to the bot, keyed by case id ("<id> previous" for the previous question)."""
    out: dict[str, str] = {}
    for c in cases:
        q = c.question
        out[c.id] = q if isinstance(q, str) else q.decode("utf-8", "replace")
        if c.previous:
            out[f"{c.id} previous"] = c.previous
    return out
