"""Redaction of personal details before anything a visitor typed is written (staff logs, feedback),
and files only the app's own user can read.

Visitor messages are not stored unless staff switch logging on, and nothing leaves the machine.
Redaction errs on the side of removing too much.

>>> redact("Hi, I'm Maria Lopez, born 03/14/1985. Call 555-123-4567 or maria@example.com")
"Hi, I'm [NAME], born [DATE]. Call [PHONE] or [EMAIL]"
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

_MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_STREET = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
           r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Trail|Trl|Square|Sq|Loop|Row|Pike|Alley)\.?")
_NAME_WORD = r"[A-Z][a-z'’-]+"
# Capitalised words after "I'm" that are not names ("I'm Sorry", "I'm Not sure").
_NOT_NAMES = frozenset("""sorry not so very really just still also always never currently going trying looking
wondering worried scared afraid interested feeling depressed anxious new here back ok okay fine good tired sure
curious thinking considering pregnant on in at a an the suicidal done unsure confused glad happy sad""".split())

PRIVATE_FILE_MODE = 0o600  # data files: read and written by the app's user only
PRIVATE_DIR_MODE = 0o700

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# "maria at gmail dot com", "maria (at) gmail (dot) com", "maria[at]gmail.com"
_AT = r"(?:\s*[(\[]\s*(?:at|@)\s*[)\]]\s*|\s+at\s+|\s*@\s*)"
_DOT = r"(?:\s*[(\[]\s*dot\s*[)\]]\s*|\s+dot\s+|\.)"
EMAIL_SPELLED = re.compile(rf"\b[\w.+-]+(?i:{_AT})[\w-]+(?:(?i:{_DOT})[\w-]+)*(?i:{_DOT})(?i:com|org|net|edu|gov|io|co|us|uk|ca|info|me|de|fr|mx)\b")
HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_][A-Za-z0-9_.]{0,29}(?<!\.)(?![\w(])")  # not @SUM( (a formula)
# +44 20 7946 0958, 0049 30 1234567, +52 (55) 1234-5678: a country code, then 7 to 14 more digits
PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,6}(?![\w-])")
# 555-1234, 555 1234, 5551234 (not a range of amounts: "100-1000 mg")
_AMOUNT = r"(?!\s*(?:mg|mcg|ml|g|kg|lbs?|%|percent|patients|people|participants|times|days|weeks|months|years|hours|minutes)\b)"
PHONE_LOCAL = re.compile(rf"(?<![\w.,/-])(?:\d{{3}}[\s.-]\d{{4}}|\d{{7}})(?![\w.,/-]){_AMOUNT}")
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
# "Maria Lopez here" at the start of a message or sentence, or after a greeting; "Thanks, Maria" at its end
NAME_HERE = re.compile(rf"(^|[.!?;:]\s+|\b(?i:hi|hello|hey|dear),?\s+)({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})(\s+(?i:here)\b)")
NAME_SIGNOFF = re.compile(rf"(\b(?i:thanks|thank you|cheers|regards|best|sincerely|love),?\s+)({_NAME_WORD}(?:\s+{_NAME_WORD})?)(\s*[.!]?\s*)$")
_NOT_NAMES_HERE = _NOT_NAMES | frozenset("""it ketamine spravato esketamine kap therapy everyone nobody someone
anyone somebody anybody question questions help what who how why when where again""".split())


def _name(match: re.Match[str]) -> str:
    intro, name = match.group(1), match.group(2)
    if name.split()[0].lower() in _NOT_NAMES:
        return match.group(0)
    return f"{intro}[NAME]"


def _named(match: re.Match[str]) -> str:
    """[NAME] for group 2 of a NAME_HERE / NAME_SIGNOFF match, unless its first word names no person."""
    if match.group(2).split()[0].lower() in _NOT_NAMES_HERE:
        return match.group(0)
    return f"{match.group(1)}[NAME]{match.group(3)}"


def redact(text: str) -> str:
    """Names (after "my name is / I'm", before "here", after "thanks"), emails (also spelled out),
    @handles, US, international and 7-digit phone numbers, dates (of birth), street addresses
    -> [NAME] [EMAIL] [HANDLE] [PHONE] [DATE] [ADDRESS]; social security numbers -> [ID]."""
    text = EMAIL.sub("[EMAIL]", text)
    text = EMAIL_SPELLED.sub("[EMAIL]", text)
    text = HANDLE.sub("[HANDLE]", text)
    text = SSN.sub("[ID]", text)
    text = ADDRESS.sub("[ADDRESS]", text)
    text = DATE.sub("[DATE]", text)
    text = PHONE_INTL.sub("[PHONE]", text)
    text = PHONE.sub("[PHONE]", text)
    text = PHONE_LOCAL.sub("[PHONE]", text)
    text = NAME_INTRO.sub(_name, text)
    text = NAME_HERE.sub(_named, text)
    text = NAME_SIGNOFF.sub(_named, text)
    return NAME_LOWER.sub(lambda m: m.group(0) if m.group(2).split()[0] in _NOT_NAMES else f"{m.group(1)}[NAME]", text)


def private_dir(path: Path) -> Path:
    """Create a data directory only the app's user can enter (an existing one is left as it is)."""
    Path(path).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return Path(path)


def private_file(path: Path) -> Path:
    """Create the file 0600 if it is missing, and make it 0600 if it exists (data written before this)."""
    path = Path(path)
    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    os.chmod(path, PRIVATE_FILE_MODE)
    return path


def open_private(path: Path) -> TextIO:
    """Append to a 0600 file (created so, never world-readable even for a moment)."""
    return open(private_file(path), "a", encoding="utf-8")
