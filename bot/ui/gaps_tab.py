"""The console's Gaps tab: recent visitor questions the bot could not answer well, grouped by what went
wrong, clustered by meaning, biggest first, each with its count per week, three (redacted) examples and
the answer a visitor gets now. With question logging off it says so, and shows the feedback queue's
thumbs-down questions only. "Write a card for this cluster" opens the Write tab with its questions.
"""
from __future__ import annotations

from typing import Any, Callable

import gradio as gr
import numpy as np

from bot import gaps
from bot.config import Settings
from bot.ui import picker
from bot.ui.feedback import FeedbackStore
from bot.ui.render import esc
from bot.ui.service import ask
from bot.ui.widgets import html_block

HEADERS = ["#", "what went wrong", "size", "per week", "examples (redacted)", "answer now"]
ALL = "everything"
SHOWN = 50  # clusters listed
ANSWER_CHARS = 160
MAX_CACHED = 5000  # question vectors kept between refreshes


def logging_note(settings: Settings) -> str:
    if settings.log_questions:
        return (f"Question logging is **on** (redacted before it is written): the last {gaps.WINDOW_DAYS} days of "
                "unanswered questions, referrals, crisis check-ins and thumbs-down.")
    return ("Question logging is **off** (`KAP_LOG_QUESTIONS`), so visitors' questions are not kept: only the "
            "feedback queue's thumbs-down questions are shown.")


def rows(clusters: list[gaps.Cluster], answers: list[str]) -> list[list[Any]]:
    return [[n, gaps.REASONS[c.reason], c.size, ", ".join(f"{w}: {k}" for w, k in c.per_week.items()),
             " · ".join(c.examples), a] for n, (c, a) in enumerate(zip(clusters, answers), 1)]


def cluster_html(cluster: gaps.Cluster | None, answer: str = "") -> str:
    if cluster is None:
        return "<p>Select a cluster to see its questions.</p>"
    items = "".join(f"<li>{esc(q)}</li>" for q in cluster.questions[:30])
    weeks = ", ".join(f"{esc(w)}: {k}" for w, k in cluster.per_week.items())
    return (f"<p><strong>{esc(gaps.REASONS[cluster.reason])}</strong>: {cluster.size} questions ({weeks})</p>"
            f"<p><strong>Answer now</strong>: {esc(answer)}</p><ul>{items}</ul>")


def build_gaps_tab(settings: Settings, get_bot: Callable[[], Any], store: FeedbackStore) -> dict[str, Any]:
    cache: dict[str, np.ndarray] = {}

    def vectors(bot: Any, questions: list[str]) -> np.ndarray:
        missing = [q for q in dict.fromkeys(questions) if q not in cache]
        if missing:
            if len(cache) + len(missing) > MAX_CACHED:
                cache.clear()
            cache.update(zip(missing, bot.embedder.embed_batch(missing)))
        return np.stack([cache[q] for q in questions])

    def refresh(reason: str) -> tuple[Any, ...]:
        records = gaps.read_log(settings.data_dir / gaps.QUESTIONS_LOG) if settings.log_questions else []
        records += gaps.thumbs_down(store.queue(include_reviewed=True, limit=gaps.MAX_RECORDS))
        if reason != ALL:
            records = [r for r in records if gaps.REASONS[r.reason] == reason]
        if not records:
            return [], [], "<p>No gaps in this period.</p>"
        bot = picker.quiet(get_bot())
        found = gaps.cluster(records, vectors(bot, [r.question for r in records]))[:SHOWN]
        answers = [_answer_now(bot, c.questions[0]) for c in found]
        state = [{"questions": c.questions, "answer": a, "records": [(r.question, r.reason, r.at) for r in c.records]}
                 for c, a in zip(found, answers)]
        return rows(found, answers), state, cluster_html(None)

    def select(evt: gr.SelectData, state: list[dict]) -> tuple[Any, ...]:
        row = evt.row_value or []
        n = int(row[0]) - 1 if row and str(row[0]).isdigit() else -1
        if not 0 <= n < len(state or []):
            return None, cluster_html(None)
        c = state[n]
        cluster = gaps.Cluster(c["records"][0][1], [gaps.GapRecord(*r) for r in c["records"]])
        return n, cluster_html(cluster, c["answer"])

    gr.Markdown(logging_note(settings), elem_id="staff-gaps-note")
    with gr.Row():
        reason = gr.Dropdown([ALL, *gaps.REASONS.values()], value=ALL, label="What went wrong", elem_id="staff-gaps-reason")
        refresh_btn = gr.Button("Refresh", elem_id="staff-gaps-refresh")
    table = gr.Dataframe(headers=HEADERS, value=[], interactive=False, wrap=True, max_height=480, elem_id="staff-gaps",
                         column_widths=["4%", "12%", "6%", "14%", "38%", "26%"])
    state, chosen = gr.State([]), gr.State(None)
    detail = html_block(cluster_html(None), elem_id="staff-gap")
    write = gr.Button("Write a card for this cluster", variant="primary", elem_id="staff-gap-write")
    refresh_btn.click(refresh, reason, [table, state, detail], api_visibility="private")
    reason.input(refresh, reason, [table, state, detail], api_visibility="private")
    table.select(select, state, [chosen, detail], api_visibility="private")
    return {"write": write, "state": state, "chosen": chosen, "refresh": (refresh, reason, [table, state, detail])}


def _answer_now(bot: Any, question: str) -> str:
    turn = ask(bot, question)
    first = next((line[2:] for line in turn.answer.splitlines() if line.startswith("- ")), turn.answer.strip())
    text = " ".join(first.split())
    return f"{turn.kind}: {text[:ANSWER_CHARS]}{'…' if len(text) > ANSWER_CHARS else ''}"
