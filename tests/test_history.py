"""The change history: append-only JSONL, 0600, every field a record promises, rollback order."""
from __future__ import annotations

import json
import stat

from bot.history import Change, GateOutcome, History, rollback_target, unified_diff


def test_records_are_appended_with_who_when_which_file_diff_build_and_gates(tmp_path):
    history = History(tmp_path / "data")
    gate = GateOutcome(name="crisis recall", ok=True, value="100.0%")
    first = history.append(Change(id="1", user="dr-a", action="publish", path="faq/k-hole.yaml", before=None,
                                  after="id: k-hole\n", diff=unified_diff(None, "id: k-hole\n", "faq/k-hole.yaml"),
                                  build="b2", previous_build="b1", gates=[gate], swap_ms=3.2))
    history.append(Change(id="2", user="dr-b", action="refused", path="faq/k-hole.yaml", gates=[
        GateOutcome(name="no card question gets a crisis reply or check-in", ok=False, blocking=True, failing=["card question 'x'"])]))
    records = history.records()
    assert [r.id for r in records] == ["1", "2"] and records[0] == first
    assert records[0].at.endswith("Z") and records[0].user == "dr-a" and records[0].build == "b2"
    assert records[0].diff.startswith("--- /dev/null\n+++ b/faq/k-hole.yaml") and "+id: k-hole" in records[0].diff
    assert not records[1].passed and records[1].gates[0].blocking
    assert stat.S_IMODE((tmp_path / "data" / "history.jsonl").stat().st_mode) == 0o600
    lines = (tmp_path / "data" / "history.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["previous_build"] == "b1"


def test_a_torn_line_is_skipped_not_fatal(tmp_path):
    history = History(tmp_path)
    history.append(Change(id="1", user="u", action="publish", path="f"))
    with open(tmp_path / "history.jsonl", "a") as fh:
        fh.write('{"id": "2", "us')
    assert [r.id for r in history.records()] == ["1"] and history.get("1") is not None


def test_rollback_undoes_publishes_newest_first_and_skips_refusals():
    pub = lambda i: Change(id=i, user="u", action="publish", path="f")  # noqa: E731
    records = [pub("1"), pub("2"), Change(id="3", user="u", action="refused", path="f")]
    assert rollback_target(records).id == "2"
    records.append(Change(id="4", user="u", action="rollback", path="f", reverts="2"))
    assert rollback_target(records).id == "1"
    records.append(Change(id="5", user="u", action="rollback", path="f", reverts="1"))
    assert rollback_target(records) is None
