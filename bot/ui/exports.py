"""The review queue as a CSV download, served by the staff console alone and only to a signed-in user.

The file is made on request and never written to disk: nothing is handed to Gradio (which would copy it
to a cache folder the visitor chat serves too), and nothing is left behind. Exports that earlier
versions wrote to data/exports/ are deleted when the console starts.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from bot.ui.feedback import FeedbackStore

log = logging.getLogger(__name__)

EXPORT_PATH = "/export.csv"
LEGACY_DIR = "exports"  # where earlier versions left CSV files


def export_filename(now: datetime | None = None) -> str:
    """
    >>> export_filename(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    'feedback-20260102-030405.csv'
    """
    return f"feedback-{(now or datetime.now(timezone.utc)):%Y%m%d-%H%M%S}.csv"


def purge_legacy_exports(data_dir: Path) -> int:
    """Delete CSV exports earlier versions kept on disk; returns how many were removed."""
    folder = Path(data_dir) / LEGACY_DIR
    removed = 0
    for old in folder.glob("feedback-*.csv") if folder.is_dir() else ():
        old.unlink(missing_ok=True)
        removed += 1
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return removed


def export_router(store: FeedbackStore, current_user: Callable[[Request], str | None]) -> APIRouter:
    router = APIRouter()

    @router.get(EXPORT_PATH, include_in_schema=False)
    async def export(request: Request) -> Response:
        user = current_user(request)
        if user is None:
            return PlainTextResponse("Sign in to the staff console first.", status_code=401)
        body = await anyio.to_thread.run_sync(store.export_csv)
        log.info("review queue exported by %r", user)
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{export_filename()}"', "Cache-Control": "no-store"})

    return router
