"""Input guard: runs after `validate` and after the pipeline embedded the text once.

Order: crisis, language, medical advice, about the bot, scope, injection. A crisis ends the turn at once with the
fixed crisis text; otherwise every guard runs and the first one with a kind decides:

    crisis > out_of_scope (language) > needs_clinician > out_of_scope (about_bot, scope, injection) > answer

Language comes before advice: a referral adds context retrieved on the question, which the English-only
model cannot read in another language.

`question` is always the injection-stripped text, so a needs_clinician turn retrieves its general,
cited context on the genuine question only. Messages are fixed templates: no user text in them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.config import Clinic
from bot.guards.about import check_about
from bot.guards.advice import check_advice
from bot.guards.crisis import check_crisis
from bot.guards.injection import check_injection
from bot.guards.language import check_language
from bot.guards.rules import ExemplarVectors, GuardRules
from bot.guards.scope import check_scope
from bot.models import GuardVerdict, Kind
from bot.templates import fill

MESSAGE_KEYS: dict[str, str] = {
    "crisis": "crisis", "medical_advice": "needs_clinician", "language": "other_language", "about_bot": "about_bot",
    "scope": "out_of_scope", "injection": "injection_refusal",
}


@dataclass(frozen=True)
class InputDecision:
    verdicts: list[GuardVerdict]  # one per guard that ran, in order: crisis, language, medical_advice, about_bot, scope, injection
    kind: Kind | None  # "crisis" | "needs_clinician" | "out_of_scope" end the turn; None = go on and answer
    message: str  # filled template text for that kind ("" when kind is None)
    question: str  # text to retrieve on: injection wrappers and fake tags stripped
    add_crisis_line: bool  # a question ABOUT suicide, or a message close to crisis: cited answer + the 988 line
    flags: list[str]  # names of guards that fired, plus "suicide_topic" or "crisis_concern"


def screen(text: str, query_vec: np.ndarray | None, rules: GuardRules, vectors: ExemplarVectors | None,
           clinic: Clinic, previous: str | None = None) -> InputDecision:
    """Decide what happens to a validated question. `query_vec` is the pipeline's one embedding of
    `text` (L2-normalised); with None (unit tests) only the lexicons are used. `previous`, the visitor's
    question before this one, is read only by the crisis guard (a disclosure after a topic question)."""
    crisis = check_crisis(text, query_vec, rules.crisis, vectors, previous)
    if crisis.fired:
        return InputDecision([crisis], "crisis", fill(rules.messages["crisis"], clinic), text, False, ["crisis"])
    language = check_language(text, rules.language)
    advice = check_advice(text, rules.advice)
    about = check_about(text, rules.scope)
    injection, question = check_injection(text, rules.injection)
    if question and question != text:  # judge scope on the genuine question, not the role-play around it
        scope = check_scope(question, None, rules.scope, vectors)
    else:
        scope = check_scope(text, query_vec, rules.scope, vectors)
    verdicts = [crisis, language, advice, about, scope, injection]
    decider = next((v for v in verdicts if v.kind is not None), None)
    flags = [v.name for v in verdicts if v.fired]
    topic = bool(crisis.detail.get("topic"))
    if topic:
        flags.append("suicide_topic")
    elif crisis.detail.get("concern") and not crisis.fired:
        flags.append("crisis_concern")
        topic = True  # the answer carries the 988 line
    message = fill(rules.messages[MESSAGE_KEYS[decider.name]], clinic) if decider else ""
    if not question and advice.fired:  # a referral still gets general context: retrieve on the whole text
        question = text
    return InputDecision(verdicts, decider.kind if decider else None, message, question, topic, flags)
