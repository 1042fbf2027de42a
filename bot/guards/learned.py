"""Learned detectors beside the lexicons: crisis and personal medical advice.

Each is a logistic regression over four kinds of features of one message:
- the question embedding the pipeline already computed (no second model call);
- hashed character n-grams (2 to 5, within words) and word n-grams (1 and 2) of the message's plainest
  reading (folded, look-alikes and leetspeak undone): typos, shorthand and a disclosure inside a longer
  question, which the one embedding of the whole message smooths over;
- what the cheap lexicons already say (`lexical_flags`): a personal medical question, a question about the
  bot, an instruction to the bot, the suicide topic named, first-person wording. They let the detector learn
  that "cut my dose in half" is a dose question, not self-harm.

The weights are reviewed data (bot/data/detectors.npz, rebuilt by `python -m bot train-guards` from
bot/data/guard_training/); the thresholds beside them were chosen by leaving whole batches of training
messages out (docs/guards.md). The crisis detector can only add a crisis, a check-in or the 988 line, never
remove what a lexicon found. The advice detector adds referrals, and sets a referral of the advice patterns aside
only when it is nearly sure the message is general (below its veto bar, `bot.guards.train.veto_bar`). Pure once
loaded: a dot product per detector, well under a millisecond.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from bot import weights
from bot.config import DATA_DIR
from bot.guards.advice import as_feature
from bot.guards.normalise import matching_forms
from bot.models import GuardVerdict

MODEL_FILE = DATA_DIR / "detectors.npz"
FEATURE_VERSION = 3
FLAGS = ("advice", "about_bot", "injection", "suicide_topic", "personal")


def lexical_flags(text: str, rules, advice: GuardVerdict, about: bool, injection: bool) -> np.ndarray:
    """One 0/1 value per name in FLAGS: the verdicts of the advice, about-the-bot and injection lexicons
    (computed once by the input guard), and the crisis file's topic and first-person patterns. The advice flag
    counts only the pattern groups the detectors were fitted with (bot.guards.advice.as_feature)."""
    folded = matching_forms(text)[0]
    return np.array([as_feature(advice, rules.advice_not_features), about, injection,
                     bool(rules.crisis.topic.search(folded)), bool(rules.crisis.personal.search(folded))],
                    dtype=np.float64)


@dataclass(frozen=True)
class TextFeatures:
    """Hashed character and word n-grams, each block L2-normalised, in one space of n_features."""

    char_range: tuple[int, int] = (2, 5)
    word_range: tuple[int, int] = (1, 2)
    n_features: int = 2 ** 15
    flags_weight: float = 0.5  # scale of the lexical flags next to the L2-normalised blocks

    def vectorizers(self) -> tuple[HashingVectorizer, HashingVectorizer]:
        common = dict(n_features=self.n_features, alternate_sign=False, norm="l2", lowercase=False)
        return (HashingVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_range), **common),
                HashingVectorizer(analyzer="word", ngram_range=tuple(self.word_range),
                                  token_pattern=r"(?u)\b\w+\b", **common))

    def transform(self, texts: list[str], flags: np.ndarray):
        """(len(texts), 2 * n_features + len(FLAGS)) sparse matrix: character block, word block, lexical flags."""
        return self.with_flags(text_matrix(list(texts), vectorizers_for(self)), flags)

    def with_flags(self, ngrams, flags: np.ndarray):
        """The n-gram rows with the lexical flags appended, scaled."""
        from scipy import sparse

        return sparse.hstack([ngrams, sparse.csr_matrix(np.atleast_2d(flags) * self.flags_weight)], format="csr")


@lru_cache(maxsize=8)
def vectorizers_for(features: TextFeatures) -> tuple[HashingVectorizer, HashingVectorizer]:
    return features.vectorizers()


@lru_cache(maxsize=16)
def question_ngrams(text: str, features: TextFeatures):
    """One question's hashed n-grams (character block, word block), once per question: the crisis and advice
    detectors and the clinic recogniser read the same features of the same question. Kept for the few
    questions in flight only."""
    return text_matrix([text], vectorizers_for(features))


def text_matrix(texts: list[str], vectorizers: tuple[HashingVectorizer, ...]):
    """Hashed character and word n-grams of the plain readings, each block L2-normalised, side by side (the
    clinic recogniser and the card classifier; the detectors add the lexical flags, `TextFeatures.transform`)."""
    from scipy import sparse

    return sparse.hstack(hashed([plain_reading(t) for t in texts], vectorizers), format="csr")


def hashed(texts: list[str], vectorizers: tuple[HashingVectorizer, ...]) -> list:
    """Each vectorizer's sparse rows. scikit-learn's argument and finiteness checks cost more than the hashing
    of one short message (about 0.7 ms of a guard's 1.5 ms); the vectorizers are ours and the text is a string."""
    from sklearn import config_context

    with config_context(skip_parameter_validation=True, assume_finite=True):
        return [v.transform(texts) for v in vectorizers]


def plain_reading(text: str) -> str:
    """The reading the n-grams are taken from: folded, look-alike letters and leetspeak undone.

    >>> plain_reading("I W4NT t0 d1e!!")
    'i want to die!!'
    """
    return matching_forms(text)[-1]


@dataclass(frozen=True)
class Detector:
    name: str
    coef_embedding: np.ndarray  # (embedding dimension,)
    coef_text: np.ndarray  # (2 * n_features + len(FLAGS),): character block, word block, lexical flags
    intercept: float
    thresholds: Mapping[str, float]  # name -> probability at or above which it applies

    def probability(self, indices: np.ndarray, values: np.ndarray, vec: np.ndarray) -> float:
        z = self.intercept + float(self.coef_embedding @ vec) + float(self.coef_text[indices] @ values)
        return float(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class Detectors:
    features: TextFeatures
    detectors: Mapping[str, Detector]  # "crisis", "advice"
    meta: Mapping[str, object]  # data hash, batches, training figures

    def scores(self, text: str, vec: np.ndarray, flags: np.ndarray) -> dict[str, float]:
        """Probability from every detector; the n-grams are hashed once and shared. `flags`: lexical_flags."""
        row = self.features.with_flags(question_ngrams(text, self.features), flags)
        return {name: round(d.probability(row.indices, row.data, vec), 4) for name, d in self.detectors.items()}

    def __getitem__(self, name: str) -> Detector:
        return self.detectors[name]


def save(path: Path, features: TextFeatures, detectors: Mapping[str, Detector], meta: Mapping[str, object]) -> None:
    arrays: dict[str, np.ndarray] = {}
    header = {"feature_version": FEATURE_VERSION, "features": features.__dict__, "meta": dict(meta), "detectors": {}}
    for name, d in detectors.items():
        arrays[f"{name}.embedding"] = d.coef_embedding.astype(np.float32)
        arrays[f"{name}.text"] = d.coef_text.astype(np.float32)
        header["detectors"][name] = {"intercept": d.intercept, "thresholds": dict(d.thresholds)}
    weights.save(path, header, arrays)


def load(path: Path = MODEL_FILE, model_name: str | None = None) -> Detectors | None:
    """The trained detectors, or None when none were trained or they were trained on another embedding model
    than `model_name` (their weights would be meaningless): the lexicons then work alone."""
    if (found := weights.load(path, FEATURE_VERSION, "python -m bot train-guards")) is None:
        return None
    header, z = found
    detectors = {name: Detector(name, z[f"{name}.embedding"], z[f"{name}.text"], float(h["intercept"]),
                                dict(h["thresholds"])) for name, h in header["detectors"].items()}
    if model_name is not None and header["meta"].get("model") != model_name:
        return None
    features = {k: tuple(v) if isinstance(v, list) else v for k, v in header["features"].items()}
    return Detectors(TextFeatures(**features), detectors, header["meta"])
