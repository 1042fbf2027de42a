"""`python -m bot train-clinic`: fit the learned clinic-topic recogniser (bot/clinic_model.py) and choose its bar.

Training data, all written by sessions that never saw the rules, the patterns or each other:
- bot/data/guard_training/*.jsonl: the benign messages of each batch; class `clinic_logistics` is the clinic's
  own matter; the other benign classes were labelled for the crisis guard, not for this, and hold clinic
  questions too ("do you take medicare?" as `faq`), so of them only those no clinic pattern recognises count
  as not the clinic's (the crisis and advice messages are left out: other guards answer them first);
- evals/dev/*.yaml: the development patient questions, a case being the clinic's own when it expects the
  "can tell you about" text; its `clinic_topic` labels the topic.

Every figure is leave-one-batch-out (a batch is scored by a model fitted on the others; random splits of
paraphrase data flatter), and the bar is chosen on those scores: the lowest at which at most MAX_FALSE of the
questions that are not the clinic's own, and that no pattern already takes, would be taken. The final model
is then fitted on every batch. Deterministic.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from bot import clinic_model, weights, yamlfile
from bot.clinic_topics import load_topics, recognise
from bot.config import DATA_DIR, ROOT
from bot.guards.learned import TextFeatures, text_matrix, vectorizers_for

GUARD_DIR = DATA_DIR / "guard_training"
DEV_DIR = ROOT / "evals" / "dev"
REPORT_FILE = DATA_DIR / "clinic_model_report.json"
C = 1.0  # chosen by leave-one-batch-out recall at a 1% false rate among 1 and 4, embedding with and without n-grams
MAX_FALSE = 0.01
CLINIC_TEXT = "can tell you about"


@dataclass(frozen=True)
class Question:
    text: str
    clinic: bool
    topic: str  # "" when unknown
    batch: str


def load_questions(guard_dir: Path = GUARD_DIR, dev_dir: Path = DEV_DIR) -> list[Question]:
    out: list[Question] = []
    topics = load_topics()
    for path in sorted(guard_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("label") != "benign" or row.get("previous"):
                continue
            clinic = row["class"] == "clinic_logistics"
            if clinic or recognise(row["text"], topics) is None:
                out.append(Question(row["text"], clinic, "", f"guard-{path.stem}"))
    for path in sorted(dev_dir.glob("*.yaml")):
        for case in yamlfile.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            clinic = any(CLINIC_TEXT in p for p in case.get("must_contain", []))
            out.append(Question(case["question"], clinic, case.get("clinic_topic", "") if clinic else "", f"dev-{path.stem}"))
    return out


def data_hash(guard_dir: Path = GUARD_DIR, dev_dir: Path = DEV_DIR) -> str:
    return weights.files_hash(sorted(guard_dir.glob("*.jsonl")) + sorted(dev_dir.glob("*.yaml")))


def fit(x: sparse.csr_matrix, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000, solver="lbfgs").fit(x, y)


def lowest_bar(scores: np.ndarray, negatives: np.ndarray, already: np.ndarray, max_rate: float = MAX_FALSE) -> float:
    """The lowest bar at which the negatives it would take (beyond those a pattern takes already) stay within
    max_rate of the negatives.

    One of three negatives may be taken: the bar sits just above the second-highest negative.

    >>> round(lowest_bar(np.array([0.9, 0.2, 0.6, 0.1]), np.array([False, True, True, True]), np.zeros(4, bool), 0.34), 4)
    0.2001
    """
    neg = np.sort(scores[negatives & ~already])[::-1]
    allowed = int(np.floor(max_rate * negatives.sum()))
    return float(neg[allowed] + 1e-4) if allowed < len(neg) else 0.5


def rates(taken: np.ndarray, clinic: np.ndarray) -> dict[str, float | int]:
    tp = int((taken & clinic).sum())
    return {"questions": int(len(clinic)), "clinic": int(clinic.sum()),
            "recall": round(tp / max(int(clinic.sum()), 1), 4),
            "precision": round(tp / max(int(taken.sum()), 1), 4),
            "false_rate": round(int((taken & ~clinic).sum()) / max(int((~clinic).sum()), 1), 4)}


def run(embedder, model_file: Path = clinic_model.MODEL_FILE, report_file: Path = REPORT_FILE,
        guard_dir: Path = GUARD_DIR, dev_dir: Path = DEV_DIR, progress: Callable[[str], None] = print) -> dict:
    questions = load_questions(guard_dir, dev_dir)
    batches = np.array([q.batch for q in questions])
    if len(set(batches.tolist())) < 3:
        raise ValueError("clinic training: need at least 3 independent batches to leave one out")
    progress(f"clinic training: {len(questions)} questions in {len(set(batches.tolist()))} batches; embedding ...")
    vectors = np.asarray(embedder.embed_batch([q.text for q in questions]), dtype=np.float32)
    features = TextFeatures()
    x = sparse.hstack([sparse.csr_matrix(vectors), text_matrix([q.text for q in questions],
                                                                              vectorizers_for(features))], format="csr")
    y = np.array([q.clinic for q in questions])
    topics = load_topics()
    pattern = np.array([recognise(q.text, topics) is not None for q in questions])
    oob = np.zeros(len(y))
    for b in sorted(set(batches.tolist())):
        oob[batches == b] = fit(x[batches != b], y[batches != b]).predict_proba(x[batches == b])[:, 1]
    bar = lowest_bar(oob, ~y, pattern)
    taken = pattern | (oob >= bar)
    report = {"data_hash": data_hash(guard_dir, dev_dir), "questions": len(questions), "C": C, "bar": bar,
              "max_false": MAX_FALSE, "left_out": rates(taken, y), "patterns_only": rates(pattern, y),
              "left_out_per_batch": {b: rates(taken[batches == b], y[batches == b]) for b in sorted(set(batches.tolist()))}}
    model = fit(x, y)
    labelled = [i for i, q in enumerate(questions) if q.clinic and (q.topic or recognise(q.text, topics))]
    topic_of = [questions[i].topic or recognise(questions[i].text, topics).name for i in labelled]  # type: ignore[union-attr]
    coef = model.coef_[0]
    clinic_model.save(model_file, clinic_model.ClinicModel(
        coef[: vectors.shape[1]], coef[vectors.shape[1]:], float(model.intercept_[0]), bar,
        vectors[labelled], tuple(topic_of), {"data_hash": report["data_hash"], "model": embedder.name}))
    report_file.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def summary(report: dict) -> Sequence[str]:
    lo, po = report["left_out"], report["patterns_only"]
    return [f"bar {report['bar']:.3f}; left-out batches, patterns and model: recall {lo['recall']:.1%}, precision "
            f"{lo['precision']:.1%}, other questions taken {lo['false_rate']:.1%} (patterns alone: recall "
            f"{po['recall']:.1%}, precision {po['precision']:.1%})"]
