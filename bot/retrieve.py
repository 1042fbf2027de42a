"""Retrieve stage: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

`fuse` is pure. `HybridRetriever` is the LangChain retriever over both; the pipeline calls
`retrieve_scored` with the question vector it already computed, so a question is embedded once.
"""
from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict
from rank_bm25 import BM25Okapi

from bot.models import Chunk, ScoredChunk

Mode = Literal["dense", "lexical", "hybrid"]
CANDIDATES = 20  # each retriever's depth before fusion
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its "
    "me my of on or our so than that the their them then there these they this to was we were what when where "
    "which who why will with would you your".split())


def tokenize(text: str) -> list[str]:
    """Lower-case words without stopwords, with plural and -ing/-ed endings folded."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def fuse(rankings: dict[str, list[tuple[str, float]]], rrf_k: int) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: score(c) = sum over rankings of 1 / (rrf_k + rank), rank from 1.

    >>> fuse({"a": [("x", 0.9), ("y", 0.5)], "b": [("y", 7.0)]}, rrf_k=60)[0][0]
    'y'
    """
    scores: dict[str, float] = {}
    for ranking in rankings.values():
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


class LexicalIndex:
    """BM25 over chunk texts (with their section titles)."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.ids = [c.id for c in chunks]
        self._bm25 = BM25Okapi([tokenize(f"{c.section} {c.text}") or ["_"] for c in chunks])

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        terms = tokenize(query)
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


class HybridRetriever(BaseRetriever):
    """Dense + BM25, fused by reciprocal rank; a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    store: Any  # langchain_chroma.Chroma
    lexical: LexicalIndex
    chunks: dict[str, Chunk]
    embedder: Any  # bot.embed.Embedder
    k: int = 8
    rrf_k: int = 60

    def retrieve_scored(self, query: str, query_vec: np.ndarray, mode: Mode = "hybrid",
                        k: int | None = None) -> list[ScoredChunk]:
        from bot.store import dense_search

        k = k or self.k
        rankings: dict[str, list[tuple[str, float]]] = {}
        if mode in ("dense", "hybrid"):
            rankings["dense"] = dense_search(self.store, query_vec, CANDIDATES)
        if mode in ("lexical", "hybrid"):
            rankings["lexical"] = self.lexical.search(query, CANDIDATES)
        return [self._scored(cid, score, rankings) for cid, score in fuse(rankings, self.rrf_k)[:k]]

    def _scored(self, chunk_id: str, fused: float, rankings: dict[str, list[tuple[str, float]]]) -> ScoredChunk:
        chunk = self.chunks[chunk_id]
        found: dict[str, tuple[int, float]] = {
            name: (rank, score) for name, ranking in rankings.items()
            for rank, (cid, score) in enumerate(ranking, start=1) if cid == chunk_id}
        dense, lexical = found.get("dense"), found.get("lexical")
        return ScoredChunk(
            chunk_id=chunk_id, doc_id=chunk.doc_id, section=chunk.section, text=chunk.text, fused=fused,
            dense=dense[1] if dense else None, dense_rank=dense[0] if dense else None,
            lexical=lexical[1] if lexical else None, lexical_rank=lexical[0] if lexical else None)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        scored = self.retrieve_scored(query, self.embedder.embed_query(query))
        return [Document(page_content=s.text, id=s.chunk_id,
                         metadata={"doc_id": s.doc_id, "section": s.section, "dense": s.dense,
                                   "lexical": s.lexical, "fused": s.fused}) for s in scored]
