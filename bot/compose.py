"""Compose stage: evidence sentences and fixed templates become a cited answer.

Only two kinds of text reach a visitor: reviewed templates and corpus sentences quoted verbatim,
each followed by its citation marker `[n]`.
"""
from __future__ import annotations

from typing import Mapping

from pydantic import BaseModel, Field

from bot.models import Citation, DocMeta, Evidence, Kind


class Draft(BaseModel):
    """An answer before rendering: what the output guard inspects and may amend."""

    kind: Kind
    lead: str = ""  # template shown first
    items: list[Evidence] = Field(default_factory=list)  # quoted in order
    notes: list[str] = Field(default_factory=list)  # templates shown after the quotes


def draft_answer(kind: Kind, items: list[Evidence], lead: str, notes: list[str] | None = None) -> Draft:
    return Draft(kind=kind, lead=lead, items=_dedupe(items), notes=list(notes or []))


def _dedupe(items: list[Evidence]) -> list[Evidence]:
    seen: set[int] = set()
    out: list[Evidence] = []
    for item in items:
        if item.sentence_id not in seen:
            seen.add(item.sentence_id)
            out.append(item)
    return out


def render(draft: Draft, docs: Mapping[str, DocMeta], balance_lead: str) -> tuple[str, list[Citation]]:
    """Lines of text and citations numbered in order of first use."""
    lines: list[str] = [draft.lead] if draft.lead else []
    citations: list[Citation] = []
    balance_started = clinic_quoted = False
    for item in draft.items:
        if item.role == "balance" and clinic_quoted and not balance_started:
            lines.append(balance_lead)  # introduces the references that qualify the clinic's own claims
            balance_started = True
        clinic_quoted = clinic_quoted or docs[item.doc_id].is_clinic
        n = len(citations) + 1
        meta = docs[item.doc_id]
        citations.append(Citation(
            n=n, source=meta.id, title=meta.title, url=meta.link, quote=item.text,
            publisher=meta.publisher or meta.authors, year=meta.year, evidence_type=meta.evidence_type,
        ))
        lines.append(f"- {one_line(item.text)} [{n}]")
    if draft.notes:
        lines.append("")
        lines.extend(draft.notes)
    return "\n".join(lines).strip(), citations


def one_line(quote: str) -> str:
    """A quote as shown on one answer line: its words, whitespace folded (a list stays one line)."""
    return " ".join(quote.split())


def answer_lines(answer: str) -> list[str]:
    """The answer's lines without blank ones: each is a template or `- quote [n]`."""
    return [line for line in answer.splitlines() if line.strip()]
