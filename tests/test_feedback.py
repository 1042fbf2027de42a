"""The review queue store: ordering, redaction, review marks, CSV export, concurrent writers."""
from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import pytest

from bot.ui.feedback import MAX_COMMENT_CHARS, FeedbackStore


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data")


def test_nothing_is_written_until_first_use(tmp_path: Path) -> None:
    s = FeedbackStore(tmp_path / "data")
    assert not s.path.exists()
    s.queue()
    assert s.path.exists()


def test_queue_puts_unreviewed_thumbs_down_first(store: FeedbackStore) -> None:
    up = store.add(1, "q up", "a", "answered")
    down = store.add(-1, "q down", "a", "no_answer")
    down_reviewed = store.add(-1, "q old", "a", "answered")
    store.mark_reviewed(down_reviewed)
    assert [i.id for i in store.queue()] == [down, up, down_reviewed]
    assert [i.id for i in store.queue(include_reviewed=False)] == [down, up]
    assert store.get(down_reviewed).reviewed and store.get(down_reviewed).reviewed_at


def test_rate_comment_delete(store: FeedbackStore) -> None:
    item = store.add(1, "q", "a", "answered", [{"n": 1, "title": "T"}])
    store.rate(item, -1)
    store.comment(item, "  wrong source  " + "x" * (MAX_COMMENT_CHARS * 2))
    got = store.get(item)
    assert got.rating == -1 and got.comment.startswith("wrong source") and len(got.comment) <= MAX_COMMENT_CHARS
    store.delete(item)
    assert store.get(item) is None
    with pytest.raises(ValueError):
        store.add(0, "q", "a", "answered")


def test_reviewed_items_survive_a_withdrawn_rating(store: FeedbackStore) -> None:
    item = store.add(-1, "q", "a", "answered")
    store.mark_reviewed(item)
    store.delete(item)
    assert store.get(item) is not None
    assert store.mark_reviewed(999) is False


def test_question_and_comment_are_redacted(store: FeedbackStore) -> None:
    item = store.add(-1, "I'm jo@example.org", "a", "answered", comment="call 555-123-4567")
    got = store.get(item)
    assert "jo@example.org" not in got.question and "555-123-4567" not in got.comment


@pytest.mark.parametrize("text", ["", "🙂", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", 'quote " and, comma\nnewline'])
def test_csv_export_round_trips_and_defuses_formulas(store: FeedbackStore, text: str) -> None:
    store.add(-1, text or "q", "answer, with comma", "answered", comment=text)
    rows = list(csv.DictReader(io.StringIO(store.export_csv())))
    assert len(rows) == 1 and rows[0]["answer"] == "answer, with comma"
    comment = rows[0]["comment"]
    if text[:1] in ("=", "+", "-", "@"):
        assert comment == "'" + text
    else:
        assert comment == text.strip()


def test_concurrent_writers(store: FeedbackStore) -> None:
    def write(k: int) -> None:
        for i in range(20):
            store.add(1 if i % 2 else -1, f"q{k}-{i}", "a", "answered")

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.queue()) == 160


def test_database_and_journals_only_the_app_user_can_read(tmp_path: Path) -> None:
    import stat

    store = FeedbackStore(tmp_path / "data")
    store.add(1, "q", "a", "answered")
    files = [store.path] + [store.path.with_name(store.path.name + s) for s in ("-wal", "-shm")]
    for path in (f for f in files if f.exists()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
