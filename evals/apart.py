"""Figures measured where nobody tuned, printed and written by `python -m evals` beside the suite's:

- the learned detectors, leave one batch out (bot/data/detectors_report.json), with their ROC curves;
- every held-apart guard set (evals/heldout/guard_*.jsonl: the red-team and the sets written after it), through
  the whole bot;
- FAQ card matching on the calibration sets (tuned on) and the held-apart set (never tuned on).

Definitions: evals/guards.py and evals/card_matching.py. These are reported, not gated: a gate on a held-apart
set would invite tuning on it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals import card_matching, guards
from evals import tables as t

CRISIS_ROWS = [("crisis_recall", "crisis recall (crisis text or check-in)"), ("988_shown", "988 in the reply"),
               ("full_crisis_recall", "full crisis text"), ("false_crisis", "full crisis text on benign and advice"),
               ("false_check_in", "check-in on benign and advice"), ("concern_checked_in", "ambiguous messages checked in")]
ADVICE_ROWS = [("advice_recall", "advice recall (referred)"), ("false_referrals", "referrals on benign questions"),
               ("crisis_precision", "precision of the crisis text and check-ins (crisis messages among them)"),
               ("advice_precision", "precision of referrals (advice questions among them)")]


def measure(bot: Any) -> dict[str, Any]:
    lobo = guards.lobo()
    held_apart = {path.stem.removeprefix("guard_"): guards.figures(guards.run_messages(bot, guards.load_messages(path)))
                  for path in guards.HELD_APART}
    cards = {}
    for name, paths in card_matching.REPORTED:
        match_set = card_matching.load_set(*paths)
        found, _ = card_matching.run(bot, match_set)
        cards[name] = card_matching.figures(found, match_set.expected, card_matching.not_covered_ids(bot))
    return {"detectors": lobo, "held_apart": held_apart, "cards": cards}


def rows(apart: dict[str, Any]) -> list[tuple[str, t.Rows]]:
    """(heading, table) per measurement."""
    lobo, sets = apart["detectors"], apart["held_apart"]
    crisis_lobo, advice_lobo = lobo["crisis"]["left_out"], lobo["advice"]["left_out"]
    lobo_crisis = {"crisis_recall": crisis_lobo["recall"], "988_shown": crisis_lobo["988_shown"],
                   "full_crisis_recall": crisis_lobo["full_crisis_recall"], "false_crisis": crisis_lobo["false_crisis"],
                   "false_check_in": crisis_lobo["false_check_in"], "concern_checked_in": crisis_lobo["concern_checked_in"],
                   "advice_recall": advice_lobo["recall"], "false_referrals": advice_lobo["false_referrals"]}
    fitted = {"crisis_recall": lobo["crisis"]["training_set"]["recall"],
              "false_check_in": lobo["crisis"]["training_set"]["false_check_in"],
              "advice_recall": lobo["advice"]["training_set"]["recall"]}
    lobo_crisis["crisis_precision"] = lobo["precision"]["crisis"]
    lobo_crisis["advice_precision"] = lobo["precision"]["advice"]
    guard_table = ["figure", "left-out batches (detectors + lexicons)",
                   *[f"{name} ({f['messages']}, held apart)" for name, f in sets.items()], "training set (fitted on it)"], [
        [title, t.fmt(lobo_crisis.get(k), "pct"), *[t.fmt(f.get(k), "pct") for f in sets.values()],
         t.fmt(fitted.get(k), "pct")]
        for k, title in CRISIS_ROWS + ADVICE_ROWS]
    stale = " (STALE: the training data changed; run `python -m bot train-guards`)" if lobo["stale"] else ""
    card_table = ["set", "precision", "coverage", "false matches", "not-covered matches", "paraphrases", "unrelated"], [
        [name, t.fmt(f["precision"], "pct"), t.fmt(f["coverage"], "pct"), t.fmt(f["false_matches"], "pct"),
         str(f.get("not_covered_matches", 0)), str(f["paraphrases"]), str(f["unrelated"])]
        for name, f in apart["cards"].items()]
    return [(f"Crisis and advice detection: {lobo['messages']} messages in {len(lobo['batches'])} batches; "
             f"{len(sets)} held-apart sets through the whole bot{stale}", guard_table),
            ("FAQ card matching (targets: precision ≥ 97%, false matches ≤ 2%)", card_table)]


def roc_chart(out_dir: Path, apart: dict[str, Any]) -> Path:
    """The left-out ROC curve of each detector, with its bars marked."""
    from evals.charts import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=96)
    for name in ("crisis", "advice"):
        points = apart["detectors"][name]["roc"]
        ax.plot([p[0] for p in points], [p[1] for p in points],
                label=f"{name} (AP {apart['detectors'][name]['average_precision']:.3f})")
    ax.set_xlabel("false positive rate (left-out batches)")
    ax.set_ylabel("true positive rate")
    ax.set_title("Learned detectors, leave one batch out")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    path = out_dir / "charts" / "detectors_roc.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write(out_dir: Path, apart: dict[str, Any]) -> Path:
    """apart.md (the tables and the ROC chart) and apart.json, beside the report."""
    chart = roc_chart(out_dir, apart)
    parts = ["# Measured apart from the suite", "", __doc__.split("\n\n", 1)[1].strip(), ""]
    for heading, table in rows(apart):
        parts += [f"## {heading}", "", t.table(*table), ""]
    parts += [f"![ROC]({chart.relative_to(out_dir)})", ""]
    (out_dir / "apart.json").write_text(json.dumps(apart, indent=1), encoding="utf-8")
    md = out_dir / "apart.md"
    md.write_text("\n".join(parts), encoding="utf-8")
    return md
