"""Shared fixtures. Every test gets its own index and data directories under tmp_path."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ROOT, Settings, load_settings

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus"


def _module(item: pytest.Item) -> str:
    return getattr(getattr(item, "module", None), "__name__", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules whose servers start early (tests/servers.py: launch_early) run last: their servers boot
    beside the other tests."""
    from tests.servers import early_modules

    early = early_modules()
    items.sort(key=lambda item: _module(item) in early)


@pytest.fixture(scope="session", autouse=True)
def _early_servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Before the first test: start the servers of the modules with tests to run (tests/servers.py)."""
    from tests.servers import start_early, stop_early

    start_early({_module(item) for item in request.session.items}, tmp_path_factory)
    yield
    stop_early()


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


TEST_INDEX_CACHE = ROOT / ".cache" / "test-index"  # real-corpus indexes for tests, one per fingerprint


def real_index_dir(settings: Settings) -> Path:
    """An index of the real corpus for these settings, built at most once per corpus version: the repo's
    index/current when its manifest matches (as after `make index`; only read, never written), else a
    cache directory named by the fingerprint's hash (corpus hash, model, chunking), built on first use."""
    from bot import corpus, index
    from bot.embed import MODEL_NAME, MiniLMEmbedder

    repo = dataclasses.replace(settings, index_dir=ROOT / "index")
    if index.status(repo, MODEL_NAME) == "fresh":
        return repo.index_dir
    fingerprint = index.fingerprint(settings, corpus.load_corpus(settings.corpus_dir), MODEL_NAME)
    key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]
    cached = dataclasses.replace(settings, index_dir=TEST_INDEX_CACHE / key)
    if index.status(cached, MODEL_NAME) != "fresh":
        index.build(cached, MiniLMEmbedder(threads=None), progress=lambda _: None)
    return cached.index_dir


@pytest.fixture(scope="session")
def real_bot(tmp_path_factory: pytest.TempPathFactory):
    """The real model over the real corpus, loaded once per session from a cached index (real_index_dir).
    Its embedder keeps each query's vector (the model gives the same vector for the same text), so the
    suite's questions, asked again by the evaluation and by every publish check, are embedded once."""
    from bot.embed import MiniLMEmbedder
    from bot.pipeline import Bot
    from bot.publish_checks import Remembering

    os.environ.pop("CHROMA_HOST", None)
    settings = dataclasses.replace(load_settings({}), corpus_dir=ROOT / "corpus",
                                   data_dir=tmp_path_factory.mktemp("real-data"))
    settings = dataclasses.replace(settings, index_dir=real_index_dir(settings))
    return Bot.load(settings, Remembering(MiniLMEmbedder(), {}))
