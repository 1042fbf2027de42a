"""The files the learned models are kept in (bot/data/*.npz): arrays plus a JSON header, written atomically,
and refused when their feature version is not the code's; and the hash of the data they were fitted on.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "m.npz"
    >>> save(path, {"feature_version": 1, "bar": 0.5}, {"coef": np.ones(2)})
    >>> header, arrays = load(path, 1, "python -m bot train-x")
    >>> header["bar"], arrays["coef"].tolist()
    (0.5, [1.0, 1.0])
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np


def save(path: Path, header: Mapping[str, object], arrays: Mapping[str, np.ndarray]) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays, header=np.frombuffer(json.dumps(dict(header), sort_keys=True).encode(), dtype=np.uint8))
    tmp.replace(path)


def load(path: Path, feature_version: int, command: str) -> tuple[dict, dict[str, np.ndarray]] | None:
    """(header, arrays), or None when there is no file; ValueError, naming the command that refits it, when it
    was written for other features than the code computes."""
    if not path.is_file():
        return None
    with np.load(path) as z:
        header = json.loads(bytes(z["header"]).decode())
        if header.get("feature_version") != feature_version:
            raise ValueError(f"{path.name}: feature version {header.get('feature_version')}, expected "
                             f"{feature_version}; run `{command}`")
        return header, {name: z[name] for name in z.files if name != "header"}


def files_hash(paths: Iterable[Path]) -> str:
    """One hash of the files' names and contents, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
