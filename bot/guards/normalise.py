"""What a lexicon reads: the folded message, plus readings with look-alike letters and leetspeak undone.

`fold` is the one matching form every guard uses. The crisis and medical-advice lexicons also read
`matching_forms`, which add the message with letters from other scripts that look Latin folded
(bot/data/confusables.yaml) and digits typed for letters read as letters. Extra readings can only
add a match, never remove one.

>>> fold("I DON’T want to go on… ¿Qué?")
'i dont want to go on... ¿que?'
>>> matching_forms("i w4nt t0 d1e")
('i w4nt t0 d1e', 'i want to die')
>>> matching_forms("і wаnt tо dіе")[-1]  # Cyrillic і, а, о, е
'i want to die'
>>> matching_forms("is 100mg a lot?")
('is 100mg a lot?',)
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot import yamlfile
from bot.config import DATA_DIR

_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_TOKEN = re.compile(r"[^\s.,;:?\"'()\[\]{}<>/\\-]+")
_LETTER = re.compile(r"[^\W\d_]")


def fold(text: str) -> str:
    """Matching form: lower case, accents and apostrophes removed, whitespace collapsed."""
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower())).translate(_APOSTROPHES)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _maps() -> tuple[dict[int, str], dict[int, str], frozenset[str]]:
    raw = yamlfile.safe_load((DATA_DIR / "confusables.yaml").read_text(encoding="utf-8"))
    letters = {str(k): str(v) for k, v in raw["letters"].items()}
    leet = {str(k): str(v) for k, v in raw["leet"].items()}
    return str.maketrans(letters), str.maketrans(leet), frozenset(letters)


def deconfuse(folded: str) -> str:
    """Look-alike letters of other scripts read as Latin, in words made only of Latin and look-alike letters."""
    table, _, confusable = _maps()

    def word(m: re.Match[str]) -> str:
        w = m.group()
        if all(ch.isascii() or ch in confusable or not ch.isalpha() for ch in w):
            return w.translate(table)
        return w
    return _TOKEN.sub(word, folded)


def unleet(folded: str) -> str:
    """Digits and symbols typed for letters, in a word that has a letter, does not start with a digit (an
    amount does: '100mg') and has only digits that stand for letters: 'k1ll' -> 'kill', 't0' -> 'to',
    'd13' -> 'die', 'su!c!de' -> 'suicide'; '100mg', '2', 'b12' stay."""
    _, table, _ = _maps()

    def word(m: re.Match[str]) -> str:
        w = m.group()
        digits = [ch for ch in w if ch.isdigit()]
        if (_LETTER.search(w) and not w[0].isdigit() and all(d in "0134579" for d in digits)
                and any(ch in w for ch in "0134579@$!|")):
            core = w.rstrip("!")  # a closing "!" is punctuation, not an i
            return core.translate(table) + w[len(core):]
        return w
    return _TOKEN.sub(word, folded)


def matching_forms(text: str, variants: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The folded text and its de-confused, de-leeted readings (and those of `variants`), without repeats."""
    out: dict[str, None] = {}
    for t in (text, *variants):
        folded = fold(t)
        plain = deconfuse(folded)
        for form in (folded, plain, unleet(plain)):
            out.setdefault(form, None)
    return tuple(out)
