"""FAQ answer cards: the format is checked, every card sentence is verified verbatim against its document
when the index is built, and a drifted or blocked card sentence fails the build naming the card."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot import index
from bot.cards import load_cards, resolve
from bot.errors import CorpusError
from bot.models import Sentence
from tests.conftest import MINI_CORPUS
from tests.fakes import FakeEmbedder

CARD = """id: {id}
topic: "a topic"
questions: [{questions}]
answer:
  - doc: fda-ketamine-status
    text: "{text}"
reviewed_by: "Dr. Reviewer"
last_reviewed: 2026-11-30
"""
SEVEN = ", ".join(f"question {n}" for n in range(7))
GOOD = "Ketamine is FDA-approved only as an anesthetic, and its use for depression is off-label."


def write(folder: Path, card_id: str, text: str = GOOD, questions: str = SEVEN) -> None:
    (folder / "faq").mkdir(parents=True, exist_ok=True)
    (folder / "faq" / f"{card_id}.yaml").write_text(CARD.format(id=card_id, text=text, questions=questions), encoding="utf-8")


def test_the_shipped_cards_load_and_each_has_seven_questions_and_one_to_three_answer_sentences():
    from bot.config import ROOT

    cards = load_cards(ROOT / "corpus")
    answering = [c for c in cards if not c.not_covered]
    assert len(answering) >= 50 and len(cards) > len(answering)
    assert all(len(c.questions) >= 7 and 1 <= len(c.answer) <= 3 and c.reviewed_by for c in answering)
    assert all(len(c.questions) >= 7 and not c.answer and not c.balance and c.reviewed_by
               for c in cards if c.not_covered)


NOT_COVERED = """id: {id}
topic: "ketamine for migraine"
not_covered: true
questions: [{questions}]
{answer}reviewed_by: "Dr. Reviewer"
last_reviewed: 2026-11-30
"""
ANSWER = f"""answer:
  - doc: fda-ketamine-status
    text: "{GOOD}"
"""


def test_a_not_covered_card_has_questions_and_no_answer(tmp_path: Path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "migraine.yaml").write_text(NOT_COVERED.format(id="migraine", questions=SEVEN, answer=""))
    [card] = load_cards(tmp_path)
    assert card.not_covered and card.answer == [] and card.topic == "ketamine for migraine"


def test_a_cards_answer_texts_are_its_answer_sentences_whitespace_folded(tmp_path: Path):
    write(tmp_path, "status", text=GOOD.replace(" only ", "  only\\n"))
    (tmp_path / "faq" / "migraine.yaml").write_text(NOT_COVERED.format(id="migraine", answer="",
                                                                       questions=SEVEN.replace("question", "ask")))
    cards = {c.id: c for c in load_cards(tmp_path)}
    assert cards["status"].answer_texts == frozenset({GOOD})
    assert cards["migraine"].answer_texts == frozenset()


def test_a_not_covered_card_with_an_answer_is_refused(tmp_path: Path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "migraine.yaml").write_text(NOT_COVERED.format(id="migraine", questions=SEVEN, answer=ANSWER))
    with pytest.raises(CorpusError, match="a not-covered card has no answer"):
        load_cards(tmp_path)


def test_a_card_without_an_answer_is_refused_unless_not_covered(tmp_path: Path):
    (tmp_path / "faq").mkdir()
    text = NOT_COVERED.format(id="migraine", questions=SEVEN, answer="").replace("not_covered: true\n", "")
    (tmp_path / "faq" / "migraine.yaml").write_text(text)
    with pytest.raises(CorpusError, match="at least 1 sentence \\(or not_covered: true\\)"):
        load_cards(tmp_path)


@pytest.mark.parametrize("card_id, questions, message", [
    ("Bad_Id", SEVEN, "field 'id'"),
    ("few-questions", "one, two", "field 'questions'"),
])
def test_a_malformed_card_is_refused_naming_file_and_field(tmp_path: Path, card_id: str, questions: str, message: str):
    write(tmp_path, card_id, questions=questions)
    with pytest.raises(CorpusError, match=message):
        load_cards(tmp_path)


def test_a_question_may_belong_to_one_card_only(tmp_path: Path):
    write(tmp_path, "first")
    write(tmp_path, "second")
    with pytest.raises(CorpusError, match="also a question of card 'first'"):
        load_cards(tmp_path)


def test_resolve_maps_each_card_sentence_to_its_corpus_sentence(tmp_path: Path):
    write(tmp_path, "status")
    sentences = [Sentence(id=7, chunk_id="fda-ketamine-status#0", doc_id="fda-ketamine-status", text=GOOD)]
    assert resolve(load_cards(tmp_path), sentences) == {"status": {"answer": [7], "balance": []}}


def _corpus_with(tmp_path: Path, text: str) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(MINI_CORPUS, corpus)
    shutil.rmtree(corpus / "faq")
    write(corpus, "drifted", text=text)
    return corpus


def test_a_drifted_card_sentence_fails_the_index_build_naming_card_and_sentence(tmp_path: Path, mini_settings):
    corpus = _corpus_with(tmp_path, "Ketamine is FDA-approved only as an anaesthetic.")  # the document says otherwise
    settings = dataclasses.replace(mini_settings, corpus_dir=corpus)
    with pytest.raises(CorpusError) as err:
        index.build(settings, FakeEmbedder(), progress=lambda _: None)
    assert "faq/drifted.yaml" in str(err.value) and "not, word for word, a sentence of 'fda-ketamine-status'" in str(err.value)
    assert "anaesthetic" in str(err.value)
    assert not (settings.index_dir / "current").exists()  # nothing half-built is served


def test_a_card_sentence_the_output_guard_would_drop_fails_the_build(tmp_path: Path, mini_settings):
    corpus = _corpus_with(tmp_path, "The FDA lists abuse and misuse, rises in blood pressure, and bladder symptoms among the "
                                    "safety concerns for ketamine.")
    (corpus / "references" / "fda-ketamine-status.md").write_text(
        (corpus / "references" / "fda-ketamine-status.md").read_text() + "\nKetamine is a miracle cure for everyone.\n")
    write(corpus, "drifted", text="Ketamine is a miracle cure for everyone.")
    with pytest.raises(CorpusError, match="output guard would drop"):
        index.build(dataclasses.replace(mini_settings, corpus_dir=corpus), FakeEmbedder(), progress=lambda _: None)


def test_a_card_change_makes_the_index_stale(tmp_path: Path, mini_settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(MINI_CORPUS, corpus)
    settings = dataclasses.replace(mini_settings, corpus_dir=corpus)
    index.build(settings, FakeEmbedder(), progress=lambda _: None)
    assert index.status(settings, FakeEmbedder.name) == "fresh"
    card = corpus / "faq" / "fda-status.yaml"
    card.write_text(card.read_text().replace("  - is ketamine an approved depression treatment in the US\n",
                                             "  - is ketamine an approved depression drug in the US\n"))
    assert index.status(settings, FakeEmbedder.name) == "stale"
