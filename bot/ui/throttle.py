"""Counting what one client does: staff login failures (with an exponentially growing wait) and
visitor feedback (at most so many in a window). Pure bookkeeping with an injectable clock.

>>> t, clock = LoginThrottle(free_failures=2, base_delay_s=1), FakeClock()
>>> [t.failed("a", clock()) for _ in range(5)]
[0.0, 0.0, 1.0, 2.0, 4.0]
>>> t.wait("a", clock()), t.wait("b", clock())
(4.0, 0.0)
"""
from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass

FREE_FAILURES = 5  # wrong passwords from one client before it has to wait
BASE_DELAY_S = 1.0  # the first wait; each further failure doubles it
MAX_DELAY_S = 900.0  # a wait never exceeds 15 minutes
FORGET_AFTER_S = 3600.0  # a client's failures are forgotten an hour after its last one
MAX_CLIENTS = 10_000  # clients remembered at once; the least recently seen is forgotten first


class FakeClock:
    """A clock for tests and doctests: call it for the time, advance it by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Per-client failure counts. After `free_failures` wrong passwords in a row, each further one makes
    the client wait base, 2x base, 4x base … (up to max) before its next attempt is even checked."""

    def __init__(self, free_failures: int = FREE_FAILURES, base_delay_s: float = BASE_DELAY_S,
                 max_delay_s: float = MAX_DELAY_S, forget_after_s: float = FORGET_AFTER_S,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.free, self.base, self.max = free_failures, float(base_delay_s), float(max_delay_s)
        self.forget_after, self.max_clients = forget_after_s, max_clients
        self._clients: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds the client must still wait before an attempt is checked (0: go ahead)."""
        now = time.monotonic() if now is None else now
        entry = self._entry(client, now, create=False)
        return max(0.0, entry.locked_until - now) if entry else 0.0

    def failed(self, client: str, now: float | None = None) -> float:
        """Count a wrong password; returns the wait it imposes (0 while failures are still free)."""
        now = time.monotonic() if now is None else now
        entry = self._entry(client, now, create=True)
        entry.count += 1
        entry.last = now
        over = entry.count - self.free
        delay = 0.0 if over <= 0 else min(self.max, self.base * 2 ** (over - 1))
        entry.locked_until = now + delay
        return delay

    def failures(self, client: str) -> int:
        entry = self._clients.get(client)
        return entry.count if entry else 0

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)

    def _entry(self, client: str, now: float, create: bool) -> _Failures | None:
        entry = self._clients.get(client)
        if entry is not None and now - entry.last > self.forget_after and now >= entry.locked_until:
            del self._clients[client]
            entry = None
        if entry is None and create:
            entry = self._clients[client] = _Failures(last=now)
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
        if entry is not None:
            self._clients.move_to_end(client)
        return entry


class RateLimit:
    """At most `limit` events per key in any `window_s` seconds (a sliding window).

    >>> r, clock = RateLimit(2, 60), FakeClock()
    >>> [r.allow("k", clock()) for _ in range(3)], r.allow("other", clock())
    ([True, True, False], True)
    >>> clock.advance(61); r.allow("k", clock())
    True
    """

    def __init__(self, limit: int, window_s: float, max_keys: int = MAX_CLIENTS) -> None:
        self.limit, self.window, self.max_keys = limit, window_s, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for key and say whether it is within the limit (refused events are not counted)."""
        now = time.monotonic() if now is None else now
        events = self._events.setdefault(key, deque())
        self._events.move_to_end(key)
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return True
