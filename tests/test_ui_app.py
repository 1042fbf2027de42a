"""The pages served in-process over the FakeBot, driven through HTTP and Gradio's own client."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
from typing import Iterator

from pathlib import Path

import httpx
import pytest
from gradio_client import Client

import app
from bot.config import ROOT, Settings, load_settings
from tests.servers import free_port
from tests.test_ui_fakes import FakeBot

PASSWORD = "long-enough-pw"


EMBEDDER = "https://calmclinic.example"
EVIL = "https://evil.example"


def make_settings(tmp: os.PathLike[str], **over: object) -> Settings:
    base = load_settings({"KAP_DATA_DIR": str(tmp), "CLINIC_NAME": "Calm Clinic", "CLINIC_PHONE": "(555) 010-0199",
                          "KAP_FRAME_ANCESTORS": EMBEDDER})
    return dataclasses.replace(base, host="127.0.0.1", port=free_port(), staff_port=free_port(), **over)


def staff_base(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.staff_port}"


@contextlib.contextmanager
def signed_in(settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client holding a staff session cookie."""
    with httpx.Client(base_url=staff_base(settings)) as client:
        assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 200
        yield client


@contextlib.contextmanager
def console(settings: Settings, bot: FakeBot | None = None) -> Iterator[str]:
    """The visitor page and the staff console served with `settings` and `bot` (a fresh fake by default); yields
    the console's base URL."""
    bot = bot or FakeBot(settings)
    visitor, staff = app.serve(settings, lambda: bot, block=False)
    assert staff is not None
    try:
        yield staff_base(settings)
    finally:
        visitor.close()
        staff.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, FakeBot]]:
    settings = make_settings(tmp_path_factory.mktemp("app-data"), staff_user="staff", staff_password=PASSWORD)
    bot = FakeBot(settings)
    with console(settings, bot):
        yield settings, bot


def test_analytics_off_and_nothing_heavy_at_import() -> None:
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and app.demo.analytics_enabled is False
    probe = "import sys, app; print(sorted(m for m in ('bot.pipeline', 'sentence_transformers', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_chat_through_gradio_client(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    client = Client(f"http://127.0.0.1:{settings.port}/", verbose=False)
    box, history = client.predict("What is KAP? <b>x</b>", api_name="/chat")
    assert box == "" and len(history) == 2
    answer = history[1]["content"][0]["text"]
    assert 'class="kap-answer kap-answered"' in answer and '<sup class="kap-ref">[1]</sup>' in answer
    assert "&lt;b&gt;x&lt;/b&gt;" in history[0]["content"][0]["text"]
    _, history = client.predict("I want to kill myself", api_name="/chat")
    crisis = history[3]["content"][0]["text"]
    assert len(history) == 4 and crisis.startswith('<div class="kap-answer kap-crisis"><div class="kap-crisis-actions"')
    assert 'href="tel:988"' in crisis and 'href="sms:988"' in crisis


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
    _, history = client.predict("boom", api_name="/chat")
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
    assert "Staff console" in httpx.get(base + "/").text  # our sign-in page
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


def test_staff_login_cookie_is_one_httponly_strict_cookie(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    reply = httpx.post(staff_base(settings) + "/login", data={"username": "staff", "password": PASSWORD})
    cookies = reply.headers.get_list("set-cookie")
    assert len(cookies) == 1  # no insecure duplicate
    assert "HttpOnly" in cookies[0] and "SameSite=Strict" in cookies[0] and "Secure" not in cookies[0]  # plain http
    behind_tls = httpx.post(staff_base(settings) + "/login", data={"username": "staff", "password": PASSWORD},
                            headers={"X-Forwarded-Proto": "https"})  # a TLS proxy on this machine
    assert behind_tls.headers.get_list("set-cookie")[0].endswith("; Secure")


@pytest.mark.parametrize("host", [None, "10.0.0.5:7861", "staff.clinic.lan"])  # loopback, an internal bind, a proxy
def test_staff_port_refuses_a_cross_origin_credentialed_read(served: tuple[Settings, FakeBot], host: str | None) -> None:
    settings, _ = served
    with signed_in(settings) as client:
        headers = {"Origin": EVIL, **({"Host": host} if host else {})}
        assert client.get("/gradio_api/info").status_code == 200  # the console's own page may read it
        for method, path in (("GET", "/gradio_api/info"), ("GET", "/config"), ("GET", "/export.csv"),
                             ("POST", "/gradio_api/call/trace"), ("OPTIONS", "/gradio_api/info")):
            reply = client.request(method, path, headers={**headers, "Access-Control-Request-Method": "GET"},
                                   json={"data": ["What is KAP?"]} if method == "POST" else None)
            assert reply.status_code == 403, (method, path)
            assert not any(h.lower().startswith("access-control-") for h in reply.headers), (method, path)
        post = client.post("/gradio_api/call/trace", json={"data": ["x"]}, headers={"Sec-Fetch-Site": "cross-site"})
        assert post.status_code == 403  # a form posted from another site, Origin or not


def test_staff_console_is_never_framed(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    with signed_in(settings) as client:
        for path in ("/", "/config", "/kap-static/favicon.png"):
            reply = client.get(path)
            assert reply.headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in reply.headers["content-security-policy"], path
    assert httpx.get(staff_base(settings) + "/").headers["x-frame-options"] == "DENY"  # the sign-in page too


def test_public_port_never_serves_an_export(served: tuple[Settings, FakeBot], tmp_path_factory: pytest.TempPathFactory) -> None:
    settings, bot = served
    visitor = f"http://127.0.0.1:{settings.port}"
    Client(visitor + "/", verbose=False).predict("What is KAP?", api_name="/chat")
    from bot.ui.feedback import FeedbackStore
    FeedbackStore(settings.data_dir).add(-1, "a visitor's question about Maria", "an answer", "answered")
    assert httpx.get(staff_base(settings) + "/export.csv").status_code == 401  # not signed in
    with signed_in(settings) as client:
        export = client.get("/export.csv")
    assert export.status_code == 200 and "a visitor's question" in export.text
    assert export.headers["content-disposition"].startswith('attachment; filename="feedback-')
    assert httpx.get(visitor + "/export.csv").status_code == 404  # the route exists on the console only
    written = [p for p in Path(settings.data_dir).rglob("*.csv")]
    assert written == []  # made on request, never left on disk
    for path in [Path(settings.data_dir) / "feedback.sqlite3", Path(settings.data_dir)]:
        reply = httpx.get(f"{visitor}/gradio_api/file={path.resolve()}")
        assert reply.status_code in (403, 404), path


def test_legacy_exports_are_deleted_when_the_console_starts(tmp_path: Path) -> None:
    old = tmp_path / "exports" / "feedback-20250101-000000.csv"
    old.parent.mkdir()
    old.write_text("id,question\n1,old visitor text\n")
    with console(make_settings(tmp_path, staff_user="staff", staff_password=PASSWORD)):
        assert not old.exists()


def test_the_20th_rapid_wrong_password_is_not_answered_at_full_speed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.ui.auth import hash_password
    settings = make_settings(tmp_path, staff_user="staff", staff_password=hash_password(PASSWORD))  # 600,000 rounds
    with console(settings) as base:
        with caplog.at_level("INFO"), httpx.Client(base_url=base, timeout=30) as client:
            codes = [client.post("/login", data={"username": "staff", "password": f"guess-{i}"}).status_code
                     for i in range(20)]
            assert codes[:5] == [400] * 5  # five free failures …
            assert codes[-1] == 429 and codes.count(400) <= 7  # … then the client waits, unchecked
            right = client.post("/login", data={"username": "staff", "password": PASSWORD})
            assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1  # even the right one waits
            page = client.post("/login", data={"username": "staff", "password": "x", "page": "1"})
            assert page.status_code == 429 and "Try again in" in page.text
        assert "staff login failed from 127.0.0.1" in caplog.text and "locked for" in caplog.text
        assert "guess-" not in caplog.text and PASSWORD not in caplog.text  # never the password


def test_password_hashing_does_not_stall_the_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a password check is running (held here until released), pages are still served: the check runs off
    the event loop. No clock: were it on the loop, the page request would hang until its timeout."""
    import concurrent.futures
    import threading

    from bot.ui import auth
    checking, release = threading.Event(), threading.Event()

    def held_check(supplied: str, stored: str) -> bool:
        checking.set()
        release.wait(30)
        return False

    settings = make_settings(tmp_path, staff_user="staff", staff_password=auth.hash_password(PASSWORD))
    monkeypatch.setattr(auth, "verify_password", held_check)
    with console(settings) as base, concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            guess = pool.submit(lambda: httpx.post(base + "/login", data={"username": "staff", "password": "g"},
                                                   timeout=30).status_code)
            assert checking.wait(10), "the password check never started"
            assert httpx.get(base + "/", timeout=10).status_code == 200  # served while the check is held
            assert not guess.done()
        finally:
            release.set()
        assert guess.result() == 400


def test_concurrent_wrong_guesses_are_each_refused(tmp_path: Path) -> None:
    import concurrent.futures

    from bot.ui.auth import hash_password
    with console(make_settings(tmp_path, staff_user="staff", staff_password=hash_password(PASSWORD))) as base:
        def guess(i: int) -> int:  # four clients (X-Forwarded-For from a trusted local proxy), each within its free tries
            return httpx.post(base + "/login", data={"username": "staff", "password": f"g{i}"},
                              headers={"X-Forwarded-For": f"192.0.2.{i % 4}"}, timeout=30).status_code
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(guess, range(16))).count(400) == 16


def test_logging_out_ends_the_session(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    with signed_in(settings) as client:
        assert client.get("/config").status_code == 200
        assert client.get("/logout").status_code == 303
        assert client.get("/config").status_code == 401


def test_visitor_page_headers_title_and_preview(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    page = httpx.get(f"http://127.0.0.1:{settings.port}/")
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {EMBEDDER}" in csp and "'unsafe-eval'" not in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "same-origin"
    assert "x-frame-options" not in page.headers  # framing is the CSP's to allow
    html = page.text
    assert "<title>Calm Clinic: Questions about ketamine-assisted therapy</title>" in html
    assert '<meta name="description" content="Answers to common questions' in html
    assert f'<meta property="og:image" content="http://127.0.0.1:{settings.port}/kap-static/preview.png">' in html
    assert 'content="Gradio"' not in html and "Click to try out the app" not in html and "githubusercontent" not in html
    assert 'rel="manifest"' not in html
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert html.count("<script") == html.count(f'<script nonce="{nonce}"')  # every script carries this page's nonce
    image = httpx.get(f"http://127.0.0.1:{settings.port}/kap-static/preview.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_visitor_chat_shares_reads_only_with_the_embedding_site(served: tuple[Settings, FakeBot]) -> None:
    settings, _ = served
    url = f"http://127.0.0.1:{settings.port}/config"
    embedder = httpx.get(url, headers={"Origin": EMBEDDER})
    assert embedder.headers["access-control-allow-origin"] == EMBEDDER
    assert "access-control-allow-credentials" not in embedder.headers
    assert "access-control-allow-origin" not in httpx.get(url, headers={"Origin": EVIL}).headers


def test_unknown_api_names_get_a_clean_404(served: tuple[Settings, FakeBot], caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = served
    base = f"http://127.0.0.1:{settings.port}/gradio_api"
    with caplog.at_level("INFO"):
        for path, body in (("/call/nonexistent", {"data": ["x"]}), ("/run/nonexistent", {"data": ["x"]}),
                           ("/queue/join", {"data": ["x"], "fn_index": 999, "session_hash": "abc"})):
            reply = httpx.post(base + path, json=body)
            assert reply.status_code == 404 and reply.json() == {"error": "No such API function."}, path
    assert "Traceback" not in caplog.text and "FnIndexInferError" not in caplog.text
