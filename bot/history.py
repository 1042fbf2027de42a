"""The history of every change made from the staff console: one JSON line per change, appended to
`history.jsonl` in the data directory (created 0600, as bot/privacy does; never rewritten).

A record says who changed which corpus file and when, with the file's text before and after and their
diff, which index build the change produced and which build it replaced, and the gate results. A refused
publish is recorded too (with the gates that refused it), and so is a rollback (`reverts`: the record it
undid). Rollback undoes publishes newest first, like a stack:

    >>> a, b = Change(id="1", user="u", action="publish", path="f"), Change(id="2", user="u", action="publish", path="f")
    >>> rollback_target([a, b]).id, rollback_target([a, b, Change(id="3", user="u", action="rollback", path="f", reverts="2")]).id
    ('2', '1')
"""
from __future__ import annotations

import difflib
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Sequence

from pydantic import BaseModel, Field

from bot.privacy import open_private

HISTORY_FILE = "history.jsonl"
Action = Literal["publish", "refused", "rollback"]


class GateOutcome(BaseModel):
    """One check a publish ran: did it pass, its figure, the cases (or card questions) behind a failure."""

    name: str
    ok: bool
    value: str = ""
    failing: list[str] = Field(default_factory=list)
    known: list[str] = Field(default_factory=list)  # of `failing`, those that fail on the live build too
    blocking: bool = False  # this result refused the publish


class Change(BaseModel):
    id: str
    at: str = Field(default_factory=lambda: now())
    user: str
    action: Action
    path: str  # the corpus file, relative to the corpus directory
    before: str | None = None  # the file's text before (None: the file was new)
    after: str | None = None  # after (None: the file was removed)
    diff: str = ""
    build: str | None = None  # the index build this change made live (None when refused)
    previous_build: str | None = None  # the build live before it
    gates: list[GateOutcome] = Field(default_factory=list)
    message: str = ""
    reverts: str | None = None  # for a rollback: the id of the change it undid
    swap_ms: float | None = None  # files written, index activated and visitor app swapped, in ms

    @property
    def passed(self) -> bool:
        return self.action != "refused"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")


def unified_diff(before: str | None, after: str | None, path: str) -> str:
    """The change as a unified diff (a new file diffs against nothing).

    >>> print(unified_diff("a\\nb\\n", "a\\nc\\n", "faq/x.yaml"), end="")
    --- a/faq/x.yaml
    +++ b/faq/x.yaml
    @@ -1,2 +1,2 @@
     a
    -b
    +c
    """
    old, new = (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{path}" if before is not None else "/dev/null",
                                        f"b/{path}" if after is not None else "/dev/null"))


def rollback_target(records: Sequence[Change]) -> Change | None:
    """The newest publish that no rollback has undone yet, or None."""
    undone = {r.reverts for r in records if r.action == "rollback"}
    return next((r for r in reversed(records) if r.action == "publish" and r.id not in undone), None)


class History:
    """Append-only; safe across the console's worker threads (one process writes it)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / HISTORY_FILE
        self._lock = threading.Lock()

    def append(self, change: Change) -> Change:
        line = change.model_dump_json() + "\n"
        with self._lock, open_private(self.path) as fh:
            fh.write(line)
        return change

    def records(self) -> list[Change]:
        """Oldest first. A line that does not parse (a crash mid-write) is skipped, not fatal."""
        if not self.path.is_file():
            return []
        out = []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            try:
                out.append(Change.model_validate(json.loads(line)))
            except (ValueError, TypeError):
                continue
        return out

    def get(self, change_id: str) -> Change | None:
        return next((r for r in self.records() if r.id == change_id), None)
