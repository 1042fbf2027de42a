"""Crisis guard: suicidal or self-harm intent, direct or indirect, for oneself or another person.

Signals, graded by `grade`:
1. the lexicon (bot/data/crisis.yaml `patterns`), read on the folded text and on its readings with
   look-alike letters and leetspeak undone (bot/guards/normalise.py): certain, the crisis text;
2. similarity to reviewed crisis exemplars, counted only when the message is first-person or about
   another person, reaches the calibrated threshold, and is closer to an exemplar than to every
   contrast example (questions *about* the topic, ordinary treatment questions): uncertain, a check-in;
3. the learned detector's score (bot/guards/learned.py, passed to `grade`): a check-in or, very high, the
   crisis text.
A message that only touches the topic ("Does ketamine help suicidal thoughts?") is not a crisis; the
verdict's detail["topic"] tells the pipeline to add the 988 line to the cited answer, and so does
detail["concern"]: a first-person message somewhat close to the exemplars, below the crisis threshold. A reply that owns
the topic right after such a question ("because I have them every day") is a crisis.
"""
from __future__ import annotations

import numpy as np

from bot.guards.rules import CrisisRules, ExemplarVectors, fold, matching_forms, nearest
from bot.models import GuardVerdict

NAME = "crisis"


def lexicon_hits(text: str, rules: CrisisRules, variants: tuple[str, ...] = ()) -> list[str]:
    """Names of the pattern groups that match any reading of the text or its variants (each group once).

    >>> from bot.guards.rules import load_rules
    >>> lexicon_hits("i wanna kms", load_rules().crisis)
    ['slang']
    """
    forms = matching_forms(text, variants)
    hits: list[str] = []
    for rule in rules.rules:
        if rule.name not in hits and any(rule.matches(f) for f in forms):
            hits.append(rule.name)
    return hits


REPLY_WORDS = 12  # a reply this short to a crisis message continues it ("yes, in my drawer. I counted them.")


def crisis_in_context(text: str, previous: str | None, rules: CrisisRules) -> str | None:
    """A crisis that shows only next to the visitor's previous message, named; None when there is none.

    A reply that owns the topic right after a question about it, or a short reply right after a crisis
    message (the chat keeps the crisis text first):

    >>> from bot.guards.rules import load_rules
    >>> r = load_rules().crisis
    >>> crisis_in_context("because i have them every day", "Can ketamine help with suicidal thoughts?", r)
    'disclosure_after_topic'
    >>> crisis_in_context("yeah i meant it literally", "i want to disappear forever lol", r)
    'reply_after_crisis'
    >>> crisis_in_context("because i have them every day", "Does ketamine cause headaches?", r) is None
    True
    """
    if not previous:
        return None
    prior = fold(previous)
    if rules.topic.search(prior) and rules.disclosure_after_topic.search(fold(text)):
        return "disclosure_after_topic"
    if len(text.split()) <= REPLY_WORDS and lexicon_hits(previous, rules):
        return "reply_after_crisis"
    return None


def check_crisis(text: str, query_vec: np.ndarray | None, rules: CrisisRules,
                 vectors: ExemplarVectors | None, previous: str | None = None,
                 variants: tuple[str, ...] = ()) -> GuardVerdict:
    """`previous`: the visitor's message before this one, in a chat (see crisis_in_context). `variants`:
    other readings of the message (invisible characters read as spaces, from validation)."""
    folded = fold(text)
    hits = lexicon_hits(text, rules, variants)
    if not hits and (in_context := crisis_in_context(text, previous, rules)):
        hits = [in_context]
    personal = bool(rules.personal.search(folded))
    similar, detail = False, {}
    if query_vec is not None and vectors is not None:
        best, contrast = nearest(query_vec, vectors.crisis), nearest(query_vec, vectors.contrast)
        close = best >= rules.threshold and best - contrast >= rules.margin
        similar = close and personal
        detail = {"similarity": round(best, 3), "contrast": round(contrast, 3), "close": close,
                  "concern": personal and best >= rules.concern}
    fired = bool(hits)  # similarity alone is not certain: `grade` makes it a check-in
    topic = not fired and (bool(rules.topic.search(folded)) or bool(detail.get("close")))
    reason = ("lexicon: " + ", ".join(hits)) if hits else ("similar to crisis exemplars" if similar else
                                                           "suicide topic" if topic else "none")
    return GuardVerdict(name=NAME, fired=fired, kind="crisis" if fired else None, reason=reason,
                        detail={"matched": hits, "personal": personal, "topic": topic, "similar": similar, **detail})


Level = str  # "crisis" | "check_in" | "concern" | "none"


def grade(verdict: GuardVerdict, score: float | None, bars: dict[str, float] | None, safe: bool = False,
          to_the_bot: bool = False) -> Level:
    """The graded response to one message: the lexicon (or the context) is certain; exemplar similarity and
    the learned detector's score are uncertain and can only add (a check-in; the crisis text only for a very
    high score). `safe`: the visitor said they are safe after a check-in, so the uncertain band gets the answer
    with the 988 line instead of a second check-in; a crisis stays a crisis. `to_the_bot`: a question about the
    bot or an instruction to it (its lexicons fired): the uncertain signals then add only the 988 line, since
    what they learned from says nothing about such messages.

    >>> v = GuardVerdict(name="crisis", fired=False)
    >>> bars = {"crisis": 0.95, "check_in": 0.6, "concern": 0.3}
    >>> [grade(v, s, bars) for s in (0.97, 0.7, 0.4, 0.1)]
    ['crisis', 'check_in', 'concern', 'none']
    >>> grade(v, 0.7, bars, safe=True), grade(v.model_copy(update={"fired": True}), 0.0, bars, safe=True)
    ('concern', 'crisis')
    >>> grade(v, 0.97, bars, to_the_bot=True)
    'concern'
    >>> grade(v.model_copy(update={"detail": {"similar": True}}), 0.1, bars)
    'check_in'
    """
    if verdict.fired:
        return "crisis"
    high = score is not None and bool(bars) and score >= bars["crisis"]
    if verdict.detail.get("similar") or (score is not None and bars and score >= bars["check_in"]):
        if to_the_bot or (safe and not high):
            return "concern"
        return "crisis" if high else "check_in"
    if (score is not None and bars and score >= bars["concern"]) or verdict.detail.get("concern"):
        return "concern"
    return "none"
