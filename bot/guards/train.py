"""`python -m bot train-guards`: fit the learned crisis and advice detectors and choose their thresholds.

Training data: bot/data/guard_training/*.jsonl, one file per independently written batch (its README says how
they were written and labelled); the batches in its `advice_only/` folder train the advice detector only (the
crisis detector retrained with them lost three held-apart crisis messages, README). Every figure here is leave-
one-batch-out: a batch is scored by a model fitted on the other batches only, because random splits of paraphrase
data flatter. Thresholds are chosen on those out-of-batch scores, combined with what the lexicons already catch,
to meet the targets below; the final model is then fitted on every batch. Reproducible: no randomness
(deterministic solver, fixed order).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

import numpy as np
from pydantic import BaseModel, Field, ValidationError
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from bot.config import DATA_DIR
from bot import weights
from bot.guards import learned
from bot.guards.advice import GROUP_VETO, lone_group

TRAINING_DIR = DATA_DIR / "guard_training"
ADVICE_ONLY = "advice_only"  # sub-folder of batches only the advice detector learns from
REPORT_FILE = DATA_DIR / "detectors_report.json"
Label = Literal["crisis", "concern", "advice", "benign"]
# Chosen once, by leave-one-batch-out average precision on the first five batches, before the sixth was
# written (docs/guards.md): features (embedding + character + word n-grams) and C among 1, 3 and 10.
C = 10.0
# Targets on messages that are not the detector's class, out of batch (the limits with a margin):
MAX_FALSE_CRISIS = 0.016  # full crisis reply on benign and advice messages (limit 2%; the lexicons use most of it)
MAX_FALSE_CHECK_IN = 0.035  # check-in on them (limit 5%)
MAX_FALSE_CONCERN = 0.10  # the 988 line added to an ordinary answer (crisis and check-in included)
MAX_FALSE_REFERRAL = 0.03  # a referral on a benign question
# The advice detector may set a lexicon referral aside only when it rates the message below this probability of
# advice, and only below the lowest score it gave, out of batch, to an advice message the lexicons caught
# (`veto_bar`): the lexicons over-refer general questions with a personal word ("explain X like im 5").
MAX_VETO = 0.1
# A group of patterns listed in advice.yaml `own_veto` may set its own referrals aside below a higher bar
# (`group_veto_bars`): the lowest out-of-batch score of the advice messages it alone caught, at most MAX_GROUP_VETO,
# and only when it alone caught at least MIN_GROUP_EXAMPLES of them (evals/README.md, seventh stop, 8).
MAX_GROUP_VETO = 0.3
MIN_GROUP_EXAMPLES = 50


class Example(BaseModel):
    id: str
    text: str = Field(min_length=1)
    label: Label
    class_: str = Field(alias="class")
    previous: str | None = None
    batch: str = ""
    advice_only: bool = False  # from the advice_only/ folder: the crisis detector neither learns nor sets bars on it


def load_examples(directory: Path = TRAINING_DIR) -> list[Example]:
    """Every line of every batch file, checked; a bad line raises ValueError naming file and line."""
    out: list[Example] = []
    for path in batch_files(directory):
        advice_only = path.parent.name == ADVICE_ONLY
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append(Example.model_validate({**json.loads(line), "batch": path.stem, "advice_only": advice_only}))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise ValueError(f"{path.name}:{number}: {exc}") from exc
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise ValueError("guard training data: duplicate ids")
    return out


def batch_files(directory: Path = TRAINING_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl")) + sorted((directory / ADVICE_ONLY).glob("*.jsonl"))


def data_hash(directory: Path = TRAINING_DIR) -> str:
    return weights.files_hash(batch_files(directory))


def features(texts: Sequence[str], vectors: np.ndarray, text_features: learned.TextFeatures,
             flags: np.ndarray) -> sparse.csr_matrix:
    """[embedding | hashed character n-grams | hashed word n-grams | lexical flags], one row per message."""
    return sparse.hstack([sparse.csr_matrix(vectors), text_features.transform(list(texts), flags)], format="csr")


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000, solver="lbfgs").fit(x, y)


def out_of_batch(x: sparse.csr_matrix, y: np.ndarray, batches: np.ndarray, train: np.ndarray, c: float) -> np.ndarray:
    """Each message's probability from a model fitted without its batch. Every message is scored, also
    those the detector does not learn from (`train` False)."""
    scores = np.full(len(y), np.nan)
    everything: LogisticRegression | None = None  # scores the batches the detector never learns from
    for b in np.unique(batches):
        if (train & (batches == b)).any():
            model = fit(x[train & (batches != b)], y[train & (batches != b)], c)
        else:
            everything = model = everything or fit(x[train], y[train], c)
        scores[batches == b] = model.predict_proba(x[batches == b])[:, 1]
    return scores


def lowest_threshold(scores: np.ndarray, already: np.ndarray, negatives: np.ndarray, max_rate: float) -> float:
    """The lowest probability bar at which the share of negatives flagged (by the bar or already by the
    lexicons) stays within max_rate.

    >>> lowest_threshold(np.array([0.9, 0.2, 0.6, 0.1]), np.zeros(4, bool), np.array([0, 1, 1, 1], bool), 0.34)
    0.21
    """
    for t in np.round(np.arange(0.05, 1.0, 0.01), 2):
        if np.mean((scores[negatives] >= t) | already[negatives]) <= max_rate:
            return float(t)
    return 0.99


def veto_bar(scores: np.ndarray, lexicon: np.ndarray, positives: np.ndarray) -> float:
    """The bar below which the advice detector sets a lexicon referral aside: at most MAX_VETO, and at or below
    the lowest out-of-batch score of any advice message the lexicons caught, so none of those is set aside.

    >>> veto_bar(np.array([0.05, 0.9, 0.01]), np.array([True, True, True]), np.array([True, True, False]))
    0.05
    >>> veto_bar(np.array([0.6, 0.01]), np.array([True, True]), np.array([True, False]))
    0.1
    """
    caught = scores[lexicon & positives]
    lowest = float(caught.min()) if caught.size else 1.0
    return float(np.floor(min(MAX_VETO, lowest) * 100) / 100)


def group_veto_bars(scores: np.ndarray, alone: np.ndarray, positives: np.ndarray, groups: frozenset[str]) -> dict[str, float]:
    """Per group in `groups`, its own veto bar ("veto:<group>"): the lowest out-of-batch score of an advice message
    that group alone caught (`alone`: per message, the one group that matched, or ""), floored to the hundredth and
    at most MAX_GROUP_VETO; no bar for a group that alone caught fewer than MIN_GROUP_EXAMPLES advice messages.

    >>> alone = np.array(["combining"] * 60 + ["dose"] * 10 + [""])
    >>> scores = np.r_[np.full(59, 0.9), 0.487, np.full(10, 0.9), 0.01]
    >>> group_veto_bars(scores, alone, np.ones(71, bool), frozenset({"combining", "dose"}))
    {'veto:combining': 0.3}
    >>> group_veto_bars(np.r_[np.full(59, 0.9), 0.22, np.full(11, 0.9)], alone, np.ones(71, bool), frozenset({"combining"}))
    {'veto:combining': 0.22}
    """
    out: dict[str, float] = {}
    for group in sorted(groups):
        caught = (alone == group) & positives
        if caught.sum() >= MIN_GROUP_EXAMPLES:
            out[GROUP_VETO + group] = float(np.floor(min(MAX_GROUP_VETO, float(scores[caught].min())) * 100) / 100)
    return out


@dataclass(frozen=True)
class Target:
    name: str  # detector name
    positive: Callable[[Example], bool]
    learns_from: Callable[[Example], bool]  # rows the detector is fitted on
    negative: Callable[[Example], bool]  # rows its false-alarm rates are measured on


TARGETS = (
    Target("crisis", lambda e: e.label == "crisis", lambda e: e.label != "concern" and not e.advice_only,
           lambda e: e.label in ("benign", "advice") and not e.advice_only),
    Target("advice", lambda e: e.label == "advice", lambda e: e.label in ("advice", "benign"),
           lambda e: e.label == "benign"),
)


def thresholds(name: str, scores: np.ndarray, lexicon: np.ndarray, negatives: np.ndarray,
               similar: np.ndarray | None = None, positives: np.ndarray | None = None,
               alone: np.ndarray | None = None, own_veto: frozenset[str] = frozenset()) -> dict[str, float]:
    """Bars for one detector, each the lowest that keeps its false-alarm target (see the constants).
    `similar`: messages exemplar similarity already sends to a check-in. `positives`: the detector's own
    class (advice: the veto bars are chosen on them, `veto_bar` and `group_veto_bars`). `alone` and `own_veto`
    (advice): per message the one group of patterns that matched ("" otherwise), and the groups that may have a
    veto of their own."""
    if name == "crisis":
        crisis = lowest_threshold(scores, lexicon, negatives, MAX_FALSE_CRISIS)
        full = lexicon | (scores >= crisis)
        flagged = full | (similar if similar is not None else False)
        check_in = lowest_threshold(scores, flagged, negatives, MAX_FALSE_CRISIS + MAX_FALSE_CHECK_IN)
        concern = lowest_threshold(scores, full, negatives, MAX_FALSE_CONCERN)
        return {"crisis": crisis, "check_in": min(check_in, crisis), "concern": min(concern, check_in, crisis)}
    veto = veto_bar(scores, lexicon, positives) if positives is not None else 0.0
    own = group_veto_bars(scores, alone, positives, own_veto) if positives is not None and alone is not None else {}
    kept = lexicon & (scores >= veto)
    for bar_name, bar in own.items():
        kept &= ~((alone == bar_name.removeprefix(GROUP_VETO)) & (scores < bar))
    return {"refer": lowest_threshold(scores, kept, negatives, MAX_FALSE_REFERRAL), "veto": veto, **own}


def decide(name: str, score: float, lexicon: bool, bars: dict[str, float], to_the_bot: bool = False,
           similar: bool = False, alone: str = "") -> str:
    """What the screen does with one message: crisis as bot.guards.crisis.grade decides ('crisis', 'check_in',
    'concern' or 'none'); advice: 'refer' or 'none' (a lexicon referral stands unless the score is below the
    veto bar, or below the group's own when `alone`, the one group that matched, has one)."""
    if name == "advice":
        from bot.guards.advice import referral

        return "refer" if referral(lexicon, score, bars, alone) == "refer" else "none"
    from bot.guards.crisis import grade
    from bot.models import GuardVerdict

    verdict = GuardVerdict(name="crisis", fired=bool(lexicon), detail={"similar": bool(similar)})
    return grade(verdict, float(score), bars, to_the_bot=to_the_bot)


def nested_bars(name: str, x: sparse.csr_matrix, y: np.ndarray, batches: np.ndarray, train: np.ndarray,
                lexicon: np.ndarray, negatives: np.ndarray, similar: np.ndarray,
                bars: dict[str, float], alone: np.ndarray | None = None,
                own_veto: frozenset[str] = frozenset()) -> dict[str, dict[str, float]]:
    """Per batch, the bars chosen without it: on out-of-batch scores of the other batches only. A batch that
    neither trains the detector nor sets its bars gets `bars`, the ones chosen on every batch."""
    out: dict[str, dict[str, float]] = {}
    for b in np.unique(batches):
        rest = batches != b
        if not ((train | negatives) & ~rest).any():
            out[str(b)] = bars
            continue
        inner = out_of_batch(x[rest], y[rest], batches[rest], train[rest], C)
        out[str(b)] = thresholds(name, inner, lexicon[rest], negatives[rest], similar[rest], y[rest],
                                 None if alone is None else alone[rest], own_veto)
    return out


def rates(decisions: Sequence[str], examples: Sequence[Example], name: str,
          topic: Sequence[bool] = ()) -> dict[str, float | int]:
    """The figures the issue sets targets for, over one set of decisions. `topic`: per example, whether the
    message names suicide or self-harm (the answer then carries the 988 line whatever the decision)."""
    def share(rows: list[str], hit: Callable[[str], bool]) -> float | None:
        return round(sum(map(hit, rows)) / len(rows), 4) if rows else None
    by_label = {lab: [d for d, e in zip(decisions, examples) if e.label == lab] for lab in ("crisis", "concern", "advice", "benign")}
    if name == "advice":
        return {"recall": share(by_label["advice"], lambda d: d == "refer"),
                "false_referrals": share(by_label["benign"], lambda d: d == "refer"), "n": len(by_label["advice"])}
    others = by_label["benign"] + by_label["advice"]
    topic = list(topic) or [False] * len(examples)
    shown = [d != "none" or t for d, t, e in zip(decisions, topic, examples) if e.label == "crisis"]
    return {"recall": share(by_label["crisis"], lambda d: d in ("crisis", "check_in")),
            "988_shown": round(sum(shown) / len(shown), 4) if shown else None,
            "full_crisis_recall": share(by_label["crisis"], lambda d: d == "crisis"),
            "false_crisis": share(others, lambda d: d == "crisis"),
            "false_check_in": share(others, lambda d: d == "check_in"),
            "concern_checked_in": share(by_label["concern"], lambda d: d in ("crisis", "check_in")),
            "n": len(by_label["crisis"])}


def subset(values: Sequence, where: np.ndarray) -> list:
    return [v for v, w in zip(values, where) if w]


def run(embedder, rules, exemplars, directory: Path = TRAINING_DIR, model_file: Path = learned.MODEL_FILE,
        report_file: Path = REPORT_FILE, progress: Callable[[str], None] = print) -> dict:
    """Fit both detectors on every batch, write the weights and a leave-one-batch-out report; return it."""
    from sklearn.metrics import roc_curve

    from bot.guards.about import check_about
    from bot.guards.advice import check_advice
    from bot.guards.crisis import check_crisis
    from bot.guards.injection import check_injection
    from bot.guards.normalise import fold

    examples = load_examples(directory)
    if len({e.batch for e in examples}) < 3:
        raise ValueError(f"{directory}: need at least 3 independent batches to leave one out")
    progress(f"guard training: {len(examples)} messages in {len({e.batch for e in examples})} batches; embedding ...")
    vectors = np.asarray(embedder.embed_batch([e.text for e in examples]), dtype=np.float32)
    text_features = learned.TextFeatures()
    advice = [check_advice(e.text, rules.advice) for e in examples]
    flags = np.array([learned.lexical_flags(e.text, rules, v, check_about(e.text, rules.scope).fired,
                                            check_injection(e.text, rules.injection)[0].fired)
                      for e, v in zip(examples, advice)])
    x = features([e.text for e in examples], vectors, text_features, flags)
    to_bot = (flags[:, learned.FLAGS.index("about_bot")] + flags[:, learned.FLAGS.index("injection")]) > 0
    batches = np.array([e.batch for e in examples])
    topic = [bool(rules.crisis.topic.search(fold(e.text))) for e in examples]
    verdicts = [check_crisis(e.text, v, rules.crisis, exemplars, e.previous) for e, v in zip(examples, vectors)]
    similar = np.array([bool(v.detail.get("similar")) for v in verdicts])
    lexicon = {"crisis": np.array([v.fired for v in verdicts]), "advice": np.array([v.fired for v in advice])}
    alone = np.array([lone_group(v.detail["matched"]) for v in advice])
    detectors: dict[str, learned.Detector] = {}
    report: dict = {"data_hash": data_hash(directory), "messages": len(examples), "C": C,
                    "batches": sorted(set(batches.tolist())), "detectors": {}, "examples": []}
    scored: dict[str, np.ndarray] = {}
    for t in TARGETS:
        progress(f"  {t.name}: leave-one-batch-out ...")
        y = np.array([t.positive(e) for e in examples])
        train = np.array([t.learns_from(e) for e in examples])
        negatives = np.array([t.negative(e) for e in examples])
        oob = out_of_batch(x, y, batches, train, C)
        own = rules.advice_own_veto if t.name == "advice" else frozenset()
        bars = thresholds(t.name, oob, lexicon[t.name], negatives, similar, y, alone, own)
        per_batch = nested_bars(t.name, x, y, batches, train, lexicon[t.name], negatives, similar, bars, alone, own)
        model = fit(x[train], y[train], C)
        coef = model.coef_[0]
        detectors[t.name] = learned.Detector(t.name, coef[: vectors.shape[1]], coef[vectors.shape[1]:],
                                             float(model.intercept_[0]), bars)
        in_sample = model.predict_proba(x)[:, 1]
        lobo = [decide(t.name, s, lex, per_batch[b], bot, sim, one)
                for s, lex, b, bot, sim, one in zip(oob, lexicon[t.name], batches, to_bot, similar, alone)]
        fitted = [decide(t.name, s, lex, bars, bot, sim, one)
                  for s, lex, bot, sim, one in zip(in_sample, lexicon[t.name], to_bot, similar, alone)]
        lexicon_only = [decide(t.name, 0.0, lex, {k: 2.0 for k in bars if k != "veto"}, False, sim)
                        for lex, sim in zip(lexicon[t.name], similar)]
        own = np.isin(batches, np.unique(batches[train | negatives]))  # the batches it learns from or sets bars on

        def on(decisions: Sequence[str], where: np.ndarray) -> dict[str, float | int]:  # `rates` over some rows
            return rates(subset(decisions, where), subset(examples, where), t.name, subset(topic, where))

        rows = (negatives | y) & own
        fpr, tpr, cut = roc_curve(y[rows], oob[rows])
        keep = np.unique(np.linspace(0, len(fpr) - 1, 60).astype(int))
        report["detectors"][t.name] = {
            "bars": bars, "bars_per_left_out_batch": per_batch,
            "average_precision_left_out": round(float(average_precision_score(y[rows], oob[rows])), 4),
            "left_out": on(lobo, own),
            "left_out_per_batch": {b: on(lobo, batches == b) for b in report["batches"]},
            "never_learned_from": on(lobo, ~own) if (~own).any() else None,  # scored by the model of every batch
            "training_set": on(fitted, own),
            "lexicon_only": on(lexicon_only, own),
            "roc_left_out": [[round(float(fpr[i]), 4), round(float(tpr[i]), 4), round(float(min(cut[i], 1.0)), 4)] for i in keep],
        }
        scored[t.name] = np.round(oob, 4)
        scored[f"{t.name}_decision"] = np.array(lobo)
    report["examples"] = [{"id": e.id, "batch": e.batch, "label": e.label, "class": e.class_,
                           "crisis": float(scored["crisis"][i]), "crisis_decision": str(scored["crisis_decision"][i]),
                           "advice": None if np.isnan(scored["advice"][i]) else float(scored["advice"][i]),
                           "advice_decision": str(scored["advice_decision"][i])} for i, e in enumerate(examples)]
    learned.save(model_file, text_features, detectors, {"data_hash": report["data_hash"], "messages": len(examples),
                                                "batches": report["batches"], "model": embedder.name})
    report_file.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report
