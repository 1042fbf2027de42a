"""Running the evaluation suite from the console: output streamed, one run at a time, report shown."""
from __future__ import annotations

import base64
import sys
import threading
from pathlib import Path

from bot.ui.evalrun import EvalRunner, inline_images

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def runner(tmp_path: Path, script: str, timeout_s: float = 30) -> EvalRunner:
    return EvalRunner(report_dir=tmp_path / "report", command=[sys.executable, "-c", script], cwd=tmp_path,
                      timeout_s=timeout_s, poll_s=0.05)


def test_output_and_exit_status_are_shown(tmp_path: Path) -> None:
    outputs = list(runner(tmp_path, "print('cases: 3'); raise SystemExit(1)").run())
    assert "cases: 3" in outputs[-1] and "exit 1: some gates fail" in outputs[-1]


def test_gated_flag_is_passed(tmp_path: Path) -> None:
    outputs = list(runner(tmp_path, "import sys; print(sys.argv[1:])").run(gated=True))
    assert "['--gated']" in outputs[-1]


def test_one_run_at_a_time(tmp_path: Path) -> None:
    slow = runner(tmp_path, "import time; time.sleep(0.5)")
    first = slow.run()
    next(first)  # the first run has started
    assert "already running" in "".join(slow.run())
    for _ in first:
        pass
    assert "exit 0" in list(slow.run())[-1]  # free again once finished


def test_runaway_suite_is_stopped(tmp_path: Path) -> None:
    outputs = list(runner(tmp_path, "import time; time.sleep(30)", timeout_s=0.2).run())
    assert "stopped" in outputs[-1]


def test_latest_report_with_inlined_charts(tmp_path: Path) -> None:
    r = runner(tmp_path, "")
    assert "No evaluation report yet" in r.latest_report()
    (tmp_path / "report" / "charts").mkdir(parents=True)
    (tmp_path / "report" / "charts" / "a.png").write_bytes(PNG)
    (tmp_path / "report" / "report.md").write_text("# Report\n![A](charts/a.png)\n![B](../../etc/x.png)\n")
    shown = r.latest_report()
    assert "![A](data:image/png;base64," in shown and "![B](../../etc/x.png)" in shown


def test_inline_images_refuses_paths_outside_the_report(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(PNG)
    (tmp_path / "report").mkdir()
    assert inline_images("![x](../secret.png)", tmp_path / "report") == "![x](../secret.png)"


def test_concurrent_callers_do_not_crash(tmp_path: Path) -> None:
    r = runner(tmp_path, "print('ok')")
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append("".join(r.run()))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert any("exit 0" in x for x in results)
