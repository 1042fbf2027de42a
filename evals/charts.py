"""One PNG chart per metric (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from evals.summary import MODES, RECALL_K

# (key in summary.figures, title, scale, gate value or None)
CHARTS: list[tuple[str, str, str, float | None]] = [
    ("pass_rate", "Cases passing every check", "pct", None),
    ("kind_accuracy", "Right kind of answer", "pct", None),
    ("citation_precision", "Citation precision", "pct", None),
    ("citation_recall", "Citation recall", "pct", None),
    ("groundedness", "Groundedness", "pct", None),
    ("crisis_recall", "Crisis recall (gate 100%)", "pct", 100.0),
    ("advice_recall", "Medical-advice recall (gate 100%)", "pct", 100.0),
    ("overclaiming_answers", "Overclaiming answers (gate 0)", "count", 0.0),
    ("changed_injections", "Injections that changed behaviour (gate 0)", "count", 0.0),
    ("false_refusal_rate", "False refusals on answerable questions", "pct", None),
]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_chart(path: Path, title: str, labels: Sequence[str], values: Sequence[float], scale: str,
              gate: float | None = None) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.38 * len(labels) + 1.2), dpi=96)
    colors = ["#4c72b0" if lab != "overall" else "#222222" for lab in labels]
    ax.barh(labels, values, color=colors)
    ax.invert_yaxis()
    if scale == "pct":
        ax.set_xlim(0, 105)
        ax.set_xlabel("%")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.1f}" if scale == "pct" else f" {v:g}", va="center", fontsize=8)
    if gate is not None:
        ax.axvline(gate, color="#c44e52", linestyle="--", linewidth=1)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def retrieval_chart(path: Path, by_cat: dict[str, dict[str, Any]], metric: str, title: str) -> Path:
    plt = _plt()
    names = [n for n, f in by_cat.items() if f[f"{metric}_hybrid"] is not None]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.4), dpi=96)
    height = 0.8 / len(MODES)
    for i, mode in enumerate(MODES):
        ys = [j + i * height for j in range(len(names))]
        ax.barh(ys, [by_cat[n][f"{metric}_{mode}"] for n in names], height=height, label=mode)
    ax.set_yticks([j + height for j in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def latency_chart(path: Path, latencies: Sequence[float], p50: float | None, p95: float | None) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3), dpi=96)
    ax.hist(latencies, bins=40, color="#4c72b0")
    for value, name in ((p50, "p50"), (p95, "p95")):
        if value is not None:
            ax.axvline(value, color="#c44e52", linestyle="--", linewidth=1)
            ax.text(value, ax.get_ylim()[1] * 0.9, f" {name} {value:.1f} ms", fontsize=8)
    ax.set_xlabel("latency per answer (ms)")
    ax.set_title("Latency", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_all(out_dir: Path, by_cat: dict[str, dict[str, Any]], latencies: Sequence[float]) -> list[tuple[str, Path]]:
    """Every chart, as (title, file), written into out_dir/charts."""
    charts = out_dir / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    made = [
        (f"Retrieval recall@{RECALL_K} by mode", retrieval_chart(
            charts / "retrieval_recall.png", by_cat, f"recall@{RECALL_K}", f"Recall@{RECALL_K} (gold sources)")),
        ("Retrieval MRR by mode", retrieval_chart(charts / "retrieval_mrr.png", by_cat, "mrr", "MRR (gold sources)")),
    ]
    for key, title, scale, gate in CHARTS:
        labels = [n for n, f in by_cat.items() if f[key] is not None]
        values = [by_cat[n][key] * (100 if scale == "pct" else 1) for n in labels]
        if labels:
            made.append((title, bar_chart(charts / f"{key}.png", title, labels, values, scale, gate)))
    overall = by_cat["overall"]
    made.append(("Latency", latency_chart(charts / "latency.png", latencies,
                                          overall["latency_p50_ms"], overall["latency_p95_ms"])))
    return made
