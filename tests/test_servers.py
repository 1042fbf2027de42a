"""The server-process helper shared by the browser, UI and Chroma-server tests and scripts/load.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.servers import ServerNotUp, free_port, running, wait_up


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "s.log"
    with running([sys.executable, "-c", "print('cannot bind'); raise SystemExit(3)"], None, log) as proc:
        with pytest.raises(ServerNotUp, match=r"exited with 3:\ncannot bind"):
            wait_up(proc, log, timeout_s=30, port=free_port())


def test_waits_until_the_url_answers_and_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    with running(command, None, tmp_path / "s.log") as proc:
        wait_up(proc, tmp_path / "s.log", timeout_s=30, url=f"http://127.0.0.1:{port}/")
    assert proc.returncode is not None  # stopped on leaving


def test_gives_up_after_the_timeout(tmp_path: Path) -> None:
    with running([sys.executable, "-c", "import time; time.sleep(30)"], None, tmp_path / "s.log") as proc:
        with pytest.raises(ServerNotUp, match="not up after 1 s"):
            wait_up(proc, tmp_path / "s.log", timeout_s=1, port=free_port())
