"""The Write tab's document form: a clinic statement (a clinic FAQ entry on costs, insurance, sessions or
integration, `evidence_type: clinic`) or a reference document, typed or uploaded, checked by the index
build's own code (bot/authoring.py), its sentence split shown; published only after that split was seen
for exactly the text being published."""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

import gradio as gr

from bot import authoring
from bot.authoring import ABSENT, Draft, DraftError
from bot.config import Settings
from bot.errors import BotError
from bot.publish import Publisher
from bot.ui.drafting import NEW, lines, run_preview, run_publish
from bot.ui.publish_tab import esc_text, signed_in_user
from bot.ui.render import esc

KINDS = {"clinic statement": "clinic", "reference document": "reference"}
CLINIC_TOPICS = {  # a clinic FAQ entry: id, title, first heading
    "costs and payment": ("clinic-costs", "What treatment at the clinic costs", "Costs and payment"),
    "insurance": ("clinic-insurance", "Insurance and ketamine treatment at the clinic", "Insurance"),
    "sessions": ("clinic-sessions", "How a session at the clinic runs", "Our sessions"),
    "integration": ("clinic-integration", "Integration visits at the clinic", "Integration"),
}
REFERENCE_TYPES = ["regulatory", "guideline", "RCT", "meta-analysis", "review", "government health page",
                   "observational", "experimental", "drug reference"]
MAX_UPLOAD_BYTES = authoring.MAX_DOCUMENT_BYTES


def text_key(draft: Draft) -> str:
    """Names the file and its exact text: the sentence split staff saw was of this text."""
    return hashlib.sha256(f"{draft.path}\0{draft.text}".encode()).hexdigest()[:16]


def form_fields(meta: dict[str, Any], body: str) -> tuple[Any, ...]:
    """The form's values for a document's front matter and body (id, title, publisher, authors, year, url,
    doi, evidence type, body)."""
    get = lambda k: "" if meta.get(k) is None else str(meta.get(k))  # noqa: E731
    evidence = meta.get("evidence_type") if meta.get("evidence_type") in REFERENCE_TYPES else REFERENCE_TYPES[0]
    return (get("id"), get("title"), get("publisher"), get("authors"), meta.get("year"), get("url"), get("doi"),
            evidence, body)


def build_document_form(settings: Settings, get_bot: Callable[[], Any], publisher: Publisher) -> dict[str, Any]:
    """Inside a gr.Tab: the form. Returns `wire(status, result)`, to call once the shared status and result
    components exist, and the pieces the page fills (`try_questions`, `reload`)."""

    def doc_ids(kind: str) -> list[str]:
        folder = settings.corpus_dir / authoring.FOLDERS[KINDS[kind]]
        return [NEW] + sorted(p.stem for p in folder.glob("*.md"))

    def draft_of(base: dict | None, kind: str, fields: list[Any], body: str) -> Draft:
        doc_id, title, publisher_name, authors, year, url, doi, evidence = fields
        kind_key = KINDS[kind]
        path = authoring.path_for(kind_key, doc_id)  # type: ignore[arg-type]
        opened = base if base and base.get("path") == path else None
        if opened is None and (settings.corpus_dir / path).exists():
            raise DraftError(f"a document with the id {doc_id!r} already exists: choose it under 'Document' to edit it")
        meta = {"id": doc_id.strip(), "title": (title or "").strip() or None,
                "publisher": (publisher_name or "").strip() or None, "authors": (authors or "").strip() or None,
                "year": int(year) if year else None, "url": (url or "").strip() or None,
                "doi": (doi or "").strip() or None, "evidence_type": "clinic" if kind_key == "clinic" else evidence,
                "last_reviewed": date.today().isoformat()}
        return Draft(kind_key, path, authoring.document_text(meta, body or ""), opened["base"] if opened else ABSENT)  # type: ignore[arg-type]

    def open_doc(kind: str, choice: str) -> tuple[Any, ...]:
        if not choice or choice == NEW:
            return (*form_fields({"publisher": settings.clinic.name if KINDS[kind] == "clinic" else ""}, ""), None, "")
        path = authoring.path_for(KINDS[kind], choice)  # type: ignore[arg-type]
        text, base = authoring.open_file(settings.corpus_dir, path)
        meta, body = authoring.split_document(text or "")
        return (*form_fields(meta, body), {"path": path, "base": base}, "")

    def template(topic: str | None) -> tuple[Any, ...]:
        if topic not in CLINIC_TOPICS:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        doc_id, title, heading = CLINIC_TOPICS[topic]
        body = f"# {heading}\n\nWrite what the clinic does, in full sentences a visitor can read on their own."
        return doc_id, title, settings.clinic.name, body

    def upload(path: str | None) -> tuple[Any, ...]:
        """Read once, then removed from Gradio's upload folder; the box is emptied for the next file."""
        if not path:
            return (*[gr.skip()] * 9, "", None)
        try:
            data = Path(path).read_bytes()
            Path(path).unlink(missing_ok=True)  # not kept in the upload cache
            text = authoring.decode_upload(data, MAX_UPLOAD_BYTES)
            authoring.check_text(text, MAX_UPLOAD_BYTES)
        except (DraftError, OSError) as exc:
            return (*[gr.skip()] * 9, esc_text(f"Upload refused: {exc}"), None)
        meta, body = authoring.split_document(text)
        return (*form_fields(meta, body), esc_text("Uploaded: check the fields, then preview the sentence split."), None)

    def split_preview(base, kind, doc_id, title, publisher_name, authors, year, url, doi, evidence, body) -> tuple[Any, ...]:
        try:
            draft = draft_of(base, kind, [doc_id, title, publisher_name, authors, year, url, doi, evidence], body)
            loaded = authoring.validate(draft, settings.corpus_dir)
        except (DraftError, ValueError, BotError) as exc:
            return esc_text(f"Not valid: {exc}"), "", None
        items = "".join(f"<li><span class='kap-fn-type'>{esc(section or 'top')}</span> {esc(s)}</li>"
                        for section, s in authoring.sentence_preview(loaded))  # type: ignore[arg-type]
        return (esc_text("Valid. The index will cut these sentences; each can be quoted alone, so each must make sense alone."),
                f"<ol class='kap-sentences'>{items}</ol>", text_key(draft))

    def preview_doc(base, kind, questions, doc_id, title, publisher_name, authors, year, url, doi, evidence, body,
                    request: gr.Request) -> Iterator[tuple[Any, ...]]:
        try:
            signed_in_user(request)
            draft = draft_of(base, kind, [doc_id, title, publisher_name, authors, year, url, doi, evidence], body)
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not previewed: {exc}"), ""
            return
        if not lines(questions):
            yield esc_text("Type at least one question to try against the draft."), ""
            return
        yield from run_preview(publisher, get_bot, draft, lines(questions))

    def publish_doc(base, kind, questions, split_seen, doc_id, title, publisher_name, authors, year, url, doi, evidence,
                    body, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        try:
            user = signed_in_user(request)
            draft = draft_of(base, kind, [doc_id, title, publisher_name, authors, year, url, doi, evidence], body)
        except (DraftError, ValueError) as exc:
            yield esc_text(f"Not published: {exc}"), "", gr.skip()
            return
        if split_seen != text_key(draft):
            yield esc_text("Not published: preview the sentence split of this text first (it changed since)."), "", gr.skip()
            return
        for status, result in run_publish(publisher, draft, user):
            yield status, result, gr.skip()
        yield gr.skip(), gr.skip(), {"path": draft.path, "base": authoring.file_hash(settings.corpus_dir / draft.path)}

    base, split_seen = gr.State(None), gr.State(None)
    with gr.Row():
        kind = gr.Radio(list(KINDS), value="clinic statement", label="Kind", elem_id="staff-doc-kind")
        pick = gr.Dropdown(doc_ids("clinic statement"), value=NEW, label="Document", elem_id="staff-doc-pick")
        topic = gr.Dropdown(list(CLINIC_TOPICS), value=None, label="Clinic FAQ entry on", elem_id="staff-doc-topic")
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
        preview_btn = gr.Button("Preview", elem_id="staff-doc-preview")
        publish_btn = gr.Button("Publish", variant="primary", elem_id="staff-doc-publish")
    fields = [doc_id, title, publisher_name, authors, year, url, doi, evidence, body]

    def wire(status: Any, result: Any) -> None:
        p = dict(api_visibility="private")
        kind.input(lambda k: gr.update(choices=doc_ids(k), value=NEW), kind, pick, **p)
        pick.input(open_doc, [kind, pick], [*fields, base, status], **p)
        start.click(template, topic, [doc_id, title, publisher_name, body], **p)
        upload_box.upload(upload, upload_box, [*fields, status, upload_box], **p)
        split_btn.click(split_preview, [base, kind, *fields], [status, result, split_seen], **p)
        preview_btn.click(preview_doc, [base, kind, try_questions, *fields], [status, result], concurrency_limit=1, **p)
        publish_btn.click(publish_doc, [base, kind, try_questions, split_seen, *fields], [status, result, base],
                          concurrency_limit=1, **p)

    def reload(kind_now: str) -> Any:
        return gr.update(choices=doc_ids(kind_now), value=NEW)

    return {"wire": wire, "try_questions": try_questions, "reload": (reload, kind, pick)}
