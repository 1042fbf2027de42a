"""Follow-up questions in a chat: "does it work?" right after "What is ketamine-assisted psychotherapy?".

Pure. When a short question that leans on a pronoun finds nothing relevant on its own, the pipeline
retrieves again on it joined to the visitor's previous question, so "it" finds what the visitor meant.
A question that works alone ("is it addictive?") is never changed by what came before. Only retrieval
and evidence selection see the joined text: every guard still reads the new message alone.

>>> follow_on("does it work?", "What is ketamine-assisted psychotherapy?")
'What is ketamine-assisted psychotherapy? does it work?'
>>> follow_on("What are the side effects of ketamine?", "What is KAP?") is None
True
>>> follow_on("does it work?", None) is None
True
"""
from __future__ import annotations

import re

LEANS_ON = re.compile(r"\b(it|its|it's|this|that|they|them|these|those|one)\b", re.IGNORECASE)
MAX_FOLLOW_UP_WORDS = 12  # a longer question carries its own subject


def follow_on(question: str, previous: str | None) -> str | None:
    """The text to retrieve on when `question` leans on `previous`; None when it stands alone."""
    if not previous or not previous.strip():
        return None
    if len(question.split()) > MAX_FOLLOW_UP_WORDS or not LEANS_ON.search(question):
        return None
    return f"{previous.strip()} {question.strip()}"
