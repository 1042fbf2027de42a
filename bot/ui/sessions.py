"""Staff sessions: a random token per sign-in, ended by idleness, by age, or by logging out.

The token travels in one cookie, HttpOnly and SameSite=Strict (a page on another site never sends it),
and Secure when the console is reached over HTTPS.

>>> from bot.ui.throttle import FakeClock
>>> clock = FakeClock()
>>> s = Sessions(idle_s=60, lifetime_s=300, clock=clock)
>>> token = s.create("staff")
>>> clock.advance(59); s.user(token)
'staff'
>>> clock.advance(61); s.user(token) is None
True
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

COOKIE = "kap_staff_session"
MAX_SESSIONS = 200  # signed-in browsers at once; the oldest is signed out first


@dataclass
class _Session:
    user: str
    created: float
    seen: float


class Sessions:
    def __init__(self, idle_s: float, lifetime_s: float, clock: Callable[[], float] = time.monotonic,
                 max_sessions: int = MAX_SESSIONS) -> None:
        self.idle_s, self.lifetime_s, self.clock, self.max_sessions = idle_s, lifetime_s, clock, max_sessions
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def create(self, user: str) -> str:
        now = self.clock()
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._prune(now)
            while len(self._sessions) >= self.max_sessions:
                del self._sessions[min(self._sessions, key=lambda t: self._sessions[t].created)]
            self._sessions[token] = _Session(user, now, now)
        return token

    def user(self, token: str | None) -> str | None:
        """The signed-in user for a token, or None (unknown, idle too long, or too old); use keeps it alive."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[token]
                return None
            session.seen = now
            return session.user

    def end(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def __len__(self) -> int:
        return len(self._sessions)

    def _expired(self, session: _Session, now: float) -> bool:
        return now - session.seen > self.idle_s or now - session.created > self.lifetime_s

    def _prune(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[token]


def cookie_header(token: str, secure: bool, max_age_s: int | None = None) -> str:
    """The Set-Cookie value: the one session cookie, never readable by scripts or sent by other sites.

    >>> cookie_header("t0k", secure=True)
    'kap_staff_session=t0k; Path=/; HttpOnly; SameSite=Strict; Secure'
    >>> cookie_header("", secure=False, max_age_s=0)
    'kap_staff_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0'
    """
    parts = [f"{COOKIE}={token}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age_s is not None:
        parts.append(f"Max-Age={max_age_s}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
