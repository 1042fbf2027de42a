"""Vectors a new build reuses: a build from the console embeds only the texts the live build has not
embedded already (a new card's questions, a new document's chunks and sentences), so it takes seconds
instead of the ~15 s of a full build, and barely touches the CPU the visitor chat needs.

    >>> import numpy as np
    >>> class Model:
    ...     name, calls = "m", []
    ...     def embed_batch(self, texts):
    ...         self.calls.append(list(texts)); return np.ones((len(texts), 2))
    >>> cached = CachedEmbedder(Model(), {"known": np.zeros(2)})
    >>> cached.embed_batch(["known", "new", "new"]).tolist(), Model.calls
    ([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]], [['new']])
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from bot import index

log = logging.getLogger(__name__)


class CachedEmbedder:
    """The model, with the vectors of every text the live build already embedded: a new build embeds only
    what changed (a card's questions), so it takes seconds. Never serves visitors."""

    def __init__(self, embedder: Any, known: dict[str, np.ndarray]) -> None:
        self.embedder, self.known, self.name = embedder, known, embedder.name

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)

    def embed_batch(self, texts: Any) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.embedder.embed_batch(missing)))
        return np.stack([self.known[t] for t in texts]) if len(texts) else self.embedder.embed_batch([])


def known_vectors(bot: Any) -> dict[str, np.ndarray]:
    """text -> vector for the live build's sentences, card questions and chunks (as the build embeds them)."""
    data = bot.data
    known = {s.text: data.sentence_vectors[n] for n, s in enumerate(data.sentences)}
    questions = [q for card in data.cards for q in card.questions]
    known |= dict(zip(questions, data.card_vectors))
    try:
        got = bot.retriever.store._collection.get(include=["embeddings"])
        for chunk_id, vec in zip(got["ids"], got["embeddings"]):
            chunk = data.chunks.get(chunk_id)
            if chunk is not None:
                known[index.embedding_text(data.docs[chunk.doc_id], chunk)] = np.asarray(vec, dtype=np.float32)
    except Exception:  # a store without stored vectors: the chunks are embedded again
        log.info("chunk vectors not readable from the store; a build embeds them again")
    return known
