"""Data hygiene: no evaluation question may stand in the data the bot decides with.

If a question of the eval (or of the held-apart set) is copied into a guard's exemplars, its contrast
list, a lexicon comment or a FAQ card, the eval measures memory, not generalisation. A file's *entries*
are its YAML strings, its comments (a run of comment lines is one entry), the phrases it quotes in double
quotes, and, for Markdown and text, its paragraphs. A question *leaks* into a file when, after `normalise`
(casefold, punctuation stripped, whitespace folded), it equals one entry, or it has at least
`MIN_CONTAINED_WORDS` words and stands inside one entry as a run of whole words (except in the learned detectors'
training messages, *.jsonl, where only a copy counts: a natural message may contain "I want to kill myself"
without being an eval question). Questions shorter than
`MIN_CHARS` characters ("a", "?") are too short to leak.

    >>> normalise("  What's   the point, anymore?! ")
    'what s the point anymore'
    >>> leaks({"c-1": "I want to kill myself."}, {"crisis.yaml": "exemplars:\\n  - i want to KILL myself\\n"})
    [('c-1', 'crisis.yaml')]
    >>> leaks({"c-2": "want to"}, {"crisis.yaml": "- I want to kill myself"})
    []
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import yaml

from bot import yamlfile

MIN_CONTAINED_WORDS = 4  # shorter runs ("is it safe") occur in any text by chance
MIN_CHARS = 2
_PUNCT = re.compile(r"[^\w\s]|_")
_QUOTED = re.compile(r'["“]([^"”\n]+)["”]')
_WRAP = re.compile(r"\n[ \t]*#")


def normalise(text: str) -> str:
    """NFKC, casefold, every punctuation mark a space, whitespace folded."""
    return " ".join(_PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _comments(raw: str) -> Iterator[str]:
    """Each run of whole-line comments as one text, and each trailing comment (after " # ")."""
    block: list[str] = []
    for line in raw.splitlines() + [""]:
        if line.lstrip().startswith("#"):
            block.append(line.split("#", 1)[1])
            continue
        if block:
            yield " ".join(block)
            block = []
        if " # " in line:
            yield line.split(" # ", 1)[1]


def entries(name: str, raw: str) -> set[str]:
    """The normalised entries of one file (see the module docstring)."""
    found = set(_QUOTED.findall(_WRAP.sub(" ", raw)))  # a quote may wrap onto the next comment line
    found |= set(_comments(raw))
    if name.endswith((".yaml", ".yml")):
        try:
            found |= set(_strings(yamlfile.safe_load(raw)))
        except yaml.YAMLError:
            found |= set(raw.splitlines())  # a broken file is still checked, line by line
    else:
        found |= set(re.split(r"\n\s*\n", raw))
    return {normalise(e) for e in found} - {""}


def leaks(questions: Mapping[str, str], files: Mapping[str, str]) -> list[tuple[str, str]]:
    """(question id, file name) for every question that leaks into a file (see the module docstring)."""
    prepared = {name: entries(name, raw) for name, raw in files.items()}
    # every entry, space-padded, on its own line: one search per file finds a run of whole words inside
    # any entry (a normalised question holds no newline, so no match spans two entries)
    padded = {name: "\n".join(f" {u} " for u in units) for name, units in prepared.items()}
    out = []
    for qid, question in questions.items():
        q = normalise(question)
        if len(q) < MIN_CHARS:
            continue
        contained = len(q.split()) >= MIN_CONTAINED_WORDS
        for name, units in prepared.items():
            inside = contained and not name.endswith(".jsonl")  # a training message may hold a common phrase
            if q in units or (inside and f" {q} " in padded[name]):
                out.append((qid, name))
    return out


def read_files(roots: Iterable[Path]) -> dict[str, str]:
    """Every text file under the roots (absent roots are skipped), keyed by its path."""
    files: dict[str, str] = {}
    for root in roots:
        for path in sorted(root.rglob("*") if root.is_dir() else []):
            if path.is_file() and path.suffix in {".yaml", ".yml", ".md", ".txt", ".toml", ".json", ".jsonl"}:
                files[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return files
