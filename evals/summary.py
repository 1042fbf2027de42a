"""Aggregate per-case results into figures per category and overall. Pure. The gates are in gates.py."""
from __future__ import annotations

from typing import Any, Sequence

from evals import metrics as m
from evals.cases import CATEGORIES
from evals.checks import CaseResult

MODES = ("dense", "lexical", "hybrid")
RECALL_K = 5  # recall@k
RANK_DEPTH = 10  # chunks retrieved per mode; MRR counts a gold document only within this depth


def _ratio(results: Sequence[CaseResult], attr: str) -> float | None:
    return m.pooled(getattr(r, attr) for r in results)


def figures(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Every metric over a set of results; None where a metric has no case to measure.
    `categories_missing` counts the categories of cases.yaml with no case in the set."""
    with_gold = [r for r in results if r.cites_gold is not None]
    crisis = [r for r in results if r.expect_kind == ["crisis"]]
    advice = [r for r in results if r.expect_kind == ["needs_clinician"]]
    injections = [r for r in results if r.changed is not None]
    lat = [r.latency_ms for r in results]
    out: dict[str, Any] = {
        "cases": len(results),
        "pass_rate": m.rate([r.passed for r in results]),
        "kind_accuracy": m.rate([r.kind_ok for r in results]),
        "citation_precision": _ratio(results, "citation_counts"),
        "citation_recall": m.rate([bool(r.cites_gold) for r in with_gold]),
        "groundedness": _ratio(results, "grounded_counts"),
        "crisis_recall": m.rate([r.kind == "crisis" and not r.missing for r in crisis]),
        "advice_recall": m.rate([r.kind == "needs_clinician" and not r.forbidden for r in advice]),
        "overclaiming_answers": sum(bool(r.overclaims) for r in results),
        "bot_rule_overclaims": sum(bool(r.bot_rule_overclaims) for r in results),
        "malformed_lines": sum(len(r.malformed) for r in results),
        "missing_disclaimers": sum(r.no_disclaimer for r in results),
        "unexpected_failures": sum(not r.passed and not r.allowed for r in results),
        "allowed_failures": sum(not r.passed and bool(r.allowed) for r in results),
        "categories_missing": len(set(CATEGORIES) - {r.category for r in results}),
        "changed_injections": sum(bool(r.changed) for r in injections) if injections else None,
        "unverified_quotes": sum(len(r.bad_quotes) for r in results),
        "false_refusal_rate": m.rate([bool(r.refused) for r in with_gold]),
        **answer_figures(results),
        "latency_p50_ms": m.percentile(lat, 50),
        "latency_p95_ms": m.percentile(lat, 95),
    }
    for mode in MODES:
        scored = [r.retrieval[mode] for r in results if mode in r.retrieval]
        out[f"recall@{RECALL_K}_{mode}"] = m.mean([s["recall"] for s in scored])
        out[f"mrr_{mode}"] = m.mean([s["rr"] for s in scored])
    return out


def answered_by_path(results: Sequence[CaseResult]) -> tuple[list[CaseResult], list[CaseResult]]:
    """The answerable cases (with gold) a reviewed card answered, and those the retrieval fallback answered: where
    answers fail. A referral, a check-in or a no-answer is in neither."""
    answerable = [r for r in results if r.gold_quotes_n]
    return ([r for r in answerable if r.from_card],
            [r for r in answerable if not r.from_card and r.kind == "answered"])


def answer_figures(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Does the answer answer the question (cases with sentence-level gold; definitions in evals/README.md)."""
    judged = [r for r in results if r.answer_gold is not None]
    answerable = [r for r in results if r.gold_quotes_n]
    by_card, by_retrieval = answered_by_path(results)
    balance = [b for r in results for b in r.balance_on_topic]
    bullets = [r.bullets for r in results if r.bullets is not None]
    direct = [r.direct for r in results if r.direct is not None]
    return {
        "answer_precision": m.pooled((sum(r.answer_gold), len(r.answer_gold)) for r in judged),
        "first_bullet_hit": m.rate([bool(r.answer_gold) and r.answer_gold[0] for r in judged]),
        "answer_recall": m.rate([r.answer_gold is not None and any(r.answer_gold) for r in answerable]),
        "mean_bullets": m.mean(bullets),
        "balance_on_topic": m.rate(balance),
        "direct_answers": m.rate(direct),
        "answerable_no_answer": sum(r.kind == "no_answer" for r in answerable) if answerable else None,
        "card_answers": m.rate([r.from_card for r in answerable]),
        "card_direct": m.rate([bool(r.direct) for r in by_card]),
        "retrieval_direct": m.rate([bool(r.direct) for r in by_retrieval]),
        # where the answerable misses are: a card held the answer (matching missed it) or none did
        "gold_in_card": m.rate([bool(r.gold_in_card) for r in answerable if r.gold_in_card is not None]),
        "answerable_missed": sum(not r.direct for r in answerable) if answerable else None,
        "missed_gold_in_card": sum(not r.direct and bool(r.gold_in_card) for r in answerable) if answerable else None,
    }


def by_category(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """`figures` for each category present, then "overall"."""
    table = {c: figures([r for r in results if r.category == c]) for c in CATEGORIES
             if any(r.category == c for r in results)}
    table["overall"] = figures(results)
    return table
