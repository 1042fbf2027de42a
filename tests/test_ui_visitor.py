"""The visitor session's bookkeeping: bounded transcript, feedback mapped to the right answer."""
from __future__ import annotations

import pytest

from bot.ui.visitor import MAX_MESSAGES, add_exchange, new_session, rating_of


def test_transcript_is_bounded_and_feedback_indexes_follow() -> None:
    session = new_session()
    for i in range(MAX_MESSAGES):  # twice as many messages as kept
        session = add_exchange(session, f"q{i}", f"a{i}", {"question": f"q{i}"})
    assert len(session["messages"]) == MAX_MESSAGES
    for index, record in session["turns"].items():
        assert session["messages"][index]["content"] == "a" + record["question"][1:]
        assert session["messages"][index - 1]["content"] == record["question"]
    assert min(session["turns"]) == 1 and max(session["turns"]) == MAX_MESSAGES - 1


def test_new_session_is_fresh_each_time() -> None:
    a = new_session()
    a["messages"].append("x")
    assert new_session()["messages"] == []


@pytest.mark.parametrize("liked,rating", [(True, 1), (False, -1), ("Like", 1), ("Dislike", -1), ("", None)])
def test_rating_of(liked: bool | str, rating: int | None) -> None:
    assert rating_of(liked) == rating
