"""Writing corpus files from the console: validation with clear messages, the concurrent-edit refusal,
atomic writes, the sentence preview."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import authoring, corpus
from bot.authoring import ABSENT, Draft, DraftError, EditConflict
from tests.conftest import MINI_CORPUS

SENTENCE = ("han-2016-response", "In pooled trials, about half of patients responded to a ketamine infusion at 24 hours.")
QUESTIONS = ["how many people respond to ketamine", "does ketamine work for most people", "ketamine response rate",
             "what share of patients respond to ketamine", "do most people respond to an infusion",
             "how often does ketamine help", "chance that ketamine works"]


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    shutil.copytree(MINI_CORPUS, tmp_path / "corpus")
    return tmp_path / "corpus"


def card(card_id: str = "response", questions=QUESTIONS, answer=(SENTENCE,), **over) -> str:
    return authoring.card_text(card_id, over.get("topic", "How many respond"), questions, answer, over.get("balance", ()),
                               "staff", "2026-11-30")


def doc(**meta) -> str:
    base = dict(id="clinic-costs", title="What a session costs", publisher="Calm Harbor Clinic", authors=None,
                year=2026, url=None, doi=None, evidence_type="clinic", last_reviewed="2026-11-30")
    return authoring.document_text(base | meta, "# Costs\n\nA session costs the same whether or not insurance pays. "
                                                "We send you a receipt for your insurer.")


def test_a_not_covered_card_edited_in_the_form_stays_not_covered(corpus_dir):
    text = authoring.card_text("response", "ketamine for migraine", QUESTIONS, (), (), "staff", "2026-11-30",
                               not_covered=True)
    loaded = authoring.validate(Draft("card", "faq/response.yaml", text, ABSENT), corpus_dir)
    assert loaded.not_covered and loaded.answer == [] and "answer" not in text
    ticked = authoring.card_text("response", "t", QUESTIONS, (SENTENCE,), (), "staff", "2026-11-30", not_covered=True)
    assert "not_covered" not in ticked  # ticking an answer sentence makes it an answering card


def test_a_card_written_by_the_form_is_a_valid_card(corpus_dir):
    text = card()
    loaded = authoring.validate(Draft("card", "faq/response.yaml", text, ABSENT), corpus_dir)
    assert loaded.reviewed_by == "staff" and loaded.answer[0].doc == "han-2016-response"
    assert text.startswith("id: response\ntopic: How many respond\nquestions:\n- how many people respond")


@pytest.mark.parametrize("text, message", [
    (card(questions=QUESTIONS[:3]), "field 'questions': List should have at least 7 items"),
    (card(answer=()), "field 'answer': Value error, at least 1 sentence (or not_covered: true)"),
    (card(answer=[SENTENCE] * 4), "field 'answer': List should have at most 3 items"),
    (card(card_id="Response!"), "field 'id': Value error, lowercase words joined by hyphens"),
    (card(card_id="other"), "field 'id': 'other' must equal the file name 'response'"),
    ("id: response\n" + "x" * 30_000, "too long: 30,013 bytes; the limit is 20,000"),
    ("", "the text is empty"),
    ("id: response\ntopic: a\x07b\n", "line 2: control character U+0007 is not allowed"),
    (card(topic="<script>alert(1)</script>"), "line 2: markup is not allowed ('<script>aler'…)"),
    (card(questions=QUESTIONS[:6] + ["<img src=x onerror=alert(1)>"]), "markup is not allowed"),
    ("id: [unclosed\n", "cannot read as a YAML card"),
])
def test_a_bad_card_is_refused_with_a_message_naming_the_problem(corpus_dir, text, message):
    with pytest.raises(DraftError) as err:
        authoring.validate(Draft("card", "faq/response.yaml", text, ABSENT), corpus_dir)
    assert message in str(err.value)


def test_a_card_sentence_must_be_a_corpus_sentence_word_for_word(corpus_dir):
    from bot.models import Sentence

    sentences = [Sentence(id=0, chunk_id="han-2016-response#0", doc_id=SENTENCE[0], text=SENTENCE[1])]
    draft = Draft("card", "faq/response.yaml", card(answer=[(SENTENCE[0], SENTENCE[1][:-1] + "!")]), ABSENT)
    with pytest.raises(DraftError, match="is not, word for word, a sentence of 'han-2016-response'"):
        authoring.validate(draft, corpus_dir, sentences)


def test_a_question_of_another_card_is_refused(corpus_dir):
    authoring.write(corpus_dir, "faq/response.yaml", card())
    other = card("other-card", questions=QUESTIONS[:1] + [f"other {n}" for n in range(6)])
    with pytest.raises(DraftError, match="already a question of card 'response'"):
        authoring.validate(Draft("card", "faq/other-card.yaml", other, ABSENT), corpus_dir)


@pytest.mark.parametrize("kind, meta, message", [
    ("clinic", {"evidence_type": "review"}, "field 'evidence_type': a clinic statement has evidence_type 'clinic'"),
    ("reference", {"evidence_type": "clinic"}, "field 'evidence_type': a reference cannot be 'clinic'"),
    ("clinic", {"evidence_type": "opinion"}, "field 'evidence_type': Input should be"),
    ("clinic", {"title": None}, "field 'title': Input should be a valid string"),
    ("clinic", {"publisher": None, "authors": None}, "field 'publisher': missing"),
    ("clinic", {"url": "javascript:alert(1)"}, "field 'url': give a web address"),
    ("clinic", {"id": "clinic-other"}, "field 'id': 'clinic-other' must equal the file name 'clinic-costs'"),
])
def test_a_bad_document_is_refused_with_a_message_naming_the_field(corpus_dir, kind, meta, message):
    rel = f"{'clinic' if kind == 'clinic' else 'references'}/clinic-costs.md"
    with pytest.raises(DraftError) as err:
        authoring.validate(Draft(kind, rel, doc(**meta), ABSENT), corpus_dir)
    assert message in str(err.value)


def test_a_document_id_already_used_elsewhere_is_refused(corpus_dir):
    text = doc(id="han-2016-response", evidence_type="clinic")
    with pytest.raises(DraftError, match="'han-2016-response' is already the id of references/han-2016-response.md"):
        authoring.validate(Draft("clinic", "clinic/han-2016-response.md", text, ABSENT), corpus_dir)


def test_a_documents_sentence_split_is_previewed(corpus_dir):
    loaded = authoring.validate(Draft("clinic", "clinic/clinic-costs.md", doc(), ABSENT), corpus_dir)
    assert isinstance(loaded, corpus.SourceDoc)
    assert authoring.sentence_preview(loaded) == [
        ("Costs", "A session costs the same whether or not insurance pays."),
        ("Costs", "We send you a receipt for your insurer.")]


def test_uploads_must_be_utf8_and_within_the_limit():
    assert authoring.decode_upload("naïve\n".encode()) == "naïve\n"
    with pytest.raises(DraftError, match="not UTF-8 text"):
        authoring.decode_upload("naïve".encode("latin-1"))
    with pytest.raises(DraftError, match="the limit is 100,000"):
        authoring.decode_upload(b"x" * 100_001)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b", "", "UPPER", "x" * 81, "k-hole.yaml"])
def test_an_id_can_never_name_a_path_outside_its_folder(bad):
    with pytest.raises(DraftError, match="lowercase words joined by hyphens"):
        authoring.path_for("card", bad)


def test_the_second_of_two_editors_is_refused_and_nothing_is_overwritten(corpus_dir):
    """Two staff open the same file; the first saves; the second's save is refused with a clear message."""
    rel = "references/han-2016-response.md"
    text, base = authoring.open_file(corpus_dir, rel)
    first, second = Draft("reference", rel, text + "\nOne more line.\n", base), Draft("reference", rel, text + "\nMine.\n", base)
    authoring.check_unchanged(first, corpus_dir)
    authoring.write(corpus_dir, rel, first.text)
    with pytest.raises(EditConflict, match="was changed by someone else after you opened it.*your text was not saved"):
        authoring.check_unchanged(second, corpus_dir)
    assert (corpus_dir / rel).read_text() == first.text


def test_two_editors_creating_the_same_new_file(corpus_dir):
    a, b = (Draft("card", "faq/response.yaml", card(topic=t), ABSENT) for t in ("A", "B"))
    authoring.check_unchanged(a, corpus_dir)
    authoring.write(corpus_dir, a.path, a.text)
    with pytest.raises(EditConflict, match="was created by someone else after you started this draft"):
        authoring.check_unchanged(b, corpus_dir)


def test_writes_are_atomic_and_leave_no_temporary_file(corpus_dir):
    before = {p.name for p in (corpus_dir / "faq").iterdir()} if (corpus_dir / "faq").is_dir() else set()
    authoring.write(corpus_dir, "faq/response.yaml", card())
    authoring.write(corpus_dir, "faq/response.yaml", card(topic="again"))
    assert {p.name for p in (corpus_dir / "faq").iterdir()} - before == {"response.yaml"}
    authoring.write(corpus_dir, "faq/response.yaml", None)
    assert not (corpus_dir / "faq" / "response.yaml").exists()
