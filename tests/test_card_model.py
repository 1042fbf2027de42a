"""The card classifier (bot/card_model.py), the matcher's second chance: it only adds a match when the
similarity rule declined, only to a card that exists and only when confident; it is fitted on sets left out in
turn (bot/card_train.py), used only with its own embedding model, and refitted whenever its data changes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot import card_model, card_train
from bot.card_model import NONE, CardClassifier
from bot.cards import Card
from bot.match import CardMatcher
from bot.models import CardMatch
from tests.fakes import FakeEmbedder

DIM = 4
N_TEXT = 2 * card_model.FEATURES.n_features


def classifier(bar: float = 0.6, classes: tuple[str, ...] = ("a", "b", NONE)) -> CardClassifier:
    """Embedding axis i votes for class i; the n-gram block is silent."""
    coef = np.zeros((len(classes), DIM + N_TEXT), dtype=np.float32)
    for i in range(len(classes)):
        coef[i, i] = 10.0
    return CardClassifier(classes, coef, np.zeros(len(classes), dtype=np.float32), bar, {"model": "fake"})


def card(cid: str, question: str) -> Card:
    return Card(id=cid, topic=cid, questions=[question] * 7, answer=[{"doc": "d", "text": "t"}],
                reviewed_by="r", last_reviewed="2026-11-30")


def matcher(threshold: float = 0.9) -> CardMatcher:
    vectors = np.repeat(np.eye(DIM, dtype=np.float32)[[0, 1]], 7, axis=0)
    return CardMatcher.build([card("a", "what is kap"), card("b", "is it safe")], vectors,
                             np.array([0] * 7 + [1] * 7), threshold=threshold, margin=0.1, lexical_weight=0.0)


def test_it_names_a_card_only_when_confident_and_only_one_that_exists():
    clf = classifier()
    assert clf.predict("q", np.array([1.0, 0, 0, 0]), {"a", "b"}) == ("a", pytest.approx(1.0, abs=1e-3))
    assert clf.predict("q", np.array([1.0, 0, 0, 0]), {"b"})[0] is None  # card a was removed since
    assert clf.predict("q", np.array([0, 0, 1.0, 0]), {"a", "b"})[0] is None  # "none"
    assert clf.predict("q", np.array([0.5, 0.5, 0, 0]) / np.sqrt(0.5), {"a", "b"})[0] is None  # unsure: 50/50


def test_the_second_chance_only_adds_to_what_the_rule_declined():
    m, vec = matcher(threshold=1.5), np.array([0.8, 0.6, 0, 0], dtype=np.float32)
    declined = m.match("q", vec)
    assert not declined.matched
    found = m.second_chance(declined, "q", vec, classifier())
    assert found.matched and found.via == "classifier" and found.card_id == "a"
    assert found.score == pytest.approx(0.8, abs=1e-3) and found.runner_up == "b" and found.probability > 0.6
    assert m.second_chance(declined, "q", vec, None) == declined
    unsure = m.second_chance(declined, "q", vec, classifier(bar=0.999))
    assert not unsure.matched and unsure.probability is not None
    rule = matcher(threshold=0.5).match("q", np.array([1.0, 0, 0, 0]))
    assert rule.matched and rule.via == "similarity"
    assert m.second_chance(rule, "q", np.array([0, 1.0, 0, 0]), classifier()) == rule


def test_saved_and_loaded_unchanged_and_only_for_its_own_embedding_model(tmp_path: Path):
    path = tmp_path / "cards.npz"
    card_model.save(path, classifier(bar=0.7))
    loaded = card_model.load(path, "fake")
    assert loaded.classes == ("a", "b", NONE) and loaded.bar == pytest.approx(0.7)
    assert loaded.predict("q", np.array([0, 1.0, 0, 0]), {"a", "b"})[0] == "b"
    assert card_model.load(path, "another-model") is None and card_model.load(tmp_path / "none.npz") is None


def write_data(root: Path) -> tuple[Path, tuple[Path, ...], Path]:
    faq = root / "corpus" / "faq"
    faq.mkdir(parents=True)
    topics = {"bladder": ["does ketamine hurt the bladder", "bladder damage from ketamine", "ketamine urinary problems"],
              "driving": ["can i drive after treatment", "who drives me home", "driving after ketamine"],
              "cost": ["how much does ketamine cost", "price of ketamine treatment", "ketamine fees"]}
    for cid, qs in topics.items():
        (faq / f"{cid}.yaml").write_text(yaml.safe_dump({
            "id": cid, "topic": cid, "questions": qs * 3, "answer": [{"doc": "d", "text": f"{cid} sentence."}],
            "reviewed_by": "r", "last_reviewed": "2026-11-30"}), encoding="utf-8")
    calibration = []
    for n in range(2):
        path = root / f"cal{n}.yaml"
        path.write_text(yaml.safe_dump({"paraphrases": [{"card": cid, "question": f"{qs[n]} please"} for cid, qs in topics.items()],
                                        "unrelated": ["what is the weather", "tell me a joke"]}), encoding="utf-8")
        calibration.append(path)
    dev = root / "dev"
    dev.mkdir()
    (dev / "batch_x.yaml").write_text(yaml.safe_dump({"cases": [
        {"id": "x-1", "question": "will ketamine wreck my bladder", "expect_kind": "answered",
         "gold_quotes": [{"doc": "d", "text": "bladder sentence."}]},
        {"id": "x-2", "question": "is the sky blue", "expect_kind": "no_answer"}]}), encoding="utf-8")
    return root / "corpus", tuple(calibration), dev


def test_training_labels_development_questions_by_their_gold_and_reports_each_set_left_out(tmp_path: Path):
    cards_dir, calibration, dev = write_data(tmp_path)
    examples = card_train.load_examples(lambda t: FakeEmbedder().embed_batch(t), cards_dir, calibration, dev)
    labels = {e.text: e.label for e in examples if e.group == "dev-batch_x"}
    assert labels == {"will ketamine wreck my bladder": "bladder", "is the sky blue": NONE}
    also = {e.text: e.also for e in examples if e.group == "dev-batch_x"}
    assert also["will ketamine wreck my bladder"] == frozenset()
    out, report_file = tmp_path / "m.npz", tmp_path / "r.json"
    report = card_train.run(FakeEmbedder(), out, report_file, cards_dir, calibration, dev, progress=lambda _: None)
    assert json.loads(report_file.read_text()) == report
    assert set(report["left_out_per_set"]) == {"cal-cal0", "cal-cal1", "dev-batch_x"}
    assert report["data_hash"] == card_train.data_hash(cards_dir, calibration, dev)
    fitted = card_model.load(out, FakeEmbedder().name)
    assert set(fitted.classes) == {"bladder", "driving", "cost", NONE} and 0 < fitted.bar <= 1


def test_a_card_whose_answer_holds_a_gold_sentence_is_right_though_another_is_the_label(tmp_path: Path):
    """A question both the bladder and the driving card quote a gold sentence for: labelled with the closer
    card, and the other one answering it is judged right (as the eval judges an answer), not a wrong match."""
    cards_dir, calibration, dev = write_data(tmp_path)
    (dev / "batch_x.yaml").write_text(yaml.safe_dump({"cases": [
        {"id": "x-1", "question": "bladder and driving", "expect_kind": "answered",
         "gold_quotes": [{"doc": "d", "text": "bladder sentence."}, {"doc": "d", "text": "driving sentence."}]}]}),
        encoding="utf-8")
    examples = card_train.load_examples(lambda t: FakeEmbedder().embed_batch(t), cards_dir, calibration, dev)
    (example,) = [e for e in examples if e.group == "dev-batch_x"]
    assert {example.label} | example.also == {"bladder", "driving"} and example.label not in example.also
    other = next(iter(example.also))
    assert card_train.judged([example], np.array([other], dtype=object)).tolist() == [example.label]
    assert card_train.judged([example], np.array(["cost"], dtype=object)).tolist() == ["cost"]


def test_a_not_covered_card_met_by_a_question_with_no_vetted_answer_is_not_a_false_match(tmp_path: Path):
    top, predicted = np.array([0.9, 0.8, 0.7]), np.array(["a", "gap", "a"], dtype=object)
    y = np.array(["a", NONE, "a"])
    assert card_train.choose_bar(top, predicted, y) == 0.9  # "gap" on an unanswered question counts as false
    excused = np.array([False, True, False])
    assert card_train.choose_bar(top, predicted, y, excused) == 0.7
    assert card_train.rates(top, predicted, y, 0.7, excused)["false_matches"] == 0.0
    assert card_train.rates(top, predicted, y, 0.7, excused)["not_covered_matches"] == 1
    cards_dir, calibration, dev = write_data(tmp_path)
    examples = card_train.load_examples(lambda t: FakeEmbedder().embed_batch(t), cards_dir, calibration, dev)
    flags = {e.text: e.unanswerable for e in examples if e.group != card_train.LEARN_ONLY}
    assert flags["is the sky blue"] and flags["tell me a joke"] and not flags["will ketamine wreck my bladder"]


def test_the_shipped_classifier_was_fitted_on_todays_cards_and_data():
    """Edit a card, a calibration set or the development questions without `python -m bot train-cards`, and
    this fails (until then, in the bot, a new card is matched by the similarity rule alone)."""
    shipped = card_model.load()
    assert shipped is not None, "bot/data/card_model.npz is missing: run `python -m bot train-cards`"
    assert shipped.meta["data_hash"] == card_train.data_hash(), "run `python -m bot train-cards`"
    report = json.loads(card_train.REPORT_FILE.read_text(encoding="utf-8"))
    assert report["data_hash"] == shipped.meta["data_hash"] and shipped.bar == pytest.approx(report["bar"])
