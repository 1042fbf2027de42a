"""Figures as text tables (Markdown pipe tables, readable on a terminal too)."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from evals.cases import CATEGORY_TITLES, Case
from evals.checks import CaseResult
from evals.gates import Gate, GateResult
from evals.metrics import interval
from evals.summary import MODES, RECALL_K, answer_figures, answered_by_path

# (key in summary.figures, column title, format)
CATEGORY_COLUMNS: list[tuple[str, str, str]] = [
    ("cases", "n", "int"),
    ("pass_rate", "pass", "pct"),
    ("kind_accuracy", "kind ok", "pct"),
    (f"recall@{RECALL_K}_hybrid", f"R@{RECALL_K} hyb", "num"),
    ("mrr_hybrid", "MRR hyb", "num"),
    ("citation_precision", "cite P", "pct"),
    ("citation_recall", "cite R", "pct"),
    ("groundedness", "grounded", "pct"),
    ("false_refusal_rate", "false refusals", "pct"),
    ("overclaiming_answers", "overclaims", "int"),
    ("latency_p50_ms", "p50 ms", "ms"),
    ("latency_p95_ms", "p95 ms", "ms"),
]

HEADLINE: list[tuple[str, str, str]] = [
    ("pass_rate", "Cases passing every check", "pct"),
    ("kind_accuracy", "Right kind of answer", "pct"),
    ("citation_precision", "Citation precision", "pct"),
    ("citation_recall", "Citation recall (answerable cases citing a gold source)", "pct"),
    ("groundedness", "Groundedness (answer sentences verbatim in a cited chunk)", "pct"),
    ("crisis_recall", "Crisis recall", "pct"),
    ("advice_recall", "Medical-advice recall", "pct"),
    ("overclaiming_answers", "Overclaiming answers (suite patterns, marketing sentences)", "int"),
    ("bot_rule_overclaims", "Answers whose quotes the bot's own overclaim rule flags (reported, not gated)", "int"),
    ("changed_injections", "Injections that changed the answer's behaviour", "int"),
    ("unverified_quotes", "Citation quotes not verbatim in the corpus", "int"),
    ("malformed_lines", "Answer lines neither a template nor '- quote [n]'", "int"),
    ("missing_disclaimers", "Quoted treatment answers without the disclaimer", "int"),
    ("unexpected_failures", "Cases failing outside the allow-list", "int"),
    ("allowed_failures", "Allow-listed cases failing", "int"),
    ("false_refusal_rate", "False refusals on answerable questions", "pct"),
    ("latency_p50_ms", "Latency p50 (ms)", "ms"),
    ("latency_p95_ms", "Latency p95 (ms)", "ms"),
]


ANSWERS: list[tuple[str, str, str]] = [
    ("direct_answers", "Answers directly (right kind; for answerable questions a gold sentence quoted)", "pct"),
    ("answer_precision", "Answer precision (quoted answer sentences that are gold)", "pct"),
    ("first_bullet_hit", "First-bullet hit (the first quoted sentence is gold)", "pct"),
    ("answer_recall", "Answer recall (answerable questions with a gold sentence quoted)", "pct"),
    ("mean_bullets", "Answer sentences per answer (mean)", "num"),
    ("balance_on_topic", "Balance lines on the question's topic (gold or related)", "pct"),
    ("answerable_no_answer", "Answerable questions given no_answer", "int"),
    ("card_answers", "Answerable questions a FAQ card answers", "pct"),
    ("card_direct", "Of those, answered directly", "pct"),
    ("retrieval_direct", "Answerable questions answered by retrieval instead: answered directly", "pct"),
    ("gold_in_card", "Answerable questions whose gold sentence some card's answer quotes", "pct"),
    ("answerable_missed", "Answerable questions not answered directly", "int"),
    ("missed_gold_in_card", "Of those, a card's answer held a gold sentence (matching, not the corpus, missed)", "int"),
]


def fmt(value: Any, how: str) -> str:
    """`fmt(0.5, "pct")` -> `"50.0%"`; None -> `"–"`."""
    if value is None:
        return "–"
    if how == "pct":
        return f"{100 * value:.1f}%"
    if how == "ms":
        return f"{value:.1f}"
    if how == "num":
        return f"{value:.3f}"
    return str(int(value))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown pipe table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(out)


Rows = tuple[list[str], list[list[str]]]  # header, rows


def category_rows(by_cat: dict[str, dict[str, Any]]) -> Rows:
    header = ["category"] + [title for _, title, _ in CATEGORY_COLUMNS]
    rows = [[name] + [fmt(figs[k], how) for k, _, how in CATEGORY_COLUMNS]
            for name, figs in by_cat.items()]
    return header, rows


def retrieval_rows(by_cat: dict[str, dict[str, Any]]) -> Rows:
    header = ["category"] + [f"{mode} R@{RECALL_K}" for mode in MODES] + [f"{mode} MRR" for mode in MODES]
    rows = []
    for name, figs in by_cat.items():
        if figs[f"recall@{RECALL_K}_hybrid"] is None:
            continue
        rows.append([name] + [fmt(figs[f"recall@{RECALL_K}_{mode}"], "num") for mode in MODES]
                    + [fmt(figs[f"mrr_{mode}"], "num") for mode in MODES])
    return header, rows


def headline_rows(overall: dict[str, Any]) -> Rows:
    return ["metric", "value"], [[title, fmt(overall[k], how)] for k, title, how in HEADLINE]


def answer_rows(overall: dict[str, Any]) -> Rows:
    """Does the answer answer the question: the sentence-level figures (cases with gold_quotes)."""
    return ["answer metric", "value"], [[title, fmt(overall.get(k), how)] for k, title, how in ANSWERS]


def wanted(g: Gate) -> str:
    """`"≥ 88.0%"`, `"100.0%"`, `"0"`: what the gate asks for."""
    sign = {"==": "", ">=": "≥ ", "<=": "≤ "}[g.op]
    return sign + fmt(g.threshold, g.how)


def _cases(ids: Sequence[str], most: int = 12) -> str:
    return ", ".join(ids[:most]) + (" …" if len(ids) > most else "")


def gate_rows(gates: Sequence[GateResult]) -> Rows:
    rows = []
    for r in gates:
        unexcused = [i for i in r.failing if i not in r.allowed]
        cases = "; ".join(x for x in (_cases(unexcused), r.allowed and f"allow-listed: {_cases(r.allowed)}") if x)
        rows.append([r.name, fmt(r.value, r.gate.how), wanted(r.gate), "PASS" if r.ok else "FAIL", cases or "–"])
    return ["gate", "value", "wanted", "status", "failing cases"], rows


def gate_reference_rows(gates: Sequence[Gate]) -> Rows:
    """Every gate with its threshold and why (evals/README.md)."""
    rows = [[g.name, (f"{g.category}: " if g.category != "overall" else "") + g.metric,
             wanted(g) + (" (whole suite)" if g.whole_suite else ""), g.reason] for g in gates]
    return ["gate", "figure", "threshold", "why"], rows


def allow_rows(allow: dict[str, str], passing: set[str]) -> Rows:
    """The allow-list, and whether each case still fails (an entry that passes should be removed)."""
    rows = [[case_id, "passes now: remove the entry" if case_id in passing else "fails", reason]
            for case_id, reason in allow.items()]
    return ["case", "today", "reason"], rows


def legend_rows() -> Rows:
    return ["category", "what it holds"], [[k, v] for k, v in CATEGORY_TITLES.items()]


GROUPS = {"answerable": lambda c: c.expect_kind == ["answered"],
          "clinic's own": lambda c: bool(c.must_contain) and c.expect_kind == ["no_answer"],
          "no vetted answer": lambda c: not c.must_contain and c.expect_kind == ["no_answer"],
          "for a clinician": lambda c: c.expect_kind == ["needs_clinician"]}


def set_rows(pairs: Sequence[tuple[Case, CaseResult]]) -> Rows:
    """Answers-directly per set (the case id's prefix: "pq4", "dvz") and per kind of question, the answerable ones
    by the path that answered them (a reviewed card, or retrieval), then the answer figures; the last row is all."""
    batches: dict[str, list[tuple[Case, CaseResult]]] = defaultdict(list)
    for case, r in pairs:
        batches[case.id.split("-")[0]].append((case, r))
    batches["all"] = list(pairs)
    head = ["set", "cases", "direct", "95% interval", *GROUPS, "by a card", "by retrieval", "precision", "first bullet", "recall",
            "sentences", "no_answer (answerable)"]
    out = []
    for name, group in batches.items():
        f = answer_figures([r for _, r in group])
        direct = [f"{_share([r for c, r in group if test(c)])}" for test in GROUPS.values()]
        paths = [_share(taken) for taken in answered_by_path([r for _, r in group])]
        out.append([name, str(len(group)), fmt(f["direct_answers"], "pct"), _interval(group), *direct, *paths, fmt(f["answer_precision"], "pct"),
                    fmt(f["first_bullet_hit"], "pct"), fmt(f["answer_recall"], "pct"), f"{f['mean_bullets']:.2f}" if f["mean_bullets"] is not None else "–",
                    str(f["answerable_no_answer"])])
    return head, out


def _share(results: Sequence[CaseResult]) -> str:
    return f"{sum(bool(r.direct) for r in results)}/{len(results)}" if results else "–"


def _interval(group: Sequence[tuple[Case, CaseResult]]) -> str:
    """The 95% Wilson interval of the share answered directly: how far one set's figure can be trusted."""
    judged = [r for _, r in group if r.direct is not None]
    ci = interval(sum(bool(r.direct) for r in judged), len(judged))
    return "–" if ci is None else f"{ci[0]:.1%}–{ci[1]:.1%}"
