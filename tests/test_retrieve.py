import pytest

from bot import index, store
from bot.retrieve import HybridRetriever, LexicalIndex, fuse, tokenize
from bot.models import Chunk
from tests.fakes import FakeEmbedder


def test_fuse_rewards_agreement_between_rankings():
    fused = fuse({"dense": [("a", 0.9), ("b", 0.8), ("c", 0.1)], "lexical": [("b", 9.0), ("c", 3.0)]}, rrf_k=60)
    assert [cid for cid, _ in fused] == ["b", "c", "a"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_fuse_of_nothing_is_empty():
    assert fuse({}, 60) == [] and fuse({"dense": []}, 60) == []


@pytest.mark.parametrize("text, tokens", [
    ("What are the side effects?", ["side", "effect"]),
    ("Infusions helped", ["infusion", "help"]),
    ("", []),
    ("the is a of", []),
])
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_lexical_index_ranks_term_matches_and_ignores_empty_queries():
    chunks = [Chunk(id="x#0", doc_id="x", section="Bladder", text="Bladder symptoms and cystitis."),
              Chunk(id="y#0", doc_id="y", section="Mood", text="Mood improved within hours."),
              Chunk(id="z#0", doc_id="z", section="Other", text="Unrelated words entirely.")]
    lexical = LexicalIndex(chunks)
    assert lexical.search("bladder cystitis", 5)[0][0] == "x#0"
    assert lexical.search("the of", 5) == []
    assert all(score > 0 for _, score in lexical.search("mood", 5))


@pytest.fixture
def retriever(mini_settings):
    embedder = FakeEmbedder()
    index.build(mini_settings, embedder, progress=lambda _: None)
    data = index.load(mini_settings)
    chroma = store.open_store(mini_settings, data.path / "chroma", mini_settings.collection, embedder)
    return HybridRetriever(store=chroma, lexical=LexicalIndex(list(data.chunks.values())), chunks=data.chunks,
                           embedder=embedder, k=5)


def test_hybrid_reports_each_retrievers_scores(retriever):
    q = "How long does the benefit of an infusion last?"
    hits = retriever.retrieve_scored(q, FakeEmbedder().embed_query(q))
    assert hits[0].chunk_id.startswith("han-2016-response")
    assert hits[0].dense is not None and hits[0].lexical is not None and hits[0].fused > 0
    assert [h.fused for h in hits] == sorted((h.fused for h in hits), reverse=True)


@pytest.mark.parametrize("mode", ["dense", "lexical"])
def test_single_mode_uses_one_retriever(retriever, mode):
    q = "FDA approval anesthetic"
    hits = retriever.retrieve_scored(q, FakeEmbedder().embed_query(q), mode=mode)
    assert hits and all((h.lexical is None) if mode == "dense" else (h.dense is None) for h in hits)


def test_is_a_langchain_retriever(retriever):
    docs = retriever.invoke("bladder symptoms and blood pressure")
    assert docs[0].metadata["doc_id"] == "fda-ketamine-status" and docs[0].id.startswith("fda-ketamine-status#")
