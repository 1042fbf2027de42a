"""The console's History tab (every change, its diff and gates; "Roll back"), and what the Write tab shows
while a publish runs: its progress, run in a background thread, and its result. Every text staff or
visitors typed, and every corpus text, is escaped before it is shown.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Iterator, TypeVar

import gradio as gr

from bot.authoring import DraftError
from bot.history import Change, History
from bot.publish import Publisher
from bot.ui.render import esc
from bot.ui.trace import table
from bot.ui.widgets import html_block

T = TypeVar("T")
POLL_S = 0.3
LOG_LINES = 12  # progress lines kept on screen
BACKGROUND_NICE = 10  # the publish thread yields the CPU to visitor requests (Linux: per thread)
HISTORY_HEADERS = ["id", "when (UTC)", "who", "what", "file", "build", "gates", "swap ms"]
ACTIONS = {"publish": "published", "refused": "refused", "rollback": "rolled back"}


def in_background(job: Callable[[Callable[[str], None]], T]) -> Iterator[tuple[str, T | None, BaseException | None]]:
    """Runs job(progress) in a thread; yields (progress so far, None, None) while it runs, then
    (progress, result, error). The thread finishes even if the browser goes away."""
    lines: list[str] = []
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        except (OSError, AttributeError):
            pass
        try:
            out["result"] = job(lines.append)
        except BaseException as exc:  # shown to staff by the caller
            out["error"] = exc

    worker = threading.Thread(target=target, name="kap-publish", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(POLL_S)
        yield "\n".join(lines[-LOG_LINES:]), None, None
    yield "\n".join(lines[-LOG_LINES:]), out.get("result"), out.get("error")


def gates_html(change: Change) -> str:
    """The result of a publish: a headline, then every check with its figure and failing cases."""
    if change.action == "refused":
        head = ("<p class='kap-refused' role='alert'><strong>Publishing refused.</strong> "
                f"{esc(change.message)}. The failing checks are marked FAIL below.</p>")
    else:
        swap = f" (swap {change.swap_ms:.0f} ms)" if change.swap_ms is not None else ""
        head = f"<p class='kap-published' role='status'><strong>{esc(change.message)}</strong>{esc(swap)}</p>"
    rows = []
    for g in change.gates:
        state = "FAIL (refused)" if g.blocking else ("pass" if g.ok else "fails on the live build too")
        known = set(g.known)
        cases = "<br>".join(esc(f) + (" (fails on the live build too)" if f.split(":")[0] in known else "")
                            for f in g.failing)
        rows.append(f"<tr class='{'kap-gate-fail' if g.blocking else ''}'><td>{esc(state)}</td><td>{esc(g.name)}</td>"
                    f"<td>{esc(g.value)}</td><td>{cases}</td></tr>")
    body = "".join(rows) or "<tr><td colspan='4'>no checks ran</td></tr>"
    return (f"<div class='kap-gates'>{head}<div class='kap-table-wrap'><table class='kap-trace'><thead><tr>"
            "<th scope='col'>result</th><th scope='col'>check</th><th scope='col'>figure</th>"
            f"<th scope='col'>failing cases</th></tr></thead><tbody>{body}</tbody></table></div></div>")


def change_html(change: Change | None) -> str:
    if change is None:
        return "<p>Select a row to see the change.</p>"
    diff = "<br>".join(esc(line) or "&nbsp;" for line in (change.diff or "(no difference)").splitlines())
    meta = (f"<p><strong>{esc(ACTIONS[change.action])}</strong> {esc(change.path)} by {esc(change.user)} at "
            f"{esc(change.at)} · build {esc(change.build or '–')} (was {esc(change.previous_build or '–')})</p>")
    return f"<div class='kap-change'>{meta}<div class='kap-diff'>{diff}</div>{gates_html(change)}</div>"


def history_rows(records: list[Change]) -> list[list[Any]]:
    """Newest first."""
    rows = []
    for r in reversed(records):
        gates = f"{sum(g.ok for g in r.gates)}/{len(r.gates)} pass" + (", refused" if r.action == "refused" else "")
        rows.append([r.id, r.at.replace("T", " ")[:19], r.user, ACTIONS[r.action], r.path, r.build or "–",
                     gates if r.gates else "–", "" if r.swap_ms is None else f"{r.swap_ms:.0f}"])
    return rows


def signed_in_user(request: gr.Request | None) -> str:
    """The staff member behind a write action; the console's session is required (Gradio refuses the
    request without one, and this refuses it again)."""
    user = getattr(request, "username", None)
    if not user:
        raise DraftError("your session has ended: sign in again")
    return str(user)


def build_history_tab(publisher: Publisher, history: History) -> dict[str, Any]:
    """Inside a gr.Tab: the history table, a change's detail, and Roll back."""

    def load() -> list[list[Any]]:
        return history_rows(history.records())

    def select(evt: gr.SelectData) -> str:
        row = evt.row_value or []
        return change_html(history.get(str(row[0])) if row else None)

    def roll_back(request: gr.Request) -> Iterator[tuple[Any, ...]]:
        try:
            user = signed_in_user(request)
        except DraftError as exc:
            yield f"Not rolled back: {exc}.", gr.skip(), gr.skip()
            return
        for log, change, error in in_background(lambda progress: publisher.rollback(user, progress)):
            if error is not None:
                yield esc_text(f"Not rolled back: {error}"), load(), gr.skip()
            elif change is not None:
                yield esc_text(f"{change.message}; the file is restored ({change.path})."), load(), change_html(change)
            else:
                yield esc_text(log or "rolling back ..."), gr.skip(), gr.skip()

    gr.Markdown("Every change made here, newest first: who, when, the file and its diff, the build it made live "
                "and the checks it passed. **Roll back** undoes the newest published change that is still live: "
                "its file is restored and the visitor chat is served by the build from before it, at once.")
    with gr.Row():
        refresh = gr.Button("Refresh", elem_id="staff-history-refresh")
        undo = gr.Button("Roll back the latest change", variant="stop", elem_id="staff-rollback")
    status = gr.Markdown(elem_id="staff-rollback-status")
    rows = gr.Dataframe(headers=HISTORY_HEADERS, value=[], interactive=False, wrap=True, max_height=420,
                        elem_id="staff-history", column_widths=["13%", "13%", "8%", "9%", "22%", "15%", "12%", "8%"])
    detail = html_block(change_html(None), elem_id="staff-change")
    refresh.click(load, None, rows, api_visibility="private")
    rows.select(select, None, detail, api_visibility="private")
    undo.click(roll_back, None, [status, rows, detail], api_name="rollback", concurrency_limit=1)
    return {"rows": rows, "load": load}


def esc_text(text: str) -> str:
    """Status text for a gr.Markdown: escaped, so nothing in it is read as markup."""
    return esc(text)
