"""Scope guard: questions outside mental health, ketamine and the clinic.

Out of scope when the message asks for an unrelated task ("write a poem"), or when it has no in-scope
word and either names an unrelated topic or, given the question's embedding, is closer to the
out-of-scope examples than to the in-scope ones by the calibrated margin. Plausible clinic questions
("Do you offer evening appointments?") stay in scope; the pipeline then points to the clinic.

>>> from bot.guards.rules import load_rules
>>> check_scope("What's the weather tomorrow?", None, load_rules().scope, None).fired
True
>>> check_scope("How much does it cost?", None, load_rules().scope, None).fired
False
"""
from __future__ import annotations

import numpy as np

from bot.guards.rules import ExemplarVectors, ScopeRules, fold, nearest
from bot.models import GuardVerdict

NAME = "scope"


def check_scope(text: str, query_vec: np.ndarray | None, rules: ScopeRules,
                vectors: ExemplarVectors | None) -> GuardVerdict:
    folded = fold(text)
    detail: dict[str, object] = {}
    if rules.off_task.search(folded):
        reason = "off-task request"
    elif rules.in_scope.search(folded):
        reason = ""
        detail["in_scope_term"] = True
    elif rules.off_topic.search(folded):
        reason = "off-topic term"
    elif query_vec is not None and vectors is not None:
        out_best, in_best = nearest(query_vec, vectors.scope_out), nearest(query_vec, vectors.scope_in)
        detail.update(out_similarity=round(out_best, 3), in_similarity=round(in_best, 3))
        reason = "closer to out-of-scope examples" if out_best - in_best >= rules.margin else ""
    else:
        reason = ""
    fired = bool(reason)
    return GuardVerdict(name=NAME, fired=fired, kind="out_of_scope" if fired else None,
                        reason=reason or "in scope", detail=detail)
