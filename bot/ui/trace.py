"""Pure rendering of a Turn's trace for staff: guards, retrieval scores, evidence, citations, timings."""
from __future__ import annotations

import html
import json
from typing import Any, Sequence

from bot.match import NEAREST_NOT_COVERED
from bot.models import Turn

MAX_CELL_CHARS = 400  # longer cells (chunk texts) are cut, with an ellipsis


def cell(value: Any) -> str:
    """A table cell: numbers rounded, None blank, everything escaped.

    >>> cell(0.123456), cell(None), cell("<b>")
    ('0.1235', '', '&lt;b&gt;')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False) if value else ""
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return html.escape(text)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str = "none") -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in headers)
    if not rows:
        return f"<h3>{html.escape(title)}</h3><p class='kap-empty'>{html.escape(empty)}</p>"
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return (f"<h3>{html.escape(title)}</h3><div class='kap-table-wrap'><table class='kap-trace'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def summary(turn: Turn) -> str:
    flags = ", ".join(turn.flags) or "none"
    context = (f" · <strong>read as a follow-up to:</strong> {html.escape(turn.follow_up_of)}"
               if turn.follow_up_of else "")
    return (f"<p class='kap-trace-summary'><strong>kind:</strong> {html.escape(turn.kind)} · "
            f"<strong>flags:</strong> {html.escape(flags)} · <strong>total:</strong> {turn.latency_ms:.1f} ms"
            f"{context}</p>")


def guards_table(turn: Turn) -> str:
    rows = [(g.name, "FIRED" if g.fired else "pass", g.kind, g.reason, g.detail) for g in turn.guards]
    return table("Guards", ("guard", "decision", "kind", "reason", "detail"), rows)


def routing_table(turn: Turn) -> str:
    """Where the question went after the guards: a clinic topic, an FAQ card (how it matched, and the card it
    beat), or retrieval, and the question type that steers sentence selection."""
    card = turn.card
    topic = turn.clinic_topic or "–"
    if turn.clinic_reply_only:
        topic += (" (the no-answer's wording only: nothing relevant was found, and the learned recogniser rates the"
                  " question more likely than not the clinic's own, below its own bar for routing)")
    rows = [("clinic topic", topic), ("question type", turn.question_type or "–"),
            ("sentence scorer's best probability", "–" if turn.answer_probability is None else turn.answer_probability)]
    if card is not None and card.card_id:
        kind = ", a not-covered card: the sources do not answer it" if card.not_covered else ""
        rows += [("FAQ card", f"{card.card_id} ({f'matched by {card.via}' if card.matched else 'not matched'}{kind}"
                              f"{'; nearest, so the visitor was told so' if card.via == NEAREST_NOT_COVERED else ''})"),
                 ("card score", card.score), ("runner-up", f"{card.runner_up or '–'} ({card.runner_up_score:.4f})"),
                 ("classifier probability", "–" if card.probability is None else card.probability)]
        if turn.matched_on:
            rows.append(("matched on the question part", turn.matched_on))
    return table("Clinic topic, FAQ card and question type", ("step", "value"), rows)


def retrieved_table(turn: Turn) -> str:
    rows = [(i, c.chunk_id, c.doc_id, c.section, c.dense, c.dense_rank, c.lexical, c.lexical_rank, c.fused, c.text)
            for i, c in enumerate(turn.retrieved, 1)]
    return table("Retrieved chunks", ("#", "chunk", "document", "section", "dense", "dense rank",
                                      "lexical (BM25)", "lexical rank", "fused (RRF)", "text"), rows)


def evidence_table(turn: Turn) -> str:
    rows = [(e.sentence_id, e.role, e.score, "–" if e.probability is None else e.probability, e.doc_id, e.chunk_id, e.text)
            for e in turn.evidence]
    return table("Selected sentences", ("sentence", "role", "score", "probability", "document", "chunk", "text"), rows)


def citations_table(turn: Turn) -> str:
    rows = [(c.n, c.source, c.title, c.publisher, c.year, c.evidence_type, c.url, c.quote) for c in turn.citations]
    return table("Citations", ("n", "document", "title", "publisher", "year", "evidence", "link", "quote"), rows)


def timings_table(turn: Turn) -> str:
    rows = [(stage, ms) for stage, ms in turn.timings_ms.items()]
    rows.append(("total (latency)", turn.latency_ms))
    return table("Time per stage (ms)", ("stage", "ms"), rows)


def trace_html(turn: Turn) -> str:
    """Every part of the trace, in pipeline order."""
    parts = (summary(turn), guards_table(turn), routing_table(turn), retrieved_table(turn), evidence_table(turn),
             citations_table(turn), timings_table(turn))
    return "<div class='kap-trace-all'>" + "".join(parts) + "</div>"
