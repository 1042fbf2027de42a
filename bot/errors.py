"""A small exception hierarchy. Exceptions become friendly text only at the edges (CLI, UI)."""


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class CorpusError(BotError):
    """A corpus document is missing, unreadable, or has missing or malformed metadata."""


class IndexMissing(BotError):
    """No usable index: not built, stale, empty, or built with another model."""
