"""`python -m evals`: run every case through the real bot, print the figures, write the report,
exit 1 when a gate fails (2 when the bot cannot be loaded)."""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from evals import metrics as m
from evals import report
from evals import tables as t
from evals.cases import CASES_FILE, Case, Suite, load_suite
from evals.checks import CaseResult, Context, judge
from evals.summary import MODES, RANK_DEPTH, RECALL_K, Gate, by_category, check_gates

REPORT_DIR = Path(__file__).resolve().parent / "report"
WARM_UP = "What is ketamine-assisted psychotherapy?"  # answered once, untimed, so latency is steady-state


def build_context(bot: Any, suite: Suite) -> Context:
    """Everything the checks compare answers against, read once from the loaded bot."""
    doc_texts = {doc_id: (Path(bot.settings.corpus_dir) / meta.path).read_text(encoding="utf-8")
                 for doc_id, meta in bot.docs.items()}
    known = set().union(*(m.ngrams(x) for x in [*doc_texts.values(), *bot.templates.values()]))
    try:
        from bot.guards.output import fda_misstatement, overclaims

        def rule(sentence: str) -> list[str]:  # the bot's own overclaim checks, FDA misstatement included
            return list(overclaims(sentence, bot.rules)) + ["fda_misstatement"] * fda_misstatement(sentence, bot.rules)
    except ImportError as exc:  # the suite's own patterns still apply
        print(f"warning: bot overclaim rule unavailable ({exc})", file=sys.stderr)
        rule = None
    chunk_texts = {cid: chunk.text for cid, chunk in bot.data.chunks.items()}
    return Context(doc_texts=doc_texts, chunk_texts=chunk_texts, templates=m.template_lines(bot.templates.values()),
                   known_ngrams=known, overclaim_patterns=suite.overclaim_patterns, overclaim_rule=rule)


def run_case(bot: Any, case: Case, ctx: Context) -> CaseResult:
    """Answer the case, judge the answer, and score retrieval in each mode for answerable cases."""
    from bot.models import Turn

    try:
        turn = bot.answer(case.text, case.previous)
        error = None
    except Exception as exc:  # a traceback is a failure of the bot, reported like any other
        turn, error = Turn(question=str(case.display)), f"bot.answer raised {type(exc).__name__}: {exc}"
    result = judge(case, turn, ctx)
    if error:
        result.failures.insert(0, error)
    if case.gold_sources:
        for mode in MODES:
            docs = [c.doc_id for c in bot.retrieve(case.retrieval_text, mode=mode, k=RANK_DEPTH)]
            result.retrieval[mode] = {"docs": docs, "recall": m.recall_at_k(docs, case.gold, RECALL_K),
                                      "rr": m.reciprocal_rank(docs, case.gold)}
    return result


def evaluate(bot: Any, suite: Suite) -> tuple[list[tuple[Case, CaseResult]], dict, list[Gate]]:
    """Every case, then the figures per category and the gates."""
    ctx = build_context(bot, suite)
    bot.answer(WARM_UP)
    pairs = [(case, run_case(bot, case, ctx)) for case in suite.cases]
    results = [r for _, r in pairs]
    table = by_category(results)
    return pairs, table, check_gates(results, table["overall"])


def print_summary(table: dict, gates: Sequence[Gate], pairs: Sequence[tuple[Case, CaseResult]], md: Path) -> None:
    print(t.table(*t.category_rows(table)), "\n")
    print(t.table(*t.retrieval_rows(table)), "\n")
    print(t.table(*t.headline_rows(table["overall"])), "\n")
    print(t.table(*t.gate_rows(gates)), "\n")
    failing = [r for _, r in pairs if not r.passed]
    for r in failing:
        print(f"FAIL {r.id} [{r.category}] {r.question[:90]!r}: {'; '.join(r.failures)[:300]}")
    print(f"\n{len(failing)} of {len(pairs)} cases failing; report: {md} (and report.html beside it)")
    broken = [g for g in gates if not g.ok]
    for g in broken:
        value = t.fmt(g.value, "pct" if g.wanted.endswith("%") else "int")
        print(f"GATE FAILED: {g.name} = {value} (wanted {g.wanted}); cases: {', '.join(g.failing)}")
    if not broken:
        print("All gates pass.")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    ap.add_argument("--gated", action="store_true", help="run only the cases marked gated: true (as in `make test`)")
    ap.add_argument("--out", type=Path, default=REPORT_DIR, help=f"report directory (default {REPORT_DIR})")
    ap.add_argument("--cases", type=Path, default=CASES_FILE, help=f"cases file (default {CASES_FILE})")
    args = ap.parse_args(argv)
    suite = load_suite(args.cases)
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
    pairs, table, gates = evaluate(bot, suite)
    meta = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cases": len(pairs),
            "cases_file": str(args.cases), "gated": args.gated, "seconds": time.perf_counter() - start}
    md = report.write(args.out, meta, table, gates, pairs)
    print_summary(table, gates, pairs, md)
    return 0 if all(g.ok for g in gates) else 1
