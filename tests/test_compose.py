from bot.compose import answer_lines, draft_answer, one_line, render
from bot.models import DocMeta, Evidence

DOCS = {
    "a": DocMeta(id="a", title="Doc A", publisher="Pub A", year=2020, url=None, doi="10.1/x",
                 evidence_type="RCT", last_reviewed="2026-11-25"),
    "b": DocMeta(id="b", title="Doc B", publisher="Pub B", year=None, url="https://b.example", doi=None,
                 evidence_type="regulatory", last_reviewed="2026-11-25"),
    "c": DocMeta(id="c", title="Clinic", publisher="The clinic", year=None, url=None, doi=None,
                 evidence_type="clinic article", last_reviewed="2026-11-25"),
}


def ev(sid, doc, text, role="answer"):
    return Evidence(sentence_id=sid, doc_id=doc, chunk_id=f"{doc}#0", text=text, score=0.5, role=role)


def test_render_numbers_citations_in_order_and_quotes_verbatim():
    draft = draft_answer("answered", [ev(3, "b", "B says this."), ev(1, "a", "A says that."), ev(3, "b", "B says this.")],
                         lead="Lead:", notes=["Note."])
    text, cites = render(draft, DOCS, "For balance:")
    assert answer_lines(text) == ["Lead:", "- B says this. [1]", "- A says that. [2]", "Note."]
    assert [(c.n, c.source, c.quote) for c in cites] == [(1, "b", "B says this."), (2, "a", "A says that.")]
    assert cites[1].url == "https://doi.org/10.1/x" and cites[0].url == "https://b.example"


def test_balance_after_a_clinic_claim_gets_its_lead_in_once():
    draft = draft_answer("answered", [ev(1, "c", "Claim."), ev(2, "b", "Q1.", "balance"), ev(4, "b", "Q2.", "balance")],
                         lead="Lead:")
    text, _ = render(draft, DOCS, "For balance:")
    assert answer_lines(text) == ["Lead:", "- Claim. [1]", "For balance:", "- Q1. [2]", "- Q2. [3]"]


def test_balance_without_a_clinic_claim_reads_as_part_of_the_answer():
    draft = draft_answer("answered", [ev(1, "a", "Fact."), ev(2, "b", "Caveat.", "balance")], lead="Lead:")
    text, _ = render(draft, DOCS, "For balance:")
    assert answer_lines(text) == ["Lead:", "- Fact. [1]", "- Caveat. [2]"]


def test_template_only_answer_has_no_citations():
    text, cites = render(draft_answer("no_answer", [], lead="I don't know."), DOCS, "x")
    assert text == "I don't know." and cites == []


def test_multi_line_quote_is_one_answer_line_but_citation_keeps_it_exact():
    quote = "Help with:\n\n- One\n- Two"
    text, cites = render(draft_answer("answered", [ev(1, "a", quote)], lead="L"), DOCS, "x")
    assert "- Help with: - One - Two [1]" in text and cites[0].quote == quote
    assert one_line(quote) == "Help with: - One - Two"
