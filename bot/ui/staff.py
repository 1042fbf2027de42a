"""The staff console: ask and see the full trace; see the gaps; write a card or a document from the corpus,
preview it and publish it (with the gates as a safety catch); the history, with rollback; review visitor
feedback; run the evaluation suite.

Never embedded and never served without a login (app.py launches it only with credentials). The writing
tabs need the real bot behind a swappable holder (a `Publisher`); without one they are not shown.
"""
from __future__ import annotations

import html
import json
from typing import Any, Callable

import gradio as gr

from bot.config import MAX_QUESTION_CHARS, Settings
from bot.history import History
from bot.publish import Publisher
from bot.ui import picker, render
from bot.ui.content import crisis_resources, ui_text
from bot.ui.evalrun import EvalRunner
from bot.ui.editor_tab import build_write_tab
from bot.ui.exports import EXPORT_PATH
from bot.ui.feedback import FeedbackStore, Item
from bot.ui.gaps_tab import build_gaps_tab
from bot.ui.passage import output_guard_filter
from bot.ui.publish_tab import build_history_tab
from bot.ui.service import BotLike, ask
from bot.ui.trace import trace_html
from bot.ui.widgets import html_block

QUEUE_HEADERS = ["id", "rating", "kind", "created (UTC)", "question", "comment", "answer", "reviewed"]
QUEUE_LIMIT = 500  # rows shown; the CSV export has them all
CELL_CHARS = 140  # a row stays a few lines tall; selecting it shows the whole item


def clip(text: str, limit: int = CELL_CHARS) -> str:
    """One line of at most `limit` characters.

    >>> clip("a  b\\nc"), clip("x" * 10, 5)
    ('a b c', 'xxxx…')
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def queue_rows(items: list[Item]) -> list[list[Any]]:
    """Rows of the review table, long texts clipped.

    >>> queue_rows([Item(1, "2025-01-01T00:00:00Z", -1, "answered", "q", "a", "[]", "", False, None)])
    [[1, 'down', 'answered', '2025-01-01 00:00', 'q', '', 'a', 'no']]
    """
    return [[i.id, "down" if i.rating < 0 else "up", i.kind, i.created_at.replace("T", " ")[:16],
             clip(i.question), clip(i.comment), clip(i.answer), "yes" if i.reviewed else "no"] for i in items]


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


def build_staff(get_bot: Callable[[], BotLike], settings: Settings, store: FeedbackStore,
                evals: EvalRunner | None = None, publisher: Publisher | None = None) -> gr.Blocks:
    text = ui_text(settings.clinic)
    evals = evals or EvalRunner()
    resources, blocked = crisis_resources(), output_guard_filter()

    def answer_and_trace(question: str) -> tuple[str, str, dict[str, Any]]:
        if not (question or "").strip():
            return "<p>Type a question first.</p>", "", {}
        bot = picker.quiet(get_bot())  # a staff question is not a visitor question: never logged
        turn = ask(bot, question)
        shown = render.answer_html(turn, render.passages_for(turn, bot.chunk_text), settings.clinic, text,
                                   resources, blocked)  # as the visitor sees it
        return shown, trace_html(turn), turn.model_dump()

    def load_queue(include_reviewed: bool) -> list[list[Any]]:
        return queue_rows(store.queue(include_reviewed, limit=QUEUE_LIMIT))

    def select_item(evt: gr.SelectData) -> tuple[Any, str]:
        row = evt.row_value or []
        item_id = int(row[0]) if row and str(row[0]).isdigit() else None
        return item_id, item_html(store.get(item_id) if item_id is not None else None)

    def mark(item_id: float | None, include_reviewed: bool) -> tuple[list[list[Any]], str, str]:
        if not item_id or item_id < 1:  # an empty box arrives as None or 0
            return load_queue(include_reviewed), "Select a row in the queue first (or type an item id).", gr.skip()
        if not store.mark_reviewed(int(item_id)):
            return load_queue(include_reviewed), f"There is no item {int(item_id)}.", gr.skip()
        return load_queue(include_reviewed), f"Item {int(item_id)} marked reviewed.", item_html(store.get(int(item_id)))

    def run_evals(gated: bool) -> Any:
        output = ""
        for output in evals.run(gated):
            yield output, gr.skip()
        yield output, evals.latest_report()

    with gr.Blocks(title=f"{text['staff_title']} · {settings.clinic.name}", analytics_enabled=False,
                   fill_width=True) as demo:
        html_block(f"<div class='kap-staff-head'><h1>{render.esc(text['staff_title'])} · {render.esc(settings.clinic.name)}</h1>"
                "<p><a href='logout'>Log out</a> · visitor feedback and traces are confidential.</p></div>")
        with gr.Tabs() as tabs:
            with gr.Tab("Ask and trace", id="trace"):
                question = gr.Textbox(label="Question", lines=2, max_length=MAX_QUESTION_CHARS * 2, elem_id="staff-q")
                with gr.Row():
                    go = gr.Button("Answer with trace", variant="primary", elem_id="staff-ask")
                    to_card = gr.Button("Write a card for this question", visible=publisher is not None,
                                        elem_id="staff-trace-write")
                shown = html_block(elem_id="staff-answer")
                trace = html_block(elem_id="staff-trace")
                with gr.Accordion("Turn record (JSON)", open=False):
                    record = gr.JSON()
            if publisher is not None:
                with gr.Tab("Gaps", id="gaps"):
                    gap_tab = build_gaps_tab(settings, get_bot, store)
                with gr.Tab("Write", id="write"):
                    write_tab = build_write_tab(settings, get_bot, publisher)
                with gr.Tab("History", id="history"):
                    history_tab = build_history_tab(publisher, publisher.history)
            with gr.Tab("Review queue", id="queue"):
                with gr.Row():
                    include_reviewed = gr.Checkbox(label="Include reviewed items", value=False)
                    refresh = gr.Button("Refresh", elem_id="staff-refresh")
                table = gr.Dataframe(headers=QUEUE_HEADERS, value=[], interactive=False, wrap=True,
                                     max_height=520, elem_id="staff-queue",
                                     column_widths=["5%", "7%", "10%", "12%", "22%", "14%", "24%", "6%"])
                with gr.Row(equal_height=True):
                    item_id = gr.Number(value=None, label="Item id", precision=0, elem_id="staff-item-id")
                    mark_btn = gr.Button("Mark reviewed", elem_id="staff-mark")
                    # A plain link to the console's own download route, behind the sign-in: a file handed to
                    # Gradio would be copied to a cache the visitor chat serves too.
                    html_block(f"<a class='kap-download' href='{EXPORT_PATH.lstrip('/')}' download>Export CSV</a>",
                            padding=False, elem_id="staff-export")
                status = gr.Markdown(elem_id="staff-status")
                item = html_block(item_html(None), elem_id="staff-item")
            with gr.Tab("Evaluation", id="evaluation"):
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
        run.click(run_evals, gated, [output, report], api_visibility="private", concurrency_limit=1)
        demo.load(load_queue, include_reviewed, table, api_visibility="private")
        if publisher is not None:
            targets = [*write_tab["targets"], tabs]

            def from_gap(n: int | None, clusters: list[dict]) -> tuple[Any, ...]:
                if n is None or not 0 <= n < len(clusters or []):
                    return tuple(gr.skip() for _ in targets)
                return (*write_tab["prefill"](clusters[n]["questions"]), gr.Tabs(selected="write"))

            def from_trace(asked: str) -> tuple[Any, ...]:
                if not (asked or "").strip():
                    return tuple(gr.skip() for _ in targets)
                return (*write_tab["prefill"]([" ".join(asked.split())]), gr.Tabs(selected="write"))

            gap_tab["write"].click(from_gap, [gap_tab["chosen"], gap_tab["state"]], targets, api_visibility="private")
            to_card.click(from_trace, question, targets, api_visibility="private")
            demo.load(history_tab["load"], None, history_tab["rows"], api_visibility="private")
            demo.load(*gap_tab["refresh"], api_visibility="private")
            demo.load(*write_tab["reload"], api_visibility="private")
    return demo
