"""Question types: recognised from the one embedding; the shipped examples never copy an eval question."""
from __future__ import annotations

import numpy as np

from bot.qtype import QuestionTypes
from tests.fakes import FakeEmbedder


def test_the_shipped_types_load_and_recognise_their_own_kind_of_question():
    types = QuestionTypes.load(FakeEmbedder())
    assert {"session_length", "effect_duration", "what_happens", "how_given", "how_works", "who_not"} <= set(types.names)
    e = FakeEmbedder()
    assert types.recognise(e.embed_query("how many hours does one treatment visit last")) == "session_length"
    assert types.recognise(e.embed_query("weather forecast bitcoin")) == ""
    assert types.pattern("session_length").search("monitoring for at least 2 hours")
    assert types.pattern("") is None


def test_a_type_needs_a_margin_over_the_next():
    types = QuestionTypes(("a", "b"), np.eye(2, 3), np.array([0, 1]), {"a": None, "b": None}, 0.5, 0.2)
    assert types.recognise(np.array([0.8, 0.7, 0.0])) == ""
    assert types.recognise(np.array([0.9, 0.3, 0.0])) == "a"
