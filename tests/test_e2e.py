"""End to end over the real model and the real corpus (slow: one index build per session)."""
from pathlib import Path

import pytest

from bot.compose import answer_lines, one_line

pytestmark = pytest.mark.slow
QUESTIONS = [q for q in (Path(__file__).parent / "data" / "questions.txt").read_text().splitlines() if q.strip()]


@pytest.fixture(scope="module")
def turns(real_bot):
    return [real_bot.answer(q) for q in QUESTIONS]


@pytest.fixture(scope="module")
def corpus_texts(real_bot):
    return {d.id: (real_bot.settings.corpus_dir / d.path).read_text(encoding="utf-8") for d in real_bot.docs.values()}


def test_question_set_is_large_enough():
    assert len(QUESTIONS) >= 50


def test_every_quote_is_verbatim_in_its_source_file(turns, corpus_texts):
    for turn in turns:
        for c in turn.citations:
            assert c.quote in corpus_texts[c.source], (turn.question, c.source, c.quote)


def test_every_answer_line_is_a_template_or_a_cited_quote(turns, real_bot):
    templates = set(real_bot.templates.values())
    for turn in turns:
        quotes = {c.n: one_line(c.quote) for c in turn.citations}
        for line in answer_lines(turn.answer):
            if line in templates:
                continue
            assert line.startswith("- ") and line.endswith("]"), (turn.question, line)
            text, _, n = line[2:-1].rpartition(" [")
            assert quotes.get(int(n)) == text, (turn.question, line)


def test_most_questions_get_a_cited_answer(turns):
    answered = [t for t in turns if t.kind == "answered"]
    assert len(answered) >= 0.8 * len(turns), [(t.question, t.kind) for t in turns if t.kind != "answered"]
    assert all(t.citations for t in answered)


def test_unanswerable_question_gets_no_answer_and_a_pointer_to_the_clinic(real_bot):
    turn = real_bot.answer("Do you offer evening appointments?")
    assert turn.kind == "no_answer" and turn.citations == []
    assert "clinic" in turn.answer.lower()


def test_marketing_line_never_reaches_a_visitor(turns):
    assert not any("magical" in t.answer.lower() for t in turns)


def test_approval_question_states_anesthetic_only_approval(real_bot):
    turn = real_bot.answer("Is ketamine FDA approved for depression?")
    assert turn.kind == "answered" and "anesthetic" in turn.answer


def test_python_api(real_bot):
    turn = real_bot.answer("What is ketamine?")
    assert turn.contract()["kind"] == "answered" and turn.latency_ms > 0


def test_answering_writes_nothing_to_the_terminal_with_info_logging(real_bot, capfd, caplog):
    """app.py logs at INFO, where sentence-transformers would draw a progress bar for every question."""
    with caplog.at_level("INFO"):
        capfd.readouterr()
        real_bot.answer("How long do the effects of ketamine last?")
        out, err = capfd.readouterr()
    assert "Batches" not in err + out


def test_a_bar_on_the_sentence_scorers_best_turns_an_unlikely_quote_into_no_answer(real_bot, turns):
    """Off by default (the gated suite keeps a few weak but right quotes); a clinic may set it. With it, no
    retrieved answer rests on a best sentence below it: the questions whose best sentence was weaker get no answer."""
    import dataclasses
    strict = dataclasses.replace(real_bot, settings=dataclasses.replace(real_bot.settings, min_answer_probability=0.3))
    weak = [t for t in turns if t.kind == "answered" and t.answer_probability is not None and t.answer_probability < 0.3]
    extra = ["is psilocybin legal in north carolina"]  # nothing in the corpus answers it; its best sentence is weak
    for question in [t.question for t in weak] + extra:
        turn = strict.answer(question)
        assert turn.kind == "no_answer" or turn.answer_probability is None or turn.answer_probability >= 0.3, question
    assert strict.answer(extra[0]).kind == "no_answer"


def test_a_near_not_covered_card_tells_the_visitor_the_sources_do_not_cover_it(real_bot):
    # nearest card: not-covered-older-adults, within the margin of an answering card; no sentence likely answers
    turn = real_bot.answer("is ketamine riskier for people in their seventies")
    assert turn.kind == "no_answer" and not turn.card.matched and turn.card.not_covered
    assert turn.card.via == "nearest, not covered" and turn.citations == []
    assert answer_lines(turn.answer)[0] == real_bot.templates[f"not_covered:{turn.card.card_id}"]
