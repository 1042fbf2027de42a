"""Staff sessions: idle timeout, absolute lifetime, logout, bounded, and the one cookie."""
from __future__ import annotations

from bot.ui.sessions import COOKIE, Sessions, cookie_header
from bot.ui.throttle import FakeClock


def test_idle_timeout() -> None:
    clock = FakeClock()
    s = Sessions(idle_s=30 * 60, lifetime_s=8 * 3600, clock=clock)
    token = s.create("staff")
    for _ in range(5):
        clock.advance(29 * 60)
        assert s.user(token) == "staff"  # each use keeps it alive
    clock.advance(31 * 60)
    assert s.user(token) is None and len(s) == 0


def test_absolute_lifetime_however_active() -> None:
    clock = FakeClock()
    s = Sessions(idle_s=60, lifetime_s=3600, clock=clock)
    token = s.create("staff")
    for _ in range(59):
        clock.advance(60)
        assert s.user(token) == "staff"
    clock.advance(61)
    assert s.user(token) is None


def test_logout_unknown_and_empty_tokens() -> None:
    s = Sessions(idle_s=60, lifetime_s=60)
    token = s.create("staff")
    assert s.user("made-up") is None and s.user(None) is None and s.user("") is None
    s.end(token)
    assert s.user(token) is None
    assert len({s.create("staff") for _ in range(50)}) == 50  # random, never reused


def test_number_of_sessions_is_bounded() -> None:
    clock = FakeClock()
    s = Sessions(idle_s=600, lifetime_s=600, clock=clock, max_sessions=3)
    first = s.create("staff")
    for _ in range(3):
        clock.advance(1)
        s.create("staff")
    assert len(s) == 3 and s.user(first) is None  # the oldest signed out


def test_cookie_is_httponly_strict_and_secure_only_over_https() -> None:
    assert cookie_header("t", secure=False) == f"{COOKIE}=t; Path=/; HttpOnly; SameSite=Strict"
    assert cookie_header("t", secure=True).endswith("; Secure")
