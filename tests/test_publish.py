"""Publishing over the small corpus with the fake embedder: build without activating, checks, the swap,
refusals, the concurrent-edit refusal, rollback. The real checks run in test_publish_real.py."""
from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path

import pytest

from bot import authoring, index
from bot.authoring import ABSENT, Draft, DraftError, EditConflict
from bot.history import GateOutcome, History
from bot.pipeline import Bot
from bot.publish import Busy, Publisher
from bot.ui.service import LazyBot
from tests.conftest import MINI_CORPUS
from tests.fakes import FakeEmbedder

SENTENCE = ("han-2016-response", "Remission at one week was reached by only about one in five patients.")
QUESTIONS = ["how many reach remission", "remission rate after ketamine", "how often does ketamine bring remission",
             "what share of patients reach remission", "does remission last", "remission within a week",
             "chance of remission with ketamine"]


class Checks:
    """Stands in for the evaluation: passes, or blocks with a named gate."""

    def __init__(self, block: bool = False) -> None:
        self.block, self.calls = block, 0

    def run(self, candidate, live, changed, progress=lambda _: None):
        self.calls += 1
        return [GateOutcome(name="crisis recall", ok=not self.block, value="100.0%" if not self.block else "95.8%",
                            blocking=self.block, failing=["crisis-01: 'x': kind 'answered'"] if self.block else [])]


@pytest.fixture
def setup(tmp_path):
    shutil.copytree(MINI_CORPUS, tmp_path / "corpus")
    from bot.config import load_settings

    settings = dataclasses.replace(load_settings(), corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                                   data_dir=tmp_path / "data", min_relevance=0.2, min_sentence=0.1)
    index.build(settings, FakeEmbedder(), progress=lambda _: None)
    holder = LazyBot(lambda: Bot.load(settings, FakeEmbedder()))
    return settings, holder


def publisher(setup, checks=None) -> Publisher:
    settings, holder = setup
    return Publisher(settings, holder, History(settings.data_dir), checks or Checks(), breather_s=0)  # no visitors to let in


def card_draft(settings, text_sentence=SENTENCE[1], base=ABSENT) -> Draft:
    text = authoring.card_text("remission", "Remission", QUESTIONS, [(SENTENCE[0], text_sentence)], [], "staff", "2026-11-30")
    return Draft("card", "faq/remission.yaml", text, base)


def test_a_passing_publish_writes_the_file_activates_the_build_and_swaps_the_bot(setup):
    settings, holder = setup
    pub, lines = publisher(setup), []
    old = holder()
    in_flight = holder()  # a visitor request that started before the publish
    assert not old.answer(QUESTIONS[0]).card.matched
    change = pub.publish(card_draft(settings), "staff", lines.append)
    assert change.action == "publish" and change.user == "staff" and change.path == "faq/remission.yaml"
    assert (settings.corpus_dir / "faq" / "remission.yaml").read_text() == change.after and change.before is None
    assert index.current_build(settings.index_dir).name == change.build and change.previous_build == old.data.path.name
    assert index.status(settings, FakeEmbedder.name) == "fresh"  # the corpus and the live build agree
    new = holder()
    assert new is not old and new.settings == settings and in_flight is old  # the request keeps its bot
    turn = new.answer(QUESTIONS[0])
    assert turn.card.matched and turn.card.card_id == "remission" and SENTENCE[1] in turn.answer
    assert any(line.startswith("embedding: ") for line in lines) and lines[-1].startswith("done: swapped in")
    assert change.swap_ms is not None and change.gates[0].ok
    assert pub.history.records() == [change]
    assert not (settings.data_dir / "publish" / card_draft(settings).key).exists()  # the staging copy is gone


def test_a_blocking_check_refuses_the_publish_and_changes_nothing(setup):
    settings, holder = setup
    old, live_build = holder(), index.current_build(setup[0].index_dir)
    pub = publisher(setup, Checks(block=True))
    change = pub.publish(card_draft(settings), "staff")
    assert change.action == "refused" and change.build is None and change.gates[0].blocking
    assert change.gates[0].failing == ["crisis-01: 'x': kind 'answered'"]
    assert not (settings.corpus_dir / "faq" / "remission.yaml").exists()
    assert holder() is old and index.current_build(settings.index_dir) == live_build
    assert [p.name for p in (settings.index_dir / "builds").iterdir()] == [live_build.name]  # candidate removed
    assert pub.history.records()[-1].action == "refused"


def test_a_card_sentence_that_is_not_in_the_corpus_is_refused_by_validation(setup):
    settings, holder = setup
    with pytest.raises(DraftError, match="not, word for word, a sentence"):
        publisher(setup).publish(card_draft(settings, "Remission is common."), "staff")
    assert not (settings.corpus_dir / "faq" / "remission.yaml").exists()


def test_a_card_sentence_the_output_guard_would_drop_is_refused_at_publish(setup):
    settings, holder = setup
    overclaim = "Ketamine therapy has shown a high efficacy rate and may provide relief from symptoms when other treatments have failed."
    text = authoring.card_text("remission", "Remission", QUESTIONS, [("clinic-about", overclaim)], [], "staff", "2026-11-30")
    change = publisher(setup).publish(Draft("card", "faq/remission.yaml", text, ABSENT), "staff")
    assert change.action == "refused" and "output guard would drop" in change.gates[0].failing[0]
    assert holder().data.path == index.current_build(settings.index_dir)


def test_publishing_a_file_that_changed_since_it_was_opened_is_refused(setup):
    settings, holder = setup
    rel = "references/han-2016-response.md"
    text, base = authoring.open_file(settings.corpus_dir, rel)
    mine = Draft("reference", rel, text + "\nRemission is rare after one dose.\n", base)
    authoring.write(settings.corpus_dir, rel, text + "\nSomeone else's sentence.\n")  # another editor saved first
    with pytest.raises(EditConflict, match="changed by someone else"):
        publisher(setup).publish(mine, "staff")
    assert "Someone else's sentence." in (settings.corpus_dir / rel).read_text()


def test_a_preview_build_is_reused_by_the_publish_of_the_same_draft(setup):
    settings, holder = setup
    pub, draft = publisher(setup), card_draft(settings)
    preview = pub.preview(draft)
    assert preview.answer(QUESTIONS[1]).card.matched and not holder().answer(QUESTIONS[1]).card.matched
    built = preview.data.path.name
    assert pub.publish(draft, "staff").build == built


def test_rollback_restores_the_file_and_swaps_back_to_the_previous_bot(setup):
    settings, holder = setup
    pub, old = publisher(setup), holder()
    published = pub.publish(card_draft(settings), "staff")
    rolled = pub.rollback("dr-b")
    assert rolled.action == "rollback" and rolled.reverts == published.id and rolled.user == "dr-b"
    assert rolled.build == old.data.path.name and rolled.previous_build == published.build
    assert not (settings.corpus_dir / "faq" / "remission.yaml").exists()
    assert index.current_build(settings.index_dir).name == old.data.path.name
    assert holder().data is old.data  # the very bot that served before, no reload
    assert not holder().answer(QUESTIONS[0]).card.matched
    with pytest.raises(DraftError, match="nothing to roll back"):
        pub.rollback("dr-b")


def test_rollback_rebuilds_a_pruned_build(setup):
    settings, holder = setup
    pub = publisher(setup)
    published = pub.publish(card_draft(settings), "staff")
    shutil.rmtree(settings.index_dir / "builds" / published.previous_build)
    pub._bots.clear()  # as after a restart
    rolled = pub.rollback("staff")
    assert rolled.build != published.previous_build and index.current_build(settings.index_dir).name == rolled.build
    assert not holder().answer(QUESTIONS[0]).card.matched


def test_rollback_is_refused_when_the_file_changed_after_the_publish(setup):
    settings, _ = setup
    pub = publisher(setup)
    pub.publish(card_draft(settings), "staff")
    authoring.write(settings.corpus_dir, "faq/remission.yaml", "id: remission\n")
    with pytest.raises(EditConflict, match="roll back refused"):
        pub.rollback("staff")


def test_one_publish_at_a_time(setup):
    settings, _ = setup
    started, release = threading.Event(), threading.Event()

    class Slow(Checks):
        def run(self, *args, **kw):
            started.set()
            release.wait(10)
            return super().run(*args, **kw)

    pub = publisher(setup, Slow())
    worker = threading.Thread(target=pub.publish, args=(card_draft(settings), "staff"))
    worker.start()
    assert started.wait(30)
    with pytest.raises(Busy, match="running"):
        pub.rollback("staff")
    release.set()
    worker.join(30)
    assert pub.history.records()[-1].action == "publish"


def test_a_clinic_statement_is_published_and_answers_its_topic_as_the_clinics_own_words(setup):
    settings, holder = setup
    question = "Do you take Blue Cross?"
    assert holder().answer(question).kind == "no_answer"  # a clinic topic with no clinic statement yet
    meta = dict(id="clinic-insurance", title="Insurance at the clinic", publisher="Calm Harbor Clinic", authors=None,
                year=2026, url=None, doi=None, evidence_type="clinic", last_reviewed="2026-11-30")
    text = authoring.document_text(meta, "# Insurance\n\nThe clinic does not take Blue Cross or other insurers "
                                         "directly, but it gives you a receipt to send to your insurer.")
    change = publisher(setup).publish(Draft("clinic", "clinic/clinic-insurance.md", text, ABSENT), "staff")
    assert change.action == "publish" and (settings.corpus_dir / "clinic" / "clinic-insurance.md").read_text() == text
    turn = holder().answer(question)
    assert turn.kind == "answered" and turn.clinic_topic == "insurance coverage"
    assert [c.source for c in turn.citations] == ["clinic-insurance"]
    assert holder().docs["clinic-insurance"].is_clinic_statement


def test_publishing_is_refused_with_a_chroma_server(setup):
    settings, holder = setup
    pub = Publisher(dataclasses.replace(settings, chroma_host="127.0.0.1"), holder, History(settings.data_dir), Checks())
    with pytest.raises(DraftError, match="needs the embedded Chroma store"):
        pub.publish(card_draft(settings), "staff")
