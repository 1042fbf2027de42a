"""bot/weights.py: the learned models' files (arrays and a JSON header) and the hash of their training data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot import weights


def test_written_atomically_read_back_and_refused_for_other_features(tmp_path: Path):
    path = tmp_path / "m.npz"
    weights.save(path, {"feature_version": 2, "meta": {"model": "x"}}, {"a": np.arange(3.0), "b": np.eye(2)})
    header, arrays = weights.load(path, 2, "python -m bot train-x")
    assert header["meta"] == {"model": "x"} and arrays["a"].tolist() == [0.0, 1.0, 2.0] and set(arrays) == {"a", "b"}
    assert not list(tmp_path.glob("*.tmp.npz"))
    with pytest.raises(ValueError, match=r"feature version 2, expected 3; run `python -m bot train-x`"):
        weights.load(path, 3, "python -m bot train-x")
    assert weights.load(tmp_path / "missing.npz", 2, "c") is None


def test_the_data_hash_changes_with_a_file_name_or_content(tmp_path: Path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("one", encoding="utf-8")
    b.write_text("two", encoding="utf-8")
    first = weights.files_hash([a, b])
    assert weights.files_hash([a, b]) == first and weights.files_hash([b, a]) != first
    b.write_text("two!", encoding="utf-8")
    assert weights.files_hash([a, b]) != first
