"""A learned second chance for FAQ card matching (bot/match.py): when the calibrated similarity rule declines
because two cards score alike ("how long does a ketamine session last": session length 1.035, effect
duration 1.015), a classifier over the question embedding and hashed n-grams, which learned which words tell
the cards apart, may still name the card, if it is confident.

A multinomial logistic regression over the cards and "none" (questions no card answers), fitted by
`python -m bot train-cards` (bot/card_train.py) on the cards' own questions, the calibration paraphrases and
the development patient questions; its bar was chosen leaving whole sets out. It only adds matches, only to
cards that still exist, and a card written after it was fitted is matched by the similarity rule alone.

Reviewed data: bot/data/card_model.npz and card_model_report.json. Pure once loaded: one small matrix product.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot import weights
from bot.config import DATA_DIR
from bot.guards.learned import TextFeatures, question_ngrams

MODEL_FILE = DATA_DIR / "card_model.npz"
FEATURE_VERSION = 1
NONE = "none"  # the class of questions no card answers
FEATURES = TextFeatures(n_features=2 ** 12)  # 76 classes: a small hash space keeps the weights under 3 MB


@dataclass(frozen=True)
class CardClassifier:
    classes: tuple[str, ...]  # card ids and NONE
    coef: np.ndarray  # (classes, embedding dimension + 2 * n_features)
    intercept: np.ndarray  # (classes,)
    bar: float  # probability at or above which its card is taken
    meta: dict = field(default_factory=dict)
    features: TextFeatures = FEATURES

    def probabilities(self, text: str, vec: np.ndarray) -> np.ndarray:
        row = question_ngrams(text, self.features)
        dim = len(vec)
        z = self.intercept + self.coef[:, :dim] @ vec + self.coef[:, dim + row.indices] @ row.data
        z = np.exp(z - z.max())
        return z / z.sum()

    def predict(self, text: str, vec: np.ndarray, cards: set[str]) -> tuple[str | None, float]:
        """The card it names and its probability; None when it names no card, one that no longer exists, or
        is not sure enough."""
        p = self.probabilities(text, vec)
        best = int(np.argmax(p))
        name, prob = self.classes[best], round(float(p[best]), 4)
        return (name if name != NONE and name in cards and prob >= self.bar else None), prob


def save(path: Path, model: CardClassifier) -> None:
    header = {"feature_version": FEATURE_VERSION, "classes": list(model.classes), "bar": model.bar, "meta": model.meta}
    weights.save(path, header, {"coef": model.coef.astype(np.float16), "intercept": model.intercept.astype(np.float32)})


def load(path: Path = MODEL_FILE, model_name: str | None = None) -> CardClassifier | None:
    """The fitted classifier, or None when there is none or it was fitted on another embedding model's vectors."""
    if (found := weights.load(path, FEATURE_VERSION, "python -m bot train-cards")) is None:
        return None
    header, z = found
    model = CardClassifier(tuple(header["classes"]), z["coef"].astype(np.float32), z["intercept"],
                           float(header["bar"]), header["meta"])
    if model_name is not None and model.meta.get("model") != model_name:
        return None
    return model
