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
from pathlib import Path
from typing import Sequence

from evals import tables as t
from evals.cases import load_heldout, load_suite
from evals.run import WARM_UP, build_context, run_case
from evals.summary import answer_figures

DEV_DIR = Path(__file__).parent / "dev"


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
    print(t.table(*t.set_rows(pairs)))
    f = answer_figures([r for _, r in pairs])
    if f["answerable_missed"] is not None:
        print(f"answerable questions not answered directly: {f['answerable_missed']}; a card's answer held a gold "
              f"sentence for {f['missed_gold_in_card']} of them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
