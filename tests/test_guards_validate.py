"""Validation guard: awkward inputs end kindly, real questions in any language pass normalised."""
from __future__ import annotations

import pytest

from bot.config import MAX_QUESTION_CHARS
from bot.guards.validate import MESSAGE_KEYS, validate
from bot.templates import templates
from bot.config import Clinic


@pytest.mark.parametrize("question, reason", [
    (None, "empty"),
    ("", "empty"),
    ("   \n\t  ", "empty"),
    ("\u200b\u200b", "empty"),  # zero-width spaces only
    (b"", "binary"),  # only a str is a question: any bytes are refused, readable or not
    (b"what is kap?", "binary"),
    (bytearray(b"does ketamine help ptsd"), "binary"),
    (memoryview(b"is it safe"), "binary"),
    (b"\x00\xff", "binary"),
    (b"\xff\xfe\xfd", "binary"),
    ("\x00\x07 is ketamine safe", "binary"),
    ("is ketamine\x1b[31m safe", "binary"),
    ("bad decode \ufffd\ufffd", "binary"),
    (12345, "binary"),
    (["is ketamine safe?"], "binary"),
    ("x" * 10_000, "too_long"),
    ("a " * (MAX_QUESTION_CHARS + 1), "too_long"),
    ("?!?!", "no_words"),
    ("😀😀", "no_words"),
    ("... --- !!!", "no_words"),
    ("12345", "no_words"),
    ("<> </>", "no_words"),
    # markup with no words outside its tags
    ("<script>alert(1)</script>", "no_words"),
    ("<SCRIPT type='text/javascript'>document.cookie</SCRIPT>", "no_words"),
    ("<img src=x onerror=alert(1)>", "no_words"),
    ("<style>body { color: red }</style> 😀", "no_words"),
    ("<div><br/></div>", "no_words"),
])
def test_invalid_inputs(question: object, reason: str) -> None:
    verdict, _ = validate(question)
    assert verdict.name == "validate" and verdict.fired
    assert verdict.kind == "invalid_input" and verdict.reason == reason
    assert verdict.detail["message_key"] == MESSAGE_KEYS[reason]


@pytest.mark.parametrize("question, expected", [
    ("  Is   ketamine\n\nsafe? ", "Is ketamine safe?"),
    ("<script>alert(1)</script> is ketamine safe", "<script>alert(1)</script> is ketamine safe"),  # kept as text
    ("no quiero vivir", "no quiero vivir"),  # Spanish must reach the crisis guard
    ("氯胺酮安全吗", "氯胺酮安全吗"),
    ("Ｉｓ ｋｅｔａｍｉｎｅ ｓａｆｅ？", "Is ketamine safe?"),  # NFKC folds full-width forms
    ("ke\u200btamine\u00ad side effects", "ketamine side effects"),  # invisible characters dropped
    ("<b>is ketamine safe?</b>", "<b>is ketamine safe?</b>"),  # words inside ordinary tags: kept as typed
    ("<p>what does <i>KAP</i> cost</p>", "<p>what does <i>KAP</i> cost</p>"),
    ("is 5 < 10 sessions enough?", "is 5 < 10 sessions enough?"),
    ("I <3 my therapist, can she join?", "I <3 my therapist, can she join?"),
    ("kms", "kms"),
    ("a" * MAX_QUESTION_CHARS, "a" * MAX_QUESTION_CHARS),  # exactly at the limit
    ("Does ketamine help? 😀", "Does ketamine help? 😀"),
])
def test_valid_inputs_are_normalised(question: object, expected: str) -> None:
    verdict, text = validate(question)
    assert not verdict.fired and verdict.kind is None
    assert text == expected


def test_limit_is_a_parameter() -> None:
    assert validate("is ketamine safe?", max_chars=5)[0].reason == "too_long"


def test_invalid_text_is_safe_to_show() -> None:
    verdict, text = validate("\x00\x07 is ketamine safe")
    assert verdict.fired and text == "is ketamine safe"
    assert len(validate("y" * 50_000)[1]) <= MAX_QUESTION_CHARS


@pytest.mark.parametrize("reason", sorted(MESSAGE_KEYS))
def test_every_reason_has_a_friendly_message(reason: str) -> None:
    text = templates(Clinic())[MESSAGE_KEYS[reason]]
    assert text and "please" in text.lower() and len(text) < 300


def test_guard_messages_merge_with_templates() -> None:
    """guard_messages.yaml adds its keys to templates.yaml without a collision, placeholders filled."""
    from bot.guards.rules import REQUIRED_MESSAGES

    filled = templates(Clinic(name="Piedmont KAP Clinic", url="https://example.org"))
    for key in REQUIRED_MESSAGES:
        assert key in filled and "{" not in filled[key]
    assert "Piedmont KAP Clinic" in filled["crisis"] and "https://example.org" in filled["needs_clinician"]
