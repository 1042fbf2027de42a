"""Card matching: a card answers only above a threshold and a margin over the runner-up; near cards hint."""
from __future__ import annotations

import numpy as np

from bot.cards import Card
from bot.match import CardMatcher
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
