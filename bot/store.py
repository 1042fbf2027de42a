"""Chroma adapter: the embedded persistent store by default, a Chroma server when CHROMA_HOST is set.

LangChain's `Chroma` vector store wraps the collection; vectors always come from our own
embedder (never chromadb's default embedding function, which downloads a model).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from bot.config import Settings
from bot.embed import Embedder, offline_environment
from bot.errors import IndexMissing

EXACT_SEARCH = 512  # the shortest search list (Chroma's default is 100)
VECTOR_INDEX = "hnsw, cosine, search list at least the collection's size"  # in the index's fingerprint


def vector_index(vectors: int) -> dict:
    """Chroma's HNSW settings for a collection of `vectors`: a search list at least as long as the collection
    makes the approximate search exact, so a question retrieves the same chunks in every process (with the
    default list, about 1 question in 100 got a different dense top-k from one process to the next). The corpus
    is a few hundred chunks, so exact costs nothing that shows."""
    ef = max(EXACT_SEARCH, vectors)
    return {"hnsw": {"space": "cosine", "ef_construction": ef, "ef_search": ef}}


class LangChainEmbeddings(Embeddings):
    """Our embedder seen through LangChain's interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_batch(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


def client(settings: Settings, persist_dir: Path | None):
    """A chromadb client with telemetry off: HTTP when a server is configured, else embedded."""
    offline_environment()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    if persist_dir is None:
        raise IndexMissing("no index directory given for the embedded Chroma store")
    return chromadb.PersistentClient(path=str(persist_dir), settings=chroma_settings)


def open_store(settings: Settings, persist_dir: Path | None, collection: str, embedder: Embedder) -> Chroma:
    """Open an existing collection for serving; refuses a missing or empty one."""
    chroma_client = client(settings, persist_dir)
    try:
        store = Chroma(collection_name=collection, client=chroma_client,
                       embedding_function=LangChainEmbeddings(embedder), create_collection_if_not_exists=False)
    except Exception as exc:  # chromadb raises NotFoundError/ValueError depending on the backend
        raise IndexMissing(f"Chroma collection {collection!r} not found ({exc}); run `python -m bot index`") from exc
    if not store.get(limit=1)["ids"]:
        raise IndexMissing(f"Chroma collection {collection!r} is empty; run `python -m bot index`")
    return store


def dense_search(store: Chroma, query_vec: np.ndarray, k: int) -> list[tuple[str, float]]:
    """(chunk id, cosine similarity) of the k nearest chunks, for an already-computed query vector."""
    hits = store.similarity_search_by_vector_with_relevance_scores(query_vec.tolist(), k=k)
    return [(doc.id, 1.0 - float(distance)) for doc, distance in hits]
