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
    assert "Calm Clinic" in second and "Example Clinic" not in second  # the clinic article, as the configured clinic
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


def test_crisis_reply_opens_with_its_buttons_988_first() -> None:
    extra = Resource(name="Crisis Text Line", how="Text HOME to 741741.", text="741741", text_body="HOME")
    er = Resource(name="Emergency services (911)", how="Call 911.", call="911")
    html = render.answer_html(FakeBot().answer("I want to kill myself"), {}, CLINIC, TEXT, [LIFELINE, er, extra])
    opening = html.removeprefix('<div class="kap-answer kap-crisis">')
    assert opening.startswith('<div class="kap-crisis-actions" role="group">')  # before any text
    actions = re.findall(r'<a class="kap-action" href="([^"]+)">([^<]+)</a>', opening.split("</div>")[0])
    assert actions == [("tel:988", "Call 988"), ("sms:988", "Text 988"), ("tel:911", "Call 911"),
                       ("sms:741741?&amp;body=HOME", "Text HOME to 741741")]
    assert render.esc(TEXT["crisis_actions_label"]) in html.split("<a ")[0]  # the group's name, read first
    assert "(555) 010-0199" in html  # and the clinic


def test_only_crisis_replies_carry_the_buttons() -> None:
    for question in ("What is KAP?", "weather?"):
        assert "kap-crisis-actions" not in render.answer_html(FakeBot().answer(question), {}, CLINIC, TEXT)


def test_footnote_names_the_configured_clinic_without_stray_punctuation() -> None:
    clinic_article = Citation(n=2, source="clinic-what", title="What Is Ketamine-Assisted Psychotherapy?", quote="q",
                              publisher="The clinic (Winston-Salem, NC)", evidence_type="clinic article")
    label = render.source_label(clinic_article, CLINIC)
    assert label == "<cite>What Is Ketamine-Assisted Psychotherapy?</cite> Calm Clinic"
    assert "?." not in label and "Winston" not in label
    plain = Citation(n=1, source="s", title="A review", quote="q", publisher="NIMH", year=2023)
    assert render.source_label(plain, CLINIC) == "<cite>A review</cite>. NIMH, 2023"
    assert render.source_label(clinic_article, Clinic()).endswith("</cite> The clinic")


def test_footnote_link_is_not_inside_the_clickable_summary() -> None:
    bot = FakeBot()
    turn = bot.answer("What is KAP?")
    html = render.answer_html(turn, render.passages_for(turn, bot.chunk_text), CLINIC, TEXT)
    for summary in re.findall(r"<summary>(.*?)</summary>", html):
        assert "<a " not in summary  # one control never nests another
    assert '<p class="kap-fn-link">Source&#58; <a href="https://www.nimh.nih.gov/ketamine"' in html


def test_in_context_passage_leaves_out_what_the_answer_filter_blocks() -> None:
    from bot.ui.passage import output_guard_filter

    passage = ("In addition, ketamine is relatively safe and well-tolerated, with most people only experiencing mild, "
               "inconsequential side effects such as dizziness, nausea, and mild dissociation. Ketamine can cause "
               "dissociation during a session. KAP can help patients access and process repressed traumas.")
    out = render.highlight(passage, "Ketamine can cause dissociation during a session.", output_guard_filter(),
                           TEXT["passage_withheld"])
    assert "inconsequential" not in out and "repressed" not in out
    assert out.count('class="kap-withheld"') == 2 and "<mark>Ketamine can cause" in out


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


@pytest.mark.parametrize("module", ["content", "render", "trace", "auth", "feedback", "staff", "visitor", "passage",
                                    "page_head", "security", "throttle", "sessions", "exports", "server", "login"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"bot.ui.{module}"))
    assert result.failed == 0


def test_trace_shows_how_a_card_matched_and_the_card_it_beat() -> None:
    from bot.models import CardMatch

    turn = FakeBot().answer("What is KAP?")
    turn.card = CardMatch()  # no card at all: no card rows
    assert "card score" not in trace_html(turn) and "runner-up" not in trace_html(turn)
    turn.card = CardMatch(card_id="session-<length>", score=1.035, matched=True, runner_up="how-long-effects-last",
                          runner_up_score=1.015, via="classifier", probability=0.71)
    turn.clinic_topic, turn.question_type = "", "session_length"
    html = trace_html(turn)
    assert "<h3>Clinic topic, FAQ card and question type</h3>" in html
    assert "session-&lt;length&gt; (matched by classifier)" in html and "how-long-effects-last (1.0150)" in html
    assert "0.7100" in html and "session_length" in html
    turn.card = CardMatch(card_id="not-covered-grief", score=0.93, matched=True, via="similarity", not_covered=True)
    assert "not-covered-grief (matched by similarity, a not-covered card: the sources do not answer it)" in trace_html(turn)
    turn.card = CardMatch(card_id="not-covered-grief", score=0.85, runner_up="is-it-safe", runner_up_score=0.83,
                          via="nearest, not covered", not_covered=True)  # bot/match.py declines_as_not_covered
    assert ("not-covered-grief (not matched, a not-covered card: the sources do not answer it; nearest, so the visitor"
            " was told so)") in trace_html(turn)


def test_trace_names_the_question_a_follow_up_was_read_with() -> None:
    turn = FakeBot().answer("does it work?")
    assert "follow-up" not in trace_html(turn)
    turn.follow_up_of = "What is <b>KAP</b>?"
    assert "read as a follow-up to:</strong> What is &lt;b&gt;KAP&lt;/b&gt;?" in trace_html(turn)
