"""Output guard: overclaims, FDA misstatements and dose amounts never reach a visitor; treatment answers
carry the disclaimer. What the guards cost is a benchmark figure (`make bench`: guards p50/p95), not a test."""
from __future__ import annotations

import pytest

from bot.compose import Draft
from bot.guards.output import dose_amounts, fda_misstatement, output_guard, overclaims
from bot.guards.rules import GuardRules, load_rules
from bot.models import Evidence

DISCLAIMER = "This is educational information, not medical advice."


@pytest.fixture(scope="module")
def rules() -> GuardRules:
    return load_rules()


OVERCLAIMS = [
    ("Ketamine cures depression.", "cure"), ("KAP is a cure for PTSD.", "cure"),
    ("Results are guaranteed.", "guaranteed"), ("Ketamine is 100% safe.", "hundred_percent"),
    ("It is 100% effective.", "hundred_percent"), ("Ketamine is completely safe.", "completely_safe"),
    ("The treatment is totally harmless.", "completely_safe"), ("Ketamine has no side effects.", "no_side_effects"),
    ("It works for everyone.", "works_for_everyone"), ("Ketamine is a permanent fix for depression.", "permanent_fix"),
    ("It's a miracle drug.", "miracle"), ("The results are magical.", "magical"), ("Ketamine is a quick fix.", "quick_fix"),
    ("Ketamine is always effective.", "completely_effective"),
]
NEGATED = [
    "Ketamine is not a cure.", "There is no evidence that ketamine is a cure for depression.", "Ketamine doesn't cure depression.",
    "Results are not guaranteed.", "Response rates are well below 100%.", "No drug is completely safe.",
    "No treatment is free of side effects.", "Ketamine does not work for everyone.", "It may not work for everyone.",
    "It has not been shown to be a permanent fix.", "Ketamine is far from a miracle.", "Calling ketamine 'seemingly magical' is misleading.",
    "It is by no means a quick fix.", "Ketamine is not a cure, but it can reduce symptoms for a while.",
    "No randomized trial has tested whether KAP uncovers accurate repressed memories.",
]
# Clinic article sentences, verbatim (audit: kap_facts.md section 18).
CLINIC_BLOCKED = [
    "According to research, ketamine has a rapid onset of action and can produce significant long-term improvement in mood and mental state within a few hours (or days) of administration.",
    "In addition, ketamine is relatively safe and well-tolerated, with most people only experiencing mild, inconsequential side effects such as dizziness, nausea, and mild dissociation.",
    "Ketamine therapy has also shown a high efficacy rate and may provide relief from symptoms when other treatments have failed.",
    "For instance, in several clinical trials, low-dose ketamine infusions significantly improved symptoms in up to 70 percent of patients with treatment-resistant depression.",
    "In essence, the goal of KAP is to help patients reach a state of mind where they can readily access and process repressed traumas and emotions.",
    "By bringing these “hidden” memories to the surface, patients are able to work through traumas with the help of a professional in a safe and controlled environment.",
    "KAP can help accelerate the therapeutic process by enabling patients to access repressed memories or emotions they may be avoiding subconsciously or otherwise.",
    "The secret behind ketamine’s seemingly magical ability to break down mental barriers and allow patients to access the subconscious mind and work through repressed traumas lies in its psychedelic properties.",
    "However, it can be an effective tool to help you work through trauma and potentially achieve long-term relief from symptoms.",
]
CLINIC_ALLOWED = [
    "While ketamine is best known as an anesthetic, it has shown promise as an off-label treatment for major depressive disorder, post-traumatic stress disorder, and suicidal ideations – in what has come to be known as ketamine therapy.",
    "Although ketamine-assisted psychotherapy can improve response to therapy or even accelerate the healing process, it is by no means a “quick fix” for your mental illness and may not work for everyone.",
    "If you are considering ketamine-assisted psychotherapy, it’s important to have realistic expectations.",
    "Ketamine-assisted psychotherapy (KAP) is a new type of therapy that combines ketamine therapy and traditional talk therapy so patients can reap the best of both worlds.",
]


@pytest.mark.parametrize("sentence, name", OVERCLAIMS)
def test_overclaims_are_found(sentence: str, name: str, rules: GuardRules) -> None:
    assert name in overclaims(sentence, rules)


@pytest.mark.parametrize("sentence", NEGATED)
def test_negated_claims_pass(sentence: str, rules: GuardRules) -> None:
    assert overclaims(sentence, rules) == []


@pytest.mark.parametrize("sentence", CLINIC_BLOCKED)
def test_clinic_marketing_lines_are_blocked(sentence: str, rules: GuardRules) -> None:
    assert overclaims(sentence, rules)


@pytest.mark.parametrize("sentence", CLINIC_ALLOWED)
def test_clinic_plain_lines_pass(sentence: str, rules: GuardRules) -> None:
    assert overclaims(sentence, rules) == [] and not fda_misstatement(sentence, rules) and not dose_amounts(sentence, rules)


@pytest.mark.parametrize("sentence, wrong", [
    ("Ketamine is FDA-approved for depression.", True), ("The FDA approved ketamine for depression in 2019.", True),
    ("Ketamine, an anesthetic, is FDA-approved for treating depression.", True), ("Ketamine is approved for PTSD.", True),
    ("Ketamine-assisted psychotherapy is FDA approved for anxiety.", True), ("Ketamine received FDA approval for depression.", True),
    ("Ketamine is not FDA-approved for depression.", False), ("Only esketamine (Spravato) is FDA-approved for depression.", False),
    ("Esketamine, a form of ketamine, is FDA-approved for treatment-resistant depression.", False),
    ("The drug is FDA-approved only as an anesthetic, and its psychiatric use is off-label.", False),
    ("Ketamine was approved by the FDA in 1970 as an anesthetic.", False),
    ("Ketamine is FDA-approved as an anesthetic, not for depression.", False),
    ("The FDA said there is no evidence compounded ketamine is safer than FDA-approved medicines for psychiatric conditions.", False),
])
def test_fda_misstatements(sentence: str, wrong: bool, rules: GuardRules) -> None:
    assert fda_misstatement(sentence, rules) is wrong


@pytest.mark.parametrize("sentence, amounts", [
    ("Trials used 0.5 mg/kg over 40 minutes.", ["0.5 mg/kg"]), ("Spravato is given as 56 mg or 84 mg.", ["56 mg", "84 mg"]),
    ("Patients received 2 ml of saline.", ["2 ml"]), ("Doses of 0.5-1.0 mg per kg were compared.", ["0.5-1.0 mg per kg"]),
    ("Dosing is weight-based, in mg/kg.", ["mg/kg"]), ("Five milligrams were given.", ["five milligrams"]),
    ("One infusion lasted 40 minutes.", []), ("About 55% responded within 24 hours.", []),
])
def test_dose_amounts(sentence: str, amounts: list[str], rules: GuardRules) -> None:
    assert dose_amounts(sentence, rules) == amounts


def _ev(i: int, text: str, role: str = "answer") -> Evidence:
    return Evidence(sentence_id=i, doc_id=f"doc{i}", chunk_id=f"c{i}", text=text, score=0.5, role=role)  # type: ignore[arg-type]


def test_bad_sentences_are_replaced_by_the_first_clean_alternate(rules: GuardRules) -> None:
    good = _ev(1, "Ketamine can reduce depressive symptoms within hours in some patients.")
    bad = _ev(2, CLINIC_BLOCKED[1])
    dosed = _ev(3, "Trials used 0.5 mg/kg over 40 minutes.")
    draft = Draft(kind="answered", lead="Here is what the sources say:", items=[good, bad, dosed])
    alternates = [_ev(1, good.text),  # already in the draft
                  _ev(7, "Ketamine is a miracle for some."),  # fails the check itself
                  _ev(8, "Dissociation affected most patients in esketamine trials, and blood pressure can rise."),
                  _ev(9, "Long-term safety data are scarce."), _ev(10, "Spare alternate.")]
    amended, verdicts = output_guard(draft, alternates, rules, DISCLAIMER)
    assert [i.sentence_id for i in amended.items] == [1, 8, 9]
    assert [i.role for i in amended.items] == ["answer", "replacement", "replacement"]
    assert amended.notes == [DISCLAIMER]
    by_name = {v.name: v for v in verdicts}
    assert list(by_name) == ["overclaim", "dose_amount", "fda_misstatement", "disclaimer"]
    assert by_name["overclaim"].fired and by_name["overclaim"].detail["dropped"][0]["text"] == bad.text
    assert by_name["dose_amount"].fired and by_name["dose_amount"].detail["dropped"][0]["matched"] == ["0.5 mg/kg"]
    assert not by_name["fda_misstatement"].fired and by_name["disclaimer"].fired
    assert [i.sentence_id for i in draft.items] == [1, 2, 3] and draft.notes == []  # input untouched


def test_no_clean_alternate_means_the_sentence_just_goes(rules: GuardRules) -> None:
    draft = Draft(kind="answered", items=[_ev(1, "Ketamine cures depression.")])
    amended, _ = output_guard(draft, [_ev(2, "It works for everyone.")], rules, DISCLAIMER)
    assert amended.items == [] and amended.notes == []  # nothing left: the pipeline answers no_answer


@pytest.mark.parametrize("kind, with_items, expected", [
    ("answered", True, True), ("needs_clinician", True, True), ("answered", False, False),
    ("needs_clinician", False, False), ("no_answer", False, False), ("crisis", False, False),
])
def test_disclaimer_rule(kind: str, with_items: bool, expected: bool, rules: GuardRules) -> None:
    items = [_ev(1, "Ketamine is an anesthetic.")] if with_items else []
    amended, verdicts = output_guard(Draft(kind=kind, items=items), [], rules, DISCLAIMER)  # type: ignore[arg-type]
    assert (DISCLAIMER in amended.notes) is expected
    again, _ = output_guard(amended, [], rules, DISCLAIMER)
    assert again.notes.count(DISCLAIMER) == (1 if expected else 0)  # never twice
