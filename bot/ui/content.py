"""Reviewed data the interface shows: interface texts (bot/ui/text.yaml) and crisis resources
(bot/data/crisis_resources.yaml). Both are read defensively: a missing or malformed crisis file
falls back to the 988 Lifeline, never to nothing."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import yamlfile
from bot.config import DATA_DIR, Clinic

log = logging.getLogger(__name__)

TEXT_FILE = Path(__file__).resolve().parent / "text.yaml"
CRISIS_FILE = DATA_DIR / "crisis_resources.yaml"


@dataclass(frozen=True)
class Resource:
    """One place to reach help. `how`/`when` are reviewed text shown as written; `call` and `text` are
    dialable numbers (`text_body` the word to send), `url` a web page."""

    name: str
    how: str = ""
    when: str = ""
    call: str | None = None
    text: str | None = None
    text_body: str | None = None
    url: str | None = None


# The one resource the page always names (the issue requires "In crisis? Call or text 988").
LIFELINE = Resource(name="988 Suicide & Crisis Lifeline", how="Call or text 988, any time.",
                    call="988", text="988", url="https://988lifeline.org")


@dataclass(frozen=True)
class UIText:
    strings: dict[str, str]
    examples: tuple[str, ...]

    def __getitem__(self, key: str) -> str:
        return self.strings[key]


def ui_text(clinic: Clinic, path: Path = TEXT_FILE) -> UIText:
    """Interface strings with {clinic_name} filled in.

    >>> ui_text(Clinic(name="Calm Clinic"))["contact_heading"]
    'Contact Calm Clinic'
    """
    raw = _yaml(path)
    strings = {k: v.replace("{clinic_name}", clinic.name).strip() for k, v in raw.items() if isinstance(v, str)}
    examples = tuple(str(e) for e in raw.get("examples", []) if str(e).strip())
    return UIText(strings, examples)


def crisis_resources(path: Path = CRISIS_FILE) -> tuple[Resource, ...]:
    """Resources from the reviewed file, in its order; the 988 Lifeline first if the file lacks it or is unusable.

    Each entry of `resources:` has a `name` and a `how` (and optionally `when`); numbers to call or
    text are taken from explicit `call`/`text`/`url` fields, or else read from `how`.
    """
    try:
        raw = _yaml(path) if path.is_file() else None
    except (OSError, yaml.YAMLError) as exc:
        log.warning("crisis resources unreadable (%s): using the 988 Lifeline only", exc)
        raw = None
    entries = raw.get("resources", []) if isinstance(raw, dict) else raw
    found = [] if not isinstance(entries, list) else [r for r in map(_resource, entries) if r is not None]
    if not any("988" in (r.call, r.text) for r in found):
        found.insert(0, LIFELINE)
    return tuple(found)


CALL_OR_TEXT = re.compile(r"\bcall or text (\d{3,})\b", re.I)
CALL = re.compile(r"\bcall (\d{3,})\b", re.I)
TEXT_WORD = re.compile(r"\b(?i:text) ([A-Z]+) to (\d{3,})\b")
CHAT_AT = re.compile(r"\bchat at ((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.I)


def actions_from(how: str) -> dict[str, str]:
    """Dialable numbers in a reviewed sentence.

    >>> actions_from("Call or text 988, or chat at 988lifeline.org.")
    {'call': '988', 'text': '988', 'url': 'https://988lifeline.org'}
    >>> actions_from("Text HOME to 741741.")
    {'text': '741741', 'text_body': 'HOME'}
    """
    out: dict[str, str] = {}
    if m := CALL_OR_TEXT.search(how):
        out["call"] = out["text"] = m[1]
    elif m := CALL.search(how):
        out["call"] = m[1]
    if "text" not in out and (m := TEXT_WORD.search(how)):
        out["text"], out["text_body"] = m[2], m[1]
    if m := CHAT_AT.search(how):
        out["url"] = "https://" + m[1]
    return out


def _resource(entry: Any) -> Resource | None:
    if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
        return None
    fields = {k: str(entry[k]).strip() for k in ("how", "when", "call", "text", "text_body", "url")
              if entry.get(k) not in (None, "", False)}
    derived = actions_from(fields.get("how", ""))
    for key, value in derived.items():
        fields.setdefault(key, value)
    if not any(k in fields for k in ("how", "call", "text", "url")):
        return None
    return Resource(name=str(entry["name"]).strip(), **fields)


@lru_cache(maxsize=8)
def _yaml_cached(path: Path, mtime: float) -> Any:
    return yamlfile.safe_load(path.read_text(encoding="utf-8"))


def _yaml(path: Path) -> Any:
    data = _yaml_cached(path, path.stat().st_mtime)
    return data if data is not None else {}


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ().-]{7,}\d(?!\w)")


def redact(text: str) -> str:
    """The pipeline's redaction (bot.privacy.redact) when present; else emails and phone numbers masked.

    >>> redact("mail me: a.b@example.org or 555-123-4567")  # doctest: +SKIP
    'mail me: [email] or [phone]'
    """
    try:
        from bot.privacy import redact as pipeline_redact
    except ImportError:
        return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))
    return pipeline_redact(text)
