"""`make load`: start app.py on 127.0.0.1, drive concurrent chat sessions through Gradio's own client
for a bounded time, then print requests served, errors, latency percentiles and the server's memory.

    python scripts/load.py                      # 50 sessions, 60 s, the real bot
    python scripts/load.py --seconds 300 --fake # the pages alone, over the FakeBot

Each session is one gradio_client.Client (one browser tab): it asks QUESTIONS_PER_SESSION questions,
pausing --think seconds (uniformly 0.5x-1.5x) between them, then starts a new session.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.embed import offline_environment  # noqa: E402

offline_environment()  # analytics off for gradio_client too

from gradio_client import Client  # noqa: E402

from tests.servers import ServerNotUp, free_port, running, wait_up  # noqa: E402

QUESTIONS = (
    "What is ketamine-assisted psychotherapy?",
    "What are the common side effects of ketamine?",
    "Is ketamine FDA-approved for depression?",
    "How long do the effects of ketamine last?",
    "What happens during a ketamine session?",
    "Is ketamine addictive?",
    "Can ketamine help with PTSD?",
    "Does insurance cover ketamine therapy?",
    "What is esketamine?",
    "What's the weather like tomorrow?",
)
QUESTIONS_PER_SESSION = 5
STARTUP_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 60
RSS_EVERY_S = 1.0
RSS_WINDOW_S = 60.0  # memory is compared minute by minute


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sessions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def app_command(port: int, fake: bool, data_dir: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "KAP_HOST": "127.0.0.1", "KAP_PORT": str(port), "KAP_STAFF_PORT": str(free_port()),
           "KAP_DATA_DIR": data_dir, "PYTHONUNBUFFERED": "1"}
    for var in ("KAP_STAFF_USER", "KAP_STAFF_PASSWORD"):  # the console is not under test
        env.pop(var, None)
    command = [sys.executable, "-m", "tests.test_ui_fakes"] if fake else [sys.executable, "app.py"]
    return command, env


# ssl_verify=False: the app is plain http on loopback, so nothing is verified either way; gradio_client
# 2.7.2 builds a new httpx.Client per request, and with verification on each one loads the CA bundle
# (~45 ms of client CPU), which on a 2-core machine would measure the load generator, not the app.
CLIENT_OPTIONS = dict(verbose=False, analytics_enabled=False, download_files=False, ssl_verify=False)


def session_worker(client: Client, n: int, deadline: float, think_s: float, results: Results) -> None:
    """One visitor: starts at a random moment within the first pause, then asks, reads, asks again."""
    rng = random.Random(n)
    time.sleep(rng.uniform(0, think_s))
    asked = 0
    while time.monotonic() < deadline:
        question = QUESTIONS[(n + asked) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            _, history = client.predict(question, api_name="/chat")
            if not history or "kap-answer" not in str(history[-1]):
                raise ValueError("no answer in the reply")
            with results.lock:
                results.latencies_ms.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # counted and reported, never fatal to the run
            with results.lock:
                results.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        asked += 1
        if asked % QUESTIONS_PER_SESSION == 0:
            client.reset_session()
            with results.lock:
                results.sessions += 1
        time.sleep(min(max(0.0, deadline - time.monotonic()), think_s * rng.uniform(0.5, 1.5)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def rss_windows(samples: list[tuple[float, float]], window: float) -> list[float]:
    """Mean RSS in consecutive windows of the run (the first and last show whether memory is flat)."""
    buckets: dict[int, list[float]] = {}
    for t, mb in samples:
        buckets.setdefault(int(t // window), []).append(mb)
    return [statistics.fmean(v) for _, v in sorted(buckets.items())]


def sample_rss(pid: int, until: float, samples: list[tuple[float, float]]) -> None:
    start = time.monotonic()
    while time.monotonic() < until:
        try:
            samples.append((time.monotonic() - start, rss_mb(pid)))
        except OSError:
            return
        time.sleep(RSS_EVERY_S)


def run(args: argparse.Namespace) -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="kap-load-") as tmp:
        log_path = Path(tmp) / "app.log"
        with running(*app_command(port, args.fake, tmp), log_path) as proc:
            try:
                wait_up(proc, log_path, STARTUP_TIMEOUT_S, url=url)
            except ServerNotUp as exc:
                sys.exit(str(exc))
            warm = Client(url, **CLIENT_OPTIONS)
            for q in QUESTIONS:  # first-call costs (model warm-up) are not part of the figures
                warm.predict(q, api_name="/chat")
            warm.close()
            clients = [Client(url, **CLIENT_OPTIONS, httpx_kwargs={"timeout": REQUEST_TIMEOUT_S})
                       for _ in range(args.sessions)]  # connecting is not part of the figures
            results, samples = Results(), []
            deadline = time.monotonic() + args.seconds
            sampler = threading.Thread(target=sample_rss, args=(proc.pid, deadline, samples), daemon=True)
            workers = [threading.Thread(target=session_worker, args=(c, n, deadline, args.think, results), daemon=True)
                       for n, c in enumerate(clients)]
            sampler.start()
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=args.seconds + REQUEST_TIMEOUT_S + 30)
            sampler.join(timeout=5)
            for c in clients:
                c.close()
            return report(args, results, samples)


def report(args: argparse.Namespace, results: Results, samples: list[tuple[float, float]]) -> int:
    lat = results.latencies_ms
    p50, p95, p99 = (percentile(lat, q) for q in (50, 95, 99))
    print(f"bot: {'fake' if args.fake else 'real'} · sessions: {args.sessions} concurrent · "
          f"duration: {args.seconds:.0f} s · think time: {args.think:.1f} s (0.5x-1.5x)")
    print(f"requests served: {len(lat)} ({len(lat) / args.seconds:.1f}/s) · errors: {len(results.errors)} · "
          f"sessions completed: {results.sessions}")
    if lat:
        print(f"latency ms: p50 {p50:.0f} · p95 {p95:.0f} · p99 {p99:.0f} · max {max(lat):.0f} · "
              f"mean {statistics.fmean(lat):.0f}")
    if samples:
        print(f"server RSS MB: start {samples[0][1]:.0f} · middle {samples[len(samples) // 2][1]:.0f} · "
              f"end {samples[-1][1]:.0f} · max {max(m for _, m in samples):.0f}")
        window = RSS_WINDOW_S if args.seconds >= 2 * RSS_WINDOW_S else args.seconds / 4
        means = rss_windows(samples, window)
        print(f"server RSS MB, mean per {window:.0f} s: " + " → ".join(f"{m:.0f}" for m in means))
    for err in sorted(set(results.errors))[:5]:
        print(f"  error: {err}")
    ok = not results.errors and lat and p95 <= args.p95_ms
    print(f"target (0 errors, p95 ≤ {args.p95_ms:.0f} ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=50, help="concurrent chat sessions (default 50)")
    ap.add_argument("--seconds", type=float, default=60, help="how long to drive them (default 60)")
    ap.add_argument("--think", type=float, default=2.0,
                    help="mean pause between a session's questions, s (default 2; a person typing takes longer)")
    ap.add_argument("--p95-ms", type=float, default=500, help="latency target checked at the end (default 500)")
    ap.add_argument("--fake", action="store_true", help="serve the FakeBot: measures the pages without the model")
    return run(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
