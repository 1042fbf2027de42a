"""Output guard: every quoted sentence is checked before a visitor sees it.

A sentence that overclaims (negation-aware), says plain ketamine is FDA-approved for a psychiatric use,
or states an amount of a drug is dropped and replaced by the first vetted alternate that passes the same
checks (role "replacement"). Answers with treatment information carry the disclaimer.

>>> from bot.guards.rules import load_rules
>>> overclaims("Ketamine is a miracle cure.", load_rules())
['cure', 'miracle']
>>> overclaims("Ketamine is not a cure.", load_rules())
[]
"""
from __future__ import annotations

import re

from bot.compose import Draft
from bot.guards.rules import GuardRules, OutputRules, fold
from bot.models import Evidence, GuardVerdict

CHECKS = ("overclaim", "dose_amount", "fda_misstatement")
DISCLAIMED_KINDS = ("answered", "needs_clinician")


def _negated(folded: str, start: int, end: int, rules: OutputRules) -> bool:
    """A negator within the window before the span, or a post-negator after it, in the same clause."""
    clause_start = max((m.end() for m in rules.clause_breaks.finditer(folded, 0, start)), default=0)
    after = rules.clause_breaks.search(folded, end)
    before = " ".join(folded[clause_start:start].split()[-rules.negation_window:])
    return bool(rules.negators.search(before) or rules.post_negators.search(folded, end, after.start() if after else len(folded)))


def _first_unnegated(pattern: re.Pattern[str], folded: str, rules: OutputRules) -> re.Match[str] | None:
    return next((m for m in pattern.finditer(folded) if not _negated(folded, m.start(), m.end(), rules)), None)


def overclaims(sentence: str, rules: GuardRules) -> list[str]:
    """Names of the overclaim patterns the sentence makes, negation-aware."""
    return _overclaims(fold(sentence), rules.output)


def fda_misstatement(sentence: str, rules: GuardRules) -> bool:
    """True when plain ketamine (not esketamine/Spravato, not 'off-label') is called approved for a psychiatric use."""
    return _fda(fold(sentence), rules.output)


def dose_amounts(sentence: str, rules: GuardRules) -> list[str]:
    """Drug amounts stated in the sentence ('0.5 mg/kg', '56 mg', '2 ml')."""
    return [m.group().strip() for m in rules.output.dose_amount.finditer(fold(sentence))]


def problems(sentence: str, rules: GuardRules) -> dict[str, list[str]]:
    """What is wrong with a sentence, by check name; all lists empty when it may be shown."""
    o, folded = rules.output, fold(sentence)
    return {"overclaim": _overclaims(folded, o), "dose_amount": [m.group().strip() for m in o.dose_amount.finditer(folded)],
            "fda_misstatement": ["ketamine called FDA-approved for a psychiatric use"] if _fda(folded, o) else []}


def _overclaims(folded: str, o: OutputRules) -> list[str]:
    if not o.any_overclaim.search(folded):
        return []
    return [r.name for r in o.overclaims if _first_unnegated(r.regexes[0], folded, o)]


def _fda(folded: str, o: OutputRules) -> bool:
    if o.fda_exempt.search(folded) or not o.fda_subject.search(folded):
        return False
    return any(not o.negators.search(m.group()) and not _negated(folded, m.start(), m.end(), o)
               for m in o.fda_claim.finditer(folded))


def output_guard(draft: Draft, alternates: list[Evidence], rules: GuardRules, disclaimer: str) -> tuple[Draft, list[GuardVerdict]]:
    """(amended draft, verdicts "overclaim", "dose_amount", "fda_misstatement", "disclaimer").
    The input draft is not modified. Replacements follow the kept items, in the order of `alternates`."""
    found: dict[str, list[dict[str, object]]] = {name: [] for name in CHECKS}
    kept: list[Evidence] = []
    for item in draft.items:
        issues = problems(item.text, rules)
        for name, hits in issues.items():
            if hits:
                found[name].append({"text": item.text, "matched": hits})
        if not any(issues.values()):
            kept.append(item)
    replacements = _replacements(len(draft.items) - len(kept), draft.items, alternates, rules)
    items = kept + replacements
    notes = list(draft.notes)
    add_disclaimer = draft.kind in DISCLAIMED_KINDS and bool(items) and disclaimer not in notes
    if add_disclaimer:
        notes.append(disclaimer)
    verdicts = [GuardVerdict(name=name, fired=bool(hits), reason=f"{len(hits)} sentence(s) dropped" if hits else "none",
                             detail={"dropped": hits, "replacements": [r.text for r in replacements]} if hits else {})
                for name, hits in found.items()]
    verdicts.append(GuardVerdict(name="disclaimer", fired=add_disclaimer,
                                 reason="added" if add_disclaimer else ("present" if disclaimer in notes else "not needed")))
    return draft.model_copy(update={"items": items, "notes": notes}), verdicts


def _replacements(count: int, current: list[Evidence], alternates: list[Evidence], rules: GuardRules) -> list[Evidence]:
    ids, texts = {i.sentence_id for i in current}, {i.text for i in current}
    out: list[Evidence] = []
    for alt in alternates:
        if len(out) >= count:
            break
        if alt.sentence_id in ids or alt.text in texts or any(problems(alt.text, rules).values()):
            continue
        ids.add(alt.sentence_id)
        texts.add(alt.text)
        out.append(alt.model_copy(update={"role": "replacement"}))
    return out
