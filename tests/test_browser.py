"""Headless Chromium against app.py started on 127.0.0.1 by the test.

The real bot serves when its index is built and fresh (`python -m bot index`); otherwise the pages are
served over the FakeBot (tests/test_ui_fakes.py). KAP_BROWSER_BOT=real|fake forces either.
Screenshots go to test-artifacts/ and, with KAP_README_SHOTS=1, the README's to docs/screenshots/.
"""
from __future__ import annotations

import os
import shutil
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from bot.config import ROOT
from tests.servers import Launch, free_port, launch_early, launched, running, wait_up

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts"
README_SHOTS = ROOT / "docs" / "screenshots"
STARTUP_TIMEOUT_S = 180
ANSWER_TIMEOUT_MS = 30_000
EVAL_TIMEOUT_MS = 180_000  # the gated suite takes ~15 s on the reference machine
MAX_TABS = 40  # keyboard walk: presses before giving up
USER, PASSWORD = "staff", "browser-test-pw"
QUESTION = "What is ketamine-assisted psychotherapy?"
TRACE_QUESTION = "What did the Zarate 2006 trial find?"  # no FAQ card answers it: the trace shows retrieval
CRISIS = "I want to kill myself"
CHECK_IN = "i feel so empty and alone, nothing helps"  # distress the bot has no answer for: a check-in
LOCAL = ("http://127.0.0.1", "data:", "blob:", "about:")
# Playwright's wait_for_function evaluates a plain expression with eval(), which the pages' CSP refuses:
# every predicate here is a function.

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does this)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
Axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed").Axe


@dataclass
class Server:
    visitor: str
    staff: str
    backend: str  # "real" or "fake"


def real_index_ready() -> bool:
    try:
        import bot.pipeline  # noqa: F401  (the whole pipeline must import)
        from bot import index
        from bot.config import load_settings
        from bot.embed import MODEL_NAME

        return index.status(load_settings({"KAP_INDEX_DIR": str(ROOT / "index")}), MODEL_NAME) == "fresh"
    except Exception:  # no pipeline yet, corpus error: the fake bot serves
        return False


def launch_app(tmp: Path, env: dict[str, str], backend: str, artifact: str) -> Launch:
    """app.py (or the fake bot's pages) with this environment, started; its log kept as `artifact`."""
    port, staff_port = int(env["KAP_PORT"]), int(env["KAP_STAFF_PORT"])
    command = [sys.executable, "app.py"] if backend == "real" else [sys.executable, "-m", "tests.test_ui_fakes"]
    log = tmp / "app.log"
    stack = ExitStack()
    stack.callback(keep_log, log, artifact)  # last, once the app has stopped
    proc = stack.enter_context(running(command, env, log))

    def ready() -> None:
        wait_up(proc, log, STARTUP_TIMEOUT_S, url=f"http://127.0.0.1:{port}/")
        wait_up(proc, log, STARTUP_TIMEOUT_S, url=f"http://127.0.0.1:{staff_port}/")
    return Launch(stack, ready, Server(f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{staff_port}/", backend))


def keep_log(log: Path, artifact: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    if log.exists():
        shutil.copy(log, ARTIFACTS / artifact)


def launch(tmp_path_factory: pytest.TempPathFactory) -> Launch:
    tmp = tmp_path_factory.mktemp("browser")
    backend = os.environ.get("KAP_BROWSER_BOT") or ("real" if real_index_ready() else "fake")
    port, staff_port = free_port(), free_port()
    env = {**os.environ, "KAP_HOST": "127.0.0.1", "KAP_PORT": str(port), "KAP_STAFF_PORT": str(staff_port),
           "KAP_STAFF_HOST": "127.0.0.1", "KAP_ROOT_PATH": "", "KAP_FRAME_ANCESTORS": "",
           "KAP_DATA_DIR": str(tmp / "data"), "KAP_INDEX_DIR": str(ROOT / "index"), "KAP_CONFIG": str(tmp / "none.toml"),
           "KAP_STAFF_USER": USER, "KAP_STAFF_PASSWORD": PASSWORD, "CLINIC_NAME": "Calm Harbor Clinic",
           "CLINIC_PHONE": "(555) 010-0199", "CLINIC_ADDRESS": "12 Harbor St, Springfield", "PYTHONUNBUFFERED": "1"}
    env.pop("CHROMA_HOST", None)
    return launch_app(tmp, env, backend, "app.log")


launch_early(__name__, launch)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with launched(__name__, tmp_path_factory) as started:
        print(f"browser tests against the {started.backend} bot")
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh desktop page; every request it makes must stay on 127.0.0.1, and nothing it does may break
    its Content-Security-Policy."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    seen: list[str] = []
    blocked: list[str] = []
    context.on("request", lambda r: seen.append(r.url))
    pg = context.new_page()
    pg.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    pg.set_default_timeout(ANSWER_TIMEOUT_MS)
    yield pg
    context.close()
    external = sorted({u for u in seen if not u.startswith(LOCAL)})
    assert not external, f"requests left 127.0.0.1: {external}"
    assert not blocked, f"the page tried something its Content-Security-Policy refuses: {blocked[:3]}"


def shoot(pg: object, name: str, readme: bool = False) -> None:
    """Always a test artifact; the README's copy only when asked (KAP_README_SHOTS=1), so a test run
    never rewrites tracked files."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if readme and os.environ.get("KAP_README_SHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(README_SHOTS / f"{name}.png"), full_page=True)


def ask(pg: object, question: str) -> object:
    """Type a question, send it, return the new answer."""
    before = pg.locator(".kap-answer").count()
    pg.locator("#kap-input textarea").fill(question)
    pg.locator("#kap-input textarea").press("Enter")
    pg.wait_for_function("n => document.querySelectorAll('.kap-answer').length > n", arg=before)
    return pg.locator(".kap-answer").last


def contrast(pg: object, selector: str) -> float:
    """WCAG contrast ratio of an element's text against the nearest opaque background; 0 when the element
    or an ancestor is drawn translucent (opacity < 1 fades both, and the ratio would flatter it)."""
    return pg.evaluate("""sel => {
      for (let n = document.querySelector(sel); n; n = n.parentElement) if (parseFloat(getComputedStyle(n).opacity) < 1) return 0;
      const lum = c => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(v => { v = v / 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126*r + 0.7152*g + 0.0722*b; };
      const el = document.querySelector(sel); let bg = el, fill = 'rgb(255, 255, 255)';
      while (bg) { const c = getComputedStyle(bg).backgroundColor;
        if (c && !c.startsWith('rgba(0, 0, 0, 0)') && !c.endsWith(', 0)')) { fill = c; break; } bg = bg.parentElement; }
      const [a, b] = [lum(getComputedStyle(el).color), lum(fill)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05); }""", selector)


def login(pg: object, url: str, password: str) -> None:
    pg.goto(url)
    pg.get_by_label("User name").fill(USER)
    pg.get_by_label("Password").fill(password)
    pg.get_by_role("button", name="Sign in").click()


def serious_axe_violations(pg: object) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    results = Axe().run(pg).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
            for v in results if v["impact"] in ("serious", "critical")]


def in_first_screen(pg: object, selector: str, settle_ms: int = 5000) -> bool:
    """The element is wholly inside the viewport and is what a tap at its centre would hit, once the page has
    settled: on a cold start the first render can still be moving or covered for a moment (seen in a fresh clone's
    `make test` and once more in the run straight after it; it passed in the six reruns that followed), so the
    check is polled for up to `settle_ms` rather than read once."""
    try:
        pg.wait_for_function("""sel => { const el = document.querySelector(sel); if (!el) return false;
          const r = el.getBoundingClientRect();
          if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth || !r.height) return false;
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return hit === el || el.contains(hit); }""", arg=selector, timeout=settle_ms)
    except sync_api.TimeoutError:
        return False
    return True


def test_answer_with_citation_footnote(server: Server, page: object) -> None:
    page.goto(server.visitor)
    notice = page.locator(".kap-notice")
    assert "not medical advice" in notice.inner_text() and "988" in notice.inner_text()
    assert page.locator(".kap-notice a[href='tel:988']").is_visible()
    assert page.locator(".kap-notice a[href='sms:988']").is_visible()
    answer = ask(page, QUESTION)
    assert "kap-answered" in answer.get_attribute("class")
    footnote = answer.locator(".kap-fn").first
    assert footnote.locator("summary").inner_text().startswith("[1]")
    assert answer.locator(".kap-ref").first.inner_text() == "[1]"
    footnote.locator("summary").click()
    assert footnote.locator(".kap-passage mark").is_visible()  # the cited passage, in context
    assert notice.is_visible()  # still on screen with an answer shown
    for selector in (".kap-notice", ".kap-notice a", ".kap-answer p", ".kap-fn summary"):
        assert contrast(page, selector) >= 4.5, selector
    page.set_viewport_size({"width": 1100, "height": 1500})  # the whole exchange in the README shot
    page.locator(".kap-q").first.scroll_into_view_if_needed()
    shoot(page, "chat", readme=server.backend == "real")  # the README shows the real bot only


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_crisis_buttons_come_first_in_view_and_focused(server: Server, browser: object, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500, has_touch=width < 500)
    pg = context.new_page()
    pg.set_default_timeout(ANSWER_TIMEOUT_MS)
    try:
        pg.goto(server.visitor)
        ask(pg, QUESTION)  # an ordinary answer first: the crisis reply is not the only thing in the chat
        answer = ask(pg, CRISIS)
        assert "kap-crisis" in answer.get_attribute("class") and "988" in answer.inner_text()
        call = "#kap-chat .kap-answer:last-of-type .kap-crisis-actions a[href='tel:988']"
        pg.wait_for_function("sel => document.activeElement === document.querySelector(sel)", arg=call)  # focus moved
        actions = answer.locator(".kap-crisis-actions a.kap-action")
        assert [actions.nth(i).inner_text() for i in range(3)] == ["Call 988", "Text 988", "Call 911"]
        for href in ("tel:988", "sms:988", "tel:911"):
            assert in_first_screen(pg, f"#kap-chat .kap-answer:last-of-type a.kap-action[href='{href}']"), href
        first = answer.locator(":scope > *").first
        assert "kap-crisis-actions" in first.get_attribute("class")  # the reply starts with them
        pg.wait_for_function("() => (document.getElementById('kap-live') || {}).textContent?.includes('988')")  # announced
        assert pg.locator("#kap-live").get_attribute("role") == "alert"
        button = actions.first
        assert float(button.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 16
        assert button.bounding_box()["height"] >= 44  # a comfortable tap target
        for selector in (".kap-crisis-actions + p", "a.kap-action"):
            assert contrast(pg, f"#kap-chat .kap-answer:last-of-type {selector}") >= 4.5, selector
        assert "(555) 010-0199" in answer.inner_text()
        shoot(pg, f"crisis-{width}", readme=width < 500 and server.backend == "real")
    finally:
        context.close()


def test_a_check_in_offers_im_safe_and_then_answers(server: Server, page: object) -> None:
    """The check-in starts with the crisis help; its one button sends the question on, marked safe; the
    button never shows on a full crisis reply, and the 988 line stays on screen afterwards."""
    page.goto(server.visitor)
    safe = page.locator("#kap-safe")
    check_in = ask(page, CHECK_IN)
    assert "kap-crisis" in check_in.get_attribute("class")
    assert "kap-crisis-actions" in check_in.locator(":scope > *").first.get_attribute("class")  # resources first
    assert "thoughts of suicide" in check_in.inner_text()  # the gentle question
    safe.wait_for(state="visible")
    assert safe.inner_text() == "I'm safe — show me the answer"
    safe.click()
    page.wait_for_function("() => document.querySelectorAll('.kap-answer').length >= 2")
    after = page.locator(".kap-answer").last
    assert "kap-crisis" not in after.get_attribute("class")
    assert page.locator(".kap-q").last.inner_text().startswith("I'm safe")
    safe.wait_for(state="hidden")
    notice = page.locator(".kap-notice")
    assert notice.is_visible() and "988" in notice.inner_text()  # still there for the rest of the visit
    ask(page, CRISIS)  # a full crisis reply: no "I'm safe" button
    page.wait_for_timeout(300)
    assert not safe.is_visible()
    shoot(page, "check-in")


def test_every_answer_opens_at_its_first_line(server: Server, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(ANSWER_TIMEOUT_MS)
    try:
        pg.goto(server.visitor)
        for question in (QUESTION, "What are the side effects of ketamine?", "How long do the effects of ketamine last?"):
            answer = ask(pg, question)
            pg.wait_for_timeout(300)  # the page's script scrolls on the next frames
            top = pg.evaluate("""() => { const a = [...document.querySelectorAll('#kap-chat .kap-answer')].pop();
              const box = a.closest('.bubble-wrap') || document.querySelector('#kap-chat');
              const r = a.getBoundingClientRect(), b = box.getBoundingClientRect();
              return {answer: r.top, end: r.bottom, box: b.top, bottom: b.bottom, header: document.getElementById('kap-header').getBoundingClientRect().bottom}; }""")
            whole = top["box"] - 1 <= top["answer"] and top["end"] <= top["bottom"] + 1  # a short reply, wholly in view
            assert whole or top["box"] - 1 <= top["answer"] <= top["box"] + 60, (question, top)  # else its first line at the top
            assert top["answer"] >= top["header"] and top["answer"] < 800 - 40, (question, top)  # and on screen
            assert answer.locator("p, li").first.is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("state", ["empty", "answered", "crisis", "staff-login"])
def test_no_serious_or_critical_axe_violations(server: Server, page: object, state: str) -> None:
    if state == "staff-login":
        page.goto(server.staff)
        page.get_by_label("User name").wait_for()
    else:
        page.goto(server.visitor)
        page.locator("#kap-input textarea").wait_for()
        if state != "empty":
            ask(page, CRISIS if state == "crisis" else QUESTION)
            page.wait_for_timeout(300)
    assert serious_axe_violations(page) == []


def test_staff_console_refuses_to_be_framed(server: Server, browser: object) -> None:
    context = browser.new_context()
    pg = context.new_page()
    try:  # a page on another site that frames the console: the browser must show nothing of it
        pg.route("https://evil.example/", lambda route: route.fulfill(
            content_type="text/html", body=f"<iframe id='f' src='{server.staff}' width=800 height=600></iframe>"))
        pg.goto("https://evil.example/")
        for _ in range(50):
            child = [f for f in pg.frames if f is not pg.main_frame]
            if child and child[0].url.startswith("chrome-error://"):
                break
            pg.wait_for_timeout(100)
        assert child and child[0].url.startswith("chrome-error://"), [f.url for f in pg.frames]  # refused
        assert pg.frame_locator("#f").locator("#username").count() == 0
    finally:
        context.close()


def test_phone_width_and_keyboard_only(server: Server, browser: object) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(ANSWER_TIMEOUT_MS)
    try:
        pg.goto(server.visitor)
        pg.locator("#kap-input textarea").wait_for()
        assert in_first_screen(pg, "#kap-input textarea")  # the question box, visible on load
        header = pg.locator("#kap-header").bounding_box()
        assert header["height"] <= 48, header  # one line
        assert pg.locator(".kap-notice a[href='tel:988']").is_visible()
        for _ in range(MAX_TABS):  # reach the question box with the keyboard alone
            pg.keyboard.press("Tab")
            if pg.evaluate("document.activeElement.closest('#kap-input') !== null"):
                break
        else:
            pytest.fail("the question box cannot be reached with Tab")
        pg.keyboard.type(QUESTION)
        pg.keyboard.press("Enter")
        pg.wait_for_selector(".kap-answer")
        for _ in range(MAX_TABS):  # Shift+Tab back up into the answer's footnotes
            pg.keyboard.press("Shift+Tab")
            if pg.evaluate("document.activeElement.tagName === 'SUMMARY'"):
                break
        else:
            pytest.fail("no footnote can be reached with the keyboard")
        pg.keyboard.press("Enter")
        assert pg.locator("details[open] .kap-passage").first.is_visible()
        assert pg.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        assert pg.locator(".kap-notice").is_visible()
        shoot(pg, "chat-phone")
    finally:
        context.close()


def test_staff_console_asks_for_login_and_rejects_wrong_password(server: Server, page: object) -> None:
    login(page, server.staff, "not-the-password")
    page.get_by_role("alert").get_by_text("Wrong user name or password").wait_for()
    assert page.locator("#staff-q").count() == 0
    login(page, server.staff, PASSWORD)
    page.locator("#staff-q textarea").fill(TRACE_QUESTION)
    page.locator("#staff-ask").click()
    trace = page.locator("#staff-trace")
    trace.locator("table").first.wait_for()
    text = trace.inner_text()
    for part in ("Guards", "Retrieved chunks", "dense", "lexical (BM25)", "fused (RRF)", "Selected sentences",
                 "Citations", "Time per stage (ms)"):
        assert part in text, part
    shoot(page, "staff", readme=server.backend == "real")


def test_feedback_lands_in_review_queue(server: Server, page: object) -> None:
    page.goto(server.visitor)
    ask(page, "What are the side effects of ketamine?")
    page.get_by_role("button", name="Dislike").last.click()
    comment = page.locator("#kap-comment textarea")
    comment.wait_for()
    comment.fill("Browser test: missing the blood pressure caveat")
    page.locator("#kap-comment-send").click()
    page.get_by_text("Comment saved").wait_for()

    login(page, server.staff, PASSWORD)
    page.get_by_role("tab", name="Review queue").click()
    page.locator("#staff-mark").click()  # nothing selected yet: says so, not "Error"
    page.locator("#staff-status").get_by_text("Select a row in the queue first").wait_for()
    page.locator("#staff-refresh").click()
    queue = page.locator("#staff-queue")
    cell = queue.get_by_text("missing the blood pressure caveat").last
    cell.wait_for()
    cell.click()  # the item, with the answer that was given
    item = page.locator("#staff-item")
    item.get_by_text("thumbs down").wait_for()
    assert "What are the side effects of ketamine?" in item.inner_text()
    assert "missing the blood pressure caveat" in item.inner_text() and "Answer given" in item.inner_text()
    page.locator("#staff-mark").click()
    page.locator("#staff-status").get_by_text("marked reviewed").wait_for()
    with page.expect_download() as download:
        page.locator("#staff-export a").click()
    assert download.value.suggested_filename.startswith("feedback-")
    assert "missing the blood pressure caveat" in Path(download.value.path()).read_text()
    shoot(page, "staff-queue")


@pytest.fixture
def keep_eval_report(tmp_path: Path) -> Iterator[None]:
    """The console writes evals/report/; put back whatever was there before the test."""
    report, saved = ROOT / "evals" / "report", tmp_path / "saved-report"
    if report.exists():
        shutil.copytree(report, saved)
    yield
    if saved.exists():
        shutil.rmtree(report, ignore_errors=True)
        shutil.copytree(saved, report)


def test_staff_runs_the_evaluation_suite(server: Server, page: object, keep_eval_report: None) -> None:
    if server.backend != "real":
        pytest.skip("the evaluation suite needs the real bot and its index")
    login(page, server.staff, PASSWORD)
    page.get_by_role("tab", name="Evaluation").click()
    page.get_by_label("Gated cases only").check()
    page.locator("#staff-eval").click()
    page.wait_for_function("() => (document.querySelector('#staff-eval-output textarea') || {}).value?.includes('exit ')",
                           timeout=EVAL_TIMEOUT_MS)
    output = page.locator("#staff-eval-output textarea").input_value()
    assert "exit 0" in output or "exit 1" in output, output[-500:]  # the suite ran (gates may fail)
    page.locator("#staff-report").get_by_text("KAP bot evaluation report").wait_for()
    assert "gated subset" in page.locator("#staff-report").inner_text()
    shoot(page, "staff-evaluation")
