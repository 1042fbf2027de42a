"""The visitor chat: the page a clinic embeds. A plain respond() over Gradio's Chatbot.

The session (messages shown, the turns behind them, feedback ids) lives in one gr.State, so a
request carries only the new question, and feedback can name the exact answer it is about.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import gradio as gr

from bot.config import MAX_QUESTION_CHARS, Settings
from bot.models import Turn
from bot.ui import render
from bot.ui.content import crisis_resources, ui_text
from bot.ui.feedback import MAX_COMMENT_CHARS, FeedbackStore
from bot.ui.passage import output_guard_filter
from bot.ui.service import BotLike, ask
from bot.ui.throttle import RateLimit
from bot.ui.widgets import html_block

log = logging.getLogger(__name__)

MAX_MESSAGES = 40  # messages kept on screen per session; older ones scroll away for good
SESSION_TTL_S = 3600  # a session's state is dropped an hour after its last use
FEEDBACK_WINDOW_S = 600  # feedback (thumbs and comments) is counted over ten minutes …
FEEDBACK_PER_SESSION = 30  # … per browser session (a session holds at most MAX_MESSAGES / 2 answers)
FEEDBACK_PER_CLIENT = 120  # … and per client address (several people may share one)


def new_session() -> dict[str, Any]:
    """messages: what the Chatbot shows; turns: chat index -> what feedback needs; last: last rated id;
    check_in: the question (and the one before it) a check-in is holding, until the visitor says they are safe."""
    return {"messages": [], "turns": {}, "last": None, "check_in": None}


def pending_check_in(turn: Turn, question: str, previous: str | None) -> dict[str, Any] | None:
    """What the "I'm safe" button will send again: only after a check-in, never after a full crisis reply.

    >>> pending_check_in(Turn(question="q", kind="crisis", flags=["crisis", "check_in"]), "q", None)
    {'question': 'q', 'previous': None}
    >>> pending_check_in(Turn(question="q", kind="crisis", flags=["crisis"]), "q", None) is None
    True
    """
    return {"question": question, "previous": previous} if turn.kind == "crisis" and "check_in" in turn.flags else None


def add_exchange(session: dict[str, Any], question_html: str, answer_html: str, record: dict[str, Any]) -> dict[str, Any]:
    """Append one question and its answer; keep at most MAX_MESSAGES, re-indexing what remains.

    >>> s = add_exchange(new_session(), "q", "a", {"kind": "answered"})
    >>> len(s["messages"]), list(s["turns"])
    (2, [1])
    """
    messages = session["messages"] + [{"role": "user", "content": question_html},
                                      {"role": "assistant", "content": answer_html}]
    turns = dict(session["turns"])
    turns[len(messages) - 1] = record
    drop = max(0, len(messages) - MAX_MESSAGES)
    if drop:
        messages = messages[drop:]
        turns = {i - drop: r for i, r in turns.items() if i >= drop}
    return {**session, "messages": messages, "turns": turns}


def exchange_record(question: str, turn: Turn) -> dict[str, Any]:
    """What the session keeps of one answer, for feedback. Staff reviewing feedback on a follow-up
    ("does it work?") see the question it followed, since the answer was read in that context."""
    staff_question = f"{question} (follow-up to: {turn.follow_up_of})" if turn.follow_up_of else question
    return {"question": question, "staff_question": staff_question, "answer": turn.answer, "kind": turn.kind,
            "citations": turn.contract()["citations"], "feedback_id": None}


def previous_question(session: dict[str, Any]) -> str | None:
    """The visitor's last question, passed with the next one. The pipeline decides what it may do: read a
    follow-up ("does it work?") in its context, or keep a short reply to a crisis message in crisis; a
    crisis message is never used as retrieval context there. Unreadable input is no context at all.

    >>> s = add_exchange(new_session(), "q", "a", {"question": "What is KAP?", "kind": "answered"})
    >>> previous_question(s), previous_question(add_exchange(s, "q", "a", {"question": "", "kind": "invalid_input"}))
    ('What is KAP?', None)
    """
    if not session["turns"]:
        return None
    last = session["turns"][max(session["turns"])]
    return None if last.get("kind") == "invalid_input" else last.get("question")


def rating_of(liked: bool | str) -> int | None:
    """Gradio sends True, False, or "" when a thumb is clicked again (rating withdrawn)."""
    if liked is True or liked == "Like":
        return 1
    if liked is False or liked == "Dislike":
        return -1
    return None


class FeedbackLimits:
    """Feedback is refused past FEEDBACK_PER_SESSION or FEEDBACK_PER_CLIENT in FEEDBACK_WINDOW_S."""

    def __init__(self) -> None:
        self.per_session = RateLimit(FEEDBACK_PER_SESSION, FEEDBACK_WINDOW_S)
        self.per_client = RateLimit(FEEDBACK_PER_CLIENT, FEEDBACK_WINDOW_S)

    def allow(self, request: gr.Request | None) -> bool:
        session = getattr(request, "session_hash", None) or "?"
        client = getattr(getattr(request, "client", None), "host", None) or "?"
        ok = self.per_session.allow(session) and self.per_client.allow(client)
        if not ok:
            log.warning("feedback refused for client %s: over the limit", client)
        return ok


def build_visitor(get_bot: Callable[[], BotLike], settings: Settings, store: FeedbackStore) -> gr.Blocks:
    text = ui_text(settings.clinic)
    resources, blocked, limits = crisis_resources(), output_guard_filter(), FeedbackLimits()

    def respond(message: str, session: dict[str, Any]) -> tuple[Any, ...]:
        question = (message or "").strip()[: MAX_QUESTION_CHARS * 2]  # longer is refused by the bot anyway
        if not question:
            return gr.skip(), gr.skip(), session
        return show(question, question, previous_question(session), session, safe=False)

    def respond_safe(session: dict[str, Any]) -> tuple[Any, ...]:
        """The visitor answered a check-in with "I'm safe": the same question again, marked safe. The guards
        still run: a crisis stays a crisis, a dose or a personal question is still referred."""
        held = session.get("check_in")
        if not held:
            return gr.skip(), gr.skip(), session
        return show(text["safe_message"], held["question"], held["previous"], session, safe=True)

    def show(shown: str, question: str, previous: str | None, session: dict[str, Any], safe: bool) -> tuple[Any, ...]:
        bot = get_bot()
        turn = ask(bot, question, previous, safe=safe)
        html = render.answer_html(turn, render.passages_for(turn, bot.chunk_text), settings.clinic, text,
                                  resources, blocked)
        session = add_exchange(session, render.visitor_message(shown), html, exchange_record(question, turn))
        session["check_in"] = pending_check_in(turn, question, previous)
        return "", session["messages"], session

    def safe_visibility(session: dict[str, Any]) -> Any:  # a chained event: the /chat API keeps its two values
        return gr.update(visible=bool(session.get("check_in")))

    def on_like(data: gr.LikeData, session: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        record = session["turns"].get(data.index if isinstance(data.index, int) else -1)
        if record is None:
            return session, gr.skip(), gr.skip(), gr.skip()
        if not limits.allow(request):
            return session, gr.update(visible=True), gr.skip(), gr.update(value=text["feedback_limited"], visible=True)
        rating, item_id = rating_of(data.liked), record.get("feedback_id")
        if rating is None:
            if item_id is not None:
                store.delete(item_id)
            record["feedback_id"] = None
            return {**session, "last": None}, gr.update(visible=False), gr.skip(), gr.update(visible=False)
        if item_id is None:
            item_id = store.add(rating, record["staff_question"], record["answer"], record["kind"], record["citations"])
            record["feedback_id"] = item_id
        else:
            store.rate(item_id, rating)
        prompt = text["feedback_thanks_up" if rating > 0 else "feedback_thanks_down"]
        return ({**session, "last": item_id}, gr.update(visible=True), gr.update(value="", label=prompt),
                gr.update(visible=False))

    def on_comment(comment: str, session: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        if session.get("last") is None or not (comment or "").strip():
            return gr.skip(), gr.skip()
        if not limits.allow(request):
            return gr.skip(), gr.update(value=text["feedback_limited"], visible=True)
        store.comment(session["last"], comment)
        return gr.update(value=""), gr.update(value=text["feedback_saved"], visible=True)

    def on_clear(session: dict[str, Any]) -> tuple[Any, ...]:
        return new_session(), gr.update(visible=False), gr.update(visible=False)

    with gr.Blocks(title=f"{settings.clinic.name}: {text['title']}", analytics_enabled=False) as demo:
        session = gr.State(new_session(), time_to_live=SESSION_TTL_S)
        with gr.Column(elem_id="kap-visitor"):
            with gr.Column(elem_id="kap-header"):
                html_block(f"<h1>{render.esc(text['title'])}</h1><p class='kap-sub'>{render.esc(text['subtitle'])}</p>"
                        f"{render.notice_bar(text)}", padding=False)
            chat = gr.Chatbot(
                value=[], elem_id="kap-chat", label=text["title"], show_label=False, height="60vh", min_height=280,
                buttons=[], latex_delimiters=[], sanitize_html=True, render_markdown=True, allow_tags=False,
                feedback_options=("Like", "Dislike"), group_consecutive_messages=False, layout="bubble",
                autoscroll=False,  # the page's script opens each answer at its first line instead
            )
            safe_button = gr.Button(text["safe_button"], visible=False, variant="secondary", elem_id="kap-safe")
            with gr.Column(visible=False, elem_id="kap-feedback") as feedback_box:
                with gr.Row(equal_height=True):
                    comment = gr.Textbox(label=text["feedback_thanks_down"], info=text["feedback_comment_hint"],
                                         max_length=MAX_COMMENT_CHARS, lines=1, max_lines=4, scale=4,
                                         elem_id="kap-comment")
                    send_comment = gr.Button(text["feedback_send"], scale=1, min_width=120, elem_id="kap-comment-send")
                saved = gr.Markdown(visible=False, elem_id="kap-comment-saved")
            with gr.Row(equal_height=True, elem_id="kap-ask"):
                box = gr.Textbox(label=text["input_label"], placeholder=text["input_placeholder"], lines=1, max_lines=6,
                                 max_length=MAX_QUESTION_CHARS, scale=5, elem_id="kap-input", autofocus=False)
                send = gr.Button(text["send"], variant="primary", scale=1, min_width=90, elem_id="kap-send")
            with gr.Column(elem_id="kap-examples"):  # hidden by the stylesheet once the chat has a message
                html_block(f"<p class='kap-examples-h'>{render.esc(text['examples_heading'])}</p>", padding=False)
                examples = [gr.Button(e, size="sm", variant="secondary", elem_classes="kap-example") for e in text.examples]

        outputs = [box, chat, session]
        then = dict(fn=safe_visibility, inputs=[session], outputs=[safe_button], api_visibility="private", queue=False)
        box.submit(respond, [box, session], outputs, api_name="chat", show_progress="minimal").then(**then)
        safe_button.click(respond_safe, [session], outputs, api_visibility="private", show_progress="minimal").then(**then)
        send.click(respond, [box, session], outputs, api_visibility="private", show_progress="minimal").then(**then)
        for example in examples:
            example.click(respond, [example, session], outputs, api_visibility="private",
                          show_progress="minimal").then(**then)
        chat.like(on_like, [session], [session, feedback_box, comment, saved], api_visibility="private", queue=False)
        comment.submit(on_comment, [comment, session], [comment, saved], api_visibility="private", queue=False)
        send_comment.click(on_comment, [comment, session], [comment, saved], api_visibility="private", queue=False)
        chat.clear(on_clear, [session], [session, feedback_box, safe_button], api_visibility="private", queue=False)
    return demo
