"""Plain data shared by every stage: one `Turn` record per question, filled stage by stage.

The CLI, the UI, the evals and the staff trace all read the same record; `Turn.contract()`
is the stable public shape (see README, "Contract").
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["answered", "no_answer", "crisis", "needs_clinician", "out_of_scope", "invalid_input"]
KINDS: tuple[str, ...] = ("answered", "no_answer", "crisis", "needs_clinician", "out_of_scope", "invalid_input")

EvidenceType = Literal[
    "clinic article", "clinic", "regulatory", "guideline", "RCT", "meta-analysis", "review",
    "government health page", "observational", "experimental", "drug reference",
]


class DocMeta(BaseModel):
    """A corpus document's front matter."""

    id: str
    title: str
    publisher: str | None = None
    authors: str | None = None
    year: int | None = None
    url: str | None = None
    doi: str | None = None
    evidence_type: EvidenceType
    last_reviewed: str
    path: str = ""  # path relative to the corpus directory

    @property
    def is_clinic(self) -> bool:
        """The clinic's marketing article: its claims are balanced by the vetted references."""
        return self.evidence_type == "clinic article"

    @property
    def is_clinic_statement(self) -> bool:
        """A clinic-written, reviewed statement about its own practice (costs, sessions, …)."""
        return self.evidence_type == "clinic"

    @property
    def link(self) -> str | None:
        return self.url or (f"https://doi.org/{self.doi}" if self.doi else None)


class Sentence(BaseModel):
    """One sentence of a chunk, exactly as it stands in the corpus file."""

    id: int  # row in the index's sentence matrix
    chunk_id: str
    doc_id: str
    text: str


class Chunk(BaseModel):
    id: str
    doc_id: str
    section: str
    text: str


class ScoredChunk(BaseModel):
    """A retrieved chunk with the scores of each retriever and the fused score."""

    chunk_id: str
    doc_id: str
    section: str = ""
    text: str = ""
    dense: float | None = None  # cosine similarity, higher is closer
    dense_rank: int | None = None
    lexical: float | None = None  # BM25 score
    lexical_rank: int | None = None
    fused: float = 0.0  # reciprocal-rank fusion score


class GuardVerdict(BaseModel):
    """What one guard decided. `kind` is set only when the guard ends the turn."""

    name: str
    fired: bool
    kind: Kind | None = None
    reason: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)


class Evidence(BaseModel):
    """A sentence chosen for the answer, with why it was chosen."""

    sentence_id: int
    doc_id: str
    chunk_id: str
    text: str
    score: float
    role: Literal["answer", "balance", "context", "replacement"] = "answer"
    probability: float | None = None  # the learned sentence scorer's, that it answers the question (bot/sentence_model.py)


class CardMatch(BaseModel):
    """The FAQ card closest to the question, the runner-up, and whether the card answers (bot/match.py)."""

    card_id: str | None = None
    score: float = 0.0
    runner_up: str | None = None
    runner_up_score: float = 0.0
    matched: bool = False
    via: str = ""  # "similarity" (the calibrated rule) or "classifier" (bot/card_model.py), when matched;
    # "nearest, not covered" when an unmatched not-covered card declines (bot/match.py declines_as_not_covered)
    probability: float | None = None  # the card classifier's, when it was asked
    not_covered: bool = False  # the card is a not-covered card: the sources do not answer its questions


class Citation(BaseModel):
    n: int
    source: str  # document id
    title: str
    url: str | None = None
    quote: str  # verbatim from the corpus file
    publisher: str | None = None
    year: int | None = None
    evidence_type: str | None = None


class Turn(BaseModel):
    """The one record per question. Stages fill it top to bottom."""

    question: str
    kind: Kind = "no_answer"
    answer: str = ""
    citations: list[Citation] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0
    # trace, for staff and evals
    guards: list[GuardVerdict] = Field(default_factory=list)
    retrieved: list[ScoredChunk] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    follow_up_of: str = ""  # the previous question, when this one was read as its follow-up
    matched_on: str = ""  # the question part the card was matched on, when the whole message matched none (bot/focus.py)
    card: CardMatch | None = None  # the FAQ card match, when cards were consulted
    question_type: str = ""  # the kind of question recognised for evidence selection ("session_length", …)
    clinic_topic: str = ""  # a topic only the clinic can answer ("costs and payment"), when recognised
    clinic_reply_only: bool = False  # the topic chose only the no-answer's wording (below the recogniser's own bar)
    answer_probability: float | None = None  # the sentence scorer's best, over the retrieved candidates

    def contract(self) -> dict[str, Any]:
        """The stable public JSON shape."""
        return {
            "question": self.question,
            "kind": self.kind,
            "answer": self.answer,
            "citations": [
                {"n": c.n, "source": c.source, "title": c.title, "url": c.url, "quote": c.quote}
                for c in self.citations
            ],
            "flags": list(self.flags),
            "latency_ms": round(self.latency_ms, 2),
        }
