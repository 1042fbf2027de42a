"""The seam between the pages and the pipeline: a lazily loaded, swappable bot, and one call that always
returns a Turn (a failure becomes the reviewed error template, never a traceback).

A page takes the bot once per request (`bot = get_bot()`) and uses that object to the end of the request,
so `LazyBot.swap()` (a publish from the staff console) never changes a bot under a request in flight: the
request finishes on the bot it started with, and the next one gets the new bot."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Mapping, Protocol

from bot.config import Settings
from bot.models import Turn

log = logging.getLogger(__name__)

FALLBACK_ERROR = "Sorry, something went wrong on our side and I can't answer right now."


class BotLike(Protocol):
    """What the pages use of bot.pipeline.Bot (tests pass a fake)."""

    settings: Settings
    templates: dict[str, str]

    @property
    def docs(self) -> Mapping[str, Any]: ...

    def answer(self, question: object, previous: str | None = None, safe: bool = False) -> Turn: ...

    def chunk_text(self, chunk_id: str) -> str: ...


class LazyBot:
    """Loads the bot on first use, once, whichever thread asks first; `swap` replaces it atomically."""

    def __init__(self, load: Callable[[], BotLike]) -> None:
        self._load = load
        self._bot: BotLike | None = None
        self._lock = threading.Lock()

    def __call__(self) -> BotLike:
        if self._bot is None:
            with self._lock:
                if self._bot is None:
                    self._bot = self._load()
        return self._bot

    @property
    def loaded(self) -> bool:
        return self._bot is not None

    def swap(self, bot: BotLike) -> BotLike | None:
        """Serve `bot` from the next request on (one reference assignment); returns the bot it replaced."""
        with self._lock:
            old, self._bot = self._bot, bot
        return old


def ask(bot: BotLike, question: str, previous: str | None = None, safe: bool = False) -> Turn:
    """bot.answer, with any unexpected failure turned into the error template. `safe`: the visitor answered
    a check-in with "I'm safe — show me the answer"."""
    try:
        return bot.answer(question, previous, safe=safe)
    except Exception:  # the visitor sees the reviewed error text; staff see the log
        log.exception("bot.answer failed")
        text = getattr(bot, "templates", {}).get("error", FALLBACK_ERROR)
        return Turn(question=question, kind="no_answer", answer=text, flags=["error"])


def real_bot_loader(settings: Settings) -> Callable[[], BotLike]:
    """Bot.load for these settings (imported late: the model and index are heavy)."""

    def load() -> BotLike:
        from bot.pipeline import Bot

        return Bot.load(settings)

    return load

