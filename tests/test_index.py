import dataclasses
import shutil

import pytest

from bot import index, store
from bot.errors import CorpusError, IndexMissing
from tests.conftest import MINI_CORPUS
from tests.fakes import FakeEmbedder


class ExplodingEmbedder(FakeEmbedder):
    def embed_batch(self, texts):
        raise RuntimeError("interrupted mid-build")


def test_build_writes_manifest_and_data(mini_settings):
    path = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    data = index.load(mini_settings)
    assert data.path == path.resolve()
    assert data.manifest["model"] == FakeEmbedder.name and data.manifest["documents"] == 4
    assert data.manifest["chunks"] == len(data.chunks) and len(data.sentences) == len(data.sentence_vectors)
    assert (mini_settings.index_dir / "manifest.json").is_file()
    assert index.status(mini_settings, FakeEmbedder.name) == "fresh"


def test_status_detects_missing_and_stale(mini_settings, tmp_path):
    assert index.status(mini_settings, FakeEmbedder.name) == "missing"
    corpus_copy = tmp_path / "corpus"
    shutil.copytree(MINI_CORPUS, corpus_copy)
    settings = dataclasses.replace(mini_settings, corpus_dir=corpus_copy)
    index.build(settings, FakeEmbedder(), progress=lambda _: None)
    assert index.status(settings, FakeEmbedder.name) == "fresh"
    assert index.status(settings, "another-model") == "stale"
    assert index.status(dataclasses.replace(settings, chunk_size=500), FakeEmbedder.name) == "stale"
    (corpus_copy / "references" / "loftus-memory.md").write_text(
        (corpus_copy / "references" / "loftus-memory.md").read_text() + "\nOne more sentence.\n")
    assert index.status(settings, FakeEmbedder.name) == "stale"


def test_failed_build_leaves_previous_index_in_place(mini_settings):
    good = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    with pytest.raises(RuntimeError, match="interrupted"):
        index.build(mini_settings, ExplodingEmbedder(), progress=lambda _: None)
    assert index.load(mini_settings).path == good.resolve()
    assert [p.name for p in (mini_settings.index_dir / "builds").iterdir()] == [good.name]


def test_bad_corpus_is_refused_before_anything_is_written(mini_settings, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.md").write_text("---\nid: x\n---\nbody\n")
    with pytest.raises(CorpusError, match="x.md: field 'title'"):
        index.build(dataclasses.replace(mini_settings, corpus_dir=bad), FakeEmbedder(), progress=lambda _: None)
    with pytest.raises(IndexMissing):
        index.load(mini_settings)


def test_load_without_index_says_how_to_build(mini_settings):
    with pytest.raises(IndexMissing, match="python -m bot index"):
        index.load(mini_settings)


def test_serving_refuses_missing_or_empty_collection(mini_settings, tmp_path):
    with pytest.raises(IndexMissing, match="not found"):
        store.open_store(mini_settings, tmp_path / "empty-chroma", "kap_corpus", FakeEmbedder())
    client = store.client(mini_settings, tmp_path / "empty-chroma")
    client.create_collection("kap_corpus", configuration=store.vector_index(0), embedding_function=None)
    with pytest.raises(IndexMissing, match="empty"):
        store.open_store(mini_settings, tmp_path / "empty-chroma", "kap_corpus", FakeEmbedder())


def test_the_vector_search_list_is_never_shorter_than_the_collection(mini_settings):
    """An exact search: the same chunks for the same question in every process."""
    built = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    collection = store.client(mini_settings, built / "chroma").get_collection(mini_settings.collection)
    hnsw = collection.configuration_json["hnsw"]
    assert hnsw["space"] == "cosine" and hnsw["ef_search"] >= max(collection.count(), store.EXACT_SEARCH)
    assert store.vector_index(5000)["hnsw"]["ef_search"] == 5000  # a corpus that grows keeps it exact


def test_old_builds_are_pruned(mini_settings):
    for _ in range(index.KEEP_BUILDS + 2):
        last = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    builds = list((mini_settings.index_dir / "builds").iterdir())
    assert len(builds) == index.KEEP_BUILDS and last in builds


def test_a_build_can_be_written_without_activating_it_then_activated(mini_settings):
    live = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    candidate = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None, activate=False)
    assert index.load(mini_settings).path == live.resolve() and candidate.is_dir()
    assert index.current_build(mini_settings.index_dir) == live.resolve()
    assert index.activate(mini_settings.index_dir, candidate) == live.resolve()
    assert index.load(mini_settings).path == candidate.resolve()
    with pytest.raises(IndexMissing, match="not a complete build"):
        index.activate(mini_settings.index_dir, mini_settings.index_dir / "builds" / "nothing")


def test_activation_never_prunes_the_build_it_replaced(mini_settings):
    """The replaced build is what a rollback returns to, even when newer candidates were built meanwhile."""
    live = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    for _ in range(index.KEEP_BUILDS + 1):
        last = index.build(mini_settings, FakeEmbedder(), progress=lambda _: None, activate=False)
    index.activate(mini_settings.index_dir, last)
    names = {p.name for p in (mini_settings.index_dir / "builds").iterdir()}
    assert {live.name, last.name} <= names and len(names) == index.KEEP_BUILDS + 1
