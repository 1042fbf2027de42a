"""The review-queue download: signed-in only, made on request, nothing left on disk."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.ui.exports import EXPORT_PATH, export_router, purge_legacy_exports
from bot.ui.feedback import FeedbackStore


def test_download_needs_a_signed_in_user(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data")
    store.add(-1, "=cmd|' /C calc'!A0", "an answer", "answered")
    app = FastAPI()
    app.include_router(export_router(store, lambda r: r.headers.get("x-user")))
    client = TestClient(app)
    assert client.get(EXPORT_PATH).status_code == 401
    reply = client.get(EXPORT_PATH, headers={"x-user": "staff"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["cache-control"] == "no-store" and "'=cmd" in reply.text  # the formula defused
    assert list(tmp_path.rglob("*.csv")) == []


def test_legacy_exports_are_purged(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("feedback-20250101-000000.csv", "feedback-20250102-000000.csv"):
        (folder / name).write_text("visitor text")
    assert purge_legacy_exports(tmp_path) == 2 and not folder.exists()
    assert purge_legacy_exports(tmp_path) == 0  # nothing there: nothing to do
    kept = tmp_path / "exports" / "notes.txt"
    kept.parent.mkdir()
    kept.write_text("x")
    purge_legacy_exports(tmp_path)
    assert kept.exists()  # only exports are removed


