"""`python -m evals`: run every case (and the held-apart cases, reported apart) through the real bot,
print the figures, write the report; exit 1 when a gate fails, 2 when the cases or the bot cannot be loaded."""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from evals import metrics as m
from evals import report
from evals import tables as t
from evals.cases import CASES_FILE, HELDOUT_DIR, Case, Suite, load_heldout, load_suite
from evals.checks import CaseResult, Context, judge
from evals.gates import GATES, GateResult, check
from evals.summary import MODES, RANK_DEPTH, RECALL_K, by_category

REPORT_DIR = Path(__file__).resolve().parent / "report"
WARM_UP = "What is ketamine-assisted psychotherapy?"  # answered once, untimed, so latency is steady-state
Pairs = list[tuple[Case, CaseResult]]


@dataclass
class Evaluation:
    """One run: the suite's cases with their figures and gates, and the held-apart cases with theirs."""

    pairs: Pairs
    table: dict[str, dict[str, Any]]
    gates: list[GateResult]
    heldout: Pairs = field(default_factory=list)
    heldout_table: dict[str, dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.gates)

    def result(self, case_id: str) -> CaseResult:
        return next(r for _, r in self.pairs + self.heldout if r.id == case_id)


def build_context(bot: Any, suite: Suite) -> Context:
    """Everything the checks compare answers against, read once from the loaded bot."""
    doc_texts = {doc_id: (Path(bot.settings.corpus_dir) / meta.path).read_text(encoding="utf-8")
                 for doc_id, meta in bot.docs.items()}
    known = set().union(*(m.ngrams(x) for x in [*doc_texts.values(), *bot.templates.values()]))
    try:
        from bot.guards.output import fda_misstatement, overclaims

        def rule(sentence: str) -> list[str]:  # the bot's own checks, FDA misstatement included: reported only
            return list(overclaims(sentence, bot.rules)) + ["fda_misstatement"] * fda_misstatement(sentence, bot.rules)
    except ImportError as exc:  # the suite's own patterns still apply
        print(f"warning: bot overclaim rule unavailable ({exc})", file=sys.stderr)
        rule = None
    chunk_texts = {cid: chunk.text for cid, chunk in bot.data.chunks.items()}
    matcher = getattr(bot, "matcher", None)
    card_answers = {c.id: c.answer_texts for c in (matcher.cards if matcher else []) if not c.not_covered}
    return Context(doc_texts=doc_texts, chunk_texts=chunk_texts, templates=m.template_lines(bot.templates.values()),
                   known_ngrams=known, overclaim_patterns=suite.overclaim_patterns,
                   marketing=suite.marketing_sentences, disclaimer=bot.templates.get("disclaimer"), overclaim_rule=rule,
                   card_answers=card_answers)


def run_case(bot: Any, case: Case, ctx: Context, allowed: str = "") -> CaseResult:
    """Answer the case, judge the answer, and score retrieval in each mode for answerable cases."""
    from bot.models import Turn

    try:
        turn = bot.answer(case.text, case.previous)
        error = None
    except Exception as exc:  # a traceback is a failure of the bot, reported like any other
        turn, error = Turn(question=str(case.display)), f"bot.answer raised {type(exc).__name__}: {exc}"
    result = judge(case, turn, ctx)
    result.allowed = allowed
    result.from_card = bool(turn.card and turn.card.matched and not turn.card.not_covered)
    if error:
        result.failures.insert(0, error)
    if case.gold_sources:
        text = case.retrieval_text
        vec = bot.embedder.embed_query(text)  # once for the three modes: what bot.retrieve(text, mode) does
        for mode in MODES:
            docs = [c.doc_id for c in bot.retriever.retrieve_scored(text, vec, mode=mode, k=RANK_DEPTH)]
            result.retrieval[mode] = {"docs": docs, "recall": m.recall_at_k(docs, case.gold, RECALL_K),
                                      "rr": m.reciprocal_rank(docs, case.gold)}
    return result


def evaluate(bot: Any, suite: Suite, heldout: Sequence[Case] = (), sample: bool = False) -> Evaluation:
    """Every case, then the figures per category and the gates (without the whole-suite floors when the
    suite is a `sample`); the held-apart cases are judged the same way but only reported: they never count
    toward a gate or the allow-list."""
    ctx = build_context(bot, suite)
    bot.answer(WARM_UP)
    pairs = [(case, run_case(bot, case, ctx, suite.allow_fail.get(case.id, ""))) for case in suite.cases]
    results = [r for _, r in pairs]
    table = by_category(results)
    held = [(case, run_case(bot, case, ctx)) for case in heldout]
    gates = [g for g in GATES if not (sample and g.whole_suite)]
    return Evaluation(pairs, table, check(gates, table, results, suite.allow_fail), held,
                      by_category([r for _, r in held]) if held else None)


def _print_failures(pairs: Pairs, label: str = "") -> None:
    for _, r in pairs:
        if not r.passed:
            mark = " (allow-listed)" if r.allowed else ""
            print(f"FAIL{label} {r.id}{mark} [{r.category}] {r.question[:90]!r}: {'; '.join(r.failures)[:300]}")


def _print_shift(out_dir: Path) -> None:
    """Against the run before (the same report directory): direct answers gained, lost, and whether it is noise."""
    from evals import compare

    previous, current = out_dir / compare.PREVIOUS.name, out_dir / compare.CURRENT.name
    if not previous.exists():
        return
    try:
        found = [s for s in compare.shifts(compare.load(previous), compare.load(current))
                 if s.name in (compare.HELDOUT_ALL, compare.SUITE)]
    except (OSError, ValueError) as exc:
        print(f"\n(no comparison with the run before: {exc})")
        return
    if found:
        print(f"\nSince the run before (`python -m evals.compare` for every set):\n{t.table(*compare.rows(found))}")


def print_summary(run: Evaluation, md: Path) -> None:
    print(t.table(*t.category_rows(run.table)), "\n")
    print(t.table(*t.retrieval_rows(run.table)), "\n")
    print(t.table(*t.headline_rows(run.table["overall"])), "\n")
    print(t.table(*t.answer_rows(run.table["overall"])), "\n")
    print(t.table(*t.gate_rows(run.gates)), "\n")
    _print_failures(run.pairs)
    failing = [r for _, r in run.pairs if not r.passed]
    print(f"\n{len(failing)} of {len(run.pairs)} cases failing, {sum(bool(r.allowed) for r in failing)} of them "
          f"allow-listed; report: {md} (and report.html beside it)")
    if stale := [r.id for _, r in run.pairs if r.allowed and r.passed]:
        print(f"allow-listed but passing now (remove from allow_fail in cases.yaml): {', '.join(stale)}")
    if run.heldout_table:
        print(f"\nHeld-apart cases ({len(run.heldout)}; never used to tune, never gated):")
        print(t.table(*t.category_rows(run.heldout_table)))
        print(t.table(*t.answer_rows(run.heldout_table["overall"])))
        print(t.table(*t.set_rows(run.heldout)))
        failed = sum(not r.passed for _, r in run.heldout)
        print(f"{failed} held-apart cases failed: listed only in {md.parent / 'heldout_failures.md'} (read it only "
              f"after recording these figures; never tune on it)")
        _print_shift(md.parent)
    for g in (g for g in run.gates if not g.ok):
        print(f"GATE FAILED: {g.name} = {t.fmt(g.value, g.gate.how)} (wanted {t.wanted(g.gate)}); "
              f"cases: {', '.join(g.failing) or '–'}")
    if run.ok:
        print("All gates pass.")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    ap.add_argument("--gated", action="store_true", help="run only the cases marked gated: true (a quick sample)")
    ap.add_argument("--no-apart", action="store_true",
                    help="skip the figures measured apart (they never decide the exit code; scripts/mutants.py)")
    ap.add_argument("--out", type=Path, default=REPORT_DIR, help=f"report directory (default {REPORT_DIR})")
    ap.add_argument("--cases", type=Path, default=CASES_FILE, help=f"cases file (default {CASES_FILE})")
    ap.add_argument("--heldout", type=Path, default=HELDOUT_DIR,
                    help=f"directory of held-apart case files, reported apart (default {HELDOUT_DIR})")
    ap.add_argument("--gates", action="store_true", help="print every gate with its threshold and why, and exit")
    args = ap.parse_args(argv)
    if args.gates:
        print(t.table(*t.gate_reference_rows(GATES)))
        return 0
    try:
        suite = load_suite(args.cases)
        heldout = load_heldout(args.heldout, suite.ids)
    except (OSError, ValueError) as exc:
        print(f"error: cannot use the cases: {exc}", file=sys.stderr)
        return 2
    if args.gated:
        suite = suite.gated()
    start = time.perf_counter()
    from bot.errors import BotError
    from bot.pipeline import Bot

    try:
        bot = Bot.load()
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run = evaluate(bot, suite, heldout, sample=args.gated)
    meta = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cases": len(run.pairs),
            "heldout_cases": len(run.heldout), "cases_file": str(args.cases), "gated": args.gated,
            "seconds": time.perf_counter() - start}
    md = report.write(args.out, meta, run, suite.allow_fail)
    print_summary(run, md)
    if not (args.gated or args.no_apart):  # the figures measured where nobody tuned: beside the suite's, never gated
        from evals import apart

        measured = apart.measure(bot)
        for heading, rows in apart.rows(measured):
            print(f"\n{heading}\n{t.table(*rows)}")
        print(f"(also in {apart.write(args.out, measured)})")
    return 0 if run.ok else 1
