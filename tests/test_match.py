"""Card matching: a card answers only above a threshold and a margin over the runner-up; near cards hint."""
from __future__ import annotations

import numpy as np

from bot.cards import Card
from bot.match import CardMatcher, declines_as_not_covered
from bot.models import CardMatch
from tests.fakes import FakeEmbedder

E = FakeEmbedder()


def card(card_id: str, questions: list[str]) -> Card:
    return Card(id=card_id, topic=card_id, questions=(questions * 7)[:7] if len(questions) < 7 else questions,
                answer=[{"doc": "d", "text": "t"}], reviewed_by="r", last_reviewed="2026-11-30")


CARDS = [card("bladder", ["does ketamine damage the bladder", "ketamine bladder problems"]),
         card("blood-pressure", ["does ketamine raise blood pressure", "ketamine blood pressure spikes"]),
         card("addiction", ["is ketamine addictive", "can you get hooked on ketamine"])]


def matcher(threshold: float = 0.5, margin: float = 0.05, weight: float = 0.0) -> CardMatcher:
    questions = [q for c in CARDS for q in c.questions]
    owner = np.array([n for n, c in enumerate(CARDS) for _ in c.questions])
    return CardMatcher.build(CARDS, E.embed_batch(questions), owner, threshold, margin, weight)


def test_the_nearest_card_answers_and_the_runner_up_is_named():
    q = "could ketamine damage my bladder"
    found = matcher().match(q, E.embed_query(q))
    assert found.matched and found.card_id == "bladder" and found.runner_up in {"blood-pressure", "addiction"}
    assert found.score > found.runner_up_score


def test_below_the_threshold_nothing_matches():
    q = "what is the weather tomorrow"
    found = matcher().match(q, E.embed_query(q))
    assert not found.matched


def test_a_close_runner_up_blocks_the_match():
    q = "ketamine bladder blood pressure"  # half one card, half another
    m = matcher(threshold=0.2, margin=0.3)
    assert not m.match(q, E.embed_query(q)).matched
    assert matcher(threshold=0.2, margin=0.0).match(q, E.embed_query(q)).matched


def test_shared_topic_words_raise_a_cards_score():
    q = "hooked"
    plain, worded = matcher(weight=0.0).scores(q, E.embed_query(q)), matcher(weight=0.5).scores(q, E.embed_query(q))
    assert worded[2] - plain[2] > 0.2 and np.allclose(worded[:2], plain[:2])


def test_hints_offer_the_nearest_cards_answer_sentences_with_a_bonus():
    answers = {"bladder": {"answer": [11], "balance": []}, "blood-pressure": {"answer": [12], "balance": []},
               "addiction": {"answer": [13], "balance": []}}
    q = "could ketamine damage my bladder"
    hints = matcher().hints(q, E.embed_query(q), answers, n=1, floor=0.1, weight=1.0)
    assert list(hints) == [11] and hints[11] > 0
    assert matcher().hints(q, E.embed_query(q), answers, n=2, floor=0.99, weight=1.0) == {}


# ---- a near not-covered card declines ---------------------------------------------------------------------

NEAR = CardMatch(card_id="not-covered-doses", score=0.85, runner_up="single-session", runner_up_score=0.83,
                 not_covered=True)


def test_a_near_not_covered_card_declines_when_no_retrieved_sentence_is_likely_to_answer():
    assert declines_as_not_covered(NEAR, threshold=0.78, best_probability=0.05, bar=0.5)


def test_a_confident_retrieved_sentence_still_answers_beside_a_near_not_covered_card():
    assert not declines_as_not_covered(NEAR, threshold=0.78, best_probability=0.5, bar=0.5)


def test_only_a_not_covered_card_above_the_threshold_and_unmatched_declines():
    assert not declines_as_not_covered(NEAR.model_copy(update={"not_covered": False}), 0.78, 0.05, 0.5)
    assert not declines_as_not_covered(NEAR.model_copy(update={"score": 0.77}), 0.78, 0.05, 0.5)
    assert not declines_as_not_covered(NEAR.model_copy(update={"matched": True}), 0.78, 0.05, 0.5)  # its own path


def test_without_the_sentence_scorer_or_with_the_bar_at_zero_nothing_declines():
    assert not declines_as_not_covered(NEAR, 0.78, None, 0.5)
    assert not declines_as_not_covered(NEAR, 0.78, 0.0, 0.0)
