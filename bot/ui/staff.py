"""The staff console: ask and see the full trace; review visitor feedback; run the evaluation suite.

Never embedded and never served without a login (app.py launches it only with credentials).
"""
from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import gradio as gr

from bot.config import MAX_QUESTION_CHARS, Settings
from bot.ui import render
from bot.ui.content import ui_text
from bot.ui.evalrun import EvalRunner
from bot.ui.feedback import FeedbackStore, Item
from bot.ui.service import BotLike, ask
from bot.ui.trace import trace_html

QUEUE_HEADERS = ["id", "rating", "kind", "created (UTC)", "question", "comment", "answer", "reviewed"]
QUEUE_LIMIT = 500  # rows shown; the CSV export has them all
EXPORT_DIR_NAME = "exports"


def queue_rows(items: list[Item]) -> list[list[Any]]:
    """Rows of the review table.

    >>> queue_rows([Item(1, "2025-01-01T00:00:00Z", -1, "answered", "q", "a", "[]", "", False, None)])
    [[1, 'down', 'answered', '2025-01-01 00:00', 'q', '', 'a', 'no']]
    """
    return [[i.id, "down" if i.rating < 0 else "up", i.kind, i.created_at.replace("T", " ")[:16],
             i.question, i.comment, i.answer, "yes" if i.reviewed else "no"] for i in items]


def item_html(item: Item | None) -> str:
    if item is None:
        return "<p>Select a row to see the item.</p>"
    e = html.escape
    cites = "".join(f"<li>[{c.get('n')}] {e(str(c.get('title', '')))}: {e(str(c.get('quote', '')))}</li>"
                    for c in json.loads(item.citations or "[]"))
    return (f"<h3>Item {item.id} ({'thumbs down' if item.rating < 0 else 'thumbs up'}, {e(item.kind)})</h3>"
            f"<p><strong>Question (redacted):</strong> {e(item.question)}</p>"
            f"<p><strong>Comment:</strong> {e(item.comment) or '<em>none</em>'}</p>"
            f"<p><strong>Answer given:</strong></p><pre style='white-space:pre-wrap'>{e(item.answer)}</pre>"
            f"<ul>{cites}</ul><p>Reviewed: {'yes, ' + e(item.reviewed_at or '') if item.reviewed else 'no'}</p>")


def export_csv(store: FeedbackStore, directory: Path) -> Path:
    """Write the queue to directory/feedback-<time>.csv, removing earlier exports (they hold visitor text)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("feedback-*.csv"):
        old.unlink(missing_ok=True)
    path = directory / f"feedback-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.csv"
    path.write_text(store.export_csv(), encoding="utf-8")
    return path


def export_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / EXPORT_DIR_NAME


def build_staff(get_bot: Callable[[], BotLike], settings: Settings, store: FeedbackStore,
                evals: EvalRunner | None = None) -> gr.Blocks:
    text = ui_text(settings.clinic)
    evals = evals or EvalRunner()

    def answer_and_trace(question: str) -> tuple[str, str, dict[str, Any]]:
        if not (question or "").strip():
            return "<p>Type a question first.</p>", "", {}
        bot = get_bot()
        turn = ask(bot, question)
        shown = render.answer_html(turn, render.passages_for(turn, bot.chunk_text), settings.clinic, text)
        return shown, trace_html(turn), turn.model_dump()

    def load_queue(include_reviewed: bool) -> list[list[Any]]:
        return queue_rows(store.queue(include_reviewed, limit=QUEUE_LIMIT))

    def select_item(evt: gr.SelectData) -> tuple[Any, str]:
        row = evt.row_value or []
        item_id = int(row[0]) if row and str(row[0]).isdigit() else None
        return item_id, item_html(store.get(item_id) if item_id is not None else None)

    def mark(item_id: float | None, include_reviewed: bool) -> tuple[list[list[Any]], str, str]:
        if item_id is None or not store.mark_reviewed(int(item_id)):
            return load_queue(include_reviewed), "No such item.", gr.skip()
        return load_queue(include_reviewed), f"Item {int(item_id)} marked reviewed.", item_html(store.get(int(item_id)))

    def export() -> Any:
        return gr.update(value=str(export_csv(store, export_dir(settings))), visible=True)

    def run_evals(gated: bool) -> Any:
        output = ""
        for output in evals.run(gated):
            yield output, gr.skip()
        yield output, evals.latest_report()

    with gr.Blocks(title="KAP bot: staff console", analytics_enabled=False, fill_width=True,
                   delete_cache=(3600, 3600)) as demo:
        gr.HTML(f"<div class='kap-staff-head'><h1>Staff console · {render.esc(settings.clinic.name)}</h1>"
                "<p><a href='/logout'>Log out</a> · visitor feedback and traces are confidential.</p></div>")
        with gr.Tab("Ask and trace"):
            question = gr.Textbox(label="Question", lines=2, max_length=MAX_QUESTION_CHARS * 2, elem_id="staff-q")
            go = gr.Button("Answer with trace", variant="primary", elem_id="staff-ask")
            shown = gr.HTML(elem_id="staff-answer")
            trace = gr.HTML(elem_id="staff-trace")
            with gr.Accordion("Turn record (JSON)", open=False):
                record = gr.JSON()
        with gr.Tab("Review queue"):
            with gr.Row():
                include_reviewed = gr.Checkbox(label="Include reviewed items", value=False)
                refresh = gr.Button("Refresh", elem_id="staff-refresh")
            table = gr.Dataframe(headers=QUEUE_HEADERS, value=[], interactive=False, wrap=True,
                                 max_height=520, elem_id="staff-queue",
                                 column_widths=["5%", "7%", "10%", "12%", "22%", "14%", "24%", "6%"])
            with gr.Row(equal_height=True):
                item_id = gr.Number(value=None, label="Item id", precision=0, minimum=1, elem_id="staff-item-id")
                mark_btn = gr.Button("Mark reviewed", elem_id="staff-mark")
                export_btn = gr.Button("Export CSV", elem_id="staff-export")
            status = gr.Markdown(elem_id="staff-status")
            csv_file = gr.File(label="Exported queue", visible=False, elem_id="staff-csv")
            item = gr.HTML(item_html(None), elem_id="staff-item")
        with gr.Tab("Evaluation"):
            gated = gr.Checkbox(label="Gated cases only (the make test subset; faster)", value=False)
            run = gr.Button("Run the evaluation suite", variant="primary", elem_id="staff-eval")
            output = gr.Textbox(label="Output", lines=10, max_lines=25, autoscroll=True, interactive=False,
                                elem_id="staff-eval-output")
            report = gr.Markdown(evals.latest_report, elem_id="staff-report")

        go.click(answer_and_trace, question, [shown, trace, record], api_name="trace")
        question.submit(answer_and_trace, question, [shown, trace, record], api_visibility="private")
        refresh.click(load_queue, include_reviewed, table, api_visibility="private")
        include_reviewed.change(load_queue, include_reviewed, table, api_visibility="private")
        table.select(select_item, None, [item_id, item], api_visibility="private")
        mark_btn.click(mark, [item_id, include_reviewed], [table, status, item], api_visibility="private")
        export_btn.click(export, None, csv_file, api_visibility="private")
        run.click(run_evals, gated, [output, report], api_visibility="private", concurrency_limit=1)
        demo.load(load_queue, include_reviewed, table, api_visibility="private")
    return demo
