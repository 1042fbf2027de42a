"""Match stage: the visitor's question against the questions of the FAQ answer cards (bot/cards.py).

The score of a card is its best question's cosine to the one question embedding, plus a small weight
times the share of the visitor's topic words that question contains (words the embedding can blur: "bladder",
"Spravato"). A card answers only when its score clears a threshold AND beats the runner-up card by a
margin; otherwise the question falls through to retrieval. Threshold, margin and weight are calibrated on
paraphrases written apart from the cards (docs/cards.md). Pure once built.

    >>> import numpy as np
    >>> from bot.cards import Card
    >>> def card(i, q): return Card(id=i, topic=i, questions=[q] * 7, answer=[{"doc": "d", "text": "t"}],
    ...                             reviewed_by="r", last_reviewed="2026-11-30")
    >>> m = CardMatcher.build([card("a", "what is kap"), card("b", "is it safe")], np.eye(14, 4)[[0]*7 + [1]*7],
    ...                       np.array([0]*7 + [1]*7), threshold=0.8, margin=0.1, lexical_weight=0.0)
    >>> found = m.match("what is kap", np.array([1.0, 0, 0, 0]))
    >>> found.card_id, found.matched, found.runner_up
    ('a', True, 'b')
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.card_model import CardClassifier
from bot.cards import Card
from bot.models import CardMatch
from bot.retrieve import tokenize


HINT_CARDS = 2
HINT_FLOOR = 0.7
HINT_WEIGHT = 2.0
NEAREST_NOT_COVERED = "nearest, not covered"  # CardMatch.via when a near not-covered card declines (below)


def declines_as_not_covered(match: CardMatch, threshold: float, best_probability: float | None, bar: float) -> bool:
    """The nearest card is a not-covered card that reached the threshold but not the margin over the runner-up,
    and no retrieved sentence is likely to answer (the sentence scorer's best below `bar`): the sources most
    likely do not answer this, and retrieval would quote a near miss ("is psilocybin better than ketamine?"
    quoting that calling ketamine a psychedelic does not make it psilocybin). A confident sentence still answers.

    >>> near = CardMatch(card_id="not-covered-doses", score=0.9, runner_up="single-session", runner_up_score=0.85,
    ...                  not_covered=True)
    >>> declines_as_not_covered(near, 0.78, 0.05, 0.5), declines_as_not_covered(near, 0.78, 0.9, 0.5)
    (True, False)
    >>> declines_as_not_covered(near.model_copy(update={"score": 0.7}), 0.78, 0.05, 0.5)
    False
    """
    return (match.not_covered and not match.matched and match.score >= threshold
            and best_probability is not None and best_probability < bar)


@dataclass(frozen=True)
class CardMatcher:
    cards: list[Card]
    vectors: np.ndarray  # one row per card question, L2-normalised
    owner: np.ndarray  # row -> card index
    tokens: list[frozenset[str]]  # row -> its words (bot.retrieve.tokenize)
    threshold: float
    margin: float
    lexical_weight: float

    @classmethod
    def build(cls, cards: list[Card], vectors: np.ndarray, owner: np.ndarray, threshold: float, margin: float,
              lexical_weight: float) -> "CardMatcher":
        questions = [q for c in cards for q in c.questions]
        return cls(cards, vectors, owner, [frozenset(tokenize(q)) for q in questions], threshold, margin, lexical_weight)

    def scores(self, question: str, query_vec: np.ndarray) -> np.ndarray:
        """Per card: the best score over its questions (empty when there are no cards)."""
        if not self.cards:
            return np.zeros(0)
        row_scores = self.vectors @ query_vec
        if self.lexical_weight:
            terms = frozenset(tokenize(question))
            if terms:
                row_scores = row_scores + self.lexical_weight * np.array([len(terms & t) / len(terms) for t in self.tokens])
        best = np.full(len(self.cards), -np.inf)
        np.maximum.at(best, self.owner, row_scores)
        return best

    def match(self, question: str, query_vec: np.ndarray) -> CardMatch:
        per_card = self.scores(question, query_vec)
        if per_card.size == 0:
            return CardMatch()
        order = np.argsort(-per_card)
        top = int(order[0])
        second = int(order[1]) if len(order) > 1 else None
        score = float(per_card[top])
        runner = float(per_card[second]) if second is not None else 0.0
        matched = score >= self.threshold and score - runner >= self.margin
        return CardMatch(card_id=self.cards[top].id, score=round(score, 4), matched=matched,
                         runner_up=self.cards[second].id if second is not None else None,
                         runner_up_score=round(runner, 4), via="similarity" if matched else "",
                         not_covered=self.cards[top].not_covered)

    def second_chance(self, declined: CardMatch, question: str, query_vec: np.ndarray,
                      classifier: CardClassifier | None) -> CardMatch:
        """When the similarity rule declined: the card the classifier names with confidence (bot/card_model.py),
        with its similarity score; else the declined match, with the classifier's probability noted."""
        if declined.matched or classifier is None or not self.cards:
            return declined
        card_id, probability = classifier.predict(question, query_vec, {c.id for c in self.cards})
        if card_id is None:
            return declined.model_copy(update={"probability": probability})
        per_card = self.scores(question, query_vec)
        index = next(i for i, c in enumerate(self.cards) if c.id == card_id)
        others = [(float(s), self.cards[i].id) for i, s in enumerate(per_card) if i != index]
        runner_score, runner = max(others, default=(0.0, None))
        return CardMatch(card_id=card_id, score=round(float(per_card[index]), 4), matched=True, runner_up=runner,
                         runner_up_score=round(runner_score, 4), via="classifier", probability=probability,
                         not_covered=self.cards[index].not_covered)

    def hints(self, question: str, query_vec: np.ndarray, answers: dict[str, dict[str, list[int]]],
              n: int = HINT_CARDS, floor: float = HINT_FLOOR, weight: float = HINT_WEIGHT) -> dict[int, float]:
        """When no card answers outright: the answer sentences of the n nearest cards scoring at least `floor`,
        each with a bonus for evidence selection (weight × how far the card clears the floor), so a reviewed
        answer to a near question can win a slot on its own merit among the retrieved sentences."""
        per_card = self.scores(question, query_vec)
        out: dict[int, float] = {}
        for i in np.argsort(-per_card)[:n]:
            if per_card[i] >= floor:
                for sid in answers[self.cards[i].id]["answer"]:
                    out[sid] = max(out.get(sid, 0.0), weight * float(per_card[i] - floor))
        return out

    def card(self, card_id: str) -> Card:
        return next(c for c in self.cards if c.id == card_id)
