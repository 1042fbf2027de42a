"""Login throttling (exponential wait after free failures) and the feedback rate limit."""
from __future__ import annotations

from bot.ui.throttle import BASE_DELAY_S, FREE_FAILURES, MAX_DELAY_S, FakeClock, LoginThrottle, RateLimit


def test_failures_are_free_then_each_doubles_the_wait() -> None:
    t, clock = LoginThrottle(), FakeClock()
    waits = [t.failed("1.2.3.4", clock()) for _ in range(FREE_FAILURES + 4)]
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    assert waits[FREE_FAILURES:] == [BASE_DELAY_S * 2 ** k for k in range(4)]
    assert t.wait("1.2.3.4", clock()) == waits[-1] and t.wait("5.6.7.8", clock()) == 0.0  # per client


def test_the_wait_is_capped_and_runs_out() -> None:
    t, clock = LoginThrottle(), FakeClock()
    for _ in range(60):
        wait = t.failed("c", clock())
    assert wait == MAX_DELAY_S
    clock.advance(MAX_DELAY_S + 1)
    assert t.wait("c", clock()) == 0.0


def test_success_resets_and_old_failures_are_forgotten() -> None:
    t, clock = LoginThrottle(forget_after_s=60), FakeClock()
    for _ in range(FREE_FAILURES):
        t.failed("c", clock())
    t.succeeded("c")
    assert t.failed("c", clock()) == 0.0 and t.failures("c") == 1
    clock.advance(61)
    assert t.failed("c", clock()) == 0.0 and t.failures("c") == 1  # a fresh count


def test_memory_is_bounded() -> None:
    t, clock = LoginThrottle(max_clients=3), FakeClock()
    for n in range(10):
        t.failed(f"10.0.0.{n}", clock())
    assert sum(t.failures(f"10.0.0.{n}") for n in range(10)) == 3
    r = RateLimit(1, 60, max_keys=2)
    for key in "abc":
        r.allow(key, 0.0)
    assert r.allow("a", 1.0)  # "a" was forgotten


def test_rate_limit_is_a_sliding_window() -> None:
    r, clock = RateLimit(3, 10), FakeClock()
    assert [r.allow("s", clock()) for _ in range(4)] == [True, True, True, False]
    clock.advance(5)
    assert not r.allow("s", clock())  # refused events are not counted, but the window has not moved
    clock.advance(5)
    assert r.allow("s", clock())
