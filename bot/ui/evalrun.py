"""Run the evaluation suite (`python -m evals`) from the staff console and read its latest report.

The suite runs in a child process (it loads its own bot), one run at a time, with a time limit.
"""
from __future__ import annotations

import base64
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

from bot.config import ROOT

REPORT_DIR = ROOT / "evals" / "report"
EVAL_TIMEOUT_S = 30 * 60
OUTPUT_TAIL_LINES = 200  # lines of the suite's output kept on screen
POLL_S = 1.0
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+\.png)\)")


class EvalRunner:
    def __init__(self, report_dir: Path = REPORT_DIR, command: Sequence[str] | None = None,
                 cwd: Path = ROOT, timeout_s: float = EVAL_TIMEOUT_S, poll_s: float = POLL_S) -> None:
        self.report_dir = report_dir
        self.command = list(command or [sys.executable, "-m", "evals", "--out", str(report_dir)])
        self.cwd, self.timeout_s, self.poll_s = cwd, timeout_s, poll_s
        self._lock = threading.Lock()

    def run(self, gated: bool = False) -> Iterator[str]:
        """Yields the output so far (its last lines) while the suite runs, then a closing status line."""
        if not self._lock.acquire(blocking=False):
            yield "An evaluation is already running; wait for it to finish."
            return
        try:
            yield from self._run(self.command + (["--gated"] if gated else []))
        finally:
            self._lock.release()

    def _run(self, command: list[str]) -> Iterator[str]:
        lines: list[str] = [f"$ {' '.join(command[1:] if command[0] == sys.executable else command)}"]
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        reader = threading.Thread(target=_collect, args=(proc, lines), daemon=True)
        reader.start()
        while proc.poll() is None:
            if time.monotonic() - started > self.timeout_s:
                proc.kill()
                lines.append(f"stopped: the suite ran longer than {self.timeout_s:.0f} s")
                break
            yield _tail(lines)
            time.sleep(self.poll_s)
        proc.wait()
        reader.join(timeout=5)
        status = {0: "all gates pass", 1: "some gates fail (see the report)", 2: "the bot could not be loaded"}
        lines.append(f"exit {proc.returncode}: {status.get(proc.returncode, 'failed')} "
                     f"({time.monotonic() - started:.0f} s)")
        yield _tail(lines)

    def latest_report(self) -> str:
        """report.md as Markdown, its chart images inlined; a hint when no run has written one."""
        md = self.report_dir / "report.md"
        if not md.is_file():
            return "No evaluation report yet. Run the suite above (or `python -m evals`)."
        return inline_images(md.read_text(encoding="utf-8"), md.parent)


def inline_images(markdown: str, base: Path) -> str:
    """Relative PNG links become data: URLs, so the console shows them without serving files."""

    def swap(m: re.Match[str]) -> str:
        path = (base / m["path"]).resolve()
        if not path.is_file() or base.resolve() not in path.parents:
            return m[0]
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"![{m['alt']}](data:image/png;base64,{data})"

    return IMAGE.sub(swap, markdown)


def _collect(proc: subprocess.Popen[str], lines: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if len(lines) > OUTPUT_TAIL_LINES * 2:
            del lines[1 : len(lines) - OUTPUT_TAIL_LINES]


def _tail(lines: list[str]) -> str:
    return "\n".join(lines[-OUTPUT_TAIL_LINES:])
