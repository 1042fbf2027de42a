"""Index stage (build time): corpus → chunks and sentences → vectors → Chroma, plus a manifest.

A build writes a fresh directory under `index/builds/` and only then repoints `index/current`
(an atomic symlink swap), so a failed or interrupted build never replaces a working index.
One writer at a time: builds take an exclusive lock on `index/.build.lock`. The staff console builds
with `activate=False`, tests the build, and only then makes it current with `activate()`.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from bot import cards as faq
from bot import corpus, store
from bot.config import Settings
from bot.embed import Embedder
from bot.errors import CorpusError, IndexMissing
from bot.models import Chunk, DocMeta, Sentence

INDEX_FORMAT = 3
KEEP_BUILDS = 2
EMBED_BATCH = 128
Progress = Callable[[str], None]


@dataclass(frozen=True)
class IndexData:
    """What serving needs besides the Chroma collection."""

    path: Path
    manifest: dict
    docs: dict[str, DocMeta]
    chunks: dict[str, Chunk]
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    cards: list[faq.Card]
    card_sentences: dict[str, dict[str, list[int]]]  # card id -> {"answer": [sentence ids], "balance": [...]}
    card_vectors: np.ndarray  # one row per card question
    card_owner: np.ndarray  # row -> index into cards


def fingerprint(settings: Settings, docs: list[corpus.SourceDoc], model_name: str) -> dict:
    return {
        "format": INDEX_FORMAT,
        "corpus_hash": corpus.corpus_hash(docs),
        "cards_hash": faq.cards_hash(settings.corpus_dir),
        "guard_data_hash": _guard_data_hash(),
        "model": model_name,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "collection": settings.collection,
        "vector_index": store.VECTOR_INDEX,
        "chroma": f"http://{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "embedded",
    }


def _guard_data_hash() -> str:
    """The learned detectors' training data: when it changes, the index (and the detectors) are stale."""
    from bot.guards.train import data_hash

    return data_hash()


def status(settings: Settings, model_name: str) -> str:
    """'missing', 'stale' or 'fresh' for the index that `index/current` points to."""
    manifest_path = settings.index_dir / "current" / "manifest.json"
    if not manifest_path.is_file():
        return "missing"
    manifest = json.loads(manifest_path.read_text())
    wanted = fingerprint(settings, corpus.load_corpus(settings.corpus_dir), model_name)
    return "fresh" if all(manifest.get(k) == v for k, v in wanted.items()) else "stale"


def embedding_text(meta: DocMeta, chunk: Chunk) -> str:
    """Chunks are embedded with their document title and section, which carry much of their topic."""
    return f"{meta.title}. {chunk.section}.\n{chunk.text}"


def build(settings: Settings, embedder: Embedder, progress: Progress = print, activate: bool = True) -> Path:
    """Build a new index and make it current (unless `activate` is False: the build is then only written,
    for the caller to test and to pass to `activate()`). Returns the build directory."""
    started = time.perf_counter()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        docs = corpus.load_corpus(settings.corpus_dir)
        progress(f"corpus: {len(docs)} documents")
        build_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        target = settings.index_dir / "builds" / build_id
        try:
            manifest = _write_build(settings, embedder, docs, target, build_id, progress)
            if activate:
                _activate(settings.index_dir, target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    progress(f"index built in {time.perf_counter() - started:.1f} s: {manifest['chunks']} chunks, "
             f"{manifest['sentences']} sentences -> {target}")
    return target


def _write_build(settings: Settings, embedder: Embedder, docs: list[corpus.SourceDoc], target: Path,
                 build_id: str, progress: Progress) -> dict:
    target.mkdir(parents=True)
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    for doc in docs:
        doc_chunks = corpus.chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        chunks.extend(c for c, _ in doc_chunks)
        sentences.extend(corpus.split_sentences(doc, doc_chunks, first_id=len(sentences)))
    metas = {d.meta.id: d.meta for d in docs}
    cards = faq.load_cards(settings.corpus_dir)
    card_sentences = faq.resolve(cards, sentences)
    _refuse_blocked_card_sentences(cards, card_sentences, sentences)
    questions = [(n, q) for n, card in enumerate(cards) for q in card.questions]
    progress(f"embedding {len(chunks)} chunks, {len(sentences)} sentences and {len(questions)} card questions ...")
    chunk_vecs = _embed(embedder, [embedding_text(metas[c.doc_id], c) for c in chunks], "chunks", progress)
    sentence_vecs = _embed(embedder, [s.text for s in sentences], "sentences", progress)
    card_vecs = _embed(embedder, [q for _, q in questions], "card questions", progress)
    progress("writing Chroma collection ...")
    _write_collection(settings, target, build_id, chunks, chunk_vecs)
    np.save(target / "sentence_vectors.npy", sentence_vecs)
    np.save(target / "card_vectors.npy", card_vecs)
    _dump(target / "cards.json", {"cards": [c.model_dump(mode="json") for c in cards], "sentences": card_sentences,
                                  "owner": [n for n, _ in questions]})
    _dump(target / "docs.json", [m.model_dump() for m in metas.values()])
    _dump(target / "chunks.json", [c.model_dump() for c in chunks])
    _dump(target / "sentences.json", [s.model_dump() for s in sentences])
    manifest = fingerprint(settings, docs, embedder.name) | {
        "build_id": build_id, "documents": len(docs), "chunks": len(chunks), "sentences": len(sentences),
        "cards": len(cards), "card_questions": len(questions),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _dump(target / "manifest.json", manifest)  # written last: its presence marks a complete build
    return manifest


def _refuse_blocked_card_sentences(cards: list[faq.Card], resolved: dict[str, dict[str, list[int]]],
                                   sentences: list[Sentence]) -> None:
    """A card sentence the output guard would drop (an overclaim, a dose, an FDA misstatement) would never be
    shown; the card is wrong, so the build fails naming it."""
    from bot.guards.output import problems
    from bot.guards.rules import load_rules

    rules = load_rules()
    for card in cards:
        for part, ids in resolved[card.id].items():
            for sid in ids:
                found = {k: v for k, v in problems(sentences[sid].text, rules).items() if v}
                if found:
                    raise CorpusError(f"{card.path}: {part}: the output guard would drop this sentence "
                                             f"({', '.join(found)}): {sentences[sid].text!r}")


def _embed(embedder: Embedder, texts: list[str], what: str, progress: Progress) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), EMBED_BATCH):
        parts.append(embedder.embed_batch(texts[start:start + EMBED_BATCH]))
        progress(f"  {what}: {min(start + EMBED_BATCH, len(texts))}/{len(texts)} embedded")
    return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def _write_collection(settings: Settings, target: Path, build_id: str, chunks: list[Chunk],
                      vectors: np.ndarray) -> None:
    chroma = store.client(settings, target / "chroma")
    name = f"{settings.collection}__{build_id.replace('-', '_')}" if settings.chroma_host else settings.collection
    collection = chroma.create_collection(name=name, configuration=store.vector_index(len(chunks)),
                                         embedding_function=None)
    collection.add(ids=[c.id for c in chunks], embeddings=vectors.tolist(), documents=[c.text for c in chunks],
                   metadatas=[{"doc_id": c.doc_id, "section": c.section} for c in chunks])
    if not settings.chroma_host:
        chroma.close()  # the server process opens the build again; an open client would outlive its directory
    if settings.chroma_host:  # on a shared server, swap the finished collection in under its real name
        old = f"{settings.collection}__old_{build_id.replace('-', '_')}"
        if settings.collection in [c.name if hasattr(c, "name") else c for c in chroma.list_collections()]:
            chroma.get_collection(settings.collection).modify(name=old)
            collection.modify(name=settings.collection)
            chroma.delete_collection(old)
        else:
            collection.modify(name=settings.collection)


def current_build(index_dir: Path) -> Path | None:
    """The build `index/current` points to, or None."""
    link = index_dir / "current"
    return link.resolve() if (link / "manifest.json").is_file() else None


def activate(index_dir: Path, target: Path) -> Path | None:
    """Make a complete build current (the atomic symlink swap); returns the build it replaced. Old builds
    are pruned, but never the current one or the one it replaced (a rollback's target)."""
    if not (target / "manifest.json").is_file():
        raise IndexMissing(f"{target} is not a complete build")
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _activate(index_dir, target)


def _activate(index_dir: Path, target: Path) -> Path | None:
    previous = current_build(index_dir)
    _make_current(index_dir, target)
    _prune(index_dir, keep={previous.name} if previous else set())
    return previous


def _make_current(index_dir: Path, target: Path) -> None:
    for link_name, points_to in (("current", f"builds/{target.name}"), ("manifest.json", "current/manifest.json")):
        tmp = index_dir / f".{link_name}.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(points_to, tmp)
        os.replace(tmp, index_dir / link_name)


def _prune(index_dir: Path, keep: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    current = (index_dir / "current").resolve().name
    builds = sorted((p for p in (index_dir / "builds").iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in builds[:-KEEP_BUILDS]:
        if old.name != current and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def load(settings: Settings) -> IndexData:
    """The current build's data files; raises IndexMissing when there is no complete build."""
    path = (settings.index_dir / "current").resolve()
    if not (path / "manifest.json").is_file():
        raise IndexMissing(f"no index at {settings.index_dir}; run `python -m bot index` (or `make index`)")
    read = lambda name: json.loads((path / name).read_text(encoding="utf-8"))  # noqa: E731
    sentences = [Sentence(**s) for s in read("sentences.json")]
    vectors = np.load(path / "sentence_vectors.npy")
    if not sentences or len(sentences) != len(vectors):
        raise IndexMissing(f"index at {path} is empty or inconsistent; rebuild it")
    cards = read("cards.json")
    card_vectors = np.load(path / "card_vectors.npy")
    if len(cards["owner"]) != len(card_vectors):
        raise IndexMissing(f"index at {path}: card questions and their vectors disagree; rebuild it")
    return IndexData(
        path=path, manifest=read("manifest.json"),
        docs={d["id"]: DocMeta(**d) for d in read("docs.json")},
        chunks={c["id"]: Chunk(**c) for c in read("chunks.json")},
        sentences=sentences, sentence_vectors=vectors,
        cards=[faq.Card(**c) for c in cards["cards"]], card_sentences=cards["sentences"],
        card_vectors=card_vectors, card_owner=np.asarray(cards["owner"], dtype=np.int64),
    )
