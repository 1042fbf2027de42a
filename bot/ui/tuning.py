"""Process settings for serving the pages, applied by app.py before Gradio or torch is imported.

Each was measured with scripts/load.py (50 sessions on the 2-core reference machine); every one
yields to a value already set in the environment.
"""
from __future__ import annotations

import os
import sys

from bot.embed import offline_environment

ENVIRONMENT = {
    # Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a
    # monitoring dashboard these pages do not use: CPU and memory that grew with traffic.
    "GRADIO_ANALYTICS_MAX_EVENTS": "200",
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": "200",
    # Answers run side by side (settings.concurrency): one math thread each beats threads fighting
    # over two cores (17 ms of CPU per answer instead of 27).
    "OMP_NUM_THREADS": "1",
}
MALLOC_ARENAS = 2  # glibc's default (8 per core) lets each of Gradio's worker threads keep its own heap
M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def tune_process() -> None:
    """Offline, analytics off, the settings above, and capped malloc arenas."""
    offline_environment()
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    limit_malloc_arenas()


def limit_malloc_arenas() -> None:
    """As MALLOC_ARENA_MAX=2 would: under load, memory levels off after the first minute (735 → 753 →
    755 → 757 → 758 MB per minute) instead of creeping up for seven (737 → … → 818 MB)."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass
