"""FAQ answer cards: reviewed answers to the questions patients ask most (corpus/faq/*.yaml, one per topic).

A card lists the ways patients ask one question and the 1–3 corpus sentences that answer it, by document
and exact text, plus optional balance sentences. A **not-covered card** (`not_covered: true`, no answer) lists
the ways patients ask a question the vetted sources do not answer (ketamine for migraines, drug tests): matched
like any card, it tells the visitor so plainly, instead of letting retrieval quote loosely related sentences. Every word shown is still a verbatim, cited corpus
sentence: the index build resolves each card sentence to the corpus sentence it names and refuses a card
whose sentence has drifted from its document, naming the card and the sentence.

    >>> card = Card.model_validate({"id": "what-is-kap", "topic": "what KAP is", "questions": ["What is KAP?"] * 7,
    ...     "answer": [{"doc": "d", "text": "KAP combines ketamine with talk therapy."}],
    ...     "reviewed_by": "Dr. A", "last_reviewed": "2026-11-30"})
    >>> card.canonical
    'What is KAP?'
"""
from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from bot import yamlfile
from bot.corpus import field_error
from bot.errors import CorpusError
from bot.models import Sentence

FAQ_DIR = "faq"  # under the corpus directory
MIN_QUESTIONS = 7  # the canonical question and at least six paraphrases
MAX_ANSWER = 3
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class CardSentence(BaseModel):
    doc: str = Field(min_length=1)
    text: str = Field(min_length=1)


class Card(BaseModel):
    id: str
    topic: str = Field(min_length=1)
    questions: list[str] = Field(min_length=MIN_QUESTIONS)
    not_covered: bool = False  # the vetted sources do not answer these questions: the visitor is told so
    answer: list[CardSentence] = Field(default_factory=list, max_length=MAX_ANSWER, validate_default=True)
    balance: list[CardSentence] = Field(default_factory=list)
    reviewed_by: str = Field(min_length=1)
    last_reviewed: date | str
    path: str = ""  # relative to the corpus directory

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("lowercase words joined by hyphens")
        return v

    @field_validator("questions")
    @classmethod
    def _non_blank(cls, v: list[str]) -> list[str]:
        cleaned = [" ".join(str(q).split()) for q in v]
        if not all(cleaned):
            raise ValueError("a question is empty")
        return cleaned

    @field_validator("answer", "balance")
    @classmethod
    def _answer_or_not_covered(cls, v: list[CardSentence], info: ValidationInfo) -> list[CardSentence]:
        if info.data.get("not_covered") and v:
            raise ValueError("a not-covered card has no answer or balance sentences")
        if info.field_name == "answer" and not info.data.get("not_covered") and not v:
            raise ValueError("at least 1 sentence (or not_covered: true)")
        return v

    @property
    def canonical(self) -> str:
        return self.questions[0]

    @property
    def answer_texts(self) -> frozenset[str]:
        """The answer sentences, whitespace folded: what a judge's gold sentence is compared with."""
        return frozenset(fold_text(a.text) for a in self.answer)


def fold_text(text: str) -> str:
    return " ".join(text.split())


def card_files(corpus_dir: Path) -> list[Path]:
    folder = corpus_dir / FAQ_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_card(path: Path, corpus_dir: Path) -> Card:
    rel = str(path.relative_to(corpus_dir))
    try:
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(f"{rel}: cannot read as a YAML card ({exc})") from exc
    if not isinstance(raw, dict):
        raise CorpusError(f"{rel}: expected key: value pairs")
    try:
        card = Card.model_validate({**raw, "path": rel})
    except ValidationError as exc:
        raise field_error(rel, exc, "card") from exc
    if card.id != path.stem:
        raise CorpusError(f"{rel}: field 'id': {card.id!r} must equal the file name {path.stem!r}")
    return card


def load_cards(corpus_dir: Path) -> list[Card]:
    """Every card under corpus/faq/, checked; a question may belong to one card only."""
    cards = [load_card(p, corpus_dir) for p in card_files(corpus_dir)]
    owner: dict[str, str] = {}
    for card in cards:
        for q in card.questions:
            key = q.casefold()
            if owner.get(key, card.id) != card.id:
                raise CorpusError(f"{card.path}: question {q!r} is also a question of card {owner[key]!r}")
            owner[key] = card.id
    return cards


def cards_hash(corpus_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in card_files(corpus_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def template_key(card_id: str) -> str:
    return f"not_covered:{card_id}"


def not_covered_templates(template: str, cards: list[Card]) -> dict[str, str]:
    """One filled text per not-covered card, keyed by `template_key`: every line a visitor sees is a whole
    reviewed template, so the evaluation can check it as one."""
    return {template_key(c.id): template.replace("{topic}", c.topic) for c in cards if c.not_covered}


def resolve(cards: list[Card], sentences: list[Sentence]) -> dict[str, dict[str, list[int]]]:
    """card id -> {"answer": sentence ids, "balance": sentence ids}; refuses a sentence that is not, word for
    word, a sentence of the document it names."""
    by_doc: dict[tuple[str, str], int] = {(s.doc_id, fold_text(s.text)): s.id for s in sentences}
    docs = {s.doc_id for s in sentences}
    out: dict[str, dict[str, list[int]]] = {}
    for card in cards:
        out[card.id] = {}
        for part in ("answer", "balance"):
            ids = []
            for n, item in enumerate(getattr(card, part)):
                if item.doc not in docs:
                    raise CorpusError(f"{card.path}: {part}[{n}]: no document {item.doc!r} in the corpus")
                sid = by_doc.get((item.doc, fold_text(item.text)))
                if sid is None:
                    raise CorpusError(f"{card.path}: {part}[{n}]: this sentence is not, word for word, a sentence "
                                      f"of {item.doc!r} (has the document changed?): {item.text!r}")
                ids.append(sid)
            out[card.id][part] = ids
    return out
