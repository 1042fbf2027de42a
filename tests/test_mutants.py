"""scripts/mutants.py: every named mutation still finds its target line exactly once, so that a refactor of the
code it patches fails here, in `make test`, and not only later in `make mutants`."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bot.config import ROOT

_spec = importlib.util.spec_from_file_location("mutants", ROOT / "scripts" / "mutants.py")
mutants = sys.modules["mutants"] = importlib.util.module_from_spec(_spec)  # dataclasses look their module up
_spec.loader.exec_module(mutants)  # type: ignore[union-attr]


@pytest.mark.parametrize("mutation", mutants.MUTATIONS, ids=lambda m: m.name)
def test_each_mutation_finds_its_target_once(mutation):
    assert mutants.target_count(mutation, ROOT) == 1, f"update scripts/mutants.py: {mutation.name}"
    for test in mutation.tests:
        assert (ROOT / test.split("::")[0]).is_file(), test


def test_a_missing_target_fails_loudly(tmp_path: Path):
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "x.py").write_text("a = 1\na = 1\n", encoding="utf-8")
    with pytest.raises(mutants.TargetMissing, match="found 2 times"):
        mutants.apply(mutants.Mutation("twice", "bot/x.py", "a = 1", "a = 2"), tmp_path)
    with pytest.raises(mutants.TargetMissing, match="found 0 times"):
        mutants.apply(mutants.Mutation("absent", "bot/y.py", "a = 1", "a = 2"), tmp_path)
