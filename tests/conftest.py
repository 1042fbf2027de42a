"""Shared fixtures. Every test gets its own index and data directories under tmp_path."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from bot.config import ROOT, Settings, load_settings

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus"


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the repo's index/ or data/; no test reads a developer's kapbot.toml."""
    monkeypatch.setenv("KAP_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KAP_CONFIG", str(tmp_path / "no-config.toml"))
    for var in ("CHROMA_HOST", "KAP_LOG_QUESTIONS", "KAP_STAFF_USER", "KAP_STAFF_PASSWORD"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def mini_settings(tmp_path: Path) -> Settings:
    """Settings over the small test corpus, with thresholds suited to the fake embedder."""
    return dataclasses.replace(load_settings(), corpus_dir=MINI_CORPUS, min_relevance=0.2, min_sentence=0.1)


@pytest.fixture(scope="session")
def real_bot(tmp_path_factory: pytest.TempPathFactory):
    """The real model over the real corpus, indexed once per session into its own directory."""
    from bot import index
    from bot.embed import MiniLMEmbedder
    from bot.pipeline import Bot

    os.environ.pop("CHROMA_HOST", None)
    settings = dataclasses.replace(load_settings({}), corpus_dir=ROOT / "corpus",
                                   index_dir=tmp_path_factory.mktemp("real-index"),
                                   data_dir=tmp_path_factory.mktemp("real-data"))
    embedder = MiniLMEmbedder()
    index.build(settings, embedder, progress=lambda _: None)
    return Bot.load(settings, embedder)
