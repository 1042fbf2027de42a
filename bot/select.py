"""Select stage: the few most relevant, non-redundant corpus sentences, plus balancing qualifiers.

Pure: takes the question vector, the retrieved chunks and the sentence bank (vectors computed at
index time), returns evidence. No embedding model, no database; the learned sentence scorer, when given, is
plain arrays (bot/sentence_model.py).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot import yamlfile
from bot.models import Evidence, ScoredChunk, Sentence
from bot.retrieve import tokenize
from bot.sentence_model import Candidate, SentenceModel, candidate

MIN_SENTENCE_WORDS = 6
REDUNDANT_COSINE = 0.85  # a sentence this close to one already chosen adds nothing
REDUNDANT_WORDS = 0.6  # nor does one sharing this share (Jaccard) of its words
RELATIVE_CUTOFF = 0.1  # stop once a sentence is this much less relevant than the best
MAX_PER_DOCUMENT = 2
CHUNK_BONUS = 0.05  # weight of the chunk's fused retrieval rank in a sentence's score
ALTERNATES = 6
HINT_RANK = 99  # the chunk rank a card-hint sentence that no retrieved chunk holds is given
RETRIEVED_BONUS = 0.1  # a qualifier the retriever also found is preferred: it is on the question's topic
MIN_BALANCE = 0.35  # a qualifier less related than this to the question and claim is left out
LEXICAL_WEIGHT = 0.15  # weight of the share of the question's salient terms a sentence contains


@dataclass(frozen=True)
class BalanceRule:
    name: str
    claim: re.Pattern[str]
    qualifier: re.Pattern[str]


@dataclass(frozen=True)
class SentenceBank:
    """Index-time sentence data: sentences, their vectors, and lookups built once at start-up."""

    sentences: list[Sentence]
    vectors: np.ndarray
    clinic_docs: frozenset[str]
    by_chunk: dict[str, list[int]] = field(default_factory=dict)
    quotable: frozenset[int] = frozenset()  # sentences that may take an answer slot
    qualifiers: dict[str, np.ndarray] = field(default_factory=dict)  # rule name -> sentence ids
    tokens: list[frozenset[str]] = field(default_factory=list)  # per sentence, for lexical overlap
    vocabulary: frozenset[str] = frozenset()  # every token of the corpus
    generic: frozenset[str] = frozenset()  # words that name no topic (bot/data/relevance.yaml)
    topics: frozenset[str] = frozenset()  # topics the corpus may not cover (bot/data/relevance.yaml)
    logistics: tuple[re.Pattern[str], ...] = ()  # questions about the clinic's own schedule, prices, staff
    idf: dict[str, float] = field(default_factory=dict)  # a word's rarity among the corpus sentences
    about_source: re.Pattern[str] = re.compile(r"(?!)")  # a sentence describing a source (relevance.yaml)

    @classmethod
    def build(cls, sentences: list[Sentence], vectors: np.ndarray, clinic_docs: frozenset[str],
              rules: list[BalanceRule], extra_text: list[str] = (), generic: str = "", topics: str = "",
              logistics: list[str] = (), never_quoted: str = r"(?!)",
              blocked: frozenset[int] = frozenset(), about_source: str = r"(?!)") -> "SentenceBank":
        """`never_quoted`: sentences that lean on the one before, or notes for staff (relevance.yaml).
        `blocked`: sentences the output guard would drop (an overclaim, a dose, an FDA misstatement): known
        before any question, they never take an answer or balance slot only to be dropped and replaced."""
        unquotable = re.compile(never_quoted)
        quotable = [s for s in sentences if not unquotable.search(s.text) and s.id not in blocked]
        by_chunk: dict[str, list[int]] = {}
        for s in quotable:
            if len(s.text.split()) >= MIN_SENTENCE_WORDS:
                by_chunk.setdefault(s.chunk_id, []).append(s.id)
        qualifiers = {r.name: np.array([s.id for s in quotable if s.doc_id not in clinic_docs
                                        and r.qualifier.search(s.text)], dtype=np.int64) for r in rules}
        tokens = [frozenset(tokenize(s.text)) for s in sentences]
        vocabulary = frozenset().union(*tokens, *(tokenize(t) for t in extra_text))
        return cls(sentences, vectors, clinic_docs, by_chunk, frozenset(i for ids in by_chunk.values() for i in ids),
                   qualifiers, tokens, vocabulary,
                   frozenset(tokenize(generic)) | frozenset(generic.split()), frozenset(tokenize(topics)),
                   tuple(re.compile(p, re.IGNORECASE) for p in logistics), _idf(tokens),
                   re.compile(about_source, re.IGNORECASE))

    def salient_terms(self, question: str) -> list[str]:
        return [t for t in dict.fromkeys(tokenize(question)) if t not in self.generic and len(t) > 1]

    def unknown_terms(self, question: str, terms: list[str], clinic_statements: bool = False) -> list[str]:
        """Listed topics the question names and the corpus never mentions; 'clinic logistics' for those,
        unless the evidence is the clinic's own statements (`clinic_statements`), written for exactly them."""
        logistics = ["clinic logistics"] if not clinic_statements and any(p.search(question) for p in self.logistics) else []
        return logistics + [t for t in terms if t in self.topics and t not in self.vocabulary]

    def shares_topic(self, terms: list[str], item: Evidence) -> bool:
        """The item's sentence names at least one of the question's topic words (True when there are none)."""
        return not terms or bool(self.tokens[item.sentence_id].intersection(terms))

    def covers(self, terms: list[str], items: list[Evidence]) -> bool:
        """Every term appears in at least one of the items' sentences (True when there are no terms)."""
        found = frozenset().union(*(self.tokens[e.sentence_id] for e in items))
        return all(t in found for t in terms)

    def evidence(self, sid: int, score: float, role: str, probability: float | None = None) -> Evidence:
        s = self.sentences[sid]
        return Evidence(sentence_id=sid, doc_id=s.doc_id, chunk_id=s.chunk_id, text=s.text, score=round(float(score), 4),
                        role=role, probability=None if probability is None else round(float(probability), 4))  # type: ignore[arg-type]


def _idf(tokens: list[frozenset[str]]) -> dict[str, float]:
    counts = Counter(t for words in tokens for t in words)
    return {t: math.log(len(tokens) / (1 + n)) for t, n in counts.items()}


@dataclass(frozen=True)
class Selection:
    items: list[Evidence]
    alternates: list[Evidence]  # vetted qualifying sentences, best first, for the output guard
    best_dense: float
    top_score: float = 0.0  # the rule's best score among the qualifying sentences: is anything relevant?
    unknown_terms: tuple[str, ...] = ()  # salient question words the corpus never uses
    from_card: bool = False  # the items are a reviewed FAQ card's sentences
    best_probability: float | None = None  # the learned scorer's best, over every candidate
    not_covered: str = ""  # the template key of a matched not-covered card: the sources do not answer this

    def relevant(self, min_score: float, min_probability: float = 0.0, confident: float = 1.01) -> bool:
        """Anything worth quoting: a best sentence reaching the rule's bar, or one the learned scorer rates at
        least `confident` likely to answer (casual wording the rule finds far: "will i throw up lol" and the most
        common side effects); and, when the scorer chose, its bar for an answer at all (a quote it rates this
        unlikely to answer is a wrong answer, not a weak one).

        >>> s = Selection(items=[Evidence(sentence_id=0, chunk_id="c", doc_id="d", text="t", score=0.5)], alternates=[],
        ...               best_dense=0.5, top_score=0.5, best_probability=0.2)
        >>> s.relevant(0.33), s.relevant(0.33, min_probability=0.3)
        (True, False)
        >>> far = Selection(items=s.items, alternates=[], best_dense=0.2, top_score=0.2, best_probability=0.9)
        >>> far.relevant(0.33), far.relevant(0.33, confident=0.8)
        (False, True)
        """
        if self.best_probability is not None and self.best_probability < min_probability:
            return False
        sure = self.best_probability is not None and self.best_probability >= confident
        return bool(self.items) and not self.unknown_terms and (self.top_score >= min_score or sure)


def load_rules(path: Path) -> tuple[list[BalanceRule], int]:
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    flags = re.IGNORECASE
    rules = [BalanceRule(r["name"], re.compile(r["claim"], flags), re.compile(r["qualifier"], flags))
             for r in raw["rules"]]
    return rules, int(raw.get("max_balance", 2))


def select_evidence(question: str, query_vec: np.ndarray, retrieved: list[ScoredChunk], bank: SentenceBank,
                    rules: list[BalanceRule], max_balance: int, min_sentence: float,
                    max_sentences: int, answers: re.Pattern[str] | None = None,
                    hints: dict[int, float] | None = None, clinic_statements: bool = False,
                    model: SentenceModel | None = None) -> Selection:
    """`answers`: the recognised question type's pattern (bot/qtype.py): when some candidate sentences match
    it and are relevant enough, only those may answer. `hints`: sentence id -> bonus, for the reviewed answers
    of the FAQ cards nearest the question (none of which matched outright): they join the candidates.
    `clinic_statements`: the retrieved chunks are the clinic's own statements (a question about its practice).
    `model`: the learned sentence scorer (bot/sentence_model.py), which orders the qualifying sentences."""
    best_dense = max((c.dense for c in retrieved if c.dense is not None), default=0.0)
    terms = bank.salient_terms(question)
    items, top_score, best_probability = _best_sentences(query_vec, terms, retrieved, bank, min_sentence,
                                                         max_sentences, answers, hints or {}, model)
    retrieved_ids = frozenset(c.chunk_id for c in retrieved)
    items += _balance(terms, query_vec, items, bank, rules, max_balance, retrieved_ids)
    pool = np.unique(np.concatenate([bank.qualifiers[r.name] for r in rules])) if rules else np.array([], int)
    # a replacement stands in for a dropped sentence, and the output guard drops clinic-article claims
    toward_claims = _toward(query_vec, bank, [e.sentence_id for e in items if e.doc_id in bank.clinic_docs])
    alternates = [a for a in _ranked(toward_claims, bank, pool, ALTERNATES + len(items), "replacement")
                  if not _redundant(bank, a.sentence_id, [e.sentence_id for e in items])][:ALTERNATES]
    return Selection(items=items, alternates=alternates, best_dense=best_dense, top_score=top_score,
                     unknown_terms=tuple(bank.unknown_terms(question, terms, clinic_statements)),
                     best_probability=best_probability)


@dataclass(frozen=True)
class Candidates:
    """The sentences that may answer: from the retrieved chunks and the nearest cards' hints."""

    ids: list[int]
    scores: np.ndarray  # the similarity rule's: cosine + chunk and hint bonuses + lexical overlap; -1 off-type
    features: list[Candidate]  # for the learned scorer (bot/sentence_model.py)


def candidates(query_vec: np.ndarray, terms: list[str], retrieved: list[ScoredChunk], bank: SentenceBank,
               min_sentence: float, answers: re.Pattern[str] | None = None,
               hints: dict[int, float] | None = None) -> Candidates:
    top_fused = max((c.fused for c in retrieved), default=1.0) or 1.0
    found: dict[int, tuple[float, int]] = {}  # sentence id -> (chunk's fused score over the best, chunk rank)
    for rank, chunk in enumerate(retrieved):
        for sid in bank.by_chunk.get(chunk.chunk_id, []):
            found.setdefault(sid, (chunk.fused / top_fused, rank))
    hints = hints or {}
    for sid in hints:
        if sid in bank.quotable:
            found.setdefault(sid, (0.0, HINT_RANK))
    ids = list(found)
    if not ids:
        return Candidates([], np.zeros(0), [])
    cosines = bank.vectors[ids] @ query_vec
    overlap = [len(bank.tokens[i].intersection(terms)) / len(terms) if terms else 0.0 for i in ids]
    scores = (cosines + CHUNK_BONUS * np.array([found[i][0] for i in ids]) + np.array([hints.get(i, 0.0) for i in ids])
              + LEXICAL_WEIGHT * np.array(overlap))
    fits = [bool(answers.search(bank.sentences[i].text)) if answers is not None else None for i in ids]
    if answers is not None and np.any(np.array(fits) & (scores >= min_sentence)):
        scores = np.where(fits, scores, -1.0)  # the question's type: sentences that cannot answer it step aside
    features = [candidate(bank.tokens[i], bank.sentences[i].text, float(cosines[n]), found[i][0], found[i][1],
                          hints.get(i, 0.0), fits[n], bank.sentences[i].doc_id in bank.clinic_docs, bank.about_source)
                for n, i in enumerate(ids)]
    return Candidates(ids, scores, features)


def _best_sentences(query_vec: np.ndarray, terms: list[str], retrieved: list[ScoredChunk], bank: SentenceBank,
                    min_sentence: float, max_sentences: int, answers: re.Pattern[str] | None = None,
                    hints: dict[int, float] | None = None,
                    model: SentenceModel | None = None) -> tuple[list[Evidence], float, float | None]:
    """(the chosen answer sentences, the rule's best score, the model's best probability)."""
    pool = candidates(query_vec, terms, retrieved, bank, min_sentence, answers, hints)
    ids, scores = pool.ids, pool.scores
    if not ids:
        return [], 0.0, None
    if model is None:
        probs, chosen = None, choose(ids, scores, scores, bank, min_sentence, max_sentences)
    else:
        probs = model.probabilities(terms, pool.features, bank.idf)
        chosen = choose(ids, scores, probs, bank, min_sentence, max_sentences, model.qualify, model.second_ratio)
    best = float(scores.max()) if chosen else 0.0  # the rule's: whether anything relevant was found stays its call
    return ([bank.evidence(ids[i], scores[i], "answer", None if probs is None else probs[i]) for i in chosen], best,
            None if probs is None else round(float(probs.max()), 4))


def choose(ids: list[int], scores: np.ndarray, rank: np.ndarray, bank: SentenceBank, min_sentence: float,
           max_sentences: int, qualify: float | None = None, ratio: float | None = None) -> list[int]:
    """Positions in `ids` of the sentences to quote, in order of `rank` (the rule's `scores`, or the learned
    scorer's probabilities). A sentence qualifies when its rule score reaches `min_sentence`, or its rank reaches
    `qualify`; a later one must stay within RELATIVE_CUTOFF of the first's rank (`ratio` None), or reach `ratio`
    times it; at most MAX_PER_DOCUMENT per document, no near-duplicates. The pipeline and the scorer's training
    figures (bot/sentence_train.py) both choose here."""
    chosen: list[int] = []
    per_doc: dict[str, int] = {}
    for i in np.argsort(-rank, kind="stable"):
        sid = ids[i]
        if len(chosen) == max_sentences:
            break
        if scores[i] < min_sentence and (qualify is None or rank[i] < qualify):
            continue
        if chosen and (rank[i] < rank[chosen[0]] - RELATIVE_CUTOFF if ratio is None else rank[i] < ratio * rank[chosen[0]]):
            break
        doc = bank.sentences[sid].doc_id
        if sid in (ids[c] for c in chosen) or per_doc.get(doc, 0) >= MAX_PER_DOCUMENT:
            continue
        if _redundant(bank, sid, [ids[c] for c in chosen]):
            continue
        chosen.append(int(i))
        per_doc[doc] = per_doc.get(doc, 0) + 1
    return chosen


def _balance(terms: list[str], query_vec: np.ndarray, items: list[Evidence], bank: SentenceBank,
             rules: list[BalanceRule], max_balance: int, retrieved: frozenset[str]) -> list[Evidence]:
    """For each rule whose claim a quoted clinic sentence makes, and that no quoted reference already
    qualifies, the most relevant qualifier that is about the question's topic (shares one of its topic words)."""
    added: list[Evidence] = []
    clinic_items = [e for e in items if e.doc_id in bank.clinic_docs]
    for rule in rules:
        if len(added) == max_balance:
            break
        claims = [e.sentence_id for e in clinic_items if rule.claim.search(e.text)]
        satisfied = any(rule.qualifier.search(e.text) and e.doc_id not in bank.clinic_docs for e in items + added)
        if claims and not satisfied:
            used = {e.sentence_id for e in items + added}
            pool = np.array([i for i in bank.qualifiers[rule.name] if i not in used and bank.tokens[i].intersection(terms)],
                            dtype=np.int64)
            best = _ranked(_toward(query_vec, bank, claims), bank, pool, 1, "balance", retrieved)
            added += [b for b in best if b.score >= MIN_BALANCE
                      and not _redundant(bank, b.sentence_id, [e.sentence_id for e in items + added])]
    return added


def _toward(query_vec: np.ndarray, bank: SentenceBank, sentence_ids: list[int]) -> np.ndarray:
    """The question's vector pulled toward these sentences (their mean), normalised: what a qualifier
    answering both the question and those claims should be close to."""
    if not sentence_ids:
        return query_vec
    target = query_vec + bank.vectors[sentence_ids].mean(axis=0)
    return target / np.linalg.norm(target)


def _redundant(bank: SentenceBank, sid: int, others: list[int]) -> bool:
    """Close in meaning, or mostly the same words (the model can miss that "KAP" is a long name)."""
    if not others:
        return False
    if float(np.max(bank.vectors[others] @ bank.vectors[sid])) > REDUNDANT_COSINE:
        return True
    words = bank.tokens[sid]
    return any(len(words & bank.tokens[o]) / max(len(words | bank.tokens[o]), 1) > REDUNDANT_WORDS for o in others)


def _ranked(query_vec: np.ndarray, bank: SentenceBank, pool: np.ndarray, n: int, role: str,
            retrieved: frozenset[str] = frozenset()) -> list[Evidence]:
    """Best of pool by cosine; sentences from the retrieved chunks get RETRIEVED_BONUS."""
    if pool.size == 0:
        return []
    scores = bank.vectors[pool] @ query_vec
    if retrieved:
        scores = scores + RETRIEVED_BONUS * np.array([bank.sentences[i].chunk_id in retrieved for i in pool])
    return [bank.evidence(int(pool[i]), scores[i], role) for i in np.argsort(-scores)[:n]]
