"""Question type: what kind of answer the question wants, recognised from the one question embedding.

"How long does a session take?" and "How long does it last?" share most words; their answers do not. The
nearest reviewed example question (bot/data/question_types.yaml) names the type, and the type's pattern says
which sentences can answer it. Pure once the examples are embedded (at start-up, in one batch).

    >>> import numpy as np
    >>> types = QuestionTypes(("a", "b"), np.eye(2, 3), np.array([0, 1]), {"a": None, "b": None}, 0.5, 0.1)
    >>> types.recognise(np.array([1.0, 0.0, 0.0])), types.recognise(np.array([0.6, 0.6, 0.5]))
    ('a', '')
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import yamlfile
from bot.config import DATA_DIR
from bot.embed import Embedder

TYPES_FILE = DATA_DIR / "question_types.yaml"


@dataclass(frozen=True)
class QuestionTypes:
    names: tuple[str, ...]
    vectors: np.ndarray  # one row per example question
    owner: np.ndarray  # row -> index into names
    patterns: dict[str, re.Pattern[str] | None]  # type -> which sentences can answer it
    min_similarity: float
    margin: float

    @classmethod
    def load(cls, embedder: Embedder, path: Path = TYPES_FILE) -> "QuestionTypes":
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        names = tuple(raw["types"])
        examples = [(n, q) for n, name in enumerate(names) for q in raw["types"][name]["examples"]]
        vectors = np.asarray(embedder.embed_batch([q for _, q in examples]), dtype=np.float32)
        patterns = {name: re.compile(raw["types"][name]["sentence"], re.IGNORECASE) for name in names}
        return cls(names, vectors, np.array([n for n, _ in examples]), patterns,
                   float(raw["min_similarity"]), float(raw["margin"]))

    def recognise(self, query_vec: np.ndarray) -> str:
        """The type's name, or "" when no type is clearly nearest."""
        if not len(self.vectors):
            return ""
        sims = self.vectors @ query_vec
        best = np.full(len(self.names), -1.0)
        np.maximum.at(best, self.owner, sims)
        order = np.argsort(-best)
        top = float(best[order[0]])
        second = float(best[order[1]]) if len(order) > 1 else -1.0
        return self.names[order[0]] if top >= self.min_similarity and top - second >= self.margin else ""

    def pattern(self, name: str) -> re.Pattern[str] | None:
        return self.patterns.get(name) if name else None
