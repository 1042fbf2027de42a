"""The learned clinic-topic recogniser (bot/clinic_model.py) and its training (bot/clinic_train.py): it adds
what the patterns miss, lends a topic only from a close labelled question, is judged leaving whole batches
out, is used only with the embedding model it was fitted on, and is refitted whenever its data changes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot import clinic_model, clinic_train
from bot.clinic_model import ClinicModel
from bot.clinic_topics import load_topics, recognise
from tests.fakes import FakeEmbedder

TOPICS = load_topics()
DIM = 4


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def model(intercept: float, bar: float = 0.5) -> ClinicModel:
    """Weights on the embedding only: the first axis is 'the clinic's own', the text block is silent."""
    n_text = 2 * clinic_model.TextFeatures().n_features
    return ClinicModel(np.array([8.0, 0, 0, 0], dtype=np.float32), np.zeros(n_text, dtype=np.float32), intercept, bar,
                       np.stack([unit(1, 1, 0, 0), unit(1, 0, 1, 0)]), ("cost", "booking"), {"model": "fake"})


def test_the_model_takes_what_no_pattern_names_and_lends_the_closest_labelled_topic():
    question = "is the doc board certified lol"  # no pattern of clinic_topics.yaml names it
    assert recognise(question, TOPICS) is None
    assert recognise(question, TOPICS, model(-4.0), unit(1, 1, 0.1, 0)).name == "cost"
    assert recognise(question, TOPICS, model(-4.0), unit(1, 0.1, 1, 0)).name == "booking"


def test_far_from_every_labelled_question_it_gets_the_generic_topic():
    topic = recognise("is the doc board certified lol", TOPICS, model(-4.0), unit(1, 0, 0, 1))
    assert topic.name == "practice" and topic.pattern is None and topic.label


def test_a_question_asked_of_the_clinic_keeps_the_generic_topic_whatever_the_nearest_labelled_one():
    """The closest labelled question names the topic of few such questions ("does your clinic have references
    on the trials?" lies nearest an insurance question): the visitor gets the generic topic, never a wrong one."""
    question = "does your clinic have references on the ketamine trials?"
    assert recognise(question, TOPICS, model(-4.0), unit(1, 1, 0.1, 0)).name == "practice"
    assert recognise(question, TOPICS, model(-40.0), unit(1, 1, 0.1, 0)).name == "practice"  # even below the bar


def test_below_the_bar_nothing_is_taken_and_a_pattern_always_wins():
    assert recognise("is the doc board certified lol", TOPICS, model(-4.0, bar=0.999), unit(1, 1, 0, 0)) is None
    assert recognise("How much does a session cost?", TOPICS, model(-4.0), unit(1, 0.1, 1, 0)).name == "cost"
    assert recognise("What is KAP?", TOPICS, model(-40.0), unit(1, 1, 0, 0)) is None


def test_a_caller_may_ask_for_another_bar_than_the_models_own():
    """The pipeline's no-answer wording asks only for more likely than not (Settings.clinic_fallback_probability)."""
    question, vec = "is the doc board certified lol", unit(1, 1, 0, 0)
    assert recognise(question, TOPICS, model(-4.0, bar=0.999), vec) is None  # p = 0.982
    assert recognise(question, TOPICS, model(-4.0, bar=0.999), vec, bar=0.5).name == "cost"
    assert recognise(question, TOPICS, model(-4.0, bar=0.5), vec, bar=0.99) is None


def test_saved_and_loaded_unchanged_and_only_for_its_own_embedding_model(tmp_path: Path):
    path = tmp_path / "clinic.npz"
    clinic_model.save(path, model(-4.0, bar=0.7))
    loaded = clinic_model.load(path, "fake")
    vec = unit(1, 1, 0, 0)
    assert loaded.bar == pytest.approx(0.7) and loaded.example_topics == ("cost", "booking")
    assert loaded.probability("how much", vec) == pytest.approx(model(-4.0).probability("how much", vec), abs=1e-4)
    assert clinic_model.load(path, "another-model") is None
    assert clinic_model.load(tmp_path / "missing.npz") is None


CLINIC = ["how much is one session", "do you take my insurance", "where is your office", "can i book for friday",
          "who are your doctors", "what should i bring", "is there parking", "are you open on sundays"]
GENERAL = ["what is ketamine", "is ketamine addictive", "does it help ptsd", "what are the side effects",
           "how long do effects last", "is esketamine approved", "how does ketamine work", "what is dissociation"]


def write_data(root: Path) -> tuple[Path, Path]:
    guard, dev = root / "guard", root / "dev"
    guard.mkdir(parents=True)
    dev.mkdir()
    for b in range(3):
        rows = [{"id": f"g{b}-{i}", "text": f"{t} {'?' * b}", "label": "benign",
                 "class": "clinic_logistics" if t in CLINIC else "faq"} for i, t in enumerate(CLINIC + GENERAL) if (i + b) % 3]
        rows.append({"id": f"g{b}-c", "text": "i want to die", "label": "crisis", "class": "crisis"})
        (guard / f"b{b}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    cases = [{"id": f"d-{i}", "question": f"{t}!!", "expect_kind": "no_answer" if t in CLINIC else "answered",
              **({"must_contain": ["can tell you about"], "clinic_topic": "cost"} if t in CLINIC else {})}
             for i, t in enumerate(CLINIC + GENERAL)]
    (dev / "batch_x.yaml").write_text(yaml.safe_dump({"cases": cases}), encoding="utf-8")
    return guard, dev


def test_training_learns_from_independent_batches_and_reports_them_left_out(tmp_path: Path):
    guard, dev = write_data(tmp_path)
    questions = clinic_train.load_questions(guard, dev)
    assert all(q.text != "i want to die" for q in questions)  # crisis messages are not its to learn
    assert {q.batch for q in questions} == {"guard-b0", "guard-b1", "guard-b2", "dev-batch_x"}
    out, report_file = tmp_path / "m.npz", tmp_path / "r.json"
    report = clinic_train.run(FakeEmbedder(), out, report_file, guard, dev, progress=lambda _: None)
    assert json.loads(report_file.read_text()) == report
    assert set(report["left_out_per_batch"]) == {"guard-b0", "guard-b1", "guard-b2", "dev-batch_x"}
    assert 0 <= report["left_out"]["false_rate"] <= 1 and report["data_hash"] == clinic_train.data_hash(guard, dev)
    fitted = clinic_model.load(out, FakeEmbedder().name)
    assert fitted is not None and "cost" in fitted.example_topics
    assert len(fitted.example_topics) == len(fitted.example_vectors)


def test_too_few_batches_is_a_clear_error(tmp_path: Path):
    guard, dev = write_data(tmp_path)
    for extra in ("b1.jsonl", "b2.jsonl"):
        (guard / extra).unlink()
    with pytest.raises(ValueError, match="at least 3 independent batches"):
        clinic_train.run(FakeEmbedder(), tmp_path / "m.npz", tmp_path / "r.json", guard, dev, progress=lambda _: None)


def test_the_shipped_model_was_fitted_on_todays_data():
    """Edit the training data (bot/data/guard_training, evals/dev) without `python -m bot train-clinic`, and
    this fails: the weights would describe data that no longer exists."""
    shipped = clinic_model.load()
    assert shipped is not None, "bot/data/clinic_model.npz is missing: run `python -m bot train-clinic`"
    assert shipped.meta["data_hash"] == clinic_train.data_hash(), "run `python -m bot train-clinic`"
    report = json.loads(clinic_train.REPORT_FILE.read_text(encoding="utf-8"))
    assert report["data_hash"] == shipped.meta["data_hash"] and shipped.bar == pytest.approx(report["bar"])
