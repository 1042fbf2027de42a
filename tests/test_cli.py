"""`python -m bot index|ask|batch`, run as a user would, over the small test corpus and the real model."""
import json
import os
import subprocess
import sys

import pytest

from bot.config import ROOT
from tests.conftest import MINI_CORPUS

pytestmark = pytest.mark.slow


def run(env, *args, check=True):
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=check)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAP_", "CHROMA_"))}
    env |= {"KAP_CORPUS_DIR": str(MINI_CORPUS), "KAP_INDEX_DIR": str(tmp_path_factory.mktemp("cli-index")),
            "KAP_CONFIG": "/nonexistent.toml"}
    out = run(env, "index")
    assert "index built" in out.stdout
    return env


def test_index_if_stale_skips_a_fresh_index(env):
    assert "up to date" in run(env, "index", "--if-stale").stdout


def test_ask_json_prints_the_contract(env):
    data = json.loads(run(env, "ask", "How long does the benefit of a ketamine infusion last?", "--json").stdout)
    assert set(data) == {"question", "kind", "answer", "citations", "flags", "latency_ms"}
    assert data["kind"] == "answered"
    assert set(data["citations"][0]) == {"n", "source", "title", "url", "quote"}


def test_batch_keeps_ids_and_reports_bad_lines(env, tmp_path):
    lines = ['{"id": "a", "question": "Is ketamine FDA approved?"}', "not json", '{"id": 7, "question": ""}']
    (tmp_path / "q.jsonl").write_text("\n".join(lines) + "\n")
    rows = [json.loads(line) for line in run(env, "batch", str(tmp_path / "q.jsonl")).stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", None, 7]
    assert rows[0]["kind"] == "answered" and "error" in rows[1] and rows[2]["kind"] == "invalid_input"


def test_batch_reads_a_follow_up_with_its_previous_question(env, tmp_path):
    previous = "How long does the benefit of a single ketamine infusion last?"
    lines = ['{"id": 1, "question": "how long is that?"}',
             json.dumps({"id": 2, "question": "how long is that?", "previous": previous})]
    (tmp_path / "q.jsonl").write_text("\n".join(lines) + "\n")
    rows = [json.loads(line) for line in run(env, "batch", str(tmp_path / "q.jsonl")).stdout.splitlines()]
    assert [r["kind"] for r in rows] == ["no_answer", "answered"]
    assert rows[1]["question"] == "how long is that?" and rows[1]["citations"]


def test_batch_reports_undecodable_lines_and_goes_on(env, tmp_path):
    (tmp_path / "q.jsonl").write_bytes(b'\xff\xfe\x00binary\n{"id": "b", "question": "Is ketamine FDA approved?"}\n')
    rows = [json.loads(line) for line in run(env, "batch", str(tmp_path / "q.jsonl")).stdout.splitlines()]
    assert rows[0]["line"] == 1 and "bad input line" in rows[0]["error"]
    assert rows[1]["id"] == "b" and rows[1]["kind"] == "answered"


def test_batch_on_a_missing_file_is_a_plain_error(env, tmp_path):
    out = run(env, "batch", str(tmp_path / "absent.jsonl"), check=False)
    assert out.returncode == 2 and out.stderr.startswith("error: cannot read") and "Traceback" not in out.stderr


def test_missing_index_is_a_plain_error_not_a_traceback(env, tmp_path):
    out = run(env | {"KAP_INDEX_DIR": str(tmp_path / "nothing")}, "ask", "What is ketamine?", check=False)
    assert out.returncode == 2 and out.stderr.startswith("error: no index") and "Traceback" not in out.stderr
