"""Fast stand-ins for slow parts. The fake embedder's similarity follows word overlap,
so ranking behaves meaningfully in unit tests."""
from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace
from typing import Sequence

import numpy as np

DIM = 384
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "a", "an", "is", "are", "of", "to", "and", "in", "for", "on", "with", "it", "do", "does", "what", "i", "my", "me", "can", "how", "be", "that", "this", "or", "at", "as", "by"}


def _bucket(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % DIM


class FakeEmbedder:
    name = "fake-word-overlap"

    def embed_query(self, text: str) -> np.ndarray:
        vec = np.zeros(DIM, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            if word not in _STOP:
                vec[_bucket(word[:6])] += 1.0  # crude stemming: first six letters
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self.embed_query(t) for t in texts])


class FixedDetectors:
    """Stands in for the learned detectors (bot.guards.learned.Detectors): every message gets the same crisis and
    advice probabilities, judged against the given bars."""

    def __init__(self, crisis: float = 0.0, advice: float = 0.0, crisis_bars: dict[str, float] | None = None,
                 advice_bars: dict[str, float] | None = None) -> None:
        self.probabilities = {"crisis": crisis, "advice": advice}
        self.bars = {"crisis": crisis_bars or {"crisis": 0.94, "check_in": 0.49, "concern": 0.19},
                     "advice": advice_bars or {"refer": 0.5, "veto": 0.1}}

    def scores(self, text: str, vec: np.ndarray, flags: np.ndarray) -> dict[str, float]:
        return dict(self.probabilities)

    def __getitem__(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(thresholds=self.bars[name])


class FixedClinicModel:
    """Stands in for the learned clinic-topic recogniser (bot.clinic_model.ClinicModel): every question gets the
    same probability of being the clinic's own, judged against `bar`; no labelled question is near any."""

    def __init__(self, probability: float, bar: float = 0.81) -> None:
        self.fixed, self.bar = probability, bar

    def probability(self, text: str, vec: np.ndarray) -> float:
        return self.fixed

    def nearest_topic(self, vec: np.ndarray) -> str | None:
        return None
