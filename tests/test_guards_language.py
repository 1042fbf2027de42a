"""Language guard: a question in another language gets a bilingual notice with 988, not a random answer."""
from __future__ import annotations

import pytest

from bot.config import Clinic
from bot.guards.input import screen
from bot.guards.language import check_language
from bot.guards.rules import GuardRules, load_rules


@pytest.fixture(scope="module")
def rules() -> GuardRules:
    return load_rules()


OTHER = [
    "¿La ketamina es segura?", "Que es KAP", "hola", "ketamina", "Dime si la ketamina es segura",
    "¿Cuántas sesiones necesito?", "Quelle est la durée d'une séance ?", "Wie lange wirkt Ketamin?",
    "Quanto custa uma sessão?", "La ketamina è sicura?",
    "氯胺酮安全吗", "Кетамин безопасен?", "الكيتامين آمن؟", "ケタミンは安全ですか", "ketamin tedavisi güvenli mi?",
]
ENGLISH = [  # near misses: short, technical, or with a borrowed word
    "Is ketamine safe?", "KAP", "ketamine side effects", "esketamine vs ketamine", "Does Spravato work?",
    "Is ketamine seguro?", "What is la ketamina", "IV or IM?", "NMDA antagonist", "Is it approved in the EU?",
    "Do you take Medicaid?", "What does integración mean in your sessions?", "Can I come with my son?",
    "I feel like I was a different person after the session", "ketamine café clinic near Winston-Salem",
]


@pytest.mark.parametrize("text", OTHER)
def test_other_languages_are_recognised(text: str, rules: GuardRules) -> None:
    verdict = check_language(text, rules.language)
    assert verdict.fired and verdict.kind == "out_of_scope", verdict.detail


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_answered(text: str, rules: GuardRules) -> None:
    assert not check_language(text, rules.language).fired


def test_notice_is_bilingual_leads_to_988_and_never_echoes(rules: GuardRules) -> None:
    decision = screen("¿La ketamina es segura para mí?", None, rules, None, Clinic(name="Piedmont KAP Clinic"))
    assert decision.kind == "out_of_scope" and decision.flags[0] == "language"
    assert "only answer questions in English" in decision.message and "solo puedo responder" in decision.message
    assert "988" in decision.message and "911" in decision.message and "press 2 for Spanish" in decision.message
    assert "segura para" not in decision.message


def test_spanish_crisis_still_gets_the_crisis_text_first(rules: GuardRules) -> None:
    for text in ("no quiero vivir", "Mi hermano dice que quiere matarse."):
        decision = screen(text, None, rules, None, Clinic())
        assert decision.kind == "crisis" and decision.flags == ["crisis"], text


def test_a_spanish_dose_question_is_not_sent_to_retrieval(rules: GuardRules) -> None:
    decision = screen("¿Qué dosis de ketamina debo tomar?", None, rules, None, Clinic())
    assert decision.kind == "out_of_scope" and "language" in decision.flags


def test_word_lists_leave_out_english_words(rules: GuardRules) -> None:
    for name, words in rules.language.other.items():
        assert not words & rules.language.english, name
