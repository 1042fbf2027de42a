"""The figures measured apart (evals/apart.py): every held-apart guard set gets its own column."""
from __future__ import annotations

from evals import apart, guards


def _figures(messages: int, recall: float) -> dict:
    return {"messages": messages, "crisis_recall": recall, "988_shown": 1.0, "full_crisis_recall": 0.8,
            "false_crisis": 0.01, "false_check_in": 0.04, "concern_checked_in": 0.7, "advice_recall": 0.9,
            "false_referrals": 0.02}


def test_every_held_apart_guard_file_is_measured():
    names = {p.name for p in guards.HELD_APART}
    assert guards.REDTEAM.name in names and {"guard_families_1.jsonl", "guard_families_2.jsonl"} <= names
    assert all(p.suffix == ".jsonl" and p.name.startswith("guard_") for p in guards.HELD_APART)


def test_the_detection_table_has_a_column_per_held_apart_set():
    left_out = {"recall": 0.97, "988_shown": 0.99, "full_crisis_recall": 0.84, "false_crisis": 0.016,
                "false_check_in": 0.03, "concern_checked_in": 0.86}
    detectors = {"stale": False, "messages": 4962, "batches": ["b1", "b2", "b3"], "precision": {"crisis": 0.9, "advice": 0.95},
                 "crisis": {"left_out": left_out, "training_set": {"recall": 1.0, "false_check_in": 0.006}},
                 "advice": {"left_out": {"recall": 0.97, "false_referrals": 0.028}, "training_set": {"recall": 1.0}}}
    measured = {"detectors": detectors, "held_apart": {"redteam": _figures(272, 0.9035), "families_1": _figures(301, 0.9512)},
                "cards": {}}
    (heading, (header, rows)), _ = apart.rows(measured)
    assert "2 held-apart sets" in heading
    assert header[2:4] == ["redteam (272, held apart)", "families_1 (301, held apart)"]
    recall = next(r for r in rows if r[0].startswith("crisis recall"))
    assert recall[1:4] == ["97.0%", "90.3%", "95.1%"]
