"""Evidence-grounded FAQ bot for ketamine-assisted psychotherapy clinics.

`from bot import answer` → `answer("Is ketamine safe?")` returns a `Turn` (see bot/models.py).
Nothing heavy happens at import time: the model and index load on the first answer.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import Turn

__all__ = ["answer"]


def answer(question: object) -> "Turn":
    from bot.pipeline import answer as _answer

    return _answer(question)
