"""YAML read through libyaml's parser when PyYAML was built with it: the same documents, about ten times
faster (the corpus's cards and front matter, the guard data and the evaluation cases are read by every
index build, bot load and evaluation).

    >>> safe_load("a: [1, two]")
    {'a': [1, 'two']}
"""
from __future__ import annotations

from typing import Any

import yaml

_FAST = getattr(yaml, "CSafeLoader", None)


def safe_load(text: str) -> Any:
    """yaml.safe_load, faster. A document libyaml refuses is read again by PyYAML's own parser, so the
    error raised is the one it gives (with the offending line shown)."""
    if _FAST is not None:
        try:
            return yaml.load(text, Loader=_FAST)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)
