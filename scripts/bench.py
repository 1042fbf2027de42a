"""Speed benchmark: prints figures, asserts nothing. `make bench`.

Warm answer latency (p50/p95) over the eval questions, per-stage medians (the guards' share
among them), cold start to first answer, index build time, peak memory, and the ratio of a full
answer to a bare LangChain `Chroma.similarity_search(question, k=5)` over the same index and model.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import index  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.embed import MiniLMEmbedder, offline_environment  # noqa: E402
from bot.pipeline import Bot  # noqa: E402

GUARD_STAGES = ("validate", "input_guard", "output_guard")
COLD_START = """
import time; t = time.perf_counter()
from bot.pipeline import Bot
turn = Bot.load().answer("Is ketamine safe?")
print(time.perf_counter() - t)
"""


def questions(limit: int) -> list[str]:
    cases = ROOT / "evals" / "cases.yaml"
    import yaml

    qs = [c["question"] for c in yaml.safe_load(cases.read_text())["cases"] if isinstance(c.get("question"), str)]
    return (qs * (limit // max(len(qs), 1) + 1))[:limit] if len(qs) < limit else qs


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the question set")
    args = parser.parse_args()
    offline_environment()
    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        builder = MiniLMEmbedder(settings.model_path, threads=None)  # batch work: all cores, as `make index`
        started = time.perf_counter()
        index.build(dataclasses.replace(settings, index_dir=Path(tmp), chroma_host=None), builder, progress=lambda _: None)
        build_s = time.perf_counter() - started

    embedder = MiniLMEmbedder(settings.model_path)  # serving: one thread

    bot = Bot.load(settings, embedder)
    qs = questions(100)
    for q in qs[:10]:  # warm-up
        bot.answer(q)
    latencies, stages = [], {}
    for _ in range(args.rounds):
        for q in qs:
            turn = bot.answer(q)
            latencies.append(turn.latency_ms)
            for stage, ms in turn.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    guards = [sum(t) for t in zip(*(stages.get(s, [0.0] * len(latencies)) for s in GUARD_STAGES))]

    bare = []
    vector_store = bot.retriever.store
    for q in qs:
        t = time.perf_counter()
        vector_store.similarity_search(q, k=5)
        bare.append((time.perf_counter() - t) * 1000)

    cold = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT, capture_output=True, text=True, check=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "questions": len(qs), "answers_timed": len(latencies),
        "answer_p50_ms": statistics.median(latencies), "answer_p95_ms": pct(latencies, 95),
        "guards_p50_ms": statistics.median(guards), "guards_p95_ms": pct(guards, 95),
        "bare_similarity_search_p50_ms": statistics.median(bare),
        "ratio_answer_to_bare_p50": statistics.median(latencies) / statistics.median(bare),
        "cold_start_to_first_answer_s": float(cold.stdout.strip().splitlines()[-1]),
        "index_build_s": build_s, "peak_rss_mb": peak_mb,
        "stage_p50_ms": {s: round(statistics.median(v), 3) for s, v in stages.items()},
    }
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = json.dumps(value) if isinstance(value, dict) else (f"{value:.2f}" if isinstance(value, float) else value)
        print(f"{key:<{width}}  {shown}")


if __name__ == "__main__":
    main()
