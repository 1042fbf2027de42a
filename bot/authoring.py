"""Writing corpus files from the staff console: FAQ answer cards (bot/cards.py), clinic statements and
reference documents (bot/corpus.py). Files are the reviewed files under `corpus/`, the same a developer
edits; nothing is kept anywhere else.

A `Draft` is one file's new text plus `base`, the hash of the file as the editor opened it. It is
validated by the index build's own code (`load_card`, `load_document`) on a temporary copy, and written
only while the file still has that hash, so a second editor never silently overwrites the first:

    >>> d = Draft(kind="card", path="faq/x.yaml", text="id: x\\n", base=ABSENT)
    >>> check_text("fine text\\n", 100), d.base
    ('fine text\\n', 'absent')
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Sequence

import yaml

from bot import cards as faq
from bot import corpus, yamlfile
from bot.errors import BotError, CorpusError
from bot.models import Sentence

Kind = Literal["card", "clinic", "reference"]
FOLDERS: dict[str, str] = {"card": faq.FAQ_DIR, "clinic": "clinic", "reference": "references"}
SUFFIX: dict[str, str] = {"card": ".yaml", "clinic": ".md", "reference": ".md"}
ABSENT = "absent"  # the base of a file that did not exist when the editor opened it
MAX_CARD_BYTES = 20_000  # the largest card is ~1.5 KB
MAX_DOCUMENT_BYTES = 100_000  # the largest document is ~4 KB
CLINIC_EVIDENCE = "clinic"  # a clinic statement: shown to visitors as the clinic's own words
NOT_REFERENCE_EVIDENCE = frozenset({"clinic", "clinic article"})
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID_CHARS = 80
# a tag, a comment or a processing instruction: "<script", "</b", "<!--", "<?xml"; "<5 mg" or "a < b" pass
_MARKUP = re.compile(r"<\s*[A-Za-z!?/]")
_URL = re.compile(r"^https?://[^\s<>\"']+$")


class DraftError(BotError):
    """A draft that cannot be saved, with a message for the staff member who wrote it."""


class EditConflict(DraftError):
    """The file changed since the editor opened it."""


@dataclass(frozen=True)
class Draft:
    kind: Kind
    path: str  # relative to the corpus directory, e.g. faq/k-hole.yaml
    text: str
    base: str  # file_hash() of the file when the editor opened it, or ABSENT

    @property
    def key(self) -> str:
        """Identifies the draft's content: a preview's build is reused by a publish of the same draft."""
        return hashlib.sha256(f"{self.path}\0{self.base}\0{self.text}".encode()).hexdigest()[:16]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ABSENT


def path_for(kind: Kind, doc_id: str) -> str:
    """Where a card or document with this id lives; the id is checked first, so no path can escape corpus/.

    >>> path_for("card", "k-hole"), path_for("reference", "x-2024")
    ('faq/k-hole.yaml', 'references/x-2024.md')
    """
    doc_id = (doc_id or "").strip()
    if not _SLUG.match(doc_id) or len(doc_id) > MAX_ID_CHARS:
        raise DraftError(f"id {doc_id[:MAX_ID_CHARS]!r}: use lowercase words joined by hyphens, like 'k-hole' "
                         f"(at most {MAX_ID_CHARS} characters)")
    return f"{FOLDERS[kind]}/{doc_id}{SUFFIX[kind]}"


def open_file(corpus_dir: Path, rel: str) -> tuple[str | None, str]:
    """A file's text (None when it does not exist yet) and its base hash, as the editor opens it."""
    path = corpus_dir / rel
    return (path.read_text(encoding="utf-8") if path.is_file() else None), file_hash(path)


def check_text(text: str, limit: int) -> str:
    """Line endings folded to \\n; refused with a message naming the problem: too long, control characters,
    markup (nothing typed in the console is ever run as HTML or script, and none is stored)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    size = len(text.encode("utf-8"))
    if size > limit:
        raise DraftError(f"too long: {size:,} bytes; the limit is {limit:,}")
    if not text.strip():
        raise DraftError("the text is empty")
    for n, line in enumerate(text.split("\n"), 1):
        bad = next((c for c in line if unicodedata.category(c) in ("Cc", "Cs", "Co") and c != "\t"), None)
        if bad is not None:
            raise DraftError(f"line {n}: control character U+{ord(bad):04X} is not allowed")
        if m := _MARKUP.search(line):
            raise DraftError(f"line {n}: markup is not allowed ({line[m.start():m.start() + 12]!r}…); "
                             "write plain text (Markdown headings and lists are fine)")
    return text


def decode_upload(data: bytes, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """An uploaded file's text: UTF-8 only (a byte-order mark is dropped), within the size limit.

    >>> decode_upload(b"\\xef\\xbb\\xbfok\\n"), decode_upload("café".encode())
    ('ok\\n', 'café')
    """
    if len(data) > limit:
        raise DraftError(f"the file is {len(data):,} bytes; the limit is {limit:,}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DraftError(f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8 and upload it again") from exc
    return text.removeprefix("\ufeff")


def card_text(card_id: str, topic: str, questions: Sequence[str], answer: Sequence[tuple[str, str]],
              balance: Sequence[tuple[str, str]], reviewed_by: str, last_reviewed: str, not_covered: bool = False) -> str:
    """A card's YAML, in the layout of the hand-written cards. `not_covered`: a not-covered card (bot/cards.py),
    kept so when it is edited with no answer sentence ticked."""
    data: dict[str, Any] = {
        "id": card_id.strip(), "topic": " ".join(topic.split()),
        "questions": [" ".join(q.split()) for q in questions if q.strip()],
    }
    data |= {"not_covered": True} if not_covered and not answer else {"answer": [{"doc": d, "text": t} for d, t in answer]}
    if balance:
        data["balance"] = [{"doc": d, "text": t} for d, t in balance]
    try:  # a date is written as the hand-written cards have it: 2026-11-30, unquoted
        reviewed_on: date | str = date.fromisoformat(last_reviewed)
    except ValueError:
        reviewed_on = last_reviewed
    data |= {"reviewed_by": reviewed_by, "last_reviewed": reviewed_on}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)


def document_text(meta: dict[str, Any], body: str) -> str:
    """Front matter (in corpus.REQUIRED_FIELDS order, then the rest) and the Markdown body."""
    order = [*corpus.REQUIRED_FIELDS[:2], "publisher", "authors", *corpus.REQUIRED_FIELDS[2:]]
    fields = {k: meta.get(k) for k in order} | {k: v for k, v in meta.items() if k not in order}
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{front}---\n\n{body.strip()}\n"


def split_document(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a document's text, for filling the editor's form; ({}, text) without one."""
    m = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if not m:
        return {}, text
    try:
        meta = yamlfile.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, text
    return (meta if isinstance(meta, dict) else {}), text[m.end():].lstrip("\n")


def validate(draft: Draft, corpus_dir: Path, sentences: Sequence[Sentence] = ()) -> faq.Card | corpus.SourceDoc:
    """The draft checked as the index build will check it, with messages naming the field. A card's
    sentences are resolved against `sentences` (the live index's) when given."""
    if draft.kind == "card":
        text = check_text(draft.text, MAX_CARD_BYTES)
    else:
        text = check_text(draft.text, MAX_DOCUMENT_BYTES)
    with tempfile.TemporaryDirectory(prefix="kap-draft-") as tmp:
        path = Path(tmp) / draft.path
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
        try:
            loaded = faq.load_card(path, Path(tmp)) if draft.kind == "card" else corpus.load_document(path, Path(tmp))
        except CorpusError as exc:
            raise DraftError(str(exc)) from exc
    if isinstance(loaded, faq.Card):
        _check_card(loaded, corpus_dir, sentences)
    else:
        _check_document(loaded, draft, corpus_dir)
    return loaded


def _check_card(card: faq.Card, corpus_dir: Path, sentences: Sequence[Sentence]) -> None:
    others = [c for c in faq.load_cards(corpus_dir) if c.id != card.id]
    owner = {q.casefold(): c.id for c in others for q in c.questions}
    for q in card.questions:
        if q.casefold() in owner:
            raise DraftError(f"{card.path}: question {q!r} is already a question of card {owner[q.casefold()]!r}")
    if sentences:
        try:
            faq.resolve([card], list(sentences))
        except CorpusError as exc:
            raise DraftError(str(exc)) from exc


def _check_document(doc: corpus.SourceDoc, draft: Draft, corpus_dir: Path) -> None:
    meta = doc.meta
    if draft.kind == "clinic" and meta.evidence_type != CLINIC_EVIDENCE:
        raise DraftError(f"{draft.path}: field 'evidence_type': a clinic statement has evidence_type 'clinic'")
    if draft.kind == "reference" and meta.evidence_type in NOT_REFERENCE_EVIDENCE:
        raise DraftError(f"{draft.path}: field 'evidence_type': a reference cannot be {meta.evidence_type!r}")
    if meta.url and not _URL.match(meta.url):
        raise DraftError(f"{draft.path}: field 'url': give a web address starting with https:// or http://")
    if not corpus.sections(doc):
        raise DraftError(f"{draft.path}: the document has no text after its front matter")
    for other in corpus_dir.rglob("*.md"):
        rel = str(other.relative_to(corpus_dir))
        if rel != draft.path and other.stem == meta.id:
            raise DraftError(f"{draft.path}: field 'id': {meta.id!r} is already the id of {rel}")


def sentence_preview(doc: corpus.SourceDoc) -> list[tuple[str, str]]:
    """(section heading, sentence) for every sentence the index will cut from the document."""
    return [(title, doc.text[s:e]) for title, start, end in corpus.sections(doc)
            for s, e in corpus.sentence_spans(doc.text, start, end)]


def check_unchanged(draft: Draft, corpus_dir: Path) -> None:
    """Refuses the save when the file is no longer what the editor opened."""
    current = file_hash(corpus_dir / draft.path)
    if current == draft.base:
        return
    if draft.base == ABSENT:
        raise EditConflict(f"{draft.path} was created by someone else after you started this draft. "
                           "Open it again to see their version; your text was not saved.")
    if current == ABSENT:
        raise EditConflict(f"{draft.path} was removed after you opened it; your text was not saved.")
    raise EditConflict(f"{draft.path} was changed by someone else after you opened it. Open it again to see "
                       "their version, then make your change; your text was not saved.")


def write(corpus_dir: Path, rel: str, text: str | None) -> None:
    """Replace a corpus file atomically (a reader sees the old or the new file, never half of one);
    None removes it."""
    path = corpus_dir / rel
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def staged_corpus(corpus_dir: Path, dest: Path, rel: str, text: str | None) -> Path:
    """A copy of the corpus in `dest` with one file replaced (None: removed): what a publish builds from."""
    shutil.copytree(corpus_dir, dest, ignore=shutil.ignore_patterns(".*"))
    write(dest, rel, text)
    return dest
