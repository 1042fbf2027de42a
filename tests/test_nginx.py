"""The visitor chat behind Debian's nginx at /faq/, with the shipped deploy/nginx configuration: nginx
runs in the foreground on a loopback port from a temporary directory (no system service), and headless
Chromium asks a question through it. `make test` installs nginx when it is missing."""
from __future__ import annotations

import os
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.servers import (NGINX, Launch, ServerNotUp, free_port, launch_early, launched, nginx_command, nginx_config,
                           running, wait_up)

pytestmark = pytest.mark.browser

if not NGINX.exists():
    pytest.skip(f"{NGINX} is missing: `apt-get install -y nginx` (make test does this)", allow_module_level=True)

from tests.test_browser import (ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, QUESTION, STARTUP_TIMEOUT_S,  # noqa: E402
                                ask, real_index_ready, shoot)

from bot.config import ROOT  # noqa: E402

sync_api = pytest.importorskip("playwright.sync_api")
PREFIX = "/faq"
FIRST_EVENT_S = 5.0  # an event the app sends at once must arrive through the proxy within this


@dataclass
class Proxied:
    site: str  # nginx, e.g. http://127.0.0.1:8123
    chat: str  # the chat through nginx: site + /faq/
    staff: str  # the staff console, directly on its own port


def launch(tmp_path_factory: pytest.TempPathFactory) -> Launch:
    tmp = tmp_path_factory.mktemp("nginx")
    port, staff_port, nginx_port = free_port(), free_port(), free_port()
    backend = os.environ.get("KAP_BROWSER_BOT") or ("real" if real_index_ready() else "fake")
    env = {**os.environ, "KAP_HOST": "127.0.0.1", "KAP_PORT": str(port), "KAP_ROOT_PATH": PREFIX,
           "KAP_STAFF_HOST": "127.0.0.1", "KAP_STAFF_PORT": str(staff_port), "KAP_STAFF_USER": "staff",
           "KAP_STAFF_PASSWORD": "nginx-test-pw", "KAP_DATA_DIR": str(tmp / "data"), "KAP_INDEX_DIR": str(ROOT / "index"),
           "KAP_CONFIG": str(tmp / "none.toml"), "CLINIC_NAME": "Calm Harbor Clinic", "KAP_FRAME_ANCESTORS": "",
           "PYTHONUNBUFFERED": "1"}
    env.pop("CHROMA_HOST", None)
    command = [sys.executable, "app.py"] if backend == "real" else [sys.executable, "-m", "tests.test_ui_fakes"]
    conf = nginx_config(tmp, nginx_port, port)
    site = f"http://127.0.0.1:{nginx_port}"
    stack = ExitStack()
    app = stack.enter_context(running(command, env, tmp / "app.log"))
    nginx = stack.enter_context(running(nginx_command(conf), None, tmp / "nginx.log"))

    def ready() -> None:
        try:
            wait_up(app, tmp / "app.log", STARTUP_TIMEOUT_S, url=f"http://127.0.0.1:{port}/")
            wait_up(nginx, tmp / "nginx.log", 30, url=f"{site}{PREFIX}/")
        except ServerNotUp as exc:
            errors = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
            raise ServerNotUp(f"{exc}\nnginx error log:\n{errors}") from exc
    return Launch(stack, ready, Proxied(site, f"{site}{PREFIX}/", f"http://127.0.0.1:{staff_port}/"))


launch_early(__name__, launch)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    with launched(__name__, tmp_path_factory) as started:
        yield started


def test_a_question_is_answered_through_nginx_at_faq(proxied: Proxied) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        seen: list[str] = []
        refused: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        try:
            page.goto(proxied.chat)
            answer = ask(page, QUESTION)
            assert "kap-answered" in answer.get_attribute("class")
            footnote = answer.locator(".kap-fn").first
            footnote.locator("summary").click()
            assert footnote.locator(".kap-passage mark").is_visible()
            shoot(page, "nginx-faq")
        finally:
            browser.close()
    outside = sorted({u for u in seen if not u.startswith(proxied.chat) and not u.startswith(("data:", "blob:"))})
    assert not outside, f"the page asked for something outside {proxied.chat}: {outside}"
    assert not refused, refused


def test_event_streams_pass_through_unbuffered(proxied: Proxied) -> None:
    url = f"{proxied.chat}gradio_api/heartbeat/nginx-test-session"
    started = time.monotonic()
    with httpx.stream("GET", url, timeout=FIRST_EVENT_S) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        first = next(stream.iter_text())  # the app sends this at once, then waits 15 s: buffered, it would not arrive
    assert "ALIVE" in first and time.monotonic() - started < FIRST_EVENT_S


def test_the_page_knows_its_public_address_and_only_the_chat_is_proxied(proxied: Proxied) -> None:
    page = httpx.get(proxied.chat)
    assert f'content="{proxied.chat}kap-static/preview.png"' in page.text  # built from X-Forwarded-Host and /faq
    assert f'"root":"{proxied.chat.rstrip("/")}"' in httpx.get(proxied.chat + "config").text
    redirect = httpx.get(proxied.site + PREFIX)
    assert redirect.status_code == 301 and redirect.headers["location"].endswith(f"{PREFIX}/")
    for path in ("/login", "/export.csv", "/gradio_api/info", f"{PREFIX}/export.csv"):
        assert httpx.get(proxied.site + path).status_code == 404, path  # the console is not behind nginx
    assert httpx.get(proxied.staff).status_code == 200  # it is on its own address


def test_the_shipped_snippets_are_what_was_tested() -> None:
    location = (ROOT / "deploy" / "nginx" / "kap-faq-location.conf").read_text()
    for line in ("proxy_buffering off;", "proxy_set_header X-Forwarded-Host $http_host;",
                 "proxy_set_header Upgrade $http_upgrade;", "proxy_pass http://kap_faq_visitor/;"):
        assert line in location, line
    assert Path(nginx_command(Path("/x/nginx.conf"))[0]) == NGINX
