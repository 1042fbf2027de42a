"""The console's publish and rollback routes over HTTP and Gradio's client, in-process: the small corpus,
the fake embedder, checks that pass. A write needs the staff session, lands in the history under the
signed-in user, and the visitor chat of the same server answers from the new build at once."""
from __future__ import annotations

import dataclasses
import shutil
from typing import Iterator

import httpx
import pytest
from gradio_client import Client

import app
from bot import authoring, index
from bot.config import Settings
from bot.history import History
from bot.pipeline import Bot
from bot.publish import Publisher
from bot.ui.render import esc
from bot.ui.service import LazyBot
from tests.conftest import MINI_CORPUS
from tests.fakes import FakeEmbedder
from tests.test_publish import Checks
from tests.test_ui_app import PASSWORD, make_settings, staff_base

QUESTIONS = ["what is the zorblax effect of ketamine", "ketamine zorblax effect meaning", "define zorblax in ketamine therapy",
             "is the ketamine zorblax real", "ketamine zorblax and memory", "what does zorblax do in ketamine therapy",
             "ketamine zorblax explained"]  # a word no document has
SENTENCE = ("loftus-memory", "Memory research shows that suggestion after an event can alter what people remember "
            "and can even implant entirely false memories.")
SHOWN = esc(SENTENCE[1])  # as the chat shows it
CARD = authoring.card_text("remission", "Remission", QUESTIONS, [SENTENCE], [], "whoever", "2026-11-30")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("publish-app")
    shutil.copytree(MINI_CORPUS, tmp / "corpus")
    settings = make_settings(tmp / "data", staff_user="staff", staff_password=PASSWORD)
    settings = dataclasses.replace(settings, corpus_dir=tmp / "corpus", index_dir=tmp / "index", min_relevance=0.2,
                                   min_sentence=0.1)
    index.build(settings, FakeEmbedder(), progress=lambda _: None)
    holder = LazyBot(lambda: Bot.load(settings, FakeEmbedder()))
    publisher = Publisher(settings, holder, History(settings.data_dir), Checks())
    visitor, staff = app.serve(settings, holder, block=False, publisher=publisher)
    yield settings
    visitor.close()
    staff.close()


def staff_client(settings: Settings) -> Client:
    return Client(staff_base(settings) + "/", auth=("staff", PASSWORD), verbose=False)


def test_writing_needs_the_staff_session(served: Settings) -> None:
    cards = sorted(p.name for p in (served.corpus_dir / "faq").glob("*.yaml"))
    for name in ("publish", "rollback"):
        call = httpx.post(f"{staff_base(served)}/gradio_api/call/{name}", json={"data": ["card", "x", "y", ""]})
        assert call.status_code in (401, 403), name
    assert sorted(p.name for p in (served.corpus_dir / "faq").glob("*.yaml")) == cards  # nothing written


def test_a_refused_draft_says_why_and_changes_nothing(served: Settings) -> None:
    client = staff_client(served)
    bad = client.predict("card", "remission", CARD.replace("- ketamine zorblax explained\n", ""), "", api_name="/publish")
    assert bad["action"] == "not published" and "field 'questions': List should have at least 7 items" in bad["message"]
    escape = client.predict("card", "../../etc/passwd", CARD, "", api_name="/publish")
    assert "lowercase words joined by hyphens" in escape["message"]
    markup = client.predict("card", "remission", CARD.replace("topic: Remission", "topic: <script>x</script>"), "",
                            api_name="/publish")
    assert "markup is not allowed" in markup["message"]
    assert not (served.corpus_dir / "faq" / "remission.yaml").exists()


def test_publish_then_the_visitor_chat_answers_from_the_new_build_then_roll_back(served: Settings) -> None:
    visitor = Client(f"http://127.0.0.1:{served.port}/", verbose=False)
    _, before = visitor.predict(QUESTIONS[0], api_name="/chat")
    assert SHOWN not in before[-1]["content"][0]["text"]
    staff = staff_client(served)
    done = staff.predict("card", "remission", CARD, "", api_name="/publish")
    assert done["action"] == "publish" and done["swap_ms"] is not None, done
    _, after = visitor.predict(QUESTIONS[0], api_name="/chat")  # the same visitor session, no restart
    assert SHOWN in after[-1]["content"][0]["text"]
    record = History(served.data_dir).records()[-1]
    assert record.user == "staff" and record.build == done["build"] and "+- what is the zorblax effect of ketamine" in record.diff

    # a second editor who read the file before this publish is refused
    stale = staff.predict("card", "remission", CARD.replace("Remission\n", "Remission rates\n"), authoring.ABSENT,
                          api_name="/publish")
    assert stale["action"] == "not published" and "was created by someone else" in stale["message"]
    status, _, _ = staff.predict(api_name="/rollback")
    assert "rolled back" in status
    _, rolled = visitor.predict(QUESTIONS[0], api_name="/chat")
    assert SHOWN not in rolled[-1]["content"][0]["text"]
    assert [r.action for r in History(served.data_dir).records()] == ["publish", "rollback"]
    assert History(served.data_dir).records()[-1].user == "staff"
