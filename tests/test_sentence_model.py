"""bot/sentence_model.py and bot/sentence_train.py: the learned sentence scorer of evidence selection."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot import index, sentence_model, sentence_train
from bot.models import Turn
from bot.pipeline import Bot
from bot.select import candidates
from bot.sentence_model import NUMERIC, PAIR_FEATURES, Candidate, SentenceModel, numeric_features, pair_features
from bot.ui.trace import evidence_table, routing_table
from tests.fakes import FakeEmbedder
from tests.test_select import RULES, chunks, select
from tests.test_select import bank  # noqa: F401  (the fixture)

E = FakeEmbedder()
HALF = "About half of patients responded to a ketamine infusion at 24 hours in pooled trials."
FADES = "The benefit of a single ketamine infusion often fades within days to about a week."


def model_preferring(terms: list[str], token: str, weight: float = 8.0, **kw) -> SentenceModel:
    """A model that knows one thing: a sentence holding `token` answers questions with these terms."""
    pairs = np.zeros(PAIR_FEATURES)
    pairs[pair_features(terms, [Candidate(frozenset({token}), 0, 0, 0, 0, None, False, 1, False, False)]).indices] = weight
    args = dict(second_ratio=0.5, qualify=0.9) | kw
    return SentenceModel(np.zeros(len(NUMERIC)), pairs, -4.0, **args)


def texts(selection):
    return [e.text for e in selection.items if e.role == "answer"]


def test_a_word_the_corpus_never_uses_weighs_as_the_rarest():
    holds = Candidate(frozenset({"bladder"}), 0.6, 1.0, 0, 0.0, True, False, 12, False, True)
    lacks = Candidate(frozenset({"pain"}), 0.5, 0.5, 1, 0.0, False, True, 12, True, False)
    rows = numeric_features(["bladder", "migraine"], [holds, lacks], {"bladder": 1.0, "pain": 3.0})
    col = dict(zip(NUMERIC, rows.T))
    assert col["rare_word_coverage"].tolist() == pytest.approx([0.25, 0.0])  # "migraine" weighs 3, as "pain"
    assert col["cosine_below_best"].tolist() == pytest.approx([0.0, -0.1])
    assert col["fits_type"].tolist() == [1.0, 0.0] and col["misfits_type"].tolist() == [0.0, 1.0]
    assert col["about_a_source"].tolist() == [0.0, 1.0] and col["has_number"].tolist() == [1.0, 0.0]


def test_the_model_orders_the_qualifying_sentences_and_shows_its_probabilities(bank):
    question = "how long does the benefit of an infusion last, do half respond?"
    by_rule = select(question, chunks("han#0", "han#1"), bank, max_sentences=1)
    assert texts(by_rule) == [HALF] and by_rule.best_probability is None
    terms = bank.salient_terms(question)
    model = model_preferring(terms, "fade")  # "fades", as the corpus tokenizer folds it
    by_model = select(question, chunks("han#0", "han#1"), bank, max_sentences=1, model=model)
    assert texts(by_model) == [FADES]
    assert by_model.items[0].probability > 0.9 and by_model.best_probability == by_model.items[0].probability
    assert by_model.top_score == by_rule.top_score  # whether anything relevant was found stays the rule's call


def test_a_second_sentence_must_reach_its_share_of_the_first(bank):
    question = "how long does the benefit of an infusion last, do half respond?"
    terms = bank.salient_terms(question)
    both = select(question, chunks("han#0", "han#1"), bank, model=model_preferring(terms, "fade", second_ratio=0.0))
    one = select(question, chunks("han#0", "han#1"), bank, model=model_preferring(terms, "fade", second_ratio=0.5))
    assert texts(both) == [FADES, HALF] and texts(one) == [FADES]


def test_a_confident_model_lets_in_a_sentence_the_rule_finds_too_far(bank):
    question = "does the benefit fade?"
    strict = dict(min_sentence=0.99)
    assert texts(select(question, chunks("han#0", "han#1"), bank, **strict)) == []
    model = model_preferring(bank.salient_terms(question), "week", qualify=0.9)
    assert texts(select(question, chunks("han#0", "han#1"), bank, model=model, **strict)) == [FADES]
    doubtful = model_preferring(bank.salient_terms(question), "week", weight=2.25, qualify=0.9)  # 2 pairs: p = 0.62
    assert texts(select(question, chunks("han#0", "han#1"), bank, model=doubtful, **strict)) == []


def test_candidates_are_the_retrieved_chunks_sentences_and_the_card_hints(bank):
    vec = E.embed_query("how long does the benefit last")
    pool = candidates(vec, ["benefit"], chunks("han#1"), bank, 0.05, None, {0: 0.2})
    assert pool.ids == [3, 0]  # the retrieved sentence, then the hinted one
    assert [c.rank for c in pool.features] == [0, 99] and pool.features[1].hint == 0.2
    assert pool.features[1].clinic and not pool.features[0].clinic


def test_save_and_load_keep_the_weights_and_refuse_another_models_vectors(tmp_path: Path):
    path = tmp_path / "s.npz"
    model = dataclasses.replace(model_preferring(["a"], "b"), meta={"model": "m1"})
    sentence_model.save(path, model)
    loaded = sentence_model.load(path, "m1")
    assert loaded is not None and loaded.second_ratio == 0.5 and loaded.qualify == 0.9
    assert np.allclose(loaded.coef_pairs, model.coef_pairs) and loaded.intercept == pytest.approx(-4.0)
    assert sentence_model.load(path, "another model") is None
    assert sentence_model.load(tmp_path / "absent.npz") is None


def test_the_trace_shows_each_sentences_probability_and_the_best():
    from bot.models import Evidence

    turn = Turn(question="q", answer_probability=0.4321,
                evidence=[Evidence(sentence_id=1, doc_id="d", chunk_id="d#0", text="t", score=0.5, probability=0.4321)])
    assert "sentence scorer" in routing_table(turn) and "0.4321" in routing_table(turn)
    assert "probability" in evidence_table(turn) and "0.4321" in evidence_table(turn)


def write_training_data(root: Path) -> tuple[tuple[Path, ...], Path]:
    calibration = root / "cal.yaml"
    calibration.write_text(yaml.safe_dump({"paraphrases": [{"card": "fda-status", "question": "fda ok for depression?"}],
                                           "unrelated": ["what is the weather"]}), encoding="utf-8")
    dev = root / "dev"
    dev.mkdir()
    gold = lambda text: [{"doc": "han-2016-response", "text": text}]  # noqa: E731
    for name, questions in {"a": ["how long does the benefit last", "how many people respond at 24 hours"],
                            "b": ["does the benefit of one infusion fade", "what share of patients respond"]}.items():
        (dev / f"batch_{name}.yaml").write_text(yaml.safe_dump({"cases": [
            {"id": f"{name}-1", "question": questions[0], "expect_kind": "answered", "gold_quotes": gold(FADES)},
            {"id": f"{name}-2", "question": questions[1], "expect_kind": "answered",
             "gold_quotes": gold("In pooled trials, about half of patients responded to a ketamine infusion at 24 hours.")},
            {"id": f"{name}-3", "question": "can ketamine cure migraines", "expect_kind": "no_answer"}]}), encoding="utf-8")
    return (calibration,), dev


def test_training_labels_gold_candidates_and_reports_the_batches_left_out(mini_settings, tmp_path: Path):
    from tests.conftest import MINI_CORPUS

    index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    bot = Bot.load(mini_settings, FakeEmbedder())
    calibration, dev = write_training_data(tmp_path)
    questions = sentence_train.load_questions(MINI_CORPUS, calibration, dev, suite=None)
    assert {q.group for q in questions} == {"cards", "cal-cal", "dev-batch_a", "dev-batch_b"}
    assert not [q for q in questions if q.text == "what is the weather"][0].gold
    pools = sentence_train.gather(bot, questions, progress=lambda _: None)
    fades = [p for q, p in zip(questions, pools) if q.text == "how long does the benefit last"][0]
    assert fades.gold.sum() == 1  # the one gold sentence among its candidates
    out, report_file = tmp_path / "s.npz", tmp_path / "r.json"
    report = sentence_train.run(bot, out, report_file, MINI_CORPUS, calibration, dev, suite=None, progress=lambda _: None)
    assert json.loads(report_file.read_text()) == report
    assert report["data_hash"] == sentence_train.data_hash(MINI_CORPUS, calibration, dev, suite=None)
    assert report["left_out_dev"]["model"]["questions"] >= 1
    fitted = sentence_model.load(out, FakeEmbedder().name)
    assert fitted is not None and fitted.second_ratio == sentence_train.RATIO and fitted.qualify in sentence_train.QUALIFY
    assert report["left_out_dev"]["model"] == report["left_out_dev"]["by_ratio"][str(sentence_train.RATIO)]


def test_training_needs_two_development_batches_to_leave_one_out(mini_settings, tmp_path: Path):
    from tests.conftest import MINI_CORPUS

    index.build(mini_settings, FakeEmbedder(), progress=lambda _: None)
    calibration, dev = write_training_data(tmp_path)
    (dev / "batch_b.yaml").unlink()
    with pytest.raises(ValueError, match="2 development batches"):
        sentence_train.run(Bot.load(mini_settings, FakeEmbedder()), tmp_path / "s.npz", tmp_path / "r.json",
                           MINI_CORPUS, calibration, dev, suite=None, progress=lambda _: None)


def test_the_shipped_scorer_was_fitted_on_todays_cards_and_questions():
    """Edit a card, a calibration set, the development questions or the suite without `python -m bot
    train-sentences`, and this fails."""
    shipped = sentence_model.load()
    assert shipped is not None, "bot/data/sentence_model.npz is missing: run `python -m bot train-sentences`"
    assert shipped.meta["data_hash"] == sentence_train.data_hash(), "run `python -m bot train-sentences`"
    report = json.loads(sentence_train.REPORT_FILE.read_text(encoding="utf-8"))
    assert report["data_hash"] == shipped.meta["data_hash"] and shipped.second_ratio == report["second_ratio"]
    lo = report["left_out_dev"]
    assert lo["model"]["first_gold"] > lo["rule"]["first_gold"]  # it earns its place on batches it never saw


@pytest.mark.slow
def test_the_real_bot_orders_retrieved_answers_with_the_shipped_scorer(real_bot):
    assert real_bot.sentence_model is not None
    turn = real_bot.answer("What did the Cochrane review conclude about ketamine?")
    answers = [e for e in turn.evidence if e.role == "answer"]
    assert turn.card is not None and not turn.card.matched  # no card answers it: retrieval does
    assert answers and all(e.probability is not None for e in answers) and turn.answer_probability is not None
