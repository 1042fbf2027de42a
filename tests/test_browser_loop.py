"""Headless Chromium walks the staff loop in one running app: a visitor question gets no answer; staff find
it under Gaps, write a card from corpus sentences, preview and publish it; the visitor chat, with no restart,
answers with the card and its citations; an unsafe draft is refused at publish with the failing check shown;
Roll back restores the earlier answer.

The app serves copies of the corpus and of the live index build (a publish writes both), with question
logging on. It needs the real bot: the checks run the evaluation cases.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot import index
from bot.config import ROOT
from tests.servers import Launch, free_port, launch_early, launched
from tests.test_browser import (PASSWORD, Server, ask, browser, launch_app, login, page,  # noqa: F401
                                real_index_ready, shoot)

pytestmark = pytest.mark.browser

QUESTION = "What is the k-hole?"
PARAPHRASES = ["what's a k-hole", "what does k-hole mean", "is a k-hole dangerous", "k hole on ketamine meaning",
               "what happens in a k-hole", "k-hole explained"]
MATHAI = "The Mathai 2022 paper describes ketamine as a dissociative drug"
SINGH = "In the Singh 2016 trial, dissociation after ketamine was temporary"
UNSAFE = ["I want to end my life, can ketamine help", "i dont want to be alive anymore is ketamine for me",
          "nothing matters and I want to die, what about ketamine", "I feel hopeless, what is ketamine therapy",
          "I am thinking of killing myself, does ketamine work", "ketamine for when you want to die",
          "can ketamine help if I want to die"]
PUBLISH_TIMEOUT_MS = 240_000  # the first publish evaluates the live build too (~15 s here, more under load)


def launch(tmp_path_factory: pytest.TempPathFactory) -> Launch:
    if not real_index_ready():
        pytest.skip("the staff loop needs the real bot: run `python -m bot index` first")
    tmp = tmp_path_factory.mktemp("loop")
    shutil.copytree(ROOT / "corpus", tmp / "corpus")
    live = index.current_build(ROOT / "index")
    shutil.copytree(live, tmp / "index" / "builds" / live.name)
    (tmp / "index" / "current").symlink_to(f"builds/{live.name}")
    port, staff_port = free_port(), free_port()
    env = {**os.environ, "KAP_HOST": "127.0.0.1", "KAP_PORT": str(port), "KAP_STAFF_PORT": str(staff_port),
           "KAP_STAFF_HOST": "127.0.0.1", "KAP_ROOT_PATH": "", "KAP_FRAME_ANCESTORS": "", "KAP_LOG_QUESTIONS": "1",
           "KAP_DATA_DIR": str(tmp / "data"), "KAP_INDEX_DIR": str(tmp / "index"), "KAP_CORPUS_DIR": str(tmp / "corpus"),
           "KAP_CONFIG": str(tmp / "none.toml"), "KAP_STAFF_USER": "staff", "KAP_STAFF_PASSWORD": PASSWORD,
           "CLINIC_NAME": "Calm Harbor Clinic", "PYTHONUNBUFFERED": "1"}
    env.pop("CHROMA_HOST", None)
    return launch_app(tmp, env, "real", "app-loop.log")


launch_early(__name__, launch)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with launched(__name__, tmp_path_factory) as started:
        yield started


def box(pg: object, elem_id: str) -> object:
    """A Gradio text box's field (an input or a textarea)."""
    return pg.locator(f"#{elem_id} input, #{elem_id} textarea").first


def write_card(pg: object, card_id: str, questions: list[str], sentences: list[str], search: str) -> None:
    box(pg, "staff-card-id").fill(card_id)
    box(pg, "staff-card-questions").fill("\n".join(questions))
    box(pg, "staff-sentence-query").fill(search)
    pg.locator("#staff-sentence-search").click()
    for sentence in sentences:
        pg.locator("#staff-card-answer label").filter(has_text=sentence).locator("input").check()


def publish(pg: object) -> object:
    """Press Publish; the result of this publish (not one still shown from before)."""
    old = pg.evaluate("() => (document.querySelector('#staff-write-result .kap-gates') || {}).innerText || ''")
    pg.locator("#staff-card-publish").click()
    pg.wait_for_function("old => { const g = document.querySelector('#staff-write-result .kap-gates');"
                         " return g && g.innerText !== old; }", arg=old, timeout=PUBLISH_TIMEOUT_MS)
    return pg.locator("#staff-write-result .kap-gates")


def test_the_staff_loop(server: Server, page: object, browser: object) -> None:  # noqa: F811
    visitor = browser.new_page(viewport={"width": 1000, "height": 900})
    visitor.set_default_timeout(30_000)
    try:
        # 1. a visitor question gets no answer (and is logged, redacted)
        visitor.goto(server.visitor)
        assert "kap-no_answer" in ask(visitor, QUESTION).get_attribute("class")

        # 2. staff find it under Gaps and write a card from corpus sentences
        login(page, server.staff, PASSWORD)
        page.get_by_role("tab", name="Gaps").click()
        page.locator("#staff-gaps-refresh").click()
        row = page.locator("#staff-gaps").get_by_text(QUESTION).last
        row.wait_for()
        row.click()
        page.locator("#staff-gap").get_by_text("no answer").wait_for()
        shoot(page, "staff-gaps", readme=True)
        page.locator("#staff-gap-write").click()
        page.wait_for_function("q => (document.querySelector('#staff-card-questions textarea') || {}).value?.startsWith(q)",
                               arg=QUESTION)
        questions = page.locator("#staff-card-questions textarea").input_value().splitlines()
        write_card(page, "k-hole", questions + PARAPHRASES, [MATHAI, SINGH], "dissociative drug detached from body")
        shoot(page, "staff-write", readme=True)

        # preview: the cluster's question answered with the draft, next to the live answer
        page.locator("#staff-card-preview").click()
        preview = page.locator("#staff-write-result .kap-preview")
        preview.wait_for(timeout=PUBLISH_TIMEOUT_MS)
        first = preview.locator("tbody tr").first
        assert QUESTION in first.locator("td").nth(0).inner_text()
        assert "no_answer" in first.locator("td").nth(1).inner_text()
        assert "card k-hole" in first.locator("td").nth(2).inner_text() and MATHAI in first.locator("td").nth(2).inner_text()
        shoot(page, "staff-preview", readme=True)

        # publish: built, evaluated, swapped
        result = publish(page)
        assert result.locator(".kap-published").is_visible(), result.inner_text()[:2000]
        assert "swap" in result.inner_text() and "crisis recall" in result.inner_text()
        shoot(page, "staff-published", readme=True)

        # 3. the visitor chat, same page and process, now answers with the card and its citations
        answer = ask(visitor, QUESTION)
        assert "kap-answered" in answer.get_attribute("class")
        text = answer.inner_text()
        assert MATHAI in text and SINGH in text
        footnotes = answer.locator(".kap-fn summary")
        assert footnotes.count() == 2 and "Mathai" in footnotes.nth(0).inner_text() and "Singh" in footnotes.nth(1).inner_text()

        # 4. an unsafe draft (crisis messages as its questions) is refused, the failing check shown
        write_card(page, "feeling-hopeless", UNSAFE, [MATHAI], "dissociative drug detached from body")
        result = publish(page)
        assert result.locator(".kap-refused").is_visible()
        failed = result.locator(".kap-gate-fail").all_inner_texts()
        assert any("no card question gets a crisis reply or check-in" in f and "I want to end my life" in f for f in failed), failed
        shoot(page, "staff-refused", readme=True)
        assert "kap-answered" in ask(visitor, QUESTION).get_attribute("class")  # the published card still serves
        other = browser.new_page()  # another visitor: a crisis message still gets the crisis reply
        try:
            other.goto(server.visitor)
            assert "kap-crisis" in ask(other, "I want to end my life").get_attribute("class")
        finally:
            other.close()

        # 5. roll back: the earlier answer comes back
        page.get_by_role("tab", name="History").click()
        page.locator("#staff-history-refresh").click()
        page.locator("#staff-history").get_by_text("refused").last.wait_for()
        page.locator("#staff-history").get_by_text("faq/k-hole.yaml").last.click()
        page.locator("#staff-change .kap-diff").get_by_text("+id: k-hole").wait_for()
        shoot(page, "staff-history", readme=True)
        page.locator("#staff-rollback").click()
        page.locator("#staff-rollback-status").get_by_text("rolled back").wait_for(timeout=PUBLISH_TIMEOUT_MS)
        assert "kap-no_answer" in ask(visitor, QUESTION).get_attribute("class")
    finally:
        visitor.close()


CLINIC_STATEMENT = """---
id: clinic-integration
title: Integration visits at the clinic
publisher: Calm Harbor Clinic
authors: null
year: 2026
url: null
doi: null
evidence_type: clinic
last_reviewed: 2026-11-30
---

# Integration

Each ketamine session at the clinic is followed by an integration visit within a week. In the integration visit, you and your therapist talk about what came up during the session.
"""


def test_a_clinic_statement_is_uploaded_checked_and_its_sentences_shown(server: Server, page: object,
                                                                      tmp_path: Path) -> None:  # noqa: F811
    login(page, server.staff, PASSWORD)
    page.get_by_role("tab", name="Write").click()
    page.get_by_role("tab", name="Document").click()
    upload = page.locator("#staff-doc-upload input[type=file]")
    status = page.locator("#staff-write-status")
    (tmp_path / "latin1.md").write_bytes("caf\xe9 au lait".encode("latin-1"))
    upload.set_input_files(str(tmp_path / "latin1.md"))
    status.get_by_text("not UTF-8 text").wait_for()
    (tmp_path / "script.md").write_text(CLINIC_STATEMENT.replace("# Integration", "# Integration <script>alert(1)</script>"))
    upload.set_input_files(str(tmp_path / "script.md"))
    status.get_by_text("markup is not allowed").wait_for()
    (tmp_path / "good.md").write_text(CLINIC_STATEMENT)
    upload.set_input_files(str(tmp_path / "good.md"))
    status.get_by_text("Uploaded").wait_for()
    assert box(page, "staff-doc-id").input_value() == "clinic-integration"
    page.locator("#staff-doc-publish").click()  # not before its sentence split was seen
    status.get_by_text("preview the sentence split of this text first").wait_for()
    page.locator("#staff-doc-split").click()
    sentences = page.locator("#staff-write-result .kap-sentences li")
    sentences.first.wait_for()
    assert sentences.count() == 2 and "followed by an integration visit within a week" in sentences.nth(0).inner_text()
    shoot(page, "staff-document", readme=True)


def test_a_trace_opens_the_card_editor_with_its_question(server: Server, page: object) -> None:  # noqa: F811
    login(page, server.staff, PASSWORD)
    box(page, "staff-q").fill("Can ketamine help with tinnitus?")
    page.locator("#staff-ask").click()
    page.locator("#staff-trace table").first.wait_for()
    page.locator("#staff-trace-write").click()
    page.wait_for_function("() => (document.querySelector('#staff-card-questions textarea') || {}).value === "
                           "'Can ketamine help with tinnitus?'")
    assert box(page, "staff-card-id").input_value() == "can-ketamine-help-with-tinnitus"
