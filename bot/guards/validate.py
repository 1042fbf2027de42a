"""Validation: the first input guard. Anything that is not a readable question ends here, kindly.

>>> validate("  Is   ketamine safe? ")[1]
'Is ketamine safe?'
>>> validate("?!?!")[0].detail["message_key"]
'invalid_no_words'
>>> validate("<script>alert(1)</script>")[0].reason, validate("<b>is ketamine safe?</b>")[1]
('no_words', '<b>is ketamine safe?</b>')
>>> validate(b"is ketamine safe?")[0].reason
'binary'
"""
from __future__ import annotations

import re
import unicodedata

from bot.config import MAX_QUESTION_CHARS
from bot.models import GuardVerdict

NAME = "validate"
HARD_LIMIT_FACTOR = 20  # raw input longer than this many times the limit is refused before normalising
MESSAGE_KEYS = {
    "empty": "invalid_empty",
    "too_long": "invalid_too_long",
    "binary": "invalid_binary",
    "no_words": "invalid_no_words",
}
# Control characters other than ordinary whitespace, lone surrogates, and the replacement character
# left behind by a failed decoding: signs of binary data, not of a typed question.
_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd\ufffe\uffff]")
# Invisible characters: every format character (Unicode category Cf: zero-width spaces and joiners,
# bidirectional marks, word joiner, BOM, soft hyphen, tag characters) and the blank "letters" (Hangul
# fillers, Mongolian vowel separator). They hide words from the guards ("I\u200bwant\u200bto\u200bdie").
_BLANK_LETTERS = frozenset("\u115f\u1160\u180e\u3164\uffa0")
# Markup, removed only to decide whether any words are left: script/style elements with their content,
# then any tag. "<b>is ketamine safe?</b>" keeps its words; "<script>alert(1)</script>" has none.
_MARKUP = re.compile(r"<\s*(script|style)\b[^>]*>.*?(<\s*/\s*\1\s*>|$)|</?[a-zA-Z!][^<>]*>", re.IGNORECASE | re.DOTALL)


def _invalid(reason: str, text: str = "") -> tuple[GuardVerdict, str]:
    verdict = GuardVerdict(name=NAME, fired=True, kind="invalid_input", reason=reason,
                           detail={"message_key": MESSAGE_KEYS[reason]})
    return verdict, text


def validate(question: object, max_chars: int = MAX_QUESTION_CHARS) -> tuple[GuardVerdict, str]:
    """(verdict named "validate", normalised text). Only a str is a question: None is "empty", anything
    else (bytes included) is "binary". Normalising: NFKC, invisible characters dropped, whitespace
    collapsed. Markup stays as text (the UI escapes it), but markup with no words outside its tags is
    "no_words"; any language is valid. When invalid, the text is what can safely be shown in a trace
    (control characters removed, cut to `max_chars`), or "" when there is nothing."""
    if question is None:
        return _invalid("empty")
    if not isinstance(question, str):
        return _invalid("binary")
    text = question
    if len(text) > max_chars * HARD_LIMIT_FACTOR:
        return _invalid("too_long", _normalise(text[:max_chars]))
    if _BAD.search(text):
        return _invalid("binary", _normalise(_BAD.sub("", text))[:max_chars])
    text = _normalise(text)
    if not text:
        return _invalid("empty")
    if len(text) > max_chars:
        return _invalid("too_long", text[:max_chars])
    if not any(unicodedata.category(ch).startswith("L") for ch in _MARKUP.sub(" ", text)):
        return _invalid("no_words", text)
    return GuardVerdict(name=NAME, fired=False, reason="ok", detail={"chars": len(text)}), text


def _invisible(ch: str) -> bool:
    return ch in _BLANK_LETTERS or unicodedata.category(ch) == "Cf"


def _normalise(text: str, invisible_as: str = "") -> str:
    text = unicodedata.normalize("NFKC", text)
    return " ".join("".join(invisible_as if _invisible(ch) else ch for ch in text).split())


def spaced_reading(question: str) -> str | None:
    """The question with invisible characters read as spaces, when it had any: the guards read it too, since
    "I\u200bwant\u200bto\u200bdie" hides its words whether the characters stand between words or inside one.

    >>> spaced_reading("I\u200bwant\u200bto\u200bdie"), spaced_reading("no invisible characters") is None
    ('I want to die', True)
    """
    spaced = _normalise(question, " ")
    return spaced if spaced != _normalise(question) else None
