"""About-the-bot guard: "are you a real person?", "what sources do you use?", "can I talk to a human?".

The corpus cannot answer these, and a visitor deserves a straight answer: a fixed text saying what the
bot is, where its answers come from, and how to reach a person. Pattern: `about_bot` in scope.yaml.

>>> from bot.guards.rules import load_rules
>>> check_about("Are you a real person?", load_rules().scope).fired
True
>>> check_about("Are you open on Saturdays?", load_rules().scope).fired
False
"""
from __future__ import annotations

from bot.guards.rules import ScopeRules, fold
from bot.models import GuardVerdict

NAME = "about_bot"


def check_about(text: str, rules: ScopeRules) -> GuardVerdict:
    fired = bool(rules.about_bot.search(fold(text)))
    return GuardVerdict(name=NAME, fired=fired, kind="out_of_scope" if fired else None,
                        reason="a question about the bot" if fired else "not about the bot", detail={})
