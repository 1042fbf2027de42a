"""`python -m bot index|ask|batch` over the small test corpus and the real model, run in-process through
`bot.__main__.main` (one model load for the module, not one torch start per command); one command runs as
a real subprocess, to check the entry point and its exit code."""
import json
import subprocess
import sys

import pytest

from bot.__main__ import main
from bot.config import ROOT
from tests.conftest import MINI_CORPUS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_model():
    from bot.embed import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, shared_model):
    path = tmp_path_factory.mktemp("cli-index")
    with pytest.MonkeyPatch.context() as mp:
        _use(mp, path, shared_model)
        assert main(["index"]) == 0
    return path


def _use(mp: pytest.MonkeyPatch, index_dir, model) -> None:
    """The environment a user would set, and the module's one model instead of a fresh load per command."""
    mp.setenv("KAP_CORPUS_DIR", str(MINI_CORPUS))
    mp.setenv("KAP_INDEX_DIR", str(index_dir))
    mp.setenv("KAP_CONFIG", "/nonexistent.toml")
    mp.setattr("bot.embed.MiniLMEmbedder", lambda *a, **k: model)
    mp.setattr("bot.pipeline.MiniLMEmbedder", lambda *a, **k: model)


@pytest.fixture
def cli(index_dir, shared_model, monkeypatch, capsys):
    """cli(*args) -> (exit code, stdout, stderr), as `python -m bot *args` would give them."""
    _use(monkeypatch, index_dir, shared_model)

    def run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_index_if_stale_skips_a_fresh_index(cli):
    code, out, _ = cli("index", "--if-stale")
    assert code == 0 and "up to date" in out


def test_ask_json_prints_the_contract(cli):
    code, out, _ = cli("ask", "How long does the benefit of a ketamine infusion last?", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"question", "kind", "answer", "citations", "flags", "latency_ms"}
    assert data["kind"] == "answered"
    assert set(data["citations"][0]) == {"n", "source", "title", "url", "quote"}


def test_batch_keeps_ids_and_reports_bad_lines(cli, tmp_path):
    lines = ['{"id": "a", "question": "Is ketamine FDA approved?"}', "not json", '{"id": 7, "question": ""}']
    (tmp_path / "q.jsonl").write_text("\n".join(lines) + "\n")
    rows = [json.loads(line) for line in cli("batch", str(tmp_path / "q.jsonl"))[1].splitlines()]
    assert [r["id"] for r in rows] == ["a", None, 7]
    assert rows[0]["kind"] == "answered" and "error" in rows[1] and rows[2]["kind"] == "invalid_input"


def test_batch_reads_a_follow_up_with_its_previous_question(cli, tmp_path, monkeypatch):
    (tmp_path / "kapbot.toml").write_text('[bot]\nsite_subject = ""\n')  # alone, "that" then leans on nothing
    monkeypatch.setenv("KAP_CONFIG", str(tmp_path / "kapbot.toml"))
    previous = "How long does the benefit of a single ketamine infusion last?"
    lines = ['{"id": 1, "question": "how long is that?"}',
             json.dumps({"id": 2, "question": "how long is that?", "previous": previous})]
    (tmp_path / "q.jsonl").write_text("\n".join(lines) + "\n")
    rows = [json.loads(line) for line in cli("batch", str(tmp_path / "q.jsonl"))[1].splitlines()]
    assert [r["kind"] for r in rows] == ["no_answer", "answered"]
    assert rows[1]["question"] == "how long is that?" and rows[1]["citations"]


def test_batch_reports_undecodable_lines_and_goes_on(cli, tmp_path):
    (tmp_path / "q.jsonl").write_bytes(b'\xff\xfe\x00binary\n{"id": "b", "question": "Is ketamine FDA approved?"}\n')
    rows = [json.loads(line) for line in cli("batch", str(tmp_path / "q.jsonl"))[1].splitlines()]
    assert rows[0]["line"] == 1 and "bad input line" in rows[0]["error"]
    assert rows[1]["id"] == "b" and rows[1]["kind"] == "answered"


def test_missing_index_is_a_plain_error_not_a_traceback(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("KAP_INDEX_DIR", str(tmp_path / "nothing"))
    code, _, err = cli("ask", "What is ketamine?")
    assert code == 2 and err.startswith("error: no index") and "Traceback" not in err


def test_the_command_runs_as_a_process_and_a_missing_file_is_a_plain_error(tmp_path):
    """A real `python -m bot`: the entry point, the exit code, no traceback (and no model load: it stops first)."""
    out = subprocess.run([sys.executable, "-m", "bot", "batch", str(tmp_path / "absent.jsonl")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.startswith("error: cannot read") and "Traceback" not in out.stderr
