"""Language guard: the corpus, the templates and the embedding model are English-only.

A question in another language would be answered with sentences chosen almost at random, so it gets
a fixed notice in English and Spanish with the 988 line instead. It runs after the crisis guard, whose
lexicon reads Spanish, so a visitor in crisis is never turned away by it. Word lists: bot/data/language.yaml.

>>> from bot.guards.rules import load_rules
>>> rules = load_rules().language
>>> check_language("¿La ketamina es segura?", rules).fired
True
>>> check_language("Is ketamine safe?", rules).fired, check_language("ketamine side effects", rules).fired
(False, False)
"""
from __future__ import annotations

import re
import unicodedata

from bot.guards.rules import LanguageRules, fold
from bot.models import GuardVerdict

NAME = "language"
_WORD = re.compile(r"[a-z]+")


def check_language(text: str, rules: LanguageRules) -> GuardVerdict:
    letters = [c for c in text if c.isalpha()]
    non_latin = sum(not unicodedata.name(c, "").startswith("LATIN") for c in letters) / max(len(letters), 1)
    words = _WORD.findall(fold(text))
    english = sum(w in rules.english for w in words)
    other = {name: sum(w in vocabulary for w in words) for name, vocabulary in rules.other.items()}
    likeliest = max(other, key=other.__getitem__, default="")
    foreign = sum(any(w in vocabulary for vocabulary in rules.other.values()) for w in words)
    detail: dict[str, object] = {"english_words": english, "other_words": foreign,
                                 "non_latin_share": round(non_latin, 2)}
    if non_latin > rules.non_latin_share:
        reason = "mostly non-Latin script"
    elif foreign > english:
        reason = f"more common words of another language ({likeliest}) than of English"
    else:
        reason = ""
    fired = bool(reason)
    return GuardVerdict(name=NAME, fired=fired, kind="out_of_scope" if fired else None,
                        reason=reason or "English", detail=detail)
