"""Fixed, reviewed texts, loaded from data files and filled with clinic configuration."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


from bot import yamlfile
from bot.config import DATA_DIR, Clinic


@lru_cache(maxsize=8)
def _load(path: Path) -> dict[str, str]:
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if isinstance(v, str)}


def templates(clinic: Clinic, files: tuple[str, ...] = ("templates.yaml", "guard_messages.yaml")) -> dict[str, str]:
    """Every template, filled in. Later files may not redefine a key of an earlier one."""
    out: dict[str, str] = {}
    for name in files:
        path = DATA_DIR / name
        if not path.is_file():
            continue
        for key, text in _load(path).items():
            if key in out:
                raise ValueError(f"template {key!r} defined twice ({name})")
            out[key] = fill(text, clinic)
    return out


class _Keep(dict):
    def __missing__(self, key: str) -> str:  # a placeholder filled later ({topic}) stays as it is
        return "{" + key + "}"


def fill(text: str, clinic: Clinic) -> str:
    return text.format_map(_Keep(clinic_name=clinic.name, contact_line=clinic.contact_line())).strip()
