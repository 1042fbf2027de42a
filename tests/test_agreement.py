"""evals/agreement.py: two judgements of the same questions, compared with the eval's own answer metrics."""
from pathlib import Path

import pytest
import yaml

from evals import agreement
from evals.cases import Case, load_case_file


def case(cid: str, kind: str, *gold: str) -> Case:
    return Case.model_validate({
        "id": cid, "category": "references", "question": f"question {cid}", "expect_kind": kind,
        "gold_sources": ["doc"] if gold else [], "gold_quotes": [{"doc": "doc", "text": g} for g in gold]})


FIRST = [case("q1", "answered", "A.", "B."), case("q2", "answered", "C."), case("q3", "no_answer"),
         case("q4", "answered", "E.")]
SECOND = [case("q1", "answered", "B.", "X."), case("q2", "answered", "D."), case("q3", "needs_clinician"),
          case("q5", "answered", "E.")]


def test_kinds_are_compared_on_the_ids_both_judged():
    result = agreement.agreement(FIRST, SECOND)
    assert (result.common, result.same_kind) == (3, 2)


def test_each_judges_gold_is_scored_as_an_answer_under_the_others():
    result = agreement.agreement(FIRST, SECOND)
    # the second's gold as answers: q1 ["B.", "X."] against {"A.", "B."}; q2 ["D."] against {"C."}
    assert result.second_by_first == agreement.Scored(2, round(1 / 3, 4), 0.5, 0.5, 1.5)
    # the first's gold as answers: q1 ["A.", "B."] against {"B.", "X."}; q2 ["C."] against {"D."}
    assert result.first_by_second == agreement.Scored(2, round(1 / 3, 4), 0.0, 0.5, 1.5)


def test_whitespace_inside_a_gold_sentence_does_not_count_as_disagreement():
    result = agreement.agreement([case("q1", "answered", "One  sentence\nhere.")], [case("q1", "answered", "One sentence here.")])
    assert result.second_by_first.precision == 1.0


def test_no_question_answerable_by_both_gives_no_scores():
    result = agreement.agreement([case("q3", "no_answer")], [case("q3", "no_answer")])
    assert (result.common, result.same_kind, result.second_by_first) == (1, 1, None)


def write(path: Path, cases: list[Case]) -> Path:
    path.write_text(yaml.safe_dump({"cases": [c.model_dump(exclude_defaults=True) for c in cases]}), encoding="utf-8")
    return path


def test_the_command_prints_both_directions(tmp_path, capsys):
    code = agreement.main(["--first", str(write(tmp_path / "a.yaml", FIRST)), "--second", str(write(tmp_path / "b.yaml", SECOND))])
    out = capsys.readouterr().out
    assert code == 0
    assert "questions judged by both: 3; the same kind: 2 (66.7%)" in out
    assert "second judge's gold, by the first's | 2 | 33.3% | 50.0% | 50.0% | 1.50" in out


@pytest.mark.parametrize("second, message", [
    ([case("other", "no_answer")], "share no question id"),
])
def test_judgements_without_common_ids_are_refused(tmp_path, capsys, second, message):
    code = agreement.main(["--first", str(write(tmp_path / "a.yaml", FIRST)), "--second", str(write(tmp_path / "b.yaml", second))])
    assert code == 2 and message in capsys.readouterr().err


def test_a_missing_or_broken_file_is_refused_with_its_name(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("cases:\n- id: q1\n", encoding="utf-8")
    assert agreement.main(["--first", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert agreement.main(["--first", str(broken)]) == 2
    assert "broken.yaml" in capsys.readouterr().err


def test_the_shipped_second_judgement_covers_its_batches():
    result = agreement.agreement([c for p in agreement.FIRST for c in load_case_file(p)], load_case_file(agreement.SECOND))
    assert result.common >= 150 and result.second_by_first is not None
