"""The pages served in-process over the FakeBot, driven through HTTP and Gradio's own client."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from typing import Iterator

import httpx
import pytest
from gradio_client import Client

import app
from bot.config import ROOT, Settings, load_settings
from tests.servers import free_port
from tests.test_ui_fakes import FakeBot

PASSWORD = "long-enough-pw"


def make_settings(tmp: os.PathLike[str], **over: object) -> Settings:
    base = load_settings({"KAP_DATA_DIR": str(tmp), "CLINIC_NAME": "Calm Clinic", "CLINIC_PHONE": "(555) 010-0199"})
    return dataclasses.replace(base, host="127.0.0.1", port=free_port(), staff_port=free_port(), **over)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, FakeBot]]:
    settings = make_settings(tmp_path_factory.mktemp("app-data"), staff_user="staff", staff_password=PASSWORD)
    bot = FakeBot(settings)
    visitor, staff = app.serve(settings, lambda: bot, block=False)
    assert staff is not None
    yield settings, bot
    visitor.close()
    staff.close()


def test_analytics_off_and_nothing_heavy_at_import() -> None:
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and app.demo.analytics_enabled is False
    probe = "import sys, app; print(sorted(m for m in ('bot.pipeline', 'sentence_transformers', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_chat_through_gradio_client(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
    box, history, crisis = client.predict("What is KAP? <b>x</b>", api_name="/chat")
    assert box == "" and len(history) == 2
    answer = history[1]["content"][0]["text"]
    assert 'class="kap-answer kap-answered"' in answer and '<sup class="kap-ref">[1]</sup>' in answer
    assert "&lt;b&gt;x&lt;/b&gt;" in history[0]["content"][0]["text"]
    _, history, crisis = client.predict("I want to kill myself", api_name="/chat")
    assert len(history) == 4 and "kap-crisis" in history[3]["content"][0]["text"]
    assert "kap-crisis-panel" in str(crisis) and "tel:988" in str(crisis)


def test_the_chat_passes_the_previous_question_for_follow_ups(served: tuple[Settings, FakeBot]) -> None:
    settings, bot = served
    client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)  # a new session
    client.predict("What is ketamine-assisted psychotherapy?", api_name="/chat")
    client.predict("does it work?", api_name="/chat")
    client.predict("I want to kill myself", api_name="/chat")
    client.predict("does it work?", api_name="/chat")
    # after a crisis message too: a short reply to it stays in crisis (bot.guards.crisis.crisis_in_context)
    assert bot.previous[-4:] == [None, "What is ketamine-assisted psychotherapy?", "does it work?", "I want to kill myself"]


def test_pipeline_failure_shows_the_error_template(served: tuple[Settings, FakeBot]) -> None:
    settings, bot = served
    client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
    _, history, _ = client.predict("boom", api_name="/chat")
    text = history[1]["content"][0]["text"]
    assert "went wrong" in text and "Traceback" not in text and "RuntimeError" not in text


def test_pages_request_nothing_external(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    base = f"http://127.0.0.1:{settings.port}"
    page = httpx.get(base + "/").text + httpx.get(base + "/theme.css").text + httpx.get(base + "/config").text
    assert "fonts.googleapis" not in page and "fonts.gstatic" not in page
    assert "system-ui" in httpx.get(base + "/theme.css").text


def test_staff_console_requires_login(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    base = f"http://127.0.0.1:{settings.staff_port}"
    for path in ("/config", "/gradio_api/info", "/gradio_api/queue/status"):
        assert httpx.get(base + path).status_code in (401, 403), path
    call = httpx.post(base + "/gradio_api/call/trace", json={"data": ["What is KAP?"]})
    assert call.status_code in (401, 403)
    assert "Answer with trace" not in httpx.get(base + "/").text  # the login page, not the console
    assert httpx.post(base + "/login", data={"username": "staff", "password": "wrong-password"}).status_code == 400
    client = Client(base + "/", auth=("staff", PASSWORD), verbose=False)
    shown, trace, record = client.predict("What is KAP?", api_name="/trace")
    assert "kap-answer" in shown and "fused (RRF)" in trace and record["kind"] == "answered"


def test_console_refuses_without_credentials(tmp_path: os.PathLike[str], caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path)
    with caplog.at_level("WARNING", logger="app"):
        visitor, staff = app.serve(settings, lambda: FakeBot(settings), block=False)
    try:
        assert staff is None
        assert "staff console not started: set KAP_STAFF_USER and KAP_STAFF_PASSWORD" in caplog.text
        assert httpx.get(f"http://127.0.0.1:{settings.port}/").status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{settings.staff_port}/")
    finally:
        visitor.close()
