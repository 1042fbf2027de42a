"""Corpus sentences a card may quote, as checkbox choices for the staff editor: those of the chunks
retrieved for the card's questions, and those a sentence search finds. A choice's label is the sentence
as it stands in the corpus, after its document id: `[doc-id] Sentence.`

    >>> parse(label("fda-2019", "The FDA approved it."))
    ('fda-2019', 'The FDA approved it.')
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

import numpy as np

from bot.publish_checks import without_logging
from bot.retrieve import tokenize

_LABEL = re.compile(r"^\[(?P<doc>[a-z0-9-]+)\] (?P<text>.+)$", re.S)
RETRIEVED_PER_QUESTION = 5  # chunks
MAX_CHOICES = 12
LEXICAL_WEIGHT = 0.15  # a search finds sentences holding the words typed, not only those near in meaning


def label(doc: str, text: str) -> str:
    return f"[{doc}] {text}"


def parse(choice: str) -> tuple[str, str]:
    m = _LABEL.match(choice or "")
    if not m:
        raise ValueError(f"not a sentence choice: {choice[:60]!r}")
    return m["doc"], m["text"]


def quiet(bot: Any) -> Any:
    """The bot, never writing the visitor question log: staff questions are not visitor questions."""
    return without_logging(bot)


def quotable(bot: Any) -> set[int]:
    """Sentence ids a card may quote: not a fragment, not a note for staff, not one the output guard drops
    (the index build refuses a card quoting one)."""
    by_chunk = getattr(getattr(bot, "bank", None), "by_chunk", None)
    if not by_chunk:
        return {s.id for s in bot.data.sentences}
    return {sid for ids in by_chunk.values() for sid in ids}


def retrieved(bot: Any, questions: Sequence[str], limit: int = MAX_CHOICES) -> list[str]:
    """Sentences of the chunks retrieved for the questions, the closest to them first."""
    questions = [q for q in questions if q.strip()][:5]
    if not questions:
        return []
    allowed = quotable(bot)
    chunks = {c.chunk_id for q in questions for c in bot.retrieve(q, k=RETRIEVED_PER_QUESTION)}
    ids = [s.id for s in bot.data.sentences if s.chunk_id in chunks and s.id in allowed]
    if not ids:
        return []
    vectors = bot.embedder.embed_batch(questions)
    scores = (bot.data.sentence_vectors[ids] @ vectors.T).max(axis=1)
    return _labels(bot, [ids[i] for i in np.argsort(-scores)[:limit]])


def search(bot: Any, query: str, limit: int = MAX_CHOICES) -> list[str]:
    """Sentences closest to the query in meaning, those holding its words lifted."""
    if not (query or "").strip():
        return []
    allowed = sorted(quotable(bot))
    scores = bot.data.sentence_vectors[allowed] @ bot.embedder.embed_query(query)
    words = set(tokenize(query))
    if words:
        share = np.array([len(words & set(tokenize(bot.data.sentences[i].text))) / len(words) for i in allowed])
        scores = scores + LEXICAL_WEIGHT * share
    return _labels(bot, [allowed[i] for i in np.argsort(-scores)[:limit]])


def _labels(bot: Any, ids: Iterable[int]) -> list[str]:
    return [label(bot.data.sentences[i].doc_id, bot.data.sentences[i].text) for i in ids]


def merge(*groups: Iterable[str]) -> list[str]:
    """Choices in order, each once (what is ticked stays offered when new results come in)."""
    return list(dict.fromkeys(c for g in groups for c in g))
