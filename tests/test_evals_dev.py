"""python -m evals.dev and `make eval`'s held-apart section: figures per set (batch) and per kind of question
(evals.tables.set_rows)."""
from __future__ import annotations

from evals.cases import Case
from evals.checks import CaseResult
from evals.cases import load_heldout
from evals.dev import DEV_DIR
from evals.tables import set_rows as rows


def pair(cid: str, expect: str, direct: bool, clinic: bool = False) -> tuple[Case, CaseResult]:
    case = Case(id=cid, category="not_in_corpus" if expect == "no_answer" else "references", question="q?",
                expect_kind=expect, gold_sources=["d"] if expect == "answered" else [],
                must_contain=["can tell you about"] if clinic else [], intent="i")
    result = CaseResult(id=cid, category=case.category, question="q?", expect_kind=[expect], kind=expect, answer="",
                        flags=[], citations=[], latency_ms=1.0, kind_ok=direct, direct=direct,
                        gold_quotes_n=1 if expect == "answered" else 0)
    return case, result


def test_rows_count_direct_answers_per_batch_and_per_kind_of_question():
    pairs = [pair("dva-1", "answered", True), pair("dva-2", "no_answer", False, clinic=True),
             pair("dvb-1", "no_answer", True), pair("dvb-2", "needs_clinician", False)]
    head, body = rows(pairs)
    table = {r[0]: dict(zip(head, r)) for r in body}
    assert set(table) == {"dva", "dvb", "all"}
    assert table["dva"]["direct"] == "50.0%" and table["dva"]["answerable"] == "1/1"
    assert table["dva"]["clinic's own"] == "0/1" and table["dva"]["no vetted answer"] == "–"
    assert table["dvb"]["no vetted answer"] == "1/1" and table["dvb"]["for a clinician"] == "0/1"
    assert table["all"]["cases"] == "4" and table["all"]["direct"] == "50.0%"
    assert table["all"]["95% interval"] == "15.0%–85.0%"  # Wilson, 2 of 4: four questions say little


def test_rows_split_the_answerable_questions_by_the_path_that_answered_them():
    card, retrieval, referred = (pair("dva-1", "answered", True), pair("dva-2", "answered", False),
                                 pair("dva-3", "answered", False))
    card[1].from_card = True
    referred[1].kind = "needs_clinician"  # neither path answered it
    head, body = rows([card, retrieval, referred, pair("dva-4", "no_answer", True)])
    table = dict(zip(head, body[0]))
    assert table["by a card"] == "1/1" and table["by retrieval"] == "0/1"


def test_the_development_batches_load_and_label_every_clinic_question_with_a_topic():
    cases = load_heldout(DEV_DIR)
    clinic = [c for c in cases if c.must_contain]
    assert len({c.id.split("-")[0] for c in cases}) == len(list(DEV_DIR.glob("*.yaml"))) >= 16 and len(cases) > 1100
    assert clinic and all(c.clinic_topic for c in clinic)
