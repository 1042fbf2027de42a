"""Write the run's report: report.md, report.html (self-contained), results.jsonl, charts/*.png."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from evals import tables as t
from evals.cases import Case
from evals.charts import draw_all
from evals.checks import CaseResult
from evals.gates import GateResult

if TYPE_CHECKING:
    from evals.run import Evaluation

HELDOUT_TITLE = "Held-apart cases: never used to tune, never gated"

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3}.FAIL{color:#b00;font-weight:bold}.PASS{color:#070}pre{background:#f6f6f6;padding:8px;
white-space:pre-wrap}details{margin:.6em 0;border-left:3px solid #c44e52;padding-left:.8em}img{max-width:100%}"""


def _expected(case: Case) -> list[str]:
    out = [f"kind: {' or '.join(case.expect_kind)}"]
    if case.expect_flags:
        out.append(f"flags: {', '.join(case.expect_flags)}")
    if case.must_contain:
        out.append("must contain: " + ", ".join(f"/{p}/" for p in case.must_contain))
    if case.must_not_contain:
        out.append("must not contain: " + ", ".join(f"/{p}/" for p in case.must_not_contain))
    if case.gold_sources:
        out.append("gold sources: " + ", ".join(case.gold_sources))
    return out


def _got(r: CaseResult) -> str:
    sources = ", ".join(f"[{c['n']}] {c['source']}" for c in r.citations) or "none"
    return f"kind: {r.kind}; flags: {', '.join(r.flags) or 'none'}; citations: {sources}; {r.latency_ms:.1f} ms"


def _sections(run: "Evaluation", allow: Mapping[str, str]) -> list[tuple[str, t.Rows | None]]:
    """(heading, table) in report order; a None table is the charts' place."""
    passing = {r.id for _, r in run.pairs if r.passed}
    out: list[tuple[str, t.Rows | None]] = [
        ("Gates", t.gate_rows(run.gates)),
        ("Overall", t.headline_rows(run.table["overall"])),
        ("Does the answer answer? (cases with sentence-level gold)", t.answer_rows(run.table["overall"])),
        ("Retrieval: dense, BM25 (lexical) and hybrid", t.retrieval_rows(run.table)),
        ("By category", t.category_rows(run.table)),
        ("Categories", t.legend_rows()),
        ("Allow-list (cases.yaml allow_fail)", t.allow_rows(dict(allow), passing)),
    ]
    if run.heldout_table:
        out += [(f"{HELDOUT_TITLE} ({len(run.heldout)})", t.category_rows(run.heldout_table)),
                (f"{HELDOUT_TITLE}: does the answer answer?", t.answer_rows(run.heldout_table["overall"])),
                (f"{HELDOUT_TITLE}: per set and by kind of question", t.set_rows(run.heldout))]
    return out + [("Charts", None)]


def _failing(run: "Evaluation") -> list[tuple[Case, CaseResult]]:
    gated = {case_id for g in run.gates for case_id in g.failing}
    return sorted(((c, r) for c, r in run.pairs if not r.passed), key=lambda cr: cr[1].id not in gated)


HELDOUT_WARNING = ("Reading these cases makes them a training set for whoever reads them: record the held-apart "
                   "figures first, and never change the bot to pass one of them (write a new held-apart set instead).")


def heldout_failures(run: "Evaluation") -> str:
    """The held-apart cases that failed, kept out of report.md and the console so that nobody tunes on them."""
    lines = ["# Held-apart cases that failed", "", f"**{HELDOUT_WARNING}**", ""]
    for case, r in run.heldout:
        if not r.passed:
            lines += [f"- **{r.id}** [{r.category}] {r.question}", f"  - {'; '.join(r.failures)}"]
    return "\n".join(lines) + "\n"


def markdown(meta: dict[str, Any], run: "Evaluation", allow: Mapping[str, str],
             charts: Sequence[tuple[str, Path]], out_dir: Path) -> str:
    status = "PASS" if run.ok else "FAIL"
    parts = [
        "# KAP bot evaluation report", "",
        f"Run {meta['when']} · {meta['cases']} cases from `{meta['cases_file']}`{' (gated subset)' if meta['gated'] else ''}"
        f" · {meta.get('heldout_cases', 0)} held-apart · {meta['seconds']:.1f} s · gates: **{status}**", "",
        "Metric definitions and why each gate: evals/README.md.", "",
    ]
    for heading, rows in _sections(run, allow):
        parts += [f"## {heading}", ""]
        parts += [t.table(*rows), ""] if rows else [f"![{title}]({path.relative_to(out_dir).as_posix()})" for title, path in charts]
    failing = _failing(run)
    parts += ["", f"## Failing cases ({len(failing)})", ""]
    for case, r in failing:
        gates = _gate_names(r.id, run.gates)
        tag = " · held-apart" if (case, r) in run.heldout else " · allow-listed" if r.allowed else " · fails a gate" if gates else ""
        parts += [f"### {r.id} ({r.category}){tag}", "", f"- **Question:** {r.question}",
                  *[f"- **Expected** {e}" for e in _expected(case)], f"- **Got** {_got(r)}",
                  *([f"- **Allow-listed:** {r.allowed}"] if r.allowed else []),
                  *[f"- **Gate failed:** {name}" for name in gates], "- **Why it failed:**",
                  *[f"  - {why}" for why in r.failures], "", "```text", r.answer or "(empty)", "```", ""]
    return "\n".join(parts)


def _gate_names(case_id: str, gates: Sequence[GateResult]) -> list[str]:
    return [g.name for g in gates if case_id in g.failing and not g.ok]


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    cell = lambda c: f'<td class="{c}">{c}</td>' if c in ("PASS", "FAIL") else f"<td>{html.escape(c)}</td>"
    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(meta: dict[str, Any], run: "Evaluation", allow: Mapping[str, str],
              charts: Sequence[tuple[str, Path]]) -> str:
    e = html.escape
    status = "PASS" if run.ok else "FAIL"
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>KAP bot evaluation</title><style>{CSS}</style>"
           "</head><body><h1>KAP bot evaluation report</h1>",
           f"<p>Run {e(meta['when'])} · {meta['cases']} cases from <code>{e(meta['cases_file'])}</code>"
           f"{' (gated subset)' if meta['gated'] else ''} · {meta.get('heldout_cases', 0)} held-apart · "
           f"{meta['seconds']:.1f} s · gates: <span class='{status}'>{status}</span></p>"
           "<p>Metric definitions and why each gate: evals/README.md.</p>"]
    for heading, rows in _sections(run, allow):
        out.append(f"<h2>{e(heading)}</h2>")
        if rows:
            out.append(_html_table(*rows))
            continue
        for title, path in charts:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            out.append(f"<figure><img alt='{e(title)}' src='data:image/png;base64,{data}'></figure>")
    failing = _failing(run)
    out.append(f"<h2>Failing cases ({len(failing)})</h2>")
    for case, r in failing:
        items = [f"<li><b>Question:</b> {e(r.question)}</li>"] + [f"<li><b>Expected</b> {e(x)}</li>" for x in _expected(case)]
        items += [f"<li><b>Got</b> {e(_got(r))}</li>"] + [f"<li class='FAIL'>Gate failed: {e(n)}</li>" for n in _gate_names(r.id, run.gates)]
        items += [f"<li><b>Allow-listed:</b> {e(r.allowed)}</li>"] if r.allowed else []
        items += ["<li><b>Why it failed:</b><ul>" + "".join(f"<li>{e(w)}</li>" for w in r.failures) + "</ul></li>"]
        out.append(f"<details open><summary><b>{e(r.id)}</b> ({e(r.category)}): {e(r.failures[0])}</summary>"
                   f"<ul>{''.join(items)}</ul><pre>{e(r.answer or '(empty)')}</pre></details>")
    out.append("</body></html>")
    return "\n".join(out)


def _gate_json(g: GateResult) -> dict[str, Any]:
    return {"name": g.name, "metric": g.gate.metric, "category": g.gate.category, "value": g.value,
            "wanted": t.wanted(g.gate), "ok": g.ok, "failing": g.failing, "allow_listed": g.allowed,
            "reason": g.gate.reason}


def write(out_dir: Path, meta: dict[str, Any], run: "Evaluation", allow: Mapping[str, str]) -> Path:
    """Write every report file into out_dir; returns the Markdown report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [r for _, r in run.pairs]
    charts = draw_all(out_dir, run.table, [r.latency_ms for r in results])
    if (out_dir / "results.jsonl").exists():  # the run before, for `python -m evals.compare`
        (out_dir / "results.jsonl").replace(out_dir / "previous_results.jsonl")
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as fh:
        for _, r in run.pairs + run.heldout:
            held = {"heldout": True} if any(r is h for _, h in run.heldout) else {}
            fh.write(json.dumps(r.model_dump() | {"passed": r.passed} | held, ensure_ascii=False) + "\n")
    summary = {"meta": meta, "figures": run.table, "gates": [_gate_json(g) for g in run.gates],
               "allow_fail": dict(allow),
               "heldout": {"note": HELDOUT_TITLE, "cases": len(run.heldout), "figures": run.heldout_table}}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    md = out_dir / "report.md"
    md.write_text(markdown(meta, run, allow, charts, out_dir), encoding="utf-8")
    (out_dir / "report.html").write_text(html_page(meta, run, allow, charts), encoding="utf-8")
    if run.heldout:
        (out_dir / "heldout_failures.md").write_text(heldout_failures(run), encoding="utf-8")
    return md
