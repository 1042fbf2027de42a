"""Select stage: the few most relevant, non-redundant corpus sentences, plus balancing qualifiers.

Pure: takes the question vector, the retrieved chunks and the sentence bank (vectors computed at
index time), returns evidence. No model, no database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bot.models import Evidence, ScoredChunk, Sentence

MIN_SENTENCE_WORDS = 6
REDUNDANT_COSINE = 0.85  # a sentence this close to one already chosen adds nothing
RELATIVE_CUTOFF = 0.15  # stop once a sentence is this much less relevant than the best
MAX_PER_DOCUMENT = 2
CHUNK_BONUS = 0.05  # weight of the chunk's fused retrieval rank in a sentence's score
ALTERNATES = 6


@dataclass(frozen=True)
class BalanceRule:
    name: str
    claim: re.Pattern[str]
    question: re.Pattern[str]
    qualifier: re.Pattern[str]


@dataclass(frozen=True)
class SentenceBank:
    """Index-time sentence data: sentences, their vectors, and lookups built once at start-up."""

    sentences: list[Sentence]
    vectors: np.ndarray
    clinic_docs: frozenset[str]
    by_chunk: dict[str, list[int]] = field(default_factory=dict)
    qualifiers: dict[str, np.ndarray] = field(default_factory=dict)  # rule name -> sentence ids

    @classmethod
    def build(cls, sentences: list[Sentence], vectors: np.ndarray, clinic_docs: frozenset[str],
              rules: list[BalanceRule]) -> "SentenceBank":
        by_chunk: dict[str, list[int]] = {}
        for s in sentences:
            if len(s.text.split()) >= MIN_SENTENCE_WORDS:
                by_chunk.setdefault(s.chunk_id, []).append(s.id)
        qualifiers = {r.name: np.array([s.id for s in sentences if s.doc_id not in clinic_docs
                                        and r.qualifier.search(s.text)], dtype=np.int64) for r in rules}
        return cls(sentences, vectors, clinic_docs, by_chunk, qualifiers)

    def evidence(self, sid: int, score: float, role: str) -> Evidence:
        s = self.sentences[sid]
        return Evidence(sentence_id=sid, doc_id=s.doc_id, chunk_id=s.chunk_id, text=s.text,
                        score=round(float(score), 4), role=role)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Selection:
    items: list[Evidence]
    alternates: list[Evidence]  # vetted qualifying sentences, best first, for the output guard
    best_dense: float


def load_rules(path: Path) -> tuple[list[BalanceRule], int]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    flags = re.IGNORECASE
    rules = [BalanceRule(r["name"], re.compile(r["claim"], flags), re.compile(r["question"], flags),
                         re.compile(r["qualifier"], flags)) for r in raw["rules"]]
    return rules, int(raw.get("max_balance", 2))


def select_evidence(question: str, query_vec: np.ndarray, retrieved: list[ScoredChunk], bank: SentenceBank,
                    rules: list[BalanceRule], max_balance: int, min_sentence: float,
                    max_sentences: int) -> Selection:
    best_dense = max((c.dense for c in retrieved if c.dense is not None), default=0.0)
    items = _best_sentences(query_vec, retrieved, bank, min_sentence, max_sentences)
    items += _balance(question, query_vec, items, bank, rules, max_balance)
    pool = np.unique(np.concatenate([bank.qualifiers[r.name] for r in rules])) if rules else np.array([], int)
    alternates = _ranked(query_vec, bank, pool, ALTERNATES, "replacement")
    return Selection(items=items, alternates=alternates, best_dense=best_dense)


def _best_sentences(query_vec: np.ndarray, retrieved: list[ScoredChunk], bank: SentenceBank,
                    min_sentence: float, max_sentences: int) -> list[Evidence]:
    top_fused = max((c.fused for c in retrieved), default=1.0) or 1.0
    ids: list[int] = []
    bonus: list[float] = []
    for chunk in retrieved:
        for sid in bank.by_chunk.get(chunk.chunk_id, []):
            ids.append(sid)
            bonus.append(CHUNK_BONUS * chunk.fused / top_fused)
    if not ids:
        return []
    cosines = bank.vectors[ids] @ query_vec
    scores = cosines + np.array(bonus)
    chosen: list[int] = []
    per_doc: dict[str, int] = {}
    for i in np.argsort(-scores):
        sid = ids[i]
        if len(chosen) == max_sentences or cosines[i] < min_sentence:
            break
        if chosen and scores[i] < scores[chosen[0]] - RELATIVE_CUTOFF:
            break
        doc = bank.sentences[sid].doc_id
        if sid in (ids[c] for c in chosen) or per_doc.get(doc, 0) >= MAX_PER_DOCUMENT:
            continue
        if chosen and float(np.max(bank.vectors[[ids[c] for c in chosen]] @ bank.vectors[sid])) > REDUNDANT_COSINE:
            continue
        chosen.append(int(i))
        per_doc[doc] = per_doc.get(doc, 0) + 1
    return [bank.evidence(ids[i], scores[i], "answer") for i in chosen]


def _balance(question: str, query_vec: np.ndarray, items: list[Evidence], bank: SentenceBank,
             rules: list[BalanceRule], max_balance: int) -> list[Evidence]:
    """For each rule the answer triggers and does not already satisfy, the most relevant qualifier."""
    added: list[Evidence] = []
    clinic_claims = [e.text for e in items if e.doc_id in bank.clinic_docs]
    for rule in rules:
        if len(added) == max_balance:
            break
        triggered = bool(items) and (rule.question.search(question) or any(rule.claim.search(t) for t in clinic_claims))
        satisfied = any(rule.qualifier.search(e.text) and e.doc_id not in bank.clinic_docs for e in items + added)
        if triggered and not satisfied:
            used = {e.sentence_id for e in items + added}
            pool = np.array([i for i in bank.qualifiers[rule.name] if i not in used], dtype=np.int64)
            added += _ranked(query_vec, bank, pool, 1, "balance")
    return added


def _ranked(query_vec: np.ndarray, bank: SentenceBank, pool: np.ndarray, n: int, role: str) -> list[Evidence]:
    if pool.size == 0:
        return []
    scores = bank.vectors[pool] @ query_vec
    return [bank.evidence(int(pool[i]), scores[i], role) for i in np.argsort(-scores)[:n]]
