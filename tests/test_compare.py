"""python -m evals.compare: direct answers gained and lost between two runs, per held-apart set, with the
McNemar p-value; counts only."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import compare

SECRET = "a held-apart question nobody may read"


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def row(cid: str, direct: bool | None, heldout: bool = True) -> dict:
    out = {"id": cid, "question": SECRET, "answer": SECRET, "direct": direct}
    return out | ({"heldout": True} if heldout else {})


def test_shifts_count_gains_and_losses_per_set_then_all_held_apart_then_the_suite():
    before = {r["id"]: r for r in [row("pq-1", False), row("pq-2", True), row("pq2-1", True), row("pq2-2", False),
                                   row("ref-1", True, heldout=False)]}
    after = {r["id"]: r for r in [row("pq-1", True), row("pq-2", True), row("pq2-1", False), row("pq2-2", True),
                                  row("ref-1", True, heldout=False)]}
    found = {s.name: s for s in compare.shifts(before, after)}
    assert list(found) == ["pq", "pq2", compare.HELDOUT_ALL, compare.SUITE]
    assert (found["pq"].gained, found["pq"].lost, found["pq"].before, found["pq"].after) == (1, 0, 1, 2)
    assert (found["pq2"].gained, found["pq2"].lost) == (1, 1)
    everything = found[compare.HELDOUT_ALL]
    assert (everything.cases, everything.gained, everything.lost) == (4, 2, 1)
    assert (found[compare.SUITE].cases, found[compare.SUITE].gained) == (1, 0)
    assert found["pq2"].p == pytest.approx(1.0) and everything.p == pytest.approx(1.0)


def test_only_cases_judged_in_both_runs_are_compared(tmp_path):
    before = write(tmp_path / "b.jsonl", [row("pq-1", True), row("pq-2", None), row("pq-3", True)])
    after = write(tmp_path / "a.jsonl", [row("pq-1", False), row("pq-2", True), row("pq-4", True)])
    found = compare.shifts(compare.load(before), compare.load(after))
    assert [(s.name, s.cases, s.lost) for s in found] == [("pq", 1, 1), (compare.HELDOUT_ALL, 1, 1)]


def test_the_command_prints_counts_and_never_a_question(tmp_path, capsys):
    rows_before = [row(f"pq6-{i}", i < 100) for i in range(148)]
    rows_after = [row(f"pq6-{i}", i < 100 or i >= 140) for i in range(148)]
    code = compare.main([str(write(tmp_path / "b.jsonl", rows_before)), str(write(tmp_path / "a.jsonl", rows_after))])
    out = capsys.readouterr().out
    assert code == 0 and SECRET not in out
    line = next(x for x in out.splitlines() if x.startswith("| pq6 "))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == "148" and cells[4:] == ["8", "0", "0.01"]  # 8 gained, none lost: not noise
    assert cells[2].startswith("67.6% (") and cells[3].startswith("73.0% (")


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path, capsys):
    assert compare.main([str(tmp_path / "none.jsonl"), str(tmp_path / "none.jsonl")]) == 2
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "pq-1", "direct": true}\nnot json\n', encoding="utf-8")
    assert compare.main([str(broken), str(broken)]) == 2
    assert "broken.jsonl:2" in capsys.readouterr().err
    listed = tmp_path / "listed.jsonl"
    listed.write_text('[1, 2]\n', encoding="utf-8")  # JSON, but not a result
    assert compare.main([str(listed), str(listed)]) == 2
    assert "listed.jsonl:1" in capsys.readouterr().err
    empty = write(tmp_path / "empty.jsonl", [])
    assert compare.main([str(empty), str(empty)]) == 2
