"""The console's Write tab: an FAQ answer card made of corpus sentences (here), or a clinic statement or a
reference document (bot/ui/document_form.py); a preview against the draft next to the live answer, and
Publish (bot/ui/drafting.py, bot/publish.py).

A card's questions come prefilled from a gap cluster or a trace; its sentences are ticked among those of
the retrieved chunks or found with the sentence search; its reviewer is the signed-in staff member and
its date today. Nothing typed here is ever shown unescaped.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable, Iterator

import gradio as gr

from bot import authoring, cards as faq, yamlfile
from bot.authoring import ABSENT, Draft, DraftError
from bot.config import Settings
from bot.publish import Publisher
from bot.ui import picker
from bot.ui.document_form import build_document_form
from bot.ui.drafting import MAX_PREVIEW_QUESTIONS, NEW, lines, run_preview, run_publish
from bot.ui.publish_tab import esc_text, in_background, signed_in_user
from bot.ui.widgets import html_block


def slug(text: str, words: int = 5) -> str:
    """A card id suggested from a question: 'What is the k-hole?' -> 'what-is-the-k-hole'."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words])


def build_write_tab(settings: Settings, get_bot: Callable[[], Any], publisher: Publisher) -> dict[str, Any]:
    """Inside a gr.Tab. Returns the components a gap cluster or a trace fills (see `prefill`)."""

    def card_ids() -> list[str]:
        return [NEW] + [p.stem for p in faq.card_files(settings.corpus_dir)]

    def card_draft(base: dict | None, card_id: str, topic: str, questions: str, answer: list[str], balance: list[str],
                   user: str) -> Draft:
        path = authoring.path_for("card", card_id)
        opened = base if base and base.get("path") == path else None
        if opened is None and (settings.corpus_dir / path).exists():
            raise DraftError(f"a card with the id {card_id!r} already exists: choose it under 'Card' to edit it")
        text = authoring.card_text(card_id, topic, lines(questions), [picker.parse(c) for c in answer or []],
                                   [picker.parse(c) for c in balance or []], user, date.today().isoformat(),
                                   not_covered=bool(opened and opened.get("not_covered")))
        return Draft("card", path, text, opened["base"] if opened else ABSENT)

    # -- card ------------------------------------------------------------------------------------

    def open_card(choice: str) -> tuple[Any, ...]:
        if not choice or choice == NEW:
            return "", "", "", gr.update(choices=[], value=[]), gr.update(choices=[], value=[]), [], None
        path = authoring.path_for("card", choice)
        text, base = authoring.open_file(settings.corpus_dir, path)
        raw = yamlfile.safe_load(text or "") or {}
        answer = [picker.label(s["doc"], s["text"]) for s in raw.get("answer", [])]
        balance = [picker.label(s["doc"], s["text"]) for s in raw.get("balance", [])]
        choices = picker.merge(answer, balance, picker.retrieved(get_bot(), raw.get("questions", [])[:3]))
        return (choice, raw.get("topic", ""), "\n".join(raw.get("questions", [])), gr.update(choices=choices, value=answer),
                gr.update(choices=choices, value=balance), choices,
                {"path": path, "base": base, "not_covered": bool(raw.get("not_covered"))})

    def find(query: str, choices: list[str], answer: list[str], balance: list[str]) -> tuple[Any, ...]:
        found = picker.search(get_bot(), query)
        merged = picker.merge(answer or [], balance or [], found)  # what is ticked, then the new results
        return gr.update(choices=merged), gr.update(choices=merged), merged

    def from_retrieval(questions: str, choices: list[str], answer: list[str], balance: list[str]) -> tuple[Any, ...]:
        merged = picker.merge(answer or [], balance or [], picker.retrieved(get_bot(), lines(questions)[:5]))
        return gr.update(choices=merged), gr.update(choices=merged), merged

    def preview_card(base, card_id, topic, questions, answer, balance, request: gr.Request) -> Iterator[tuple[str, str]]:
        try:
            draft = card_draft(base, card_id, topic, questions, answer, balance, signed_in_user(request))
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not previewed: {exc}"), ""
            return
        yield from run_preview(publisher, get_bot, draft, lines(questions))

    def publish_card(base, card_id, topic, questions, answer, balance, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        try:
            draft = card_draft(base, card_id, topic, questions, answer, balance, signed_in_user(request))
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not published: {exc}"), "", gr.skip(), gr.skip()
            return
        for status, result in run_publish(publisher, draft, signed_in_user(request)):
            yield status, result, gr.skip(), gr.skip()
        now = authoring.file_hash(settings.corpus_dir / draft.path)
        published = now != ABSENT and (settings.corpus_dir / draft.path).read_text(encoding="utf-8") == draft.text
        yield (gr.skip(), gr.skip(), {"path": draft.path, "base": now} if published else gr.skip(),
               gr.update(choices=card_ids(), value=card_id if published else gr.skip()))

    # -- layout ----------------------------------------------------------------------------------

    card_base, choices = gr.State(None), gr.State([])
    gr.Markdown("Write the answer from the corpus. **Preview** answers the questions with the draft next to the live "
                "answer; **Publish** builds a new index, runs the gated evaluation and the safety checks on it and, only "
                "if nothing gets worse, saves the file under `corpus/` and switches the visitor chat to it at once.")
    with gr.Tabs() as kinds:
        with gr.Tab("Answer card", id="card"):
            with gr.Row():
                card_pick = gr.Dropdown(card_ids(), value=NEW, label="Card", scale=2, elem_id="staff-card-pick")
                card_id = gr.Textbox(label="Card id (its file name)", scale=2, elem_id="staff-card-id")
                topic = gr.Textbox(label="Topic", scale=3, elem_id="staff-card-topic")
            questions = gr.Textbox(label=f"Questions, one per line (at least {faq.MIN_QUESTIONS}: the ways visitors ask it)",
                                   lines=7, max_lines=20, elem_id="staff-card-questions")
            with gr.Row(equal_height=True):
                query = gr.Textbox(label="Find corpus sentences", scale=4, elem_id="staff-sentence-query")
                find_btn = gr.Button("Search", scale=1, elem_id="staff-sentence-search")
                retrieved_btn = gr.Button("Sentences for these questions", scale=1, elem_id="staff-sentence-retrieved")
            answer = gr.CheckboxGroup([], label=f"Answer: tick 1 to {faq.MAX_ANSWER} sentences (quoted word for word, with their source)",
                                      elem_id="staff-card-answer")
            with gr.Accordion("Balance (optional): a qualifying sentence shown after the answer", open=False):
                balance = gr.CheckboxGroup([], label="Balance sentences", elem_id="staff-card-balance")
            gr.Markdown("Saved with you as the reviewer and today's date.")
            with gr.Row():
                card_preview = gr.Button("Preview", elem_id="staff-card-preview")
                card_publish = gr.Button("Publish", variant="primary", elem_id="staff-card-publish")
        with gr.Tab("Document", id="document"):
            document = build_document_form(settings, get_bot, publisher)
    status = gr.Markdown(elem_id="staff-write-status")
    result = html_block(elem_id="staff-write-result")

    card_inputs = [card_base, card_id, topic, questions, answer, balance]
    p = dict(api_visibility="private")
    card_pick.input(open_card, card_pick, [card_id, topic, questions, answer, balance, choices, card_base], **p)
    find_btn.click(find, [query, choices, answer, balance], [answer, balance, choices], **p)
    query.submit(find, [query, choices, answer, balance], [answer, balance, choices], **p)
    retrieved_btn.click(from_retrieval, [questions, choices, answer, balance], [answer, balance, choices], **p)
    card_preview.click(preview_card, card_inputs, [status, result], concurrency_limit=1, **p)
    card_publish.click(publish_card, card_inputs, [status, result, card_base, card_pick], concurrency_limit=1, **p)
    document["wire"](status, result)

    def prefill(asked: list[str]) -> tuple[Any, ...]:
        """A gap cluster's or a trace's questions, as a new card and as the document's questions to try."""
        asked = [q for q in asked if q.strip()][:MAX_PREVIEW_QUESTIONS]
        found = picker.retrieved(get_bot(), asked[:3]) if asked else []
        return (gr.update(value=NEW), slug(asked[0]) if asked else "", asked[0] if asked else "", "\n".join(asked),
                gr.update(choices=found, value=[]), gr.update(choices=found, value=[]), found, None, "\n".join(asked),
                gr.Tabs(selected="card"))

    def publish_file(kind: str, doc_id: str, text: str, base: str, request: gr.Request) -> dict[str, Any]:
        """Publish one corpus file as the signed-in staff member, for scripts (scripts/load.py): `kind` card,
        clinic or reference; `text` the card's YAML or the document's Markdown; `base` the file's sha256
        when it was read, empty for a new file. The same checks and history as the Publish button."""
        try:
            draft = Draft(kind, authoring.path_for(kind, doc_id), text, base or ABSENT)  # type: ignore[arg-type]
            user = signed_in_user(request)
        except (DraftError, KeyError) as exc:
            return {"action": "not published", "message": str(exc)}
        *_, (log, change, error) = in_background(lambda progress: publisher.publish(draft, user, progress))
        if error is not None or change is None:
            return {"action": "not published", "message": str(error)}
        return {"action": change.action, "message": change.message, "build": change.build, "swap_ms": change.swap_ms,
                "blocking": [g.name for g in change.gates if g.blocking], "id": change.id}

    gr.api(publish_file, api_name="publish", concurrency_limit=1)

    def reload(kind: str) -> tuple[Any, Any]:
        """Fresh lists of cards and documents when the page loads: files published since the console started."""
        return gr.update(choices=card_ids(), value=NEW), document["reload"][0](kind)

    targets = [card_pick, card_id, topic, questions, answer, balance, choices, card_base, document["try_questions"], kinds]
    return {"prefill": prefill, "targets": targets, "reload": (reload, document["reload"][1], [card_pick, document["reload"][2]])}
