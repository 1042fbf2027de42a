"""The "In context" passage under a footnote, held to the same filter as answers: a sentence the output
guard would never quote (an overclaim, a dose, an FDA misstatement) is left out and its place marked.

>>> blocked = lambda s: "miracle" in s
>>> segments("One. It is a miracle.  Two\\nthree. Four.", "Two three.", blocked)
[('text', 'One.'), ('withheld', ''), ('quote', 'Two three.'), ('text', 'Four.')]
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Literal

from bot.corpus import sentence_spans

Blocked = Callable[[str], bool]
Segment = tuple[Literal["text", "quote", "unplaced", "withheld"], str]


def never(_: str) -> bool:
    return False


@lru_cache(maxsize=1)
def output_guard_filter() -> Blocked:
    """True for a sentence bot.guards.output would drop from an answer (its rules loaded once)."""
    from bot.guards.output import problems
    from bot.guards.rules import load_rules

    rules = load_rules()
    return lambda sentence: any(problems(sentence, rules).values())


def _sentences(text: str, blocked: Blocked) -> list[Segment]:
    """Sentences of text; a run of blocked ones becomes one `withheld` mark, their words dropped."""
    out: list[Segment] = []
    for start, end in sentence_spans(text, 0, len(text)):
        sentence = text[start:end]
        if not blocked(sentence):
            out.append(("text", sentence))
        elif not out or out[-1][0] != "withheld":
            out.append(("withheld", ""))
    return out


def segments(passage: str, quote: str, blocked: Blocked = never) -> list[Segment]:
    """The passage around the quote, whitespace normalised. A quote not found in it follows it ("unplaced")."""
    flat, q = " ".join(passage.split()), " ".join(quote.split())
    at = flat.find(q) if q else -1
    if at < 0:
        return _sentences(flat, blocked) + [("unplaced", q)]
    return _sentences(flat[:at], blocked) + [("quote", q)] + _sentences(flat[at + len(q):], blocked)
