"""`python -m evals.compare [BEFORE AFTER]`: did a change move the answers, or is it noise?

Compares two runs' per-case results (results.jsonl). `make eval` writes evals/report/results.jsonl and keeps
the run before it as evals/report/previous_results.jsonl; those two are the default. For each held-apart set,
the held-apart sets together and the suite: the cases answered directly before and after (each with its 95%
Wilson interval), how many were gained and lost, and the exact McNemar p-value (a two-sided binomial test on
the cases that changed, the only ones that carry information about the change).

A held-apart set of 150 questions has an interval about 14 points wide, and one look at it is worth a
question or two either way: read a gain of two or three questions as noise unless p says otherwise.

Counts only: a held-apart question's text or answer is never printed (evals/README.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from evals import tables as t
from evals.metrics import interval, mcnemar_p

REPORT_DIR = Path(__file__).resolve().parent / "report"
CURRENT, PREVIOUS = REPORT_DIR / "results.jsonl", REPORT_DIR / "previous_results.jsonl"
HELDOUT_ALL, SUITE = "held-apart, all", "suite"


@dataclass(frozen=True)
class Shift:
    name: str
    cases: int  # judged in both runs
    before: int
    after: int
    gained: int
    lost: int

    @property
    def p(self) -> float:
        return mcnemar_p(self.gained, self.lost)


def load(path: Path) -> dict[str, dict]:
    """id -> result, for the cases with a direct-answer verdict; a ValueError names the file and line."""
    out: dict[str, dict] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row.get("direct") is not None:
                out[str(row["id"])] = row
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:  # not JSON, or not a result
            raise ValueError(f"{path.name}:{number}: not a result line ({exc})") from exc
    return out


def _group(case_id: str, row: Mapping) -> str:
    return case_id.split("-")[0] if row.get("heldout") else SUITE


def shifts(before: Mapping[str, Mapping], after: Mapping[str, Mapping]) -> list[Shift]:
    """Per held-apart set (the id's prefix), the held-apart sets together, then the suite; only cases in both."""
    groups: dict[str, list[tuple[bool, bool]]] = {}
    for cid in sorted(before.keys() & after.keys()):
        pair = (bool(before[cid]["direct"]), bool(after[cid]["direct"]))
        groups.setdefault(_group(cid, after[cid]), []).append(pair)
        if after[cid].get("heldout"):
            groups.setdefault(HELDOUT_ALL, []).append(pair)
    sets = sorted(g for g in groups if g not in (HELDOUT_ALL, SUITE))
    order = sets + [g for g in (HELDOUT_ALL, SUITE) if g in groups]
    return [_shift(name, groups[name]) for name in order]


def _shift(name: str, pairs: Sequence[tuple[bool, bool]]) -> Shift:
    return Shift(name, len(pairs), sum(b for b, _ in pairs), sum(a for _, a in pairs),
                 sum(a and not b for b, a in pairs), sum(b and not a for b, a in pairs))


def _figure(k: int, n: int) -> str:
    ci = interval(k, n)
    return "–" if ci is None else f"{k / n:.1%} ({ci[0]:.1%}–{ci[1]:.1%})"


def rows(found: Iterable[Shift]) -> t.Rows:
    head = ["set", "cases", "direct before (95% interval)", "direct after (95% interval)", "gained", "lost",
            "p (McNemar)"]
    return head, [[s.name, str(s.cases), _figure(s.before, s.cases), _figure(s.after, s.cases), str(s.gained),
                   str(s.lost), f"{s.p:.2f}"] for s in found]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.compare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path, nargs="?", default=PREVIOUS, help=f"default {PREVIOUS}")
    ap.add_argument("after", type=Path, nargs="?", default=CURRENT, help=f"default {CURRENT}")
    args = ap.parse_args(argv)
    try:
        before, after = load(args.before), load(args.after)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    found = shifts(before, after)
    if not found:
        print("error: the two runs share no judged case", file=sys.stderr)
        return 2
    print(t.table(*rows(found)))
    if unmatched := len(before.keys() ^ after.keys()):
        print(f"\n{unmatched} cases are in only one of the runs and are left out.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
