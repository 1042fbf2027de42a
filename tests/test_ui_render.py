"""Pure rendering, no browser: escaping, footnotes, passages in context, crisis, trace tables."""
from __future__ import annotations

import re

import pytest

from bot.config import Clinic
from bot.models import Citation, GuardVerdict, Turn
from bot.ui import render
from bot.ui.content import LIFELINE, Resource, ui_text
from bot.ui.trace import trace_html
from tests.test_ui_fakes import FakeBot

TEXT = ui_text(Clinic(name="Calm Clinic"))
CLINIC = Clinic(name="Calm Clinic", phone="(555) 010-0199", address="12 Harbor St, Springfield")
TAG = re.compile(r"<(?!/?(div|p|ul|ol|li|sup|span|strong|cite|details|summary|blockquote|mark|a|br|section|h2)\b)")


@pytest.mark.parametrize("text", [
    "", "a", "🙂 emoji ☕", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold** _it_ `code`",
    "[link](javascript:alert(1))", "http://evil.example/x www.evil.example a@b.co", "line one\n\nline two",
    "$$x^2$$", "# heading\n- item", "&amp; &lt;", "x" * 5000,
])
def test_visitor_text_is_inert(text: str) -> None:
    out = render.visitor_message(text)
    inner = out.removeprefix('<div class="kap-q">').removesuffix("</div>")
    assert "<" not in inner.replace("<br>", "")  # no tag survives but our line breaks
    assert "://" not in inner and "@" not in inner and "www." not in inner  # nothing left to autolink
    assert "\n\n" not in out  # one HTML block: Markdown never sees the text


def test_body_marks_cited_lines_and_keeps_brackets_inside_quotes() -> None:
    html = render.body("Lead:\n- A study [12] found X. [1]\n- plain item\n\nClosing note.")
    assert html.count("<li>") == 2 and '<sup class="kap-ref">[1]</sup>' in html
    assert "[12]" in html  # a bracket inside the quote stays text
    assert html.endswith("<p>Closing note&#46;</p>")


def test_highlight_finds_quote_across_whitespace_and_escapes() -> None:
    out = render.highlight("Before <b>.\n\nThe  quote\nhere. After.", "The quote here.")
    assert "<mark>The quote here&#46;</mark>" in out and "&lt;b&gt;" in out
    assert render.highlight("", "Only quote.") == "<mark>Only quote&#46;</mark>"
    assert "<mark>Missing&#46;</mark>" in render.highlight("Some text.", "Missing.")


def test_answer_shows_numbered_footnotes_with_title_publisher_year_link_and_passage() -> None:
    bot = FakeBot()
    turn = bot.answer("What is KAP?")
    html = render.answer_html(turn, render.passages_for(turn, bot.chunk_text), CLINIC, TEXT)
    first, second = html.split('<li class="kap-fn"')[1:]
    assert "[1]" in first and "Ketamine for depression&#58; what we know" in first and "NIMH, 2023" in first
    assert 'href="https://www.nimh.nih.gov/ketamine"' in first
    assert "<details>" in first and "<mark>Ketamine can cause dissociation during a session&#46;</mark>" in first
    assert "first approved as an anesthetic" in first  # context around the quote
    assert "href" not in second  # no link where the source has none
    assert "&lt;b&gt;Bold&lt;/b&gt;" in second  # chunk text escaped
    assert "kap-contact" not in html  # answered: no contact card
    assert not TAG.search(html)


def test_crisis_answer_is_marked_and_no_answer_shows_the_clinic() -> None:
    bot = FakeBot()
    crisis = render.answer_html(bot.answer("I want to kill myself"), {}, CLINIC, TEXT)
    assert 'class="kap-answer kap-crisis"' in crisis and "988" in crisis
    none = render.answer_html(bot.answer("weather?"), {}, CLINIC, TEXT)
    assert 'href="tel:5550100199"' in none and "12 Harbor St, Springfield" in none and "Calm Clinic" in none
    bare = render.answer_html(bot.answer("weather?"), {}, Clinic(), TEXT)
    assert "kap-contact" not in bare  # nothing configured: nothing invented


def test_crisis_panel_has_988_call_and_text_links() -> None:
    extra = Resource(name="Crisis Text Line", how="Text HOME to 741741.", text="741741", text_body="HOME")
    panel = render.crisis_panel([LIFELINE, extra], CLINIC, TEXT)
    assert 'role="alert"' in panel and 'href="tel:988"' in panel and 'href="sms:988"' in panel
    assert 'href="sms:741741?&amp;body=HOME"' in panel and "Text HOME to 741741" in panel
    assert "(555) 010-0199" in panel


def test_notice_bar_names_education_and_988() -> None:
    bar = render.notice_bar(TEXT)
    assert "not medical advice" in bar and 'href="tel:988"' in bar and "text 988" in bar


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/a"])
def test_only_http_links_become_links(url: str) -> None:
    assert "<a" not in render.link(url)


def test_passages_for_tolerates_unknown_chunks() -> None:
    turn = Turn(question="q", citations=[Citation(n=1, source="d", title="t", quote="q")])
    assert render.passages_for(turn, lambda _: "x") == {}  # no evidence names the chunk


def test_trace_shows_every_stage_escaped() -> None:
    turn = FakeBot().answer("What is KAP?")
    turn.guards.append(GuardVerdict(name="scope<script>", fired=True, kind="out_of_scope", reason="r", detail={"a": 1}))
    html = trace_html(turn)
    for heading in ("Guards", "Retrieved chunks", "Selected sentences", "Citations", "Time per stage (ms)"):
        assert f"<h3>{heading}</h3>" in html
    for column in ("dense", "lexical (BM25)", "fused (RRF)"):
        assert f"<th scope='col'>{column}</th>" in html
    assert "0.6100" in html and "7.2000" in html and "0.0325" in html and "FIRED" in html
    assert "<script>" not in html and "&lt;b&gt;Bold" in html


@pytest.mark.parametrize("module", ["content", "render", "trace", "auth", "feedback", "staff", "visitor"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"bot.ui.{module}"))
    assert result.failed == 0


def test_trace_names_the_question_a_follow_up_was_read_with() -> None:
    turn = FakeBot().answer("does it work?")
    assert "follow-up" not in trace_html(turn)
    turn.follow_up_of = "What is <b>KAP</b>?"
    assert "read as a follow-up to:</strong> What is &lt;b&gt;KAP&lt;/b&gt;?" in trace_html(turn)
