"""Redaction before anything is written: names, emails, phones, dates, addresses."""
from __future__ import annotations

import pytest

from bot.privacy import redact


@pytest.mark.parametrize("text, expected", [
    ("My name is Maria Lopez and I have PTSD", "My name is [NAME] and I have PTSD"),
    ("my name is john smith", "my name is [NAME]"),
    ("Hi, I'm Sarah. Is ketamine safe?", "Hi, I'm [NAME]. Is ketamine safe?"),
    ("I’m Dana, 34", "I’m [NAME], 34"),
    ("This is Dr. Jones", "This is Dr. [NAME]"),
    ("call me Alex", "call me [NAME]"),
    ("email me at maria.lopez+kap@example.com", "email me at [EMAIL]"),
    ("My number is 555-123-4567", "My number is [PHONE]"),
    ("(336) 555-0100 ext 12", "[PHONE]"),
    ("+1 555.123.4567", "[PHONE]"),
    ("5551234567", "[PHONE]"),
    ("1-800-273-8255", "[PHONE]"),
    ("I was born on 03/14/1985", "I was born on [DATE]"),
    ("DOB: 1985-03-14", "DOB: [DATE]"),
    ("born March 14, 1985", "born [DATE]"),
    ("born 14th of March 1985", "born [DATE]"),
    ("I live at 123 Main Street, Springfield, IL 62704.", "I live at [ADDRESS]."),
    ("45 Oak Ave Apt 3B, Winston-Salem, NC 27101", "[ADDRESS]"),
    ("send it to PO Box 42", "send it to [ADDRESS]"),
    ("SSN 123-45-6789", "SSN [ID]"),
    # spelled-out emails
    ("maria at gmail dot com", "[EMAIL]"),
    ("write to maria.lopez (at) gmail (dot) com please", "write to [EMAIL] please"),
    ("maria[at]gmail[dot]com", "[EMAIL]"),
    ("maria @ gmail.com", "[EMAIL]"),
    # international numbers
    ("call +44 20 7946 0958", "call [PHONE]"),
    ("0049 30 1234567", "[PHONE]"),
    ("+52 (55) 1234-5678", "[PHONE]"),
    ("+33 1 23 45 67 89 after six", "[PHONE] after six"),
    # 7-digit numbers
    ("my cell is 555-1234", "my cell is [PHONE]"),
    ("text 5551234 tonight", "text [PHONE] tonight"),
    ("555 1234", "[PHONE]"),
    # names before "here", after a greeting, in a sign-off
    ("Maria Lopez here, is ketamine safe?", "[NAME] here, is ketamine safe?"),
    ("Hi, Dana here. Does it hurt?", "Hi, [NAME] here. Does it hurt?"),
    ("Is it addictive? Thanks, Maria", "Is it addictive? Thanks, [NAME]"),
    # handles
    ("find me @maria_lopez85 on insta", "find me [HANDLE] on insta"),
    ("DM @dana.k", "DM [HANDLE]"),
])
def test_personal_details_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "Call or text 988 now", "Text HOME to 741741", "open 24/7", "I'm depressed, can KAP help?", "I'm Sorry to bother you",
    "I'm not sure", "I take 20 mg of Lexapro", "I had 3 sessions in 2023", "Is ketamine safe?", "I'm 34 years old",
    "What happened in May?", "", "😀", "<script>alert(1)</script>",
    "I take 100-1000 mg", "trials of 1500 patients", "since 1995-2005", "Ketamine here is pricey", "Is it here?",
    "Everyone here says yes", "Thanks, that helps", "see you at home", "I am at work. Com", "0.5 mg/kg",
    "I took 2,500,000 steps", "my zip is 27101", "988 and 911",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_everything_in_one_message() -> None:
    out = redact("I'm Maria Lopez (maria@example.com, 555-123-4567), born 3/14/85, at 9 Elm St. I want to kill myself")
    for secret in ("Maria", "Lopez", "maria@", "555", "3/14/85", "Elm"):
        assert secret not in out
    assert out.endswith("I want to kill myself")  # the content staff need stays


def test_private_files_are_created_0600(tmp_path) -> None:
    import stat

    from bot.privacy import open_private, private_file

    with open_private(tmp_path / "data" / "log.jsonl") as fh:
        fh.write("x\n")
    assert stat.S_IMODE((tmp_path / "data" / "log.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    old = tmp_path / "old.sqlite3"
    old.write_text("")
    old.chmod(0o644)  # written by an earlier version
    private_file(old)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
