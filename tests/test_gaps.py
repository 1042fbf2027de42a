"""Gaps: what went wrong per logged turn, clustering by meaning, the log window."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np

from bot import gaps
from bot.ui.feedback import Item
from tests.fakes import FakeEmbedder


def test_reason_of_each_kind():
    assert gaps.reason_of({"kind": "no_answer", "flags": []}) == "no_answer"
    assert gaps.reason_of({"kind": "needs_clinician", "flags": ["medical_advice"]}) == "referral"
    assert gaps.reason_of({"kind": "crisis", "flags": ["crisis", "check_in"]}) == "check_in"
    for record in ({"kind": "crisis", "flags": ["crisis"]}, {"kind": "answered"}, {"kind": "invalid_input"}, {}):
        assert gaps.reason_of(record) is None


def test_paraphrases_cluster_together_and_the_biggest_cluster_comes_first():
    questions = ["what is a k-hole", "what is the k-hole", "k-hole what is it", "do you take insurance",
                 "what is a k-hole"]
    records = [gaps.GapRecord(q, "no_answer", "2026-11-30T10:00:00Z") for q in questions]
    found = gaps.cluster(records, FakeEmbedder().embed_batch(questions), threshold=0.6)
    assert [c.size for c in found] == [4, 1]
    assert found[0].examples == ["what is a k-hole", "what is the k-hole", "k-hole what is it"]
    assert found[0].per_week == {"2026-W49": 4}


def test_reasons_are_never_mixed_in_one_cluster():
    records = [gaps.GapRecord("same words", "no_answer", "2026-11-30T10:00:00Z"),
               gaps.GapRecord("same words", "thumbs_down", "2026-11-30T10:00:00Z")]
    found = gaps.cluster(records, np.ones((2, 4)) / 2)
    assert sorted(c.reason for c in found) == ["no_answer", "thumbs_down"]


def test_the_log_is_read_within_the_window_and_bad_lines_are_skipped(tmp_path):
    log = tmp_path / "questions.jsonl"
    lines = [{"question": "old one", "kind": "no_answer", "flags": [], "at": "2026-09-01T00:00:00Z"},
             {"question": "recent", "kind": "no_answer", "flags": [], "at": "2026-11-29T00:00:00Z"},
             {"question": "answered", "kind": "answered", "flags": [], "at": "2026-11-29T00:00:00Z"}]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert gaps.read_log(log, now) == [gaps.GapRecord("recent", "no_answer", "2026-11-29T00:00:00Z")]
    assert gaps.read_log(tmp_path / "absent.jsonl", now) == []


def test_thumbs_down_from_the_feedback_queue():
    items = [Item(1, "2026-11-29T00:00:00Z", -1, "answered", "is it safe", "a", "[]", "", False, None),
             Item(2, "2026-11-29T00:00:00Z", 1, "answered", "liked it", "a", "[]", "", False, None)]
    assert gaps.thumbs_down(items, datetime(2026, 11, 30, tzinfo=timezone.utc)) == [
        gaps.GapRecord("is it safe", "thumbs_down", "2026-11-29T00:00:00Z")]
