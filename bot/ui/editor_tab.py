"""The console's Write tab: an FAQ answer card made of corpus sentences, a clinic statement, or a reference
document; a preview against the draft next to the live answer; Publish (bot/publish.py).

A card's questions come prefilled from a gap cluster or a trace; its sentences are ticked among those of
the retrieved chunks or found with the sentence search; its reviewer is the signed-in staff member and
its date today. A document's sentence split is shown before anything is saved. Nothing typed here is ever
shown unescaped.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Iterator

import gradio as gr
import yaml

from bot import authoring, cards as faq
from bot.authoring import ABSENT, Draft, DraftError
from bot.config import Settings
from bot.errors import BotError
from bot.models import Turn
from bot.publish import Publisher
from bot.ui import picker
from bot.ui.publish_tab import esc_text, gates_html, in_background, signed_in_user
from bot.ui.render import esc, esc_block
from bot.ui.service import ask
from bot.ui.widgets import html_block

NEW = "(new)"
KINDS = {"clinic statement": "clinic", "reference document": "reference"}
CLINIC_TOPICS = {  # a clinic FAQ entry: id, title, first heading
    "costs and payment": ("clinic-costs", "What treatment at the clinic costs", "Costs and payment"),
    "insurance": ("clinic-insurance", "Insurance and ketamine treatment at the clinic", "Insurance"),
    "sessions": ("clinic-sessions", "How a session at the clinic runs", "Our sessions"),
    "integration": ("clinic-integration", "Integration visits at the clinic", "Integration"),
}
REFERENCE_TYPES = ["regulatory", "guideline", "RCT", "meta-analysis", "review", "government health page",
                   "observational", "experimental", "drug reference"]
MAX_PREVIEW_QUESTIONS = 20
MAX_UPLOAD_BYTES = authoring.MAX_DOCUMENT_BYTES


def slug(text: str, words: int = 5) -> str:
    """A card id suggested from a question: 'What is the k-hole?' -> 'what-is-the-k-hole'."""
    import re

    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words])


def lines(text: str) -> list[str]:
    return [" ".join(q.split()) for q in (text or "").splitlines() if q.strip()]


def answer_cell(turn: Turn) -> str:
    cites = "".join(f"<li>[{c.n}] {esc(c.title)}</li>" for c in turn.citations)
    return (f"<p><strong>{esc(turn.kind)}</strong>{' · card ' + esc(turn.card.card_id) if turn.card and turn.card.matched else ''}</p>"
            f"<p>{esc_block(turn.answer)}</p>" + (f"<ul>{cites}</ul>" if cites else ""))


def preview_html(rows: list[tuple[str, Turn, Turn]], file_text: str) -> str:
    body = "".join(f"<tr><td>{esc(q)}</td><td>{answer_cell(live)}</td><td>{answer_cell(new)}</td></tr>"
                   for q, live, new in rows)
    return ("<div class='kap-preview'><p role='status'><strong>Preview</strong>: each question answered now (live) and "
            "with the draft. Nothing is published yet.</p><div class='kap-table-wrap'><table class='kap-trace'><thead><tr>"
            "<th scope='col'>question</th><th scope='col'>live answer</th><th scope='col'>with the draft</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div><details><summary>The file as it will be saved</summary>"
            f"<div class='kap-diff'>{'<br>'.join(esc(line) or '&nbsp;' for line in file_text.splitlines())}</div></details></div>")


def _text_key(draft: Draft) -> str:
    """Names the file and its exact text: the sentence split staff saw was of this text."""
    import hashlib

    return hashlib.sha256(f"{draft.path}\0{draft.text}".encode()).hexdigest()[:16]


def build_write_tab(settings: Settings, get_bot: Callable[[], Any], publisher: Publisher) -> dict[str, Any]:
    """Inside a gr.Tab. Returns the components a gap cluster or a trace fills (see `prefill`)."""

    def card_ids() -> list[str]:
        return [NEW] + [p.stem for p in faq.card_files(settings.corpus_dir)]

    def doc_ids(kind: str) -> list[str]:
        folder = settings.corpus_dir / authoring.FOLDERS[KINDS[kind]]
        return [NEW] + sorted(p.stem for p in folder.glob("*.md"))

    def card_draft(base: dict | None, card_id: str, topic: str, questions: str, answer: list[str], balance: list[str],
                   user: str) -> Draft:
        path = authoring.path_for("card", card_id)
        opened = base if base and base.get("path") == path else None
        if opened is None and (settings.corpus_dir / path).exists():
            raise DraftError(f"a card with the id {card_id!r} already exists: choose it under 'Card' to edit it")
        text = authoring.card_text(card_id, topic, lines(questions), [picker.parse(c) for c in answer or []],
                                   [picker.parse(c) for c in balance or []], user, date.today().isoformat())
        return Draft("card", path, text, opened["base"] if opened else ABSENT)

    def doc_draft(base: dict | None, kind: str, fields: list[Any], body: str) -> Draft:
        doc_id, title, publisher_name, authors, year, url, doi, evidence = fields
        kind_key = KINDS[kind]
        path = authoring.path_for(kind_key, doc_id)
        opened = base if base and base.get("path") == path else None
        if opened is None and (settings.corpus_dir / path).exists():
            raise DraftError(f"a document with the id {doc_id!r} already exists: choose it under 'Document' to edit it")
        meta = {"id": doc_id.strip(), "title": (title or "").strip() or None, "publisher": (publisher_name or "").strip() or None,
                "authors": (authors or "").strip() or None, "year": int(year) if year else None,
                "url": (url or "").strip() or None, "doi": (doi or "").strip() or None,
                "evidence_type": "clinic" if kind_key == "clinic" else evidence,
                "last_reviewed": date.today().isoformat()}
        return Draft(kind_key, path, authoring.document_text(meta, body or ""), opened["base"] if opened else ABSENT)

    def run_preview(draft: Draft, questions: list[str]) -> Iterator[tuple[str, str]]:
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

    def run_publish(draft: Draft, user: str) -> Iterator[tuple[str, str]]:
        yield esc_text("publishing ..."), ""
        for log, change, error in in_background(lambda progress: publisher.publish(draft, user, progress)):
            if error is not None:
                yield esc_text(f"Not published: {error}"), ""
            elif change is not None:
                yield esc_text(log.splitlines()[-1] if change.passed and log else "Not published."), gates_html(change)
            else:
                yield esc_text(log or "publishing ..."), gr.skip()

    # -- card ------------------------------------------------------------------------------------

    def open_card(choice: str) -> tuple[Any, ...]:
        if not choice or choice == NEW:
            return "", "", "", gr.update(choices=[], value=[]), gr.update(choices=[], value=[]), [], None
        path = authoring.path_for("card", choice)
        text, base = authoring.open_file(settings.corpus_dir, path)
        raw = yaml.safe_load(text or "") or {}
        answer = [picker.label(s["doc"], s["text"]) for s in raw.get("answer", [])]
        balance = [picker.label(s["doc"], s["text"]) for s in raw.get("balance", [])]
        choices = picker.merge(answer, balance, picker.retrieved(get_bot(), raw.get("questions", [])[:3]))
        return (choice, raw.get("topic", ""), "\n".join(raw.get("questions", [])), gr.update(choices=choices, value=answer),
                gr.update(choices=choices, value=balance), choices, {"path": path, "base": base})

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
        yield from run_preview(draft, lines(questions))

    def publish_card(base, card_id, topic, questions, answer, balance, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        try:
            draft = card_draft(base, card_id, topic, questions, answer, balance, signed_in_user(request))
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not published: {exc}"), "", gr.skip(), gr.skip()
            return
        for status, result in run_publish(draft, signed_in_user(request)):
            yield status, result, gr.skip(), gr.skip()
        now = authoring.file_hash(settings.corpus_dir / draft.path)
        published = now != ABSENT and (settings.corpus_dir / draft.path).read_text(encoding="utf-8") == draft.text
        yield (gr.skip(), gr.skip(), {"path": draft.path, "base": now} if published else gr.skip(),
               gr.update(choices=card_ids(), value=card_id if published else gr.skip()))

    # -- document --------------------------------------------------------------------------------

    def doc_fields(meta: dict[str, Any], body: str) -> tuple[Any, ...]:
        get = lambda k: "" if meta.get(k) is None else str(meta.get(k))  # noqa: E731
        evidence = meta.get("evidence_type") if meta.get("evidence_type") in REFERENCE_TYPES else REFERENCE_TYPES[0]
        return (get("id"), get("title"), get("publisher"), get("authors"), meta.get("year"), get("url"), get("doi"),
                evidence, body)

    def open_doc(kind: str, choice: str) -> tuple[Any, ...]:
        if not choice or choice == NEW:
            return (*doc_fields({"publisher": settings.clinic.name if KINDS[kind] == "clinic" else ""}, ""), None, "")
        path = authoring.path_for(KINDS[kind], choice)
        text, base = authoring.open_file(settings.corpus_dir, path)
        meta, body = authoring.split_document(text or "")
        return (*doc_fields(meta, body), {"path": path, "base": base}, "")

    def template(topic: str) -> tuple[Any, ...]:
        doc_id, title, heading = CLINIC_TOPICS[topic]
        body = f"# {heading}\n\nWrite what the clinic does, in full sentences a visitor can read on their own."
        return doc_id, title, settings.clinic.name, body

    def upload(path: str | None) -> tuple[Any, ...]:
        """Read once, then removed from Gradio's upload folder; the box is emptied for the next file."""
        if not path:
            return (*[gr.skip()] * 9, "", None)
        try:
            from pathlib import Path

            data = Path(path).read_bytes()
            Path(path).unlink(missing_ok=True)  # not kept in the upload cache
            text = authoring.decode_upload(data, MAX_UPLOAD_BYTES)
            authoring.check_text(text, MAX_UPLOAD_BYTES)
        except (DraftError, OSError) as exc:
            return (*[gr.skip()] * 9, esc_text(f"Upload refused: {exc}"), None)
        meta, body = authoring.split_document(text)
        return (*doc_fields(meta, body), esc_text("Uploaded: check the fields, then preview the sentence split."), None)

    def split_preview(base, kind, doc_id, title, publisher_name, authors, year, url, doi, evidence, body) -> tuple[Any, ...]:
        try:
            draft = doc_draft(base, kind, [doc_id, title, publisher_name, authors, year, url, doi, evidence], body)
            loaded = authoring.validate(draft, settings.corpus_dir)
        except (DraftError, ValueError, BotError) as exc:
            return esc_text(f"Not valid: {exc}"), "", None
        items = "".join(f"<li><span class='kap-fn-type'>{esc(section or 'top')}</span> {esc(s)}</li>"
                        for section, s in authoring.sentence_preview(loaded))
        return (esc_text("Valid. The index will cut these sentences; each can be quoted alone, so each must make sense alone."),
                f"<ol class='kap-sentences'>{items}</ol>", _text_key(draft))

    def preview_doc(base, kind, questions, doc_id, title, publisher_name, authors, year, url, doi, evidence, body,
                    request: gr.Request) -> Iterator[tuple[str, str]]:
        try:
            signed_in_user(request)
            draft = doc_draft(base, kind, [doc_id, title, publisher_name, authors, year, url, doi, evidence], body)
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not previewed: {exc}"), ""
            return
        if not lines(questions):
            yield esc_text("Type at least one question to try against the draft."), ""
            return
        yield from run_preview(draft, lines(questions))

    def publish_doc(base, kind, questions, split_seen, doc_id, title, publisher_name, authors, year, url, doi, evidence,
                    body, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        try:
            user = signed_in_user(request)
            draft = doc_draft(base, kind, [doc_id, title, publisher_name, authors, year, url, doi, evidence], body)
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not published: {exc}"), "", gr.skip()
            return
        if split_seen != _text_key(draft):
            yield esc_text("Not published: preview the sentence split of this text first (it changed since)."), "", gr.skip()
            return
        for status, result in run_publish(draft, user):
            yield status, result, gr.skip()
        now = authoring.file_hash(settings.corpus_dir / draft.path)
        yield gr.skip(), gr.skip(), {"path": draft.path, "base": now}

    # -- layout ----------------------------------------------------------------------------------

    card_base, doc_base, choices, split_seen = gr.State(None), gr.State(None), gr.State([]), gr.State(None)
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
            with gr.Row():
                doc_kind = gr.Radio(list(KINDS), value="clinic statement", label="Kind", elem_id="staff-doc-kind")
                doc_pick = gr.Dropdown(doc_ids("clinic statement"), value=NEW, label="Document", elem_id="staff-doc-pick")
                clinic_topic = gr.Dropdown(list(CLINIC_TOPICS), value=None, label="Clinic FAQ entry on", elem_id="staff-doc-topic")
                start = gr.Button("Start from the template")
            upload_box = gr.File(label="Or upload a Markdown file (UTF-8, front matter optional)", file_types=[".md", ".txt"],
                                 type="filepath", elem_id="staff-doc-upload")
            with gr.Row():
                doc_id = gr.Textbox(label="Id (its file name)", elem_id="staff-doc-id")
                title = gr.Textbox(label="Title", elem_id="staff-doc-title")
                publisher_name = gr.Textbox(label="Publisher", elem_id="staff-doc-publisher")
                authors = gr.Textbox(label="Authors")
            with gr.Row():
                year = gr.Number(label="Year", precision=0)
                url = gr.Textbox(label="Web address (https://…)")
                doi = gr.Textbox(label="DOI")
                evidence = gr.Dropdown(REFERENCE_TYPES, value=REFERENCE_TYPES[0], label="Evidence type (references)")
            body = gr.Textbox(label="Text (Markdown: headings, paragraphs, lists)", lines=12, max_lines=40,
                              max_length=authoring.MAX_DOCUMENT_BYTES, elem_id="staff-doc-body")
            try_questions = gr.Textbox(label="Questions to try against the draft, one per line", lines=3,
                                       elem_id="staff-doc-questions")
            with gr.Row():
                split_btn = gr.Button("Preview the sentence split", elem_id="staff-doc-split")
                doc_preview = gr.Button("Preview", elem_id="staff-doc-preview")
                doc_publish = gr.Button("Publish", variant="primary", elem_id="staff-doc-publish")
    status = gr.Markdown(elem_id="staff-write-status")
    result = html_block(elem_id="staff-write-result")

    card_inputs = [card_base, card_id, topic, questions, answer, balance]
    doc_fields_out = [doc_id, title, publisher_name, authors, year, url, doi, evidence, body]
    p = dict(api_visibility="private")
    card_pick.input(open_card, card_pick, [card_id, topic, questions, answer, balance, choices, card_base], **p)
    find_btn.click(find, [query, choices, answer, balance], [answer, balance, choices], **p)
    query.submit(find, [query, choices, answer, balance], [answer, balance, choices], **p)
    retrieved_btn.click(from_retrieval, [questions, choices, answer, balance], [answer, balance, choices], **p)
    card_preview.click(preview_card, card_inputs, [status, result], concurrency_limit=1, **p)
    card_publish.click(publish_card, card_inputs, [status, result, card_base, card_pick], concurrency_limit=1, **p)
    doc_kind.input(lambda k: gr.update(choices=doc_ids(k), value=NEW), doc_kind, doc_pick, **p)
    doc_pick.input(open_doc, [doc_kind, doc_pick], [*doc_fields_out, doc_base, status], **p)
    start.click(template, clinic_topic, [doc_id, title, publisher_name, body], **p)
    upload_box.upload(upload, upload_box, [*doc_fields_out, status, upload_box], **p)
    split_btn.click(split_preview, [doc_base, doc_kind, *doc_fields_out], [status, result, split_seen], **p)
    doc_preview.click(preview_doc, [doc_base, doc_kind, try_questions, *doc_fields_out], [status, result],
                      concurrency_limit=1, **p)
    doc_publish.click(publish_doc, [doc_base, doc_kind, try_questions, split_seen, *doc_fields_out], [status, result, doc_base],
                      concurrency_limit=1, **p)

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
        return gr.update(choices=card_ids(), value=NEW), gr.update(choices=doc_ids(kind), value=NEW)

    targets = [card_pick, card_id, topic, questions, answer, balance, choices, card_base, try_questions, kinds]
    return {"prefill": prefill, "targets": targets, "reload": (reload, doc_kind, [card_pick, doc_pick])}
