"""The question inside a message that carries context around it.

Patients write context before or after what they ask ("i have had fibromyalgia for 15 years, tried cymbalta,
lyrica ... so what exactly is ketamine assisted psychotherapy?"; "any long term risks? heard something about
bladder problems"). The one embedding of the whole message leans toward the context, so the card that answers
the question can be missed. The pipeline matches the cards again on the part found here when the whole message
matched none (bot/pipeline.py); the guards have already read the whole message. Pure.
"""
from __future__ import annotations

import re

# Not bot/corpus.py's sentence end, which wants a capital next: visitors often type in lower case.
SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# "I read it can damage the bladder. is that true?": cut from its context, a part that points back asks something
# else. Narrower than bot/followup.py's LEANS_ON on purpose: "is it addictive?" means ketamine on this site.
POINTS_BACK = re.compile(r"\b(?:that|this|these|those)\b", re.IGNORECASE)
MIN_WORDS = 3  # "why?" or "is it?" alone leans on the context it would be cut from
MAX_SHARE = 0.8  # a part nearly as long as the message would be matched the same as the whole


def question_part(text: str) -> str | None:
    """The message's question sentences (those ending in "?", else its last sentence), when the message has
    more than one sentence, they are a clearly smaller part of it and they do not point back at the rest ("is
    that true?"); None otherwise."""
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s]
    if len(sentences) < 2:
        return None
    asked = [s for s in sentences if s.rstrip().endswith("?")]
    part = " ".join(asked) if asked else sentences[-1]
    if len(part.split()) < MIN_WORDS or len(part) >= MAX_SHARE * len(text.strip()) or POINTS_BACK.search(part):
        return None
    return part
