"""Gaps: what visitors could not get answered, grouped by what went wrong and clustered by meaning, the
biggest clusters first, so the clinic sees what to write next. Pure: records and their vectors in,
clusters out (the console reads the records and embeds them).

A record is a logged visitor question (opt-in, redacted: `questions.jsonl`) or a thumbs-down from the
feedback queue. What went wrong: `no_answer`, a referral (`needs_clinician`), a crisis check-in (kind
"crisis" with flag "check_in"), or a thumbs-down. Crisis replies themselves, refusals of bad input and
out-of-scope questions are the bot working as meant, not gaps.

    >>> import numpy as np
    >>> recs = [GapRecord("what is a k-hole", "no_answer", "2026-11-30T10:00:00Z"),
    ...         GapRecord("what's a k-hole?", "no_answer", "2026-11-23T10:00:00Z"),
    ...         GapRecord("do you take insurance", "referral", "2026-11-30T10:00:00Z")]
    >>> found = cluster(recs, np.array([[1.0, 0], [0.96, 0.28], [0, 1.0]]), threshold=0.8)
    >>> [(c.reason, c.size, c.per_week) for c in found]
    [('no_answer', 2, {'2026-W48': 1, '2026-W49': 1}), ('referral', 1, {'2026-W49': 1})]
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

REASONS = {"no_answer": "no answer", "referral": "referred to the clinic", "check_in": "crisis check-in",
           "thumbs_down": "thumbs down"}
CLUSTER_THRESHOLD = 0.72  # cosine to a cluster's centre: MiniLM paraphrases of one question score ~0.75-0.95
EXAMPLES = 3
WINDOW_DAYS = 28  # "recent": the last four weeks
MAX_RECORDS = 2000  # newest first; older lines of the log are not read
QUESTIONS_LOG = "questions.jsonl"


@dataclass(frozen=True)
class GapRecord:
    question: str  # redacted before it was written
    reason: str  # a key of REASONS
    at: str  # ISO time, UTC


@dataclass
class Cluster:
    reason: str
    records: list[GapRecord] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.records)

    @property
    def per_week(self) -> dict[str, int]:
        """ISO week -> how many, oldest week first."""
        weeks = Counter(week_of(r.at) for r in self.records)
        return dict(sorted(weeks.items()))

    @property
    def questions(self) -> list[str]:
        """Distinct questions, the most asked first (ties: the most recent first)."""
        counts = Counter(r.question for r in self.records)
        latest = {r.question: r.at for r in self.records}
        return sorted(counts, key=lambda q: (-counts[q], _desc(latest[q])))

    @property
    def examples(self) -> list[str]:
        return self.questions[:EXAMPLES]


def _desc(at: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in at)  # sorts a string descending inside an ascending key


def week_of(at: str) -> str:
    """ '2026-11-30T10:00:00Z' -> '2026-W49' (ISO week); an unreadable time -> 'unknown'."""
    try:
        year, week, _ = datetime.fromisoformat(at.replace("Z", "+00:00")).isocalendar()
    except ValueError:
        return "unknown"
    return f"{year}-W{week:02d}"


def reason_of(record: dict) -> str | None:
    """What went wrong in one logged turn, or None when nothing did (an answer, a crisis reply, a refusal)."""
    kind, flags = record.get("kind"), record.get("flags") or []
    if kind == "no_answer":
        return "no_answer"
    if kind == "needs_clinician":
        return "referral"
    if kind == "crisis" and "check_in" in flags:
        return "check_in"
    return None


def cluster(records: Sequence[GapRecord], vectors: np.ndarray, threshold: float = CLUSTER_THRESHOLD) -> list[Cluster]:
    """Within each reason, each distinct question joins the cluster whose centre is closest if that is
    within `threshold`, else starts one; questions are taken most-asked first, so a centre starts as a
    common wording. Clusters come out biggest first."""
    counts = Counter((r.reason, r.question) for r in records)
    first = {}
    for i, r in enumerate(records):
        first.setdefault((r.reason, r.question), i)
    out: list[Cluster] = []
    members: dict[tuple[str, str], int] = {}
    for reason in REASONS:
        keys = sorted((k for k in counts if k[0] == reason), key=lambda k: (-counts[k], first[k]))
        sums: list[np.ndarray] = []
        owners: list[int] = []
        for key in keys:
            vec = vectors[first[key]].astype(np.float64)
            if sums:
                centres = np.stack(sums)
                scores = (centres / np.linalg.norm(centres, axis=1, keepdims=True).clip(1e-12)) @ vec
                best = int(np.argmax(scores))
                if scores[best] >= threshold:
                    sums[best] = sums[best] + vec
                    members[key] = owners[best]
                    continue
            out.append(Cluster(reason))
            sums.append(vec)
            owners.append(len(out) - 1)
            members[key] = len(out) - 1
    for r in records:
        out[members[(r.reason, r.question)]].records.append(r)
    return sorted(out, key=lambda c: (-c.size, list(REASONS).index(c.reason), c.questions[0]))


def read_log(path: Path, now: datetime | None = None, days: int = WINDOW_DAYS, limit: int = MAX_RECORDS) -> list[GapRecord]:
    """The gaps among the newest `limit` lines of the question log within the last `days` days."""
    if not path.is_file():
        return []
    since = ((now or datetime.now(timezone.utc)) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        reason = reason_of(record) if isinstance(record, dict) else None
        question, at = str(record.get("question", "")).strip() if reason else "", str(record.get("at", ""))
        if reason and question and at >= since:
            out.append(GapRecord(question, reason, at))
    return out


def thumbs_down(items: Iterable[object], now: datetime | None = None, days: int = WINDOW_DAYS) -> list[GapRecord]:
    """Thumbs-down items of the feedback queue (bot.ui.feedback.Item) within the last `days` days."""
    since = ((now or datetime.now(timezone.utc)) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [GapRecord(str(i.question), "thumbs_down", str(i.created_at)) for i in items  # type: ignore[attr-defined]
            if getattr(i, "rating", 0) < 0 and str(getattr(i, "created_at", "")) >= since and str(i.question).strip()]  # type: ignore[attr-defined]
