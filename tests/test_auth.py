"""Staff credentials: plain or pbkdf2, constant-time checks, and a console that refuses to start without them."""
from __future__ import annotations

import dataclasses

import pytest

from bot.config import Settings, load_settings
from bot.ui.auth import MIN_ITERATIONS, hash_password, main, staff_auth, verify_password


def settings(user: str | None, password: str | None) -> Settings:
    return dataclasses.replace(load_settings({}), staff_user=user, staff_password=password)


def test_plain_and_hashed_passwords() -> None:
    assert verify_password("correct horse", "correct horse")
    assert not verify_password("correct hors", "correct horse")
    stored = hash_password("correct horse", iterations=MIN_ITERATIONS)
    assert stored.startswith("pbkdf2_sha256$") and "correct horse" not in stored
    assert verify_password("correct horse", stored) and not verify_password("wrong", stored)
    assert hash_password("x", iterations=MIN_ITERATIONS) != hash_password("x", iterations=MIN_ITERATIONS)  # salted


@pytest.mark.parametrize("stored", ["pbkdf2_sha256$", "pbkdf2_sha256$abc$salt$00", "pbkdf2_sha256$1000"])
def test_malformed_hash_never_matches(stored: str) -> None:
    assert not verify_password("", stored) and not verify_password("anything", stored)


@pytest.mark.parametrize("user,password", [(None, None), ("staff", None), (None, "long-enough-pw"), ("  ", "long-enough-pw")])
def test_console_refuses_without_credentials(user: str | None, password: str | None) -> None:
    check, reason = staff_auth(settings(user, password))
    assert check is None and "KAP_STAFF_USER" in reason and "not started" in reason


@pytest.mark.parametrize("password,why", [("short", "shorter"), ("pbkdf2_sha256$10$s$00", "iterations"),
                                          ("pbkdf2_sha256$x$s$00", "malformed")])
def test_console_refuses_weak_passwords(password: str, why: str) -> None:
    check, reason = staff_auth(settings("staff", password))
    assert check is None and why in reason


@pytest.mark.parametrize("stored", ["long-enough-pw", hash_password("long-enough-pw", iterations=MIN_ITERATIONS)])
def test_login_check(stored: str) -> None:
    check, reason = staff_auth(settings("staff", stored))
    assert check is not None and "staff" in reason
    assert check("staff", "long-enough-pw")
    assert not check("staff", "wrong-password")
    assert not check("Staff", "long-enough-pw")
    assert not check("", "")
    assert "long-enough-pw" not in reason


def _typed(monkeypatch: pytest.MonkeyPatch, *answers: object) -> None:
    """Stand-in for a terminal: each getpass call returns the next answer, or raises it."""
    queue = list(answers)

    def fake_getpass(prompt: str = "") -> str:
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return str(answer)
    monkeypatch.setattr("bot.ui.auth.getpass.getpass", fake_getpass)


def test_hash_tool_prints_a_hash_that_verifies(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _typed(monkeypatch, "long-enough-pw", "long-enough-pw")
    assert main([]) == 0
    assert verify_password("long-enough-pw", capsys.readouterr().out.strip())


@pytest.mark.parametrize("answers, message", [
    (("long-enough-pw", "different-pw"), "the passwords differ"),
    (("short",), "at least"),
    ((EOFError(),), "no password read"),  # no terminal: a message, not a traceback
])
def test_hash_tool_refuses_with_a_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                         answers: tuple[object, ...], message: str) -> None:
    _typed(monkeypatch, *answers)
    assert main([]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
