"""A FakeBot returning canned Turns, for the UI tests; `python -m tests.test_ui_fakes` serves
app.py's pages over it (what the browser tests use when the real index is not built)."""
from __future__ import annotations

import sys

from bot.config import Settings, load_settings
from bot.models import Citation, DocMeta, Evidence, GuardVerdict, ScoredChunk, Turn
from bot.templates import templates

DOCS = {
    "nih-ketamine": DocMeta(id="nih-ketamine", title="Ketamine for depression: what we know", publisher="NIMH",
                            year=2023, url="https://www.nimh.nih.gov/ketamine", evidence_type="government health page",
                            last_reviewed="2025-01-01", path="references/nih-ketamine.md"),
    "clinic-what": DocMeta(id="clinic-what", title="What is KAP?", publisher="Example Clinic", year=None,
                           evidence_type="clinic article", last_reviewed="2025-01-01", path="clinic/what-is-kap.md"),
}
CHUNKS = {
    "nih-ketamine#0": "Ketamine was first approved as an anesthetic. Ketamine can cause dissociation during a session. "
                      "Effects usually pass within two hours.",
    "clinic-what#0": "Ketamine-assisted psychotherapy combines a ketamine session with talk therapy. <b>Bold</b> claims aside, "
                     "sessions are supervised.",
}
CRISIS_WORDS = ("kill myself", "suicide", "end my life", "hurt myself")
CHECK_IN_WORDS = ("empty and alone",)  # the uncertain band: a check-in, answered once the visitor says they are safe


class FakeBot:
    """Canned answers: crisis words -> crisis; check-in words -> a check-in (answered once `safe`);
    'weather' -> no_answer; 'boom' -> raises; else answered."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.templates = templates(self.settings.clinic)
        self.templates.setdefault("error", "Sorry, something went wrong.")
        self.questions: list[str] = []
        self.previous: list[str | None] = []  # what the page passed as the visitor's previous question
        self.safe: list[bool] = []  # whether the page passed "I'm safe" with each question

    @property
    def docs(self) -> dict[str, DocMeta]:
        return DOCS

    def chunk_text(self, chunk_id: str) -> str:
        return CHUNKS[chunk_id]

    def answer(self, question: object, previous: str | None = None, safe: bool = False) -> Turn:
        text = question if isinstance(question, str) else ""
        self.questions.append(text)
        self.previous.append(previous)
        self.safe.append(safe)
        low = text.lower()
        if "boom" in low:
            raise RuntimeError("boom")
        guard = GuardVerdict(name="crisis", fired=False, reason="no crisis signal")
        if any(w in low for w in CRISIS_WORDS):
            crisis = GuardVerdict(name="crisis", fired=True, kind="crisis", reason="lexicon: crisis phrase")
            return Turn(question=text, kind="crisis", answer=self.templates["crisis_line"], guards=[crisis],
                        flags=["crisis"], timings_ms={"validate": 0.1, "input_guard": 1.0}, latency_ms=1.2)
        if any(w in low for w in CHECK_IN_WORDS) and not safe:
            check = GuardVerdict(name="crisis", fired=True, kind="crisis", reason="learned detector 0.60: check-in")
            return Turn(question=text, kind="crisis", answer=self.templates["check_in"], guards=[check],
                        flags=["crisis", "check_in"], latency_ms=1.5)
        if "weather" in low:
            return Turn(question=text, kind="no_answer", answer=self.templates["no_answer"], guards=[guard],
                        timings_ms={"validate": 0.1, "retrieve": 3.0}, latency_ms=3.2)
        return answered_turn(text, self.templates, [guard])


def answered_turn(question: str, tmpl: dict[str, str], guards: list[GuardVerdict]) -> Turn:
    q1 = "Ketamine can cause dissociation during a session."
    q2 = "Ketamine-assisted psychotherapy combines a ketamine session with talk therapy."
    evidence = [Evidence(sentence_id=1, doc_id="nih-ketamine", chunk_id="nih-ketamine#0", text=q1, score=0.71),
                Evidence(sentence_id=7, doc_id="clinic-what", chunk_id="clinic-what#0", text=q2, score=0.64)]
    citations = [Citation(n=1, source="nih-ketamine", title=DOCS["nih-ketamine"].title, url=DOCS["nih-ketamine"].url,
                          quote=q1, publisher="NIMH", year=2023, evidence_type="government health page"),
                 Citation(n=2, source="clinic-what", title="What is KAP?", quote=q2, publisher="Example Clinic",
                          evidence_type="clinic article")]
    retrieved = [ScoredChunk(chunk_id="nih-ketamine#0", doc_id="nih-ketamine", section="Effects", text=CHUNKS["nih-ketamine#0"],
                             dense=0.61, dense_rank=1, lexical=7.2, lexical_rank=2, fused=0.0325),
                 ScoredChunk(chunk_id="clinic-what#0", doc_id="clinic-what", section="Intro", text=CHUNKS["clinic-what#0"],
                             dense=0.55, dense_rank=2, lexical=9.1, lexical_rank=1, fused=0.0323)]
    answer = "\n".join([tmpl["answered_lead"], f"- {q1} [1]", f"- {q2} [2]", "", tmpl["disclaimer"]])
    return Turn(question=question, kind="answered", answer=answer, citations=citations, evidence=evidence,
                retrieved=retrieved, guards=guards, latency_ms=12.5,
                timings_ms={"validate": 0.1, "embed": 5.0, "retrieve": 4.0, "select": 2.0, "compose": 0.5})


def test_fake_bot_kinds() -> None:
    bot = FakeBot()
    assert bot.answer("I want to kill myself").kind == "crisis"
    assert bot.answer("weather today?").kind == "no_answer"
    turn = bot.answer("what is kap")
    assert turn.kind == "answered" and [c.n for c in turn.citations] == [1, 2]
    for c in turn.citations:  # every canned quote sits in its chunk, as the real pipeline guarantees
        chunk = next(e.chunk_id for e in turn.evidence if e.text == c.quote)
        assert c.quote in bot.chunk_text(chunk)


if __name__ == "__main__":  # serve the real pages over the fake bot
    import logging

    import app

    logging.basicConfig(level=logging.INFO)
    settings = load_settings()
    fake = FakeBot(settings)
    app.serve(settings, lambda: fake)
    sys.exit(0)
