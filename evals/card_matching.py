"""FAQ card matching, measured on paraphrases written apart from the cards, and its calibration.

    python -m evals.card_matching              # figures on the held-apart set at the configured settings
    python -m evals.card_matching --calibrate  # choose threshold, margin and word weight on the calibration set

Three files, each written by a different person who saw only the cards' canonical questions (never their
paraphrases): evals/cards/calibration.yaml and calibration_2.yaml tune the three settings; evals/cards/heldout.yaml
and heldout_unrelated.yaml (160 more questions no card answers) are never used to tune and give the honest figures. (calibration_2.yaml was the first held-apart set: measured
once, it missed the targets, so it joined the calibration pool and a fresh set was written; docs/cards.md.) Each holds `paraphrases` ({card, question}) and `unrelated`
(questions no card answers: clinic practicalities, near-topic questions, off-topic chat).

- precision = paraphrases matched to their own card / paraphrases matched to any card;
- coverage = paraphrases matched to their own card / all paraphrases (the rest fall through to retrieval);
- false matches = unrelated questions matched to a card that answers / all unrelated questions;
- not-covered matches = unrelated questions matched to a not-covered card (the visitor is told the sources do not
  cover that topic: a no_answer, not a wrong answer; reported, not counted as false). A paraphrase of an answering
  card matched to a not-covered card is a wrong match, counted against precision.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from bot import yamlfile
from bot.card_train import CALIBRATION  # every calibration set: what the card classifier also learns from

ROOT = Path(__file__).resolve().parent
HELD_APART = ROOT / "cards" / "heldout.yaml"
# 160 more questions no card answers, written later by a session that saw only the card list; measured once
# before anything was decided on it (0 false matches), never tuned on. Reported beside heldout.yaml.
HELD_APART_UNRELATED = ROOT / "cards" / "heldout_unrelated.yaml"
REPORTED = (("calibration (tuned on)", CALIBRATION), ("held-apart (never tuned on)", (HELD_APART,)),
            ("held-apart, new unrelated questions", (HELD_APART_UNRELATED,)),
            ("held-apart, both sets", (HELD_APART, HELD_APART_UNRELATED)))
# Targets with a safety margin under the limits (precision >= 97%, false matches <= 2%): a setting
# chosen at the edge of the limits on one set lands past them on new wording (measured, docs/cards.md).
MIN_PRECISION, MAX_FALSE = 0.985, 0.005
GRID = {"lexical_weight": (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6), "margin": tuple(np.round(np.arange(0.0, 0.101, 0.01), 2)),
        "threshold": tuple(np.round(np.arange(0.6, 1.301, 0.01), 2))}


@dataclass(frozen=True)
class MatchSet:
    questions: list[str]
    expected: list[str | None]  # the card a paraphrase belongs to; None for an unrelated question


def load_set(*paths: Path) -> MatchSet:
    pairs: list[tuple[str, str | None]] = []
    for path in paths:
        raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        pairs += [(p["question"], p["card"]) for p in raw["paraphrases"]] + [(q, None) for q in raw["unrelated"]]
    return MatchSet([q for q, _ in pairs], [c for _, c in pairs])


def figures(found: Sequence[str | None], expected: Sequence[str | None],
            not_covered: frozenset[str] = frozenset()) -> dict[str, float | int | None]:
    """precision, coverage and false-match rate of the cards found (None: no card answered); a rate with
    nothing to measure it on (a set of unrelated questions only has no coverage) is None.

    >>> figures(["a", None, "c", None], ["a", "b", "b", None])
    {'precision': 0.5, 'coverage': 0.3333, 'false_matches': 0.0, 'not_covered_matches': 0, 'paraphrases': 3, 'unrelated': 1}
    >>> figures(["gap", "a"], [None, None], not_covered=frozenset({"gap"}))["false_matches"]
    0.5
    >>> figures([None, "a"], [None, None])["coverage"] is None
    True
    """
    para = [(f, e) for f, e in zip(found, expected) if e is not None]
    other = [f for f, e in zip(found, expected) if e is None]
    matched = [(f, e) for f, e in para if f is not None]
    return {"precision": round(sum(f == e for f, e in matched) / len(matched), 4) if matched else (1.0 if para else None),
            "coverage": round(sum(f == e for f, e in para) / len(para), 4) if para else None,
            "false_matches": round(sum(f is not None and f not in not_covered for f in other) / len(other), 4) if other else None,
            "not_covered_matches": sum(f in not_covered for f in other if f is not None),
            "paraphrases": len(para), "unrelated": len(other)}


def run(bot, match_set: MatchSet) -> tuple[list[str | None], list]:
    """The card each question gets from the bot's matcher, the similarity rule then the classifier's second
    chance (None when it falls through), and the matches."""
    vectors = bot.embedder.embed_batch(match_set.questions)
    matches = [bot.matcher.second_chance(bot.matcher.match(q, v), q, v, getattr(bot, "card_model", None))
               for q, v in zip(match_set.questions, vectors)]
    return [m.card_id if m.matched else None for m in matches], matches


def not_covered_ids(bot) -> frozenset[str]:
    return frozenset(c.id for c in bot.matcher.cards if c.not_covered)


def calibrate(bot, match_set: MatchSet) -> tuple[dict[str, float], dict]:
    """The settings with the best coverage that keep precision and false matches within the targets."""
    vectors = bot.embedder.embed_batch(match_set.questions)
    best: tuple[float, dict[str, float], dict] | None = None
    not_covered = not_covered_ids(bot)
    for weight in GRID["lexical_weight"]:
        matcher = replace(bot.matcher, lexical_weight=weight)
        per_card = np.array([matcher.scores(q, v) for q, v in zip(match_set.questions, vectors)])
        order = np.argsort(-per_card, axis=1)
        top = per_card[np.arange(len(per_card)), order[:, 0]]
        second = per_card[np.arange(len(per_card)), order[:, 1]]
        ids = [matcher.cards[i].id for i in order[:, 0]]
        for margin, threshold in itertools.product(GRID["margin"], GRID["threshold"]):
            ok = (top >= threshold) & (top - second >= margin)
            fig = figures([i if k else None for i, k in zip(ids, ok)], match_set.expected, not_covered)
            if fig["precision"] >= MIN_PRECISION and fig["false_matches"] <= MAX_FALSE:
                chosen = {"card_threshold": float(threshold), "card_margin": float(margin), "card_lexical_weight": weight}
                if best is None or fig["coverage"] > best[0]:
                    best = (fig["coverage"], chosen, fig)
    if best is None:
        raise SystemExit("no setting meets the targets on the calibration set")
    return best[1], best[2]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.card_matching", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true", help="choose the settings on the calibration set")
    args = ap.parse_args(argv)
    from bot.pipeline import Bot

    bot = Bot.load()
    if args.calibrate:  # the held-apart set is not looked at: calibrating while watching it would tune on it
        chosen, fig = calibrate(bot, load_set(*CALIBRATION))
        print(f"calibration set: {fig}\nchosen (put these in bot/config.py): {chosen}")
        return 0
    for name, paths in REPORTED:
        match_set = load_set(*paths)
        found, _ = run(bot, match_set)
        print(f"{name}: {figures(found, match_set.expected, not_covered_ids(bot))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
