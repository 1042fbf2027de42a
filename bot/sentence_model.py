"""The learned half of choosing which retrieved sentence answers a question: a logistic regression that scores
each candidate sentence as the answer to this question, beside the similarity rule of bot/select.py.

Cosine similarity alone prefers sentences that sound like the question (one describing a review, a caveat on
the same topic). The model also weighs which of the question's words a sentence holds and how rare they are,
and pairs of a question word and a sentence word that answered before ("session|monitor", "work|nmda"),
learned from reviewed gold sentences (`python -m bot train-sentences`, bot/sentence_train.py).

The rule decides whether anything relevant was found and which sentences may be quoted (close enough to the
question, of the question's type); the model decides their order and whether a second sentence still answers,
and may let in a sentence the rule finds too far when it is confident that sentence answers. Whether anything
answers at all stays the rule's call: a bar on the model's best probability, chosen leaving batches out to
lose at most 1 in 100 answerable questions, caught only 6 of 51 unanswerable ones and was dropped.

Reviewed data: bot/data/sentence_model.npz (weights; the qualifying probability, chosen leaving whole batches out;
the second-sentence ratio, fixed in bot/sentence_train.py), bot/data/sentence_model_report.json (the figures).
Pure once loaded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.feature_extraction import FeatureHasher

from bot import weights
from bot.config import DATA_DIR

MODEL_FILE = DATA_DIR / "sentence_model.npz"
FEATURE_VERSION = 1
PAIR_FEATURES = 2 ** 16
NUMERIC = ("cosine", "cosine_below_best", "chunk_rank_score", "chunk_rank", "card_hint", "overlap",
           "overlap_below_best", "fits_type", "misfits_type", "clinic", "log_words", "rare_word_coverage",
           "about_a_source", "has_number")


@dataclass(frozen=True)
class Candidate:
    """What the selection stage knows of one candidate sentence, plain data."""

    tokens: frozenset[str]
    cosine: float
    fused: float  # its chunk's fused retrieval score over the best chunk's (0 when it came from a card hint)
    rank: int  # its chunk's retrieval rank, from 0 (99 for a card hint)
    hint: float  # the card-hint bonus (bot/match.py), 0 for none
    fits: bool | None  # matches the question type's pattern; None when the type has none
    clinic: bool
    words: int
    about_source: bool  # describes a source ("The Banov 2020 paper is a narrative review ...")
    has_number: bool


def candidate(tokens: frozenset[str], text: str, cosine: float, fused: float, rank: int, hint: float,
              fits: bool | None, clinic: bool, about_source: re.Pattern[str]) -> Candidate:
    return Candidate(tokens, cosine, fused, rank, hint, fits, clinic, len(text.split()),
                     bool(about_source.search(text)), any(ch.isdigit() for ch in text))


_HASHER = FeatureHasher(n_features=PAIR_FEATURES, input_type="string", alternate_sign=False)


def numeric_features(terms: Sequence[str], cands: Sequence[Candidate], idf: dict[str, float]) -> np.ndarray:
    """(len(cands), len(NUMERIC)); a question word the corpus never uses weighs as the rarest word.

    >>> c = Candidate(frozenset({"bladder"}), 0.6, 1.0, 0, 0.0, None, False, 10, False, False)
    >>> numeric_features(["bladder", "pain"], [c], {"bladder": 2.0})[0, 11].round(2)
    np.float64(0.5)
    """
    if not cands:
        return np.zeros((0, len(NUMERIC)))
    rarest = max(idf.values(), default=1.0)
    weight = {t: idf.get(t, rarest) for t in terms}
    total = sum(weight.values()) or 1.0
    cos = np.array([c.cosine for c in cands])
    overlap = np.array([len(c.tokens.intersection(terms)) / len(terms) if terms else 0.0 for c in cands])
    rows = [[c.cosine, c.cosine - cos.max(), c.fused, 1.0 / (1 + c.rank), c.hint, overlap[i],
             overlap[i] - overlap.max(), float(c.fits is True), float(c.fits is False), float(c.clinic),
             float(np.log(max(c.words, 1))), sum(w for t, w in weight.items() if t in c.tokens) / total,
             float(c.about_source), float(c.has_number)] for i, c in enumerate(cands)]
    return np.array(rows)


def pair_features(terms: Sequence[str], cands: Sequence[Candidate]):
    """Hashed (question word, sentence word) pairs, one row per candidate (scipy sparse)."""
    return _HASHER.transform([[f"{t}|{w}" for t in terms for w in sorted(c.tokens)] for c in cands])


@dataclass(frozen=True)
class SentenceModel:
    coef_numeric: np.ndarray  # (len(NUMERIC),)
    coef_pairs: np.ndarray  # (PAIR_FEATURES,)
    intercept: float
    second_ratio: float  # a second sentence is quoted only if its probability is at least this share of the first's
    qualify: float  # a sentence the rule finds too far from the question may still answer at this probability
    meta: dict = field(default_factory=dict)

    def probabilities(self, terms: Sequence[str], cands: Sequence[Candidate], idf: dict[str, float]) -> np.ndarray:
        if not cands:
            return np.zeros(0)
        z = numeric_features(terms, cands, idf) @ self.coef_numeric + pair_features(terms, cands) @ self.coef_pairs
        return 1.0 / (1.0 + np.exp(-(z + self.intercept)))


def save(path: Path, model: SentenceModel) -> None:
    header = {"feature_version": FEATURE_VERSION, "intercept": model.intercept, "second_ratio": model.second_ratio,
              "qualify": model.qualify,
              "numeric": list(NUMERIC), "meta": model.meta}
    weights.save(path, header, {"numeric": model.coef_numeric.astype(np.float32),
                                "pairs": model.coef_pairs.astype(np.float32)})


def load(path: Path = MODEL_FILE, model_name: str | None = None) -> SentenceModel | None:
    """The trained model, or None when there is none or it was fitted with another embedding model's cosines:
    the similarity rule then orders the sentences alone."""
    if (found := weights.load(path, FEATURE_VERSION, "python -m bot train-sentences")) is None:
        return None
    header, z = found
    model = SentenceModel(z["numeric"].astype(np.float64), z["pairs"].astype(np.float64), float(header["intercept"]),
                          float(header["second_ratio"]), float(header["qualify"]), header["meta"])
    if model_name is not None and model.meta.get("model") != model_name:
        return None
    return model
