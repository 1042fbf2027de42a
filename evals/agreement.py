"""How far two judges of the same questions agree: the ceiling the answer metrics can be read against.

    python -m evals.agreement                      # batches z and aa against their second, blind judgement
    python -m evals.agreement --first A.yaml B.yaml --second C.yaml

Both files judge the same question ids (evals/pending/second_judge/ says how the second was written). On the ids
both judged, it reports how often they gave the same kind, and, where both judged the question answerable, what
one judge's gold sentences would score as an answer under the other judge's gold, with the eval's own definitions
(evals/metrics.py): answer precision (the share of the quoted sentences that are gold), first-bullet hit (the
first is gold) and answer recall (at least one is gold). A judge lists the most direct sentence first, so the
first-bullet figure is also what a one-sentence answer chosen by a second judge would score.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from evals import tables as t
from evals.cases import Case, load_case_file

PENDING_DIR = Path(__file__).resolve().parent / "pending"
FIRST = (PENDING_DIR / "batch_z.yaml", PENDING_DIR / "batch_aa.yaml")
SECOND = PENDING_DIR / "second_judge" / "batch_z_aa.yaml"


@dataclass(frozen=True)
class Scored:
    """One judge's gold, quoted as an answer, scored under the other judge's gold."""

    questions: int
    precision: float
    first_bullet: float
    recall: float
    sentences: float  # mean gold sentences per question of the judge being scored


@dataclass(frozen=True)
class Agreement:
    common: int  # question ids both judged
    same_kind: int
    second_by_first: Scored | None  # None when no question was judged answerable by both
    first_by_second: Scored | None


def _gold(case: Case) -> list[str]:
    return [" ".join(q.text.split()) for q in case.gold_quotes]


def score(answers: Sequence[list[str]], golds: Sequence[set[str]]) -> Scored | None:
    """Each list of sentences as an answer, against the gold set beside it.

    >>> s = score([["a", "b"], ["c"]], [{"a"}, {"d"}])
    >>> s.precision, s.first_bullet, s.recall, s.sentences
    (0.3333, 0.5, 0.5, 1.5)
    """
    if not answers:
        return None
    quoted = sum(len(a) for a in answers)
    return Scored(len(answers), round(sum(s in g for a, g in zip(answers, golds) for s in a) / quoted, 4),
                  round(sum(a[0] in g for a, g in zip(answers, golds)) / len(answers), 4),
                  round(sum(any(s in g for s in a) for a, g in zip(answers, golds)) / len(answers), 4),
                  round(quoted / len(answers), 2))


def agreement(first: Sequence[Case], second: Sequence[Case]) -> Agreement:
    """The two judgements of the ids they share."""
    by_id = {c.id: c for c in second}
    pairs = [(a, by_id[a.id]) for a in first if a.id in by_id]
    both = [(a, b) for a, b in pairs
            if a.expect_kind == b.expect_kind == ["answered"] and a.gold_quotes and b.gold_quotes]
    return Agreement(
        common=len(pairs),
        same_kind=sum(set(a.expect_kind) == set(b.expect_kind) for a, b in pairs),
        second_by_first=score([_gold(b) for _, b in both], [set(_gold(a)) for a, _ in both]),
        first_by_second=score([_gold(a) for a, _ in both], [set(_gold(b)) for _, b in both]),
    )


def rows(result: Agreement) -> t.Rows:
    head = ["scored", "questions", "precision", "first bullet", "recall", "sentences"]
    out = []
    for name, s in (("second judge's gold, by the first's", result.second_by_first),
                    ("first judge's gold, by the second's", result.first_by_second)):
        if s is not None:
            out.append([name, str(s.questions), t.fmt(s.precision, "pct"), t.fmt(s.first_bullet, "pct"),
                        t.fmt(s.recall, "pct"), f"{s.sentences:.2f}"])
    return head, out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.agreement", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--first", type=Path, nargs="+", default=list(FIRST), help="the first judgement (case files)")
    ap.add_argument("--second", type=Path, nargs="+", default=[SECOND], help="the second judgement (case files)")
    args = ap.parse_args(argv)
    try:
        first = [c for p in args.first for c in load_case_file(p)]
        second = [c for p in args.second for c in load_case_file(p)]
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = agreement(first, second)
    if not result.common:
        print("error: the two judgements share no question id", file=sys.stderr)
        return 2
    print(f"questions judged by both: {result.common}; the same kind: {result.same_kind} "
          f"({result.same_kind / result.common:.1%})")
    print(t.table(*rows(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
