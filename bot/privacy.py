"""Redaction of personal details before anything a visitor typed is written (staff logs, feedback).

Visitor messages are not stored unless staff switch logging on, and nothing leaves the machine.
Redaction errs on the side of removing too much.

>>> redact("Hi, I'm Maria Lopez, born 03/14/1985. Call 555-123-4567 or maria@example.com")
"Hi, I'm [NAME], born [DATE]. Call [PHONE] or [EMAIL]"
"""
from __future__ import annotations

import re

_MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_STREET = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
           r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Trail|Trl|Square|Sq|Loop|Row|Pike|Alley)\.?")
_NAME_WORD = r"[A-Z][a-z'’-]+"
# Capitalised words after "I'm" that are not names ("I'm Sorry", "I'm Not sure").
_NOT_NAMES = frozenset("""sorry not so very really just still also always never currently going trying looking
wondering worried scared afraid interested feeling depressed anxious new here back ok okay fine good tired sure
curious thinking considering pregnant on in at a an the suicidal done unsure confused glad happy sad""".split())

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
ADDRESS = re.compile(
    rf"\b\d{{1,6}}\s+(?:[A-Z0-9][\w'’.-]*\s+){{1,4}}{_STREET}(?:\s*,?\s*(?:Apt|Apartment|Unit|Suite|Ste|#)\.?\s*[\w-]+)?"
    rf"(?:\s*,\s*[A-Z][a-zA-Z.'-]+(?:\s[A-Z][a-zA-Z.'-]+){{0,2}}(?:,?\s*[A-Z]{{2}})?(?:\s+\d{{5}}(?:-\d{{4}})?)?)?"
    rf"|\bP\.?\s?O\.?\s+Box\s+\d+\b")
DATE = re.compile(
    rf"\b\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    rf"|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}(?:,?\s+\d{{4}})?\b")
PHONE = re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\w-])")
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
NAME_INTRO = re.compile(
    rf"\b((?i:my name is|my name's|name:|this is|call me|i am|i'm|i’m|im|signed,?)\s+(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+)?)({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})")
NAME_LOWER = re.compile(r"\b((?i:my name is|my name's)\s+)([a-z][a-z'’-]+(?:\s+[a-z][a-z'’-]+)?)\b")


def _name(match: re.Match[str]) -> str:
    intro, name = match.group(1), match.group(2)
    if name.split()[0].lower() in _NOT_NAMES:
        return match.group(0)
    return f"{intro}[NAME]"


def redact(text: str) -> str:
    """Names after "my name is / I'm", emails, US phone numbers, dates (of birth), street addresses
    -> [NAME] [EMAIL] [PHONE] [DATE] [ADDRESS]; social security numbers -> [ID]."""
    text = EMAIL.sub("[EMAIL]", text)
    text = SSN.sub("[ID]", text)
    text = ADDRESS.sub("[ADDRESS]", text)
    text = DATE.sub("[DATE]", text)
    text = PHONE.sub("[PHONE]", text)
    text = NAME_INTRO.sub(_name, text)
    return NAME_LOWER.sub(lambda m: m.group(0) if m.group(2).split()[0] in _NOT_NAMES else f"{m.group(1)}[NAME]", text)
