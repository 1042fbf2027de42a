"""Write the run's report: report.md, report.html (self-contained), results.jsonl, charts/*.png."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any, Sequence

from evals import tables as t
from evals.cases import Case
from evals.charts import draw_all
from evals.checks import CaseResult
from evals.summary import Gate

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


def markdown(meta: dict[str, Any], by_cat: dict, gates: Sequence[Gate], failing: Sequence[tuple[Case, CaseResult]],
             charts: Sequence[tuple[str, Path]], out_dir: Path) -> str:
    status = "PASS" if all(g.ok for g in gates) else "FAIL"
    parts = [
        "# KAP bot evaluation report", "",
        f"Run {meta['when']} · {meta['cases']} cases from `{meta['cases_file']}`{' (gated subset)' if meta['gated'] else ''}"
        f" · {meta['seconds']:.1f} s · gates: **{status}**", "",
        "Metric definitions: evals/README.md.", "",
        "## Gates", "", t.table(*t.gate_rows(gates)), "",
        "## Overall", "", t.table(*t.headline_rows(by_cat["overall"])), "",
        "## Retrieval: dense, BM25 (lexical) and hybrid", "", t.table(*t.retrieval_rows(by_cat)), "",
        "## By category", "", t.table(*t.category_rows(by_cat)), "", t.table(*t.legend_rows()), "",
        "## Charts", "",
    ]
    parts += [f"![{title}]({path.relative_to(out_dir).as_posix()})" for title, path in charts]
    parts += ["", f"## Failing cases ({len(failing)})", ""]
    for case, r in failing:
        parts += [f"### {r.id} ({r.category}){' · fails a gate' if _gate_names(r.id, gates) else ''}", "", f"- **Question:** {r.question}",
                  *[f"- **Expected** {e}" for e in _expected(case)], f"- **Got** {_got(r)}",
                  *[f"- **Gate failed:** {name}" for name in _gate_names(r.id, gates)], "- **Why it failed:**", *[f"  - {why}" for why in r.failures], "", "```text", r.answer or "(empty)", "```", ""]
    return "\n".join(parts)


def _gate_names(case_id: str, gates: Sequence[Gate]) -> list[str]:
    return [g.name for g in gates if case_id in g.failing]


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    cell = lambda c: f'<td class="{c}">{c}</td>' if c in ("PASS", "FAIL") else f"<td>{html.escape(c)}</td>"
    body = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(meta: dict[str, Any], by_cat: dict, gates: Sequence[Gate], failing: Sequence[tuple[Case, CaseResult]],
              charts: Sequence[tuple[str, Path]]) -> str:
    e = html.escape
    status = "PASS" if all(g.ok for g in gates) else "FAIL"
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>KAP bot evaluation</title><style>{CSS}</style>"
           "</head><body><h1>KAP bot evaluation report</h1>",
           f"<p>Run {e(meta['when'])} · {meta['cases']} cases from <code>{e(meta['cases_file'])}</code>"
           f"{' (gated subset)' if meta['gated'] else ''} · {meta['seconds']:.1f} s · gates: "
           f"<span class='{status}'>{status}</span></p><p>Metric definitions: evals/README.md.</p>",
           "<h2>Gates</h2>", _html_table(*t.gate_rows(gates)),
           "<h2>Overall</h2>", _html_table(*t.headline_rows(by_cat["overall"])),
           "<h2>Retrieval: dense, BM25 (lexical) and hybrid</h2>", _html_table(*t.retrieval_rows(by_cat)),
           "<h2>By category</h2>", _html_table(*t.category_rows(by_cat)), _html_table(*t.legend_rows()),
           "<h2>Charts</h2>"]
    for title, path in charts:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append(f"<figure><img alt='{e(title)}' src='data:image/png;base64,{data}'></figure>")
    out.append(f"<h2>Failing cases ({len(failing)})</h2>")
    for case, r in failing:
        items = [f"<li><b>Question:</b> {e(r.question)}</li>"] + [f"<li><b>Expected</b> {e(x)}</li>" for x in _expected(case)]
        items += [f"<li><b>Got</b> {e(_got(r))}</li>"] + [f"<li class='FAIL'>Gate failed: {e(n)}</li>" for n in _gate_names(r.id, gates)]
        items += ["<li><b>Why it failed:</b><ul>"
                  + "".join(f"<li>{e(w)}</li>" for w in r.failures) + "</ul></li>"]
        out.append(f"<details open><summary><b>{e(r.id)}</b> ({e(r.category)}): {e(r.failures[0])}</summary>"
                   f"<ul>{''.join(items)}</ul><pre>{e(r.answer or '(empty)')}</pre></details>")
    out.append("</body></html>")
    return "\n".join(out)


def write(out_dir: Path, meta: dict[str, Any], by_cat: dict, gates: Sequence[Gate],
          pairs: Sequence[tuple[Case, CaseResult]]) -> Path:
    """Write every report file into out_dir; returns the Markdown report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [r for _, r in pairs]
    charts = draw_all(out_dir, by_cat, [r.latency_ms for r in results])
    gated_ids = {case_id for g in gates for case_id in g.failing}
    failing = sorted(((c, r) for c, r in pairs if not r.passed), key=lambda cr: cr[1].id not in gated_ids)
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as fh:
        for r in results:
            fh.write(json.dumps(r.model_dump() | {"passed": r.passed}, ensure_ascii=False) + "\n")
    (out_dir / "summary.json").write_text(json.dumps(
        {"meta": meta, "figures": by_cat, "gates": [{"name": g.name, "value": g.value, "wanted": g.wanted,
                                                     "ok": g.ok, "failing": g.failing} for g in gates]},
        indent=2), encoding="utf-8")
    md = out_dir / "report.md"
    md.write_text(markdown(meta, by_cat, gates, failing, charts, out_dir), encoding="utf-8")
    (out_dir / "report.html").write_text(html_page(meta, by_cat, gates, failing, charts), encoding="utf-8")
    return md
