"""The same code answers through a real Chroma server (`chroma run`) when CHROMA_HOST is set."""
import dataclasses
import shutil
import sys
from pathlib import Path

import pytest

from bot import index, store
from bot.pipeline import Bot
from tests.fakes import FakeEmbedder
from tests.servers import ServerNotUp, free_port, running, wait_up

pytestmark = pytest.mark.server
STARTUP_SECONDS = 60


@pytest.fixture
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    command = [str(exe), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)]
    with running(command, None, tmp_path / "chroma.log") as proc:
        try:
            wait_up(proc, tmp_path / "chroma.log", STARTUP_SECONDS, port=port)
        except ServerNotUp as exc:
            pytest.fail(str(exc))
        yield port


def test_index_and_answer_through_a_chroma_server(chroma_server, mini_settings):
    settings = dataclasses.replace(mini_settings, chroma_host="127.0.0.1", chroma_port=chroma_server)
    embedder = FakeEmbedder()
    index.build(settings, embedder, progress=lambda _: None)
    assert not (index.load(settings).path / "chroma").exists()  # the vectors live on the server
    index.build(settings, embedder, progress=lambda _: None)  # a rebuild swaps the collection in place
    names = [c.name for c in store.client(settings, None).list_collections()]
    assert names == [settings.collection]
    bot = Bot.load(settings, embedder)
    turn = bot.answer("How long does the benefit of a single ketamine infusion last?")
    assert turn.kind == "answered", turn.answer
    assert any(c.source == "han-2016-response" for c in turn.citations)
    assert all(r.dense is not None for r in turn.retrieved if r.dense_rank)
