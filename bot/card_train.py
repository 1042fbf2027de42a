"""`python -m bot train-cards`: fit the card classifier (bot/card_model.py) and choose its bar.

Training data:
- the cards' own questions (corpus/faq/), always learned from, never scored;
- the calibration paraphrases and unrelated questions (evals/cards/calibration*.yaml), each file one set;
- the development patient questions (evals/dev/*.yaml), each file one set: an answerable question belongs to
  the card whose answer quotes one of its gold sentences (the closest such card when several do; when scored,
  any of those cards is right, as the eval judges an answer), every other question to "none". A question with
  no vetted answer (a calibration "unrelated" one, a development one that expects no answer) that meets a
  not-covered card is told plainly that the sources do not cover it: that is not a false match (as in
  evals/card_matching.py).
The held-apart card paraphrases (evals/cards/heldout.yaml) are never read. Every set but the cards is scored
by a model fitted without it; the bar is chosen on those out-of-set scores of the questions the similarity
rule declines (the only ones the classifier is asked about): the lowest probability at which the matches it
adds stay as precise, and take as few unrelated questions, as the rule's calibration demands
(evals/card_matching.py). The final model is then fitted on everything. Deterministic.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from bot import card_model, weights, yamlfile
from bot.card_model import NONE
from bot.cards import fold_text, load_cards
from bot.guards.learned import text_matrix, vectorizers_for
from bot.config import ROOT

CARDS_DIR = ROOT / "corpus"
CALIBRATION = tuple(sorted((ROOT / "evals" / "cards").glob("calibration*.yaml")))  # every set but the held-apart one
DEV_DIR = ROOT / "evals" / "dev"
REPORT_FILE = card_model.MODEL_FILE.with_name("card_model_report.json")
C = 2.0  # chosen leaving one development batch out, among 2 and 8 (docs/cards.md)
MIN_PRECISION, MAX_FALSE = 0.985, 0.005  # the similarity rule's calibration targets (evals/card_matching.py)
# Precision is judged once this many matches are taken: 98.5% cannot be read off fewer (one miss in 40 reads as
# 97.5%), and a single debatable label near the top would otherwise stop the bar there (2026-12-01: 0.86, 10% coverage).
MIN_MATCHED = math.ceil(1 / (1 - MIN_PRECISION))
LEARN_ONLY = "cards"


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # a card id or NONE
    group: str
    unanswerable: bool = False  # no vetted answer: a not-covered card's reply is right for it
    also: frozenset[str] = frozenset()  # other cards whose answer holds one of its gold sentences: right too


def judged(examples: Sequence[Example], predicted: np.ndarray) -> np.ndarray:
    """The predictions as the eval judges them: a card whose answer quotes one of the question's gold sentences
    answers it directly (evals/checks.py), so it counts as the label.

    >>> examples = [Example("q", "a", "g", also=frozenset({"b"})), Example("r", "a", "g")]
    >>> judged(examples, np.array(["b", "b"], dtype=object)).tolist()
    ['a', 'b']
    """
    return np.array([e.label if p in e.also else p for e, p in zip(examples, predicted)], dtype=object)


def load_examples(embed: Callable[[list[str]], np.ndarray], cards_dir: Path = CARDS_DIR,
                  calibration: Sequence[Path] = CALIBRATION, dev_dir: Path = DEV_DIR) -> list[Example]:
    """Every example; `embed` (texts -> unit vectors) places a development question with its closest card."""
    cards = load_cards(cards_dir)
    out = [Example(q, c.id, LEARN_ONLY) for c in cards for q in c.questions]
    for path in calibration:
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        out += [Example(p["question"], p["card"], f"cal-{path.stem}") for p in raw["paraphrases"]]
        out += [Example(q, NONE, f"cal-{path.stem}", unanswerable=True) for q in raw["unrelated"]]
    answers = {c.id: c.answer_texts for c in cards}
    card_vecs = embed([c.canonical for c in cards])
    for path in sorted(dev_dir.glob("*.yaml")):
        cases = yamlfile.safe_load(path.read_text(encoding="utf-8"))["cases"]
        vecs = embed([c["question"] for c in cases])
        for case, vec in zip(cases, vecs):
            gold = {fold_text(q["text"]) for q in case.get("gold_quotes", [])} if case["expect_kind"] == "answered" else set()
            good = [i for i, c in enumerate(cards) if answers[c.id] & gold]
            label = cards[max(good, key=lambda i: float(card_vecs[i] @ vec))].id if good else NONE
            unanswerable = case["expect_kind"] == "no_answer" and not case.get("clinic_topic")
            also = frozenset(cards[i].id for i in good) - {label}
            out.append(Example(case["question"], label, f"dev-{path.stem}", unanswerable, also))
    return out


def data_hash(cards_dir: Path = CARDS_DIR, calibration: Sequence[Path] = CALIBRATION, dev_dir: Path = DEV_DIR) -> str:
    return weights.files_hash(sorted((cards_dir / "faq").glob("*.yaml")) + list(calibration) + sorted(dev_dir.glob("*.yaml")))


def fit(x: sparse.csr_matrix, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=3000, solver="lbfgs").fit(x, y)


def choose_bar(top: np.ndarray, predicted: np.ndarray, y: np.ndarray, excused: np.ndarray | None = None) -> float:
    """The lowest bar at which the card matches it adds stay within the targets, at it and at every bar above
    it (precision once MIN_MATCHED matches are taken). `excused`: rows where the predicted card is a not-covered
    one and the question has no vetted answer (not a false match).

    >>> choose_bar(np.array([0.9, 0.8, 0.7, 0.6]), np.array(["a", "b", "a", "a"]), np.array(["a", "b", "none", "a"]))
    0.8
    >>> top = np.linspace(0.99, 0.5, 100)  # one wrong card second from the top, 99 right ones below it
    >>> y = np.array(["a"] * 100, dtype=object)
    >>> predicted = y.copy(); predicted[1] = "b"
    >>> choose_bar(top, predicted, y)
    0.5
    >>> predicted[[20, 40]] = "b"  # three wrong among the first 67 taken: 95.5%
    >>> choose_bar(top, predicted, y) > 0.6
    True
    """
    excused = np.zeros(len(y), dtype=bool) if excused is None else excused
    candidates = sorted(set(np.round(top, 4).tolist()), reverse=True)
    best = 1.0
    for bar in candidates:
        taken = (top >= bar) & (predicted != NONE)
        matched = taken & (y != NONE)
        precision = float((predicted[matched] == y[matched]).mean()) if matched.any() else 1.0
        false = float((taken & (y == NONE) & ~excused).sum() / max(int((y == NONE).sum()), 1))
        if false > MAX_FALSE or matched.sum() >= MIN_MATCHED and precision < MIN_PRECISION:
            break
        best = bar
    return float(best)


def rates(top: np.ndarray, predicted: np.ndarray, y: np.ndarray, bar: float,
          excused: np.ndarray | None = None) -> dict[str, float | int]:
    excused = np.zeros(len(y), dtype=bool) if excused is None else excused
    taken = (top >= bar) & (predicted != NONE)
    para = y != NONE
    right = taken & para & (predicted == y)
    return {"paraphrases": int(para.sum()), "unrelated": int((~para).sum()),
            "coverage": round(float(right.sum() / max(int(para.sum()), 1)), 4),
            "precision": round(float(right.sum() / max(int((taken & para).sum()), 1)), 4),
            "false_matches": round(float((taken & ~para & ~excused).sum() / max(int((~para).sum()), 1)), 4),
            "not_covered_matches": int((taken & ~para & excused).sum())}


def rule_matches(examples: Sequence[Example], vectors: np.ndarray, cards_dir: Path = CARDS_DIR) -> np.ndarray:
    """Per example, whether the calibrated similarity rule (bot/match.py, the shipped settings) matches a card:
    the cards' own questions are the matcher's rows."""
    from bot.config import Settings
    from bot.match import CardMatcher

    cards = load_cards(cards_dir)
    index = {c.id: i for i, c in enumerate(cards)}
    own = [i for i, e in enumerate(examples) if e.group == LEARN_ONLY]
    settings = Settings()
    matcher = CardMatcher.build(cards, vectors[own], np.array([index[examples[i].label] for i in own]),
                                settings.card_threshold, settings.card_margin, settings.card_lexical_weight)
    return np.array([e.group != LEARN_ONLY and matcher.match(e.text, v).matched for e, v in zip(examples, vectors)])


def run(embedder, model_file: Path = card_model.MODEL_FILE, report_file: Path = REPORT_FILE,
        cards_dir: Path = CARDS_DIR, calibration: Sequence[Path] = CALIBRATION, dev_dir: Path = DEV_DIR,
        progress: Callable[[str], None] = print) -> dict:
    embed = lambda texts: np.asarray(embedder.embed_batch(texts), dtype=np.float32)  # noqa: E731
    examples = load_examples(embed, cards_dir, calibration, dev_dir)
    groups = np.array([e.group for e in examples])
    scored = sorted(set(groups.tolist()) - {LEARN_ONLY})
    if len(scored) < 2:
        raise ValueError("card training: need at least 2 sets besides the cards to leave one out")
    progress(f"card training: {len(examples)} questions, {len(scored)} sets left out in turn; embedding ...")
    vectors = embed([e.text for e in examples])
    x = sparse.hstack([sparse.csr_matrix(vectors), text_matrix([e.text for e in examples],
                                                               vectorizers_for(card_model.FEATURES))], format="csr")
    y = np.array([e.label for e in examples])
    top, predicted = np.zeros(len(y)), np.array([NONE] * len(y), dtype=object)
    for g in scored:
        progress(f"  without {g} ...")
        model = fit(x[groups != g], y[groups != g])
        p = model.predict_proba(x[groups == g])
        top[groups == g] = p.max(axis=1)
        predicted[groups == g] = model.classes_[p.argmax(axis=1)]
    predicted = judged(examples, predicted)
    # the classifier only speaks where the similarity rule declined: its bar is chosen on those questions
    rows = (groups != LEARN_ONLY) & ~rule_matches(examples, vectors, cards_dir)
    not_covered = [c.id for c in load_cards(cards_dir) if c.not_covered]
    excused = np.array([e.unanswerable for e in examples]) & np.isin(predicted.astype(str), not_covered)
    bar = choose_bar(top[rows], predicted[rows], y[rows], excused[rows])
    report = {"data_hash": data_hash(cards_dir, calibration, dev_dir), "questions": len(examples), "C": C,
              "bar": bar, "left_out": rates(top[rows], predicted[rows], y[rows], bar, excused[rows]),
              "left_out_per_set": {g: rates(top[groups == g], predicted[groups == g], y[groups == g], bar,
                                            excused[groups == g]) for g in scored}}
    progress("  the final model, on everything ...")
    model = fit(x, y)
    card_model.save(model_file, card_model.CardClassifier(tuple(model.classes_.tolist()), model.coef_,
                                                          model.intercept_, bar,
                                                          {"data_hash": report["data_hash"], "model": embedder.name}))
    report_file.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
