"""The learned detectors: trained reproducibly on independent batches, judged leaving one batch out,
saved as a small file, and used only with the embedding model they were trained on."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.guards import learned, train
from bot.guards.rules import exemplar_vectors, load_rules
from tests.fakes import FakeEmbedder

CRISIS = ["i want to die tonight", "thinking of ending it all", "i have pills saved to end my life",
          "nobody would miss me if i was gone", "i keep cutting myself", "my son says he will kill himself"]
ADVICE = ["how many mg should i take", "can i take ketamine with my lithium", "my blood pressure is 160 over 100 is that ok",
          "should i stop my antidepressants", "i am pregnant can i still do it", "do i have ptsd"]
BENIGN = ["what is ketamine assisted psychotherapy", "how long do the effects last", "is ketamine addictive",
          "does ketamine help ptsd", "what are the side effects", "how is esketamine given", "this wait is killing me lol",
          "what does research say about suicide prevention"]


def write_batches(folder: Path, n: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for b in range(n):
        lines = []
        for label, texts in (("crisis", CRISIS), ("advice", ADVICE), ("benign", BENIGN)):
            for i, t in enumerate(texts):
                if (i + b) % n:  # each batch holds a different subset of each class
                    lines.append(json.dumps({"id": f"b{b}-{label}-{i}", "text": f"{t} {'!' * b}", "label": label,
                                             "class": label}))
        (folder / f"b{b}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("detectors")
    data, model, report = tmp_path / "data", tmp_path / "detectors.npz", tmp_path / "report.json"
    write_batches(data)
    rules, embedder = load_rules(), FakeEmbedder()
    out = train.run(embedder, rules, exemplar_vectors(rules, embedder), data, model, report, progress=lambda _: None)
    return out, model, report, data


def test_training_writes_weights_and_a_leave_one_batch_out_report(trained):
    out, model, report, data = trained
    assert model.is_file() and report.is_file() and model.stat().st_size < 2_000_000
    written = json.loads(report.read_text())
    assert written["batches"] == ["b0", "b1", "b2"] and written["data_hash"] == train.data_hash(data)
    for name in ("crisis", "advice"):
        d = written["detectors"][name]
        assert set(d["bars_per_left_out_batch"]) == {"b0", "b1", "b2"}  # each batch judged by bars chosen without it
        assert 0.0 <= d["left_out"]["recall"] <= 1.0 and d["roc_left_out"]
    assert {e["id"] for e in written["examples"]} == {json.loads(line)["id"] for p in data.glob("*.jsonl")
                                                      for line in p.read_text().splitlines()}


def test_saved_detectors_load_and_score_like_the_training(trained):
    _, model, _, _ = trained
    detectors = learned.load(model, model_name=FakeEmbedder.name)
    e = FakeEmbedder()
    crisis_text, benign_text = "i want to die tonight", "what are the side effects"
    flags = np.zeros(len(learned.FLAGS))
    high = detectors.scores(crisis_text, e.embed_query(crisis_text), flags)["crisis"]
    low = detectors.scores(benign_text, e.embed_query(benign_text), flags)["crisis"]
    assert high > low


def test_detectors_trained_on_another_embedding_model_are_not_used(trained):
    _, model, _, _ = trained
    assert learned.load(model, model_name="some other model") is None
    assert learned.load(model.parent / "absent.npz") is None


def test_training_is_reproducible(trained, tmp_path: Path):
    _, model, _, data = trained
    rules, embedder = load_rules(), FakeEmbedder()
    again = tmp_path / "again.npz"
    train.run(embedder, rules, exemplar_vectors(rules, embedder), data, again, tmp_path / "r2.json", progress=lambda _: None)
    a, b = learned.load(model), learned.load(again)
    for name in ("crisis", "advice"):
        assert np.allclose(a[name].coef_text, b[name].coef_text, atol=1e-6)
        assert a[name].thresholds == b[name].thresholds


def test_a_bad_training_line_is_refused_naming_file_and_line(tmp_path: Path):
    (tmp_path / "b1.jsonl").write_text('{"id": "x", "text": "hi", "label": "maybe", "class": "c"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="b1.jsonl:1"):
        train.load_examples(tmp_path)


def test_the_lowest_bar_keeps_the_false_alarm_rate():
    scores = np.array([0.95, 0.9, 0.3, 0.6, 0.2, 0.1])
    negatives = np.array([False, False, True, True, True, True])
    bar = train.lowest_threshold(scores, np.zeros(6, bool), negatives, 0.25)
    assert np.mean(scores[negatives] >= bar) <= 0.25 and bar <= 0.61


def test_the_shipped_detectors_match_their_training_data():
    """The committed weights were fitted on the committed batches (otherwise `make index` refits them)."""
    shipped = learned.load()
    assert shipped is not None and shipped.meta["data_hash"] == train.data_hash()
    assert len(shipped.meta["batches"]) >= 5


def test_a_lexicon_referral_is_set_aside_only_below_the_veto_bar():
    bars = {"refer": 0.5, "veto": 0.1}
    assert train.decide("advice", 0.05, True, bars) == "none"  # the patterns matched, the detector is sure: no
    assert train.decide("advice", 0.1, True, bars) == "refer"
    assert train.decide("advice", 0.6, False, bars) == "refer"  # the detector alone, at its bar
    assert train.decide("advice", 0.3, False, bars) == "none"
    assert train.decide("advice", 0.01, True, {"refer": 0.5}) == "refer"  # bars without a veto: patterns stand


def test_the_veto_bar_never_sets_aside_an_advice_message_the_patterns_caught():
    rng = np.random.default_rng(0)
    scores = rng.random(400)
    lexicon, advice = rng.random(400) < 0.4, rng.random(400) < 0.3
    veto = train.veto_bar(scores, lexicon, advice)
    assert veto <= train.MAX_VETO
    assert not np.any(scores[lexicon & advice] < veto)
    assert train.veto_bar(np.array([0.004, 0.9]), np.array([True, True]), np.array([True, False])) == 0.0


def test_advice_only_batches_train_the_advice_detector_and_never_the_crisis_one(trained, tmp_path: Path):
    """A batch in advice_only/ moves the advice detector only; the crisis detector's weights and bars stay those
    of the other batches, and its figures on that batch are reported apart (scored by a model that never saw it)."""
    import shutil

    _, model, _, data = trained
    more = tmp_path / "data"
    shutil.copytree(data, more)
    (more / train.ADVICE_ONLY).mkdir()
    extra = [{"id": f"x-{i}", "text": t, "label": label, "class": label}
             for i, (t, label) in enumerate([("is there parking or should i take the bus", "benign"),
                                             ("i take 40 mg of prozac can i still come", "advice"),
                                             ("can i keep my lamotrigine on infusion days", "advice"),
                                             ("will i feel sick after, i get carsick", "benign"),
                                             ("honestly i dont want to be here anymore", "crisis")])]
    (more / train.ADVICE_ONLY / "b9.jsonl").write_text("\n".join(json.dumps(e) for e in extra) + "\n", encoding="utf-8")
    assert {e.batch for e in train.load_examples(more) if e.advice_only} == {"b9"}
    rules, embedder = load_rules(), FakeEmbedder()
    with_extra = tmp_path / "with_extra.npz"
    report = train.run(embedder, rules, exemplar_vectors(rules, embedder), more, with_extra, tmp_path / "r.json",
                       progress=lambda _: None)
    a, b = learned.load(model), learned.load(with_extra)
    assert np.allclose(a["crisis"].coef_text, b["crisis"].coef_text, atol=1e-6)
    assert a["crisis"].thresholds == b["crisis"].thresholds
    assert not np.allclose(a["advice"].coef_text, b["advice"].coef_text)
    crisis = report["detectors"]["crisis"]
    assert crisis["never_learned_from"]["n"] == 1 and crisis["left_out"]["n"] == len(CRISIS) * 2
    assert report["detectors"]["advice"]["never_learned_from"] is None
    assert report["detectors"]["advice"]["lexicon_only"]["recall"] > 0.5  # the patterns alone, nothing set aside
    assert report["data_hash"] == train.data_hash(more) != train.data_hash(data)


def test_a_group_with_its_own_veto_sets_aside_only_its_own_lone_referrals():
    bars = {"refer": 0.5, "veto": 0.1, "veto:combining": 0.3}
    assert train.decide("advice", 0.2, True, bars, alone="combining") == "none"  # that group alone, under its bar
    assert train.decide("advice", 0.3, True, bars, alone="combining") == "refer"  # at its bar: referred
    assert train.decide("advice", 0.2, True, bars, alone="dose") == "refer"  # another group: the global veto only
    assert train.decide("advice", 0.2, True, bars) == "refer"  # two groups matched (no lone group): global veto
    assert train.decide("advice", 0.05, True, bars) == "none"


def test_a_group_veto_never_sets_aside_an_advice_message_that_group_alone_caught():
    rng = np.random.default_rng(1)
    scores = rng.random(500)
    alone = rng.choice(np.array(["combining", "dose", ""]), 500)
    advice = rng.random(500) < 0.5
    own = train.group_veto_bars(scores, alone, advice, frozenset({"combining", "dose"}))
    for name, bar in own.items():
        group = name.removeprefix("veto:")
        assert bar <= train.MAX_GROUP_VETO and not np.any(scores[(alone == group) & advice] < bar)
    few = train.group_veto_bars(scores, np.where(alone == "dose", "", alone), advice, frozenset({"dose"}))
    assert few == {}  # no lone catches of its own: no bar


def test_thresholds_for_advice_add_the_group_vetoes_and_choose_the_referral_bar_after_them():
    rng = np.random.default_rng(2)
    scores, advice = rng.random(300), rng.random(300) < 0.5
    alone = np.array(["combining"] * 200 + [""] * 100)
    bars = train.thresholds("advice", scores, np.ones(300, bool), ~advice, None, advice, alone, frozenset({"combining"}))
    assert set(bars) == {"refer", "veto", "veto:combining"}
    assert bars["veto:combining"] == train.group_veto_bars(scores, alone, advice, frozenset({"combining"}))["veto:combining"]
    assert set(train.thresholds("advice", scores, np.ones(300, bool), ~advice, None, advice)) == {"refer", "veto"}


def test_the_shipped_group_vetoes_are_those_of_the_shipped_out_of_batch_scores():
    """The group vetoes in the committed weights are what `group_veto_bars` gives on the committed report's
    out-of-batch advice scores (they were added to the fitted detectors without a refit: evals/README.md, seventh
    stop, 8)."""
    from bot.guards.advice import check_advice, lone_group
    from bot.guards.rules import load_rules

    shipped, rules = learned.load(), load_rules()
    report = json.loads(train.REPORT_FILE.read_text(encoding="utf-8"))
    examples = {e.id: e for e in train.load_examples()}
    rows = [r for r in report["examples"] if r["advice"] is not None]
    alone = np.array([lone_group(check_advice(examples[r["id"]].text, rules.advice).detail["matched"]) for r in rows])
    scores = np.array([r["advice"] for r in rows])
    advice = np.array([r["label"] == "advice" for r in rows])
    expected = train.group_veto_bars(scores, alone, advice, rules.advice_own_veto)
    got = {k: v for k, v in shipped["advice"].thresholds.items() if k.startswith("veto:")}
    assert got == expected and set(expected) == {f"veto:{g}" for g in rules.advice_own_veto}
    assert report["detectors"]["advice"]["bars"] == dict(shipped["advice"].thresholds)
