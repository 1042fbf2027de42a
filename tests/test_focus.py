"""bot/focus.py: the question part of a message with context around it."""
import pytest

from bot.focus import question_part


@pytest.mark.parametrize("message, part", [
    ("i have had fibromyalgia for about 15 years and depression on top of it. so what exactly is ketamine "
     "assisted psychotherapy?", "so what exactly is ketamine assisted psychotherapy?"),
    ("any long term risks? heard something about bladder problems from a friend at work", "any long term risks?"),
    ("My son is 22 and in college. He is worried. Is it addictive? And how long does it last?",
     "Is it addictive? And how long does it last?"),
    ("We live two hours away and my husband works nights. Tell me how long a session takes",
     "Tell me how long a session takes"),  # no question mark: the last sentence
])
def test_the_question_sentences_are_found_among_the_context(message, part):
    assert question_part(message) == part


@pytest.mark.parametrize("message", [
    "how long does it last?",  # one sentence: nothing to focus on
    "I have a pacemaker and high blood pressure. Why?",  # too short to stand without its context
    "Is ketamine addictive and does it cause bladder problems? Thanks.",  # the question is most of the message
    "I read ketamine can damage the bladder. is that true for therapy doses?",  # the part points back
    "Some people struggle to open up about old trauma in therapy. Is that something KAP is meant to help with?",
    "I take lamotrigine and a benzo at night. Will those make ketamine not work?",
    "",
    "   ",
])
def test_no_part_when_there_is_no_context_to_set_aside(message):
    assert question_part(message) is None
