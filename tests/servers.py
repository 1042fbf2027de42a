"""Server processes for tests and scripts: a free loopback port, a process logging to a file, waiting
until it answers, and stopping it. Used by the browser, UI, Chroma-server tests and scripts/load.py.

A test module whose server takes seconds to boot (the app loads the real bot) registers it with
`launch_early`: tests/conftest.py starts every registered server whose module has tests to run before
the first test, and runs those modules last, so the servers boot beside the in-process tests (which
use one core of two) instead of in front of their own tests. The module's fixture takes its server
with `launched`, which waits until it answers."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.config import ROOT

LOG_TAIL = 3000  # characters of the server's log shown when it fails to start


class ServerNotUp(RuntimeError):
    """The server exited or did not answer in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(command: Sequence[str], env: Mapping[str, str] | None, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` from the project root with its output in `log_path`; stop it on leaving."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(list(command), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_up(proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float, url: str | None = None,
            port: int | None = None) -> None:
    """Until `url` answers 200 (or `port` accepts a connection); ServerNotUp if the process exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerNotUp(f"{proc.args[0]} exited with {proc.returncode}:\n{_tail(log_path)}")
        if _answers(url, port):
            return
        time.sleep(0.2)
    raise ServerNotUp(f"{url or port} not up after {timeout_s:.0f} s:\n{_tail(log_path)}")


@dataclass
class Launch:
    """A test module's server processes, started: `ready` waits until they answer (ServerNotUp if not),
    `value` is what its fixture yields, `stack` stops them."""

    stack: ExitStack
    ready: Callable[[], None]
    value: Any


Launcher = Callable[[Any], Launch]  # called with the session's pytest.TempPathFactory
_LAUNCHERS: dict[str, Launcher] = {}
_STARTED: dict[str, Launch] = {}


def launch_early(module: str, launcher: Launcher) -> None:
    """Register how `module` starts its server (at the module's import, so during collection)."""
    _LAUNCHERS[module] = launcher


def early_modules() -> set[str]:
    return set(_LAUNCHERS)


def start_early(modules: set[str], tmp_path_factory: Any) -> None:
    """Start the registered servers of these modules now, without waiting for them. One that cannot
    start (a skip, an error) is left to its module's fixture, which starts it again and reports why."""
    import pytest

    for module in sorted(modules & _LAUNCHERS.keys()):
        try:
            _STARTED[module] = _LAUNCHERS[module](tmp_path_factory)
        except (Exception, pytest.skip.Exception):
            pass


def stop_early() -> None:
    """Stop the servers started early whose module never took them (deselected, interrupted)."""
    while _STARTED:
        _STARTED.popitem()[1].stack.close()


@contextmanager
def launched(module: str, tmp_path_factory: Any) -> Iterator[Any]:
    """The module's server, started early or else now, once it answers; stopped on leaving."""
    import pytest

    launch = _STARTED.pop(module, None) or _LAUNCHERS[module](tmp_path_factory)
    with launch.stack:
        try:
            launch.ready()
        except ServerNotUp as exc:
            pytest.fail(str(exc))
        yield launch.value


def _answers(url: str | None, port: int | None) -> bool:
    if url is not None:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port or 0)) == 0


def _tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-LOG_TAIL:] if log_path.exists() else "(no log)"


NGINX = Path("/usr/sbin/nginx")
NGINX_DIR = ROOT / "deploy" / "nginx"
NGINX_UPSTREAM = "127.0.0.1:7860"  # as written in deploy/nginx/kap-faq-upstream.conf


def nginx_config(directory: Path, listen_port: int, visitor_port: int) -> Path:
    """An unprivileged nginx.conf in `directory`: loopback only, every path in the directory, and the
    shipped deploy/nginx snippets (the upstream pointed at `visitor_port`, the location block verbatim)."""
    import getpass

    upstream = (NGINX_DIR / "kap-faq-upstream.conf").read_text()
    if NGINX_UPSTREAM not in upstream:
        raise ValueError(f"{NGINX_DIR / 'kap-faq-upstream.conf'} no longer names {NGINX_UPSTREAM}")
    (directory / "kap-faq-upstream.conf").write_text(upstream.replace(NGINX_UPSTREAM, f"127.0.0.1:{visitor_port}"))
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(f"""# written by tests/servers.py: nginx for one test run, in the foreground
{f"user {getpass.getuser()};" if os.geteuid() == 0 else ""}
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {directory}/kap-faq-upstream.conf;
    server {{
        listen 127.0.0.1:{listen_port};
        server_name localhost;
        location = / {{ return 200 "the clinic's site\\n"; }}
        include {NGINX_DIR / 'kap-faq-location.conf'};
    }}
}}
""")
    return conf


def nginx_command(conf: Path) -> list[str]:
    return [str(NGINX), "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")]
