from pathlib import Path

import pytest

from bot import corpus
from bot.config import ROOT
from bot.errors import CorpusError
from tests.conftest import MINI_CORPUS

GOOD = """---
id: {id}
title: "A title"
publisher: "A publisher"
authors: null
year: 2020
url: null
doi: null
evidence_type: RCT
last_reviewed: 2026-11-25
---
# A title

## Section one

First sentence here about ketamine. Second sentence follows it.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_metadata_and_relative_path():
    docs = corpus.load_corpus(MINI_CORPUS)
    ids = [d.meta.id for d in docs]
    assert "clinic-about" in ids and "han-2016-response" in ids
    clinic = next(d for d in docs if d.meta.id == "clinic-about")
    assert clinic.meta.is_clinic and clinic.meta.path == "clinic/clinic-about.md"


@pytest.mark.parametrize("field", ["id", "title", "year", "url", "doi", "evidence_type", "last_reviewed"])
def test_missing_field_is_refused_naming_file_and_field(tmp_path, field):
    text = "\n".join(line for line in GOOD.format(id="doc-a").splitlines() if not line.startswith(f"{field}:"))
    write(tmp_path, "doc-a.md", text + "\n")
    with pytest.raises(CorpusError, match=rf"doc-a\.md: field '{field}'"):
        corpus.load_corpus(tmp_path)


@pytest.mark.parametrize("bad, field", [
    ("evidence_type: RCT", "evidence_type: rumour"),
    ("year: 2020", "year: twenty"),
])
def test_malformed_field_is_refused(tmp_path, bad, field):
    write(tmp_path, "doc-a.md", GOOD.format(id="doc-a").replace(bad, field))
    with pytest.raises(CorpusError, match=r"doc-a\.md: field '(evidence_type|year)'"):
        corpus.load_corpus(tmp_path)


def test_id_must_match_file_name_and_be_unique(tmp_path):
    write(tmp_path, "doc-a.md", GOOD.format(id="doc-b"))
    with pytest.raises(CorpusError, match="must equal the file name"):
        corpus.load_corpus(tmp_path)


def test_no_front_matter_and_empty_corpus(tmp_path):
    with pytest.raises(CorpusError, match="no Markdown documents"):
        corpus.load_corpus(tmp_path)
    write(tmp_path, "doc-a.md", "# just text\n")
    with pytest.raises(CorpusError, match="front matter"):
        corpus.load_corpus(tmp_path)


def test_chunks_are_verbatim_and_never_span_sections():
    doc = next(d for d in corpus.load_corpus(MINI_CORPUS) if d.meta.id == "fda-ketamine-status")
    chunks = corpus.chunk_document(doc, chunk_size=900, chunk_overlap=0)
    assert [c.section for c, _ in chunks] == ["Approval", "Safety concerns"]
    for chunk, offset in chunks:
        assert doc.text[offset:offset + len(chunk.text)] == chunk.text
        assert "##" not in chunk.text


def test_sentences_are_verbatim_and_lists_stay_with_their_lead_in():
    doc = next(d for d in corpus.load_corpus(MINI_CORPUS) if d.meta.id == "clinic-about")
    chunks = corpus.chunk_document(doc, 900, 0)
    sentences = corpus.split_sentences(doc, chunks, first_id=10)
    assert [s.id for s in sentences] == list(range(10, 10 + len(sentences)))
    assert all(s.text in doc.text for s in sentences)
    listed = [s for s in sentences if "including:" in s.text]
    assert len(listed) == 1 and listed[0].text.endswith("Post-traumatic stress disorder")
    assert sentences[0].text == ("Ketamine therapy has shown a high efficacy rate and may provide relief "
                                 "from symptoms when other treatments have failed.")


@pytest.mark.parametrize("text, expected", [
    ("One. Two.", ["One.", "Two."]),
    ("Response was 52.3% at 24 hours. Then it fell.", ["Response was 52.3% at 24 hours.", "Then it fell."]),
    ("He said “stop.” Then left.", ["He said “stop.”", "Then left."]),
    ("Is it safe? Yes! 3 trials agree.", ["Is it safe?", "Yes!", "3 trials agree."]),
    ("First para.\n\nSecond para", ["First para.", "Second para"]),
    ("", []),
])
def test_sentence_spans(text, expected):
    assert [text[s:e] for s, e in corpus.sentence_spans(text, 0, len(text))] == expected


def test_real_corpus_loads_and_has_enough_references():
    docs = corpus.load_corpus(ROOT / "corpus")
    assert sum(d.meta.is_clinic for d in docs) == 1
    assert sum(not d.meta.is_clinic for d in docs) >= 20


def test_the_clinic_faq_example_is_valid_and_never_indexed_by_default():
    """docs/examples/ shows a clinic how to write its own statements: the same front matter the index build
    checks, evidence type `clinic`; it stays outside corpus/, so a default build never includes it."""
    from bot.config import ROOT
    from bot.corpus import load_corpus, load_document

    example = ROOT / "docs" / "examples" / "clinic-faq-example.md"
    doc = load_document(example, example.parent)
    assert doc.meta.evidence_type == "clinic" and doc.meta.is_clinic_statement and not doc.meta.is_clinic
    assert "clinic-faq-example" not in {d.meta.id for d in load_corpus(ROOT / "corpus")}
