"""About-the-bot guard: questions about the bot itself get a straight, fixed answer and the way to a person."""
from __future__ import annotations

import pytest

from bot.config import Clinic
from bot.guards.about import check_about
from bot.guards.input import screen
from bot.guards.rules import GuardRules, load_rules


@pytest.fixture(scope="module")
def rules() -> GuardRules:
    return load_rules()


ABOUT = ["Are you a real person?", "r u a bot", "am i talking to a bot", "Am I chatting with a human?",
         "Are you AI?", "Are you a doctor?", "who are you", "What are you?", "Who made you?",
         "Who built this chatbot?", "What sources do you use?", "Which references does the bot use?",
         "Where do your answers come from?", "How do you work?", "How do you know that?",
         "Can I talk to a human?", "Could I speak with someone?", "Can I talk to an actual nurse?"]
NOT_ABOUT = ["Are you open on Saturdays?", "Are your therapists licensed?", "What are your hours?",
             "What are you doing to keep patients safe?", "How do you decide who is a good candidate?",
             "How do you work with insurance companies?", "What sources say ketamine is safe?",
             "Can I talk to my doctor about KAP?", "Is the therapist a real psychologist?", "Can you help me?"]


@pytest.mark.parametrize("text", ABOUT)
def test_questions_about_the_bot(text: str, rules: GuardRules) -> None:
    assert check_about(text, rules.scope).fired


@pytest.mark.parametrize("text", NOT_ABOUT)
def test_questions_about_the_clinic_or_ketamine_are_not(text: str, rules: GuardRules) -> None:
    assert not check_about(text, rules.scope).fired


def test_the_answer_says_what_the_bot_is_and_how_to_reach_a_person(rules: GuardRules) -> None:
    clinic = Clinic(name="Piedmont KAP Clinic", phone="(336) 555-0100")
    decision = screen("Are you a real person?", None, rules, None, clinic)
    assert decision.kind == "out_of_scope" and decision.flags == ["about_bot"]
    message = decision.message
    assert "automated assistant, not a person" in message and "cite the source" in message
    assert "call (336) 555-0100" in message and "988" in message


def test_advice_and_crisis_outrank_it(rules: GuardRules) -> None:
    assert screen("Are you a doctor? What dose should I take?", None, rules, None, Clinic()).kind == "needs_clinician"
    assert screen("are you a real person? i want to die", None, rules, None, Clinic()).kind == "crisis"
