"""The development patient questions (evals/dev/*.yaml): a training set, tuned on, reported per batch.

    python -m evals.dev               # figures per batch and overall, and each failing case
    python -m evals.dev --quiet       # figures only

Three batches written by separate sessions that never saw the bot, the rules or each other (evals/dev/*.yaml
headers). They are where answer selection, clinic topics and the no-answer bar are tuned; a change is judged
by whether it helps every batch, not just the one whose misses prompted it, and the held-apart sets
(evals/heldout/) stay the honest figure.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from evals import tables as t
from evals.cases import Case, load_heldout, load_suite
from evals.checks import CaseResult
from evals.run import WARM_UP, build_context, run_case
from evals.summary import answer_figures, answered_by_path

DEV_DIR = Path(__file__).parent / "dev"
GROUPS = {"answerable": lambda c: c.expect_kind == ["answered"],
          "clinic's own": lambda c: bool(c.must_contain) and c.expect_kind == ["no_answer"],
          "no vetted answer": lambda c: not c.must_contain and c.expect_kind == ["no_answer"],
          "for a clinician": lambda c: c.expect_kind == ["needs_clinician"]}


def rows(pairs: Sequence[tuple[Case, CaseResult]]) -> t.Rows:
    """Answers-directly per batch and per kind of question, the answerable ones by the path that answered them (a
    reviewed card, or retrieval), then the answer figures per batch."""
    batches: dict[str, list[tuple[Case, CaseResult]]] = defaultdict(list)
    for case, r in pairs:
        batches[case.id.split("-")[0]].append((case, r))
    batches["all"] = list(pairs)
    head = ["batch", "cases", "direct", *GROUPS, "by a card", "by retrieval", "precision", "first bullet", "recall",
            "sentences", "no_answer (answerable)"]
    out = []
    for name, group in batches.items():
        f = answer_figures([r for _, r in group])
        direct = [f"{_share([r for c, r in group if test(c)])}" for test in GROUPS.values()]
        paths = [_share(taken) for taken in answered_by_path([r for _, r in group])]
        out.append([name, str(len(group)), t.fmt(f["direct_answers"], "pct"), *direct, *paths, t.fmt(f["answer_precision"], "pct"),
                    t.fmt(f["first_bullet_hit"], "pct"), t.fmt(f["answer_recall"], "pct"), f"{f['mean_bullets']:.2f}" if f["mean_bullets"] is not None else "–",
                    str(f["answerable_no_answer"])])
    return head, out


def _share(results: Sequence[CaseResult]) -> str:
    return f"{sum(bool(r.direct) for r in results)}/{len(results)}" if results else "–"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.dev", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quiet", action="store_true", help="figures only, no failing cases")
    ap.add_argument("--dir", type=Path, default=DEV_DIR, help=f"directory of case files (default {DEV_DIR})")
    args = ap.parse_args(argv)
    suite = load_suite()
    cases = load_heldout(args.dir, suite.ids)
    if not cases:
        print(f"error: no case files in {args.dir}", file=sys.stderr)
        return 2
    from bot.pipeline import Bot

    bot = Bot.load()
    ctx = build_context(bot, suite)
    bot.answer(WARM_UP)
    pairs = [(case, run_case(bot, case, ctx)) for case in cases]
    if not args.quiet:
        for case, r in pairs:
            if not r.direct:
                print(f"MISS {r.id} [{'/'.join(case.expect_kind)}{' clinic' if case.must_contain else ''}] "
                      f"{r.question[:100]!r} -> {r.kind}: {' | '.join(r.answer.splitlines())[:260]}")
    print(t.table(*rows(pairs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
