"""What the Write tab's card and document forms share: a preview against the draft next to the live
answer, and a publish with its progress, each run in a background thread (bot/ui/publish_tab.py) and
shown escaped."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import gradio as gr

from bot.authoring import Draft
from bot.models import Turn
from bot.publish import Publisher
from bot.ui import picker
from bot.ui.publish_tab import esc_text, gates_html, in_background
from bot.ui.render import esc, esc_block
from bot.ui.service import ask

NEW = "(new)"  # the first choice of a file picker: a new file
MAX_PREVIEW_QUESTIONS = 20


def lines(text: str) -> list[str]:
    """Non-empty lines, whitespace folded.

    >>> lines(" a  b\\n\\n c ")
    ['a b', 'c']
    """
    return [" ".join(q.split()) for q in (text or "").splitlines() if q.strip()]


def answer_cell(turn: Turn) -> str:
    cites = "".join(f"<li>[{c.n}] {esc(c.title)}</li>" for c in turn.citations)
    card = f" · card {esc(turn.card.card_id)}" if turn.card and turn.card.matched else ""
    return (f"<p><strong>{esc(turn.kind)}</strong>{card}</p><p>{esc_block(turn.answer)}</p>"
            + (f"<ul>{cites}</ul>" if cites else ""))


def preview_html(rows: list[tuple[str, Turn, Turn]], file_text: str) -> str:
    body = "".join(f"<tr><td>{esc(q)}</td><td>{answer_cell(live)}</td><td>{answer_cell(new)}</td></tr>"
                   for q, live, new in rows)
    return ("<div class='kap-preview'><p role='status'><strong>Preview</strong>: each question answered now (live) and "
            "with the draft. Nothing is published yet.</p><div class='kap-table-wrap'><table class='kap-trace'><thead><tr>"
            "<th scope='col'>question</th><th scope='col'>live answer</th><th scope='col'>with the draft</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div><details><summary>The file as it will be saved</summary>"
            f"<div class='kap-diff'>{'<br>'.join(esc(line) or '&nbsp;' for line in file_text.splitlines())}</div></details></div>")


def run_preview(publisher: Publisher, get_bot: Callable[[], Any], draft: Draft,
                questions: list[str]) -> Iterator[tuple[Any, Any]]:
    """(status, result) while the draft is built, then the questions answered live and with the draft."""
    live = picker.quiet(get_bot())
    yield esc_text("building the draft ..."), ""  # the last result goes: it was about another draft
    for log, bot, error in in_background(lambda progress: publisher.preview(draft, progress)):
        if error is not None:
            yield esc_text(f"Preview failed: {error}"), ""
        elif bot is not None:
            rows = [(q, ask(live, q), ask(bot, q)) for q in questions[:MAX_PREVIEW_QUESTIONS]]
            yield esc_text("Preview ready: compare the answers below, then publish."), preview_html(rows, draft.text)
        else:
            yield esc_text(log or "building the draft ..."), gr.skip()


def run_publish(publisher: Publisher, draft: Draft, user: str) -> Iterator[tuple[Any, Any]]:
    """(status, result) while it builds, checks and swaps, then the checks' results."""
    yield esc_text("publishing ..."), ""
    for log, change, error in in_background(lambda progress: publisher.publish(draft, user, progress)):
        if error is not None:
            yield esc_text(f"Not published: {error}"), ""
        elif change is not None:
            yield esc_text(log.splitlines()[-1] if change.passed and log else "Not published."), gates_html(change)
        else:
            yield esc_text(log or "publishing ..."), gr.skip()
