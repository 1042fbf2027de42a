"""Corpus adapter: Markdown files with YAML front matter → documents, section-aware chunks, sentences.

Every chunk and sentence is an exact substring of its file, so a citation's quote can be checked
verbatim against `corpus/`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
from pydantic import ValidationError

from bot import yamlfile
from bot.errors import CorpusError
from bot.models import Chunk, DocMeta, Sentence

REQUIRED_FIELDS = ("id", "title", "year", "url", "doi", "evidence_type", "last_reviewed")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", re.M)
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace
# and a capital, digit or opening quote; a blank line or a heading also ends it.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z0-9\"'“‘(])")
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class SourceDoc:
    meta: DocMeta
    text: str  # the whole file, as it stands
    body_start: int  # offset of the body after the front matter


def load_corpus(corpus_dir: Path) -> list[SourceDoc]:
    """Every `*.md` under corpus_dir, sorted by path; refuses bad metadata naming file and field."""
    paths = sorted(p for p in corpus_dir.rglob("*.md") if p.is_file())
    if not paths:
        raise CorpusError(f"{corpus_dir}: no Markdown documents found")
    docs = [load_document(p, corpus_dir) for p in paths]
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.meta.id in seen:
            raise CorpusError(f"{doc.meta.path}: field 'id': {doc.meta.id!r} already used by {seen[doc.meta.id]}")
        seen[doc.meta.id] = doc.meta.path
    return docs


def load_document(path: Path, root: Path) -> SourceDoc:
    rel = str(path.relative_to(root))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{rel}: cannot read as UTF-8 text ({exc})") from exc
    match = _FRONT_MATTER.match(text)
    if not match:
        raise CorpusError(f"{rel}: field 'front matter': missing '---' block at the top")
    try:
        raw = yamlfile.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{rel}: field 'front matter': not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise CorpusError(f"{rel}: field 'front matter': expected key: value pairs")
    for name in REQUIRED_FIELDS:
        if name not in raw:
            raise CorpusError(f"{rel}: field '{name}': missing")
    if not raw.get("publisher") and not raw.get("authors"):
        raise CorpusError(f"{rel}: field 'publisher': missing (give publisher or authors)")
    raw["last_reviewed"] = str(raw["last_reviewed"])
    try:
        meta = DocMeta(**raw, path=rel)
    except ValidationError as exc:
        raise field_error(rel, exc, "front matter") from exc
    if meta.id != path.stem:
        raise CorpusError(f"{rel}: field 'id': {meta.id!r} must equal the file name {path.stem!r}")
    return SourceDoc(meta=meta, text=text, body_start=match.end())


def field_error(rel: str, exc: ValidationError, whole: str) -> CorpusError:
    """A validation error as one line naming the file and the first bad field (`whole` when it has no field)."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or whole
    return CorpusError(f"{rel}: field '{field}': {err['msg']}")


def corpus_hash(docs: list[SourceDoc]) -> str:
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(doc.meta.path.encode() + b"\0" + doc.text.encode() + b"\0")
    return digest.hexdigest()


def sections(doc: SourceDoc) -> list[tuple[str, int, int]]:
    """(heading, start, end) spans of the body, split at every heading; heading lines excluded."""
    body_end = len(doc.text)
    marks = [(m.group(2), m.start(), m.end()) for m in _HEADING.finditer(doc.text, doc.body_start)]
    spans: list[tuple[str, int, int]] = []
    first_start = marks[0][1] if marks else body_end
    if doc.text[doc.body_start:first_start].strip():
        spans.append(("", doc.body_start, first_start))
    for i, (title, _, end) in enumerate(marks):
        stop = marks[i + 1][1] if i + 1 < len(marks) else body_end
        if doc.text[end:stop].strip():
            spans.append((title, end, stop))
    return spans


def chunk_document(doc: SourceDoc, chunk_size: int, chunk_overlap: int) -> list[tuple[Chunk, int]]:
    """Section-aware chunks with their start offsets in the file; a chunk never spans two sections."""
    splitter = RecursiveCharacterTextSplitter.from_language(
        Language.MARKDOWN, chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True)
    out: list[tuple[Chunk, int]] = []
    for title, start, end in sections(doc):
        for piece in splitter.create_documents([doc.text[start:end]]):
            offset = start + piece.metadata["start_index"]
            chunk_id = f"{doc.meta.id}#{len(out)}"
            out.append((Chunk(id=chunk_id, doc_id=doc.meta.id, section=title, text=piece.page_content), offset))
    return out


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end]; a list's lead-in and its items stay one unit."""
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text, start, end):
        block = text[block_start:block_end]
        if block.lstrip().startswith(("- ", "* ")):  # list items continue the sentence before them
            if spans:
                spans[-1] = (spans[-1][0], block_end)
            continue
        cursor = 0
        for m in _SENTENCE_END.finditer(block):
            spans.append((block_start + cursor, block_start + m.start() + len(m.group(0).rstrip())))
            cursor = m.end()
        spans.append((block_start + cursor, block_end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [m.end() for m in _BLOCK_BREAK.finditer(text, start, end)]
    ends = [m.start() for m in _BLOCK_BREAK.finditer(text, start, end)] + [end]
    return list(zip(cuts, ends))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(doc: SourceDoc, chunks: list[tuple[Chunk, int]], first_id: int) -> list[Sentence]:
    """Sentences of the document, each assigned to the chunk that holds its start."""
    out: list[Sentence] = []
    for _, start, end in sections(doc):
        for s, e in sentence_spans(doc.text, start, end):
            owner = max((c for c, off in chunks if off <= s), key=lambda c: int(c.id.rsplit("#", 1)[1]))
            out.append(Sentence(id=first_id + len(out), chunk_id=owner.id, doc_id=doc.meta.id, text=doc.text[s:e]))
    return out
