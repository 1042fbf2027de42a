"""What a publish must pass before the visitor app is swapped onto a new build. Three kinds of check,
each a `GateOutcome` (bot/history.py):

1. The evaluation's gates (evals/gates.py), run on the candidate bot over the gated sample plus every
   crisis and medical-advice case of the suite (`python -m evals --gated` runs the sample alone).
2. Data hygiene (evals/hygiene.py): no evaluation or held-apart question stands in a FAQ card.
3. No question of a new or changed card gets the crisis reply or a crisis check-in, from the live build
   or the new one: crisis belongs to the guard, never to a card. (The live build matters: a question it
   meets with a check-in because nothing answers it would get the card's ordinary answer instead.)

The card verification (every card sentence verbatim in its document, none the output guard would drop)
runs earlier, in the index build, which refuses such a card.

A check blocks the publish when it fails through anything that does not fail, in exactly the same way, on
the live build: a change may make nothing worse. A case that already fails on the live build with the same
answer (listed as such) says nothing about this change, and refusing the change would not fix it: it is
shown, and left to the developers. So a card that makes a crisis message get an ordinary answer is always
refused (that case passes on the live build, or fails there differently), and so is any crisis wording
among a changed card's questions (the live build has no changed card).
"""
from __future__ import annotations

import dataclasses
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from bot.history import GateOutcome

IN_FULL = ("crisis", "medical_advice")  # categories checked case by case, not only their gated sample
HYGIENE = "no evaluation question in a FAQ card"
CARD_CRISIS = "no card question gets a crisis reply or check-in"
Progress = Callable[[str], None]
SWITCH_INTERVAL_S = 0.001  # while the checks run: a visitor request waits at most this long for the interpreter
PAUSE_S = 0.01  # after each case at least: visitor requests get the CPU (and the interpreter) between cases


@contextmanager
def responsive() -> Iterator[None]:
    """Python hands the interpreter between threads every 5 ms by default; while the checks run in the
    serving process, every step of a visitor's answer could wait that long for it. A shorter interval
    keeps visitors' answers quick at a small cost to the checks."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def without_logging(bot: Any) -> Any:
    """The bot, never writing the visitor question log (an evaluation's or a staff member's questions are
    not visitor questions); the same object when it does not log."""
    settings = getattr(bot, "settings", None)
    if dataclasses.is_dataclass(bot) and getattr(settings, "log_questions", False):
        return dataclasses.replace(bot, settings=dataclasses.replace(settings, log_questions=False))
    return bot


class Remembering:
    """An embedder that keeps every query's vector in `vectors`: each publish asks the same few hundred
    questions (the cases, then the failing ones again on the live build), so only the first embeds them.
    Query vectors only: a batch vector of the same text may differ in the last bits.

    >>> class Model:
    ...     name, calls = "m", 0
    ...     def embed_query(self, text):
    ...         Model.calls += 1; return [len(text)]
    >>> memo = Remembering(Model(), {})
    >>> memo.embed_query("ab"), memo.embed_query("ab"), Model.calls
    ([2], [2], 1)
    """

    def __init__(self, embedder: Any, vectors: dict[tuple[str, str], Any]) -> None:
        self._embedder, self._vectors, self.name = embedder, vectors, embedder.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)

    def embed_query(self, text: str) -> Any:
        key = (self.name, text)
        if key not in self._vectors:
            self._vectors[key] = self._embedder.embed_query(text)
        return self._vectors[key]


class Yielding:
    """A bot that, after each answer, pauses as long as the answer took (and at least PAUSE_S). The checks
    run beside the live visitor chat: without pauses they would hold a core and the interpreter for
    seconds at a time and slow every visitor's answer; so they take at most about half of one core, and
    the busier the machine (the slower each answer), the longer they step aside."""

    def __init__(self, bot: Any, pause_s: float = PAUSE_S) -> None:
        self._bot, self._pause_s = bot, pause_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)

    def answer(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        turn = self._bot.answer(*args, **kwargs)
        time.sleep(max(self._pause_s, time.perf_counter() - started))
        return turn


@dataclass
class Measured:
    """One run of the checks on one bot: gate name -> (passed, figure, failing ids), and id -> what failed."""

    gates: dict[str, tuple[bool, str, list[str]]] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)


def outcomes(candidate: Measured, live: Measured | None) -> list[GateOutcome]:
    """The candidate's results, each marked blocking or not against the live build's.

    >>> live = Measured({"crisis recall": (False, "95%", ["c1"]), "right kind: x": (False, "50%", ["n1"])},
    ...                 {"c1": "kind 'answered'", "n1": "kind 'answered'"})
    >>> cand = Measured(live.gates | {"crisis recall": (False, "90%", ["c1", "c2"])}, live.details | {"n1": "kind 'crisis'"})
    >>> [(o.name, o.blocking, o.known) for o in outcomes(cand, live)]
    [('crisis recall', True, ['c1']), ('right kind: x', True, [])]
    >>> [(o.name, o.blocking, o.known) for o in outcomes(live, live)]
    [('crisis recall', False, ['c1']), ('right kind: x', False, ['n1'])]
    """
    out = []
    for name, (ok, value, failing) in candidate.gates.items():
        _, _, was_failing = live.gates.get(name, (True, "", [])) if live else (True, "", [])
        known = [f for f in failing if f in was_failing and live is not None
                 and candidate.details.get(f) == live.details.get(f)]
        new = [f for f in failing if f not in known]
        blocking = not ok and (bool(new) or not failing)  # a failure naming no case is never excused
        out.append(GateOutcome(name=name, ok=ok, value=value, blocking=blocking, known=known,
                               failing=[f"{f}: {candidate.details.get(f, '')}".rstrip(": ") for f in failing]))
    return out


class Checks:
    """Loads the cases once (on first use). The live build is judged only on the cases that fail on the
    candidate (is each failure new?), and a build that went live keeps its results for the next publish."""

    def __init__(self, cases_file: Path | None = None, heldout_dir: Path | None = None, step_aside: bool = True) -> None:
        """`step_aside`: answer through Yielding, for the visitor chat served beside the checks; False where
        nothing else is served (a test of the checks themselves)."""
        self.cases_file, self.heldout_dir, self.step_aside = cases_file, heldout_dir, step_aside
        self._suite: Any = None
        self._questions: dict[str, str] = {}
        self._measured: dict[str, Measured] = {}  # build id -> its results on the whole check (the latest only)
        self._vectors: dict[tuple[str, str], Any] = {}  # (model, question) -> query vector (Remembering)

    def _load(self) -> None:
        if self._suite is not None:
            return
        from evals.cases import CASES_FILE, HELDOUT_DIR, load_heldout, load_suite, questions

        suite = load_suite(self.cases_file or CASES_FILE)
        heldout = load_heldout(self.heldout_dir or HELDOUT_DIR, suite.ids)
        self._questions = questions(suite.cases + heldout)
        self._suite = suite.model_copy(update={"cases": [c for c in suite.cases if c.gated or c.category in IN_FULL]})

    def run(self, candidate: Any, live: Any, changed_cards: list[Any], progress: Progress = lambda _: None) -> list[GateOutcome]:
        self._load()
        progress(f"evaluating: {len(self._suite.cases)} cases against the new build")
        live = without_logging(live)
        with responsive():
            measured = self.measure(candidate, changed_cards, also=live)
            self._measured = {candidate.data.path.name: measured}  # the live build's, once this one goes live
            baseline = self._measured_live(live, measured, progress)
        return outcomes(measured, baseline)

    def _measured_live(self, live: Any, candidate: Measured, progress: Progress) -> Measured:
        build = live.data.path.name
        if build in self._measured:
            return self._measured[build]
        failing = {f for _, _, ids in candidate.gates.values() for f in ids if f in {c.id for c in self._suite.cases}}
        progress(f"evaluating: the {len(failing)} failing cases against the live build")
        return self.measure(live, [], only=failing)

    def measure(self, bot: Any, changed_cards: list[Any], only: set[str] | None = None, also: Any = None) -> Measured:
        """The checks on one bot; `only`: just these cases (the live build's side of a comparison); `also`:
        another bot whose crisis replies to the changed cards' questions count too (the live one)."""
        from evals import hygiene
        from evals.run import evaluate

        suite = self._suite if only is None else self._suite.model_copy(
            update={"cases": [c for c in self._suite.cases if c.id in only]})
        bot = self._yielding(self._remembering(without_logging(bot)))
        run = evaluate(bot, suite, sample=True)
        results = {r.id: r for _, r in run.pairs}
        measured = Measured()
        for g in run.gates:
            measured.gates[g.name] = (g.ok, _figure(g.value, g.gate.how), [f for f in g.failing if f not in g.allowed])
        measured.details = {i: f"{r.question[:120]!r}: {'; '.join(r.failures)[:240]}" for i, r in results.items() if not r.passed}
        leaks = hygiene.leaks(self._questions, hygiene.read_files([Path(bot.settings.corpus_dir) / "faq"]))
        ids = [f"{qid} in {Path(name).name}" for qid, name in leaks]
        measured.gates[HYGIENE] = (not ids, str(len(ids)), ids)
        measured.details |= {f"{qid} in {Path(name).name}": repr(self._questions[qid][:120]) for qid, name in leaks}
        readers = [bot] + ([self._yielding(self._remembering(also))] if also is not None else [])
        crisis = [q for card in changed_cards for q in card.questions if any(b.answer(q).kind == "crisis" for b in readers)]
        measured.gates[CARD_CRISIS] = (not crisis, str(len(crisis)), [f"card question {q!r}" for q in crisis])
        return measured

    def _yielding(self, bot: Any) -> Any:
        return Yielding(bot) if self.step_aside else bot

    def _remembering(self, bot: Any) -> Any:
        """The bot with its embedder keeping query vectors across runs; as it is when it has none to swap."""
        if dataclasses.is_dataclass(bot) and hasattr(bot, "embedder"):
            return dataclasses.replace(bot, embedder=Remembering(bot.embedder, self._vectors))
        return bot


def _figure(value: Any, how: str) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if how == "pct" else (f"{value:.3f}" if how == "num" else str(value))


def changed_cards(candidate_cards: list[Any], live_cards: list[Any]) -> list[Any]:
    """Cards that are new, or whose questions or sentences differ from the live card with the same id."""
    live = {c.id: (c.questions, c.answer, c.balance) for c in live_cards}
    return [c for c in candidate_cards if live.get(c.id) != (c.questions, c.answer, c.balance)]
