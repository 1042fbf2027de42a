"""The review queue: visitor feedback on answers, in SQLite under the data directory.

One short-lived connection per call (WAL journal), so the store is safe across Gradio's worker
threads. Questions and comments are redacted before they are written; the database is created 0600
(SQLite gives its journal files the same mode), in a directory only the app's user can enter.
"""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from bot.privacy import private_file
from bot.ui.content import redact

DB_NAME = "feedback.sqlite3"
MAX_COMMENT_CHARS = 1000
MAX_STORED_CHARS = 20_000  # answers are short; this only bounds a malicious payload
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula injection

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    reviewed INTEGER NOT NULL DEFAULT 0,
    reviewed_at TEXT
);
CREATE INDEX IF NOT EXISTS feedback_queue ON feedback (reviewed, rating, created_at);
"""
COLUMNS = ("id", "created_at", "rating", "kind", "question", "answer", "citations", "comment", "reviewed", "reviewed_at")
QUEUE_ORDER = "ORDER BY reviewed ASC, rating ASC, created_at DESC, id DESC"  # unreviewed thumbs-down first


@dataclass(frozen=True)
class Item:
    id: int
    created_at: str
    rating: int  # -1 thumbs down, 1 thumbs up
    kind: str
    question: str
    answer: str
    citations: str  # JSON list of the public citation objects
    comment: str
    reviewed: bool
    reviewed_at: str | None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FeedbackStore:
    """Created lazily: the file and table appear with the first use, not at construction."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_NAME
        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        with self._lock:
            if self._ready:
                return
            private_file(self.path)
            for journal in (self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
                if journal.exists():  # left by an earlier version, perhaps world-readable
                    private_file(journal)
            db = sqlite3.connect(self.path, timeout=10)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
            finally:
                db.close()
            self._ready = True

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one call: committed on success, rolled back on error, always closed."""
        if not self._ready:
            self._ensure()
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, rating: int, question: str, answer: str, kind: str,
            citations: list[dict[str, Any]] | None = None, comment: str = "") -> int:
        """Store one rating; returns its id."""
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, rating, kind, question, answer, citations, comment) VALUES (?,?,?,?,?,?,?)",
                (_now(), _rating(rating), kind[:40], redact(question)[:MAX_STORED_CHARS], answer[:MAX_STORED_CHARS],
                 json.dumps(citations or [], ensure_ascii=False)[:MAX_STORED_CHARS], redact(comment[:MAX_COMMENT_CHARS])))
            return int(cur.lastrowid or 0)

    def rate(self, item_id: int, rating: int) -> None:
        """The visitor changed their mind about the same answer."""
        with self._connect() as db:
            db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (_rating(rating), item_id))

    def delete(self, item_id: int) -> None:
        """The visitor withdrew the rating (clicked the same thumb again); reviewed items stay."""
        with self._connect() as db:
            db.execute("DELETE FROM feedback WHERE id = ? AND reviewed = 0", (item_id,))

    def comment(self, item_id: int, text: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (redact(text.strip()[:MAX_COMMENT_CHARS]), item_id))

    def mark_reviewed(self, item_id: int, reviewed: bool = True) -> bool:
        """True when the item exists."""
        with self._connect() as db:
            cur = db.execute("UPDATE feedback SET reviewed = ?, reviewed_at = ? WHERE id = ?",
                             (int(reviewed), _now() if reviewed else None, item_id))
            return cur.rowcount > 0

    def queue(self, include_reviewed: bool = True, limit: int | None = None) -> list[Item]:
        """Unreviewed first, thumbs down before thumbs up, newest first."""
        where = "" if include_reviewed else "WHERE reviewed = 0"
        sql = f"SELECT {', '.join(COLUMNS)} FROM feedback {where} {QUEUE_ORDER}"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql, params = sql + " LIMIT ?", (limit,)
        with self._connect() as db:
            return [Item(*row[:8], bool(row[8]), row[9]) for row in db.execute(sql, params)]

    def get(self, item_id: int) -> Item | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE id = ?", (item_id,)).fetchone()
        return Item(*row[:8], bool(row[8]), row[9]) if row else None

    def export_csv(self, include_reviewed: bool = True) -> str:
        """The queue as CSV text, in queue order, safe to open in a spreadsheet."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for item in self.queue(include_reviewed):
            writer.writerow([_csv_safe(getattr(item, c)) for c in COLUMNS])
        return out.getvalue()


def _rating(value: int) -> int:
    if value not in (-1, 1):
        raise ValueError(f"rating must be -1 or 1, not {value!r}")
    return value


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe.

    >>> _csv_safe("=HYPERLINK(1)"), _csv_safe(-1), _csv_safe("ok")
    ("'=HYPERLINK(1)", -1, 'ok')
    """
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value
