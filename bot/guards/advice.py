"""Medical-advice guard: questions that need a personal medical assessment.

Dosing, combining with other drugs or alcohol, starting or stopping medication, pregnancy and
breastfeeding, a personal condition or eligibility, self-diagnosis, at-home or unsupervised use.
General questions ("what doses were used in trials", "who should not get ketamine") pass: the
difference is a personal ask. Patterns live in bot/data/advice.yaml.

>>> from bot.guards.rules import load_rules
>>> check_advice("How many mg do I need?", load_rules().advice).detail["matched"][0]
'dose'
>>> check_advice("What doses were used in trials?", load_rules().advice).fired
False
"""
from __future__ import annotations

from typing import Literal, Mapping, Sequence

from bot.guards.rules import Rule, matching_forms
from bot.models import GuardVerdict

NAME = "medical_advice"


def check_advice(text: str, rules: tuple[Rule, ...], variants: tuple[str, ...] = ()) -> GuardVerdict:
    """`variants`: other readings of the message (see bot/guards/normalise.py and validate)."""
    forms = matching_forms(text, variants)
    matched: list[str] = []
    for rule in rules:
        if rule.name not in matched and any(rule.matches(f) for f in forms):
            matched.append(rule.name)
    return GuardVerdict(name=NAME, fired=bool(matched), kind="needs_clinician" if matched else None,
                        reason=", ".join(matched) or "none", detail={"matched": matched})


def as_feature(verdict: GuardVerdict, not_features: frozenset[str]) -> bool:
    """The advice verdict as the learned detectors read it: fired by a group they were fitted with. A group added
    later refers on its own, but would move the crisis detector's score, which learned from the flag that a
    message the patterns catch is less often a crisis (evals/README.md, sixth stop, try 5).

    >>> v = GuardVerdict(name=NAME, fired=True, detail={"matched": ["their_situation"]})
    >>> as_feature(v, frozenset({"their_situation"})), as_feature(v, frozenset())
    (False, True)
    """
    return any(m not in not_features for m in verdict.detail.get("matched", []))


GROUP_VETO = "veto:"  # a bar's name prefix for one group's own veto: "veto:combining"


def lone_group(matched: Sequence[str]) -> str:
    """The group of patterns that matched alone, or "" (none, or several): only a lone group's referral may be set
    aside by that group's own veto bar.

    >>> lone_group(["combining"]), lone_group(["combining", "dose"]), lone_group([])
    ('combining', '', '')
    """
    return matched[0] if len(matched) == 1 else ""


def referral(patterns: bool, score: float, bars: Mapping[str, float],
             alone: str = "") -> Literal["refer", "set_aside", "none"]:
    """What the advice screen does with the patterns' verdict and the learned detector's score, for the pipeline
    and the training report alike (as bot.guards.crisis.grade for crisis). `bars`: `refer`, the detector's bar,
    `veto`, below which it sets the patterns' referral aside (bot.guards.train.veto_bar; none: never), and
    `veto:<group>`, the veto of a referral by that group alone (bot.guards.train.group_veto_bars). `alone`: the
    group that matched alone (`lone_group`), if one did.

    >>> referral(True, 0.05, {"refer": 0.5, "veto": 0.1}), referral(False, 0.6, {"refer": 0.5})
    ('set_aside', 'refer')
    >>> bars = {"refer": 0.5, "veto": 0.1, "veto:combining": 0.3}
    >>> referral(True, 0.2, bars, "combining"), referral(True, 0.2, bars)
    ('set_aside', 'refer')
    """
    if patterns:
        veto = max(bars.get("veto", 0.0), bars.get(GROUP_VETO + alone, 0.0) if alone else 0.0)
        return "set_aside" if score < veto else "refer"
    return "refer" if score >= bars["refer"] else "none"
