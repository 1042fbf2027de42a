"""The console's new views render everything escaped: a visitor's question, a staff member's draft, a
diff, a failing case. Nothing typed anywhere is ever shown as markup."""
from __future__ import annotations

import dataclasses

import pytest

from bot import gaps
from bot.config import load_settings
from bot.history import Change, GateOutcome
from bot.models import Citation, Turn
from bot.ui import drafting, editor_tab, gaps_tab, picker, publish_tab

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def no_markup(html: str) -> None:
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_a_change_its_diff_and_its_gates_are_escaped():
    change = Change(id="1", user=EVIL, action="refused", path="faq/x.yaml", before=None, after=EVIL,
                    diff=f"+{EVIL}\n", message=EVIL,
                    gates=[GateOutcome(name=EVIL, ok=False, blocking=True, value=EVIL, failing=[f"c1: {EVIL}"])])
    for html in (publish_tab.change_html(change), publish_tab.gates_html(change)):
        no_markup(html)
    assert "FAIL (refused)" in publish_tab.gates_html(change) and "Publishing refused" in publish_tab.gates_html(change)


def test_known_failures_are_marked_as_failing_on_the_live_build_too():
    change = Change(id="1", user="u", action="publish", path="f", message="published", swap_ms=1.5,
                    gates=[GateOutcome(name="right kind: x", ok=False, value="50%", failing=["n1: 'q': kind"], known=["n1"])])
    html = publish_tab.gates_html(change)
    assert "fails on the live build too" in html and "FAIL (refused)" not in html and "swap 2 ms" in html


def test_a_gap_cluster_and_a_preview_are_escaped():
    cluster = gaps.Cluster("no_answer", [gaps.GapRecord(EVIL, "no_answer", "2026-11-30T00:00:00Z")])
    no_markup(gaps_tab.cluster_html(cluster, EVIL))
    turn = Turn(question=EVIL, kind="answered", answer=f"- {EVIL} [1]",
                citations=[Citation(n=1, source="d", title=EVIL, quote=EVIL)])
    no_markup(drafting.preview_html([(EVIL, turn, turn)], EVIL))


def test_the_gaps_view_says_whether_logging_is_on():
    settings = load_settings({})
    assert "logging is **off**" in gaps_tab.logging_note(settings) and "thumbs-down" in gaps_tab.logging_note(settings)
    assert "logging is **on**" in gaps_tab.logging_note(dataclasses.replace(settings, log_questions=True))


def test_history_rows_newest_first():
    records = [Change(id="1", user="a", action="publish", path="f", build="b1", swap_ms=3.0,
                      gates=[GateOutcome(name="g", ok=True)]),
               Change(id="2", user="b", action="refused", path="f", gates=[GateOutcome(name="g", ok=False, blocking=True)])]
    rows = publish_tab.history_rows(records)
    assert [r[0] for r in rows] == ["2", "1"] and rows[0][3] == "refused" and rows[0][6] == "0/1 pass, refused"
    assert rows[1][5:] == ["b1", "1/1 pass", "3"]


@pytest.mark.parametrize("question, expected", [("What is the k-hole?", "what-is-the-k-hole"),
                                                ("¿¡!!", ""), ("a " * 20, "a-a-a-a-a")])
def test_a_card_id_is_suggested_from_a_question(question, expected):
    assert editor_tab.slug(question) == expected


def test_a_sentence_choice_round_trips_and_a_bad_one_is_refused():
    assert picker.parse(picker.label("doc-1", "It [1] works.")) == ("doc-1", "It [1] works.")
    with pytest.raises(ValueError):
        picker.parse("[Bad Doc] text")


def test_staff_questions_are_never_logged(tmp_path):
    from tests.fakes import FakeEmbedder  # noqa: F401  (the fake bot has no settings to change)
    from tests.test_ui_fakes import FakeBot

    fake = FakeBot()
    assert picker.quiet(fake) is fake

    @dataclasses.dataclass
    class Logged:
        settings: object

    bot = Logged(dataclasses.replace(load_settings({}), log_questions=True))
    assert picker.quiet(bot).settings.log_questions is False and bot.settings.log_questions is True
