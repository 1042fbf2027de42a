"""Input guard: runs after `validate` and after the pipeline embedded the text once.

Order: crisis, language, medical advice, about the bot, scope, injection. The crisis response is graded
(bot.guards.crisis.grade): a crisis ends the turn at once with the fixed crisis text, a check-in with the
check-in text (the same resources, then a gentle question; kind "crisis", flag "check_in"); otherwise every
guard runs and the first one with a kind decides:

    crisis > out_of_scope (language) > needs_clinician > out_of_scope (about_bot, scope, injection) > answer

Language comes before advice: a referral adds context retrieved on the question, which the English-only
model cannot read in another language.

`question` is always the injection-stripped text, so a needs_clinician turn retrieves its general,
cited context on the genuine question only. Messages are fixed templates: no user text in them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.config import Clinic
from bot.guards.about import check_about
from bot.guards.advice import check_advice, lone_group, referral
from bot.guards.crisis import check_crisis, grade
from bot.guards.injection import check_injection
from bot.guards.language import check_language
from bot.guards.learned import Detectors, lexical_flags
from bot.guards.rules import ExemplarVectors, GuardRules, fold
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
    flags: list[str]  # names of guards that fired, plus "check_in", "suicide_topic" or "crisis_concern"
    level: str = "none"  # the graded crisis response: crisis, check_in, concern or none (bot.guards.crisis.grade)
    # first-person distress: a no-answer becomes a check-in (unless the visitor said they are safe). "words": the
    # distress lexicon; "detector": only the learned detector's uncertain band (bot.guards.crisis.grade)
    distress: Literal["", "words", "detector"] = ""


def screen(text: str, query_vec: np.ndarray | None, rules: GuardRules, vectors: ExemplarVectors | None,
           clinic: Clinic, previous: str | None = None, variants: tuple[str, ...] = (),
           detectors: Detectors | None = None, safe: bool = False) -> InputDecision:
    """Decide what happens to a validated question. `query_vec` is the pipeline's one embedding of
    `text` (L2-normalised); with None (unit tests) only the lexicons are used. `previous`, the visitor's
    question before this one, is read only by the crisis guard (a disclosure after a topic question).
    `variants`: other readings of the message (invisible characters read as spaces). `detectors`: the
    learned crisis and advice detectors: they add a crisis, a check-in or a referral, and the advice detector
    may set the advice patterns' referral aside below its veto bar (`_with_learned_advice`). `safe`: the
    visitor answered a check-in with "I'm safe": the uncertain band is answered (with the 988 line)."""
    language = check_language(text, rules.language)
    about = check_about(text, rules.scope)
    injection, question = check_injection(text, rules.injection)
    advice = check_advice(text, rules.advice, variants)
    english_vec = None if language.fired else query_vec  # the model and the detectors read English only:
    scores: dict[str, float] = {}                         # another language is read by the lexicons alone
    if detectors is not None and english_vec is not None:
        scores = detectors.scores(text, english_vec, lexical_flags(text, rules, advice, about.fired, injection.fired))
    crisis = check_crisis(text, english_vec, rules.crisis, vectors, previous, variants)
    level = grade(crisis, scores.get("crisis"), dict(detectors["crisis"].thresholds) if scores else None, safe,
                  to_the_bot=about.fired or injection.fired)
    crisis = _learned(crisis, scores.get("crisis"), level, safe)
    if level in ("crisis", "check_in"):
        flags = ["crisis", "check_in"] if level == "check_in" else ["crisis"]
        return InputDecision([crisis], "crisis", fill(rules.messages[level], clinic), text, False, flags, level)
    if question and question != text:  # judge scope on the genuine question, not the role-play around it
        scope = check_scope(question, None, rules.scope, vectors)
    else:
        scope = check_scope(text, query_vec, rules.scope, vectors)
    if not scope.fired:  # the detector learned from clinic messages: its opinion of "which stocks should I buy?" is noise
        advice = _with_learned_advice(advice, scores.get("advice"), detectors)
    verdicts = [crisis, language, advice, about, scope, injection]
    decider = next((v for v in verdicts if v.kind is not None), None)
    flags = [v.name for v in verdicts if v.fired]
    learned_concern = (level == "concern" and not crisis.detail.get("concern")  # the detector's band, not similarity
                       and not (about.fired or injection.fired))
    distress = "" if safe else "words" if rules.crisis.distress.search(fold(text)) else "detector" if learned_concern else ""
    if decider is not None and decider.name in ("scope", "injection") and distress:  # never a bare "I can only help…"
        return InputDecision(verdicts, "crisis", fill(rules.messages["check_in"], clinic), text, False,
                             ["crisis", "check_in", *flags], "check_in", distress)
    topic = bool(crisis.detail.get("topic"))
    if topic:
        flags.append("suicide_topic")
    elif level == "concern":
        flags.append("crisis_concern")
        topic = True  # the answer carries the 988 line
    if safe:
        flags.append("safe_confirmed")
    message = fill(rules.messages[MESSAGE_KEYS[decider.name]], clinic) if decider else ""
    if not question and advice.fired:  # a referral still gets general context: retrieve on the whole text
        question = text
    return InputDecision(verdicts, decider.kind if decider else None, message, question, topic, flags, level, distress)


def _learned(crisis: GuardVerdict, score: float | None, level: str, safe: bool) -> GuardVerdict:
    """The crisis verdict with the detector's score and the graded level recorded (and fired when the
    detector alone reached the crisis or check-in bar)."""
    detail = {**crisis.detail, "learned": score, "level": level, "safe_confirmed": safe}
    if crisis.fired or level not in ("crisis", "check_in"):
        return crisis.model_copy(update={"detail": detail})
    signals = (["similar to crisis exemplars"] if crisis.detail.get("similar") else []) + (
        [f"learned detector {score:.2f}"] if score is not None else [])
    reason = ", ".join(signals) + ": " + ("crisis" if level == "crisis" else "check-in")
    return crisis.model_copy(update={"fired": True, "kind": "crisis", "reason": reason, "detail": detail})


def _with_learned_advice(advice: GuardVerdict, score: float | None, detectors: Detectors | None) -> GuardVerdict:
    """The advice verdict with the detector's score: a referral added at its bar, or a lexicon referral set aside
    below its veto bar (a general question with a personal word: bot.guards.train.veto_bar)."""
    detail = {**advice.detail, "learned": score}
    if score is None or detectors is None:
        return advice.model_copy(update={"detail": detail})
    alone = lone_group(advice.detail.get("matched", []))
    decision = referral(advice.fired, score, detectors["advice"].thresholds, alone)
    if decision == "set_aside":
        return advice.model_copy(update={"fired": False, "kind": None, "detail": {**detail, "set_aside": True},
                                         "reason": f"patterns {advice.reason} set aside: learned detector {score:.2f}"})
    if decision == "none" or advice.fired:
        return advice.model_copy(update={"detail": detail})
    return advice.model_copy(update={"fired": True, "kind": "needs_clinician", "detail": detail,
                                     "reason": f"learned detector {score:.2f}"})
