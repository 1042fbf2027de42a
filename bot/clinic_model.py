"""The learned half of recognising what only the clinic can say (its prices, booking, hours, staff, how it runs
its own sessions): a logistic regression over the question embedding the pipeline already computed and hashed
character and word n-grams, beside the reviewed patterns of bot/data/clinic_topics.yaml.

The patterns name a topic precisely but miss new wording ("how long is a session at yall's place", "is the
doctor board certified"); the model generalises from questions written by independent batches of people
(`python -m bot train-clinic`, bot/clinic_train.py). A question the model recognises and no pattern names
gets the topic of the closest labelled training question, when one is close, else the generic topic.

Reviewed data: bot/data/clinic_model.npz (weights, the bar chosen leaving whole batches out, labelled
example vectors), bot/data/clinic_model_report.json (the figures). Pure once loaded: one dot product.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot import weights
from bot.config import DATA_DIR
from bot.guards.learned import TextFeatures, question_ngrams

MODEL_FILE = DATA_DIR / "clinic_model.npz"
FEATURE_VERSION = 1
# Cosine to the closest labelled clinic question for its topic to be borrowed; below it, the generic topic. The
# visitor reads the topic ("<clinic> can tell you about insurance coverage"), so a wrong one is a visible error.
# On the clinic batches (evals/pending/c*.jsonl, which the model does not hold), among the questions no pattern
# names and the model takes, the borrowed topic was right for 54% at 0.55, 73% at 0.7 and 90% at 0.8.
NEAREST_TOPIC = 0.8


@dataclass(frozen=True)
class ClinicModel:
    coef_embedding: np.ndarray  # (embedding dimension,)
    coef_text: np.ndarray  # (2 * n_features,): character block, word block
    intercept: float
    bar: float  # probability at or above which a question is the clinic's own
    example_vectors: np.ndarray  # (n, dimension), unit length: labelled clinic questions of the training data
    example_topics: tuple[str, ...]  # the topic name of each
    meta: dict = field(default_factory=dict)
    features: TextFeatures = TextFeatures()  # the detectors' own: the question is hashed once for both

    def probability(self, text: str, vec: np.ndarray) -> float:
        row = question_ngrams(text, self.features)
        z = self.intercept + float(self.coef_embedding @ vec) + float(self.coef_text[row.indices] @ row.data)
        return round(float(1.0 / (1.0 + np.exp(-z))), 4)

    def nearest_topic(self, vec: np.ndarray) -> str | None:
        """The topic of the closest labelled clinic question, if it is close enough to lend it."""
        if not len(self.example_topics):
            return None
        sims = self.example_vectors @ vec
        best = int(np.argmax(sims))
        return self.example_topics[best] if sims[best] >= NEAREST_TOPIC else None


def save(path: Path, model: ClinicModel) -> None:
    header = {"feature_version": FEATURE_VERSION, "intercept": model.intercept, "bar": model.bar,
              "example_topics": list(model.example_topics), "meta": model.meta}
    weights.save(path, header, {"embedding": model.coef_embedding.astype(np.float32),
                                "text": model.coef_text.astype(np.float32),
                                "examples": model.example_vectors.astype(np.float32)})


def load(path: Path = MODEL_FILE, model_name: str | None = None) -> ClinicModel | None:
    """The trained model, or None when there is none or it was fitted on another embedding model's vectors
    (its weights would be meaningless): the patterns then work alone."""
    if (found := weights.load(path, FEATURE_VERSION, "python -m bot train-clinic")) is None:
        return None
    header, z = found
    model = ClinicModel(z["embedding"], z["text"], float(header["intercept"]), float(header["bar"]),
                        z["examples"], tuple(header["example_topics"]), header["meta"])
    if model_name is not None and model.meta.get("model") != model_name:
        return None
    return model
