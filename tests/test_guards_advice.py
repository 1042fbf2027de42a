"""Medical-advice guard: personal asks go to a clinician; general questions stay answerable."""
from __future__ import annotations

import re

import pytest

from bot.config import Clinic
from bot.guards.advice import check_advice
from bot.guards.input import screen
from bot.guards.rules import GuardRules, load_rules


@pytest.fixture(scope="module")
def rules() -> GuardRules:
    return load_rules()


ADVICE = [
    # dosing or amounts
    ("what dose should I take", "dose"), ("How much ketamine should I take?", "dose"), ("how many mg do I need", "dose"),
    ("How many mg is a normal dose?", "dose"), ("What's the right dose for me?", "dose"), ("Can I double my dose?", "dose"),
    ("how much ketamine is safe", "dose"), ("Should I try microdosing ketamine?", "dose"),
    # combining with drugs or alcohol
    ("Can I drink alcohol after ketamine?", "combining"), ("Is it safe to take ketamine with my Lexapro?", "combining"),
    ("I'm on SSRIs, can I do KAP?", "combining"), ("Can I take ketamine with benzos?", "combining"),
    ("is it ok to smoke weed before my session", "combining"), ("I take Adderall every morning, is that a problem with ketamine?", "combining"),
    # starting or stopping medication
    ("Should I stop taking my antidepressants?", "start_stop"), ("Can I quit my meds once I start KAP?", "start_stop"),
    ("Do I need to come off lithium first?", "start_stop"), ("I want to replace my medication with ketamine", "start_stop"),
    # pregnancy or breastfeeding
    ("Is ketamine safe during pregnancy?", "pregnancy"), ("I'm breastfeeding, can I have an infusion?", "pregnancy"),
    ("We're trying to conceive, is KAP ok?", "pregnancy"), ("¿Puedo usar ketamina si estoy embarazada?", "pregnancy"),
    # personal condition, contraindication, eligibility
    ("I have bipolar disorder, can I get infusions?", "personal_condition"),
    ("I had a heart attack last year, is ketamine OK for me?", "personal_condition"),
    ("I have high blood pressure, can I still do this?", "personal_condition"),
    ("Am I a good candidate for ketamine?", "personal_condition"), ("Would KAP be safe for my son?", "personal_condition"),
    ("I was diagnosed with schizophrenia, is this right for me?", "personal_condition"),
    ("Should I try ketamine?", "personal_condition"), ("I'm 16, can I get treatment?", "personal_condition"),
    # self-diagnosis
    ("Do I have depression?", "self_diagnosis"), ("Am I bipolar?", "self_diagnosis"),
    ("Do I have treatment-resistant depression?", "self_diagnosis"), ("Can you diagnose me?", "self_diagnosis"),
    # at-home or unsupervised use
    ("Can I buy ketamine online?", "at_home"), ("Can I use ketamine at home?", "at_home"),
    ("Can I take it myself without a doctor?", "at_home"), ("Is at-home ketamine safe?", "at_home"),
    ("Where can I buy ketamine?", "at_home"), ("Can I self-administer the troches?", "at_home"),
]

GENERAL = [
    "what doses were used in trials", "What dose was used in the Zarate trial?", "What are the contraindications?",
    "Is ketamine safe?", "who should not get ketamine", "Does ketamine interact with SSRIs?", "How is ketamine given?",
    "How many sessions will I need?", "How much does it cost?", "What are the side effects?", "Is ketamine addictive?",
    "Where can I get ketamine treatment near me?", "Can I drive after my session?", "I have PTSD, can ketamine help?",
    "I have depression, does KAP work?", "Can I bring my partner?", "What is Spravato?", "Does ketamine raise blood pressure?",
    "Who is a good candidate for KAP?", "Do you treat people with bipolar disorder?", "What should I wear to my appointment?",
]


@pytest.mark.parametrize("text, category", ADVICE)
def test_personal_medical_questions_need_a_clinician(text: str, category: str, rules: GuardRules) -> None:
    verdict = check_advice(text, rules.advice)
    assert verdict.fired and verdict.kind == "needs_clinician"
    assert category in verdict.detail["matched"]


@pytest.mark.parametrize("text", GENERAL)
def test_general_questions_are_answered(text: str, rules: GuardRules) -> None:
    verdict = check_advice(text, rules.advice)
    assert not verdict.fired, verdict.detail


def test_decision_points_to_the_clinic_without_a_dose(rules: GuardRules) -> None:
    clinic = Clinic(name="Piedmont KAP Clinic", phone="336-555-0100")
    decision = screen("How many mg of ketamine should I take for my depression?", None, rules, None, clinic)
    assert decision.kind == "needs_clinician"
    assert "personal medical assessment" in decision.message and "336-555-0100" in decision.message
    assert not re.search(r"\d\s*(mg|milligram|ml)", decision.message.lower())
    assert decision.question  # the pipeline may add general, cited context


def test_crisis_outranks_advice(rules: GuardRules) -> None:
    decision = screen("How many of my pills would it take to die?", None, rules, None, Clinic())
    assert decision.kind == "crisis"
