"""The visitor session's bookkeeping: bounded transcript, feedback mapped to the right answer."""
from __future__ import annotations

import pytest

from bot.models import Turn
from bot.ui.visitor import (FEEDBACK_PER_CLIENT, FEEDBACK_PER_SESSION, MAX_MESSAGES, FeedbackLimits, add_exchange,
                            exchange_record, new_session, previous_question, rating_of)


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


def test_feedback_on_a_follow_up_shows_staff_what_it_followed() -> None:
    turn = Turn(question="does it work?", kind="answered", answer="A. [1]", follow_up_of="What is KAP?")
    record = exchange_record("does it work?", turn)
    assert record["staff_question"] == "does it work? (follow-up to: What is KAP?)"
    assert record["question"] == "does it work?"  # what the next follow-up leans on
    assert exchange_record("What is KAP?", Turn(question="What is KAP?"))["staff_question"] == "What is KAP?"


def test_previous_question_is_passed_on_except_after_unreadable_input() -> None:
    session = add_exchange(new_session(), "q", "a", {"question": "What is KAP?", "kind": "answered"})
    assert previous_question(session) == "What is KAP?"
    for kind in ("crisis", "out_of_scope", "no_answer"):  # the pipeline decides what a crisis message may do
        assert previous_question(add_exchange(session, "q", "a", {"question": "x", "kind": kind})) == "x"
    assert previous_question(add_exchange(session, "q", "a", {"question": "\x00", "kind": "invalid_input"})) is None
    assert previous_question(new_session()) is None


class FakeRequest:
    def __init__(self, session: str, client: str) -> None:
        self.session_hash = session
        self.client = type("Client", (), {"host": client})()


def test_feedback_is_limited_per_session_and_per_client() -> None:
    limits = FeedbackLimits()
    assert all(limits.allow(FakeRequest("s1", "10.0.0.1")) for _ in range(FEEDBACK_PER_SESSION))
    assert not limits.allow(FakeRequest("s1", "10.0.0.1"))  # this session has said enough for now
    sessions = (FakeRequest(f"new-{n}", "10.0.0.1") for n in range(FEEDBACK_PER_CLIENT))
    assert sum(limits.allow(r) for r in sessions) == FEEDBACK_PER_CLIENT - FEEDBACK_PER_SESSION  # fresh sessions, same client
    assert limits.allow(FakeRequest("s2", "10.0.0.2"))  # someone else


def test_a_swapped_bot_serves_the_next_request_and_a_request_in_flight_keeps_its_own():
    from bot.ui.service import LazyBot

    first, second = object(), object()
    holder = LazyBot(lambda: first)
    in_flight = holder()  # a request takes the bot once and keeps it to the end
    assert holder.swap(second) is first
    assert in_flight is first and holder() is second
