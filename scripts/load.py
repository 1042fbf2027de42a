"""`make load`: start app.py on 127.0.0.1, drive concurrent chat sessions through Gradio's own client
for a bounded time, then print requests served, errors, latency percentiles and the server's memory.

    python scripts/load.py                      # 50 sessions, 60 s, the real bot
    python scripts/load.py --seconds 300 --fake # the pages alone, over the FakeBot
    python scripts/load.py --publish-at 30      # and a staff publish 30 s in: a card goes live mid-run

Each session is one gradio_client.Client (one browser tab): it asks QUESTIONS_PER_SESSION questions,
pausing --think seconds (uniformly 0.5x-1.5x) between them, then starts a new session.

With --publish-at, the app serves copies of the corpus and the index (the repo's are never written), the
staff console is signed in to, and at that moment a new FAQ card (PUBLISHED_CARD) is published through it
(`/publish`: build, checks, swap). The report adds the publish's time, the swap time, and what the
requests in flight during the publish got.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
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
PUBLISHED_QUESTION = "What is the k-hole?"  # no answer before the publish, the card's answer after it
PUBLISHED_CARD = dict(
    card_id="k-hole", topic="The k-hole",
    questions=[PUBLISHED_QUESTION, "what's a k-hole", "what does k-hole mean", "is a k-hole dangerous",
               "k hole on ketamine meaning", "what happens in a k-hole", "k-hole explained"],
    answer=[("mathai-2022-ketamine-psychotherapy-theory", "The Mathai 2022 paper describes ketamine as a dissociative "
             "drug, a type of drug that can make people feel detached from their body or surroundings."),
            ("singh-2016-repeated-ketamine-infusions", "In the Singh 2016 trial, dissociation after ketamine was "
             "temporary and became weaker with repeated doses.")])
STAFF_USER = "load-test"
PUBLISH_WINDOW_S = 2.0  # latency during a publish, shown per window
QUESTIONS_PER_SESSION = 5
STARTUP_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 60
RSS_EVERY_S = 1.0
RSS_WINDOW_S = 60.0  # memory is compared minute by minute


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    started: list[float] = field(default_factory=list)  # when each served request started (monotonic)
    errors: list[str] = field(default_factory=list)
    sessions: int = 0
    published_kinds: list[tuple[float, bool]] = field(default_factory=list)  # (when, answered by the card)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Publish:
    at_s: float
    began: float = 0.0  # monotonic
    ended: float = 0.0
    outcome: dict = field(default_factory=dict)
    error: str = ""
    card_before: bool | None = None  # PUBLISHED_QUESTION answered by the card, asked just before / just after
    card_after: bool | None = None


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def app_command(port: int, fake: bool, data_dir: str, staff: tuple[int, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The app's command and environment; `staff` (port, password): the console too, over copies of the
    corpus and the index in data_dir (a publish writes both)."""
    env = {**os.environ, "KAP_HOST": "127.0.0.1", "KAP_PORT": str(port), "KAP_STAFF_PORT": str(free_port()),
           "KAP_DATA_DIR": data_dir, "PYTHONUNBUFFERED": "1"}
    for var in ("KAP_STAFF_USER", "KAP_STAFF_PASSWORD"):  # the console is not under test
        env.pop(var, None)
    if staff is not None:
        from bot import index

        copy = Path(data_dir) / "copy"
        shutil.copytree(ROOT / "corpus", copy / "corpus")
        live = index.current_build(ROOT / "index")
        if live is None:
            sys.exit("no index: run `make index` first")
        shutil.copytree(live, copy / "index" / "builds" / live.name)
        (copy / "index" / "current").symlink_to(f"builds/{live.name}")
        env |= {"KAP_STAFF_PORT": str(staff[0]), "KAP_STAFF_HOST": "127.0.0.1", "KAP_STAFF_USER": STAFF_USER,
                "KAP_STAFF_PASSWORD": staff[1], "KAP_CORPUS_DIR": str(copy / "corpus"),
                "KAP_INDEX_DIR": str(copy / "index"), "KAP_CONFIG": str(copy / "none.toml")}
    command = [sys.executable, "-m", "tests.test_ui_fakes"] if fake else [sys.executable, "app.py"]
    return command, env


def publish_card(staff_url: str, visitor_url: str, password: str, start: float, job: Publish) -> None:
    """At start + job.at_s: sign in to the console and publish PUBLISHED_CARD, as staff would; ask the
    visitor chat PUBLISHED_QUESTION just before and just after."""
    from bot.authoring import card_text

    client = Client(staff_url, auth=(STAFF_USER, password), **CLIENT_OPTIONS)
    visitor = Client(visitor_url, **CLIENT_OPTIONS, httpx_kwargs={"timeout": REQUEST_TIMEOUT_S})
    text = card_text(PUBLISHED_CARD["card_id"], PUBLISHED_CARD["topic"], PUBLISHED_CARD["questions"],
                     PUBLISHED_CARD["answer"], [], STAFF_USER, time.strftime("%Y-%m-%d"))
    time.sleep(max(0.0, start + job.at_s - time.monotonic()))
    try:
        job.card_before = _answered(visitor)
        job.began = time.monotonic()
        job.outcome = client.predict("card", PUBLISHED_CARD["card_id"], text, "", api_name="/publish")
        job.ended = time.monotonic()
        visitor.reset_session()
        job.card_after = _answered(visitor)
    except Exception as exc:  # reported
        job.error = f"{type(exc).__name__}: {exc}"[:300]
        job.ended = job.ended or time.monotonic()
    client.close()
    visitor.close()


def _answered(visitor: Client) -> bool:
    _, history = visitor.predict(PUBLISHED_QUESTION, api_name="/chat")
    return "kap-answered" in str(history[-1])


# ssl_verify=False: the app is plain http on loopback, so nothing is verified either way; gradio_client
# 2.7.2 builds a new httpx.Client per request, and with verification on each one loads the CA bundle
# (~45 ms of client CPU), which on a 2-core machine would measure the load generator, not the app.
CLIENT_OPTIONS = dict(verbose=False, analytics_enabled=False, download_files=False, ssl_verify=False)


def session_worker(client: Client, n: int, deadline: float, think_s: float, results: Results,
                   questions: tuple[str, ...] = QUESTIONS) -> None:
    """One visitor: starts at a random moment within the first pause, then asks, reads, asks again."""
    rng = random.Random(n)
    time.sleep(rng.uniform(0, think_s))
    asked = 0
    while time.monotonic() < deadline:
        question = questions[(n + asked) % len(questions)]
        started, began = time.perf_counter(), time.monotonic()
        try:
            _, history = client.predict(question, api_name="/chat")
            if not history or "kap-answer" not in str(history[-1]):
                raise ValueError("no answer in the reply")
            with results.lock:
                results.latencies_ms.append((time.perf_counter() - started) * 1000)
                results.started.append(began)
                if question == PUBLISHED_QUESTION:
                    results.published_kinds.append((began, "kap-answered" in str(history[-1])))
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
    staff = (free_port(), secrets.token_urlsafe(16)) if args.publish_at is not None else None
    questions = QUESTIONS + ((PUBLISHED_QUESTION,) if staff else ())
    with tempfile.TemporaryDirectory(prefix="kap-load-") as tmp:
        log_path = Path(tmp) / "app.log"
        with running(*app_command(port, args.fake, tmp, staff), log_path) as proc:
            try:
                wait_up(proc, log_path, STARTUP_TIMEOUT_S, url=url)
                if staff:
                    wait_up(proc, log_path, STARTUP_TIMEOUT_S, url=f"http://127.0.0.1:{staff[0]}/")
            except ServerNotUp as exc:
                sys.exit(str(exc))
            warm = Client(url, **CLIENT_OPTIONS)
            for q in QUESTIONS:  # first-call costs (model warm-up) are not part of the figures
                warm.predict(q, api_name="/chat")
            warm.close()
            clients = [Client(url, **CLIENT_OPTIONS, httpx_kwargs={"timeout": REQUEST_TIMEOUT_S})
                       for _ in range(args.sessions)]  # connecting is not part of the figures
            results, samples = Results(), []
            start = time.monotonic()
            deadline = start + args.seconds
            sampler = threading.Thread(target=sample_rss, args=(proc.pid, deadline, samples), daemon=True)
            workers = [threading.Thread(target=session_worker, args=(c, n, deadline, args.think, results, questions),
                                        daemon=True) for n, c in enumerate(clients)]
            job = Publish(args.publish_at) if staff else None
            if job is not None:
                workers.append(threading.Thread(target=publish_card, daemon=True,
                                                args=(f"http://127.0.0.1:{staff[0]}/", url, staff[1], start, job)))
            sampler.start()
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=args.seconds + REQUEST_TIMEOUT_S + 30)
            sampler.join(timeout=5)
            for c in clients:
                c.close()
            return report(args, results, samples, job)


def report_publish(job: Publish, results: Results) -> bool:
    """The publish's outcome, its timing, and what requests in flight during it got; True when it went live."""
    if job.error or not job.ended or not job.outcome:
        print(f"publish at {job.at_s:.0f} s: FAILED ({job.error or 'did not finish'})")
        return False
    o = job.outcome
    during = [lat for t, lat in zip(results.started, results.latencies_ms) if job.began <= t <= job.ended]
    outside = [lat for t, lat in zip(results.started, results.latencies_ms) if not job.began <= t <= job.ended]
    before = [card for t, card in results.published_kinds if t < job.began]
    after = [card for t, card in results.published_kinds if t > job.ended]
    print(f"publish at {job.at_s:.0f} s: {o.get('action')} ({o.get('message')}) · build, checks and swap "
          f"{job.ended - job.began:.1f} s · swap {o.get('swap_ms')} ms" + (f" · refused by {o['blocking']}" if o.get('blocking') else ""))
    windows: dict[int, list[float]] = {}
    for t, lat in zip(results.started, results.latencies_ms):
        if job.began <= t <= job.ended:
            windows.setdefault(int((t - job.began) // PUBLISH_WINDOW_S), []).append(lat)
    print(f"p95 ms per {PUBLISH_WINDOW_S:.0f} s of the publish: "
          + " → ".join(f"{percentile(v, 95):.0f}" for _, v in sorted(windows.items())))
    for label, lats in (("while it ran", during), ("the rest of the run", outside)):
        if lats:
            print(f"requests served {label}: {len(lats)} · latency ms p50 {percentile(lats, 50):.0f} · "
                  f"p95 {percentile(lats, 95):.0f} · max {max(lats):.0f}")
    print(f"{PUBLISHED_QUESTION!r} answered by the new card: just before the publish {job.card_before}, just after "
          f"{job.card_after}; by the sessions {sum(before)}/{len(before)} times before it, {sum(after)}/{len(after)} after")
    return (o.get("action") == "publish" and job.card_before is False and job.card_after is True
            and not any(before) and all(after))


def report(args: argparse.Namespace, results: Results, samples: list[tuple[float, float]], job: Publish | None = None) -> int:
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
    published = report_publish(job, results) if job is not None else True
    ok = not results.errors and lat and p95 <= args.p95_ms and published
    target = f"0 errors, p95 ≤ {args.p95_ms:.0f} ms" + (", the card live after the publish" if job else "")
    print(f"target ({target}): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=50, help="concurrent chat sessions (default 50)")
    ap.add_argument("--seconds", type=float, default=60, help="how long to drive them (default 60)")
    ap.add_argument("--think", type=float, default=2.0,
                    help="mean pause between a session's questions, s (default 2; a person typing takes longer)")
    ap.add_argument("--p95-ms", type=float, default=500, help="latency target checked at the end (default 500)")
    ap.add_argument("--fake", action="store_true", help="serve the FakeBot: measures the pages without the model")
    ap.add_argument("--publish-at", type=float, default=None, metavar="SECONDS",
                    help="publish a new FAQ card through the staff console this many seconds into the run")
    args = ap.parse_args()
    if args.publish_at is not None and args.fake:
        ap.error("--publish-at needs the real bot (the FakeBot cannot be published to)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
